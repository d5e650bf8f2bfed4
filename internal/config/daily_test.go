package config

import (
	"strings"
	"testing"
)

func TestDailyDefaults(t *testing.T) {
	c, err := Parse("seiri.yaml", []byte("# nothing\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Daily.Steps, ",") != "collect,scan,audit,detect,watch" || c.Daily.Apply || c.Daily.UnusedDays != 90 ||
		c.Notify.On != NotifyOnChange || c.Notify.MinSeverity != "high" {
		t.Errorf("defaults: %+v %+v", c.Daily, c.Notify)
	}
	if c.Daily.Runs(StepDeleteKeys) {
		t.Error("delete-keys runs by default")
	}
}

// Every bad value names its key and the value; a webhook URL written into
// seiri.yaml is refused by its line (the URL is a secret).
func TestDailyValidation(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"daily:\n  steps: [collect, sweep]\n", `daily.steps: unknown step "sweep"`},
		{"daily:\n  unused_days: 0\n", "daily.unused_days: 0 must be a positive number of days"},
		{"daily:\n  scan_days: -1\n", "daily.scan_days: -1 must be a number of days (0: the whole source)"},
		{"daily:\n  fail_on: severe\n", `daily.fail_on: "severe" is not a severity`},
		{"notify:\n  on: sometimes\n", `notify.on: "sometimes" (want change, severity or always)`},
		{"notify:\n  min_severity: loud\n", `notify.min_severity: "loud" is not a severity`},
		{"notify:\n  slack: {}\n", "notify.slack: set exactly one of url_env"},
		{"notify:\n  teams: {url_env: A, url_ssm: /b}\n", "notify.teams: set exactly one of url_env"},
		{"notify:\n  webhook: {url_env: 'A-B'}\n", `notify.webhook.url_env: "A-B" is not an environment variable name`},
		{"notify:\n  slack: {url: https://hooks.slack.com/services/T/B/x}\n", "notify.slack.url: a URL is written in the file (not shown: it is a secret)"},
		{"notify:\n  teams: https://x.webhook.office.com/T/B/x\n", "notify.teams: a URL is written in the file (not shown"},
		{"notify:\n  sns: {topic_arn: arn:aws:sqs:us-east-1:111111111111:q}\n", `notify.sns.topic_arn: "arn:aws:sqs:us-east-1:111111111111:q" is not an SNS topic ARN`},
	} {
		_, err := Parse("seiri.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "/T/B/x") {
			t.Errorf("the error quotes the secret: %v", err)
		}
	}
	ok := "daily:\n  steps: [scan, delete-keys]\n  apply: true\n  sources: [s3://t/AWSLogs]\nnotify:\n  on: severity\n  min_severity: critical\n  slack: {url_ssm: /seiri/slack}\n  sns: {topic_arn: arn:aws:sns:us-east-1:111111111111:seiri}\n"
	if _, err := Parse("seiri.yaml", []byte(ok)); err != nil {
		t.Errorf("valid config refused: %v", err)
	}
}

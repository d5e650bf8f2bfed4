package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/notify"
	"github.com/seiri-dev/seiri/internal/routine"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, d)
	}
}

// capture is a local webhook receiver.
type capture struct {
	mu     sync.Mutex
	bodies map[string][]byte
	status int
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bodies == nil {
		c.bodies = map[string][]byte{}
	}
	c.bodies[r.URL.Path] = b
	if c.status != 0 {
		w.WriteHeader(c.status)
		io.WriteString(w, "no_service: token "+r.URL.Path+" revoked")
	}
}

func summary(t *testing.T) *routine.Summary {
	t0 := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	prev := &routine.State{Schema: routine.StateSchema, Date: t0.AddDate(0, 0, -1),
		Findings: []routine.FindingRef{{Key: "IAM.OLD|111111111111|arn:x", RuleID: "IAM.OLD", Severity: finding.Low, Account: "111111111111", Resource: "arn:x", Title: "old"}}}
	today := &routine.Today{}
	for i, sev := range []finding.Severity{finding.Critical, finding.High, finding.High, finding.Medium, finding.Low, finding.Low, finding.Info} {
		today.Findings = append(today.Findings, finding.Finding{RuleID: "R" + string(rune('A'+i)), Severity: sev, Account: "111111111111",
			Resource: "arn:aws:iam::111111111111:user/u" + string(rune('a'+i)), Title: "finding " + string(rune('A'+i))})
	}
	today.Watched = []routine.Watched{{Kind: "key", Account: "111111111111", User: "ci", AccessKeyID: "AKIACI", Verdict: "quiet"},
		{Kind: "key", Account: "111111111111", User: "legacy", AccessKeyID: "AKIALEGACY", Verdict: "noisy", DaysLeft: 4, Recommendation: "restore: seiri keys restore AKIALEGACY"}}
	today.Changes = []routine.Change{{Step: "delete-keys", Action: "delete key", Account: "111111111111", User: "ci", AccessKeyID: "AKIAOLD", Status: "done"}}
	s, _ := routine.Compare(prev, today, t0)
	s.Steps = []routine.StepReport{{Step: "scan", Status: routine.OK}}
	return s
}

const secretPath = "/services/T000/B000/XXXXsecretTOKEN"

// Slack, Teams and the generic webhook each get their payload (golden);
// SNS gets the text with a subject under 100 characters; the URL read
// from SSM (SecureString, with decryption) never appears in the report.
func TestSendEveryTarget(t *testing.T) {
	rcv := &capture{}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	fake := awsfake.New(awsfake.Scenario{Caller: "111111111111"})
	defer fake.Close()
	acct := fake.CallerAccount()
	fake.PutSSMParameter(acct, awsfake.SSMParameter{Name: "/seiri/teams", Type: "SecureString", Value: hook.URL + secretPath + "/teams"})
	cfg := config.Default().Notify
	cfg.On = config.NotifyAlways
	cfg.Slack = &config.Secret{Env: "SLACK_URL"}
	cfg.Teams = &config.Secret{SSM: "/seiri/teams"}
	cfg.Webhook = &config.Secret{Env: "HOOK_URL"}
	cfg.SNS = &config.SNSTarget{TopicARN: "arn:aws:sns:us-east-1:" + acct + ":seiri-daily"}
	env := map[string]string{"SLACK_URL": hook.URL + secretPath + "/slack", "HOOK_URL": hook.URL + secretPath + "/hook"}
	rep := notify.Send(context.Background(), clients(fake), cfg, summary(t), func(k string) string { return env[k] })
	if rep.Status != routine.OK {
		t.Fatalf("status %s: %v", rep.Status, rep.CouldNot)
	}
	for _, name := range []string{"slack", "teams", "hook"} {
		var v any
		b := rcv.bodies[secretPath+"/"+name]
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v: %s", name, err, b)
		}
		pretty, _ := json.MarshalIndent(v, "", "  ")
		golden(t, name+".json", append(pretty, '\n'))
	}
	msgs := fake.SNSMessages()
	if len(msgs) != 1 || len(msgs[0].Subject) > 100 {
		t.Fatalf("sns: %+v", msgs)
	}
	golden(t, "sns.txt", []byte(msgs[0].Subject+"\n\n"+msgs[0].Message+"\n"))
	if got := fake.SSMDecryptedReads(); !cmp.Equal(got, []string{"/seiri/teams"}) {
		t.Errorf("SSM reads with decryption: %v", got)
	}
	assertNoSecret(t, rep)
}

func assertNoSecret(t *testing.T, rep routine.StepReport) {
	t.Helper()
	b, _ := json.Marshal(rep)
	for _, bad := range []string{"XXXXsecretTOKEN", "T000/B000"} {
		if bytes.Contains(b, []byte(bad)) {
			t.Errorf("the report carries the secret %q: %s", bad, b)
		}
	}
}

// Failures name the target and where its URL comes from, never the URL:
// an HTTP error whose body echoes the path, a refused connection, a
// missing variable, a missing parameter, a plain-http URL off loopback.
func TestSendFailuresKeepTheSecret(t *testing.T) {
	rcv := &capture{status: 403}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	closed := httptest.NewServer(rcv)
	closedURL := closed.URL
	closed.Close()
	fake := awsfake.New(awsfake.Scenario{Caller: "111111111111"})
	defer fake.Close()
	cfg := config.Default().Notify
	cfg.On = config.NotifyAlways
	cfg.Slack = &config.Secret{Env: "SLACK_URL"}
	cfg.Teams = &config.Secret{SSM: "/seiri/missing"}
	cfg.Webhook = &config.Secret{Env: "HOOK_URL"}
	cases := []map[string]string{
		{"SLACK_URL": hook.URL + secretPath, "HOOK_URL": closedURL + secretPath},
		{"HOOK_URL": "http://hooks.example.com" + secretPath},
	}
	for i, env := range cases {
		rep := notify.Send(context.Background(), clients(fake), cfg, summary(t), func(k string) string { return env[k] })
		if rep.Status != routine.Partial || len(rep.CouldNot) != 3 {
			t.Fatalf("case %d: %s %q", i, rep.Status, rep.CouldNot)
		}
		assertNoSecret(t, rep)
		text := strings.Join(rep.CouldNot, "\n")
		for _, want := range []string{"slack (URL from environment variable SLACK_URL)", "teams (URL from SSM parameter /seiri/missing): SSM GetParameter /seiri/missing: ParameterNotFound",
			"webhook (URL from environment variable HOOK_URL)"} {
			if !strings.Contains(text, want) {
				t.Errorf("case %d: %q not in\n%s", i, want, text)
			}
		}
	}
}

// change: only when something changed (or a step failed); severity: only
// new findings at or above the threshold, attention, or a failed step.
func TestShould(t *testing.T) {
	s := summary(t)
	quiet, _ := routine.Compare(&routine.State{Schema: 1, Findings: s.Open}, &routine.Today{Findings: nil}, s.Date)
	quiet.Resolved = nil
	quiet.Open = nil
	for _, c := range []struct {
		on   string
		min  string
		s    *routine.Summary
		want bool
	}{
		{config.NotifyOnChange, "high", s, true},
		{config.NotifyOnChange, "high", quiet, false},
		{config.NotifyOnSeverity, "critical", s, true},
		{config.NotifyOnSeverity, "critical", &routine.Summary{New: []routine.FindingRef{{Severity: finding.High}}}, false},
		{config.NotifyOnSeverity, "high", &routine.Summary{New: []routine.FindingRef{{Severity: finding.High}}}, true},
		{config.NotifyOnSeverity, "high", &routine.Summary{Steps: []routine.StepReport{{Step: "scan", Status: routine.Failed}}}, true},
		{config.NotifyAlways, "high", quiet, true},
	} {
		got, why := notify.Should(config.Notify{On: c.on, MinSeverity: c.min}, c.s)
		if got != c.want {
			t.Errorf("on %s min %s: %v (%s), want %v", c.on, c.min, got, why, c.want)
		}
	}
}

func clients(fake *awsfake.Server) notify.Clients {
	cfg := aws.Config{Region: "us-east-1", Credentials: fake.Credentials(), BaseEndpoint: aws.String(fake.URL)}
	return notify.Clients{
		SSM: func(context.Context) (notify.SSM, error) { return ssm.NewFromConfig(cfg), nil },
		SNS: func(context.Context) (notify.SNS, error) { return sns.NewFromConfig(cfg), nil },
	}
}

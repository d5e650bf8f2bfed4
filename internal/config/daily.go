package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

// Daily configures `seiri daily`: which steps run, whether the retirement
// steps apply their plans, and where the logs are.
type Daily struct {
	// Steps run in this order whatever order they are listed in. Default:
	// collect, scan, audit, detect, watch (the read-only steps). The
	// retirement steps (disable-keys, delete-keys) run only when listed.
	Steps []string `yaml:"steps" json:"steps"`
	// Apply makes the listed retirement steps apply their plans (journaled,
	// through the one apply flow); false plans them and reports the plan.
	Apply bool `yaml:"apply" json:"apply"`
	// UnusedDays: disable-keys plans keys not used for this long. The
	// observation window before delete-keys is keys.observation_days.
	UnusedDays int `yaml:"unused_days" json:"unusedDays"`
	// IncludeNeverUsed lets disable-keys plan keys never used.
	IncludeNeverUsed bool `yaml:"include_never_used" json:"includeNeverUsed"`
	// Sources are the CloudTrail log locations scanned each day (a
	// directory, s3://bucket/prefix or lookup-events). None: scan is skipped
	// and said so.
	Sources []string `yaml:"sources" json:"sources,omitempty"`
	// ScanDays > 0 scans only the logs of the last ScanDays days each run
	// (as trail scan --days): a source's older folders and prefixes are
	// not listed, which an S3 source of a large organization needs (S3
	// lists every key of the history otherwise). 0: the whole source.
	ScanDays int `yaml:"scan_days" json:"scanDays,omitempty"`
	// Org collects the whole Organization (like `seiri collect --org`).
	Org bool `yaml:"org" json:"org"`
	// Regions are where resource policies are read (collect --regions).
	Regions []string `yaml:"regions" json:"regions,omitempty"`
	// FailOn is the default of --fail-on ("" = never exit 1 on findings).
	FailOn string `yaml:"fail_on" json:"failOn,omitempty"`
}

// Daily step names, in the order they run.
const (
	StepCollect     = "collect"
	StepScan        = "scan"
	StepAudit       = "audit"
	StepDetect      = "detect"
	StepWatch       = "watch"
	StepDisableKeys = "disable-keys"
	StepDeleteKeys  = "delete-keys"
)

// DailySteps lists every step in run order.
var DailySteps = []string{StepCollect, StepScan, StepAudit, StepDetect, StepWatch, StepDisableKeys, StepDeleteKeys}

func defaultDaily() Daily {
	return Daily{Steps: []string{StepCollect, StepScan, StepAudit, StepDetect, StepWatch}, UnusedDays: 90}
}

// Runs reports whether step is configured to run.
func (d Daily) Runs(step string) bool { return slices.Contains(d.Steps, step) }

// When notifications are sent.
const (
	NotifyOnChange   = "change"   // something changed since yesterday, or a finding at/above min_severity
	NotifyOnSeverity = "severity" // only a new finding at/above min_severity
	NotifyAlways     = "always"   // every run (a daily heartbeat)
)

// Notify configures where `seiri daily` sends its summary. Webhook URLs
// are secrets: seiri.yaml names where to read them (an environment
// variable or an SSM SecureString parameter), never the URL itself.
type Notify struct {
	// On is when to send: change (default), severity or always.
	On string `yaml:"on" json:"on"`
	// MinSeverity is the threshold of "severity" (and, for "change", what
	// is sent even when nothing changed). Default high.
	MinSeverity string `yaml:"min_severity" json:"minSeverity"`
	// Top is how many items a message lists (default 5).
	Top int `yaml:"top" json:"top,omitempty"`
	// Slack is an incoming webhook; Teams a Microsoft Teams (Workflows)
	// webhook; Webhook any endpoint taking the summary as JSON.
	Slack   *Secret `yaml:"slack" json:"slack,omitempty"`
	Teams   *Secret `yaml:"teams" json:"teams,omitempty"`
	Webhook *Secret `yaml:"webhook" json:"webhook,omitempty"`
	// SNS publishes to a topic (the runner's credentials need sns:Publish).
	SNS *SNSTarget `yaml:"sns" json:"sns,omitempty"`
}

// Secret says where a webhook URL is read from: exactly one of Env (an
// environment variable) and SSM (a SecureString parameter name, read with
// decryption).
type Secret struct {
	Env string `yaml:"url_env" json:"urlEnv,omitempty"`
	SSM string `yaml:"url_ssm" json:"urlSsm,omitempty"`
}

// SNSTarget is an SNS topic.
type SNSTarget struct {
	TopicARN string `yaml:"topic_arn" json:"topicArn"`
}

var (
	envNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	ssmNameRE  = regexp.MustCompile(`^(/[A-Za-z0-9_.\-]+)+$|^[A-Za-z0-9_.\-]+$|^arn:aws[a-z-]*:ssm:`)
	topicARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_\-]+(\.fifo)?$`)
)

func (c *Config) validateDaily() error {
	for _, s := range c.Daily.Steps {
		if !slices.Contains(DailySteps, s) {
			return fmt.Errorf("daily.steps: unknown step %q (want some of %s)", trim(s), strings.Join(DailySteps, ", "))
		}
	}
	if c.Daily.UnusedDays <= 0 {
		return fmt.Errorf("daily.unused_days: %d must be a positive number of days", c.Daily.UnusedDays)
	}
	if c.Daily.ScanDays < 0 {
		return fmt.Errorf("daily.scan_days: %d must be a number of days (0: the whole source)", c.Daily.ScanDays)
	}
	if c.Daily.FailOn != "" && !slices.Contains([]string{"info", "low", "medium", "high", "critical"}, strings.ToLower(c.Daily.FailOn)) {
		return fmt.Errorf("daily.fail_on: %q is not a severity (info, low, medium, high, critical)", trim(c.Daily.FailOn))
	}
	n := c.Notify
	switch n.On {
	case NotifyOnChange, NotifyOnSeverity, NotifyAlways:
	default:
		return fmt.Errorf("notify.on: %q (want change, severity or always)", trim(n.On))
	}
	if !slices.Contains([]string{"info", "low", "medium", "high", "critical"}, strings.ToLower(n.MinSeverity)) {
		return fmt.Errorf("notify.min_severity: %q is not a severity (info, low, medium, high, critical)", trim(n.MinSeverity))
	}
	if n.Top < 0 {
		return fmt.Errorf("notify.top: %d must not be negative", n.Top)
	}
	for _, s := range []struct {
		name string
		v    *Secret
	}{{"notify.slack", n.Slack}, {"notify.teams", n.Teams}, {"notify.webhook", n.Webhook}} {
		if s.v == nil {
			continue
		}
		switch {
		case (s.v.Env == "") == (s.v.SSM == ""):
			return fmt.Errorf("%s: set exactly one of url_env (an environment variable) and url_ssm (an SSM SecureString parameter); the URL itself never goes in seiri.yaml", s.name)
		case s.v.Env != "" && !envNameRE.MatchString(s.v.Env):
			return fmt.Errorf("%s.url_env: %q is not an environment variable name", s.name, trim(s.v.Env))
		case s.v.SSM != "" && !ssmNameRE.MatchString(s.v.SSM):
			return fmt.Errorf("%s.url_ssm: %q is not an SSM parameter name", s.name, trim(s.v.SSM))
		}
	}
	if n.SNS != nil && !topicARNRE.MatchString(n.SNS.TopicARN) {
		return fmt.Errorf("notify.sns.topic_arn: %q is not an SNS topic ARN", trim(n.SNS.TopicARN))
	}
	return nil
}

// trim bounds a value quoted in an error.
func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// webhookInFile refuses a webhook URL written into seiri.yaml's notify
// section before the strict decoder runs: its error would quote the line,
// and with it the secret, into a CI log.
func webhookInFile(data []byte) error {
	var loose struct {
		Notify map[string]any `yaml:"notify"`
	}
	if err := yaml.Unmarshal(data, &loose); err != nil {
		return nil // the strict decoder reports it (no notify line parsed)
	}
	for _, target := range []string{"slack", "teams", "webhook"} {
		m, ok := loose.Notify[target].(map[string]any)
		if !ok {
			if s, isStr := loose.Notify[target].(string); isStr && strings.Contains(s, "://") {
				return fmt.Errorf("notify.%s: a URL is written in the file (not shown: it is a secret); name where to read it instead: url_env (an environment variable) or url_ssm (an SSM SecureString parameter)", target)
			}
			continue
		}
		for k, v := range m {
			if s, isStr := v.(string); isStr && strings.Contains(s, "://") {
				return fmt.Errorf("notify.%s.%s: a URL is written in the file (not shown: it is a secret); name where to read it instead: url_env (an environment variable) or url_ssm (an SSM SecureString parameter)", target, k)
			}
		}
	}
	return nil
}

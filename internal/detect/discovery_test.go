package detect

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// enumeration is the call sequence of an IAM and infrastructure
// enumeration with stolen keys (ATT&CK T1580/T1087.004): many distinct
// read-only calls in seconds.
var enumeration = []string{
	"iam:GetAccountAuthorizationDetails", "iam:ListUsers", "iam:ListRoles", "iam:ListGroups", "iam:ListPolicies",
	"iam:GetAccountSummary", "iam:ListAccessKeys", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies", "iam:GetUser",
	"sts:GetCallerIdentity", "ec2:DescribeInstances", "ec2:DescribeRegions", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs",
	"ec2:DescribeSubnets", "ec2:DescribeSnapshots", "ec2:DescribeImages", "ec2:DescribeVolumes", "s3:ListBuckets",
	"s3:GetBucketPolicy", "s3:GetBucketAcl", "lambda:ListFunctions", "secretsmanager:ListSecrets", "ssm:DescribeParameters",
	"rds:DescribeDBInstances", "kms:ListKeys", "cloudtrail:DescribeTrails", "guardduty:ListDetectors", "organizations:DescribeOrganization",
}

func ev(i int, at time.Duration, action, errorCode string) Event {
	var src, name string
	for j := range action {
		if action[j] == ':' {
			src, name = action[:j]+".amazonaws.com", action[j+1:]
		}
	}
	return Event{EventID: fmt.Sprintf("evt-%04d", i), Time: t0.Add(at), Source: src, Name: name, ErrorCode: errorCode,
		SourceIP: "198.51.100.7", UserAgent: "Boto3/1.34.0 Python/3.12.1 Linux/6.5", Account: "111122223333",
		IdentityType: "IAMUser", ARN: "arn:aws:iam::111122223333:user/ci", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", UserName: "ci"}
}

func TestDiscoveryBurst(t *testing.T) {
	var evs []Event
	for i, a := range enumeration {
		evs = append(evs, ev(i, time.Duration(i)*4*time.Second, a, ""))
	}
	d := run(Config{}, evs)
	fs := d.Findings()
	if len(fs) != 1 || fs[0].RuleID != discoveryRule.ID {
		t.Fatalf("findings %v, want one discovery burst", ruleIDs(fs))
	}
	// Raised at the 25th distinct action (the default threshold); the rest
	// of the enumeration falls in the quiet window: one finding.
	if fs[0].Events != Defaults.DiscoveryDistinct || fs[0].Support[0].EventID != "evt-0000" || len(fs[0].Support) != Defaults.MaxSupport {
		t.Errorf("events %d, support %d starting %s", fs[0].Events, len(fs[0].Support), fs[0].Support[0].EventID)
	}
	checkGolden(t, "discovery.golden.json", d)
}

func TestDiscoveryDenied(t *testing.T) {
	var evs []Event
	for i, a := range enumeration[:12] {
		evs = append(evs, ev(i, time.Duration(i)*10*time.Second, a, "AccessDenied"))
	}
	d := run(Config{}, evs)
	if got := ruleIDs(d.Findings()); got[discoveryRule.ID] != 1 || len(got) != 1 {
		t.Fatalf("findings %v, want one burst of denials", got)
	}
	if f := d.Findings()[0]; f.Events != Defaults.DeniedCount {
		t.Errorf("raised after %d events, want %d", f.Events, Defaults.DeniedCount)
	}
}

// Below every threshold: the same read repeated, fewer distinct actions
// than the threshold, the enumeration spread over more than the window,
// a different identity per call, thresholds raised in Config.
func TestDiscoveryQuiet(t *testing.T) {
	cases := map[string]func() ([]Event, Config){
		"repeated read": func() ([]Event, Config) {
			var evs []Event
			for i := range 1000 {
				evs = append(evs, ev(i, time.Duration(i)*time.Second, "s3:GetObject", ""))
			}
			return evs, Config{}
		},
		"one denied action retried": func() ([]Event, Config) {
			var evs []Event
			for i := range 100 {
				evs = append(evs, ev(i, time.Duration(i)*time.Second, "s3:PutObject", "AccessDenied"))
			}
			return evs, Config{}
		},
		"below threshold": func() ([]Event, Config) {
			var evs []Event
			for i, a := range enumeration[:Defaults.DiscoveryDistinct-1] {
				evs = append(evs, ev(i, time.Duration(i)*time.Second, a, ""))
			}
			return evs, Config{}
		},
		"slow": func() ([]Event, Config) {
			var evs []Event
			for i, a := range enumeration {
				evs = append(evs, ev(i, time.Duration(i)*time.Minute, a, ""))
			}
			return evs, Config{}
		},
		"many identities": func() ([]Event, Config) {
			var evs []Event
			for i, a := range enumeration {
				e := ev(i, time.Duration(i)*time.Second, a, "")
				e.ARN = fmt.Sprintf("arn:aws:iam::111122223333:user/u%d", i)
				evs = append(evs, e)
			}
			return evs, Config{}
		},
		"raised threshold": func() ([]Event, Config) {
			var evs []Event
			for i, a := range enumeration {
				evs = append(evs, ev(i, time.Duration(i)*time.Second, a, ""))
			}
			return evs, Config{DiscoveryDistinct: 31}
		},
		"service calls": func() ([]Event, Config) {
			var evs []Event
			for i, a := range enumeration {
				e := ev(i, time.Duration(i)*time.Second, a, "")
				e.InvokedBy = "cloudformation.amazonaws.com"
				evs = append(evs, e)
			}
			return evs, Config{}
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			evs, cfg := mk()
			if got := run(cfg, evs).Findings(); len(got) != 0 {
				t.Errorf("findings %v, want none", ruleIDs(got))
			}
		})
	}
}

// Two enumerations more than a window apart are two findings.
func TestDiscoveryTwoBursts(t *testing.T) {
	var evs []Event
	for i, a := range enumeration {
		evs = append(evs, ev(i, time.Duration(i)*time.Second, a, ""))
	}
	for i, a := range enumeration {
		evs = append(evs, ev(100+i, time.Hour+time.Duration(i)*time.Second, a, ""))
	}
	if got := ruleIDs(run(Config{}, evs).Findings()); got[discoveryRule.ID] != 2 {
		t.Errorf("findings %v, want two bursts", got)
	}
}

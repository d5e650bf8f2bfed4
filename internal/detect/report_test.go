package detect

import (
	"encoding/json"
	"testing"

	"github.com/seiri-dev/seiri/internal/finding"
)

// Report puts the supporting events into the common model's evidence, and
// says so when the eventID was not read.
func TestReportEvidence(t *testing.T) {
	evs := []Event{{Time: t0, Source: "cloudtrail.amazonaws.com", Name: "StopLogging", SourceIP: "198.51.100.7",
		UserAgent: "aws-cli/2.15.0", Account: "111122223333", IdentityType: "IAMUser", ARN: "arn:aws:iam::111122223333:user/ci"}}
	fs := run(Config{}, evs).Findings()
	if len(fs) != 1 {
		t.Fatalf("findings %v", ruleIDs(fs))
	}
	got := fs[0].Report()
	want := []finding.Evidence{
		{Name: "detection", Value: fs[0].ID},
		{Name: "action", Value: "cloudtrail.amazonaws.com:StopLogging"},
		{Name: "events", Value: "1"},
		{Name: "event", Value: `(eventID not read) 2026-11-20T10:00:00Z cloudtrail.amazonaws.com:StopLogging 198.51.100.7 "aws-cli/2.15.0"`},
	}
	a, _ := json.Marshal(got.Evidence)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Errorf("evidence\n%s\nwant\n%s", a, b)
	}
	if len(fs[0].ID) != 14 || fs[0].ID[:2] != "D-" {
		t.Errorf("finding ID %q, want D- and 12 hex digits", fs[0].ID)
	}
	if len(fs[0].Evidence) != 1 {
		t.Errorf("Report changed the finding's own evidence: %v", fs[0].Evidence)
	}
}

// The judges read requestParameters of any shape without panicking, and
// an unreadable value is undetermined, not clean.
func FuzzJudges(f *testing.F) {
	f.Add(`{"createVolumePermission":{"add":{"items":[{"group":"all"}]}}}`)
	f.Add(`{"bucketPolicy":{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]}}}}`)
	f.Add(`{"ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`)
	f.Add(`{"enable":"yes"}`)
	f.Add(`[1,2`)
	f.Add(`{"principal":"*","functionName":"f","layers":["arn:aws:lambda:us-east-1:999999999999:layer:l:1"]}`)
	f.Add(`{"policyDocument":"%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%7D%7D","secretIdList":[1]}`)
	d := New(Config{})
	f.Fuzz(func(t *testing.T, req string) {
		for i := range sensitive {
			e := Event{Request: json.RawMessage(req), Account: "111122223333", ReqUserName: "x"}
			v := sensitive[i].verdict(d, &e)
			if v.hit && v.undetermined {
				t.Fatalf("%s: both hit and undetermined on %q", sensitive[i].rule.ID, req)
			}
			if !json.Valid([]byte(req)) && v.hit && usesRequest(sensitive[i].rule.ID) {
				t.Fatalf("%s: hit on invalid JSON %q", sensitive[i].rule.ID, req)
			}
		}
		// The windowed rules' readers of the same request.
		var p struct {
			PolicyDocument string `json:"policyDocument"`
		}
		_ = json.Unmarshal([]byte(req), &p)
		adminDocument(p.PolicyDocument)
		adminDocument(req)
		for _, name := range []string{"GetSecretValue", "BatchGetSecretValue", "GetParameters"} {
			src := "secretsmanager.amazonaws.com"
			if name == "GetParameters" {
				src = "ssm.amazonaws.com"
			}
			items, _, und := secretRead(&Event{Source: src, Name: name, Request: json.RawMessage(req)})
			if und && len(items) > 0 {
				t.Fatalf("%s: items and undetermined on %q", name, req)
			}
		}
	})
}

func usesRequest(id string) bool {
	switch id {
	case "SEIRI-DETECT-SNAPSHOT-SHARED", "SEIRI-DETECT-AMI-SHARED", "SEIRI-DETECT-BUCKET-PUBLIC", "SEIRI-DETECT-SG-OPEN-WORLD", "SEIRI-DETECT-LAMBDA-BACKDOOR":
		return true
	}
	return false
}

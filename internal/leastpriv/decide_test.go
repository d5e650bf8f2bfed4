package leastpriv

import (
	"encoding/json"
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// decideSnapshot: one user under an approved-regions SCP (the example
// "Deny access to AWS based on the requested AWS Region" of the
// Organizations User Guide, with eu-west-1 approved), whose policy allows
// lambda:CreateFunction on release-* functions and denies it on
// release-prod; the account's trail is in eu-west-1.
func decideSnapshot() *snapshot.Snapshot {
	const acct = "123456789012"
	doc := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"Fn","Effect":"Allow","Action":"lambda:CreateFunction","Resource":"arn:aws:lambda:*:123456789012:function:release-*"},
	 {"Sid":"NotProd","Effect":"Deny","Action":"lambda:*","Resource":"arn:aws:lambda:*:123456789012:function:release-prod"},
	 {"Sid":"AllButIAM","Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::logs/*"}]}`
	return &snapshot.Snapshot{
		Organization: &snapshot.Organization{ID: "o-test", ManagementAccount: "999999999999",
			Roots:    []snapshot.Root{{ID: "r-1"}},
			Accounts: []snapshot.OrgAccount{{ID: acct, ParentID: "r-1"}},
			Policies: []snapshot.OrgPolicy{
				{ID: "p-full", Type: "SERVICE_CONTROL_POLICY", Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, Targets: []string{"r-1", acct}},
				{ID: "p-regions", Type: "SERVICE_CONTROL_POLICY", Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`, Targets: []string{acct}},
			}},
		Accounts: []*snapshot.Account{{AccountID: acct,
			Trails: []snapshot.Trail{{Name: "t", HomeRegion: "eu-west-1"}},
			Users: []snapshot.User{{ARN: "arn:aws:iam::" + acct + ":user/dev", UserName: "dev", Path: "/",
				InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "dev", Document: json.RawMessage(doc)}}}}}},
	}
}

func TestDecideAndAllows(t *testing.T) {
	m := NewModel(decideSnapshot(), catalog.Default())
	p := m.Principals[0]
	// Allowed in the approved region, found after us-east-1 is denied.
	d := m.Decide(p, "lambda:CreateFunction", "arn:aws:lambda:eu-west-1:123456789012:function:release-1", nil, nil)
	if d.Decision != policy.AllowDecision || m.PolicyName(p, d) != "user dev inline dev" || d.Sid != "Fn" {
		t.Errorf("release-1: %+v (%s)", d, m.PolicyName(p, d))
	}
	d = m.Decide(p, "lambda:CreateFunction", "arn:aws:lambda:eu-west-1:123456789012:function:release-prod", nil, nil)
	if d.Decision != policy.ExplicitDeny || d.Sid != "NotProd" {
		t.Errorf("release-prod: %+v", d)
	}
	// Allows probes the resource patterns of the statements naming it.
	d, res, ok := m.Allows(p, "lambda:CreateFunction", nil)
	if !ok || res != "arn:aws:lambda:*:123456789012:function:release-*" || d.Statement != 0 {
		t.Errorf("Allows = %+v %q %v", d, res, ok)
	}
	if _, _, ok := m.Allows(p, "lambda:InvokeFunction", nil); ok {
		t.Error("lambda:InvokeFunction: not granted")
	}
	// Extra context keys reach conditions.
	cond := policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/dev"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`, policy.TypeTrust)
	if d := m.Decide(p, "sts:AssumeRole", "arn:aws:iam::123456789012:role/r", cond, nil); d.Decision == policy.AllowDecision {
		t.Error("no external id: want denied")
	}
	if d := m.Decide(p, "sts:AssumeRole", "arn:aws:iam::123456789012:role/r", cond, map[string]string{"sts:ExternalId": "x"}); d.Decision != policy.AllowDecision {
		t.Errorf("external id: %+v", d)
	}
	// Mentions: wildcards and NotAction.
	for action, want := range map[string]bool{"lambda:CreateFunction": true, "s3:GetObject": true, "iam:PassRole": false, "lambda:InvokeFunction": true} {
		if got := p.Mentions(action); got != want {
			t.Errorf("Mentions(%s) = %v, want %v", action, got, want)
		}
	}
}

package audit

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/risk"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// privescAccount: dev can write its own inline policy (Rhino method 11);
// ci can replace the code of functions, and a Lambda role is an
// administrator (possible: no function is in the snapshot); reader can
// only read.
func privescAccount() *snapshot.Snapshot {
	inline := func(name, doc string) func(*snapshot.User) {
		return func(u *snapshot.User) {
			u.InlinePolicies = []snapshot.InlinePolicy{{PolicyName: name, Document: json.RawMessage(doc)}}
		}
	}
	a := account(
		user("dev", inline("self", `{"Version":"2012-10-17","Statement":[{"Sid":"Self","Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"arn:aws:iam::`+acct+`:user/dev"}]}`)),
		user("ci", inline("deploy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:UpdateFunctionCode","Resource":"*"}]}`)),
		user("reader", inline("read", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)),
	)
	a.Roles = []snapshot.Role{{ARN: "arn:aws:iam::" + acct + ":role/fn-admin", RoleName: "fn-admin", Path: "/",
		TrustPolicy:    json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "all", Document: json.RawMessage(adminDoc)}}}}
	return snap(a)
}

func TestPrivescFindings(t *testing.T) {
	s := privescAccount()
	an := risk.AnalyzeModel(leastpriv.NewModel(s, catalog.Default()), risk.Options{Workers: 1, Targets: []string{"arn:aws:iam::" + acct + ":role/fn-admin"}})
	rep := RunWith(s, cfg(), now, Options{Only: []string{PrivescAdmin, PrivescPossible, PrivescTarget}, Risk: func() []finding.Finding { return PrivescFindings(an) }})
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Severity.String()+" "+f.RuleID+" "+f.Title)
	}
	want := []string{
		"high SEIRI-PRIVESC-ADMIN User dev can become administrator in 1 step (iam:PutUserPolicy)",
		"high SEIRI-PRIVESC-TARGET User ci can reach arn:aws:iam::111111111111:role/fn-admin in 1 step (lambda:UpdateFunctionCode), if the resources exist",
		"medium SEIRI-PRIVESC-POSSIBLE User ci can become administrator in 1 step (lambda:UpdateFunctionCode)",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	wantEv := []finding.Evidence{
		{Name: "step 1 (iam-put-user-policy)", Value: "Write an inline policy on the user: arn:aws:iam::111111111111:user/dev → arn:aws:iam::111111111111:user/dev; iam:PutUserPolicy on arn:aws:iam::111111111111:user/dev allowed by user dev inline self statement 0 (Self)"},
		{Name: "method described in", Value: "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/ (method 11)"},
	}
	if d := cmp.Diff(wantEv, rep.Findings[0].Evidence); d != "" {
		t.Errorf("evidence (-want +got):\n%s", d)
	}
	// A disabled rule drops its findings.
	c := cfg()
	c.Disabled = []string{PrivescPossible, PrivescTarget}
	rep = RunWith(s, c, now, Options{Only: []string{PrivescAdmin, PrivescPossible, PrivescTarget}, Risk: func() []finding.Finding { return PrivescFindings(an) }})
	if len(rep.Findings) != 1 || rep.Findings[0].RuleID != PrivescAdmin {
		t.Errorf("with rules disabled: %+v", rep.Findings)
	}
}

package policy

import (
	"strings"
	"testing"
)

func TestCaseFieldErrors(t *testing.T) {
	const req = `"request":{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::b/k"}`
	const allow = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	for _, tc := range []struct{ name, line, errHas, decision string }{
		{"unknown top-level field", `{"id":"x",` + req + `,"vpcEndpointPolicy":[]}`, `unknown case field "vpcEndpointPolicy"`, ""},
		{"unknown request field", `{"id":"x","request":{"principal":"anonymous","action":"s3:GetObject","resource":"*","contexts":{}}}`, `request: unknown field "contexts"`, ""},
		{"session policy on an IAM user", `{"id":"x",` + req + `,"identityPolicies":[` + allow + `],"sessionPolicy":` + allow + `}`, "a user request has no session policy", ""},
		{"bad expected", `{"id":"x",` + req + `,"expected":"Deny"}`, `"expected" must be`, ""},
		{"vpc endpoint policy denies", `{"id":"x",` + req + `,"identityPolicies":[` + allow + `],"vpcEndpointPolicies":[{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*"}}]}`, "", "ImplicitDeny"},
		{"vpc endpoint policy allows", `{"id":"x",` + req + `,"identityPolicies":[` + allow + `],"vpcEndpointPolicies":[{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}]}`, "", "Allow"},
		{"session policy on a role session", `{"id":"x","request":{"principal":"arn:aws:sts::111122223333:assumed-role/r/s","action":"s3:GetObject","resource":"arn:aws:s3:::b/k"},"identityPolicies":[` + allow + `],"sessionPolicy":` + allow + `,"tags":["a"]}`, "", "Allow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cr := RunCase([]byte(tc.line), 3, nil)
			if tc.errHas != "" {
				if cr.Err == nil || !strings.Contains(cr.Err.Error(), tc.errHas) || !strings.HasPrefix(cr.Err.Error(), "line 3") {
					t.Fatalf("error = %v, want one on line 3 containing %q", cr.Err, tc.errHas)
				}
				return
			}
			if cr.Err != nil {
				t.Fatal(cr.Err)
			}
			if cr.Decision.String() != tc.decision {
				t.Errorf("decision %v (%s), want %s", cr.Decision, cr.Result.Explain().Message, tc.decision)
			}
		})
	}
}

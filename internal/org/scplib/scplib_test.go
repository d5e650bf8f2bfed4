package scplib

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sampleValues are parameters that satisfy every library policy.
var sampleValues = map[string]Values{
	AllowedRegions:   {"regions": {"eu-west-1", "eu-central-1"}},
	ProtectRoles:     {"roles": {"OrganizationAccountAccessRole", "break-glass"}},
	SuspendedDenyAll: {"break_glass_roles": {"break-glass"}},
}

func render(t *testing.T, name string, v Values) Document {
	t.Helper()
	p, ok := Get(name)
	if !ok {
		t.Fatalf("library has no %q", name)
	}
	out, err := p.Render(v)
	if err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, out); err != nil {
		t.Fatalf("render %s: invalid JSON: %v", name, err)
	}
	if !bytes.Equal(compact.Bytes(), out) {
		t.Errorf("render %s: not minified", name)
	}
	// Old SCP limit: the library stays within it so it also fits orgs
	// whose quota was not raised.
	if len(out) > 5120 {
		t.Errorf("render %s: %d characters, over 5,120", name, len(out))
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	if d.Version != "2012-10-17" || len(d.Statement) == 0 {
		t.Errorf("render %s: version %q, %d statements", name, d.Version, len(d.Statement))
	}
	for _, s := range d.Statement {
		if s.Effect != "Deny" {
			t.Errorf("render %s: statement %s is %s; library SCPs only deny", name, s.Sid, s.Effect)
		}
		if s.Sid == "" || s.Resource == nil || (s.Action == nil) == (s.NotAction == nil) {
			t.Errorf("render %s: malformed statement %+v", name, s)
		}
	}
	return d
}

func TestEveryPolicyRenders(t *testing.T) {
	if len(All()) != 8 {
		t.Errorf("library has %d policies, want 8", len(All()))
	}
	for _, p := range All() {
		t.Run(p.Name, func(t *testing.T) {
			if p.Description == "" || p.Doc == "" || p.Type != SCP {
				t.Errorf("incomplete metadata: %+v", p)
			}
			render(t, p.Name, sampleValues[p.Name])
		})
	}
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

func TestAllowedRegions(t *testing.T) {
	d := render(t, AllowedRegions, Values{"regions": {"eu-west-1"}, "exempt_actions": {"bedrock:InvokeModel"}, "admin_roles": {"platform-admin"}})
	s := d.Statement[0]
	na := strs(s.NotAction)
	for _, must := range []string{"iam:*", "organizations:*", "route53:*", "cloudfront:*", "support:*", "sts:*", "bedrock:InvokeModel"} {
		if !contains(na, must) {
			t.Errorf("NotAction lacks %s", must)
		}
	}
	if contains(na, "ec2:*") || contains(na, "s3:*") {
		t.Errorf("regional services exempted: %v", na)
	}
	if diff := cmp.Diff([]string{"eu-west-1"}, strs(s.Condition["StringNotEquals"]["aws:RequestedRegion"])); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	if got := strs(s.Condition["ArnNotLike"]["aws:PrincipalARN"]); !cmp.Equal(got, []string{"arn:*:iam::*:role/platform-admin"}) {
		t.Errorf("exemption = %v", got)
	}
}

func TestSuspendedDenyAllExemptsBreakGlass(t *testing.T) {
	d := render(t, SuspendedDenyAll, Values{"break_glass_roles": {"break-glass", "arn:aws:iam::111111111111:role/audit"}})
	s := d.Statement[0]
	if strs(s.Action)[0] != "*" || strs(s.Resource)[0] != "*" {
		t.Errorf("not a deny-all: %+v", s)
	}
	want := []string{"arn:*:iam::*:role/break-glass", "arn:aws:iam::111111111111:role/audit"}
	if diff := cmp.Diff(want, strs(s.Condition["ArnNotLike"]["aws:PrincipalARN"])); diff != "" {
		t.Errorf("exemption (-want +got):\n%s", diff)
	}
}

func TestProtectRolesAndBuckets(t *testing.T) {
	d := render(t, ProtectRoles, Values{"roles": {"break-glass"}})
	if got := strs(d.Statement[0].Resource); !cmp.Equal(got, []string{"arn:*:iam::*:role/break-glass"}) {
		t.Errorf("resource = %v", got)
	}
	if !contains(strs(d.Statement[0].Action), "iam:DeleteRole") || !contains(strs(d.Statement[0].Action), "iam:UpdateAssumeRolePolicy") {
		t.Errorf("actions = %v", d.Statement[0].Action)
	}
	d = render(t, ProtectSecurityServices, Values{"trail_buckets": {"org-trail-logs"}, "admin_roles": {"security-admin"}})
	last := d.Statement[len(d.Statement)-1]
	if last.Sid != "ProtectTrailBuckets" || !cmp.Equal(strs(last.Resource), []string{"arn:*:s3:::org-trail-logs", "arn:*:s3:::org-trail-logs/*"}) {
		t.Errorf("bucket statement = %+v", last)
	}
	var sids []string
	for _, s := range d.Statement {
		sids = append(sids, s.Sid)
		if s.Condition["ArnNotLike"] == nil {
			t.Errorf("%s: admin role not exempted", s.Sid)
		}
	}
	want := []string{"ProtectCloudTrail", "ProtectConfig", "ProtectGuardDuty", "ProtectSecurityHub", "ProtectAccessAnalyzer", "ProtectTrailBuckets"}
	if diff := cmp.Diff(want, sids); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
}

func TestRequireIMDSv2(t *testing.T) {
	d := render(t, RequireIMDSv2, Values{"max_hop_limit": {"1"}})
	if got := d.Statement[0].Condition["StringNotEquals"]["ec2:MetadataHttpTokens"]; got != "required" {
		t.Errorf("tokens condition = %v", got)
	}
	if got := d.Statement[1].Condition["NumericGreaterThan"]["ec2:MetadataHttpPutResponseHopLimit"]; got != "1" {
		t.Errorf("hop limit = %v", got)
	}
}

func TestParamErrors(t *testing.T) {
	tests := []struct {
		policy string
		v      Values
		want   string
	}{
		{AllowedRegions, Values{}, `parameter "regions": required`},
		{AllowedRegions, Values{"regions": {"mars-1"}}, `"mars-1": not a valid region`},
		{AllowedRegions, Values{"regions": {"eu-west-1", "eu-west-1"}}, "given twice"},
		{AllowedRegions, Values{"regions": {"eu-west-1"}, "region": {"x"}}, `parameter "region": unknown parameter (known: regions, exempt_actions, admin_roles)`},
		{DenyLeaveOrganization, Values{"x": {"y"}}, "the policy takes none"},
		{ProtectRoles, Values{"roles": {`a"b`}}, "not a valid role"},
		{RequireIMDSv2, Values{"max_hop_limit": {"1", "2"}}, "takes one value"},
		{AllowedRegions, Values{"regions": {"eu-west-1"}, "exempt_actions": {"*"}}, "not a valid action"},
	}
	for _, tt := range tests {
		p, _ := Get(tt.policy)
		_, err := p.Render(tt.v)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: error %v, want %q", tt.policy, tt.v, err, tt.want)
		}
	}
}

func TestParseAssignments(t *testing.T) {
	v, err := ParseAssignments([]string{"regions=eu-west-1, eu-central-1", "regions=us-east-1", "admin_roles="})
	if err != nil {
		t.Fatal(err)
	}
	want := Values{"regions": {"eu-west-1", "eu-central-1", "us-east-1"}, "admin_roles": nil}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ParseAssignments([]string{"novalue"}); err == nil {
		t.Error("want error for an argument without =")
	}
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

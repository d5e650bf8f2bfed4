package sso_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/sso"
)

var demoNow = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

func demoPlan(t *testing.T) *sso.Plan {
	t.Helper()
	org := demo.Generate(demoNow, demo.Seed)
	p, err := sso.Build(org.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDemoPlan(t *testing.T) {
	p := demoPlan(t)
	byName := map[string]sso.PermissionSet{}
	for _, ps := range p.PermissionSets {
		byName[ps.FromGroup] = ps
		if len(ps.Name) > sso.MaxNameLen || len(ps.Managed) > sso.MaxManagedPolicies {
			t.Errorf("permission set %s over the limits", ps.Name)
		}
		if len(ps.Inline) > 0 {
			for _, is := range policy.Validate(ps.Inline, policy.TypeIdentity, catalog.Embedded()) {
				if is.Severity == policy.SevError {
					t.Errorf("%s inline: %s %s", ps.Name, is.Code, is.Message)
				}
			}
		}
	}
	// Groups nobody is in (legacy-admins) and groups without policies
	// (new-hires) give no permission set.
	for _, g := range []string{"legacy-admins", "new-hires"} {
		if _, ok := byName[g]; ok {
			t.Errorf("permission set for %s", g)
		}
	}
	if d := cmp.Diff([]string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, byName["readonly"].Managed); d != "" {
		t.Errorf("readonly managed (-want +got):\n%s", d)
	}
	// payments-developers uses a customer managed policy: inlined.
	if !strings.Contains(string(byName["payments-developers"].Inline), "dynamodb") {
		t.Errorf("payments-developers inline: %s", byName["payments-developers"].Inline)
	}
	var accts []string
	for _, a := range p.Assignments {
		if a.Group == "payments-developers" {
			accts = append(accts, a.Account)
		}
	}
	if d := cmp.Diff([]string{"555555555555", "666666666666"}, accts); d != "" {
		t.Errorf("payments-developers accounts (-want +got):\n%s", d)
	}
	steps := map[string]sso.UserStep{}
	for _, u := range p.Users {
		steps[u.Account+"/"+u.IAMUser] = u
	}
	maria := steps[demo.ManagementAccount+"/maria.schneider"]
	if !maria.Retire || len(maria.Groups) != 9 {
		t.Errorf("maria: %+v", maria)
	}
	if ci := steps["555555555555/ci-deployer"]; ci.Retire || len(ci.Blockers) == 0 {
		t.Errorf("ci-deployer should not move to Identity Center: %+v", ci)
	}
}

func TestTerraformParses(t *testing.T) {
	p := demoPlan(t)
	// A name with template introducers and quotes must stay text.
	p.PermissionSets[0].Description = `a "quoted" ${var.x} %{if} \ name`
	var buf bytes.Buffer
	if err := p.WriteTerraform(&buf); err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(buf.Bytes(), "sso.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("terraform does not parse: %s", diags.Error())
	}
	body := f.Body.(*hclsyntax.Body)
	count := map[string]int{}
	for _, b := range body.Blocks {
		if len(b.Labels) > 0 {
			count[b.Type+"."+b.Labels[0]]++
		}
		if b.Type == "resource" && b.Labels[0] == "aws_ssoadmin_permission_set" && b.Labels[1] == "ps_"+strings.ReplaceAll(p.PermissionSets[0].Name, "-", "_") {
			v, d := b.Body.Attributes["description"].Expr.Value(nil)
			if d.HasErrors() || v.AsString() != p.PermissionSets[0].Description {
				t.Errorf("description round trip: %v %v", v, d)
			}
		}
		if b.Type == "resource" && b.Labels[0] == "aws_ssoadmin_permission_set_inline_policy" {
			v, d := b.Body.Attributes["inline_policy"].Expr.Value(nil)
			if d.HasErrors() || !json.Valid([]byte(v.AsString())) {
				t.Errorf("inline policy is not JSON after HCL decoding: %v", d)
			}
		}
	}
	inline := 0
	managed := 0
	for _, ps := range p.PermissionSets {
		managed += len(ps.Managed)
		if len(ps.Inline) > 0 {
			inline++
		}
	}
	want := map[string]int{
		"resource.aws_ssoadmin_permission_set":               len(p.PermissionSets),
		"resource.aws_ssoadmin_managed_policy_attachment":    managed,
		"resource.aws_ssoadmin_permission_set_inline_policy": inline,
		"resource.aws_ssoadmin_account_assignment":           len(p.Assignments),
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d blocks, want %d", k, count[k], n)
		}
	}
}

func TestLimits(t *testing.T) {
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["` + strings.Repeat("s3:GetObject\",\"", 900) + `s3:GetObject"],"Resource":"*"}]}`
	long := strings.Repeat("a", 40)
	a := &snapshot.Account{AccountID: "123456789012",
		Groups: []snapshot.Group{{GroupName: long, InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "p", Document: json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)}}},
			{GroupName: "huge", InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "p", Document: json.RawMessage(big)}}}},
		Users: []snapshot.User{{UserName: "u", Groups: []string{long}}},
	}
	p, err := sso.Build([]*snapshot.Account{a})
	if err != nil {
		t.Fatal(err) // huge has no members: skipped
	}
	if n := p.PermissionSets[0].Name; len(n) > sso.MaxNameLen || !strings.HasPrefix(n, "aaaa") {
		t.Errorf("long name %q", n)
	}
	a.Users[0].Groups = append(a.Users[0].Groups, "huge")
	if _, err := sso.Build([]*snapshot.Account{a}); err == nil || !strings.Contains(err.Error(), "group huge") || !strings.Contains(err.Error(), "10240") {
		t.Errorf("oversized inline policy: %v", err)
	}
}

func TestSummarizeOUs(t *testing.T) {
	org := demo.Generate(demoNow, demo.Seed)
	p, err := sso.Build(org.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	p.SummarizeOUs(org.Organization)
	got := map[string][]string{}
	for _, o := range p.OUs {
		got[o.Group] = append(got[o.Group], o.OUName)
	}
	if d := cmp.Diff([]string{"Infrastructure", "Prod", "SDLC"}, got["readonly"]); d != "" {
		t.Errorf("readonly OUs (-want +got):\n%s", d)
	}
	if _, ok := got["billing"]; ok {
		t.Errorf("billing is only in the management account (no OU): %v", got["billing"])
	}
	p.SummarizeOUs(nil)
	if p.OUs != nil {
		t.Error("no organization: no OU summary")
	}
}

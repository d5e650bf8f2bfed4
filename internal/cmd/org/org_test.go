package org

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/org"
)

func TestOrgInitValidate(t *testing.T) {
	dir := orgDir(t)
	if _, errOut, code := runOrg(t, dir, "org", "init", "--template", "aws-multi-account"); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	out, errOut, code := runOrg(t, dir, "org", "validate")
	if code != 0 || !strings.Contains(out, "org.yaml is valid: 12 OUs") {
		t.Fatalf("validate: %d %q %s", code, out, errOut)
	}
	if _, errOut, code := runOrg(t, dir, "org", "init"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "exists") {
		t.Errorf("init over an existing file: %d %s", code, errOut)
	}
	if _, errOut, code := runOrg(t, dir, "org", "init", "--template", "nope", "--out", "x.yaml"); code != cmdutil.ExitUsage || !strings.Contains(errOut, `unknown template "nope"`) {
		t.Errorf("unknown template: %d %s", code, errOut)
	}
	// A broken spec: exit 2 with line and column, JSON problems on request.
	data, _ := os.ReadFile(filepath.Join(dir, "org.yaml"))
	bad := strings.Replace(string(data), `"deny-root-user", `, `"deny-root-usr", `, 1)
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o600)
	_, errOut, code = runOrg(t, dir, "org", "validate", "bad.yaml")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, `bad.yaml:8:58`) || !strings.Contains(errOut, `unknown policy "deny-root-usr"`) {
		t.Errorf("bad spec: %d %s", code, errOut)
	}
	out, _, _ = runOrg(t, dir, "-o", "json", "org", "validate", "bad.yaml")
	var res struct {
		Valid    bool
		Problems []org.Problem
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Valid || len(res.Problems) != 1 || res.Problems[0].Line != 8 {
		t.Errorf("json problems: %v %+v", err, res)
	}
}

func TestOrgImportPlanRoundTrip(t *testing.T) {
	dir := orgDir(t)
	if _, errOut, code := runOrg(t, dir, "org", "import"); code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	out, errOut, code := runOrg(t, dir, "org", "plan")
	if code != 0 || !strings.HasPrefix(out, "No changes.") {
		t.Fatalf("plan after import: %d\n%s%s", code, out, errOut)
	}
	// Edit: rename Security → SecOps (create, attach, move, detach, delete)
	// and drop the tag policy's attachment to the root.
	data, _ := os.ReadFile(filepath.Join(dir, "org.yaml"))
	spec := strings.Replace(string(data), `- name: "Security"`, `- name: "SecOps"`, 1)
	spec = strings.Replace(spec, `, "cost-center-tags"`, ``, 1)
	os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(spec), 0o600)
	out, errOut, code = runOrg(t, dir, "org", "plan", "--out", "plan.json")
	if code != 0 {
		t.Fatalf("plan: %d %s", code, errOut)
	}
	for _, want := range []string{"+   1. create OU SecOps", `attach SCP "protect-security-services" to OU SecOps`, "from OU Security to OU SecOps",
		`detach TAG "cost-center-tags" from root`, "- ", "delete OU Security (empty)", "\nPlan: 2 to add, "} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(out), "to destroy.") {
		t.Errorf("summary is not last:\n%s", out)
	}
	p, err := org.LoadPlan(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.BaseFingerprint, "sha256:") || len(p.Changes) < 4 || p.Changes[0].Kind() != org.KindCreateOU {
		t.Errorf("saved plan: %+v", p)
	}
}

func TestOrgSchema(t *testing.T) {
	out, _, code := runOrg(t, t.TempDir(), "org", "schema")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || !strings.Contains(out, `"suspended-deny-all"`) {
		t.Errorf("schema: %d %s", code, out)
	}
}

// A too-large SCP is reported once, against the limit seiri.yaml sets.
func TestOrgValidateTooLargeOnce(t *testing.T) {
	dir := orgDir(t)
	if err := os.WriteFile(filepath.Join(dir, "seiri.yaml"), []byte("org:\n  limits:\n    scp_size: 5120\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runOrg(t, dir, "org", "init", "--template", "aws-multi-account"); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	big := `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("x", 11000) + `","Effect":"Deny","Action":"ec2:*","Resource":"*"}]}`
	editSpec(t, dir, func(sp *org.Spec) {
		sp.Policies = append(sp.Policies, org.Policy{Name: "big", Content: big})
		sp.Root.Policies = append(sp.Root.Policies, "big")
	})
	_, errOut, code := runOrg(t, dir, "org", "validate")
	if code != cmdutil.ExitUsage {
		t.Fatalf("validate: exit %d\n%s", code, errOut)
	}
	if n := strings.Count(errOut, `policy "big"`); n != 1 || !strings.Contains(errOut, "over the scp limit of 5120") || strings.Contains(errOut, "10240") {
		t.Errorf("want one size problem naming 5120:\n%s", errOut)
	}
}

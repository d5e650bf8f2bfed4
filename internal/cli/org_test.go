package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/org"
)

// runOrg runs the command tree in dir with a workspace under it.
func runOrg(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := NewFactory(&IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	f.Now = func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	root := NewRootCmd(f)
	root.SetArgs(append([]string{"--workspace", filepath.Join(dir, ".seiri"), "--config", filepath.Join(dir, "seiri.yaml")}, args...))
	root.SetOut(&out)
	root.SetErr(&errOut)
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	err := root.Execute()
	code = exitCode(f.IO, err)
	return out.String(), errOut.String(), code
}

func orgDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "seiri.yaml"), []byte("org:\n  limits:\n    scps_per_target: 10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := demo.Generate(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), 1)
	if err := os.MkdirAll(filepath.Join(dir, ".seiri", "snapshots"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := o.WriteSnapshot(filepath.Join(dir, ".seiri", "snapshots")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOrgInitValidate(t *testing.T) {
	dir := orgDir(t)
	if _, errOut, code := runOrg(t, dir, "org", "init", "--template", "aws-multi-account"); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	out, errOut, code := runOrg(t, dir, "org", "validate")
	if code != 0 || !strings.Contains(out, "org.yaml is valid: 12 OUs") {
		t.Fatalf("validate: %d %q %s", code, out, errOut)
	}
	if _, errOut, code := runOrg(t, dir, "org", "init"); code != ExitUsage || !strings.Contains(errOut, "exists") {
		t.Errorf("init over an existing file: %d %s", code, errOut)
	}
	if _, errOut, code := runOrg(t, dir, "org", "init", "--template", "nope", "--out", "x.yaml"); code != ExitUsage || !strings.Contains(errOut, `unknown template "nope"`) {
		t.Errorf("unknown template: %d %s", code, errOut)
	}
	// A broken spec: exit 2 with line and column, JSON problems on request.
	data, _ := os.ReadFile(filepath.Join(dir, "org.yaml"))
	bad := strings.Replace(string(data), `"deny-root-user", `, `"deny-root-usr", `, 1)
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o600)
	_, errOut, code = runOrg(t, dir, "org", "validate", "bad.yaml")
	if code != ExitUsage || !strings.Contains(errOut, `bad.yaml:8:58:`) || !strings.Contains(errOut, `unknown policy "deny-root-usr"`) {
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
	raw, err := os.ReadFile(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p org.Plan
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.BaseFingerprint, "sha256:") || len(p.Changes) < 4 || p.Changes[0].Kind() != org.KindCreateOU {
		t.Errorf("saved plan: %+v", p)
	}
}

func TestScpCommands(t *testing.T) {
	dir := orgDir(t)
	out, _, code := runOrg(t, dir, "scp", "render", "suspended-deny-all", "--param", "break_glass_roles=break-glass")
	if code != 0 || strings.TrimSpace(out) != `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAllButBreakGlass","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalARN":"arn:*:iam::*:role/break-glass"}}}]}` {
		t.Errorf("render: %d %s", code, out)
	}
	_, errOut, code := runOrg(t, dir, "scp", "render", "allowed-regions")
	if code != ExitUsage || !strings.Contains(errOut, `parameter "regions": required`) {
		t.Errorf("missing param: %d %s", code, errOut)
	}
	_, errOut, code = runOrg(t, dir, "scp", "show", "nope")
	if code != ExitUsage || !strings.Contains(errOut, `no library policy "nope"`) {
		t.Errorf("show unknown: %d %s", code, errOut)
	}
	out, _, code = runOrg(t, dir, "scp", "show", "allowed-regions")
	if code != 0 || !strings.Contains(out, "regions") || !strings.Contains(out, "Denies access to AWS based on the requested Region") {
		t.Errorf("show: %d %s", code, out)
	}
	out, _, code = runOrg(t, dir, "scp", "list")
	if code != 0 || strings.Count(out, "\n") != 9 {
		t.Errorf("list: %d %s", code, out)
	}
	OrgPolicyValidator = func(doc []byte, kind string) error { return errors.New("engine rejects " + kind) }
	defer func() { OrgPolicyValidator = nil }()
	_, errOut, code = runOrg(t, dir, "scp", "render", "deny-root-user")
	if code != ExitUsage || !strings.Contains(errOut, "engine rejects scp") {
		t.Errorf("validator hook: %d %s", code, errOut)
	}
}

func TestOrgSchema(t *testing.T) {
	out, _, code := runOrg(t, t.TempDir(), "org", "schema")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || !strings.Contains(out, `"suspended-deny-all"`) {
		t.Errorf("schema: %d %s", code, out)
	}
}

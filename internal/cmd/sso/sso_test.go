package sso

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

func TestSSOPlanCommand(t *testing.T) {
	ws, _ := groupsDemoWorkspace(t)
	out, errOut, code := groupsRun(t, nil, ws, "sso", "plan")
	if code != 0 || !strings.Contains(out, "21 permission sets, 50 assignments") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	tf := filepath.Join(t.TempDir(), "sso.tf")
	_, errOut, code = groupsRun(t, nil, ws, "sso", "plan", "--format", "terraform", "--out", tf)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(tf)
	if err != nil {
		t.Fatal(err)
	}
	if _, diags := hclsyntax.ParseConfig(b, "sso.tf", hcl.InitialPos); diags.HasErrors() {
		t.Errorf("terraform: %s", diags.Error())
	}
	// From the proposed model: the new group and fewer memberships.
	out, errOut, code = groupsRun(t, nil, ws, "sso", "plan", "--proposed", "--format", "json")
	var p struct {
		Snapshot       string
		PermissionSets []struct{ FromGroup string }
		Users          []struct {
			IAMUser string   `json:"iamUser"`
			Groups  []string `json:"identityCenterGroups"`
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil {
		t.Fatalf("--proposed: exit %d %s", code, errOut)
	}
	// The plan names its snapshot (JSON) and, built from the proposed group
	// model, the usage it had (stderr): none in this workspace.
	if p.Snapshot != "20261129T000000Z" || !strings.HasPrefix(errOut, "snapshot 20261129T000000Z: collected") || !strings.Contains(errOut, "\nno usage store "+filepath.Join(ws, "usage.db")+": unused-permission checks skipped") {
		t.Errorf("--proposed: snapshot %q, stderr:\n%s", p.Snapshot, errOut)
	}
	found := false
	for _, ps := range p.PermissionSets {
		found = found || ps.FromGroup == "with-AmazonS3FullAccess"
	}
	for _, u := range p.Users {
		if u.IAMUser == "maria.schneider" && len(u.Groups) != 4 {
			t.Errorf("maria in the proposed model: %v", u.Groups)
		}
	}
	if !found {
		t.Errorf("no permission set for the proposed group with-AmazonS3FullAccess")
	}
	if fi, _ := os.Stat(tf); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
}

// TestSSOBadInput: an unknown --format, or an --output sso plan does not
// write, is bad input (exit 2) naming the value — never a silent summary.
func TestSSOBadInput(t *testing.T) {
	ws, _ := groupsDemoWorkspace(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sso", "plan", "--format", "yaml"}, `--format "yaml": want summary, json or terraform`},
		{[]string{"sso", "plan", "--output", "html"}, "--output html: sso plan writes table or json"},
	} {
		out, errOut, code := groupsRun(t, nil, ws, c.args...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
}

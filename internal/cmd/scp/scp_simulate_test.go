package scp

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/usage"
)

func TestScpSimulate(t *testing.T) {
	dir := orgDir(t)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	o := demo.Generate(now, 1).Organization
	st, err := org.FromSnapshot(o)
	if err != nil {
		t.Fatal(err)
	}
	var prod string
	for id, a := range st.Accounts {
		if a.Parent == "Workloads/Prod" && (prod == "" || id < prod) {
			prod = id
		}
	}
	mgmt := o.ManagementAccount
	store, err := usage.Open(context.Background(), filepath.Join(dir, ".seiri", "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	row := func(acct, principal, action, region string, n int64, age time.Duration) usage.Row {
		return usage.Row{Key: usage.Key{Account: acct, Principal: principal, PrincipalType: "AssumedRole", Action: action, Region: region},
			Count: n, Authz: true, FirstSeen: now.Add(-age), LastSeen: now.Add(-age)}
	}
	ci := "arn:aws:iam::" + prod + ":role/ci-deployer"
	if err := store.Upsert(context.Background(), []usage.Row{
		row(prod, ci, "ec2:RunInstances", "eu-west-3", 412, time.Hour),
		row(prod, ci, "ec2:RunInstances", "eu-west-1", 40, time.Hour),
		row(prod, ci, "ec2:TerminateInstances", "ap-south-1", 5, 60*24*time.Hour), // outside the 30-day window
		row(mgmt, "arn:aws:iam::"+mgmt+":role/admin", "ec2:RunInstances", "eu-west-3", 7, time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	pol := `{"Version":"2012-10-17","Statement":[{"Sid":"Regions","Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`
	if err := os.WriteFile(filepath.Join(dir, "regions.json"), []byte(pol), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"Workloads", "root"} {
		out, errOut, code := runOrg(t, dir, "scp", "simulate", "--policy", "regions.json", "--target", target)
		if code != 0 || !strings.Contains(out, "would newly deny 412 calls by 1 principal(s) in 1 account(s) (top: ci-deployer ec2:RunInstances in eu-west-3 ×412)") {
			t.Errorf("simulate on %s: %d\n%s%s", target, code, out, errOut)
		}
		if !strings.Contains(out, `SCP "draft:regions.json" Regions`) {
			t.Errorf("denying statement not named:\n%s", out)
		}
	}
	out, errOut, code := runOrg(t, dir, "--output", "json", "scp", "simulate", "--policy", "regions.json", "--target", "Security")
	var im org.Impact
	if code != 0 || json.Unmarshal([]byte(out), &im) != nil || im.NewlyDenied != 0 || len(im.AffectedAccounts) == 0 {
		t.Errorf("simulate on Security: %d %s %s", code, out, errOut)
	}
	// suggest: a service-deny SCP that denies nothing recorded.
	out, errOut, code = runOrg(t, dir, "scp", "suggest", "--target", "Workloads")
	if code != 0 || !strings.Contains(out, "would newly deny nothing") || !strings.Contains(out, "leaves open 9 service(s): account, ec2, health, iam,") ||
		!strings.Contains(out, `"NotAction":["account:*","ec2:*"`) {
		t.Errorf("suggest: %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := runOrg(t, dir, "scp", "suggest", "--target", "Security"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "no recorded usage") {
		t.Errorf("suggest without usage: %d %s", code, errOut)
	}
	// org plan shows the same impact for the policy in a spec.
	if _, errOut, code := runOrg(t, dir, "org", "import"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	editSpec(t, dir, func(sp *org.Spec) {
		sp.Policies = append(sp.Policies, org.Policy{Name: "regions", Content: pol})
		for i := range sp.Root.OUs {
			if sp.Root.OUs[i].Name == "Workloads" {
				sp.Root.OUs[i].Policies = append([]string{org.FullAWSAccess}, "regions")
			}
		}
	})
	out, errOut, code = runOrg(t, dir, "org", "plan")
	if code != 0 || !strings.Contains(out, `attach SCP "regions" to OU Workloads`) || !strings.Contains(out, "impact: would newly deny 412 calls") {
		t.Errorf("org plan: %d\n%s%s", code, out, errOut)
	}
	for _, bad := range [][]string{
		{"--policy", "regions.json", "--target", "Nope"},
		{"--policy", "missing.json", "--target", "root"},
		{"--policy", "regions.json"},
	} {
		if _, _, code := runOrg(t, dir, append([]string{"scp", "simulate"}, bad...)...); code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

func TestScpCommands(t *testing.T) {
	dir := orgDir(t)
	out, _, code := runOrg(t, dir, "scp", "render", "suspended-deny-all", "--param", "break_glass_roles=break-glass")
	if code != 0 || strings.TrimSpace(out) != `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAllButBreakGlass","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalARN":"arn:*:iam::*:role/break-glass"}}}]}` {
		t.Errorf("render: %d %s", code, out)
	}
	_, errOut, code := runOrg(t, dir, "scp", "render", "allowed-regions")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, `parameter "regions": required`) {
		t.Errorf("missing param: %d %s", code, errOut)
	}
	_, errOut, code = runOrg(t, dir, "scp", "show", "nope")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, `no library policy "nope"`) {
		t.Errorf("show unknown: %d %s", code, errOut)
	}
	out, _, code = runOrg(t, dir, "scp", "show", "allowed-regions")
	if code != 0 || !strings.Contains(out, "regions") || !strings.Contains(out, "Denies access to AWS based on the requested Region") {
		t.Errorf("show: %d %s", code, out)
	}
	out, _, code = runOrg(t, dir, "scp", "list")
	rows := 0 // a description longer than the terminal wraps on indented lines
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(l, " ") {
			rows++
		}
	}
	if code != 0 || rows != 9 {
		t.Errorf("list: %d %s", code, out)
	}
}

// TestScpSimulateUsesRefreshedCatalog: the draft is checked against the
// catalog in force in the workspace (seiri catalog update), not the embedded
// one: an action that only the refreshed catalog knows passes there and is
// an error without it.
func TestScpSimulateUsesRefreshedCatalog(t *testing.T) {
	dir := orgDir(t)
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:FrobnicateWidget","Resource":"*"}]}`
	if err := os.WriteFile(filepath.Join(dir, "draft.json"), []byte(pol), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runOrg(t, dir, "scp", "simulate", "--policy", "draft.json", "--target", "root")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, `action "s3:FrobnicateWidget" does not exist in the IAM catalog`) {
		t.Fatalf("embedded catalog: exit %d, stderr %q; want 2 and the unknown action", code, errOut)
	}
	cmdtest.RefreshCatalog(t, filepath.Join(dir, ".seiri"), "s3", `{"Name": "s3", "Actions": [
  {"Name": "FrobnicateWidget", "Annotations": {"Properties": {"IsWrite": true}}}]}`)
	_, errOut, code = runOrg(t, dir, "scp", "simulate", "--policy", "draft.json", "--target", "root")
	if strings.Contains(errOut, "does not exist in the IAM catalog") {
		t.Fatalf("refreshed catalog ignored: exit %d, stderr %q", code, errOut)
	}
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "no usage store in the workspace") {
		t.Errorf("refreshed catalog: exit %d, stderr %q; want the draft accepted and the missing usage store reported", code, errOut)
	}
}

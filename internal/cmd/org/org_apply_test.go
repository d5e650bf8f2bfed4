package org

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/plan"
)

// runOrgFake runs the command tree in dir against the Organizations fake.
func runOrgFake(t *testing.T, fake *awsfake.Server, dir string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	f.Context = context.Background()
	now := orgFakeNow
	f.Now = func() time.Time { return now }
	f.Globals.AWS.Credentials = fake.Credentials()
	f.Globals.AWS.RetryMode = aws.RetryModeStandard
	f.Globals.AWS.MaxBackoff = time.Millisecond
	root := testRoot(f)
	root.SetArgs(append(args, "--workspace", filepath.Join(dir, ".seiri"), "--config", filepath.Join(dir, "seiri.yaml"), "--endpoint-url", fake.URL))
	root.SetOut(&out)
	root.SetErr(&errOut)
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	code := cmdutil.ExitCode(f.IO, root.Execute())
	return out.String(), errOut.String(), code
}

// orgFakeNow is the clock of runOrgFake.
var orgFakeNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func TestOrgApplyCommand(t *testing.T) {
	cmdtest.IsolateAWS(t)
	orgApplyTiming.Backoff, orgApplyTiming.Poll = time.Millisecond, time.Millisecond
	dir := orgDir(t)
	fake := awsfake.New(awsfake.Scenario{Organization: demo.Generate(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), 1).Organization})
	defer fake.Close()
	run := func(args ...string) (string, string, int) { return runOrgFake(t, fake, dir, args...) }

	if _, errOut, code := run("org", "import"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	editSpec(t, dir, func(sp *org.Spec) {
		sp.Root.OUs = append(sp.Root.OUs, org.OU{Name: "Lab"})
	})
	out, errOut, code := run("org", "plan", "--out", "plan.json")
	if code != 0 || !strings.Contains(out, "create OU Lab") {
		t.Fatalf("plan: %d\n%s%s", code, out, errOut)
	}
	// A plan file edited after review is refused before anything is read
	// from AWS.
	b, err := os.ReadFile(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "edited.json"), []byte(strings.Replace(string(b), `"Lab"`, `"Prod"`, -1)), 0o600)
	if _, errOut, code := run("org", "apply", "edited.json", "--yes"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "the plan file was edited after it was made [plan.file.edited]") {
		t.Fatalf("edited plan: %d %s", code, errOut)
	}
	if fake.Count("", "CreateOrganizationalUnit") != 0 {
		t.Fatal("an edited plan made calls")
	}
	// Without a terminal and without --yes nothing is applied.
	if _, errOut, code := run("org", "apply", "plan.json"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "--yes") {
		t.Fatalf("apply without --yes: %d %s", code, errOut)
	}
	out, errOut, code = run("org", "apply", "plan.json", "--yes")
	if code != 0 || !strings.Contains(out, "Applied 1, skipped 0 (already in effect), failed 0.") {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	// Twice: the journal says done, nothing is called again.
	writes := fake.Count("", "CreateOrganizationalUnit")
	out, errOut, code = run("org", "apply", "plan.json", "--yes")
	if code != 0 || !strings.Contains(out, "Applied 0, skipped 1 (already in effect)") || fake.Count("", "CreateOrganizationalUnit") != writes {
		t.Fatalf("second apply: %d\n%s%s", code, out, errOut)
	}
	// A plan made from the (now old) snapshot is stale.
	editSpec(t, dir, func(sp *org.Spec) { sp.Root.OUs = append(sp.Root.OUs, org.OU{Name: "Lab2"}) })
	if _, errOut, code := run("org", "plan", "--out", "plan2.json"); code != 0 {
		t.Fatalf("plan2: %s", errOut)
	}
	if _, errOut, code := run("org", "apply", "plan2.json", "--yes"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "changed since") {
		t.Fatalf("stale apply: %d %s", code, errOut)
	}
}

func TestOrgApplyLockoutGuard(t *testing.T) {
	cmdtest.IsolateAWS(t)
	orgApplyTiming.Backoff, orgApplyTiming.Poll = time.Millisecond, time.Millisecond
	dir := orgDir(t)
	fake := awsfake.New(awsfake.Scenario{Organization: demo.Generate(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), 1).Organization})
	defer fake.Close()
	run := func(args ...string) (string, string, int) { return runOrgFake(t, fake, dir, args...) }
	if _, errOut, code := run("org", "import"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	editSpec(t, dir, func(sp *org.Spec) {
		sp.Policies = append(sp.Policies, org.Policy{Name: "lock", Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`})
		sp.Root.Policies = append(sp.Root.Policies, "lock")
	})
	if _, errOut, code := run("org", "plan", "--out", "plan.json"); code != 0 {
		t.Fatalf("plan: %s", errOut)
	}
	_, errOut, code := run("org", "apply", "plan.json", "--yes")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "deny-all SCP to the root") {
		t.Fatalf("lockout not refused: %d %s", code, errOut)
	}
	if fake.Count("", "CreatePolicy") != 0 {
		t.Fatal("refused plan made calls")
	}
	if _, errOut, code := run("org", "apply", "plan.json", "--yes", "--force-lockout-risk"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "--reason") {
		t.Fatalf("force without reason: %d %s", code, errOut)
	}
	out, errOut, code := run("org", "apply", "plan.json", "--yes", "--force-lockout-risk", "--reason", "drill in the sandbox org")
	if code != 0 {
		t.Fatalf("forced apply: %d\n%s%s", code, out, errOut)
	}
	j, _ := os.ReadFile(filepath.Join(dir, ".seiri", "journal.jsonl"))
	if !strings.Contains(string(j), `"org.force-lockout-risk"`) || !strings.Contains(string(j), "drill in the sandbox org") {
		t.Errorf("journal lacks the override:\n%s", j)
	}
}

// The caller's own role losing organizations:* through the SCP chain of its
// (member) account is a lockout the policy engine finds.
func TestCallerLockoutRisks(t *testing.T) {
	o := demo.Generate(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), 1).Organization
	base, err := org.FromSnapshot(o)
	if err != nil {
		t.Fatal(err)
	}
	var member, ou string
	for id, a := range base.Accounts {
		if id != base.Management && a.Parent == "Infrastructure" {
			member, ou = id, a.Parent
		}
	}
	if member == "" {
		t.Fatal("no member account in Infrastructure")
	}
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:*","Resource":"*","Condition":{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/break-glass"}}}]}`
	changes := []org.Change{
		&org.CreatePolicy{Name: "no-org", Type: org.SCP, Content: deny},
		&org.AttachPolicy{PolicyName: "no-org", PolicyType: org.SCP, TargetKey: org.OUTarget(ou)},
	}
	caller := "arn:aws:sts::" + member + ":assumed-role/seiri-admin/session"
	risks, err := org.CallerLockoutRisks(base, changes, caller, member, "", org.ReplayOptions{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(risks) != 1 || risks[0].Step != 2 || !strings.Contains(risks[0].Reason, "organizations:AttachPolicy") || !strings.Contains(risks[0].Reason, `SCP "no-org"`) {
		t.Errorf("risks: %v", risks)
	}
	// The exempted break-glass role keeps access; the management account is never affected.
	if r, _ := org.CallerLockoutRisks(base, changes, "arn:aws:sts::"+member+":assumed-role/break-glass/s", member, "", org.ReplayOptions{}); len(r) != 0 {
		t.Errorf("break-glass: %v", r)
	}
	if r, _ := org.CallerLockoutRisks(base, changes, caller, base.Management, "", org.ReplayOptions{}); len(r) != 0 {
		t.Errorf("management: %v", r)
	}
}

func TestOrgStageFirstStep(t *testing.T) {
	dir := orgDir(t)
	if _, errOut, code := runOrg(t, dir, "org", "import"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	editSpec(t, dir, func(sp *org.Spec) {
		sp.Policies = append(sp.Policies, org.Policy{Name: "regions", Library: "allowed-regions", Params: map[string]any{"regions": []any{"eu-west-1"}}})
	})
	out, errOut, code := runOrg(t, dir, "org", "stage", "regions", "--target", "Workloads/Prod", "--test-account", "444444444444")
	if code != 0 {
		t.Fatalf("stage: %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"step 1 of 3 (mirror)", "create OU Policy Staging/Workloads/Prod", `attach SCP "regions" to OU Policy Staging/Workloads/Prod`, "move account 444444444444"} {
		if !strings.Contains(out, want) {
			t.Errorf("stage output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "stage-regions-1.json")); err != nil {
		t.Error(err)
	}
	j, _ := os.ReadFile(filepath.Join(dir, ".seiri", "journal.jsonl"))
	if !strings.Contains(string(j), `"org.stage"`) || !strings.Contains(string(j), "waiting period 24h0m0s") {
		t.Errorf("journal:\n%s", j)
	}
	if _, errOut, code := runOrg(t, dir, "org", "stage", "nope", "--target", "Workloads/Prod"); code != cmdutil.ExitUsage {
		t.Errorf("unknown policy: %d %s", code, errOut)
	}
}

func TestOrgReport(t *testing.T) {
	dir := orgDir(t)
	out, errOut, code := runOrg(t, dir, "org", "report")
	if code != 0 {
		t.Fatalf("report: %d %s", code, errOut)
	}
	// The report names its snapshot first.
	if first, _, _ := strings.Cut(out, "\n"); !regexp.MustCompile(`^snapshot \d{8}T\d{6}Z: collected \S+ \(demo\), \d+ accounts$`).MatchString(first) {
		t.Errorf("first line %q does not name the snapshot", first)
	}
	for _, want := range []string{"Root (r-", "  Workloads (ou-", "    Prod (ou-", "• 111111111111 acme-management (management: SCPs do not apply)",
		"SCP FullAWSAccess", "Organization-wide services", "Baseline: "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// Issue 18: the summary first, Next: last; reviewed golden.
	golden(t, "report.txt", []byte(out))
	out, _, code = runOrg(t, dir, "--output", "json", "org", "report")
	var r org.Report
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || len(r.Services) != len(org.Baseline) || r.Root == nil {
		t.Errorf("json report: %d %s", code, out)
	}
	// Issue 15: the JSON names its snapshot too.
	if !regexp.MustCompile(`^\d{8}T\d{6}Z$`).MatchString(r.Snapshot) {
		t.Errorf("json report names snapshot %q", r.Snapshot)
	}
}

func TestStageWait(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	st := &org.Stage{Step: org.StageCanary, Name: "canary", Previous: "ou:Policy Staging/Workloads/Prod"}
	es := []plan.Entry{
		{Time: at, Phase: plan.Begin, Kind: org.KindAttachPolicy, Target: st.Previous},
		{Time: at, Phase: plan.Done, Kind: org.KindAttachPolicy, Target: st.Previous},
		{Time: at.Add(20 * time.Hour), Phase: plan.Done, Kind: org.KindAttachPolicy, Target: "ou:Other"},
	}
	tests := []struct {
		name    string
		entries []plan.Entry
		now     time.Time
		wait    time.Duration
		note    string
		err     string
	}{
		{"waited", es, at.Add(25 * time.Hour), 24 * time.Hour, "", ""},
		{"too early", es, at.Add(23 * time.Hour), 24 * time.Hour, "", "run again after 2026-11-28T12:00:00Z"},
		{"no wait", es, at, 0, "", ""},
		{"not journaled", es[2:], at, 24 * time.Hour, "the waiting period is not checked", ""},
	}
	for _, tt := range tests {
		note, err := stageWait(tt.entries, st, tt.now, tt.wait)
		if !strings.Contains(note, tt.note) || (tt.note == "" && note != "") {
			t.Errorf("%s: note %q", tt.name, note)
		}
		if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.err)
		}
	}
}

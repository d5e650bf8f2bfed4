package org

import (
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/org"
)

// TestOrgApplyJSON: with -o json, org apply writes one document, the apply
// flow's report (a plan with no changes too); the plan view, the progress
// and the summary go to stderr or nowhere, never into it.
func TestOrgApplyJSON(t *testing.T) {
	cmdtest.IsolateAWS(t)
	orgApplyTiming.Backoff, orgApplyTiming.Poll = time.Millisecond, time.Millisecond
	dir := orgDir(t)
	fake := awsfake.New(awsfake.Scenario{Organization: demo.Generate(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), 1).Organization})
	defer fake.Close()
	run := func(args ...string) (string, string, int) { return runOrgFake(t, fake, dir, args...) }
	type report struct {
		SchemaVersion int
		Status        string
		Changes       []struct{ Description, Outcome string }
		Journal       string
		ExitCode      int
	}
	one := func(out string) report { t.Helper(); return cmdtest.OneJSON[report](t, out) }
	if _, errOut, code := run("org", "import"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	if _, errOut, code := run("org", "plan", "--out", "empty.json"); code != 0 {
		t.Fatalf("plan: %s", errOut)
	}
	editSpec(t, dir, func(sp *org.Spec) { sp.Root.OUs = append(sp.Root.OUs, org.OU{Name: "Lab"}) })
	if _, errOut, code := run("org", "plan", "--out", "plan.json"); code != 0 {
		t.Fatalf("plan: %s", errOut)
	}
	out, errOut, code := run("org", "apply", "plan.json", "--yes", "-o", "json")
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	r := one(out)
	if r.SchemaVersion != 1 || r.Status != "applied" || len(r.Changes) != 1 || r.Changes[0].Outcome != "applied" ||
		!strings.Contains(r.Changes[0].Description, "create OU Lab") || r.Journal == "" || r.ExitCode != 0 {
		t.Errorf("report %+v", r)
	}
	if !strings.Contains(errOut, "Applied 1, skipped 0 (already in effect), failed 0.") {
		t.Errorf("stderr lacks the summary:\n%s", errOut)
	}
	out, errOut, code = run("org", "apply", "empty.json", "-o", "json")
	if code != 0 {
		t.Fatalf("empty plan: exit %d\n%s%s", code, out, errOut)
	}
	if r := one(out); r.Status != "no-changes" || len(r.Changes) != 0 {
		t.Errorf("empty plan report %+v", r)
	}
}

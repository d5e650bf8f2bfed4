package org

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/org"
)

// After org apply, org plan starts from the organization as the apply left
// it (not the older snapshot), says so, and does not repeat the changes.
func TestOrgPlanAfterApplyIsEmpty(t *testing.T) {
	cmdtest.IsolateAWS(t)
	orgApplyTiming.Backoff, orgApplyTiming.Poll = time.Millisecond, time.Millisecond
	saved := orgFakeNow
	t.Cleanup(func() { orgFakeNow = saved })
	dir := orgDir(t)
	fake := awsfake.New(awsfake.Scenario{Organization: demo.Generate(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), 1).Organization})
	defer fake.Close()
	run := func(args ...string) (string, string, int) { return runOrgFake(t, fake, dir, args...) }
	if _, errOut, code := run("org", "import"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	orgFakeNow = time.Now().UTC().Add(time.Hour) // after the workspace's snapshot
	editSpec(t, dir, func(sp *org.Spec) { sp.Root.OUs = append(sp.Root.OUs, org.OU{Name: "Lab"}) })
	out, errOut, code := run("org", "plan", "--out", "plan.json")
	if code != 0 || !strings.Contains(out, "create OU Lab") || !strings.Contains(errOut, "planning from snapshot ") {
		t.Fatalf("plan: %d\n%s%s", code, out, errOut)
	}
	// The saved plan records the state it was based on, and apply says it.
	plan1, err := org.LoadPlan(filepath.Join(dir, "plan.json"))
	if err != nil || !strings.HasPrefix(plan1.BasedOn, "snapshot ") {
		t.Fatalf("saved plan basedOn %q (%v)", plan1.BasedOn, err)
	}
	if out, errOut, code := run("org", "apply", "plan.json", "--yes"); code != 0 || !strings.Contains(errOut, "plan plan.json was made "+orgFakeNow.Format(time.RFC3339)+" from "+plan1.BasedOn+"\n") {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	orgFakeNow = orgFakeNow.Add(time.Minute)
	out, errOut, code = run("org", "plan")
	if code != 0 || !strings.HasPrefix(out, "No changes.") || !strings.Contains(errOut, "planning from the organization read after org apply plan.json") {
		t.Fatalf("plan after apply: %d\n%s%s", code, out, errOut)
	}
	// The next change plans from there and applies (not stale).
	editSpec(t, dir, func(sp *org.Spec) { sp.Root.OUs = append(sp.Root.OUs, org.OU{Name: "Lab2"}) })
	out, errOut, code = run("org", "plan", "--out", "plan2.json")
	if code != 0 || !strings.Contains(out, "create OU Lab2") || strings.Contains(out, "create OU Lab\n") {
		t.Fatalf("plan2: %d\n%s%s", code, out, errOut)
	}
	saved2, err := org.LoadPlan(filepath.Join(dir, "plan2.json"))
	if err != nil || !strings.HasPrefix(saved2.BasedOn, "the organization read after org apply plan.json at ") {
		t.Fatalf("plan2 basedOn %q (%v)", saved2.BasedOn, err)
	}
	if out, errOut, code := run("org", "apply", "plan2.json", "--yes"); code != 0 || !strings.Contains(errOut, "from the organization read after org apply plan.json") {
		t.Fatalf("apply plan2: %d\n%s%s", code, out, errOut)
	}
}

// Without AWS credentials org apply fails fast: one line saying what to
// set, exit 2, no SDK error chain, and nothing journaled.
func TestOrgApplyWithoutCredentials(t *testing.T) {
	cmdtest.IsolateAWS(t)
	dir := orgDir(t)
	if _, errOut, code := runOrg(t, dir, "org", "import"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	editSpec(t, dir, func(sp *org.Spec) { sp.Root.OUs = append(sp.Root.OUs, org.OU{Name: "Lab"}) })
	if _, errOut, code := runOrg(t, dir, "org", "plan", "--out", "plan.json"); code != 0 {
		t.Fatalf("plan: %s", errOut)
	}
	out, errOut, code := runOrg(t, dir, "org", "apply", "plan.json", "--yes")
	if code != 2 || !strings.Contains(errOut, "seiri: no AWS credentials found: pass --profile NAME or set AWS_PROFILE") ||
		strings.Contains(errOut, "operation error") || strings.Count(errOut, "seiri:") != 1 {
		t.Fatalf("apply without credentials: %d\n%s%s", code, out, errOut)
	}
}

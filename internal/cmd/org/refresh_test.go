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
	if out, errOut, code := run("org", "apply", "plan.json", "--yes"); code != 0 {
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
	if out, errOut, code := run("org", "apply", "plan2.json", "--yes"); code != 0 {
		t.Fatalf("apply plan2: %d\n%s%s", code, out, errOut)
	}
}

package groups

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
)

// TestGroupsApplyJSON: with -o json, groups apply and groups plan --apply
// write one document, the apply flow's report; the progress goes to stderr.
func TestGroupsApplyJSON(t *testing.T) {
	cmdtest.IsolateAWS(t)
	ws, org := groupsDemoWorkspace(t)
	fake := awsfake.New(awsfake.Scenario{Organization: org.Organization, Accounts: org.Accounts})
	defer fake.Close()
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if _, errOut, code := groupsRun(t, nil, ws, "groups", "plan", "--account", "555555555555", "--out", planFile); code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	type report struct {
		SchemaVersion int
		Status        string
		Counts        struct{ Applied, Skipped, Failed, NotAttempted int }
		Changes       []struct{ Outcome string }
		ExitCode      int
	}
	one := func(out string) report { t.Helper(); return cmdtest.OneJSON[report](t, out) }
	out, errOut, code := groupsRun(t, fake, ws, "groups", "apply", planFile, "--account", "555555555555", "--yes", "-o", "json")
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	r := one(out)
	if r.SchemaVersion != 1 || r.Status != "applied" || r.Counts.Applied != 12 || len(r.Changes) != 12 || r.ExitCode != 0 {
		t.Errorf("report %+v", r)
	}
	if !strings.Contains(errOut, "Applied 12, skipped 0 (already in effect), failed 0") || !strings.Contains(errOut, "  done     ") {
		t.Errorf("stderr lacks the progress and the summary:\n%s", errOut)
	}
	// groups plan --apply: the report only (the plan is in it), every
	// change already in effect now.
	out, errOut, code = groupsRun(t, fake, ws, "groups", "plan", "--account", "555555555555", "--apply", "--yes", "-o", "json")
	if code != 0 {
		t.Fatalf("plan --apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if r := one(out); r.Status != "applied" || r.Counts.Applied+r.Counts.Skipped != len(r.Changes) {
		t.Errorf("plan --apply report %+v", r)
	}
}

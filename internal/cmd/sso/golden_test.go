package sso

import (
	"flag"
	"testing"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/<name>, the workspace path replaced by
// WS (rewritten with -update).
func golden(t *testing.T, name, ws, got string) {
	t.Helper()
	cmdtest.Golden(t, name, ws, got, *update)
}

// TestSSOPlanGolden pins sso plan's summary form on the demo: the summary
// first, the next command last; stderr names the snapshot.
func TestSSOPlanGolden(t *testing.T) {
	ws, _ := groupsDemoWorkspace(t)
	out, errOut, code := groupsRun(t, nil, ws, "sso", "plan")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "sso-plan.golden", ws, "[stdout]\n"+out+"[stderr]\n"+errOut)
}

package groups

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

// TestGroupsOutputsGolden pins the reports on the demo (its scanned logs
// as usage): each opens with its summary and ends with the command to run
// next; stderr names the snapshot and the usage window. (roles suggest and
// sso plan have theirs in their packages.)
func TestGroupsOutputsGolden(t *testing.T) {
	ws, _ := groupsDemoWorkspace(t)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"groups-analyze.golden", []string{"groups", "analyze", "--account", "111111111111"}},
		{"groups-plan.golden", []string{"groups", "plan", "--account", "111111111111"}},
		{"groups-plan-remove-unused.golden", []string{"groups", "plan", "--account", "555555555555", "--remove-unused"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := groupsRun(t, nil, ws, c.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, c.name, ws, "[stdout]\n"+out+"[stderr]\n"+errOut)
		})
	}
}

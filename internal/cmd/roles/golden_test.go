package roles

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

// TestRolesSuggestGolden pins roles suggest on the demo (its scanned logs
// as usage): the summary first, one line per user, the next command last;
// stderr names the snapshot and the usage window.
func TestRolesSuggestGolden(t *testing.T) {
	ws, _ := groupsDemoWorkspace(t)
	out, errOut, code := groupsRun(t, nil, ws, "roles", "suggest")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "roles-suggest.golden", ws, "[stdout]\n"+out+"[stderr]\n"+errOut)
}

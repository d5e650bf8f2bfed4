package groups

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/<name>, the workspace path replaced by
// WS (rewritten with -update).
func golden(t *testing.T, name, ws, got string) {
	t.Helper()
	got = strings.ReplaceAll(got, ws, "WS")
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
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

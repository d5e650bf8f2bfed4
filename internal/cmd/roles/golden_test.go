package roles

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

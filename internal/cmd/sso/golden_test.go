package sso

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

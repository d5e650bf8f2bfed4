package cmdtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Golden compares got, with the workspace path ws replaced by WS, with
// testdata/<name>; with update (the package's -update flag) it rewrites
// the file instead.
func Golden(t *testing.T, name, ws, got string, update bool) {
	t.Helper()
	if ws != "" {
		got = strings.ReplaceAll(got, ws, "WS")
	}
	path := filepath.Join("testdata", name)
	if update {
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

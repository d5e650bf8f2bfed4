package cmdtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Mask hides a part of an output that changes from run to run (a build's
// version, a duration): every match of RE is replaced by Repl, which may
// name RE's groups ("${1}X", as regexp.Regexp.ReplaceAllString).
type Mask struct {
	RE   *regexp.Regexp
	Repl string
}

// Golden compares got, with the workspace path ws replaced by WS and the
// masks applied, with testdata/<name> (name may hold folders); with update
// (the package's -update flag) it rewrites the file instead.
func Golden(t *testing.T, name, ws, got string, update bool, masks ...Mask) {
	t.Helper()
	if ws != "" {
		got = strings.ReplaceAll(got, ws, "WS")
	}
	for _, m := range masks {
		got = m.RE.ReplaceAllString(got, m.Repl)
	}
	path := filepath.Join("testdata", name)
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
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

package trail_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/trail"
)

// TestCopyBesideAFileCountsAsOneScan: a copy of a delivered file in the
// same folder is counted as a single scan of the folder counts it,
// whether the scan that meets it also meets the original or not: under
// a name CloudTrail could give (another 16-letter id) it is an object of
// its own; under any other name (" copy", a suffix) it is the original
// again. Before, a scan that read both compared them by content while a
// rescan that read the copy alone did not.
func TestCopyBesideAFileCountsAsOneScan(t *testing.T) {
	for _, c := range []struct {
		name    string
		rename  func(string) string
		counted bool // the copy adds its records
	}{
		{"name of its own", func(p string) string { return p[:len(p)-len("0000.json.gz")] + "zzzz.json.gz" }, true},
		{"copy", func(p string) string { return strings.Replace(p, ".json.gz", " copy.json.gz", 1) }, false},
		{"suffix", func(p string) string { return strings.Replace(p, ".json.gz", "x.json.gz", 1) }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, sharedCorpus(t), dir)
			st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
			before := scanInto(t, st, dir, trail.Options{})
			orig := logFiles(t, dir)[3]
			b, err := os.ReadFile(orig)
			if err != nil {
				t.Fatal(err)
			}
			cp := c.rename(orig)
			if cp == orig || !strings.HasSuffix(cp, ".json.gz") {
				t.Fatalf("copy name %s", cp)
			}
			if err := os.WriteFile(cp, b, 0o600); err != nil {
				t.Fatal(err)
			}
			res := scanInto(t, st, dir, trail.Options{})
			if added := res.Summary.Records > 0 && res.Summary.FilesAlreadyCounted == 0; added != c.counted {
				t.Errorf("rescan: records %d, already counted %d; want the copy counted: %v", res.Summary.Records, res.Summary.FilesAlreadyCounted, c.counted)
			}
			one := want(t, dir)
			diffState(t, "rescan with the copy", one, stateOf(t, st))
			if (one.Events > int64(before.Summary.Records)) != c.counted {
				t.Errorf("a single scan: %d events, %d without the copy; want the copy counted: %v", one.Events, before.Summary.Records, c.counted)
			}
		})
	}
}

package trail_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

// TestWindowedRescanReadsItsMarks: a scan inside a window reads the marks
// of the folders it lists, not the whole history's: the marks it gets are
// exactly the store's marks of the folders inside the window, the files it
// lists there are all already scanned, and a file added inside the window
// is the one file read.
func TestWindowedRescanReadsItsMarks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	genCorpus(t, dir, 3, 0.05)
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	full := scanInto(t, st, dir, trail.Options{})
	before := stateOf(t, st)
	src := &trail.DirSource{Dir: dir}
	window := trail.Filter{Since: t0.AddDate(0, 0, 2), Accounts: []string{"111111111111"}}

	all, err := st.ScannedObjects(ctx, src.Name())
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(all)) != full.Summary.FilesRead {
		t.Fatalf("%d marks after a scan of %d files", len(all), full.Summary.FilesRead)
	}
	w, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.ScannedObjectsIn(ctx, src.Name(), window.DirAllowed)
	w.Rollback()
	if err != nil {
		t.Fatal(err)
	}
	wantMarks := maps.Clone(all)
	maps.DeleteFunc(wantMarks, func(key string, _ usage.ObjectMark) bool {
		folder := ""
		if i := strings.LastIndexByte(key, '/'); i >= 0 {
			folder = key[:i]
		}
		return !window.DirAllowed(folder)
	})
	if len(wantMarks) == 0 || len(wantMarks) == len(all) {
		t.Fatalf("the window keeps %d of %d marks: the test needs some in, some out", len(wantMarks), len(all))
	}
	if !maps.Equal(got, wantMarks) {
		t.Errorf("marks in the window: %d, want the %d of the folders inside it", len(got), len(wantMarks))
	}

	res := scanInto(t, st, dir, trail.Options{Filter: window})
	if s := res.Summary; s.FilesRead != 0 || s.FilesAlreadyScanned != s.FilesListed || s.FilesListed == 0 {
		t.Errorf("windowed rescan: listed %d, already scanned %d, read %d; want all listed already scanned", s.FilesListed, s.FilesAlreadyScanned, s.FilesRead)
	}
	diffState(t, "windowed rescan", before, stateOf(t, st))

	// One more file inside the window (the content of one there under a
	// delivery name of its own, so a new object): the one file read.
	var inside string
	for _, f := range logFiles(t, dir) {
		rel, _ := filepath.Rel(dir, f)
		if window.DirAllowed(filepath.ToSlash(filepath.Dir(rel))) {
			inside = f
			break
		}
	}
	b, err := os.ReadFile(inside)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(strings.Replace(inside, ".json.gz", "x.json.gz", 1), b, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err = trail.ScanInto(ctx, st, src, trail.Options{Filter: window}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Summary; s.FilesRead != 1 || s.FilesAlreadyScanned != s.FilesListed-1 {
		t.Errorf("after one new file: listed %d, already scanned %d, read %d; want 1 read", s.FilesListed, s.FilesAlreadyScanned, s.FilesRead)
	}
}

package trail_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
)

// TestWindowCountsWholeFiles: a scan inside a window, then one without,
// give the store one scan without a window gives. A window selects whole
// files: a file with events on both sides of an edge is counted whole
// (RecordsAtEdges), a file with none inside is counted nowhere and left
// unmarked (FilesOutside), so the wider scan counts it. Before, the first
// scan marked every file it read and the records it left out of them were
// never counted.
func TestWindowCountsWholeFiles(t *testing.T) {
	dir := t.TempDir()
	genCorpus(t, dir, 3, 0.05)
	full := want(t, dir)
	for _, w := range []struct {
		name string
		f    trail.Filter
	}{
		{"since", trail.Filter{Since: t0.Add(36*time.Hour + 2*time.Minute)}},
		{"until", trail.Filter{Until: t0.Add(36*time.Hour + 2*time.Minute)}},
		{"both", trail.Filter{Since: t0.Add(12*time.Hour + 2*time.Minute), Until: t0.Add(60*time.Hour + 2*time.Minute)}},
	} {
		t.Run(w.name, func(t *testing.T) {
			st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
			res := scanInto(t, st, dir, trail.Options{Filter: w.f})
			s := res.Summary
			t.Logf("edges %d, files outside %d (%d records), read %d", s.RecordsAtEdges, s.FilesOutside, s.RecordsOutside, s.FilesRead)
			if s.RecordsAtEdges == 0 {
				t.Fatalf("no file across the window's edge: the test needs some")
			}
			marked := func() int64 {
				m, err := st.ScannedObjects(t.Context(), (&trail.DirSource{Dir: dir}).Name())
				if err != nil {
					t.Fatal(err)
				}
				return int64(len(m))
			}
			if got, want := marked(), s.FilesRead-s.FilesOutside; got != want {
				t.Errorf("%d files marked, want the %d read with records inside the window", got, want)
			}
			res = scanInto(t, st, dir, trail.Options{})
			if got := marked(); got != res.Summary.FilesListed {
				t.Errorf("after the wider scan %d files marked, want all %d", got, res.Summary.FilesListed)
			}
			diffState(t, "window then everything", full, stateOf(t, st))
		})
	}
}

// TestCopyOfAFileOutsideTheWindow: a file with no record inside the window
// counts nothing and is left unmarked, and so is a copy of it the same
// scan reads (it is not "already counted" by the file it copies): a wider
// scan later counts the file once.
func TestCopyOfAFileOutsideTheWindow(t *testing.T) {
	dir := t.TempDir()
	genCorpus(t, dir, 3, 0.05)
	flt := trail.Filter{Until: t0.Add(36*time.Hour + 2*time.Minute)}
	// The files wholly outside the window: read by a windowed scan, not
	// marked.
	probe := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	if res := scanInto(t, probe, dir, trail.Options{Filter: flt}); res.Summary.FilesOutside == 0 {
		t.Fatal("no file wholly outside the window: the test needs one")
	}
	marks, err := probe.ScannedObjects(t.Context(), (&trail.DirSource{Dir: dir}).Name())
	if err != nil {
		t.Fatal(err)
	}
	var outside string
	for _, f := range logFiles(t, dir) {
		rel, _ := filepath.Rel(dir, f)
		day, _ := time.Parse("2006/01/02", strings.Join(strings.Split(filepath.ToSlash(filepath.Dir(rel)), "/")[4:7], "/"))
		if _, ok := marks[filepath.ToSlash(rel)]; !ok && day.Before(flt.Until) {
			outside = f
			break
		}
	}
	if outside == "" {
		t.Fatal("no unmarked file inside the window's days")
	}
	b, err := os.ReadFile(outside)
	if err != nil {
		t.Fatal(err)
	}
	// A copy outside the delivery layout: known by its content only.
	if err := os.MkdirAll(filepath.Join(dir, "copies"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "copies", "a.json.gz"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	res := scanInto(t, st, dir, trail.Options{Filter: flt, Parallel: 1})
	marks, err = st.ScannedObjects(t.Context(), (&trail.DirSource{Dir: dir}).Name())
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(dir, outside)
	for _, k := range []string{filepath.ToSlash(rel), "copies/a.json.gz"} {
		if _, ok := marks[k]; ok {
			t.Errorf("%s marked by the windowed scan (%d files outside it)", k, res.Summary.FilesOutside)
		}
	}
	scanInto(t, st, dir, trail.Options{})
	diffState(t, "window, then everything", want(t, dir), stateOf(t, st))
}

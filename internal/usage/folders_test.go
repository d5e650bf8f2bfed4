package usage

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestFoldersListedWhole: what a scan records of the folders it listed
// whole is read back by the next scan's writer; marking a folder's objects
// again clears it (its files changed); MTime 0 clears it; a folder with no
// marks records nothing.
func TestFoldersListedWhole(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const src = "/logs"
	obj := func(key string) Object {
		return Object{Source: src, Key: key, Size: 10, MTime: time.Unix(1700000000, 0).UTC()}
	}
	scan := func(objs []Object, fs []FolderState) map[string]FolderState {
		t.Helper()
		w, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Rollback()
		if len(objs) > 0 {
			if err := w.AddObjects(ctx, objs, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Finish(ctx, Batch{Folders: fs}); err != nil {
			t.Fatal(err)
		}
		w, err = s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Rollback()
		got, err := w.FoldersListedWhole(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := scan([]Object{obj("a/1.json"), obj("a/2.json"), obj("b/1.json"), obj("top.json")},
		[]FolderState{{Source: src, Dir: "a", MTime: 5, Files: 2}, {Source: src, Dir: "b", MTime: 0, Files: 1}, {Source: src, Dir: "", MTime: 7, Files: 1}, {Source: src, Dir: "nomarks", MTime: 9, Files: 3}})
	want := map[string]FolderState{"a": {Source: src, Dir: "a", MTime: 5, Files: 2}, "": {Source: src, Dir: "", MTime: 7, Files: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}
	// A new file marked in a: what was recorded of a goes; "" is cleared.
	got = scan([]Object{obj("a/3.json")}, []FolderState{{Source: src, Dir: ""}})
	if len(got) != 0 {
		t.Errorf("after new marks in a and clearing the root: %v, want nothing recorded", got)
	}
	// A folder of digest files (no log file, so no marks) gets a row of
	// its own, which holds no mark and counts no object; recorded again
	// with another time, then cleared.
	tot, err := s.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, err := s.ScannedObjects(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	digests := FolderState{Source: src, Dir: "d", MTime: 11}
	if got = scan(nil, []FolderState{digests}); !cmp.Equal(got, map[string]FolderState{"d": digests}) {
		t.Errorf("a folder of digests: recorded %v, want %v", got, digests)
	}
	marks, err := s.ScannedObjects(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, marks); diff != "" || len(marks) != 5 {
		t.Errorf("marks after recording a folder of digests (-before +after):\n%s", diff)
	}
	if tot2, err := s.Totals(ctx); err != nil || tot2.ScannedObjects != tot.ScannedObjects {
		t.Errorf("scanned objects %d after recording a folder of digests, %d before (%v)", tot2.ScannedObjects, tot.ScannedObjects, err)
	}
	digests.MTime = 12
	if got = scan(nil, []FolderState{digests}); !cmp.Equal(got, map[string]FolderState{"d": digests}) {
		t.Errorf("a folder of digests changed: recorded %v, want %v", got, digests)
	}
	if got = scan(nil, []FolderState{{Source: src, Dir: "d"}}); len(got) != 0 {
		t.Errorf("a folder of digests cleared: recorded %v", got)
	}
}

// TestUpgradeAddsFolderColumns: a schema 8 store gains the columns of the
// folders listed whole, its marks kept, nothing recorded yet.
func TestUpgradeAddsFolderColumns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddObjects(ctx, []Object{{Source: "/logs", Key: "a/1.json", Size: 3}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(ctx, Batch{Folders: []FolderState{{Source: "/logs", Dir: "a", MTime: 5, Files: 1}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Back to schema 8, as an earlier seiri left it.
	db, err := sql.Open("sqlite", "file:"+URIPath(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`ALTER TABLE scanned_dirs DROP COLUMN listed_mtime`, `ALTER TABLE scanned_dirs DROP COLUMN listed_files`, `UPDATE meta SET v='8' WHERE k='schema'`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v string
	if err := s.db.QueryRow(`SELECT v FROM meta WHERE k='schema'`).Scan(&v); err != nil || v != "9" {
		t.Errorf("schema %q (%v), want 9", v, err)
	}
	tx, err := s.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	cols, err := tableColumns(ctx, tx, "scanned_dirs")
	tx.Rollback()
	if err != nil || !slices.Contains(cols, "listed_mtime") || !slices.Contains(cols, "listed_files") {
		t.Errorf("columns %v (%v)", cols, err)
	}
	marks, err := s.ScannedObjects(ctx, "/logs")
	if err != nil || len(marks) != 1 {
		t.Errorf("marks after the upgrade: %v (%v)", marks, err)
	}
	w, err = s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	if got, err := w.FoldersListedWhole(ctx, "/logs"); err != nil || len(got) != 0 {
		t.Errorf("recorded after the upgrade: %v (%v), want nothing", got, err)
	}
}

// Package demotest is the one way tests get the demo organization's usage:
// the demo's generated CloudTrail logs (demo.Org.WriteTrail), scanned by the
// real engine (trail.ScanInto with the catalog's mapping) into a real usage
// store — exactly what `seiri demo` does. Nothing here fabricates usage
// rows. The work runs once per test binary and clock; tests that write into
// the workspace get their own copy (Workspace).
package demotest

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

// Fixture is the demo organization at Now with its CloudTrail history
// scanned into a usage store, laid out as a seiri workspace in Dir
// (snapshots/, usage.db, demo/cloudtrail/). Treat it as read-only: it is
// shared by every test of the binary (a test that hands the organization to
// a fake, which changes it, generates its own: demo.Generate(Now, demo.Seed)).
type Fixture struct {
	Org         *demo.Org
	Now         time.Time
	Dir         string // the workspace
	SnapshotDir string
	Snap        *snapshot.Snapshot
	UsageDB     string
	Rows        []usage.Row // every row of the store
	Runs        []usage.Run
	First, Last time.Time // the store's first and last seen
}

var (
	mu    sync.Mutex
	cache = map[time.Time]*entry{}
)

type entry struct {
	once sync.Once
	fix  *Fixture
	err  error
}

// Scanned returns the demo at now (seed demo.Seed) with its logs generated
// and scanned, building it on the first call for that clock.
func Scanned(t testing.TB, now time.Time) *Fixture {
	t.Helper()
	now = now.UTC()
	mu.Lock()
	e := cache[now]
	if e == nil {
		e = &entry{}
		cache[now] = e
	}
	mu.Unlock()
	e.once.Do(func() { e.fix, e.err = build(now) })
	if e.err != nil {
		t.Fatalf("demo fixture at %s: %v", now.Format(time.RFC3339), e.err)
	}
	return e.fix
}

// Rows is Scanned(t, now).Rows.
func Rows(t testing.TB, now time.Time) []usage.Row { return Scanned(t, now).Rows }

func build(now time.Time) (*Fixture, error) {
	dir, err := os.MkdirTemp("", "seiri-demotest-")
	if err != nil {
		return nil, err
	}
	dirs = append(dirs, dir)
	o := demo.Generate(now, demo.Seed)
	snapDir, err := o.WriteSnapshot(filepath.Join(dir, "snapshots"))
	if err != nil {
		return nil, err
	}
	s, err := snapshot.Open(snapDir)
	if err != nil {
		return nil, err
	}
	logs := filepath.Join(dir, "demo", "cloudtrail")
	if _, err := o.WriteTrail(logs); err != nil {
		return nil, fmt.Errorf("demo logs: %w", err)
	}
	ctx := context.Background()
	db := filepath.Join(dir, "usage.db")
	st, err := usage.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	opts := trail.Options{Filter: trail.Filter{Since: now.AddDate(0, 0, -demo.TrailDays), Until: now},
		Mapper: &trail.Mapper{Catalog: catalog.Default()}}
	if _, err := trail.ScanInto(ctx, st, &trail.DirSource{Dir: logs}, opts, now); err != nil {
		return nil, fmt.Errorf("scan demo logs: %w", err)
	}
	f := &Fixture{Org: o, Now: now, Dir: dir, SnapshotDir: snapDir, Snap: s, UsageDB: db}
	if f.Rows, err = st.Usage(ctx, usage.Query{}); err != nil {
		return nil, err
	}
	if f.Runs, err = st.Runs(ctx, 0); err != nil {
		return nil, err
	}
	tot, err := st.Totals(ctx)
	if err != nil {
		return nil, err
	}
	f.First, f.Last = tot.FirstSeen, tot.LastSeen
	if len(f.Rows) == 0 {
		return nil, fmt.Errorf("the scan of %s gave no usage rows", logs)
	}
	return f, nil
}

// dirs are the fixtures' folders, removed by Cleanup.
var dirs []string

// Cleanup removes the fixtures' folders; a package's TestMain calls it after
// m.Run (without it they stay in the system's temporary folder).
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	for _, d := range dirs {
		os.RemoveAll(d)
	}
	dirs = nil
}

// Main runs a package's tests and then Cleanup: TestMain(m) { demotest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// Workspace copies the fixture's snapshot and usage store into a fresh
// workspace of the test's own (the logs stay shared) and returns its path.
func Workspace(t testing.TB, now time.Time) (string, *Fixture) {
	t.Helper()
	f := Scanned(t, now)
	ws := t.TempDir()
	if err := copyTree(filepath.Join(f.Dir, "snapshots"), filepath.Join(ws, "snapshots")); err != nil {
		t.Fatal(err)
	}
	for _, sfx := range []string{"", "-wal", "-shm"} {
		if _, err := os.Stat(f.UsageDB + sfx); err != nil {
			continue
		}
		if err := copyFile(f.UsageDB+sfx, filepath.Join(ws, "usage.db"+sfx)); err != nil {
			t.Fatal(err)
		}
	}
	return ws, f
}

func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		return copyFile(p, dst)
	})
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

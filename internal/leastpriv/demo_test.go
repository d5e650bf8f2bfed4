package leastpriv

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/leastpriv/lptest"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/gen"
	"github.com/seiri-dev/seiri/internal/usage"
)

// demoNow is the fixed clock of the demo tests.
var demoNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// demoDays is how many days of logs the demo fixture generates.
const demoDays = 100

type demoFixture struct {
	org   *demo.Org
	snap  *snapshot.Snapshot
	rows  []usage.Row
	first time.Time
	last  time.Time
}

var (
	demoOnce sync.Once
	demoFix  *demoFixture
	demoErr  error
)

// loadDemo runs the demo flow once per test binary: snapshot, generated
// CloudTrail logs, trail scan into a real usage store, and reads it back.
func loadDemo(t *testing.T) *demoFixture {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := mkdirTemp()
		if err != nil {
			demoErr = err
			return
		}
		o := demo.Generate(demoNow, demo.Seed)
		snapDir, err := o.WriteSnapshot(filepath.Join(dir, "snapshots"))
		if err != nil {
			demoErr = err
			return
		}
		s, err := snapshot.Open(snapDir)
		if err != nil {
			demoErr = err
			return
		}
		logs := filepath.Join(dir, "logs")
		if _, err := gen.Generate(lptest.DemoSpec(o, demoNow, demoDays), gen.DirSink(logs)); err != nil {
			demoErr = err
			return
		}
		ctx := context.Background()
		res, err := trail.Scan(ctx, &trail.DirSource{Dir: logs}, trail.Options{Parallel: 2, Mapper: &trail.Mapper{Catalog: catalog.Default()}})
		if err != nil {
			demoErr = err
			return
		}
		st, err := usage.Open(ctx, filepath.Join(dir, "usage.db"))
		if err != nil {
			demoErr = err
			return
		}
		defer st.Close()
		if err := st.Commit(ctx, usage.Batch{Rows: res.Rows}); err != nil {
			demoErr = err
			return
		}
		rows, err := st.Usage(ctx, usage.Query{})
		if err != nil {
			demoErr = err
			return
		}
		tot, err := st.Totals(ctx)
		if err != nil {
			demoErr = err
			return
		}
		demoFix = &demoFixture{org: o, snap: s, rows: rows, first: tot.FirstSeen, last: tot.LastSeen}
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoFix
}

func (f *demoFixture) analysis(days int) *Analysis {
	m := NewModel(f.snap, catalog.Default())
	m.Now = demoNow
	u := m.Attribute(Slice(f.rows), NewWindow(demoNow, days, f.first, f.last), true)
	return NewAnalysis(m, u)
}

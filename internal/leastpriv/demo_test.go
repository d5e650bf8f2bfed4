package leastpriv

import (
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// demoNow is the fixed clock of the demo tests.
var demoNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

type demoFixture struct {
	org   *demo.Org
	snap  *snapshot.Snapshot
	rows  []usage.Row
	first time.Time
	last  time.Time
}

// loadDemo is the demo at demoNow with its CloudTrail history generated and
// scanned by the real engine (demotest: once per test binary).
func loadDemo(t *testing.T) *demoFixture {
	t.Helper()
	f := demotest.Scanned(t, demoNow)
	return &demoFixture{org: f.Org, snap: f.Snap, rows: f.Rows, first: f.First, last: f.Last}
}

func (f *demoFixture) analysis(days int) *Analysis {
	m := NewModel(f.snap, catalog.Default())
	m.Now = demoNow
	u := m.Attribute(Slice(f.rows), NewWindow(demoNow, days, f.first, f.last), true)
	return NewAnalysis(m, u)
}

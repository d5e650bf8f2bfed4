package leastpriv

import (
	"context"
	"runtime"
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
)

// BenchmarkUnusedAllDemo is `seiri unused --all` on the demo organization
// as the command runs it: read the usage store the demo's CloudTrail logs
// were scanned into (ByAction), attribute the rows, compute every
// principal's grants (users share answers: share.go) and analyse the
// organization.
func BenchmarkUnusedAllDemo(b *testing.B) {
	f := demotest.Scanned(b, demoNow)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		m := NewModel(f.Snap, catalog.Default())
		m.Now = demoNow
		seq, errf := ReadUsage(ctx, f.UsageDB, StoreQuery{Since: demoNow.AddDate(0, 0, -90), ByAction: true})
		u := m.Attribute(seq, NewWindow(demoNow, 90, f.First, f.Last), false)
		if err := errf(); err != nil || u.Rows == 0 {
			b.Fatalf("%d rows, %v", u.Rows, err)
		}
		an := NewAnalysis(m, u)
		ps := m.Select("", "")
		m.GrantedAll(ps, runtime.GOMAXPROCS(0))
		if v := an.Organization(ps, runtime.GOMAXPROCS(0)); len(v.Principals) != len(ps) {
			b.Fatalf("%d of %d principals", len(v.Principals), len(ps))
		}
	}
}

package leastpriv

import (
	"context"
	"flag"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/usage"
)

// The 10-million-row figure of docs/bench-leastpriv.md:
//
//	go test ./internal/leastpriv -run XXX -bench UnusedAllStore -benchtime 1x -args -storerows=10000000
var storeRows = flag.Int("storerows", 200_000, "usage rows BenchmarkUnusedAllStore commits to its store")

// BenchmarkUnusedAllStore is `seiri unused --all` end to end on a usage store
// of 50 accounts, 5,000 principals and -storerows rows: commit the rows
// (maintaining the usage_by_action summary), then read them as the CLI does
// (ReadUsage ByAction) and run the analysis. It also times the GROUP BY over
// the usage rows that the summary replaced.
func BenchmarkUnusedAllStore(b *testing.B) {
	ctx := context.Background()
	cat := catalog.Default()
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s := benchOrg(50, 100)
	st, err := usage.Open(ctx, filepath.Join(b.TempDir(), "usage.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	n := *storeRows
	t0 := time.Now()
	batch := make([]usage.Row, 0, 50_000)
	for r := range benchRows(s, cat, n, end) {
		batch = append(batch, *r)
		if len(batch) == cap(batch) {
			if err := st.Upsert(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := st.Upsert(ctx, batch); err != nil {
		b.Fatal(err)
	}
	commit := time.Since(t0)
	since := end.AddDate(0, 0, -90)
	read := func(noSummary bool) (time.Duration, int) {
		t := time.Now()
		seq, errf := ReadUsage(ctx, st.Path(), StoreQuery{Since: since, ByAction: true, noSummary: noSummary})
		got := 0
		for range seq {
			got++
		}
		if err := errf(); err != nil || got == 0 {
			b.Fatalf("%d rows, %v", got, err)
		}
		return time.Since(t), got
	}
	groupBy, want := read(true)
	t1 := time.Now()
	if _, err := st.Totals(ctx); err != nil { // the CLI reads the logs' span first
		b.Fatal(err)
	}
	totals := time.Since(t1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		m := NewModel(s, cat)
		m.Now = end
		seq, errf := ReadUsage(ctx, st.Path(), StoreQuery{Since: since, ByAction: true})
		u := m.Attribute(seq, NewWindow(end, 90, end.AddDate(-1, 0, 0), end), false)
		if err := errf(); err != nil || u.Rows != int64(want) {
			b.Fatalf("%d summary rows, group by %d, %v", u.Rows, want, err)
		}
		tRead := time.Since(t)
		an := NewAnalysis(m, u)
		ps := m.Select("", "")
		m.GrantedAll(ps, runtime.GOMAXPROCS(0))
		v := an.Organization(ps, runtime.GOMAXPROCS(0))
		if len(v.Principals) != 5000 {
			b.Fatalf("%d principals", len(v.Principals))
		}
		b.ReportMetric(tRead.Seconds(), "read+attribute-s")
		b.ReportMetric(time.Since(t).Seconds(), "total-s")
	}
	b.ReportMetric(float64(commit.Microseconds())/float64(n), "commit-µs/row")
	b.ReportMetric(groupBy.Seconds(), "groupby-read-s")
	b.ReportMetric(totals.Seconds(), "totals-s")
	b.ReportMetric(float64(want), "folded-rows")
}

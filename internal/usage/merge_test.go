package usage

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randomSampledRows draws rows over a small key space with sample sets
// from small pools: merges find stored rows whose samples equal the
// incoming ones (the union changes nothing), are empty on either side, or
// overflow MaxSamples (the union keeps the smallest).
func randomSampledRows(rng *rand.Rand, n int) []Row {
	rows := randomRows(rng, n)
	pool := func(prefix string, size int) []string {
		v := make([]string, size)
		for i := range v {
			v[i] = prefix + string(rune('a'+i))
		}
		return v
	}
	ips, agents, sessions := pool("10.0.0.", 9), pool("aws-cli/", 3), pool("s-", 7)
	draw := func(from []string) []string {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			return from[:1] // the same one value, row after row
		}
		var v []string
		for range 1 + rng.IntN(len(from)) {
			v = MergeSet(v, []string{from[rng.IntN(len(from))]}, MaxSamples)
		}
		return v
	}
	for i := range rows {
		r := &rows[i]
		r.IPClasses = draw([]string{"aws-internal", "private", "public"})
		r.SourceIPs = draw(ips)
		r.UserAgents = draw(agents)
		if rng.IntN(3) == 0 {
			r.VPCEndpoints = draw(pool("vpce-", 6))
		}
		r.Sessions = draw(sessions)
		if rng.IntN(5) == 0 {
			r.SourceIdentities = draw(pool("id-", 2))
		}
	}
	return rows
}

// mergedByKey folds rows as Row.Merge does, one row per key, in key order.
func mergedByKey(rows []Row) []Row {
	m := map[Key]*Row{}
	for _, r := range rows {
		if x := m[r.Key]; x != nil {
			x.Merge(&r)
			continue
		}
		c := r
		m[r.Key] = &c
	}
	out := make([]Row, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Row) int { return a.Key.Compare(b.Key) })
	return out
}

func storedRows(t *testing.T, s *Store) []Row {
	t.Helper()
	got, err := s.Usage(context.Background(), Query{})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b Row) int { return a.Key.Compare(b.Key) })
	return got
}

// Rows merged into stored rows, batch after batch, through Commit and
// through a scan's Writer (a fresh store's plain inserts first, then
// merges group by group), leave the rows Row.Merge gives, with the
// summary folded from them: counts, first and last seen, authz, and
// every sample set whether the union changes it or not.
func TestMergeEqualsRowMerge(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(13, 8))
	viaCommit, viaWriter := openTemp(t), openTemp(t)
	var all []Row
	for batch := range 6 {
		rows := randomSampledRows(rng, 400)
		all = append(all, rows...)
		if err := viaCommit.Commit(ctx, Batch{Rows: rows}); err != nil {
			t.Fatal(err)
		}
		// A scan hands its rows over in parts; parts may share keys.
		w, err := viaWriter.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for len(rows) > 0 {
			n := min(len(rows), 1+rng.IntN(150))
			if err := w.Add(ctx, Batch{Rows: rows[:n]}); err != nil {
				t.Fatal(err)
			}
			rows = rows[n:]
		}
		if _, err := w.Finish(ctx, Batch{}); err != nil {
			t.Fatal(err)
		}
		want := mergedByKey(all)
		for name, s := range map[string]*Store{"Commit": viaCommit, "Writer": viaWriter} {
			if diff := cmp.Diff(want, storedRows(t, s)); diff != "" {
				t.Fatalf("batch %d, %s: (-Row.Merge +stored):\n%s", batch, name, diff)
			}
			if diff := cmp.Diff(readSummary(t, s.db, true), readSummary(t, s.db, false)); diff != "" {
				t.Fatalf("batch %d, %s: summary (-usage folded +usage_by_action):\n%s", batch, name, diff)
			}
		}
	}
}

// A scan into a store that holds rows writes with the memory map off (the
// pages it reads would stay counted in the process's memory), and the map
// is back for the readers once it commits or rolls back.
func TestWriterUnmapsWhileMerging(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	mmap := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) int64 {
		t.Helper()
		var n int64
		if err := q.QueryRowContext(ctx, `PRAGMA mmap_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	rows := randomSampledRows(rand.New(rand.NewPCG(1, 1)), 50)
	for i, end := range []string{"finish", "finish", "rollback"} {
		w, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := int64(0) // a store holding rows
		if i == 0 {
			want = mmapSize // a fresh store: left alone
		}
		if got := mmap(w.tx); got != want {
			t.Errorf("scan %d: mmap_size %d in the transaction, want %d", i, got, want)
		}
		if err := w.Add(ctx, Batch{Rows: rows}); err != nil {
			t.Fatal(err)
		}
		if end == "finish" {
			if _, err := w.Finish(ctx, Batch{}); err != nil {
				t.Fatal(err)
			}
		} else {
			w.Rollback()
		}
		if got := mmap(s.db); got != mmapSize {
			t.Errorf("scan %d: mmap_size %d after %s, want %d", i, got, end, mmapSize)
		}
	}
}

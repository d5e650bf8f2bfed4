package trail_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

// TestRowSetAsRows: the rows a settling scan hands over one group at a
// time, each built one at a time (a usage.RowSet, what ScanInto stores), in
// key order within a group, are the rows it returns whole otherwise; and
// the store they give is the store the whole rows give.
func TestRowSetAsRows(t *testing.T) {
	ctx := context.Background()
	dir := sharedCorpus(t)
	whole, err := trail.Scan(ctx, &trail.DirSource{Dir: dir}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []usage.Row
	var r usage.Row // reused, as the store does
	settle := func(g trail.Settled) error {
		if g.Rows == nil {
			return nil
		}
		for i := range g.Rows.Len() {
			g.Rows.Fill(i, &r)
			c := r
			c.Key = g.Rows.Key(i)
			for _, s := range []*[]string{&c.IPClasses, &c.SourceIPs, &c.UserAgents, &c.VPCEndpoints, &c.Sessions, &c.SourceIdentities} {
				*s = append([]string(nil), *s...)
			}
			if i > 0 && got[len(got)-1].Key.Compare(c.Key) >= 0 {
				t.Errorf("group row %d (%v) not after the row before (%v)", i, c.Key, got[len(got)-1].Key)
			}
			got = append(got, c)
		}
		return nil
	}
	res, err := trail.Scan(ctx, &trail.DirSource{Dir: dir}, trail.Options{Settle: settle})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 0 || res.Groups < 2 || res.Summary.Rows != len(whole.Rows) || len(whole.Rows) < 20 {
		t.Fatalf("settling scan: %d rows left, %d groups, summary %d rows; whole scan %d rows", len(res.Rows), res.Groups, res.Summary.Rows, len(whole.Rows))
	}
	slices.SortFunc(got, func(a, b usage.Row) int { return a.Key.Compare(b.Key) })
	if diff := cmp.Diff(whole.Rows, got, cmp.Transformer("nil", func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		return s
	})); diff != "" {
		t.Errorf("rows of the sets (-whole +sets):\n%s", diff)
	}

	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	if err := st.Commit(ctx, usage.Batch{Rows: whole.Rows, SessionKeys: whole.SessionKeys, SessionUses: whole.SessionUses, Unmapped: whole.Unmapped}); err != nil {
		t.Fatal(err)
	}
	into := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	scanInto(t, into, dir, trail.Options{})
	diffState(t, "ScanInto (a row set)", stateOf(t, st), stateOf(t, into))
}

package trail_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

// TestRowSetAsRows: the rows a scan hands to the store one at a time
// (Options.RowSet, what ScanInto uses) are the rows it returns whole
// otherwise, in the same order; and the store they give is the store the
// whole rows give.
func TestRowSetAsRows(t *testing.T) {
	ctx := context.Background()
	dir := sharedCorpus(t)
	whole, err := trail.Scan(ctx, &trail.DirSource{Dir: dir}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := trail.Scan(ctx, &trail.DirSource{Dir: dir}, trail.Options{RowSet: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 0 || res.RowSet == nil || res.Summary.Rows != len(whole.Rows) || len(whole.Rows) < 20 {
		t.Fatalf("RowSet scan: %d rows, set %v, summary %d rows; whole scan %d rows", len(res.Rows), res.RowSet != nil, res.Summary.Rows, len(whole.Rows))
	}
	var got []usage.Row
	var r usage.Row // reused, as the store does
	for i := range res.RowSet.Len() {
		res.RowSet.Fill(i, &r)
		c := r
		c.Key = res.RowSet.Key(i)
		for _, s := range []*[]string{&c.IPClasses, &c.SourceIPs, &c.UserAgents, &c.VPCEndpoints, &c.Sessions, &c.SourceIdentities} {
			*s = append([]string(nil), *s...)
		}
		got = append(got, c)
	}
	if diff := cmp.Diff(whole.Rows, got, cmp.Transformer("nil", func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		return s
	})); diff != "" {
		t.Errorf("rows of the set (-whole +set):\n%s", diff)
	}

	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	if err := st.Commit(ctx, usage.Batch{Rows: whole.Rows, SessionKeys: whole.SessionKeys, SessionUses: whole.SessionUses, Unmapped: whole.Unmapped}); err != nil {
		t.Fatal(err)
	}
	into := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	scanInto(t, into, dir, trail.Options{})
	diffState(t, "ScanInto (a row set)", stateOf(t, st), stateOf(t, into))
}

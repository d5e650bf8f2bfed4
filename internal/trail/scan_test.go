package trail_test

import (
	"context"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/gen"
)

var (
	t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

func genCorpus(t testing.TB, dir string, days int, scale float64) gen.Stats {
	t.Helper()
	spec := gen.Sample(7, []string{"111111111111", "222222222222"}, t0, t0.AddDate(0, 0, days), scale)
	st, err := gen.Generate(spec, gen.DirSink(dir))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestScanGeneratedCorpus(t *testing.T) {
	dir := t.TempDir()
	st := genCorpus(t, dir, 1, 1)
	res, err := trail.Scan(context.Background(), &trail.DirSource{Dir: dir}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if s.Records != st.Records || s.FilesRead != st.Files {
		t.Fatalf("records %d files %d, generated %d %d", s.Records, s.FilesRead, st.Records, st.Files)
	}
	var n int64
	for _, r := range res.Rows {
		n += r.Count
	}
	if n != s.Mapped+s.NotAuthz {
		t.Fatalf("row counts %d != mapped+notauthz %d", n, s.Mapped+s.NotAuthz)
	}
	t.Logf("%+v", s)
	for _, r := range res.Rows {
		t.Logf("%s %s %s %s %s %s %d %v", r.Account, r.Principal, r.PrincipalType, r.Action, r.Resource, r.ErrorCode, r.Count, r.IPClasses)
	}
}

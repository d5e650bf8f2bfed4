package athena_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/athena"
	"github.com/seiri-dev/seiri/internal/trail/gen"
	"github.com/seiri-dev/seiri/internal/usage"
)

// unitSource lists the files of a folder that an Athena query with
// Delivery and Exclude selects: the partitions (delivery day, account,
// region) inside its windows, minus the excluded units. The stand-in
// engine below runs the local engine over them: what the query's SQL
// computes (TestDuckDBDeliveryDaysAndExclusions checks the SQL itself on
// DuckDB against this very stand-in).
type unitSource struct {
	trail.DirSource
	opts athena.Options
}

func (s *unitSource) List(ctx context.Context, f *trail.Filter) (*trail.Listing, error) {
	l, err := s.DirSource.List(ctx, f)
	if err != nil {
		return nil, err
	}
	keep := l.Objects[:0]
	for _, o := range l.Objects {
		_, u, ok := usage.DeliveryID(o.Key)
		if ok && s.selects(u) {
			keep = append(keep, o)
		}
	}
	l.Objects = keep
	return l, nil
}

func (s *unitSource) selects(u usage.Unit) bool {
	day, _ := time.Parse("2006/01/02", u.Day)
	in := false
	for _, w := range s.opts.Windows {
		if !day.Before(w.Since) && day.Before(w.Until) {
			in = true
		}
	}
	f := s.opts.Filter
	if !in || (len(f.Accounts) > 0 && !slices.Contains(f.Accounts, u.Account)) || (len(f.Regions) > 0 && !slices.Contains(f.Regions, u.Region)) {
		return false
	}
	for _, e := range s.opts.Exclude {
		if e.Day == u.Day && (e.Account == "*" || e.Account == u.Account) && (e.Region == "*" || e.Region == u.Region) {
			return false
		}
	}
	return true
}

func standIn(dir string) athena.Engine {
	return func(ctx context.Context, opts athena.Options) (*athena.Result, error) {
		if !opts.Delivery {
			return nil, errors.New("stand-in: ScanInto must query delivery days")
		}
		res, err := trail.Scan(ctx, &unitSource{DirSource: trail.DirSource{Dir: dir}, opts: opts},
			trail.Options{Filter: trail.Filter{Accounts: opts.Filter.Accounts, Regions: opts.Filter.Regions}})
		if err != nil {
			return nil, err
		}
		return &athena.Result{Rows: res.Rows, Unmapped: res.Unmapped}, nil
	}
}

// state is what both engines put in a store (Athena records no session keys).
type state struct {
	Rows      []usage.Row
	Events    int64
	RowsTotal int64
	Unmapped  []usage.UnmappedPair
}

func stateOf(t testing.TB, st *usage.Store) state {
	t.Helper()
	ctx := context.Background()
	rows, err := st.Usage(ctx, usage.Query{})
	if err != nil {
		t.Fatal(err)
	}
	tot, err := st.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	un, err := st.Unmapped(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return state{Rows: rows, Events: tot.Events, RowsTotal: tot.Rows, Unmapped: un}
}

var day0 = time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC)

func genDays(t testing.TB, dir string, days int) {
	t.Helper()
	spec := gen.Sample(21, []string{"111111111111", "222222222222"}, day0, day0.AddDate(0, 0, days), 0.03)
	if _, err := gen.Generate(spec, gen.DirSink(dir)); err != nil {
		t.Fatal(err)
	}
}

func openStore(t testing.TB) *usage.Store {
	t.Helper()
	st, err := usage.Open(context.Background(), filepath.Join(t.TempDir(), "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func localScan(t testing.TB, st *usage.Store, dir string) *trail.Result {
	t.Helper()
	return localScanWith(t, st, dir, 0)
}

// localScanWith scans with par workers (0: one per core): the groups the
// rows reach the store in are merged from other parts.
func localScanWith(t testing.TB, st *usage.Store, dir string, par int) *trail.Result {
	t.Helper()
	return localScanIn(t, st, dir, par, trail.Filter{})
}

func localScanIn(t testing.TB, st *usage.Store, dir string, par int, flt trail.Filter) *trail.Result {
	t.Helper()
	res, err := trail.ScanInto(context.Background(), st, &trail.DirSource{Dir: dir}, trail.Options{Parallel: par, Filter: flt}, day0)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func athenaScan(t testing.TB, st *usage.Store, dir string, flt trail.Filter) *athena.IntoResult {
	t.Helper()
	res, err := athena.ScanInto(context.Background(), st, standIn(dir), athena.Options{Table: "cloudtrail", Filter: flt}, day0.AddDate(1, 0, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEnginesShareBookkeeping: the local engine reads day 1, Athena then
// scans days 1–3 (leaving out what the local engine holds), the local
// engine scans everything again (leaving Athena's days alone): the store is
// what one scan of everything gives.
func TestEnginesShareBookkeeping(t *testing.T) {
	dir := t.TempDir()
	genDays(t, dir, 3)
	single := openStore(t)
	localScan(t, single, dir)
	want := stateOf(t, single)

	st := openStore(t)
	day1 := t.TempDir()
	copyDays(t, dir, day1, "2026/10/30")
	localScan(t, st, day1)
	ar := athenaScan(t, st, dir, trail.Filter{Since: day0, Until: day0.AddDate(0, 0, 3)})
	if len(ar.Plan.Days) != 3 || len(ar.Plan.Excluded) == 0 {
		t.Errorf("plan: days %v, excluded %v", ar.Plan.Days, ar.Plan.Excluded)
	}
	for _, u := range ar.Plan.Excluded {
		if u.Day != "2026/10/30" {
			t.Errorf("excluded %+v: the local engine holds only 2026/10/30", u)
		}
	}
	// Files delivered on 2026/11/02 (events of the last minutes of 11/01)
	// are outside Athena's days: the local engine reads them alone.
	res := localScan(t, st, dir)
	if res.Summary.FilesHeldByAthena == 0 || res.Summary.FilesRead == 0 {
		t.Errorf("local rescan after Athena: read %d files, %d files left to Athena", res.Summary.FilesRead, res.Summary.FilesHeldByAthena)
	}
	if again := athenaScan(t, st, dir, trail.Filter{Since: day0, Until: day0.AddDate(0, 0, 3)}); len(again.Plan.Days) != 0 || len(again.Plan.Skipped) != 3 {
		t.Errorf("second Athena scan planned %v, skipped %v", again.Plan.Days, again.Plan.Skipped)
	}
	if diff := cmp.Diff(want, stateOf(t, st)); diff != "" {
		t.Errorf("mixed engines differ from one scan (-want +got):\n%s", diff)
	}
}

// TestAthenaPartialDayRefused: a day Athena holds for one account cannot be
// scanned again for every account (it would count that account twice).
func TestAthenaPartialDayRefused(t *testing.T) {
	dir := t.TempDir()
	genDays(t, dir, 1)
	st := openStore(t)
	athenaScan(t, st, dir, trail.Filter{Since: day0, Until: day0.AddDate(0, 0, 1), Accounts: []string{"111111111111"}})
	_, err := athena.ScanInto(context.Background(), st, standIn(dir), athena.Options{Table: "t", Filter: trail.Filter{Since: day0, Until: day0.AddDate(0, 0, 1)}}, day0.AddDate(1, 0, 0), nil)
	if !errors.Is(err, athena.ErrPartialDay) {
		t.Errorf("all accounts after one: %v", err)
	}
	// The other account alone is fine.
	athenaScan(t, st, dir, trail.Filter{Since: day0, Until: day0.AddDate(0, 0, 1), Accounts: []string{"222222222222"}})
}

// TestLegacyAthenaCommitRefusesLocalDays: a commit of the earlier Athena
// bookkeeping (days as objects, no exclusions) over days the local engine
// holds is refused whole instead of counting them twice.
func TestLegacyAthenaCommitRefusesLocalDays(t *testing.T) {
	dir := t.TempDir()
	genDays(t, dir, 1)
	st := openStore(t)
	localScan(t, st, dir)
	before := stateOf(t, st)
	err := st.Commit(context.Background(), usage.Batch{Rows: before.Rows,
		Objects: []usage.Object{{Source: "athena:seiri.cloudtrail", Key: "2026/10/30"}},
		Run:     &usage.Run{Engine: usage.EngineAthena}})
	if !errors.Is(err, usage.ErrEngineOverlap) {
		t.Fatalf("legacy Athena commit over local days: %v", err)
	}
	if diff := cmp.Diff(before, stateOf(t, st)); diff != "" {
		t.Errorf("refused commit changed the store:\n%s", diff)
	}
}

func copyDays(t testing.TB, from, to string, days ...string) []string {
	t.Helper()
	var copied []string
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		rel = filepath.ToSlash(rel)
		_, u, ok := usage.DeliveryID(rel)
		if !ok || (len(days) > 0 && !slices.Contains(days, u.Day)) {
			return nil
		}
		dst := filepath.Join(to, rel)
		if _, err := os.Stat(dst); err == nil {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		copied = append(copied, rel)
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return copied
}

// TestExactlyOnceProperty: any interleaving of partial arrivals, rescans,
// copies under other paths, touched files, overlapping sources, scans
// inside a window of any minutes, folders left unchanged long enough to be
// taken as listed whole, and Athena scans of complete days leaves the
// store as one scan of the union. Local scans stream their rows in parts
// of a random size (from one entry: a flush after every file), merged
// into the store while they run.
func TestExactlyOnceProperty(t *testing.T) {
	master := t.TempDir()
	genDays(t, master, 3)
	single := openStore(t)
	localScan(t, single, master)
	want := stateOf(t, single)
	var days []string // delivery days: the generated days and the next (late deliveries)
	filepath.WalkDir(master, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(master, p)
		if _, u, ok := usage.DeliveryID(filepath.ToSlash(rel)); ok && !slices.Contains(days, u.Day) {
			days = append(days, u.Day)
		}
		return nil
	})
	if len(days) != 4 {
		t.Fatalf("delivery days %v", days)
	}
	seeds := 8
	if testing.Short() {
		seeds = 4
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(seed), 99))
			root := t.TempDir()
			work := filepath.Join(root, "bucket", "prefix")
			os.MkdirAll(work, 0o755)
			st := openStore(t)
			pars := []int{0, 1, 3}
			localScan := func(t testing.TB, st *usage.Store, dir string) {
				localScanWith(t, st, dir, pars[r.IntN(len(pars))])
			}
			complete := map[string]bool{}
			var log []string
			arrive := func(day string, all bool) {
				from := master
				if !all {
					// Part of the day: the files of one account.
					part := filepath.Join(root, "part")
					os.RemoveAll(part)
					copyDays(t, master, part, day)
					os.RemoveAll(filepath.Join(part, "AWSLogs", "222222222222"))
					os.RemoveAll(filepath.Join(part, "AWSLogs", "o-exampleorgid", "222222222222"))
					from = part
				}
				copyDays(t, from, work, day)
				if all {
					complete[day] = true
				}
			}
			for step := 0; step < 8; step++ {
				switch op := r.IntN(9); op {
				case 0, 1:
					d := days[r.IntN(len(days))]
					all := r.IntN(2) == 0
					arrive(d, all)
					log = append(log, fmt.Sprintf("arrive %s all=%v", d, all))
				case 2:
					localScan(t, st, work)
					log = append(log, "scan")
				case 3:
					now := time.Now().Add(time.Duration(r.IntN(1000)) * time.Second)
					filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
						if err == nil && !d.IsDir() && r.IntN(3) == 0 {
							os.Chtimes(p, now, now)
						}
						return nil
					})
					log = append(log, "touch")
				case 4:
					cp := filepath.Join(root, fmt.Sprint("copy", step))
					os.MkdirAll(cp, 0o755)
					copyDays(t, work, cp)
					localScan(t, st, cp)
					log = append(log, "scan a copy")
				case 5:
					var sub string
					filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
						if err == nil && d.IsDir() && filepath.Base(p) == "CloudTrail" && sub == "" {
							sub = filepath.Dir(p) // an account folder
						}
						return nil
					})
					if sub != "" {
						localScan(t, st, sub)
						log = append(log, "scan "+strings.TrimPrefix(sub, work))
					}
				case 6:
					var ready []string
					for _, d := range days {
						if complete[d] {
							ready = append(ready, d)
						}
					}
					if len(ready) == 0 {
						continue
					}
					d := ready[r.IntN(len(ready))]
					since, _ := time.Parse("2006/01/02", d)
					flt := trail.Filter{Since: since, Until: since.AddDate(0, 0, 1)}
					if r.IntN(2) == 0 {
						flt.Regions = []string{"us-east-1"}
					}
					if _, err := athena.ScanInto(context.Background(), st, standIn(work), athena.Options{Table: "t", Filter: flt}, day0.AddDate(1, 0, 0), nil); err != nil &&
						!errors.Is(err, athena.ErrPartialDay) {
						t.Fatal(err)
					}
					log = append(log, fmt.Sprintf("athena %s regions=%v", d, flt.Regions))
				case 7:
					since := day0.Add(time.Duration(r.IntN(4*24*60)) * time.Minute)
					flt := trail.Filter{Since: since, Until: since.Add(time.Duration(1+r.IntN(36*60)) * time.Minute)}
					localScanIn(t, st, work, pars[r.IntN(len(pars))], flt)
					log = append(log, fmt.Sprintf("scan %s to %s", flt.Since.Format("01-02T15:04"), flt.Until.Format("01-02T15:04")))
				case 8:
					// Delivered long ago: folders taken as listed whole
					// by the next scan (docs/trail.md).
					old := time.Now().Add(-time.Hour)
					filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
						if err == nil && d.IsDir() {
							os.Chtimes(p, old, old)
						}
						return nil
					})
					log = append(log, "age folders")
				}
			}
			for _, d := range days {
				arrive(d, true)
			}
			localScan(t, st, work)
			log = append(log, "arrive all, scan")
			if diff := cmp.Diff(want, stateOf(t, st)); diff != "" {
				t.Errorf("after %s: store differs from one scan of the union (-want +got):\n%s", strings.Join(log, "; "), diff)
			}
		})
	}
}

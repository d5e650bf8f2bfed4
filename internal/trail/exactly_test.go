package trail_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

// storeState is what a store says about usage: the numbers people act on.
type storeState struct {
	Rows        []usage.Row
	Events      int64
	RowsTotal   int64
	Unmapped    []usage.UnmappedPair
	SessionKeys []usage.SessionKey
}

func stateOf(t testing.TB, st *usage.Store) storeState {
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
	keys, err := st.SessionKeys(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return storeState{Rows: rows, Events: tot.Events, RowsTotal: tot.Rows, Unmapped: un, SessionKeys: keys}
}

func openStore(t testing.TB, path string) *usage.Store {
	t.Helper()
	st, err := usage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func scanInto(t testing.TB, st *usage.Store, dir string, opts trail.Options) *trail.Result {
	t.Helper()
	res, err := trail.ScanInto(context.Background(), st, &trail.DirSource{Dir: dir}, opts, t0)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var (
	corpusOnce sync.Once
	corpusDir  string
	corpusErr  error
)

// sharedCorpus is one generated delivery-layout corpus (two accounts, one
// day) the exactly-once tests copy from.
func sharedCorpus(t testing.TB) string {
	t.Helper()
	corpusOnce.Do(func() {
		corpusDir, corpusErr = os.MkdirTemp("", "trail-exactly")
		if corpusErr == nil {
			genCorpus(t, corpusDir, 1, 0.2)
		}
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if corpusDir != "" {
		os.RemoveAll(corpusDir)
	}
	os.Exit(code)
}

func copyTree(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644) // like cp without -p: a new mtime
	})
	if err != nil {
		t.Fatal(err)
	}
}

func logFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json.gz") {
			out = append(out, p)
		}
		return nil
	})
	if len(out) == 0 {
		t.Fatal("no log files")
	}
	return out
}

// want is the store a single scan of dir gives.
func want(t testing.TB, dir string) storeState {
	t.Helper()
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	scanInto(t, st, dir, trail.Options{})
	return stateOf(t, st)
}

func diffState(t testing.TB, what string, want, got storeState) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: store differs from a single scan (-want +got):\n%s", what, diff)
	}
}

func TestRescanTouchedFilesCountsOnce(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, sharedCorpus(t), dir)
	w := want(t, dir)
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	first := scanInto(t, st, dir, trail.Options{})
	files := logFiles(t, dir)
	later := time.Now().Add(time.Hour)
	for _, f := range files {
		if err := os.Chtimes(f, later, later); err != nil {
			t.Fatal(err)
		}
	}
	again := scanInto(t, st, dir, trail.Options{})
	if again.Summary.FilesRead != first.Summary.FilesRead || again.Summary.FilesAlreadyCounted != int64(len(files)) || again.Summary.Rows != 0 {
		t.Errorf("touched rescan: read %d, already counted %d of %d files, %d rows added or updated", again.Summary.FilesRead, again.Summary.FilesAlreadyCounted, len(files), again.Summary.Rows)
	}
	diffState(t, "touched files", w, stateOf(t, st))
	// Their new times are marked: a third scan reads nothing.
	if third := scanInto(t, st, dir, trail.Options{}); third.Summary.FilesRead != 0 {
		t.Errorf("third scan read %d files", third.Summary.FilesRead)
	}
}

func TestCopiesAndOtherPathsCountOnce(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b", "nested", "prefix")
	copyTree(t, sharedCorpus(t), a)
	copyTree(t, sharedCorpus(t), b)
	w := want(t, a)
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	scanInto(t, st, a, trail.Options{})
	for _, src := range []string{b, filepath.Join(a, "AWSLogs"), filepath.Join(b, "AWSLogs", "o-exampleorgid"), root} {
		if _, err := os.Stat(src); err != nil {
			continue // the corpus may not use an organization folder
		}
		res := scanInto(t, st, src, trail.Options{})
		if res.Summary.Rows != 0 || res.Summary.FilesAlreadyCounted != res.Summary.FilesRead {
			t.Errorf("%s: %d rows added or updated, %d of %d files recognised", src, res.Summary.Rows, res.Summary.FilesAlreadyCounted, res.Summary.FilesRead)
		}
		diffState(t, src, w, stateOf(t, st))
	}
}

// TestFlatAndGunzippedCopies: outside the delivery layout the identity is
// the content: a folder of renamed, gunzipped copies is counted once, and
// is recognised as the delivery-layout objects already counted.
func TestFlatAndGunzippedCopies(t *testing.T) {
	root := t.TempDir()
	layout, flat := filepath.Join(root, "layout"), filepath.Join(root, "flat")
	copyTree(t, sharedCorpus(t), layout)
	os.MkdirAll(flat, 0o755)
	for i, f := range logFiles(t, layout) {
		plain := gunzipFile(t, f)
		name := filepath.Join(flat, strings.Repeat("x", i%3)+filepath.Base(strings.TrimSuffix(f, ".gz")))
		if err := os.WriteFile(name, plain, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := want(t, layout)
	// Flat first, then the layout, then the flat folder again under a copy.
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	scanInto(t, st, flat, trail.Options{})
	diffState(t, "flat", w, stateOf(t, st))
	if res := scanInto(t, st, layout, trail.Options{}); res.Summary.Rows != 0 {
		t.Errorf("layout after flat added or updated %d rows", res.Summary.Rows)
	}
	flat2 := filepath.Join(root, "flat2")
	copyTree(t, flat, flat2)
	scanInto(t, st, flat2, trail.Options{})
	diffState(t, "flat, layout, flat copy", w, stateOf(t, st))
}

// TestChangedContentIsKeptOutLoudly: CloudTrail never rewrites a delivered
// file, so a counted object seen again with other content is reported by
// name and its counted copy kept; --strict stops.
func TestChangedContentIsKeptOutLoudly(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	copyTree(t, sharedCorpus(t), a)
	copyTree(t, sharedCorpus(t), b)
	w := want(t, a)
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	scanInto(t, st, a, trail.Options{})
	victim := logFiles(t, b)[0]
	other := logFiles(t, b)[1]
	body, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, body, 0o644); err != nil { // another file's records under this name
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(b, victim)
	rel = filepath.ToSlash(rel)

	_, err = trail.ScanInto(context.Background(), st, &trail.DirSource{Dir: b}, trail.Options{Strict: true}, t0)
	var se *trail.StrictError
	if !errors.As(err, &se) || se.Path != rel || se.Reason != trail.SkipFileChanged {
		t.Errorf("strict scan: %v, want a strict error naming %s", err, rel)
	}
	var warned []string
	res, err := trail.ScanInto(context.Background(), st, &trail.DirSource{Dir: b}, trail.Options{Warn: func(m string) { warned = append(warned, m) }}, t0)
	if err != nil {
		t.Fatal(err)
	}
	sk := res.Summary.SkippedFiles[trail.SkipFileChanged]
	if res.Summary.FilesChanged != 1 || sk == nil || sk.Count != 1 || !strings.HasPrefix(sk.Examples[0], rel+" (identity ") {
		t.Errorf("changed file: %d changed, skips %+v", res.Summary.FilesChanged, sk)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], rel) || !strings.Contains(warned[0], "possible tampering") {
		t.Errorf("warnings %q", warned)
	}
	diffState(t, "changed copy", w, stateOf(t, st))
	// Still loud on the next scan: the changed file is never marked.
	if res := scanInto(t, st, b, trail.Options{}); res.Summary.FilesChanged != 1 {
		t.Errorf("second scan: %d changed files", res.Summary.FilesChanged)
	}
}

// TestConcurrentScansOneWorkspace: two scans of one workspace at once (two
// openings of the store, as two processes would) run one after the other:
// the second says it waits, then finds everything counted.
func TestConcurrentScansOneWorkspace(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, sharedCorpus(t), dir)
	w := want(t, dir)
	path := filepath.Join(t.TempDir(), "usage.db")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var waited []string
	errs := make([]error, 2)
	for i := range 2 {
		st := openStore(t, path)
		st.Waiting = func(msg string) { mu.Lock(); waited = append(waited, msg); mu.Unlock() }
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = trail.ScanInto(context.Background(), st, &trail.DirSource{Dir: dir}, trail.Options{}, t0)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("scan: %v", err)
		}
	}
	if len(waited) != 1 || !strings.Contains(waited[0], "waiting for it to finish") || !strings.Contains(waited[0], "pid ") {
		t.Errorf("wait messages %q", waited)
	}
	diffState(t, "two concurrent scans", w, stateOf(t, openStore(t, path)))
}

// TestCommitRefusesObjectsCountedMeanwhile: a scan that did not take the
// ledger (the earlier API) cannot add objects another scan counted: its
// commit is refused whole.
func TestCommitRefusesObjectsCountedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, sharedCorpus(t), dir)
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	res, err := trail.Scan(context.Background(), &trail.DirSource{Dir: dir}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	scanInto(t, st, dir, trail.Options{})
	before := stateOf(t, st)
	err = st.Commit(context.Background(), usage.Batch{Rows: res.Rows, Objects: res.Objects})
	if !errors.Is(err, usage.ErrAlreadyCounted) {
		t.Fatalf("commit of objects counted meanwhile: %v", err)
	}
	diffState(t, "refused commit", before, stateOf(t, st))
}

// TestDemoTwiceSameNumbers: `seiri demo` run again in the same workspace
// (the same minute: its logs are written again, every file with a new
// modification time) gives the same numbers: every file is recognised by
// its identity and nothing is added.
func TestDemoTwiceSameNumbers(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the demo's 90 days of logs twice")
	}
	ws := t.TempDir()
	st := openStore(t, filepath.Join(ws, "usage.db"))
	now := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	logs := filepath.Join(ws, "demo", "cloudtrail")
	window := trail.Options{Filter: trail.Filter{Since: now.AddDate(0, 0, -demo.TrailDays), Until: now}}
	run := func() *trail.Result {
		org := demo.Generate(now, demo.Seed)
		if _, err := org.WriteTrail(logs); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Minute) // as if written a minute later
		filepath.WalkDir(logs, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				os.Chtimes(p, later, later)
			}
			return nil
		})
		return scanInto(t, st, logs, window)
	}
	first := run()
	want := stateOf(t, st)
	if want.Events == 0 || first.Summary.FilesRead == 0 {
		t.Fatal("the demo scanned nothing")
	}
	res := run()
	if res.Summary.Rows != 0 || res.Summary.FilesAlreadyCounted != first.Summary.FilesRead {
		t.Errorf("demo again: %d rows added or updated, %d of %d files recognised", res.Summary.Rows, res.Summary.FilesAlreadyCounted, first.Summary.FilesRead)
	}
	diffState(t, "demo again", want, stateOf(t, st))
}

// TestResetThenRescan: a reset store (what the demo does when its store
// holds only the demo's regenerated logs) scanned again is a fresh scan.
func TestResetThenRescan(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, sharedCorpus(t), dir)
	w := want(t, dir)
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	scanInto(t, st, dir, trail.Options{})
	srcs, err := st.Sources(context.Background())
	if err != nil || len(srcs) != 1 || srcs[0] != (&trail.DirSource{Dir: dir}).Name() {
		t.Fatalf("sources %v %v", srcs, err)
	}
	if err := st.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, st); got.Events != 0 || len(got.Rows) != 0 {
		t.Fatalf("reset store holds %d events", got.Events)
	}
	scanInto(t, st, dir, trail.Options{})
	diffState(t, "reset, rescan", w, stateOf(t, st))
}

// committed is the store one commit of a whole scan of dir gives
// (trail.Scan, then Store.Commit): nothing settled on the way.
func committed(t testing.TB, dir string) storeState {
	t.Helper()
	ctx := context.Background()
	res, err := trail.Scan(ctx, &trail.DirSource{Dir: dir}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	if err := st.Commit(ctx, usage.Batch{Rows: res.Rows, SessionKeys: res.SessionKeys, SessionUses: res.SessionUses,
		Unmapped: res.Unmapped, Objects: res.Objects}); err != nil {
		t.Fatal(err)
	}
	return stateOf(t, st)
}

// gunzipFile is the content of a gzip file.
func gunzipFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// foreignFile writes into the folder of account "to" a log file holding
// the records of from (another account's file) with new event ids: rows of
// from's account made by another group of the scan.
func foreignFile(t testing.TB, from, to string) string {
	t.Helper()
	raw := bytes.ReplaceAll(gunzipFile(t, from), []byte(`"eventID":"`), []byte(`"eventID":"f`))
	rel := strings.Split(filepath.ToSlash(from), "/AWSLogs/")[1]
	parts := strings.Split(rel, "/")
	account := parts[0]
	if strings.HasPrefix(account, "o-") {
		account = parts[1]
	}
	rel = strings.ReplaceAll(rel, account, to)
	rel = strings.TrimSuffix(rel, ".json.gz") + "f.json.gz"
	dst := filepath.Join(strings.Split(from, "/AWSLogs/")[0], "AWSLogs", filepath.FromSlash(rel))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestSettledScan: ScanInto hands the store each group of files (an
// account and region) as soon as its files are read, and the store merges
// it into the scan's transaction; the store then holds what one commit of
// the whole scan gives, also when a group holds rows of another group's
// account (a record of account A in a file of account B: merged into the
// rows A's group inserted, or inserted before them), and the scan reports
// the same number of rows. A scan into a store that holds rows reports the
// rows it added or updated. A scan that fails after groups were saved
// leaves the store as it was (one transaction).
func TestSettledScan(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, sharedCorpus(t), dir)
	files := logFiles(t, dir)
	var a, b string // a big file of each account
	for _, f := range files {
		fi, _ := os.Stat(f)
		switch {
		case strings.Contains(f, "111111111111_CloudTrail") && (a == "" || fi.Size() > size(t, a)):
			a = f
		case strings.Contains(f, "222222222222_CloudTrail") && (b == "" || fi.Size() > size(t, b)):
			b = f
		}
	}
	foreignFile(t, a, "222222222222")
	foreignFile(t, b, "111111111111")
	files = logFiles(t, dir)
	w := committed(t, dir)

	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	res := scanInto(t, st, dir, trail.Options{})
	diffState(t, "settled scan", w, stateOf(t, st))
	left := len(res.Rows)
	// Each account and region of the test corpus holds far more than
	// 1/64 of its bytes: a group each.
	units := map[[2]string]bool{}
	for _, f := range files {
		if info := trail.ParsePath(filepath.ToSlash(f)); info.OK {
			units[[2]string{info.Account, info.Region}] = true
		}
	}
	if res.Summary.Rows != len(w.Rows) || left != 0 || res.Groups != len(units) || len(units) < 2 {
		t.Errorf("settled scan: summary says %d rows, %d left for the end, %d groups; want %d rows, none left, a group per account and region (%d)",
			res.Summary.Rows, left, res.Groups, len(w.Rows), len(units))
	}

	// Half the files first, then all of them: the second scan reports the
	// rows the other half makes (added or updated).
	half, other := t.TempDir(), t.TempDir()
	for i, f := range files {
		to := half
		if i%2 == 1 {
			to = other
		}
		rel, _ := filepath.Rel(dir, f)
		os.MkdirAll(filepath.Join(to, filepath.Dir(rel)), 0o755)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(to, rel), b, 0o644)
	}
	st1 := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	scanInto(t, st1, half, trail.Options{})
	rows := scanInto(t, st1, dir, trail.Options{}).Summary.Rows
	diffState(t, "half then all", w, stateOf(t, st1))
	if want := len(committed(t, other).Rows); rows != want {
		t.Errorf("rows added or updated by the second scan: %d, want %d (the rows of the files it read)", rows, want)
	}

	// A corrupt file read last (the smallest group; one worker) fails a
	// strict scan after every other group was saved: nothing is kept.
	bad := filepath.Join(dir, "AWSLogs", "zz-corrupt.json.gz")
	if err := os.WriteFile(bad, []byte{0x1f, 0x8b, 8, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	st2 := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	empty := stateOf(t, st2)
	saved := 0
	src := &gatedSource{DirSource: &trail.DirSource{Dir: dir}, gated: "zz-corrupt", gate: make(chan struct{})}
	_, err := trail.ScanInto(context.Background(), st2, src, trail.Options{Parallel: 1, Strict: true, Settle: func(trail.Settled) error {
		if saved++; saved == res.Groups {
			close(src.gate) // every other group is in the transaction: the corrupt file may be read
		}
		return nil
	}}, t0)
	var se *trail.StrictError
	if !errors.As(err, &se) || !strings.Contains(se.Path, "zz-corrupt") {
		t.Fatalf("strict scan with a corrupt file: %v", err)
	}
	if saved != res.Groups {
		t.Errorf("groups saved before the corrupt file failed the scan: %d, want every other group (%d)", saved, res.Groups)
	}
	diffState(t, "failed settled scan", empty, stateOf(t, st2))
	if again := scanInto(t, st2, dir, trail.Options{}); again.Summary.FilesRead != int64(len(files)+1) || again.Summary.FilesAlreadyCounted != 0 {
		t.Errorf("after the failed scan: read %d files (%d already counted), want all %d read again", again.Summary.FilesRead, again.Summary.FilesAlreadyCounted, len(files)+1)
	}
	diffState(t, "rescan after the failed one", w, stateOf(t, st2))
}

// gatedSource opens the objects whose key holds gated only once gate is
// closed.
type gatedSource struct {
	*trail.DirSource
	gated string
	gate  chan struct{}
}

func (s *gatedSource) Open(ctx context.Context, o trail.Object) (io.ReadCloser, error) {
	if strings.Contains(o.Key, s.gated) {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.DirSource.Open(ctx, o)
}

func size(t testing.TB, f string) int64 {
	t.Helper()
	fi, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestCancelledAfterGroupsSaved: ScanInto writes each settled group
// (rows, session keys, the ledger and the path marks of its objects) into
// its transaction while the scan reads on; a scan cancelled after some
// groups were handed over leaves the store as it was, and the next scan
// reads and counts every file.
func TestCancelledAfterGroupsSaved(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, sharedCorpus(t), dir)
	w := want(t, dir)
	files := logFiles(t, dir)
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	empty := stateOf(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	handed := 0
	opts := trail.Options{Parallel: 1, Settle: func(g trail.Settled) error {
		if handed++; handed == 2 {
			cancel()
		}
		return nil
	}}
	_, err := trail.ScanInto(ctx, st, &trail.DirSource{Dir: dir}, opts, t0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("scan cancelled after two groups were handed over: %v", err)
	}
	diffState(t, "cancelled scan", empty, stateOf(t, st))
	if tot, err := st.Totals(context.Background()); err != nil || tot.ScannedObjects != 0 || tot.Runs != 0 {
		t.Errorf("after the cancelled scan: %+v, %v; want no object marked, no run", tot, err)
	}
	again := scanInto(t, st, dir, trail.Options{})
	if again.Summary.FilesRead != int64(len(files)) || again.Summary.FilesAlreadyCounted != 0 || again.Summary.FilesAlreadyScanned != 0 {
		t.Errorf("after the cancelled scan: read %d files (%d already counted, %d already scanned), want all %d read and counted",
			again.Summary.FilesRead, again.Summary.FilesAlreadyCounted, again.Summary.FilesAlreadyScanned, len(files))
	}
	diffState(t, "rescan after the cancelled one", w, stateOf(t, st))
}

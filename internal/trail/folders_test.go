package trail_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
)

// age sets the modification time of dir and every folder under it to two
// hours ago, as logs delivered over time leave them (a folder changed in
// the last minute is never taken as listed whole).
func age(t testing.TB, dir string) {
	t.Helper()
	old := time.Now().Add(-2 * time.Hour)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// logFolders are the folders of dir holding .json.gz files (slash
// separated, relative), and how many each holds.
func logFolders(t testing.TB, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, f := range logFiles(t, dir) {
		rel, _ := filepath.Rel(dir, filepath.Dir(f))
		out[filepath.ToSlash(rel)]++
	}
	return out
}

// agedCorpus generates a corpus of days (then runs more on its folder,
// if set) and ages its folders: its folder, its folders of logs (as
// generated) and how many log files they hold.
func agedCorpus(t testing.TB, days int, more func(dir string)) (string, map[string]int64, int64) {
	t.Helper()
	dir := t.TempDir()
	genCorpus(t, dir, days, 0.05)
	folders := logFolders(t, dir)
	if more != nil {
		more(dir)
	}
	age(t, dir)
	var files int64
	for _, n := range folders {
		files += n
	}
	return dir, folders, files
}

// deliverCopy delivers a new file into folder (slash separated, under
// dir): another file's content under a name of its own, a new object.
func deliverCopy(t testing.TB, dir, folder string) {
	t.Helper()
	for _, f := range logFiles(t, dir) {
		if rel, _ := filepath.Rel(dir, filepath.Dir(f)); filepath.ToSlash(rel) == folder {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(strings.Replace(f, ".json.gz", "x.json.gz", 1), b, 0o600); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no log file in %s", folder)
}

// listed is what a scan's summary says it listed and left out.
type listed struct{ Listed, AlreadyScanned, Read, Unchanged, UnchangedFiles int64 }

func listedOf(r *trail.Result) listed {
	s := r.Summary
	return listed{s.FilesListed, s.FilesAlreadyScanned, s.FilesRead, s.FoldersUnchanged, s.FilesInUnchangedFolders}
}

func wantListed(t testing.TB, what string, got *trail.Result, want listed) {
	t.Helper()
	if g := listedOf(got); g != want {
		t.Errorf("%s: listed %d, already scanned %d, read %d, unchanged folders %d (%d files); want %+v",
			what, g.Listed, g.AlreadyScanned, g.Read, g.Unchanged, g.UnchangedFiles, want)
	}
}

// TestUnchangedFoldersAreNotListed: a local folder unchanged since a scan
// found every file in it marked is not listed again; a folder a file was
// added to is, and only its new file is read; a folder changed in the last
// minute is listed again until it settles; Relist lists everything. The
// store is the one a single scan of the final tree gives.
func TestUnchangedFoldersAreNotListed(t *testing.T) {
	dir, folders, files := agedCorpus(t, 3, nil)
	nf := int64(len(folders))
	if nf < 4 {
		t.Fatalf("%d log folders: the test needs several", nf)
	}
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	first := scanInto(t, st, dir, trail.Options{})
	wantListed(t, "first scan", first, listed{Listed: files, Read: files})
	if len(first.Folders) != len(folders) {
		t.Errorf("first scan reports %d folders, the tree has %d", len(first.Folders), len(folders))
	}
	for _, f := range first.Folders {
		if f.MTime == 0 || f.Files != folders[f.Dir] {
			t.Errorf("folder %q: %+v, want listed whole with %d files", f.Dir, f, folders[f.Dir])
		}
	}
	before := stateOf(t, st)

	wantListed(t, "rescan", scanInto(t, st, dir, trail.Options{}), listed{Unchanged: nf, UnchangedFiles: files})
	diffState(t, "rescan", before, stateOf(t, st))
	wantListed(t, "relist", scanInto(t, st, dir, trail.Options{Relist: true}), listed{Listed: files, AlreadyScanned: files})

	// A new delivery in one folder (another file's content under a name
	// of its own: a new object): that folder alone is listed, its new file
	// alone read.
	some := slices.Sorted(maps.Keys(folders))[1]
	deliverCopy(t, dir, some)
	n := folders[some]
	wantListed(t, "after a new file", scanInto(t, st, dir, trail.Options{}),
		listed{Listed: n + 1, AlreadyScanned: n, Read: 1, Unchanged: nf - 1, UnchangedFiles: files - n})
	diffState(t, "after a new file", want(t, dir), stateOf(t, st))
	// Changed a moment ago: not taken as listed whole yet.
	wantListed(t, "a moment later", scanInto(t, st, dir, trail.Options{}),
		listed{Listed: n + 1, AlreadyScanned: n + 1, Unchanged: nf - 1, UnchangedFiles: files - n})
	age(t, dir)
	scanInto(t, st, dir, trail.Options{})
	wantListed(t, "once settled", scanInto(t, st, dir, trail.Options{}), listed{Unchanged: nf, UnchangedFiles: files + 1})
	diffState(t, "once settled", want(t, dir), stateOf(t, st))
}

// TestFoldersNotReadWholeAreListedAgain: a folder is taken as listed whole
// only when every log file in it was listed and read: a file a window left
// out, a file that could not be read, a subfolder (whose changes its
// parent's time does not show) each keep it listed by every scan.
func TestFoldersNotReadWholeAreListedAgain(t *testing.T) {
	t.Run("window", func(t *testing.T) {
		dir := t.TempDir()
		genCorpus(t, dir, 2, 0.05)
		age(t, dir)
		folders := logFolders(t, dir)
		st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
		// Half of the first day: its folders are listed in part.
		res := scanInto(t, st, dir, trail.Options{Filter: trail.Filter{Since: t0.Add(12 * time.Hour)}})
		var part, whole, wholeFiles int64
		for _, f := range res.Folders {
			if strings.Contains(f.Dir, t0.Format("2006/01/02")) {
				part++
				if f.MTime != 0 {
					t.Errorf("folder %s, listed in part, taken as whole", f.Dir)
				}
			} else if f.MTime != 0 {
				whole++
				wholeFiles += f.Files
			}
		}
		if part == 0 || whole == 0 {
			t.Fatalf("%d folders listed in part, %d whole: the test needs both", part, whole)
		}
		// Without the window: the first day's folders are listed, the files
		// the window left out read; the rest was read whole.
		var files int64
		for _, n := range folders {
			files += n
		}
		res = scanInto(t, st, dir, trail.Options{})
		if s := res.Summary; s.FoldersUnchanged != whole || s.FilesInUnchangedFolders != wholeFiles || s.FilesListed != files-wholeFiles || s.FilesRead == 0 {
			t.Errorf("scan without the window: %+v; want %d folders (%d files) unchanged, the other %d files listed, some read",
				listedOf(res), whole, wholeFiles, files-wholeFiles)
		}
		// The same two scans listing everything give the same store.
		relisted := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
		scanInto(t, relisted, dir, trail.Options{Filter: trail.Filter{Since: t0.Add(12 * time.Hour)}, Relist: true})
		scanInto(t, relisted, dir, trail.Options{Relist: true})
		diffState(t, "after the window", stateOf(t, relisted), stateOf(t, st))
	})
	t.Run("unreadable file", func(t *testing.T) {
		dir := t.TempDir()
		genCorpus(t, dir, 1, 0.05)
		bad := logFiles(t, dir)[0]
		body, err := os.ReadFile(bad)
		if err != nil {
			t.Fatal(err)
		}
		// Truncated: a file never read to its end is never marked.
		if err := os.WriteFile(bad, body[:len(body)/2], 0o600); err != nil {
			t.Fatal(err)
		}
		age(t, dir)
		folders := logFolders(t, dir)
		rel, _ := filepath.Rel(dir, filepath.Dir(bad))
		n := folders[filepath.ToSlash(rel)]
		var files int64
		for _, k := range folders {
			files += k
		}
		st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
		scanInto(t, st, dir, trail.Options{})
		res := scanInto(t, st, dir, trail.Options{})
		wantListed(t, "rescan", res, listed{Listed: n, AlreadyScanned: n - 1, Read: 1, Unchanged: int64(len(folders)) - 1, UnchangedFiles: files - n})
		if res.Summary.FilesSkipped != 1 {
			t.Errorf("the unreadable file is skipped %d times, want reported again", res.Summary.FilesSkipped)
		}
	})
	t.Run("subfolder", func(t *testing.T) {
		corpus := t.TempDir()
		genCorpus(t, corpus, 1, 0.05)
		all := logFiles(t, corpus)
		dir := t.TempDir()
		// x holds a file and a folder y holding another.
		for i, to := range []string{"x/a.json.gz", "x/y/b.json.gz"} {
			b, err := os.ReadFile(all[i])
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, filepath.FromSlash(to))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		age(t, dir)
		st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
		scanInto(t, st, dir, trail.Options{})
		wantListed(t, "rescan", scanInto(t, st, dir, trail.Options{}), listed{Listed: 1, AlreadyScanned: 1, Unchanged: 1, UnchangedFiles: 1})
	})
}

// TestChangedInPlaceNeedsRelist: a delivered file rewritten in place
// leaves its folder's time as it was (no file added, removed or renamed),
// so a folder listed whole hides it; --relist (Options.Relist) lists the
// folder and the changed content is reported (docs/trail.md, "Folders
// listed whole").
func TestChangedInPlaceNeedsRelist(t *testing.T) {
	dir := t.TempDir()
	genCorpus(t, dir, 1, 0.05)
	age(t, dir)
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	scanInto(t, st, dir, trail.Options{})
	before := stateOf(t, st)
	fs := logFiles(t, dir)
	body, err := os.ReadFile(fs[1])
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Dir(fs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fs[0], body, 0o600); err != nil {
		t.Fatal(err)
	}
	if now, err := os.Stat(filepath.Dir(fs[0])); err != nil || !now.ModTime().Equal(info.ModTime()) {
		t.Fatalf("rewriting a file in place changed its folder's time (%v): the premise of this test", err)
	}
	if res := scanInto(t, st, dir, trail.Options{}); res.Summary.FilesListed != 0 || res.Summary.FilesChanged != 0 {
		t.Errorf("without relist: %+v, %d changed; want nothing listed", listedOf(res), res.Summary.FilesChanged)
	}
	res := scanInto(t, st, dir, trail.Options{Relist: true})
	if res.Summary.FilesChanged != 1 {
		t.Errorf("relist: %d changed files, want 1", res.Summary.FilesChanged)
	}
	diffState(t, "changed in place", before, stateOf(t, st))
	// Its folder is listed from now on (the changed file is never marked).
	if res := scanInto(t, st, dir, trail.Options{}); res.Summary.FilesChanged != 1 {
		t.Errorf("next scan: %d changed files, want 1", res.Summary.FilesChanged)
	}
}

// TestUntrustedFileSystemListsEveryFolder: on a file system whose folder
// times may stay the same while files arrive (a FUSE mount of a bucket),
// no folder is taken as unchanged, even one recorded before, none is
// recorded, and the summary says why.
func TestUntrustedFileSystemListsEveryFolder(t *testing.T) {
	dir := t.TempDir()
	genCorpus(t, dir, 2, 0.05)
	age(t, dir)
	var files int64
	for _, n := range logFolders(t, dir) {
		files += n
	}
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	if res := scanInto(t, st, dir, trail.Options{}); res.Summary.FolderTimesIgnored != "" {
		t.Fatalf("the test's folder is on a file system seiri does not trust: %s", res.Summary.FolderTimesIgnored)
	}
	defer trail.SetFileSystemOf(func(string) (bool, string) { return false, "fuse" })()
	for i := range 2 {
		res := scanInto(t, st, dir, trail.Options{})
		wantListed(t, fmt.Sprint("scan ", i+1, " on fuse"), res, listed{Listed: files, AlreadyScanned: files})
		for _, f := range res.Folders {
			if f.MTime != 0 {
				t.Errorf("folder %s taken as listed whole on fuse", f.Dir)
			}
		}
		abs, _ := filepath.Abs(dir)
		if want := abs + " is on fuse, whose folder times may stay the same while files arrive: its folders are listed every time"; res.Summary.FolderTimesIgnored != want {
			t.Errorf("summary says %q, want %q", res.Summary.FolderTimesIgnored, want)
		}
	}
}

// TestListingStartedBeforeTheStore: a listing started before the store
// was opened (Options.Listing, a workspace's first scan) decides nothing
// by itself. Another scan that counts the same files meanwhile leaves
// them counted once; a file added after the listing is read by the next
// scan; the folders it found whole are recorded with the times it saw, so
// the next scan leaves them unlisted. Each step's store is the one a
// single scan of the tree gives.
func TestListingStartedBeforeTheStore(t *testing.T) {
	dir, folders, files := agedCorpus(t, 2, nil)
	nf := int64(len(folders))
	src := &trail.DirSource{Dir: dir}
	ctx := context.Background()

	// Alone: the same store as a scan that lists after taking the lock.
	early := trail.StartListing(ctx, src, &trail.Filter{})
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	wantListed(t, "first scan, listed early", scanInto(t, st, dir, trail.Options{Listing: early}), listed{Listed: files, Read: files})
	diffState(t, "first scan, listed early", want(t, dir), stateOf(t, st))
	wantListed(t, "rescan", scanInto(t, st, dir, trail.Options{}), listed{Unchanged: nf, UnchangedFiles: files})

	// Another scan counts the files between the listing and the lock.
	early = trail.StartListing(ctx, src, &trail.Filter{})
	st = openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	scanInto(t, st, dir, trail.Options{})
	res := scanInto(t, st, dir, trail.Options{Listing: early})
	wantListed(t, "scan listed before another counted", res, listed{Listed: files, AlreadyScanned: files})
	diffState(t, "scan listed before another counted", want(t, dir), stateOf(t, st))

	// A file delivered after the listing waits for the next scan.
	early = trail.StartListing(ctx, src, &trail.Filter{})
	if _, err := early.Wait(); err != nil {
		t.Fatal(err)
	}
	some := slices.Sorted(maps.Keys(folders))[0]
	deliverCopy(t, dir, some)
	st = openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	first := scanInto(t, st, dir, trail.Options{Listing: early})
	wantListed(t, "scan listed before a new file", first, listed{Listed: files, Read: files})
	for _, f := range first.Folders {
		if f.Dir == some && f.MTime == 0 {
			continue
		}
		if f.MTime == 0 {
			t.Errorf("folder %q not recorded as listed whole", f.Dir)
		}
	}
	// The new file's folder changed after the listing: its recorded time
	// is not the folder's now, so it is listed (and the file read).
	n := folders[some]
	wantListed(t, "next scan", scanInto(t, st, dir, trail.Options{}),
		listed{Listed: n + 1, AlreadyScanned: n, Read: 1, Unchanged: nf - 1, UnchangedFiles: files - n})
	diffState(t, "next scan", want(t, dir), stateOf(t, st))
}

// TestStoppedListing: Stop cancels a listing still running and returns
// once it did; the listing then says it was cancelled.
func TestStoppedListing(t *testing.T) {
	src := &blockedList{started: make(chan struct{})}
	p := trail.StartListing(context.Background(), src, &trail.Filter{})
	<-src.started
	p.Stop()
	if !src.returned.Load() {
		t.Error("Stop returned before the listing did")
	}
	if _, err := p.Wait(); !errors.Is(err, context.Canceled) {
		t.Errorf("stopped listing: %v, want context.Canceled", err)
	}
	p.Stop() // again: nothing more
}

// blockedList is a source whose listing runs until it is cancelled.
type blockedList struct {
	started  chan struct{}
	returned atomic.Bool
}

func (b *blockedList) Name() string { return "blocked" }
func (b *blockedList) List(ctx context.Context, f *trail.Filter) (*trail.Listing, error) {
	close(b.started)
	<-ctx.Done()
	time.Sleep(10 * time.Millisecond) // a listing finishing its last folder
	b.returned.Store(true)
	return nil, ctx.Err()
}
func (b *blockedList) Open(ctx context.Context, o trail.Object) (io.ReadCloser, error) {
	return nil, errors.New("not listed")
}

// addDigests writes n digest files into the CloudTrail-Digest folder
// beside each folder of logs (as an organization trail delivers them) and
// returns the digest folders and how many each holds.
func addDigests(t testing.TB, dir string, n int) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for f := range logFolders(t, dir) {
		d := strings.Replace(f, "/CloudTrail/", "/CloudTrail-Digest/", 1)
		if d == f {
			t.Fatalf("%s is not a delivery folder", f)
		}
		pi := trail.ParsePath(f + "/x.json.gz")
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			name := fmt.Sprintf("%s_CloudTrail-Digest_%s_org-trail_%s_%sT%02d0000Z.json.gz", pi.Account, pi.Region, pi.Region, pi.Date.Format("20060102"), i)
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(d), name), []byte("digest"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		out[d] = int64(n)
	}
	return out
}

// TestDigestFoldersListedWhole: a folder of digest files holds nothing a
// scan reads, but a rescan would list it; it is recorded as listed whole
// like a folder of logs, and left out while unchanged (its digests are
// then not counted as listed). A digest delivered into it has it listed
// again. Rows are as one scan of the tree gives.
func TestDigestFoldersListedWhole(t *testing.T) {
	var digestDirs map[string]int64
	dir, folders, files := agedCorpus(t, 2, func(dir string) { digestDirs = addDigests(t, dir, 3) })
	var digests int64
	for _, n := range digestDirs {
		digests += n
	}
	nf, nd := int64(len(folders)), int64(len(digestDirs))
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	first := scanInto(t, st, dir, trail.Options{})
	wantListed(t, "first scan", first, listed{Listed: files, Read: files})
	if first.Summary.DigestFiles != digests {
		t.Errorf("first scan: %d digest files, want %d", first.Summary.DigestFiles, digests)
	}
	recorded := 0
	for _, f := range first.Folders {
		if n, ok := digestDirs[f.Dir]; ok {
			if f.MTime == 0 || f.Files != 0 {
				t.Errorf("digest folder %q: %+v, want listed whole with no log file (%d digests)", f.Dir, f, n)
			}
			recorded++
		}
	}
	if recorded != len(digestDirs) {
		t.Errorf("%d of %d digest folders in the scan's folders", recorded, len(digestDirs))
	}
	before := stateOf(t, st)

	rescan := scanInto(t, st, dir, trail.Options{})
	wantListed(t, "rescan", rescan, listed{Unchanged: nf + nd, UnchangedFiles: files})
	if rescan.Summary.DigestFiles != 0 {
		t.Errorf("rescan: %d digest files listed, want 0 (their folders unchanged)", rescan.Summary.DigestFiles)
	}
	diffState(t, "rescan", before, stateOf(t, st))

	// One more digest in one folder: that folder alone is listed.
	some := slices.Sorted(maps.Keys(digestDirs))[0]
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(some), "late_CloudTrail-Digest.json.gz"), []byte("digest"), 0o600); err != nil {
		t.Fatal(err)
	}
	after := scanInto(t, st, dir, trail.Options{})
	wantListed(t, "after a new digest", after, listed{Unchanged: nf + nd - 1, UnchangedFiles: files})
	if after.Summary.DigestFiles != digestDirs[some]+1 {
		t.Errorf("after a new digest: %d digest files listed, want %d", after.Summary.DigestFiles, digestDirs[some]+1)
	}
	// Changed a moment ago: listed again until it settles.
	wantListed(t, "a moment later", scanInto(t, st, dir, trail.Options{}), listed{Unchanged: nf + nd - 1, UnchangedFiles: files})
	relist := scanInto(t, st, dir, trail.Options{Relist: true})
	wantListed(t, "relist", relist, listed{Listed: files, AlreadyScanned: files})
	if relist.Summary.DigestFiles != digests+1 {
		t.Errorf("relist: %d digest files, want %d", relist.Summary.DigestFiles, digests+1)
	}
	diffState(t, "after a new digest", want(t, dir), stateOf(t, st))
}

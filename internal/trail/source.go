package trail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/seiri-dev/seiri/internal/usage"
)

// Object is one log object a source lists.
type Object struct {
	Key   string // path relative to the source (slash-separated) or S3 key
	Size  int64
	ETag  string
	MTime time.Time
	Info  PathInfo
}

// ListError is a listing failure of one prefix (the scan goes on elsewhere).
type ListError struct {
	Prefix string
	Err    error
}

func (e ListError) Error() string { return fmt.Sprintf("%s: %v", e.Prefix, e.Err) }

// Listing is what a source found inside the filter.
type Listing struct {
	Objects []Object
	Digests int64 // digest files recognised (never read)
	Ignored int64 // files that are not .json or .json.gz, links to what is not a file
	Pruned  int64 // folders/prefixes left out by the filter
	Errors  []ListError
	// Folders are the folders read that hold log files or digest files
	// (FolderSource): their number of log files listed and, when the
	// folder was listed whole (see dirWalk.readDir), its modification
	// time; else MTime is 0.
	Folders []usage.FolderState
	// Unchanged are the folders a FolderSource left out, unchanged since
	// a scan found them whole and every file in them marked, and
	// UnchangedFiles the log files they held then.
	Unchanged, UnchangedFiles int64
	// FolderTimesIgnored says why some folders' times were not trusted
	// (a FUSE mount, an unknown file system): those folders are listed
	// every time and never recorded as listed whole.
	FolderTimesIgnored string
}

// Source is where log objects come from: a directory, an S3 bucket.
type Source interface {
	// Name identifies the source in the usage store's bookkeeping.
	Name() string
	// List returns the objects that can hold records inside f, never
	// descending into folders/prefixes outside it.
	List(ctx context.Context, f *Filter) (*Listing, error)
	// Open returns the raw (possibly gzip-compressed) content of o.
	Open(ctx context.Context, o Object) (io.ReadCloser, error)
}

// FolderSource is a source whose folders say when the files in them last
// changed (a local directory: adding, removing or renaming a file changes
// its folder's modification time).
type FolderSource interface {
	Source
	// ListChanged lists as List does, but leaves out the folders of known
	// whose modification time is still the one recorded (counted in
	// Listing.Unchanged), and reports the folders it reads in
	// Listing.Folders.
	ListChanged(ctx context.Context, f *Filter, known map[string]usage.FolderState) (*Listing, error)
}

// folderSettle is how old a folder's modification time must be, when it
// is listed, for the folder to be recorded as listed whole: a change in
// the same tick of the file system's clock as the time recorded would
// leave the time unchanged (file systems keep it to the nanosecond, a
// clock tick, or 2 seconds on FAT). A folder changed in the last minute
// is listed again by the next scan.
const folderSettle = time.Minute

// logFile reports whether a name is a CloudTrail log file seiri reads.
func logFile(name string) bool {
	return strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".json.gzip")
}

// DirSource reads a local directory tree (a copy of a trail bucket, or any
// folder of .json/.json.gz files).
type DirSource struct {
	Dir string
}

// Name is the absolute directory.
func (d *DirSource) Name() string {
	if abs, err := filepath.Abs(d.Dir); err == nil {
		return abs
	}
	return d.Dir
}

// List walks the tree, pruning account, region, year, month and day folders
// of the delivery layout that fall outside f. Folders are read by several
// goroutines (listWorkers): a delivery layout is thousands of folders, and
// the status of each file is a system call; the objects come out in the
// order of a walk of the tree by name (deterministic, whatever goroutine
// read which folder).
func (d *DirSource) List(ctx context.Context, f *Filter) (*Listing, error) {
	return d.ListChanged(ctx, f, nil)
}

// ListChanged is List leaving out the folders of known that did not change
// (FolderSource). Only a folder with no subfolder is left out: a folder's
// modification time says nothing of what changed inside its subfolders.
func (d *DirSource) ListChanged(ctx context.Context, f *Filter, known map[string]usage.FolderState) (*Listing, error) {
	start := time.Now()
	fi, err := os.Stat(d.Dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", d.Dir)
	}
	w := &dirWalk{root: filepath.Clean(d.Dir), f: f, known: known, settled: start.Add(-folderSettle).UnixNano(), dirs: map[string]*listedDir{}, todo: []string{"."},
		rootDev: deviceOf(fi), fsTrust: map[uint64]bool{}}
	w.more = sync.NewCond(&w.mu)
	var wg sync.WaitGroup
	for range listWorkers {
		wg.Go(func() { w.work(ctx) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return w.listing(), nil
}

// listWorkers is how many folders DirSource.List reads at once: listing
// is system calls (getdents, a status per file) more than computing, so a
// few more than the cores keep them busy.
const listWorkers = 4

// dirWalk is one DirSource.List: folders to read, folders read.
type dirWalk struct {
	root    string
	f       *Filter
	known   map[string]usage.FolderState // folders listed whole before (ListChanged)
	settled int64                        // a folder changed before this (Unix ns) may be recorded as listed whole
	rootDev uint64                       // the root folder's device (0: unknown)

	fsMu      sync.Mutex
	fsTrust   map[uint64]bool // per device: are its folder times trusted (fileSystemOf)
	fsIgnored string          // the first folder whose times were not trusted, and why

	mu   sync.Mutex
	more *sync.Cond // a folder was queued, or the last busy worker finished
	todo []string   // folders to read (relative, slash-separated; "." the root)
	busy int        // workers reading a folder
	dirs map[string]*listedDir
}

// listedDir is what one folder holds, by name: its log objects, its
// subfolders to walk into and its listing errors, in the order a walk by
// name meets them, and its counts.
type listedDir struct {
	entries                  []listEntry
	digests, ignored, pruned int64
	folder                   usage.FolderState // Dir set: the folder holds log or digest files
	unchanged, unchangedN    int64             // subfolders left out (ListChanged), their files
}

// recorded says whether the folder's state goes into the listing
// (Listing.Folders): it holds log files or digest files.
func (ld *listedDir) recorded() bool { return ld.folder.Files > 0 || ld.digests > 0 }

// listEntry is an object, a subfolder (sub) or an error (err).
type listEntry struct {
	obj Object
	sub string
	err *ListError
}

func (w *dirWalk) work(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		for len(w.todo) == 0 && w.busy > 0 {
			w.more.Wait()
		}
		if len(w.todo) == 0 || ctx.Err() != nil {
			w.more.Broadcast() // the others see it too
			return
		}
		rel := w.todo[len(w.todo)-1]
		w.todo = w.todo[:len(w.todo)-1]
		w.busy++
		w.mu.Unlock()
		ld, subs := w.readDir(rel)
		w.mu.Lock()
		w.dirs[rel] = ld
		w.todo = append(w.todo, subs...)
		w.busy--
		w.more.Broadcast()
	}
}

// readDir lists one folder: its entries by name, the log files' sizes and
// modification times (see statAt), and the subfolders inside the filter.
func (w *dirWalk) readDir(rel string) (*listedDir, []string) {
	ld := &listedDir{}
	path, prefix := w.root, ""
	if rel != "." {
		path, prefix = filepath.Join(w.root, filepath.FromSlash(rel)), rel+"/"
	}
	dir, err := os.Open(path)
	if err != nil {
		ld.entries = append(ld.entries, listEntry{err: &ListError{Prefix: path, Err: err}})
		return ld, nil
	}
	defer dir.Close()
	// The folder's time is taken before its names are read: a file added
	// after it changes the time the next scan sees (and is listed then).
	// A folder is listed whole when nothing in it is left out (no file
	// outside the filter, no error) and it holds no subfolder.
	var mtime int64
	var dev uint64
	if fi, err := dir.Stat(); err == nil {
		mtime, dev = fi.ModTime().UnixNano(), deviceOf(fi)
	}
	trusted := w.trusted(dev, path)
	whole := trusted && mtime != 0 && mtime < w.settled
	ents, err := dir.ReadDir(-1)
	if err != nil {
		// What could be read is listed; the folder is named as failing.
		ld.entries = append(ld.entries, listEntry{err: &ListError{Prefix: path, Err: err}})
		whole = false
	}
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	var subs []string
	at := newStatAt(dir, path)
	for j, de := range ents {
		name := de.Name()
		key := prefix + name
		if de.IsDir() {
			whole = false
			if !w.f.dirAllowed(key) {
				ld.pruned++
				continue
			}
			// Not across a mount point: the folder mounted there is read,
			// and its own file system judged.
			if k, ok := w.known[key]; ok && trusted {
				if st, err := at.stat(name); err == nil && !st.link && st.dev == dev && st.mtime.UnixNano() == k.MTime {
					ld.unchanged++
					ld.unchangedN += k.Files
					continue
				}
			}
			ld.entries = append(ld.entries, listEntry{sub: key})
			subs = append(subs, key)
			continue
		}
		if !de.Type().IsRegular() && de.Type()&fs.ModeSymlink == 0 {
			ld.ignored++ // a device, socket or pipe: never read, never dropped silently
			continue
		}
		pi := ParsePath(key)
		if pi.Digest {
			if w.f.PathAllowed(pi) {
				ld.digests++
			} else {
				whole = false
			}
			continue
		}
		if !logFile(name) {
			ld.ignored++
			continue
		}
		if !w.f.PathAllowed(pi) {
			ld.pruned++
			whole = false
			continue
		}
		st, err := at.stat(name)
		if err != nil {
			ld.entries = append(ld.entries, listEntry{err: &ListError{Prefix: key, Err: err}})
			whole = false
			continue
		}
		if st.link {
			// A link is read as its target: a dangling one is an error
			// the summary names, a link to anything but a file is left
			// out and counted (never a silent drop).
			// The folder's time does not change with the target's: a
			// folder with a link is never taken as listed whole.
			whole = false
			info, err := os.Stat(filepath.Join(path, name))
			if err != nil {
				ld.entries = append(ld.entries, listEntry{err: &ListError{Prefix: key, Err: err}})
				continue
			}
			if !info.Mode().IsRegular() {
				ld.ignored++
				continue
			}
			st = fileStat{size: info.Size(), mtime: info.ModTime()}
		}
		if ld.entries == nil {
			// Sized once for the rest of the folder (hundreds of files
			// in a day folder), not grown by doubling.
			ld.entries = make([]listEntry, 0, len(ents)-j)
		}
		ld.entries = append(ld.entries, listEntry{obj: Object{Key: key, Size: st.size, MTime: st.mtime.UTC().Truncate(time.Second), Info: pi}})
		ld.folder.Files++
	}
	// A folder of digest files (CloudTrail-Digest/…) is recorded too: an
	// organization trail has as many as it has folders of logs, and a
	// rescan would list them all again.
	if ld.recorded() {
		ld.folder.Dir = strings.TrimSuffix(prefix, "/")
		if whole {
			ld.folder.MTime = mtime
		}
	}
	return ld, subs
}

// trusted says whether the times of the folders on device dev (path is
// one of them) change whenever a file in them is added, removed or renamed
// (fileSystemOf), asking once per device; the first that does not is kept
// for the listing to say.
func (w *dirWalk) trusted(dev uint64, path string) bool {
	if dev == 0 {
		dev = w.rootDev // a device the system does not name: the root's
	}
	w.fsMu.Lock()
	defer w.fsMu.Unlock()
	ok, asked := w.fsTrust[dev]
	if !asked {
		var name string
		if dev == w.rootDev {
			path = w.root
		}
		ok, name = fileSystemOf(path)
		w.fsTrust[dev] = ok
		if !ok && w.fsIgnored == "" {
			w.fsIgnored = fmt.Sprintf("%s is on %s, whose folder times may stay the same while files arrive: its folders are listed every time", path, name)
		}
	}
	return ok
}

// listing puts the folders read together in the order of a walk by name.
func (w *dirWalk) listing() *Listing {
	l := &Listing{FolderTimesIgnored: w.fsIgnored}
	n := 0
	for _, ld := range w.dirs {
		n += len(ld.entries)
		l.Digests += ld.digests
		l.Ignored += ld.ignored
		l.Pruned += ld.pruned
		l.Unchanged += ld.unchanged
		l.UnchangedFiles += ld.unchangedN
	}
	l.Objects = make([]Object, 0, n)
	var walk func(rel string)
	walk = func(rel string) {
		for _, e := range w.dirs[rel].entries {
			switch {
			case e.err != nil:
				l.Errors = append(l.Errors, *e.err)
			case e.sub != "":
				walk(e.sub)
			default:
				l.Objects = append(l.Objects, e.obj)
			}
		}
		if ld := w.dirs[rel]; ld.recorded() {
			l.Folders = append(l.Folders, ld.folder)
		}
	}
	walk(".")
	return l
}

// fileStat is what the listing keeps of a file's status.
type fileStat struct {
	size  int64
	mtime time.Time
	link  bool   // a symbolic link: its target is to be asked
	dev   uint64 // the device it is on (0: unknown)
}

// Open opens the file (see openFile: a small file is read whole).
func (d *DirSource) Open(ctx context.Context, o Object) (io.ReadCloser, error) {
	return openFile(filepath.Join(d.Dir, filepath.FromSlash(o.Key)))
}

// wholeFileMax is the largest file openFile reads into memory at once;
// bigger ones are streamed from the file.
const wholeFileMax = 32 << 20

// memFile is a local file read whole into a pooled buffer. Like *os.File it
// is an io.ReaderAt with a Stat method, so the scan's gzip size hint reads
// the trailer from memory.
type memFile struct {
	data  []byte
	off   int
	name  string
	size  int64
	mtime time.Time
	pool  *[]byte
}

var memFilePool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func newMemFile(name string, size int64, mtime time.Time) *memFile {
	p := memFilePool.Get().(*[]byte)
	if int64(cap(*p)) < size {
		*p = make([]byte, 0, max(size, 64<<10))
	}
	return &memFile{data: (*p)[:size], name: name, size: size, mtime: mtime, pool: p}
}

func (m *memFile) Read(b []byte) (int, error) {
	if m.data == nil {
		return 0, os.ErrClosed
	}
	if m.off >= len(m.data) {
		return 0, io.EOF
	}
	n := copy(b, m.data[m.off:])
	m.off += n
	return n, nil
}

func (m *memFile) ReadAt(b []byte, off int64) (int, error) {
	if m.data == nil {
		return 0, os.ErrClosed
	}
	if off < 0 {
		return 0, &os.PathError{Op: "readat", Path: m.name, Err: errors.New("negative offset")}
	}
	if off >= int64(len(m.data)) {
		return 0, io.EOF
	}
	n := copy(b, m.data[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memFile) Stat() (os.FileInfo, error) { return memFileInfo{m}, nil }

// Close hands the buffer back (files bigger than 1 MiB are let go).
func (m *memFile) Close() error {
	if m.data == nil {
		return os.ErrClosed
	}
	if cap(*m.pool) <= 1<<20 {
		memFilePool.Put(m.pool)
	}
	m.data, m.pool = nil, nil
	return nil
}

type memFileInfo struct{ m *memFile }

func (i memFileInfo) Name() string       { return filepath.Base(i.m.name) }
func (i memFileInfo) Size() int64        { return i.m.size }
func (i memFileInfo) Mode() fs.FileMode  { return 0o444 }
func (i memFileInfo) ModTime() time.Time { return i.m.mtime }
func (i memFileInfo) IsDir() bool        { return false }
func (i memFileInfo) Sys() any           { return nil }

// dirAllowed decides on a folder from its partial delivery path: a folder
// that can only hold files outside the filter is never entered.
func (f *Filter) dirAllowed(rel string) bool {
	i := strings.Index(rel+"/", "AWSLogs/")
	if i < 0 {
		return true
	}
	rest := (rel + "/")[i+len("AWSLogs/"):]
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if len(parts) > 0 && strings.HasPrefix(parts[0], "o-") {
		parts = parts[1:]
	}
	if len(parts) == 0 || parts[0] == "" {
		return true
	}
	if !isAccountID(parts[0]) {
		return true // not the layout: read everything below
	}
	if !f.account(parts[0]) {
		return false
	}
	if len(parts) < 2 || (parts[1] != "CloudTrail" && parts[1] != "CloudTrail-Digest") {
		return true
	}
	if len(parts) < 3 {
		return true
	}
	if !f.region(parts[2]) {
		return false
	}
	return f.datePrefixAllowed(parts[3:])
}

// datePrefixAllowed checks YYYY[/MM[/DD]] against the window.
func (f *Filter) datePrefixAllowed(parts []string) bool {
	if len(parts) == 0 || (f.Since.IsZero() && f.Until.IsZero()) {
		return true
	}
	y, ok := atoi(parts[0])
	if !ok || len(parts[0]) != 4 {
		return true
	}
	start := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(1, 0, 0)
	if len(parts) >= 2 {
		m, ok := atoi(parts[1])
		if !ok || m < 1 || m > 12 {
			return true
		}
		start = time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 1, 0)
		if len(parts) >= 3 {
			d, ok := atoi(parts[2])
			if !ok || d < 1 || d > 31 {
				return true
			}
			start = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
			end = start.AddDate(0, 0, 1)
		}
	}
	return f.deliveredIn(start, end)
}

func isAccountID(s string) bool { return len(s) == 12 && allDigits(s) }

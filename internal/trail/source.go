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
// of the delivery layout that fall outside f.
func (d *DirSource) List(ctx context.Context, f *Filter) (*Listing, error) {
	fi, err := os.Stat(d.Dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", d.Dir)
	}
	l := &Listing{}
	// WalkDir joins every path to root: the relative path is the rest
	// (filepath.Rel would clean both paths again for every file).
	root := filepath.Clean(d.Dir)
	prefix := len(root) + 1
	switch {
	case root == ".":
		prefix = 0
	case strings.HasSuffix(root, string(filepath.Separator)):
		prefix = len(root)
	}
	// Objects are gathered in chunks and joined once at the end: appending
	// to one slice would copy every object ~twice as it doubles (with
	// 100,000s of objects, most of the listing's time after the walk).
	var chunks [][]Object
	var cur []Object
	err = filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			l.Errors = append(l.Errors, ListError{Prefix: path, Err: err})
			if de != nil && de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel := "."
		if path != root {
			rel = filepath.ToSlash(path[prefix:])
		}
		if de.IsDir() {
			if rel != "." && !f.dirAllowed(rel) {
				l.Pruned++
				return fs.SkipDir
			}
			return nil
		}
		if !de.Type().IsRegular() && de.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		pi := ParsePath(rel)
		if pi.Digest {
			if f.PathAllowed(pi) {
				l.Digests++
			}
			return nil
		}
		if !logFile(de.Name()) {
			l.Ignored++
			return nil
		}
		if !f.PathAllowed(pi) {
			l.Pruned++
			return nil
		}
		info, err := de.Info()
		if err != nil {
			l.Errors = append(l.Errors, ListError{Prefix: rel, Err: err})
			return nil
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			// A link is read as its target: a dangling one is an error
			// the summary names, a link to anything but a file is left
			// out and counted (never a silent drop).
			if info, err = os.Stat(path); err != nil {
				l.Errors = append(l.Errors, ListError{Prefix: rel, Err: err})
				return nil
			}
			if !info.Mode().IsRegular() {
				l.Ignored++
				return nil
			}
		}
		// The key is kept for the whole scan: a copy of its own, not a
		// piece of the longer absolute path.
		if len(cur) == cap(cur) {
			if len(cur) > 0 {
				chunks = append(chunks, cur)
			}
			cur = make([]Object, 0, listChunk)
		}
		cur = append(cur, Object{Key: strings.Clone(rel), Size: info.Size(), MTime: info.ModTime().UTC().Truncate(time.Second), Info: pi})
		return nil
	})
	if len(chunks) == 0 {
		l.Objects = cur
	} else {
		l.Objects = slices.Concat(append(chunks, cur)...)
	}
	if err != nil {
		return l, err
	}
	return l, nil
}

// listChunk is how many objects a chunk of DirSource.List holds.
const listChunk = 4096

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
	y, ok := atoi([]byte(parts[0]))
	if !ok || len(parts[0]) != 4 {
		return true
	}
	start := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(1, 0, 0)
	if len(parts) >= 2 {
		m, ok := atoi([]byte(parts[1]))
		if !ok || m < 1 || m > 12 {
			return true
		}
		start = time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 1, 0)
		if len(parts) >= 3 {
			d, ok := atoi([]byte(parts[2]))
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

// Package workspace owns seiri's state directory (default ./.seiri): its
// layout and the file modes of everything written there. Files holding account
// data are 0600 inside 0700 folders.
//
// Writers open a workspace with Open (created when missing); readers use
// OpenExisting, which never creates anything and says what to run when there
// is no workspace. Both refuse a workspace that others can write into (or
// tighten its mode when it is the user's own, saying so in Notes) and refuse
// symbolic links in the workspace's own entries: a planted journal.jsonl link
// must not make seiri append to the link's target.
package workspace

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Default is the workspace used when --workspace is not given.
const Default = ".seiri"

const (
	DirMode  os.FileMode = 0o700
	FileMode os.FileMode = 0o600
)

// Workspace is a directory that holds snapshots, the usage store, the journal,
// backups and caches.
type Workspace struct {
	Dir string
	// ReadOnly is set by OpenExisting: the caller only reads, so the usage
	// store is opened read-only and nothing is created (a read-only copy of
	// a workspace, shared with auditors, works).
	ReadOnly bool
	// Notes are what opening changed and the user should be told (a mode
	// tightened). The command layer prints them as warnings.
	Notes []string
}

// ErrNotExist matches (errors.Is) the error of OpenExisting when there is no
// workspace at the path.
var ErrNotExist = errors.New("no workspace")

// Error is a workspace that cannot be used as given: missing (for readers),
// a file, a symbolic link, or writable by others. It is bad input (exit 2).
type Error struct {
	Path   string
	Reason string
	Err    error // ErrNotExist, or the underlying error; may be nil
}

func (e *Error) Error() string {
	if errors.Is(e.Err, ErrNotExist) {
		return fmt.Sprintf("no workspace at %s; run `seiri collect` or `seiri demo` first (or pass --workspace)", e.Path)
	}
	return fmt.Sprintf("workspace %s: %s", e.Path, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// Open returns the workspace at dir for a command that writes, creating it
// (mode 0700) if needed.
func Open(dir string) (*Workspace, error) {
	if dir == "" {
		dir = Default
	}
	if err := remoteRef(dir); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, DirMode); err != nil {
			return nil, &Error{Path: dir, Reason: "cannot create: " + pathErr(err), Err: err}
		}
	}
	w := &Workspace{Dir: dir}
	if err := w.check(); err != nil {
		return nil, err
	}
	return w, nil
}

// OpenExisting returns the workspace at dir for a command that only reads.
// It creates nothing: a missing workspace is an *Error matching ErrNotExist
// ("no workspace at PATH; run `seiri collect` or `seiri demo` first").
func OpenExisting(dir string) (*Workspace, error) {
	if dir == "" {
		dir = Default
	}
	if err := remoteRef(dir); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{Path: dir, Err: ErrNotExist}
	}
	w := &Workspace{Dir: dir, ReadOnly: true}
	if err := w.check(); err != nil {
		return nil, err
	}
	return w, nil
}

// entries are the workspace's own files and folders; none may be a
// symbolic link.
var entries = []string{"snapshots", "usage.db", "usage.db-wal", "usage.db-shm", "usage.db-journal",
	"journal.jsonl", "backups", "cache", "lock", "reports", "plans"}

func (w *Workspace) check() error {
	fi, err := os.Lstat(w.Dir)
	if err != nil {
		return &Error{Path: w.Dir, Reason: pathErr(err), Err: err}
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(w.Dir)
		return &Error{Path: w.Dir, Reason: fmt.Sprintf("is a symbolic link (to %s); seiri does not follow links to its workspace: pass the real folder with --workspace", target)}
	}
	if !fi.IsDir() {
		return &Error{Path: w.Dir, Reason: "is a file, not a workspace folder; pass a folder with --workspace"}
	}
	if note, err := secureMode(w.Dir, fi); err != nil {
		return err
	} else if note != "" {
		w.Notes = append(w.Notes, note)
	}
	for _, name := range entries {
		if err := NoSymlink(filepath.Join(w.Dir, name)); err != nil {
			return &Error{Path: w.Dir, Reason: err.Error()}
		}
	}
	return nil
}

// NoSymlink returns an error when path is a symbolic link (a missing path
// is fine).
func NoSymlink(path string) error {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return nil
	}
	target, _ := os.Readlink(path)
	return fmt.Errorf("%s is a symbolic link (to %s); seiri does not follow links inside its workspace: remove it", path, target)
}

func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// SnapshotsDir holds one folder per collected snapshot.
func (w *Workspace) SnapshotsDir() string { return filepath.Join(w.Dir, "snapshots") }

// UsageDB is the SQLite usage store.
func (w *Workspace) UsageDB() string { return filepath.Join(w.Dir, "usage.db") }

// Journal is the append-only log of every write seiri made or tried.
func (w *Workspace) Journal() string { return filepath.Join(w.Dir, "journal.jsonl") }

// BackupsDir holds what deletes removed (never secrets).
func (w *Workspace) BackupsDir() string { return filepath.Join(w.Dir, "backups") }

// CacheDir holds refreshed catalogs and other downloaded reference data.
func (w *Workspace) CacheDir() string { return filepath.Join(w.Dir, "cache") }

// LockFile is the one lock every write of seiri takes (keys, users, groups,
// org apply), so two runs on one workspace never interleave.
func (w *Workspace) LockFile() string { return filepath.Join(w.Dir, "lock") }

// ReportsDir holds rendered reports (the demo writes its outputs here).
func (w *Workspace) ReportsDir() string { return filepath.Join(w.Dir, "reports") }

// Subdir returns dir/name, created 0700. It refuses a symbolic link and a
// read-only workspace.
func (w *Workspace) Subdir(name string) (string, error) {
	p := filepath.Join(w.Dir, name)
	if w.ReadOnly {
		return "", &Error{Path: w.Dir, Reason: "opened read-only; cannot create " + name}
	}
	if err := NoSymlink(p); err != nil {
		return "", err
	}
	if err := os.MkdirAll(p, DirMode); err != nil {
		return "", fmt.Errorf("create %q: %w", p, err)
	}
	return p, nil
}

// OpenAppend opens path for appending (created 0600) without following a
// symbolic link: a link planted at path is an error, not a redirection.
func OpenAppend(path string) (*os.File, error) {
	return openNoFollow(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, FileMode)
}

// OpenRead opens path for reading without following a symbolic link.
func OpenRead(path string) (*os.File, error) {
	return openNoFollow(path, os.O_RDONLY, 0)
}

// ReadFile reads path without following a symbolic link.
func ReadFile(path string) ([]byte, error) {
	f, err := OpenRead(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// WriteFile writes data to path atomically (temp file + rename), mode 0600,
// creating parent folders 0700. The rename replaces a symbolic link at path
// (never writes through it).
func WriteFile(path string, data []byte) error {
	return writeFile(path, data, false)
}

// WriteFileSync is WriteFile made durable: the data is fsynced before the
// rename and the folder after it, so the file survives a crash or power
// loss right after WriteFileSync returns (backups are written this way
// before the delete they protect is sent).
func WriteFileSync(path string, data []byte) error {
	return writeFile(path, data, true)
}

func writeFile(path string, data []byte, durable bool) error {
	if err := os.MkdirAll(filepath.Dir(path), DirMode); err != nil {
		return fmt.Errorf("create %q: %w", filepath.Dir(path), err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(FileMode); err != nil {
		return fail(err)
	}
	if durable {
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	if durable {
		if err := SyncDir(filepath.Dir(path)); err != nil {
			return fmt.Errorf("write %q: sync folder: %w", path, err)
		}
	}
	return nil
}

// OpenLockFile opens (creating 0600) a lock file read-write without
// following a symbolic link.
func OpenLockFile(path string) (*os.File, error) {
	return openNoFollow(path, os.O_CREATE|os.O_RDWR, FileMode)
}

// Package workspace owns seiri's state directory (default ./.seiri): its
// layout and the file modes of everything written there. Files holding account
// data are 0600 inside 0700 folders.
package workspace

import (
	"fmt"
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
}

// Open returns the workspace at dir, creating it (mode 0700) if needed.
func Open(dir string) (*Workspace, error) {
	if dir == "" {
		dir = Default
	}
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return nil, fmt.Errorf("create workspace %q: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("workspace %q: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("workspace %q is not a directory", dir)
	}
	return &Workspace{Dir: dir}, nil
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

// Subdir returns dir/name, created 0700.
func (w *Workspace) Subdir(name string) (string, error) {
	p := filepath.Join(w.Dir, name)
	if err := os.MkdirAll(p, DirMode); err != nil {
		return "", fmt.Errorf("create %q: %w", p, err)
	}
	return p, nil
}

// WriteFile writes data to path atomically (temp file + rename), mode 0600,
// creating parent folders 0700.
func WriteFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), DirMode); err != nil {
		return fmt.Errorf("create %q: %w", filepath.Dir(path), err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := f.Chmod(FileMode); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}

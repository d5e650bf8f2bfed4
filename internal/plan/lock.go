package plan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/seiri-dev/seiri/internal/workspace"
)

// Lock is an exclusive lock on a workspace, so two seiri runs cannot
// interleave their writes (flock on unix, LockFileEx on Windows: released by
// the kernel if the process dies; see workspace.TryLock).
type Lock struct {
	f *os.File
}

// ErrLocked is returned when another run holds the lock.
var ErrLocked = errors.New("workspace is locked by another seiri run")

// Acquire takes the lock file at path without waiting. holder is written
// into the file to say who holds it. A symbolic link at path is refused.
func Acquire(path, holder string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), workspace.DirMode); err != nil {
		return nil, err
	}
	f, err := workspace.OpenLockFile(path)
	if err != nil {
		return nil, err
	}
	if err := workspace.TryLock(f); err != nil {
		f.Close()
		if !errors.Is(err, workspace.ErrLockHeld) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		b, _ := workspace.ReadFile(path)
		return nil, fmt.Errorf("%w (%s)", ErrLocked, strings.TrimSpace(string(b)))
	}
	f.Truncate(0)
	f.WriteAt([]byte(holder+"\n"), 0)
	return &Lock{f: f}, nil
}

// Release drops the lock.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	workspace.Unlock(l.f)
	l.f.Close()
	l.f = nil
}

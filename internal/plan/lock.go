package plan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/seiri-dev/seiri/internal/workspace"
)

// Lock is an exclusive lock on a workspace, so two seiri runs cannot
// interleave their writes (flock: released by the kernel if the process dies).
type Lock struct {
	f *os.File
}

// ErrLocked is returned when another run holds the lock.
var ErrLocked = errors.New("workspace is locked by another seiri run")

// Acquire takes the lock file at path without waiting. holder is written
// into the file to say who holds it.
func Acquire(path, holder string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), workspace.DirMode); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, workspace.FileMode)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
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
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}

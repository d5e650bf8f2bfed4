//go:build windows

package workspace

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// secureMode: Windows protects folders with ACLs, not mode bits; a folder
// in the user's profile is private by default. Nothing to check here.
func secureMode(dir string, fi fs.FileInfo) (string, error) { return "", nil }

// openNoFollow refuses a symbolic link (or junction) at path before
// opening it; Windows has no O_NOFOLLOW.
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	if err := NoSymlink(path); err != nil {
		return nil, err
	}
	return os.OpenFile(path, flag, perm)
}

// SyncDir is a no-op on Windows: NTFS makes a rename durable with the
// file's own flush, and folders cannot be opened for FlushFileBuffers
// without backup semantics.
func SyncDir(dir string) error { return nil }

// TryLock takes an exclusive lock on f without waiting (LockFileEx: released
// when the handle closes or the process dies). It returns ErrLockHeld when
// another process holds it.
func TryLock(f *os.File) error {
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, lockRange())
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return ErrLockHeld
	}
	return err
}

// Unlock releases a lock taken by TryLock.
func Unlock(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockRange())
}

// lockRange is one byte far past any content: Windows locks are mandatory,
// so locking the content would stop others from reading who holds it.
func lockRange() *windows.Overlapped {
	return &windows.Overlapped{OffsetHigh: 0x7fffffff}
}

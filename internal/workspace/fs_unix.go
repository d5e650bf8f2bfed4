//go:build unix

package workspace

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// secureMode refuses a workspace folder that group or others can write
// into, unless it is the user's own: then its mode is tightened to 0700 and
// a note says so.
func secureMode(dir string, fi fs.FileInfo) (string, error) {
	perm := fi.Mode().Perm()
	if perm&0o022 == 0 {
		return "", nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) == os.Getuid() {
		if err := os.Chmod(dir, DirMode); err == nil {
			return fmt.Sprintf("workspace %s was writable by group or others (mode %04o); changed it to %04o", dir, perm, DirMode), nil
		}
	}
	return "", &Error{Path: dir, Reason: fmt.Sprintf("is writable by group or others (mode %04o) and seiri cannot change it: others could plant files seiri reads or writes through; run `chmod 700 %s` as its owner, or use another --workspace", perm, dir)}
}

func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW, perm)
	if err != nil {
		// ELOOP is what O_NOFOLLOW answers for a link: say it plainly.
		if pe, ok := err.(*fs.PathError); ok && pe.Err == syscall.ELOOP {
			if lerr := NoSymlink(path); lerr != nil {
				return nil, lerr
			}
		}
		return nil, err
	}
	return f, nil
}

// SyncDir fsyncs a folder, so that a file created or renamed in it survives
// a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// TryLock takes an exclusive lock on f without waiting (flock: the kernel
// releases it when the process dies). It returns ErrLockHeld when another
// process holds it.
func TryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == syscall.EWOULDBLOCK {
		return ErrLockHeld
	}
	return err
}

// Unlock releases a lock taken by TryLock.
func Unlock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

//go:build linux

package trail

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// openFile opens a local log file for DirSource.Open. A delivered log file
// is small (a few KB compressed: one every 5 minutes per account and
// region), so with tens of thousands of them the system calls around each
// read cost as much as decompressing it: os.Open alone makes six (open,
// four fcntl to try and undo non-blocking mode, epoll_ctl), and reading
// through it a stat, two preads for the gzip header and trailer, and a read
// that finds the end. Here a file up to wholeFileMax is read whole with
// open, fstat, read and close; bigger files and anything unexpected go
// through os.Open.
func openFile(path string) (io.ReadCloser, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Size > wholeFileMax {
		syscall.Close(fd)
		return os.Open(path)
	}
	m := newMemFile(path, st.Size, time.Unix(st.Mtim.Unix()))
	buf := m.data[:st.Size]
	n := 0
	for n < len(buf) {
		k, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			syscall.Close(fd)
			m.Close()
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if k == 0 {
			break // shorter than it was a moment ago: what is there is the file
		}
		n += k
	}
	syscall.Close(fd)
	m.data = buf[:n]
	m.size = int64(n)
	return m, nil
}

// statAt asks for the status of files in one open folder by name
// (fstatat): the kernel resolves one name instead of the whole path again
// for every file of a delivery layout ~10 folders deep (a third less time
// for the listing's status calls).
type statAt struct {
	fd   int
	path string
}

func newStatAt(dir *os.File, path string) statAt { return statAt{fd: int(dir.Fd()), path: path} }

func (a statAt) stat(name string) (fileStat, error) {
	var st unix.Stat_t
	var err error
	for {
		err = unix.Fstatat(a.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return fileStat{}, &os.PathError{Op: "lstat", Path: filepath.Join(a.path, name), Err: err}
	}
	return fileStat{size: st.Size, mtime: time.Unix(st.Mtim.Unix()), link: st.Mode&unix.S_IFMT == unix.S_IFLNK, dev: uint64(st.Dev)}, nil
}

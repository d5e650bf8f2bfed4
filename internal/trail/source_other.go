//go:build !linux

package trail

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// openFile opens a local log file for DirSource.Open (on Linux a small file
// is read whole with fewer system calls: source_linux.go).
func openFile(path string) (io.ReadCloser, error) { return os.Open(path) }

// statAt asks for the status of files in one folder by name (on Linux
// relative to the open folder: source_linux.go).
type statAt struct{ path string }

func newStatAt(_ *os.File, path string) statAt { return statAt{path: path} }

func (a statAt) stat(name string) (fileStat, error) {
	info, err := os.Lstat(filepath.Join(a.path, name))
	if err != nil {
		return fileStat{}, err
	}
	return fileStat{size: info.Size(), mtime: info.ModTime(), link: info.Mode()&fs.ModeSymlink != 0, dev: deviceOf(info)}, nil
}

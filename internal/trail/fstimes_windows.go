//go:build windows

package trail

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// trustedFileSystems are the volume file systems whose folders' last
// write time changes whenever a file in them is added, removed or renamed
// (see fstimes_linux.go): not a user-mode file system (WinFsp, Dokan, a
// mounted bucket), whose folders may keep their times while files arrive.
var trustedFileSystems = map[string]bool{"NTFS": true, "ReFS": true, "FAT": true, "FAT32": true, "exFAT": true}

var fileSystemOf = func(path string) (bool, string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false, fmt.Sprintf("unknown (%v)", err)
	}
	p, err := windows.UTF16PtrFromString(abs)
	if err != nil {
		return false, fmt.Sprintf("unknown (%v)", err)
	}
	vol := make([]uint16, windows.MAX_PATH+1)
	if err := windows.GetVolumePathName(p, &vol[0], uint32(len(vol))); err != nil {
		return false, fmt.Sprintf("unknown (%v)", err)
	}
	fs := make([]uint16, windows.MAX_PATH+1)
	if err := windows.GetVolumeInformation(&vol[0], nil, 0, nil, nil, nil, &fs[0], uint32(len(fs))); err != nil {
		return false, fmt.Sprintf("unknown (%v)", err)
	}
	name := windows.UTF16ToString(fs)
	return trustedFileSystems[name], name
}

// deviceOf is 0 (unknown): a folder is judged by the file system of the
// source's root.
func deviceOf(os.FileInfo) uint64 { return 0 }

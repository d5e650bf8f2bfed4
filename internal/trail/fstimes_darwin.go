//go:build darwin

package trail

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// trustedFileSystems are the file systems whose folders' modification
// time changes whenever a file in them is added, removed or renamed (see
// fstimes_linux.go): not macFUSE mounts, whose folders may keep their
// times while files arrive.
var trustedFileSystems = map[string]bool{"apfs": true, "hfs": true, "msdos": true, "exfat": true, "nfs": true, "smbfs": true}

var fileSystemOf = func(path string) (bool, string) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false, fmt.Sprintf("unknown (%v)", err)
	}
	name := unix.ByteSliceToString(st.Fstypename[:])
	return trustedFileSystems[name], name
}

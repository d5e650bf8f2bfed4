//go:build linux

package trail

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// trustedFileSystems are the file systems whose folders' modification
// time changes whenever a file in them is added, removed or renamed (the
// kernel's own: local disks, memory, overlays; NFS and SMB from their
// server, up to their attribute cache's minute, which only delays a new
// file to the next scan). A FUSE mount is not among them: a bucket
// mounted as a folder (Mountpoint for Amazon S3, s3fs, goofys) keeps its
// folders' times while objects arrive, so a folder taken as unchanged
// would hide them for good. Magic numbers: statfs(2), linux/magic.h.
var trustedFileSystems = map[int64]string{
	unix.EXT4_SUPER_MAGIC:      "ext2/3/4",
	unix.XFS_SUPER_MAGIC:       "xfs",
	unix.BTRFS_SUPER_MAGIC:     "btrfs",
	unix.TMPFS_MAGIC:           "tmpfs",
	unix.F2FS_SUPER_MAGIC:      "f2fs",
	unix.OVERLAYFS_SUPER_MAGIC: "overlay",
	unix.MSDOS_SUPER_MAGIC:     "vfat",
	unix.EXFAT_SUPER_MAGIC:     "exfat",
	0x2fc12fc1:                 "zfs",
	unix.NFS_SUPER_MAGIC:       "nfs",
	unix.CIFS_SUPER_MAGIC:      "cifs",
	unix.SMB2_SUPER_MAGIC:      "smb2",
}

// fileSystemOf says whether the folder times of the file system holding
// path can be trusted, and names it.
var fileSystemOf = func(path string) (bool, string) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false, fmt.Sprintf("unknown (%v)", err)
	}
	return judgeFileSystem(int64(st.Type))
}

// judgeFileSystem says whether folder times of a file system of this
// type (statfs's f_type) can be trusted, and names it.
func judgeFileSystem(typ int64) (bool, string) {
	if name, ok := trustedFileSystems[typ]; ok {
		return true, name
	}
	if typ == unix.FUSE_SUPER_MAGIC {
		return false, "fuse"
	}
	return false, fmt.Sprintf("file system type %#x", typ)
}

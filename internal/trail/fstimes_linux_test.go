//go:build linux

package trail

import (
	"testing"

	"golang.org/x/sys/unix"
)

// A FUSE mount (a bucket mounted as a folder) and a file system seiri does
// not know are not trusted; the kernel's local file systems and NFS are.
func TestJudgeFileSystem(t *testing.T) {
	for _, c := range []struct {
		typ  int64
		ok   bool
		name string
	}{
		{unix.EXT4_SUPER_MAGIC, true, "ext2/3/4"},
		{unix.XFS_SUPER_MAGIC, true, "xfs"},
		{unix.TMPFS_MAGIC, true, "tmpfs"},
		{unix.OVERLAYFS_SUPER_MAGIC, true, "overlay"},
		{unix.NFS_SUPER_MAGIC, true, "nfs"},
		{unix.FUSE_SUPER_MAGIC, false, "fuse"},
		{0x1234, false, "file system type 0x1234"},
	} {
		if ok, name := judgeFileSystem(c.typ); ok != c.ok || name != c.name {
			t.Errorf("%#x: %v %q, want %v %q", c.typ, ok, name, c.ok, c.name)
		}
	}
}

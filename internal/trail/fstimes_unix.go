//go:build linux || darwin

package trail

import (
	"os"
	"syscall"
)

// deviceOf is the device a folder's status names (0: unknown).
func deviceOf(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev)
	}
	return 0
}

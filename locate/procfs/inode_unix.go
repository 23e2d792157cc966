//go:build unix

package procfs

import (
	"os"
	"syscall"
)

// inode is fi's inode number.
func inode(fi os.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Ino), true
}

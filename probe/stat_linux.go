package probe

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// statOwner returns the device numbers and group of a file, when the file system says.
func statOwner(fi fs.FileInfo) (major, minor, gid uint32, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0, false
	}
	return unix.Major(st.Rdev), unix.Minor(st.Rdev), st.Gid, true
}

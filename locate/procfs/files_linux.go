package procfs

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// isProcFS says whether dir is on a proc file system.
func isProcFS(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.PROC_SUPER_MAGIC
}

// pread is one pread(2) of f into b at off: 0 bytes at the end. (os.File.ReadAt reads
// on until b is full, a second system call for every file shorter than b.)
func pread(f *os.File, b []byte, off int64) (n int, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	if cerr := rc.Read(func(fd uintptr) bool {
		for {
			n, err = unix.Pread(int(fd), b, off)
			if err != unix.EINTR {
				return true
			}
		}
	}); cerr != nil {
		// The descriptor could not be used: it was closed (the runtime's "use of closed
		// file", which os.File's own methods translate and its SyscallConn's do not).
		return 0, &os.PathError{Op: "pread", Path: f.Name(), Err: fmt.Errorf("%w (%v)", os.ErrClosed, cerr)}
	}
	if err != nil {
		return 0, &os.PathError{Op: "pread", Path: f.Name(), Err: err}
	}
	return n, nil
}

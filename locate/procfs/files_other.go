//go:build !linux

package procfs

import (
	"errors"
	"io"
	"os"
)

// isProcFS: there is no proc file system of Linux's elsewhere.
func isProcFS(string) bool { return false }

// pread reads f into b at off: 0 bytes at the end.
func pread(f *os.File, b []byte, off int64) (int, error) {
	n, err := f.ReadAt(b, off)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

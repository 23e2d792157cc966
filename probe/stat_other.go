//go:build !linux

package probe

import "io/fs"

func statOwner(fi fs.FileInfo) (major, minor, gid uint32, ok bool) { return 0, 0, 0, false }

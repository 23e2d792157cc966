//go:build !unix

package procfs

import "os"

// inode: there is no /proc, and no executable to find in its maps, outside Unix.
func inode(os.FileInfo) (uint64, bool) { return 0, false }

// Package guest says where the QEMU bench drivers find their guest kernel and its modules:
// what scripts/setup-bench.sh extracts into $STRATA_CACHE (default /var/cache/strata).
package guest

import (
	"os"
	"path/filepath"
)

// Kernel is the uncompressed guest kernel (vmlinux).
func Kernel() string { return filepath.Join(cache(), "vmlinux") }

// Modules is the guest kernel's lib/modules tree (one directory per kernel release).
func Modules() string { return filepath.Join(cache(), "modules") }

func cache() string {
	if dir := os.Getenv("STRATA_CACHE"); dir != "" {
		return dir
	}
	return "/var/cache/strata"
}

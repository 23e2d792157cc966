//go:build !linux

package procfs

// monotonicNow: /proc's futex deadlines are Linux's; elsewhere there are none to read.
func monotonicNow() (int64, bool) { return 0, false }

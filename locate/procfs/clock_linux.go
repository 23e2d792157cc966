package procfs

import "golang.org/x/sys/unix"

// monotonicNow is CLOCK_MONOTONIC in ns, the clock of futex deadlines; false where it
// cannot be read.
func monotonicNow() (int64, bool) {
	var now unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &now) != nil {
		return 0, false
	}
	return now.Nano(), true
}

package procfs

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// realtime runs the calling goroutine's thread at the lowest real-time priority
// (SCHED_FIFO 1) until the returned function is called: a CPU-bound program beside it
// then cannot keep the sampler off the CPU when its period comes (beside a hog its 2 ms
// periods stretched to 5-10 ms, and what happened inside one is laid out, not seen). The
// kernel still caps real-time threads at 95 % of each second. Needs CAP_SYS_NICE (or an
// RLIMIT_RTPRIO).
func realtime() (undo func(), err error) {
	runtime.LockOSThread()
	before, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("real-time priority: %w", err)
	}
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 1}
	if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("real-time priority: %w", err)
	}
	return func() {
		unix.SchedSetAttr(0, before, 0)
		runtime.UnlockOSThread()
	}, nil
}

// monotonic is CLOCK_MONOTONIC now, in nanoseconds.
func monotonic() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// sleepUntil sleeps the calling thread itself until CLOCK_MONOTONIC reads at (ns): woken
// by the kernel's timer, at its priority, not by the Go scheduler's (whose threads a
// loaded machine delays too).
func sleepUntil(at int64) {
	ts := unix.NsecToTimespec(at)
	for unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil) == unix.EINTR {
	}
}

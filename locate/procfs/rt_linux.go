package procfs

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"

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

// threadCPU is the calling thread's run time (CLOCK_THREAD_CPUTIME_ID: what its
// schedstat counts), in nanoseconds.
func threadCPU() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return ts.Nano()
}

// waker ends a sleepUntil early: once fired, every sleep returns at once. Where no
// eventfd can be had it sleeps the whole time.
type waker struct {
	mu sync.Mutex
	fd int // an eventfd; -1: none, or closed
}

func newWaker() *waker {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		fd = -1
	}
	return &waker{fd: fd}
}

// fire wakes the sleep under way and every one after; after close it does nothing (the
// descriptor's number may be another file's by then).
func (w *waker) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd >= 0 {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		unix.Write(w.fd, one[:])
	}
}

func (w *waker) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd >= 0 {
		unix.Close(w.fd)
		w.fd = -1
	}
}

// sleepUntil sleeps the calling thread itself until CLOCK_MONOTONIC reads at (ns), or
// until w fires (it says so): woken by the kernel's timer, at its priority (a real-time
// thread's timer has no slack), not by the Go scheduler's (whose threads a loaded
// machine delays too).
func (w *waker) sleepUntil(at int64) (fired bool) {
	w.mu.Lock()
	fd := w.fd
	w.mu.Unlock()
	if fd < 0 {
		sleepUntil(at)
		return false
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		d := at - monotonic()
		if d <= 0 {
			return false
		}
		ts := unix.NsecToTimespec(d)
		n, err := unix.Ppoll(fds, &ts, nil)
		if n > 0 {
			return true
		}
		if err != nil && err != unix.EINTR {
			sleepUntil(at)
			return false
		}
	}
}

// sleepUntil sleeps the calling thread itself until CLOCK_MONOTONIC reads at (ns).
func sleepUntil(at int64) {
	ts := unix.NsecToTimespec(at)
	for unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil) == unix.EINTR {
	}
}

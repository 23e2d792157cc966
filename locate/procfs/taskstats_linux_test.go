package procfs

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openTaskstats opens a taskstats socket, or skips where the kernel refuses it to this
// user (it needs CAP_NET_ADMIN) or has none.
func openTaskstats(t *testing.T) *taskstats {
	t.Helper()
	ts, err := newTaskstats()
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPROTONOSUPPORT) {
		t.Skipf("taskstats not available here (%v): needs CAP_NET_ADMIN and CONFIG_TASKSTATS", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.close)
	return ts
}

// TestTaskstatsSplitsUserAndKernel: the raw user and system times taskstats gives for a
// thread say what it did while it did it. The judge is the kernel's own precise clock of
// the thread's run time (CLOCK_THREAD_CPUTIME_ID) and what the thread was made to do: a
// phase of arithmetic, then a phase of reading /dev/zero (the kernel clearing pages).
// Each phase runs until the ticks have counted at least 40 ms of it (a loaded VM drops the
// ticks the host stole), at most 3 s of CPU.
func TestTaskstatsSplitsUserAndKernel(t *testing.T) {
	ts := openTaskstats(t)
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer zero.Close()
	type phase struct{ user, sys, clock time.Duration }
	res := make(chan [2]phase, 1)
	errs := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid := int32(unix.Gettid())
		clock := func() time.Duration {
			var c unix.Timespec
			unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &c)
			return time.Duration(c.Nano())
		}
		buf := make([]byte, 1<<20)
		x := 1.0
		var out [2]phase
		for i, work := range []func(){
			func() {
				for range 1_000_000 {
					x = x*1.0000001 + 1e-9
				}
			},
			func() {
				// The raw call: Go's own Read tells the race detector of every byte
				// written, user time that is not the kernel's.
				unix.Syscall(unix.SYS_READ, zero.Fd(), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
			},
		} {
			u0, s0, err := ts.cpu(tid)
			if err != nil {
				errs <- err
				return
			}
			c0 := clock()
			for {
				work()
				u, s, err := ts.cpu(tid)
				if err != nil {
					errs <- err
					return
				}
				out[i] = phase{time.Duration(u - u0), time.Duration(s - s0), clock() - c0}
				if out[i].user+out[i].sys >= 40*time.Millisecond || out[i].clock > 3*time.Second {
					break
				}
			}
		}
		_ = x
		res <- out
	}()
	var p [2]phase
	select {
	case err := <-errs:
		t.Fatal(err)
	case p = <-res:
	}
	t.Logf("arithmetic: user %v, system %v, run %v; reading /dev/zero: user %v, system %v, run %v", p[0].user, p[0].sys, p[0].clock, p[1].user, p[1].sys, p[1].clock)
	for i, want := range []string{"user", "system"} {
		ticked := p[i].user + p[i].sys
		if ticked < 40*time.Millisecond {
			t.Fatalf("phase %d: the ticks counted %v of %v run", i, ticked, p[i].clock)
		}
		if ticked > p[i].clock+25*time.Millisecond { // a tick or two more, at 100 to 1000 Hz
			t.Errorf("phase %d: the ticks counted %v, more than the %v the thread ran", i, ticked, p[i].clock)
		}
		got := map[string]time.Duration{"user": p[i].user, "system": p[i].sys}[want]
		if got < ticked*7/10 {
			t.Errorf("phase %d: %s time %v of %v ticked, want most of it", i, want, got, ticked)
		}
	}
}

// TestSamplerReadsRawTicks: sampling this process on the kernel's /proc, the threads that
// ran have their raw ticks, and they only grow.
func TestSamplerReadsRawTicks(t *testing.T) {
	openTaskstats(t)
	s := New(Options{})
	if err := s.Add(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	stop := time.Now().Add(50 * time.Millisecond)
	x := 1.0
	for time.Now().Before(stop) {
		for range 100_000 {
			x = x*1.0000001 + 1e-9
		}
		s.SampleOnce()
	}
	_ = x
	rec := s.Stop()
	for _, n := range rec.Notes {
		if n != rec.Notes[0] {
			t.Errorf("note %q: the raw ticks were read", n)
		}
	}
	raw := 0
	for tid, ss := range s.samples {
		for i := 1; i < len(ss); i++ {
			a, b := ss[i-1].CPU, ss[i].CPU
			if a.Raw && b.Raw && (b.User < a.User || b.System < a.System) {
				t.Errorf("thread %d: raw ticks went back: %+v then %+v", tid, a, b)
			}
			if b.Raw {
				raw++
			}
		}
	}
	if raw == 0 {
		t.Errorf("no sample has raw ticks")
	}
}

package procfs

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/strata-dev/strata/locate"
)

// taskPolicy is thread tid's scheduling policy and nice value as the kernel reports them
// (/proc/self/task/TID/stat, fields 41 and 19).
func taskPolicy(t *testing.T, tid int) (policy, nice int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	nice, _ = strconv.Atoi(f[16])
	policy, _ = strconv.Atoi(f[38])
	return policy, nice
}

// fifoThreads are this process's threads at SCHED_FIFO 1, by the kernel's word.
func fifoThreads(t *testing.T) []int {
	var out []int
	for tid, p := range schedPolicies(t) {
		if p == [2]int{unix.SCHED_FIFO, 1} {
			out = append(out, tid)
		}
	}
	return out
}

// runRealtime starts s.Run and waits until want threads run at SCHED_FIFO 1 and s has
// sampled; it skips where real-time priority is refused here.
func runRealtime(t *testing.T, s *Sampler, runs, want int) (cancel func(), done chan struct{}, tids []int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan struct{})
	var wg sync.WaitGroup
	for range runs {
		wg.Go(func() { s.Run(ctx) })
	}
	go func() { wg.Wait(); close(done) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s.mu.Lock()
		rtErr, n := s.rtErr, s.n
		s.mu.Unlock()
		if rtErr != nil {
			cancel()
			<-done
			t.Skipf("no real-time priority here (%v)", rtErr)
		}
		if tids = fifoThreads(t); n > 0 && len(tids) == want {
			return cancel, done, tids
		}
	}
	cancel()
	<-done
	t.Fatalf("threads at SCHED_FIFO 1: %v, want %d", tids, want)
	return
}

// TestSamplerRealtimeTinyPeriodTakesAtMostHalfACPU: with a period of 1 ns and a small
// target, each sample takes microseconds, as long as its thread's wakeup and its call to
// sleep: sleeping as long as the sample took, the real-time sampler took 60 % of a CPU.
// It sleeps as long as it ran since it last woke. The judge is the kernel's schedstat
// of the sampling thread against the time it ran for.
func TestSamplerRealtimeTinyPeriodTakesAtMostHalfACPU(t *testing.T) {
	c := exec.Command("sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	for _, period := range []time.Duration{1, 10 * time.Microsecond} {
		s := New(Options{Realtime: true, Period: period})
		if err := s.Add(c.Process.Pid); err != nil {
			t.Fatal(err)
		}
		cancel, done, tids := runRealtime(t, s, 1, 1)
		share := cpuShare(t, tids[0], time.Second)
		cancel()
		<-done
		s.Stop()
		t.Logf("period %v: sampler thread at %.0f %% of a CPU, %d samples", period, 100*share, s.n)
		if share > 0.55 {
			t.Errorf("period %v: the real-time sampler took %.0f %% of a CPU, want at most half", period, 100*share)
		}
	}
}

// TestSamplerRealtimeCancelledWhileSleeping: Run returns soon after its context ends
// while it sleeps out a long period (--sample-period 1h slept the hour out after
// Ctrl-C), and gives its thread back at its old policy. The sleep is seen in the
// thread's syscall file.
func TestSamplerRealtimeCancelledWhileSleeping(t *testing.T) {
	s := New(Options{Realtime: true, Period: time.Hour})
	defer s.Stop()
	if err := s.Add(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	cancel, done, tids := runRealtime(t, s, 1, 1)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/syscall", tids[0]))
		if sc, err := ParseSyscall(b); err == nil && sc.Nr >= 0 && (locate.SyscallName(sc.Nr) == "ppoll" || locate.SyscallName(sc.Nr) == "clock_nanosleep") {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("thread %d not seen asleep", tids[0])
		}
	}
	began := time.Now()
	cancel()
	select {
	case <-done:
		t.Logf("returned %v after the cancel", time.Since(began))
	case <-time.After(5 * time.Second):
		t.Fatal("Run still sleeping 5 s after its context ended (period 1 h)")
	}
	if fifo := fifoThreads(t); len(fifo) != 0 {
		t.Errorf("threads at SCHED_FIFO after Run returned: %v", fifo)
	}
}

// TestSamplerRunTwiceStopWhileRunning: two Runs at once sample from two real-time
// threads; Stop while they run; both return once cancelled, every thread is back at its
// old policy, and nothing the sampler opened (files, the taskstats socket, the wakeup
// eventfd) stays open, by the kernel's count of this process's descriptors.
func TestSamplerRunTwiceStopWhileRunning(t *testing.T) {
	_, a0 := genlSockets(t)
	s := New(Options{Realtime: true})
	if err := s.Add(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	cancel, done, tids := runRealtime(t, s, 2, 2)
	run := func(tid int) uint64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/schedstat", tid))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := ParseSchedstat(b)
		return st.RunNS
	}
	before := []uint64{run(tids[0]), run(tids[1])}
	rec := s.Stop()
	// Still sampling after Stop (reading nothing: its files are closed), as the kernel
	// sees both threads run on.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if run(tids[0]) > before[0] && run(tids[1]) > before[1] {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatal("the sampling threads did not run after Stop")
		}
	}
	cancel()
	<-done
	if note := strings.Join(rec.Notes, "\n"); !strings.Contains(note, "ran at real-time priority") {
		t.Errorf("notes %q", note)
	}
	if fifo := fifoThreads(t); len(fifo) != 0 {
		t.Errorf("threads at SCHED_FIFO after both Runs returned: %v", fifo)
	}
	if _, a1 := genlSockets(t); a1 != a0 {
		t.Errorf("descriptors: %d before New, %d after Stop and Run returned", a0, a1)
	}
}

// TestSamplerRealtimeRestoresPolicy: Run on a thread at SCHED_BATCH, nice 5, gives it
// back at SCHED_BATCH, nice 5 (not at the default policy), by the kernel's word.
func TestSamplerRealtimeRestoresPolicy(t *testing.T) {
	s := New(Options{Realtime: true})
	defer s.Stop()
	if err := s.Add(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	type res struct {
		before, after [2]int
		err           error
	}
	out := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // the thread is left to exit with the goroutine if a check fails
		tid := unix.Gettid()
		var r res
		if r.err = unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_BATCH, Nice: 5}, 0); r.err != nil {
			out <- r
			return
		}
		r.before[0], r.before[1] = taskPolicy(t, tid)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for {
				s.mu.Lock()
				n, rtErr := s.n, s.rtErr
				s.mu.Unlock()
				if n > 3 || rtErr != nil {
					cancel()
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
		s.Run(ctx)
		r.after[0], r.after[1] = taskPolicy(t, tid)
		if r.after == r.before {
			unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_NORMAL}, 0)
			runtime.UnlockOSThread()
		}
		out <- r
	}()
	r := <-out
	if r.err != nil {
		t.Skipf("SCHED_BATCH: %v", r.err)
	}
	if s.rtErr != nil {
		t.Skipf("no real-time priority here (%v)", s.rtErr)
	}
	if r.before != [2]int{unix.SCHED_BATCH, 5} || r.after != r.before {
		t.Errorf("policy and nice before Run %v, after %v, want %v", r.before, r.after, [2]int{unix.SCHED_BATCH, 5})
	}
}

// TestSamplerRealtimeLongestPeriod: a period as long as a Duration can be (--sample-period
// 2562047h) is slept out, not turned into back-to-back samples: the next period's start,
// the last one's plus the period, passed 2^63 and wrapped into the past. The judge is the
// count of samples some time after the first.
func TestSamplerRealtimeLongestPeriod(t *testing.T) {
	c := exec.Command("sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	s := New(Options{Realtime: true, Period: math.MaxInt64})
	defer s.Stop()
	if err := s.Add(c.Process.Pid); err != nil {
		t.Fatal(err)
	}
	cancel, done, _ := runRealtime(t, s, 1, 1)
	defer func() { cancel(); <-done }()
	time.Sleep(50 * time.Millisecond) // a span to count samples in, not a synchronisation
	s.mu.Lock()
	n := s.n
	s.mu.Unlock()
	if n != 1 {
		t.Errorf("%d samples of one thread within 50 ms at a period of %v, want 1", n, time.Duration(math.MaxInt64))
	}
}

package procfs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// genlSockets counts the generic netlink sockets (taskstats asks on one) this process
// holds, as the kernel lists them: the socket inodes among /proc/self/fd that
// /proc/self/net/netlink lists with protocol 16 (NETLINK_GENERIC); and every descriptor.
func genlSockets(t *testing.T) (genl, all int) {
	t.Helper()
	f, err := os.Open("/proc/self/net/netlink")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inodes := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) >= 10 && fs[1] == "16" {
			inodes["socket:["+fs[9]+"]"] = true
		}
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory's own descriptor, closed by now
		}
		all++
		if inodes[l] {
			genl++
		}
	}
	return genl, all
}

// needTaskstats skips where taskstats cannot be asked here (then no socket is opened).
func needTaskstats(t *testing.T) {
	t.Helper()
	openTaskstats(t).close()
}

// TestGoWatcherStopClosesTaskstats: a GoWatcher samples with a Sampler of its own, whose
// New opens a taskstats socket; its Stop closed the /proc files only, so each watcher
// (one per eBPF observation of a Go program) left a generic netlink socket open. The
// judge is the kernel's list of this process's netlink sockets.
func TestGoWatcherStopClosesTaskstats(t *testing.T) {
	needTaskstats(t)
	g0, _ := genlSockets(t)
	w := NewGoWatcher(0)
	if err := w.Add(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	w.ReadOnce()
	w.Stop()
	if g1, _ := genlSockets(t); g1 != g0 {
		t.Errorf("generic netlink sockets: %d before NewGoWatcher, %d after Stop", g0, g1)
	}
}

// TestSampleOnceAfterStopClosesEverything: a sample taken after Stop (the CLI cancels
// Run and stops without waiting for it) leaves no descriptor open: not the taskstats
// socket, and no other (this process's descriptors counted by the kernel, after a
// first round has let the runtime open what it keeps). A second Stop says what the
// first did.
func TestSampleOnceAfterStopClosesEverything(t *testing.T) {
	needTaskstats(t)
	c := exec.Command("sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	round := func() {
		s := New(Options{})
		for _, pid := range []int{c.Process.Pid, os.Getpid()} {
			if err := s.Add(pid); err != nil {
				t.Fatal(err)
			}
		}
		s.SampleOnce()
		s.Stop()
		s.SampleOnce()
		// Stopped again, it still says the raw ticks were read (it said they could not
		// be asked, for the error <nil>, once the first Stop had closed the socket).
		for _, n := range s.Stop().Notes {
			if strings.Contains(n, "could not be asked") {
				t.Errorf("a second Stop: %q", n)
			}
		}
		s.SampleOnce()
	}
	round()
	g0, a0 := genlSockets(t)
	round()
	if g1, a1 := genlSockets(t); g1 != g0 || a1 != a0 {
		t.Errorf("descriptors before and after a round of New, SampleOnce, Stop, SampleOnce: %d and %d (generic netlink %d and %d)", a0, a1, g0, g1)
	}
}

// lockedThread runs a goroutine on a thread of its own until the returned stop is
// called (then the thread exits: the goroutine returns locked); spin makes it compute.
func lockedThread(t *testing.T, spin bool) (tid int32, stop func()) {
	t.Helper()
	tids := make(chan int32)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // not unlocked: the thread exits with the goroutine
		tids <- int32(unix.Gettid())
		x := 1.0
		for {
			select {
			case <-quit:
				_ = x
				return
			default:
			}
			if !spin {
				<-quit
				return
			}
			for range 10_000 {
				x = x*1.0000001 + 1e-9
			}
		}
	}()
	tid = <-tids
	return tid, func() { close(quit); <-done }
}

// TestTaskstatsThreadGone: a thread that exits between the sample's schedstat read and
// the taskstats ask is answered ESRCH; the sample carries no raw times (not the
// previous sample's, nor another thread's), and the next ask, for a live thread, is
// answered right (the request that failed leaves no reply to be taken for it).
func TestTaskstatsThreadGone(t *testing.T) {
	needTaskstats(t)
	s := New(Options{})
	defer s.Stop()
	c := exec.Command("sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	tid := int32(c.Process.Pid) // its one thread
	prev := s.cpuTime(tid, Schedstat{RunNS: 1}, nil)
	if !prev.Raw {
		c.Process.Kill()
		c.Wait()
		t.Fatalf("thread %d alive: %+v", tid, prev)
	}
	c.Process.Kill()
	c.Wait() // reaped: gone
	s.tsMu.Lock()
	_, _, err := s.ts.cpu(tid)
	s.tsMu.Unlock()
	if !errors.Is(err, unix.ESRCH) {
		t.Errorf("asked for exited thread %d: %v, want ESRCH", tid, err)
	}
	// It ran since the previous sample (schedstat grew): asked, and not carried over.
	if c := s.cpuTime(tid, Schedstat{RunNS: 2}, &Sample{CPU: prev, Sched: Schedstat{RunNS: 1}}); c != (CPUTime{}) {
		t.Errorf("exited thread %d: %+v, want no raw times", tid, c)
	}
	// The next ask, for a live thread that has hardly run in its life (a new sleep's:
	// a thread of the runtime's pool may have run seconds before), gets its times.
	c2 := exec.Command("sleep", "30")
	if err := c2.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c2.Process.Kill(); c2.Wait() }()
	got := s.cpuTime(int32(c2.Process.Pid), Schedstat{RunNS: 3}, nil)
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", c2.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := ParseSchedstat(b)
	if !got.Raw || got.User+got.System > st.RunNS+uint64(25*time.Millisecond) {
		t.Errorf("new thread %d (%v on CPU): %+v", c2.Process.Pid, time.Duration(st.RunNS), got)
	}
}

// TestTaskstatsConcurrent: Sampler is safe for concurrent use, its taskstats socket
// too (run with -race): goroutines ask at once for a computing thread and an idle one,
// and the idle one's raw times never grow by more than the kernel says it ran (its
// schedstat) and a tick or two — a reply taken for another request would give it the
// computing thread's.
func TestTaskstatsConcurrent(t *testing.T) {
	needTaskstats(t)
	s := New(Options{})
	defer s.Stop()
	busy, stopBusy := lockedThread(t, true)
	defer stopBusy()
	idle, stopIdle := lockedThread(t, false)
	defer stopIdle()
	run := func(tid int32) uint64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/schedstat", tid))
		if err != nil {
			t.Error(err)
			return 0
		}
		st, _ := ParseSchedstat(b)
		return st.RunNS
	}
	// Its times and run time before (a thread of the runtime's pool: it may have run
	// before it was locked): it does not run while it waits.
	c0, r0 := s.cpuTime(idle, Schedstat{}, nil), run(idle)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 300 {
				tid := []int32{busy, idle}[(g+i)%2]
				c := s.cpuTime(tid, Schedstat{RunNS: uint64(i + 1)}, nil)
				if !c.Raw {
					t.Errorf("thread %d: no raw times", tid)
					return
				}
				if tid == idle {
					grew, ran := time.Duration(c.User+c.System-c0.User-c0.System), time.Duration(run(idle)-r0)
					if grew > ran+25*time.Millisecond {
						t.Errorf("idle thread %d: raw times grew %v, it ran %v", idle, grew, ran)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestPreadClosedFile: a pread of a kept file that another caller closed meanwhile (past
// maxProcFiles, or Stop) says os.ErrClosed, which procFiles.read retries on. It said
// "use of closed file" (the runtime poller's own error, which os.File's methods, but not
// its SyscallConn's, translate), so the read failed instead: TestProcFilesBound, beside
// another test, "pass 0, file 4204: use of closed file".
func TestPreadClosedFile(t *testing.T) {
	f, err := os.Open("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := pread(f, make([]byte, 64), 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("pread of a closed file: %v, want os.ErrClosed", err)
	}
}

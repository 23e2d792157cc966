package procfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// schedPolicies reads, per thread of this process, its scheduling policy and real-time
// priority as the kernel reports them (/proc/self/task/TID/stat, fields 41 and 40).
func schedPolicies(t *testing.T) map[int][2]int {
	t.Helper()
	dir := "/proc/self/task"
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int][2]int{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "stat"))
		if err != nil {
			continue // exited
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		prio, _ := strconv.Atoi(f[37])   // field 40, rt_priority
		policy, _ := strconv.Atoi(f[38]) // field 41, policy
		tid, _ := strconv.Atoi(e.Name())
		out[tid] = [2]int{policy, prio}
	}
	return out
}

// TestSamplerRunsRealtime: with Options.Realtime, Run samples from one thread at
// SCHED_FIFO priority 1, as the kernel itself reports it, and gives the thread back at its
// old policy when it returns; the recording says so. Without CAP_SYS_NICE the recording
// says why not, and sampling goes on.
func TestSamplerRunsRealtime(t *testing.T) {
	s := New(Options{Realtime: true})
	if err := s.Add(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	var fifo []int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s.mu.Lock()
		rt, rtErr, n := s.rt, s.rtErr, s.n
		s.mu.Unlock()
		if rtErr != nil {
			cancel()
			<-done
			note := strings.Join(s.Stop().Notes, "\n")
			if !errors.Is(rtErr, unix.EPERM) || !strings.Contains(note, "could not run at real-time priority") {
				t.Fatalf("not real-time (%v), notes %q", rtErr, note)
			}
			t.Skipf("no real-time priority here (%v): needs CAP_SYS_NICE; the notes say so", rtErr)
		}
		if rt && n > 0 {
			if fifo = fifoThreads(t); len(fifo) > 0 {
				break
			}
		}
	}
	cancel()
	<-done
	if len(fifo) != 1 {
		t.Errorf("threads at SCHED_FIFO 1 while sampling: %v, want one", fifo)
	}
	for tid, p := range schedPolicies(t) {
		if p[0] == unix.SCHED_FIFO {
			t.Errorf("thread %d still at SCHED_FIFO %d after Run returned", tid, p[1])
		}
	}
	if note := strings.Join(s.Stop().Notes, "\n"); !strings.Contains(note, "ran at real-time priority") {
		t.Errorf("notes %q do not say the sampler ran at real-time priority", note)
	}
	if s.n == 0 {
		t.Error(fmt.Errorf("no samples"))
	}
}

// TestSamplerRealtimeTakesAtMostHalfACPU: at real-time priority nothing of lower priority
// runs on the sampler's CPU while it samples, and a target with thousands of threads takes
// longer than a period to read: sampling back to back, the sampler took its CPU whole. It
// sleeps at least as long as each sample took. The judge is the kernel's own count of the
// sampler thread's run time (its schedstat) against the time it ran for, sampling this
// process with 1,500 extra threads.
func TestSamplerRealtimeTakesAtMostHalfACPU(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	for range 1500 {
		go func() {
			runtime.LockOSThread()
			started <- struct{}{}
			<-release
		}()
	}
	for range 1500 {
		<-started
	}
	s := New(Options{Realtime: true})
	if err := s.Add(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	cancel, done, tids := runRealtime(t, s, 1, 1)
	share := cpuShare(t, tids[0], time.Second)
	cancel()
	<-done
	s.Stop()
	t.Logf("sampler thread: %.0f %% of a CPU, %d samples of %d threads", 100*share, s.n, 1500)
	if share > 0.6 {
		t.Errorf("the real-time sampler took %.0f %% of a CPU, want at most half", 100*share)
	}
}

// cpuShare is the share of a CPU that this process's thread tid used over about d, by its
// schedstat, against the wall time around both readings, not between them: a test
// goroutine kept off the CPU between its two calls (by real-time threads) made the share
// 64 % once.
func cpuShare(t *testing.T, tid int, d time.Duration) float64 {
	t.Helper()
	run := func() time.Duration {
		b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/schedstat", tid))
		if err != nil {
			t.Fatal(err)
		}
		st, err := ParseSchedstat(b)
		if err != nil {
			t.Fatal(err)
		}
		return time.Duration(st.RunNS)
	}
	w0 := time.Now()
	r0 := run()
	time.Sleep(d)
	r1 := run()
	w1 := time.Now()
	return float64(r1-r0) / float64(w1.Sub(w0))
}

//go:build linux && amd64

package ebpf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/strata-dev/strata/locate"
)

// The test binary doubles as the observed program: LOCATE_HELPER picks what it does.
func TestMain(m *testing.M) {
	switch os.Getenv("LOCATE_HELPER") {
	case "":
		os.Exit(m.Run())
	case "mixed":
		helperMixed()
	case "pingpong":
		helperPingPong()
	case "forks":
		helperForks()
	case "pollwake":
		helperPollWake()
	case "sleeper":
		helperSleeper()
	case "ready":
		helperReady()
	case "faults":
		helperFaults()
	case "runqueue":
		helperRunQueue()
	case "eagain":
		helperEAGAIN()
	case "handoff":
		helperHandoff()
	case "preempted":
		helperPreempted()
	case "asleep":
		helperAsleep()
	}
	os.Exit(0)
}

// waitGo blocks until the test has added this process to the targets.
func waitGo() { bufio.NewReader(os.Stdin).ReadString('\n') }

// helperMixed sleeps 40 ms, writes and fsyncs ten times, and spins 40 ms on one locked
// thread, and writes to LOCATE_OUT when that work began and ended (wall ns), as an
// instrumented program records its own span.
func helperMixed() {
	runtime.LockOSThread()
	fmt.Println(unix.Gettid())
	waitGo()
	start := time.Now()
	ts := unix.NsecToTimespec(int64(40 * time.Millisecond))
	unix.Nanosleep(&ts, nil)
	f, _ := os.Create(filepath.Join(os.Getenv("LOCATE_DIR"), "data"))
	buf := make([]byte, 64<<10)
	for range 10 {
		unix.Write(int(f.Fd()), buf)
		unix.Fsync(int(f.Fd()))
	}
	f.Close()
	for end := time.Now().Add(40 * time.Millisecond); time.Now().Before(end); {
	}
	span := fmt.Sprintf("%d %d", start.UnixNano(), time.Now().UnixNano())
	if err := os.WriteFile(os.Getenv("LOCATE_OUT"), []byte(span), 0o644); err != nil {
		panic(err)
	}
}

// helperPingPong bounces a byte between two threads over two pipes, with blocking raw
// reads and writes, as fast as it can.
func helperPingPong() {
	n, _ := strconv.Atoi(os.Getenv("LOCATE_ROUNDS"))
	var a, b [2]int
	unix.Pipe2(a[:], 0)
	unix.Pipe2(b[:], 0)
	fmt.Println(a[0], b[0])
	waitGo()
	done := make(chan bool)
	go func() {
		runtime.LockOSThread()
		buf := []byte{0}
		for range n {
			unix.Read(a[0], buf)
			unix.Write(b[1], buf)
		}
		done <- true
	}()
	runtime.LockOSThread()
	buf := []byte{0}
	for range n {
		unix.Write(a[1], buf)
		unix.Read(b[0], buf)
	}
	<-done
}

// helperForks runs LOCATE_FORKS short children, one after the other.
func helperForks() {
	n, _ := strconv.Atoi(os.Getenv("LOCATE_FORKS"))
	fmt.Println("ready")
	waitGo()
	for range n {
		exec.Command("/bin/true").Run()
	}
}

// futexWait and futexWake are raw futex calls, outside the Go scheduler.
func futexWait(addr *uint32, val uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), 0 /* FUTEX_WAIT */, uintptr(val), 0, 0, 0)
}

func futexWake(addr *uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), 1 /* FUTEX_WAKE */, 1, 0, 0, 0)
}

// helperPollWake: a waker thread that makes poll-family calls that do not wait
// (epoll_ctl, and epoll_pwait with timeout 0 as Go's netpoll(0) does) and right after each
// wakes a thread parked in a raw futex. It prints the parked thread's id.
func helperPollWake() {
	var word uint32
	parked := make(chan int)
	done := make(chan bool)
	go func() {
		runtime.LockOSThread()
		parked <- unix.Gettid()
		for i := uint32(0); i < 40; i++ {
			for atomic.LoadUint32(&word) == i {
				futexWait(&word, i)
			}
		}
		done <- true
	}()
	fmt.Println(<-parked)
	waitGo()
	runtime.LockOSThread()
	ep, _ := unix.EpollCreate1(0)
	var p [2]int
	unix.Pipe2(p[:], 0)
	evs := make([]unix.EpollEvent, 1)
	for i := range 40 {
		ts := unix.NsecToTimespec(int64(time.Millisecond))
		unix.Nanosleep(&ts, nil) // let the other thread park
		if i%2 == 0 {
			unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, p[0], &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(p[0])})
			unix.EpollCtl(ep, unix.EPOLL_CTL_DEL, p[0], nil)
		} else {
			unix.Syscall6(unix.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), 1, 0, 0, 0)
		}
		atomic.AddUint32(&word, 1)
		futexWake(&word)
	}
	<-done
}

// helperSleeper: one spinning thread per CPU, and a thread that sleeps 1 ms at a time, so
// its timer interrupts land on the spinners. It prints the sleeper's id, then the
// spinners'.
func helperSleeper() {
	n := runtime.NumCPU()
	tids := make(chan int)
	stop := make(chan bool)
	var spun sync.WaitGroup
	for range n {
		spun.Add(1)
		go func() {
			defer spun.Done()
			runtime.LockOSThread()
			tids <- unix.Gettid()
			x := 1.0
			for {
				select {
				case <-stop:
					return
				default:
				}
				for range 10000 {
					x = x*1.0000001 + 1e-9
				}
			}
		}()
	}
	runtime.LockOSThread()
	line := fmt.Sprint(unix.Gettid())
	for range n {
		line += fmt.Sprint(" ", <-tids)
	}
	fmt.Println(line)
	waitGo()
	for range 50 {
		ts := unix.NsecToTimespec(int64(time.Millisecond))
		unix.Nanosleep(&ts, nil)
	}
	close(stop)
	spun.Wait()
}

// helperReady waits, on one locked thread, in turn: epoll_wait on a pipe, on a socket and
// on a timerfd, poll on a pipe, select on a socket (each made ready 20 ms after the thread
// is asleep in it, by another thread or the timer), and poll on the stdout of a child
// until the child exits. It prints that thread's id.
func helperReady() {
	runtime.LockOSThread()
	tid := unix.Gettid()
	fmt.Println(tid)
	waitGo()
	// inPoll: made ready 20 ms after the thread is asleep in its wait, not 20 ms after it
	// set out for it: beside stress-ng --cpu 8 --io 2 a wait set out for so began more
	// than 10 ms late, and was too short to count.
	inPoll := func(then func()) {
		go func() {
			asleep(tid, "a poll", func(nr int, _ uint64) bool { return locate.IsPoll(int32(nr)) })
			then()
		}()
	}
	later := func(fd int) {
		inPoll(func() {
			time.Sleep(20 * time.Millisecond)
			unix.Write(fd, []byte{1})
		})
	}
	var p [2]int
	unix.Pipe2(p[:], 0)
	sp, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	tfd, _ := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, 0)
	ep, _ := unix.EpollCreate1(0)
	evs := make([]unix.EpollEvent, 4)
	epollOn := func(fd int) {
		unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})
		unix.EpollWait(ep, evs, -1)
		unix.EpollCtl(ep, unix.EPOLL_CTL_DEL, fd, nil)
	}
	buf := make([]byte, 8)
	later(p[1])
	epollOn(p[0])
	unix.Read(p[0], buf)
	later(sp[1])
	epollOn(sp[0])
	unix.Read(sp[0], buf)
	inPoll(func() {
		unix.TimerfdSettime(tfd, 0, &unix.ItimerSpec{Value: unix.NsecToTimespec(int64(20 * time.Millisecond))}, nil)
	})
	epollOn(tfd)
	unix.Read(tfd, buf)
	later(p[1])
	unix.Poll([]unix.PollFd{{Fd: int32(p[0]), Events: unix.POLLIN}}, -1)
	unix.Read(p[0], buf)
	later(sp[1])
	var rs unix.FdSet
	rs.Set(sp[0])
	unix.Select(sp[0]+1, &rs, nil, nil, nil)
	unix.Read(sp[0], buf)
	cmd := exec.Command("sleep", "0.05")
	out, _ := cmd.StdoutPipe()
	cmd.Start()
	fd := int(out.(*os.File).Fd())
	unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, -1)
	cmd.Wait()
}

// helperFaults touches every page of a fresh 64 MiB anonymous mapping on its own thread,
// with no syscall between the first touch and the last, and writes the thread's user
// and system time during the touching, as the kernel accounts them (getrusage
// RUSAGE_THREAD), to LOCATE_OUT: "utime_ns stime_ns minflt".
func helperFaults() {
	runtime.LockOSThread()
	fmt.Println(unix.Gettid())
	waitGo()
	mem, err := unix.Mmap(-1, 0, 64<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		panic(err)
	}
	var a, b unix.Rusage
	unix.Getrusage(unix.RUSAGE_THREAD, &a)
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = 1
	}
	unix.Getrusage(unix.RUSAGE_THREAD, &b)
	out := fmt.Sprintf("%d %d %d", b.Utime.Nano()-a.Utime.Nano(), b.Stime.Nano()-a.Stime.Nano(), b.Minflt-a.Minflt)
	if err := os.WriteFile(os.Getenv("LOCATE_OUT"), []byte(out), 0o644); err != nil {
		panic(err)
	}
}

// schedWait is the time thread tid of this process has waited on a run queue, as the
// kernel counts it (/proc/self/task/TID/schedstat, second field, ns).
func schedWait(tid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/schedstat", tid))
	if err != nil {
		panic(err)
	}
	var run, wait int64
	fmt.Sscan(string(b), &run, &wait)
	return wait
}

// helperRunQueue pins its locked main thread and two spinning threads to one CPU, and on
// the main thread sleeps 1 ms and spins 1 ms in turn for 200 ms, so that it waits on the
// run queue behind the spinners after each wakeup. It writes to LOCATE_OUT when that
// began and ended (wall ns) and the run-queue wait the kernel counted for the thread
// between (schedstat): "start end wait_ns".
func helperRunQueue() {
	runtime.GOMAXPROCS(4) // a P for each thread: none of them waits in the Go scheduler
	runtime.LockOSThread()
	tid := unix.Gettid()
	var one unix.CPUSet
	one.Set(0)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		panic(err)
	}
	stop := make(chan bool)
	var spun sync.WaitGroup
	for range 2 {
		spun.Add(1)
		go func() {
			defer spun.Done()
			runtime.LockOSThread()
			unix.SchedSetaffinity(0, &one)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for end := time.Now().Add(time.Millisecond); time.Now().Before(end); {
				}
			}
		}()
	}
	fmt.Println(tid)
	waitGo()
	w0, start := schedWait(tid), time.Now()
	for end := start.Add(200 * time.Millisecond); time.Now().Before(end); {
		ts := unix.NsecToTimespec(int64(time.Millisecond))
		unix.Nanosleep(&ts, nil)
		for spin := time.Now().Add(time.Millisecond); time.Now().Before(spin); {
		}
	}
	stopped := time.Now()
	w1 := schedWait(tid)
	close(stop)
	spun.Wait()
	out := fmt.Sprintf("%d %d %d", start.UnixNano(), stopped.UnixNano(), w1-w0)
	if err := os.WriteFile(os.Getenv("LOCATE_OUT"), []byte(out), 0o644); err != nil {
		panic(err)
	}
}

// TestRunQueueMatchesSchedstat: the run-queue wait strata measures for a thread that
// competes for its CPU is the wait the kernel itself counts for it (schedstat), read by
// the thread at the span's edges. This is the evidence behind the accuracy judge taking
// run-queue for the answer of a span that spent nearly all its time there beside a hog.
func TestRunQueueMatchesSchedstat(t *testing.T) {
	c := newCollector(t, Options{})
	out := filepath.Join(t.TempDir(), "span")
	cmd, line, run := startHelper(t, "runqueue", "LOCATE_OUT="+out)
	tid, _ := strconv.Atoi(line)
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	run()
	rec, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	var from, to, wait int64
	if b, err := os.ReadFile(out); err != nil {
		t.Fatal(err)
	} else if _, err := fmt.Sscan(string(b), &from, &to, &wait); err != nil {
		t.Fatalf("helper's output %q: %v", b, err)
	}
	tl := rec.Timeline()
	sp := locate.Span{TraceID: "t", SpanID: "s", Name: "contended", Start: time.Unix(0, from), End: time.Unix(0, to), PID: int32(cmd.Process.Pid), TID: int32(tid)}
	b := locate.Join([]locate.Span{sp}, tl, locate.JoinOptions{}).Breakdowns[0]
	for _, p := range b.Parts {
		t.Logf("  %-20s %-8s %10v  %v", p.Label(), p.Confidence, p.Time, p.Evidence)
	}
	// The thread's own waits for a CPU, as measured (the breakdown may add a lock wait
	// whose holder waited for a CPU: the kernel counts that as the holder's).
	// Only the waits the kernel measured: a park after a preemption signal is a wait in
	// the Go runtime's own queue, which strata marks RunQueue and unsure but the kernel
	// counts as sleep (all of them counted: 130 % of schedstat beside a hog at load 9).
	var got, runtimeQueue time.Duration
	for _, iv := range tl.Threads[int32(tid)].Intervals {
		if lo, hi := max(iv.Start, from), min(iv.End, to); iv.State == locate.RunQueue && lo < hi {
			if iv.Unsure {
				runtimeQueue += time.Duration(hi - lo)
				continue
			}
			got += time.Duration(hi - lo)
		}
	}
	want := time.Duration(wait)
	t.Logf("run queue: strata %v (in the breakdown %v; parked by the runtime after a preemption %v), schedstat %v, of %v; %d events lost", got, b.Get("runqueue"), runtimeQueue, want, b.Wall, rec.Lost)
	if want < b.Wall/10 {
		t.Fatalf("the kernel counted only %v of run-queue wait in %v: the helper did not compete for its CPU", want, b.Wall)
	}
	// The thread reads schedstat while it runs, a few microseconds from the span's
	// edges; a wait is counted by the kernel when it ends. strata must never count more
	// than the kernel (5 % and 1 ms of slack), and has counted 98-99 % of it on a quiet
	// machine — but 91 % (90.7 of 99.4 ms) in a CI rehearsal under the race detector on
	// a loaded one: 8.7 ms over 57 wake-ups, about 150 µs each, that strata did not count
	// as waiting for a CPU (not yet explained; issue 17). The floor is 85 %.
	if rec.Lost == 0 && (got < want*85/100-time.Millisecond || got > want+want/20+time.Millisecond) {
		t.Errorf("run queue %v, the kernel counted %v: want 85 %% to 105 %% of it", got, want)
	}
}

func newCollector(t *testing.T, opts Options) *Collector {
	t.Helper()
	c, err := New(context.Background(), opts)
	if errors.Is(err, locate.ErrNotSupported) && os.Geteuid() != 0 {
		t.Skipf("eBPF needs root here: %v", err)
	}
	if err != nil {
		t.Fatal(err) // root with BTF: it must load
	}
	return c
}

// startHelper starts the helper, returns its first output line, and a function that lets
// it go on and waits for it, returning when it let it go (the line was written).
func startHelper(t *testing.T, mode string, env ...string) (*exec.Cmd, string, func() time.Time) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, "LOCATE_HELPER="+mode, "LOCATE_DIR="+t.TempDir())...)
	cmd.Stderr = os.Stderr // a helper that panics says why (TestCollectorEAGAIN beside a CPU hog: "exit status 2", nothing else)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return cmd, strings.TrimSpace(line), func() time.Time {
		fmt.Fprintln(in)
		sent := time.Now()
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
		return sent
	}
}

func TestCollectorMixed(t *testing.T) {
	c := newCollector(t, Options{})
	out := filepath.Join(t.TempDir(), "span")
	cmd, line, run := startHelper(t, "mixed", "LOCATE_OUT="+out)
	tid, _ := strconv.Atoi(line)
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	run()
	rec, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	// The span is the one the helper recorded around its work, as an instrumented program
	// does. Timed from here instead (from letting it go to its Wait returning), the span
	// outlived the thread: on a loaded machine the test got a CPU to return from Wait
	// 20-360 ms after the helper's last thread exited, time in which there is no thread to
	// observe (seen as up to 77 % "unexplained" beside stress-ng --cpu 4, all of it after
	// the thread's exit: its intervals had no gap).
	var from, to int64
	if b, err := os.ReadFile(out); err != nil {
		t.Fatal(err)
	} else if _, err := fmt.Sscan(string(b), &from, &to); err != nil {
		t.Fatalf("helper's span %q: %v", b, err)
	}
	tl := rec.Timeline()
	sp := locate.Span{TraceID: "t", SpanID: "s", Name: "helper", Start: time.Unix(0, from), End: time.Unix(0, to), PID: int32(cmd.Process.Pid), TID: int32(tid)}
	r := locate.Join([]locate.Span{sp}, tl, locate.JoinOptions{})
	b := r.Breakdowns[0]
	t.Logf("%d events, %d lost; wall %v; match %s", len(rec.Events), rec.Lost, b.Wall, b.Match)
	for _, p := range b.Parts {
		t.Logf("  %-20s %-8s %10v  %v", p.Label(), p.Confidence, p.Time, p.Evidence)
	}
	if b.Sum() != b.Wall {
		t.Errorf("parts %v != wall %v", b.Sum(), b.Wall)
	}
	if got := b.Get("blocked/sleep"); got < 35*time.Millisecond {
		t.Errorf("blocked/sleep = %v, want at least 35ms", got)
	}
	// The 40ms CPU loop: on this shared 2-core machine it is also preempted now and then.
	if got := b.Get("cpu-user") + b.Get("runqueue"); got < 35*time.Millisecond {
		t.Errorf("cpu-user + runqueue = %v, want at least 35ms", got)
	}
	if b.Get("blocked/disk") == 0 && b.Get("cpu-kernel/file") == 0 {
		t.Error("no trace of the fsyncs")
	}
	if rec.Lost == 0 {
		// The thread ran from before the span to after it: every moment of it is in one
		// interval or another, whatever the load. (A millisecond is left for the wall
		// clock moving against CLOCK_MONOTONIC while it is disciplined.)
		if u := b.Get("unexplained"); u > time.Millisecond {
			t.Errorf("unexplained %v of %v", u, b.Wall)
		}
		checkContiguous(t, rec, tl, int32(tid), from, to)
	}
}

// checkContiguous fails where the intervals of thread tid leave a gap between from and
// to, or end before to while the thread lived, and shows the thread's events around a gap.
func checkContiguous(t *testing.T, rec *locate.Recording, tl *locate.Timeline, tid int32, from, to int64) {
	t.Helper()
	th := tl.Threads[tid]
	if th == nil {
		t.Errorf("thread %d not in the timeline", tid)
		return
	}
	for _, e := range rec.Events {
		if e.TID == tid && (e.Kind == locate.EvExit || (e.Kind == locate.EvSwitchOut && e.State&0x80 != 0)) {
			to = min(to, e.Time) // nothing to say about it once it exited
		}
	}
	at := int64(0) // the state before the thread's first event is not known: no gap
	for i, iv := range th.Intervals {
		if iv.End <= from || iv.Start >= to {
			continue
		}
		if at != 0 && iv.Start != at {
			t.Errorf("thread %d: interval %d (%v, %d-%d) starts %v after the one before it ended", tid, i, iv.State, iv.Start, iv.End, time.Duration(iv.Start-at))
			for _, e := range rec.Events {
				if e.TID == tid && e.Time >= at-int64(5*time.Millisecond) && e.Time <= iv.Start+int64(time.Millisecond) {
					t.Logf("  event %+v", e)
				}
			}
		}
		at = iv.End
	}
	if at < to {
		t.Errorf("thread %d: its intervals end %v before the window does, while it lived", tid, time.Duration(to-at))
	}
}

// TestCollectorKeepsUp drives well over 100,000 kernel events per second from a ping-pong
// of two threads, with every syscall sent as an event, and checks that every read the
// helper made arrived, or that the collector counted exactly what it lost.
func TestCollectorKeepsUp(t *testing.T) {
	rounds := 100_000
	if testing.Short() {
		rounds = 20_000
	}
	c := newCollector(t, Options{LongSyscall: time.Nanosecond})
	cmd, line, run := startHelper(t, "pingpong", "LOCATE_ROUNDS="+strconv.Itoa(rounds))
	var fa, fb int32
	fmt.Sscan(line, &fa, &fb)
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	from := time.Now()
	run()
	secs := time.Since(from).Seconds()
	rec, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	reads, restarts := 0, 0
	for _, e := range rec.Events {
		if e.Kind == locate.EvSyscall && locate.SyscallName(e.Syscall) == "read" && (e.FD == fa || e.FD == fb) {
			// A read interrupted by a signal (Go's preemption SIGURG) exits with
			// -ERESTARTSYS and is run again: one call, two exits.
			if e.Ret <= -512 && e.Ret >= -516 {
				restarts++
				continue
			}
			reads++
		}
	}
	rate := float64(len(rec.Events)) / secs
	t.Logf("%d events in %.2fs = %.0f events/s; lost %d, missed %d; reads seen %d of %d (%d restarted)", len(rec.Events), secs, rate, rec.Lost, rec.Missed, reads, 2*rounds, restarts)
	switch {
	case rec.Lost == 0 && reads != 2*rounds:
		t.Errorf("no loss reported, but %d of %d reads arrived", reads, 2*rounds)
	case rec.Lost > 0:
		// Which events were lost is not known: the reads cannot be checked exactly.
		t.Logf("the ring buffer overflowed (%d events lost): %d of %d reads arrived", rec.Lost, reads, 2*rounds)
	}
	if rec.Missed != 0 {
		t.Errorf("%d kernel map updates failed", rec.Missed)
	}
	if !testing.Short() && rate < 100_000 {
		t.Logf("the helper produced only %.0f events/s on this machine", rate)
	}
}

// countEntries is how many entries a hash map holds.
func countEntries(t *testing.T, m *ebpf.Map) int {
	t.Helper()
	var key any // nil: the first key
	var next uint32
	n := 0
	for ; ; n++ {
		err := m.NextKey(key, &next)
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		key = next
	}
}

// TestMapsStayBounded forks many short children under the collector: each becomes a
// target and has threads, and once they exit neither the target table nor the thread
// table may keep them (they used to hold every child: 300 children, 302 entries), and no
// map update may fail uncounted.
func TestMapsStayBounded(t *testing.T) {
	c := newCollector(t, Options{FollowForks: true})
	const forks = 300
	cmd, _, run := startHelper(t, "forks", "LOCATE_FORKS="+strconv.Itoa(forks))
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	run()
	var targets, threads int
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		targets, threads = countEntries(t, c.objs.Targets), countEntries(t, c.objs.Threads)
		if (targets == 0 && threads == 0) || time.Now().After(deadline) {
			break
		}
	}
	st := c.Stats()
	rec, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	pids := map[int32]bool{}
	for _, e := range rec.Events {
		pids[e.PID] = true
	}
	t.Logf("%d processes seen, %d events; after they exited: %d targets, %d threads; missed %d, lost %d", len(pids), len(rec.Events), targets, threads, st.Missed, st.Lost)
	if len(pids) < forks/2 {
		t.Errorf("only %d processes seen: the children were not followed", len(pids))
	}
	if targets != 0 || threads != 0 {
		t.Errorf("after every process exited: %d targets, %d thread states left", targets, threads)
	}
	if st.Missed != 0 || rec.Missed != 0 {
		t.Errorf("missed %d map updates", st.Missed)
	}
}

// TestWakerPollOnlyWaits: a waker that just called epoll_ctl, or epoll_pwait with a zero
// timeout that returned nothing, did not wait for anything: its wakeups carry no poll
// result (they used to read as "its poll timed out", a timer).
func TestWakerPollOnlyWaits(t *testing.T) {
	c := newCollector(t, Options{})
	cmd, line, run := startHelper(t, "pollwake")
	parked, _ := strconv.Atoi(line)
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	run()
	rec, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	wakeups, withPoll := 0, 0
	for _, e := range rec.Events {
		if e.Kind == locate.EvWakeup && e.TID == int32(parked) && e.Waker != 0 && e.Waker != e.TID {
			wakeups++
			if e.WakerPoll != 0 {
				withPoll++
			}
		}
	}
	t.Logf("%d wakeups of the parked thread by another thread, %d with a poll result", wakeups, withPoll)
	if wakeups < 20 {
		t.Errorf("only %d wakeups seen", wakeups)
	}
	if withPoll != 0 {
		t.Errorf("%d wakeups carry the result of a poll that did not wait", withPoll)
	}
}

// TestInterruptWakerIsZero: a sleeper's timer fires in interrupt context on a CPU that
// runs a spinning thread; the spinner did not wake it, so the waker must be 0.
func TestInterruptWakerIsZero(t *testing.T) {
	c := newCollector(t, Options{})
	cmd, line, run := startHelper(t, "sleeper")
	f := strings.Fields(line)
	sleeper, _ := strconv.Atoi(f[0])
	spinners := map[int32]bool{}
	for _, s := range f[1:] {
		n, _ := strconv.Atoi(s)
		spinners[int32(n)] = true
	}
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	run()
	rec, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	wakeups, bySpinner := 0, 0
	for _, e := range rec.Events {
		if e.Kind == locate.EvWakeup && e.TID == int32(sleeper) {
			wakeups++
			if spinners[e.Waker] {
				bySpinner++
			}
		}
	}
	t.Logf("%d wakeups of the sleeper, %d charged to a spinner", wakeups, bySpinner)
	if wakeups < 25 {
		t.Errorf("only %d wakeups seen", wakeups)
	}
	if bySpinner != 0 {
		t.Errorf("%d timer wakeups charged to the spinning thread the interrupt landed on", bySpinner)
	}
}

func TestKernelOlder(t *testing.T) {
	for rel, want := range map[string]bool{"5.15.0-91-generic": true, "5.18.0": false, "6.18.44-fc": false, "4.19.1": true, "garbage": false, "5.4": true} {
		if got := kernelOlder(rel, minKernel); got != want {
			t.Errorf("%s: %v, want %v", rel, got, want)
		}
	}
}

func TestDecodeEventErrors(t *testing.T) {
	if _, err := DecodeEvent(make([]byte, 10)); err == nil {
		t.Error("short record accepted")
	}
	if _, err := DecodeEvent(make([]byte, eventSize)); err == nil {
		t.Error("kind 0 accepted")
	}
	// Short-syscall kernel time is 64-bit: more than 4.29 s in one slice does not wrap.
	b := make([]byte, eventSize)
	b[48] = byte(locate.EvSwitchOut)
	binary.LittleEndian.PutUint64(b[72+8*int(locate.ClassFile):], 5_000_000_000)
	e, err := DecodeEvent(b)
	if err != nil || e.Short[locate.ClassFile] != 5_000_000_000 {
		t.Errorf("short = %d, %v", e.Short[locate.ClassFile], err)
	}
}

func FuzzDecodeEvent(f *testing.F) {
	b := make([]byte, eventSize)
	b[48] = 1
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEvent(b)
		if err == nil && (e.Kind < locate.EvSwitchOut || e.Kind > locate.EvExit) {
			t.Errorf("kind %d accepted", e.Kind)
		}
	})
}

func TestFDKindOf(t *testing.T) {
	for in, want := range map[string]locate.FDKind{"socket:[12]": locate.FDSocket, "pipe:[3]": locate.FDPipe, "/tmp/x": locate.FDFile, "anon_inode:[eventpoll]": locate.FDOther, "/dev/null": locate.FDOther, "": locate.FDUnknown} {
		if got := locate.FDKindOf(in); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

// TestMaxEvents: beyond the cap, events are counted as dropped and reported, not kept.
func TestMaxEvents(t *testing.T) {
	c := newCollector(t, Options{MaxEvents: 100, LongSyscall: time.Nanosecond})
	cmd, _, run := startHelper(t, "pingpong", "LOCATE_ROUNDS=2000")
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	run()
	st := c.Stats()
	rec, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kept %d, dropped %d; notes %q", len(rec.Events), rec.Dropped, rec.Notes)
	if len(rec.Events) != 100 || st.Events != 100 || rec.Dropped == 0 || st.Dropped == 0 {
		t.Errorf("kept %d (stats %d), dropped %d (stats %d)", len(rec.Events), st.Events, rec.Dropped, st.Dropped)
	}
	if !strings.Contains(strings.Join(rec.Notes, "\n"), "dropped") {
		t.Errorf("no note about the dropped events: %q", rec.Notes)
	}
	tl := rec.Timeline()
	if r := locate.Join(nil, tl, locate.JoinOptions{}); r.Dropped != rec.Dropped {
		t.Errorf("report dropped %d, want %d", r.Dropped, rec.Dropped)
	}
}

// TestReadyKinds: the kernel reports which kinds of descriptors a poll-family wait found
// ready (a poll used to count as network whatever became ready), and that the thread that
// woke a poller on a child's pipe was that child, about to exit.
func TestReadyKinds(t *testing.T) {
	c := newCollector(t, Options{FollowForks: true})
	// No SIGURG preemption: it would cut the waits short with EINTR.
	cmd, line, run := startHelper(t, "ready", "GODEBUG=asyncpreemptoff=1")
	tid, _ := strconv.Atoi(line)
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	run()
	rec, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	exitWake := false
	for _, e := range rec.Events {
		if e.TID != int32(tid) {
			continue
		}
		if e.Kind == locate.EvSyscall && locate.IsPoll(e.Syscall) && e.Time-e.Start > int64(10*time.Millisecond) {
			got = append(got, locate.SyscallName(e.Syscall)+":"+e.Ready.String())
		}
		if e.Kind == locate.EvWakeup && e.WakerExiting && e.WakerPID != e.PID && e.WakerPID != 0 {
			exitWake = true
		}
	}
	want := []string{"epoll_wait:pipe", "epoll_wait:socket", "epoll_wait:timerfd", "poll:pipe", "select:socket", "poll:pipe"}
	if len(got) > 0 && strings.HasPrefix(got[0], "epoll_pwait") { // the libc may use the p variants
		for i := range want {
			want[i] = strings.NewReplacer("epoll_wait", "epoll_pwait", "poll:", "ppoll:", "select", "pselect6").Replace(want[i])
		}
	}
	t.Logf("blocking polls: %v; woken by an exiting child: %v", got, exitWake)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ready kinds %v, want %v", got, want)
	}
	if !exitWake {
		t.Error("no wakeup of the poller by its exiting child")
	}
	tl := rec.Timeline()
	var causes []string
	var polls [][2]int64 // the blocking polls' [start, end)
	for _, e := range rec.Events {
		if e.TID == int32(tid) && e.Kind == locate.EvSyscall && locate.IsPoll(e.Syscall) && e.Time-e.Start > int64(10*time.Millisecond) {
			polls = append(polls, [2]int64{e.Start, e.Time})
		}
	}
	// The waits in the polls: between them the helper also waits, longer than 10 ms on
	// a loaded machine (a lock, fork and exec of the child beside stress-ng --cpu 8
	// --io 2: "lock", "other", "child" among the polls' causes), for reasons of its own.
	for _, iv := range tl.Threads[int32(tid)].Intervals {
		if iv.State != locate.Blocked || iv.Len() <= int64(10*time.Millisecond) {
			continue
		}
		if slices.ContainsFunc(polls, func(p [2]int64) bool { return iv.Start >= p[0] && iv.Start < p[1] }) {
			causes = append(causes, iv.Kind)
		} else if len(polls) > 0 && iv.Start >= polls[0][0] && iv.Start < polls[len(polls)-1][1] {
			t.Logf("blocked between the polls: %s for %v (%s)", iv.Kind, time.Duration(iv.Len()), iv.Evidence)
		}
	}
	// One poll may be two blocked intervals (woken inside it and asleep again before it
	// returned, as beside a hog when the exiting child's signal and its closed pipe wake
	// the poller apart): the causes in order, each run of one cause once.
	causes = slices.Compact(causes)
	if w := []string{"pipe", "network", "sleep", "pipe", "network", "child"}; !slices.Equal(causes, w) {
		t.Errorf("blocked causes %v, want %v", causes, w)
	}
}

// TestPageFaultsAreKernelTime: a thread that first-touches 64 MiB of fresh memory spends
// its time in page faults, with no syscall to show it. The kernel's own accounting of the
// thread (getrusage RUSAGE_THREAD) judges: strata must not claim as the program's user
// time, at more than a share, what the kernel accounted as system time (before faults
// were counted, all of it read as user time, exact), and the fault time it times must
// not exceed that system time.
func TestPageFaultsAreKernelTime(t *testing.T) {
	c := newCollector(t, Options{})
	out := filepath.Join(t.TempDir(), "rusage")
	cmd, line, run := startHelper(t, "faults", "LOCATE_OUT="+out)
	tid, _ := strconv.Atoi(line)
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	from := time.Now()
	run()
	to := time.Now()
	rec, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var utime, stime, minflt int64
	if _, err := fmt.Sscan(string(raw), &utime, &stime, &minflt); err != nil {
		t.Fatalf("helper's rusage %q: %v", raw, err)
	}
	sp := locate.Span{TraceID: "t", SpanID: "s", Name: "touch", Start: from, End: to, PID: int32(cmd.Process.Pid), TID: int32(tid)}
	b := locate.Join([]locate.Span{sp}, rec.Timeline(), locate.JoinOptions{}).Breakdowns[0]
	t.Logf("kernel's accounting of the touching: utime %v, stime %v, %d minor faults", time.Duration(utime), time.Duration(stime), minflt)
	for _, p := range b.Parts {
		t.Logf("  %-20s %-8s %10v  %v", p.Label(), p.Confidence, p.Time, p.Evidence)
	}
	if minflt < 16000 {
		t.Fatalf("%d minor faults, want one per page (16384)", minflt)
	}
	var sure time.Duration // user time strata claims at more than a share
	for _, p := range b.Parts {
		if p.Label() == "cpu-user" && p.Confidence != locate.Share && p.Confidence != locate.None {
			sure += p.Time
		}
	}
	fault, cpu := b.Get("cpu-kernel/fault"), time.Duration(utime+stime)
	t.Logf("cpu-user claimed at more than a share: %v", sure)
	// getrusage splits the thread's time by clock ticks, so its system time is known to
	// a few ticks; the margins are wide enough for that, too narrow for the faults read
	// as the program's own user time.
	if limit := cpu - time.Duration(stime)/2; sure > limit {
		t.Errorf("%v claimed as user time (not a share), more than the thread's CPU time %v less half its system time %v", sure, cpu, time.Duration(stime))
	}
	if fault == 0 {
		t.Error("no page fault time timed")
	}
	if hi := time.Duration(stime)*3/2 + 20*time.Millisecond; fault > hi {
		t.Errorf("cpu-kernel/fault %v, more than the thread's system time %v allows", fault, time.Duration(stime))
	}
}

// TestEventLayout writes the generated twin of struct event (bpf2go reads its layout from
// the compiled object's BTF, not from collector.go) with a distinct value in every field
// and checks that DecodeEvent reads each one back from where the kernel puts it.
func TestEventLayout(t *testing.T) {
	in := locateEvent{Ts: 1, Start: 2, Ret: 3, PollTs: 4, PollRet: 5, Pid: 6, Tid: 7, Kind: uint32(locate.EvSwitchOut), State: 9,
		Sys: 10, Fd: 11, Waker: 12, ShortN: 13, Fdk: uint32(locate.FDPipe), Ready: 15, WakerReady: 16, WakerPid: 17, Flags: 1,
		FaultN: 19, FaultNs: 20, AgainTs: 21, AgainFdk: uint32(locate.FDSocket), AgainN: 23, SigretTs: 24, SigretN: 25}
	for i := range in.ShortNs {
		in.ShortNs[i] = uint64(100 + i)
	}
	if n := binary.Size(in); n != eventSize {
		t.Fatalf("struct event is %d bytes, eventSize says %d", n, eventSize)
	}
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, in); err != nil {
		t.Fatal(err)
	}
	e, err := DecodeEvent(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := locate.Event{Time: 1, Start: 2, Ret: 3, WakerPoll: 4, PollRet: 5, PID: 6, TID: 7, Kind: locate.EvSwitchOut, State: 9,
		Syscall: 10, FD: 11, Waker: 12, ShortCount: 13, FDKind: locate.FDPipe, Ready: 15, WakerReady: 16, WakerPID: 17, WakerExiting: true,
		FaultCount: 19, Fault: 20, Again: 21, AgainFD: locate.FDSocket, AgainN: 23, SigReturn: 24, SigReturnN: 25}
	for i := range want.Short {
		want.Short[i] = uint64(100 + i)
	}
	if e != want {
		t.Errorf("decoded\n%+v\nwant\n%+v", e, want)
	}
	// A wakeup's slots say what the waker last read or wrote.
	in.Kind = uint32(locate.EvWakeup)
	buf.Reset()
	binary.Write(&buf, binary.LittleEndian, in)
	e, _ = DecodeEvent(buf.Bytes())
	if e.WakerIO != 21 || e.WakerIOFD != locate.FDSocket || e.Again != 0 || e.AgainN != 0 || e.SigReturn != 0 || e.SigReturnN != 0 {
		t.Errorf("wakeup decoded %+v", e)
	}
	// A syscall's flags say whether it was in flight when its process became a target;
	// the same bit means nothing on other events.
	in.Kind, in.Flags = uint32(locate.EvSyscall), sysAttached
	buf.Reset()
	binary.Write(&buf, binary.LittleEndian, in)
	if e, _ = DecodeEvent(buf.Bytes()); !e.Attached || e.WakerExiting {
		t.Errorf("syscall with flags %d decoded %+v", in.Flags, e)
	}
	in.Kind = uint32(locate.EvSwitchOut)
	buf.Reset()
	binary.Write(&buf, binary.LittleEndian, in)
	if e, _ = DecodeEvent(buf.Bytes()); e.Attached {
		t.Errorf("switch-out with flags %d decoded as attached", in.Flags)
	}
}

// asleepIn returns once thread tid of this process is asleep in syscall nr with first
// argument arg, as the kernel reports it (/proc/self/task/TID/syscall names the syscall
// only while the thread sleeps in it), so a helper times a wait from when it began, not
// from when it let a thread go towards it: beside stress-ng --cpu 8 --io 2 (load 12) a
// thread let go took 20-30 ms to get there, and the helpers' 30 ms waits were half that,
// or none.
func asleepIn(tid int, nr int, arg uintptr) {
	asleep(tid, fmt.Sprintf("syscall %d(%#x)", nr, arg), func(n int, a uint64) bool { return n == nr && uintptr(a) == arg })
}

// asleep returns once thread tid of this process is asleep in a syscall that match
// accepts (by its number and first argument).
func asleep(tid int, what string, match func(nr int, arg0 uint64) bool) {
	waitUntil(fmt.Sprintf("thread %d asleep in %s", tid, what), func() bool { return asleepNow(tid, match) })
}

// asleepNow says whether thread tid of this process is asleep now in a syscall that match
// accepts, as /proc/self/task/TID/syscall shows (read as the collector reads it).
func asleepNow(tid int, match func(nr int, arg0 uint64) bool) bool {
	nr, args, ok := procSyscall(fmt.Sprintf("/proc/self/task/%d/syscall", tid))
	return ok && nr >= 0 && match(int(nr), args[0])
}

// waitUntil polls cond every 100 µs until it holds, for a minute at most (then panics,
// naming what it waited for).
func waitUntil(what string, cond func() bool) {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Microsecond) {
		if cond() {
			return
		}
	}
	panic(what + ": not after a minute")
}

// helperEAGAIN: a thread reads a non-blocking socket that has nothing (EAGAIN) and then
// parks in a raw futex, as a Go runtime parks a locked thread whose goroutine waits in the
// netpoller; 30 ms after it is asleep there another thread writes the socket and wakes it.
// It prints the parked thread's id.
func helperEAGAIN() {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		panic(err)
	}
	var word uint32
	parked := make(chan int)
	done := make(chan bool)
	go func() {
		runtime.LockOSThread()
		parked <- unix.Gettid()
		<-parked
		buf := []byte{0}
		if _, err := unix.Read(fds[0], buf); err != unix.EAGAIN {
			panic(fmt.Sprint("read: ", err))
		}
		for atomic.LoadUint32(&word) == 0 {
			futexWait(&word, 0)
		}
		unix.Read(fds[0], buf)
		done <- true
	}()
	tid := <-parked
	fmt.Println(tid)
	waitGo()
	parked <- 0
	runtime.LockOSThread()
	// Written only once the thread is asleep in its futex: written earlier, its read finds
	// the byte (the helper panicked, "read: <nil>") or its wait is shorter than the test's
	// span.
	asleepIn(tid, unix.SYS_FUTEX, uintptr(unsafe.Pointer(&word)))
	ts := unix.NsecToTimespec(int64(30 * time.Millisecond))
	unix.Nanosleep(&ts, nil)
	unix.Write(fds[1], []byte{1})
	atomic.StoreUint32(&word, 1)
	futexWake(&word)
	<-done
}

// observeHelper runs the helper mode under a collector from its first line to its exit,
// and returns it, the thread id it printed, and the recording.
func observeHelper(t *testing.T, mode string, env ...string) (*exec.Cmd, int, *locate.Recording) {
	t.Helper()
	c := newCollector(t, Options{})
	cmd, line, run := startHelper(t, mode, env...)
	tid, _ := strconv.Atoi(line)
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	run()
	rec, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	return cmd, tid, rec
}

// logThread logs the events of thread tid, and those of the threads that woke it, from
// its first futex or poll-family wait on, to show a failure.
func logThread(t *testing.T, rec *locate.Recording, tid int32) {
	t.Helper()
	wakers := map[int32]bool{tid: true}
	for _, e := range rec.Events {
		if e.TID == tid && e.Kind == locate.EvWakeup && e.Waker != 0 {
			wakers[e.Waker] = true
		}
	}
	for _, e := range rec.Events {
		if wakers[e.TID] && e.Time >= rec.Start {
			t.Logf("  %d tid %d kind %d state %d sys %d start -%v fd %d ret %d waker %d wio -%v %v again -%v %v n %d", e.Time, e.TID, e.Kind, e.State, e.Syscall,
				ago(e.Time, e.Start), e.FD, e.Ret, e.Waker, ago(e.Time, e.WakerIO), e.WakerIOFD, ago(e.Time, e.Again), e.AgainFD, e.AgainN)
		}
	}
}

// ago is how long before t the time at was, or 0 when at is not set.
func ago(t, at int64) time.Duration {
	if at == 0 {
		return 0
	}
	return time.Duration(t - at)
}

// TestCollectorEAGAIN: the switch-out into the futex carries the thread's own EAGAIN on
// the socket just before it, and the wait is network, not lock.
func TestCollectorEAGAIN(t *testing.T) {
	cmd, tid, rec := observeHelper(t, "eagain")
	var park *locate.Event
	for i, e := range rec.Events {
		if e.TID == int32(tid) && e.Kind == locate.EvSwitchOut && e.Syscall == unix.SYS_FUTEX && e.State != 0 && e.Again != 0 {
			park = &rec.Events[i]
			break
		}
	}
	if park == nil {
		logThread(t, rec, int32(tid))
		t.Fatalf("no switch-out of thread %d into futex carries an EAGAIN (%d events)", tid, len(rec.Events))
	}
	if park.AgainFD != locate.FDSocket || park.AgainN != 0 || park.Start < park.Again || park.Start-park.Again > int64(time.Millisecond) {
		t.Errorf("EAGAIN on %s, %d syscalls and %v before the futex", park.AgainFD, park.AgainN, time.Duration(park.Start-park.Again))
		logThread(t, rec, int32(tid))
	}
	tl := rec.Timeline()
	sp := locate.Span{TraceID: "t", SpanID: "s", Name: "park", Start: time.Unix(0, park.Start), End: time.Unix(0, park.Start+int64(25*time.Millisecond)), PID: int32(cmd.Process.Pid), TID: int32(tid)}
	b := locate.Join([]locate.Span{sp}, tl, locate.JoinOptions{}).Breakdowns[0]
	if d := b.Dominant(); d.Label() != "blocked/network" {
		t.Errorf("dominant %s, want blocked/network: %+v", d.Label(), b.Parts)
		logThread(t, rec, int32(tid))
	}
}

// helperHandoff: one thread parks in a raw futex while a second blocks reading a socket;
// 30 ms after both are asleep the main thread writes the socket, and the reader wakes the
// parked thread as soon as its read returns, as a goroutine that read a response hands it
// on over a channel. It prints the parked thread's id.
func helperHandoff() {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		panic(err)
	}
	var word uint32
	parked, reader, start := make(chan int), make(chan int), make(chan bool)
	done := make(chan bool, 2)
	go func() {
		runtime.LockOSThread()
		parked <- unix.Gettid()
		<-start // observed from here: the futex and the read begin after the attach
		for atomic.LoadUint32(&word) == 0 {
			futexWait(&word, 0)
		}
		done <- true
	}()
	go func() {
		runtime.LockOSThread()
		reader <- unix.Gettid()
		<-start
		buf := []byte{0}
		unix.Read(fds[0], buf)
		atomic.StoreUint32(&word, 1)
		futexWake(&word)
		done <- true
	}()
	tid, rtid := <-parked, <-reader
	fmt.Println(tid)
	waitGo()
	close(start)
	// The 30 ms are timed from when both wait: let go, either can take longer than that
	// to get there on a loaded machine, and the futex wait was then shorter than the
	// test's span (the span began in the wait for start, "blocked/other"), or absent (the
	// reader read and woke before the futex wait began).
	asleepIn(tid, unix.SYS_FUTEX, uintptr(unsafe.Pointer(&word)))
	asleepIn(rtid, unix.SYS_READ, uintptr(fds[0]))
	ts := unix.NsecToTimespec(int64(30 * time.Millisecond))
	unix.Nanosleep(&ts, nil)
	unix.Write(fds[1], []byte{1})
	<-done
	<-done
}

// TestCollectorHandoff: a futex wait ended by a thread that had just read a socket is a
// wait for the network: the wakeup carries the waker's read.
func TestCollectorHandoff(t *testing.T) {
	cmd, tid, rec := observeHelper(t, "handoff")
	var wake *locate.Event
	for i, e := range rec.Events {
		if e.TID == int32(tid) && e.Kind == locate.EvWakeup && e.WakerIO != 0 {
			wake = &rec.Events[i]
		}
	}
	if wake == nil {
		logThread(t, rec, int32(tid))
		t.Fatalf("no wakeup of thread %d carries its waker's read (%d events)", tid, len(rec.Events))
	}
	if wake.WakerIOFD != locate.FDSocket || wake.Time < wake.WakerIO || wake.Time-wake.WakerIO > int64(locate.LateHandoffWindow) {
		t.Errorf("waker's read on %s, %v before the wakeup", wake.WakerIOFD, time.Duration(wake.Time-wake.WakerIO))
	}
	tl := rec.Timeline()
	sp := locate.Span{TraceID: "t", SpanID: "s", Name: "wait", Start: time.Unix(0, wake.Time-int64(25*time.Millisecond)), End: time.Unix(0, wake.Time), PID: int32(cmd.Process.Pid), TID: int32(tid)}
	b := locate.Join([]locate.Span{sp}, tl, locate.JoinOptions{}).Breakdowns[0]
	if d := b.Dominant(); d.Label() != "blocked/network" {
		t.Errorf("dominant %s, want blocked/network: %+v", d.Label(), b.Parts)
		logThread(t, rec, int32(tid))
	}
}

// helperPreempted (run with GOMAXPROCS=1): a goroutine locked to its thread and another
// both spin for 200 ms; the runtime preempts each with a signal every 10 ms or so, and the
// locked thread parks in futex while the other goroutine has the one P. It prints the
// locked thread's id.
func helperPreempted() {
	tid := make(chan int)
	start := make(chan bool)
	done := make(chan bool, 2)
	spin := func() {
		for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
		}
		done <- true
	}
	var from time.Time
	go func() {
		runtime.LockOSThread()
		tid <- unix.Gettid()
		<-start
		from = time.Now()
		spin()
	}()
	fmt.Println(<-tid)
	waitGo()
	close(start)
	go spin()
	<-done
	<-done
	span := fmt.Sprintf("%d %d", from.UnixNano(), time.Now().UnixNano())
	if err := os.WriteFile(os.Getenv("LOCATE_OUT"), []byte(span), 0o644); err != nil {
		panic(err)
	}
}

// TestCollectorPreempted: Go preempts a locked goroutine with a signal and parks its
// thread in futex until the goroutine's turn comes again; that wait is the runtime's run
// queue, not a lock.
func TestCollectorPreempted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "span")
	cmd, tid, rec := observeHelper(t, "preempted", "GOMAXPROCS=1", "LOCATE_OUT="+out)
	parks := 0
	for _, e := range rec.Events {
		if e.TID == int32(tid) && e.Kind == locate.EvSwitchOut && e.Syscall == unix.SYS_FUTEX && e.State != 0 && e.SigReturn != 0 && e.SigReturnN == 0 && e.Start-e.SigReturn <= int64(locate.PreemptWindow) {
			parks++
		}
	}
	if parks == 0 {
		t.Fatalf("no park of thread %d in futex right after a signal handler returned (%d events)", tid, len(rec.Events))
	}
	var from, to int64
	if b, err := os.ReadFile(out); err != nil {
		t.Fatal(err)
	} else if _, err := fmt.Sscan(string(b), &from, &to); err != nil {
		t.Fatalf("helper's span %q: %v", b, err)
	}
	tl := rec.Timeline()
	sp := locate.Span{TraceID: "t", SpanID: "s", Name: "spin", Start: time.Unix(0, from), End: time.Unix(0, to), PID: int32(cmd.Process.Pid), TID: int32(tid)}
	b := locate.Join([]locate.Span{sp}, tl, locate.JoinOptions{})
	br := b.Breakdowns[0]
	t.Logf("%d parks after a preemption; lock %v, run-queue %v, cpu-user %v", parks, br.Get("blocked/lock"), br.Get("runqueue"), br.Get("cpu-user"))
	if lock, rq := br.Get("blocked/lock"), br.Get("runqueue"); lock > rq/4 {
		t.Errorf("lock %v beside run-queue %v: the runtime's preemption was called a lock: %+v", lock, rq, br.Parts)
	}
}

// TestNextWait: the reader waits long when the ring is quiet, short when it fills, and
// never outside [readMin, readMax].
func TestNextWait(t *testing.T) {
	const size = 16 << 20
	for _, c := range []struct {
		wait time.Duration
		n    int
		want time.Duration
	}{
		{readMin, 0, readMax},                                    // nothing arrived
		{readMax, 20 << 10, readMax},                             // 200 KiB/s: far below an eighth
		{50 * time.Millisecond, size / 8, 50 * time.Millisecond}, // an eighth: the same wait
		{50 * time.Millisecond, size / 4, 25 * time.Millisecond}, // a quarter: half the wait
		{readMax, size, 12500 * time.Microsecond},                // full: an eighth of the wait
		{readMin, size, readMin},                                 // full at the shortest: no shorter
	} {
		if got := nextWait(c.wait, c.n, size); got != c.want {
			t.Errorf("nextWait(%v, %d) = %v, want %v", c.wait, c.n, got, c.want)
		}
	}
}

// helperAsleep: three threads go to sleep before the test attaches: one reading a pipe,
// one in a raw futex, one in epoll_wait on another pipe. Once all three are asleep (as
// /proc says) it prints their ids; when let go, 30 ms later, it wakes each: a futex
// wake, a write to the first pipe, a write to the second pipe.
func helperAsleep() {
	var rp, ep [2]int
	if err := unix.Pipe2(rp[:], 0); err != nil {
		panic(err)
	}
	if err := unix.Pipe2(ep[:], 0); err != nil {
		panic(err)
	}
	epfd, err := unix.EpollCreate1(0)
	if err != nil {
		panic(err)
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, ep[0], &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(ep[0])}); err != nil {
		panic(err)
	}
	var word uint32
	tids := make(chan int, 3)
	done := make(chan bool, 3)
	onThread := func(f func()) { // f on a thread of its own, whose id goes to tids
		go func() {
			runtime.LockOSThread()
			tids <- unix.Gettid()
			f()
			done <- true
		}()
	}
	onThread(func() { unix.Read(rp[0], []byte{0}) })
	onThread(func() {
		for atomic.LoadUint32(&word) == 0 {
			futexWait(&word, 0)
		}
	})
	onThread(func() {
		evs := make([]unix.EpollEvent, 1)
		// epoll_wait itself: unix.EpollWait makes epoll_pwait.
		unix.Syscall6(unix.SYS_EPOLL_WAIT, uintptr(epfd), uintptr(unsafe.Pointer(&evs[0])), 1, ^uintptr(0), 0, 0)
	})
	all := []int{<-tids, <-tids, <-tids}
	var reader, parked, poller int
	// The order the goroutines sent their ids in is not theirs: ask /proc which is which.
	for _, w := range []struct {
		tid *int
		nr  int
		arg uintptr
	}{{&reader, unix.SYS_READ, uintptr(rp[0])}, {&parked, unix.SYS_FUTEX, uintptr(unsafe.Pointer(&word))}, {&poller, unix.SYS_EPOLL_WAIT, uintptr(epfd)}} {
		*w.tid = whichAsleepIn(all, w.nr, w.arg)
	}
	fmt.Println(reader, parked, poller)
	waitGo()
	ts := unix.NsecToTimespec(int64(30 * time.Millisecond))
	unix.Nanosleep(&ts, nil)
	// The futex first: woken right after a write, it would be taken for a handoff of
	// what was written (a pipe wait), as it should.
	atomic.StoreUint32(&word, 1)
	futexWake(&word)
	unix.Write(rp[1], []byte{1})
	unix.Write(ep[1], []byte{1})
	<-done
	<-done
	<-done
}

// whichAsleepIn returns the one of tids that is asleep in syscall nr with first argument
// arg, waiting until one is.
func whichAsleepIn(tids []int, nr int, arg uintptr) int {
	found := 0
	waitUntil(fmt.Sprintf("one of %v asleep in syscall %d(%#x)", tids, nr, arg), func() bool {
		for _, tid := range tids {
			if asleepNow(tid, func(n int, a uint64) bool { return n == nr && uintptr(a) == arg }) {
				found = tid
				return true
			}
		}
		return false
	})
	return found
}

// TestAsleepAtAttach: threads already asleep in a syscall when the collector attaches
// (their syscall entry was before their process was a target) have that syscall as the
// cause of their first wait: a pipe read is pipe, a futex lock, an epoll_wait that a pipe
// ended pipe; not blocked/other. Their wakeups come 30 ms after the attach, and the span
// is the last 25 ms before each.
func TestAsleepAtAttach(t *testing.T) {
	c := newCollector(t, Options{})
	cmd, line, run := startHelper(t, "asleep")
	var reader, parked, poller int32
	if _, err := fmt.Sscan(line, &reader, &parked, &poller); err != nil {
		t.Fatalf("helper said %q: %v", line, err)
	}
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	run()
	rec, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	tl := rec.Timeline()
	for _, w := range []struct {
		name string
		tid  int32
		nr   int32
		want string
	}{{"read", reader, unix.SYS_READ, "blocked/pipe"}, {"futex", parked, unix.SYS_FUTEX, "blocked/lock"}, {"epoll_wait", poller, unix.SYS_EPOLL_WAIT, "blocked/pipe"}} {
		var wake, exit *locate.Event
		for i, e := range rec.Events {
			if e.TID != w.tid {
				continue
			}
			if e.Kind == locate.EvWakeup && wake == nil {
				wake = &rec.Events[i]
			}
			if e.Kind == locate.EvSyscall && e.Syscall == w.nr && exit == nil {
				exit = &rec.Events[i]
			}
		}
		if wake == nil {
			logThread(t, rec, w.tid)
			t.Errorf("%s: no wakeup of thread %d (%d events)", w.name, w.tid, len(rec.Events))
			continue
		}
		if exit == nil || !exit.Attached {
			t.Errorf("%s: the syscall's exit %+v, want one marked as in flight at the attach", w.name, exit)
		}
		sp := locate.Span{TraceID: "t", SpanID: w.name, Name: w.name, Start: time.Unix(0, wake.Time-int64(25*time.Millisecond)), End: time.Unix(0, wake.Time), PID: int32(cmd.Process.Pid), TID: w.tid}
		b := locate.Join([]locate.Span{sp}, tl, locate.JoinOptions{}).Breakdowns[0]
		var got locate.Part
		for _, p := range b.Parts {
			t.Logf("%s: thread %d: %s %v %s %v", w.name, w.tid, p.Label(), p.Time, p.Confidence, p.Evidence)
			if p.Label() == w.want {
				got = p
			}
		}
		// A lock wait is also charged to what its holder (the thread that woke it) did
		// meanwhile: on a loaded machine, waiting for a CPU after its sleep. The pipe
		// waits are theirs alone.
		if got.Time == 0 || (w.want != "blocked/lock" && got.Time < 24*time.Millisecond) || b.Get("blocked/other")+b.Get("unexplained") != 0 {
			t.Errorf("%s: %v of %s, %v other or unexplained; want %s for the whole span: %+v", w.name, got.Time, w.want, b.Get("blocked/other")+b.Get("unexplained"), w.want, b.Parts)
			logThread(t, rec, w.tid)
		}
		if !strings.Contains(strings.Join(got.Evidence, "; "), "when strata attached") {
			t.Errorf("%s: the evidence does not say the wait began before the attach: %v", w.name, got.Evidence)
		}
	}
}

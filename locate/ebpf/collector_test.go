//go:build linux && amd64

package ebpf

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

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
	}
	os.Exit(0)
}

// waitGo blocks until the test has added this process to the targets.
func waitGo() { bufio.NewReader(os.Stdin).ReadString('\n') }

func helperMixed() {
	runtime.LockOSThread()
	fmt.Println(unix.Gettid())
	waitGo()
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
// it go on and waits for it.
func startHelper(t *testing.T, mode string, env ...string) (*exec.Cmd, string, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, "LOCATE_HELPER="+mode, "LOCATE_DIR="+t.TempDir())...)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return cmd, strings.TrimSpace(line), func() {
		fmt.Fprintln(in)
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCollectorMixed(t *testing.T) {
	c := newCollector(t, Options{})
	cmd, line, run := startHelper(t, "mixed")
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
	tl := rec.Timeline()
	sp := locate.Span{TraceID: "t", SpanID: "s", Name: "helper", Start: from, End: to, PID: int32(cmd.Process.Pid), TID: int32(tid)}
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
	if b.Get("unexplained") > b.Wall/10 {
		t.Errorf("unexplained %v of %v", b.Get("unexplained"), b.Wall)
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
	reads := 0
	for _, e := range rec.Events {
		if e.Kind == locate.EvSyscall && locate.SyscallName(e.Syscall) == "read" && (e.FD == fa || e.FD == fb) {
			reads++
		}
	}
	rate := float64(len(rec.Events)) / secs
	t.Logf("%d events in %.2fs = %.0f events/s; lost %d; reads seen %d of %d", len(rec.Events), secs, rate, rec.Lost, reads, 2*rounds)
	if rec.Lost == 0 && reads != 2*rounds {
		t.Errorf("no loss reported, but %d of %d reads arrived", reads, 2*rounds)
	}
	if rec.Lost > 0 && uint64(reads)+rec.Lost < uint64(2*rounds) {
		t.Errorf("lost %d, but %d reads are missing", rec.Lost, 2*rounds-reads)
	}
	if !testing.Short() && rate < 100_000 {
		t.Logf("the helper produced only %.0f events/s on this machine", rate)
	}
}

func TestDecodeEventErrors(t *testing.T) {
	if _, err := DecodeEvent(make([]byte, 10)); err == nil {
		t.Error("short record accepted")
	}
	if _, err := DecodeEvent(make([]byte, eventSize)); err == nil {
		t.Error("kind 0 accepted")
	}
}

func FuzzDecodeEvent(f *testing.F) {
	b := make([]byte, eventSize)
	b[48] = 1
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEvent(b)
		if err == nil && (e.Kind < locate.EvSwitchOut || e.Kind > locate.EvBlockIO) {
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

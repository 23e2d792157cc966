package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"

	"github.com/strata-dev/strata/bench/internal/exe"
)

// TestBusyboxMaxRSS checks the memory workload's unit against a process whose peak is
// known: busybox dd with a 64 MiB block allocates and fills a 64 MiB buffer, so its peak
// resident memory is a little above 64 MiB — not four times that, as busybox time prints.
func TestBusyboxMaxRSS(t *testing.T) {
	if !exe.IsStatic(busybox) {
		t.Skip("no static " + busybox)
	}
	cmd := exec.CommandContext(context.Background(), busybox, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	s, err := runWorkload(context.Background(), nil, cmd, Workload{Name: Memory})
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxRSSKiB < 64<<10 || s.MaxRSSKiB > 80<<10 {
		t.Errorf("peak RSS of a 64 MiB dd: %d KiB, want 65,536–81,920", s.MaxRSSKiB)
	}
	t.Logf("dd bs=64M: %d KiB", s.MaxRSSKiB)
}

// TestPdeathsigOutlivesStartingThread starts a process with Pdeathsig from a goroutine that
// then exits locked to its OS thread, which ends the thread (golang/go#27505: Pdeathsig
// fires when the forking thread exits). Started through startProcess, the process must
// run to its end; started from that thread itself (the control) it is killed.
func TestPdeathsigOutlivesStartingThread(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	startFromExitingThread := func(start func(*exec.Cmd) error) (*exec.Cmd, error) {
		cmd := exec.Command(sleep, "0.5")
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		errc := make(chan error, 1)
		go func() {
			runtime.LockOSThread() // and exit locked: the thread ends with the goroutine
			errc <- start(cmd)
		}()
		return cmd, <-errc
	}
	cmd, err := startFromExitingThread(func(c *exec.Cmd) error { _, err := startProcess(nil, c); return err })
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("process started through the spawner from a thread that then exited: %v, want a normal exit", err)
	}

	control, err := startFromExitingThread((*exec.Cmd).Start)
	if err != nil {
		t.Fatal(err)
	}
	if err := control.Wait(); err != nil {
		t.Logf("control, started on the exiting thread itself: %v (the hazard the spawner avoids)", err)
	} else {
		t.Logf("control survived: the goroutine ran on the main thread, which Go keeps")
	}
}

// mainThreadEnv, when set, makes TestNSThreadLeavesMainThread do its work in this process
// (started again by the test with GOMAXPROCS=1, where goroutines run on the main thread
// whenever it is free) instead of starting it.
const mainThreadEnv = "STRATA_BENCH_TEST_MAIN_THREAD"

// TestNSThreadLeavesMainThread: a namespace thread that enters a mount namespace of its own
// and ends locked must never be the process's main thread. Go does not end a locked main
// thread, it wedges it, so the process's leader (what /proc/self shows every thread) would
// stay in the private namespace for good. With one P the goroutine that locks its thread
// is scheduled on the main thread whenever the main goroutine waits, as it does while a
// test runs.
func TestNSThreadLeavesMainThread(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a mount namespace needs root")
	}
	if os.Getenv(mainThreadEnv) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNSThreadLeavesMainThread$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), mainThreadEnv+"=1", "GOMAXPROCS=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("with GOMAXPROCS=1: %v\n%s", err, out)
		}
		return
	}
	mainNS := func() string {
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/task/%d/ns/mnt", os.Getpid(), os.Getpid()))
		if err != nil {
			t.Fatal(err)
		}
		return ns
	}
	before := mainNS()
	for i := range 20 {
		th, err := newNSThread()
		if err != nil {
			t.Fatal(err)
		}
		var tid int
		ran := make(chan struct{})
		th.req <- func() { tid = syscall.Gettid(); close(ran) }
		<-ran
		th.close()
		if tid == os.Getpid() {
			t.Errorf("namespace thread %d was the main thread", i)
		}
		if now := mainNS(); now != before {
			t.Fatalf("after namespace thread %d: the main thread is in mount namespace %s, was in %s", i, now, before)
		}
	}
}

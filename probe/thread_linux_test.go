package probe

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// lockMainEnv, when set, keeps the main goroutine on the main thread for the whole test
// binary, so every test goroutine runs on a thread Go ends when a goroutine exits locked
// to it (Go wedges the main thread instead, which would hide what the test looks for).
const lockMainEnv = "STRATA_PROBE_TEST_LOCK_MAIN"

func init() {
	if os.Getenv(lockMainEnv) != "" {
		runtime.LockOSThread()
	}
}

// TestNamespaceChildOutlivesOtherGoroutines: the namespace child is started with
// Pdeathsig, which the kernel sends when the thread that forked it ends (golang/go#27505),
// not the process. While the child runs, another goroutine that locks its thread and exits
// (ending the thread) must not be able to do that to the forking thread. The hook parks
// Namespace's goroutine right after the fork and starts such a goroutine: the scheduler
// runs it next on the same thread unless Namespace keeps that thread locked.
func TestNamespaceChildOutlivesOtherGoroutines(t *testing.T) {
	if os.Getenv(lockMainEnv) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNamespaceChildOutlivesOtherGoroutines$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), lockMainEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%v\n%s", err, out)
		}
		t.Logf("%s", out)
		return
	}
	kind, rootless := "uts", os.Geteuid() != 0
	ended := 0
	testHookNamespaceStarted = func() {
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread() // and exit locked: the thread ends with the goroutine
			close(done)
		}()
		<-done
		ended++
	}
	defer func() { testHookNamespaceStarted = nil }()
	for range 20 {
		ev, err := LocalKernel().Namespace(context.Background(), kind, rootless)
		if denied(err) && rootless {
			t.Skipf("unprivileged user namespaces are off here: %v", err)
		}
		skipMissing(t, err)
		if !strings.Contains(ev, "reaped") {
			t.Fatalf("evidence %q", ev)
		}
	}
	t.Logf("%d namespace children outlived a goroutine that ended its thread", ended)
}

package bench

import (
	"fmt"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Every process this package starts with Pdeathsig is started from a procThread: a
// goroutine locked to its OS thread that starts processes on request.
//
// Pdeathsig is delivered when the thread that forked the child exits, not the process
// (golang/go#27505), and a Go thread exits when a goroutine that runs on it exits while
// locked (runtime.LockOSThread without unlock, as the private mount namespace of crun does,
// and as any other package in the program may). A process forked from an ordinary
// goroutine's thread could therefore be killed at any moment later, when some other
// goroutine is scheduled on that thread, locks it and exits. A locked thread runs no other
// goroutine, so that cannot happen to the threads here:
//
//   - [spawner] never exits: its children get the signal only when strata itself dies,
//     which is what Pdeathsig is there for.
//   - an ociDriver's namespace thread exits when the driver is closed; every process it
//     started (one runtime invocation per Run) has been waited for by then, because Run
//     waits for its process before returning and Close comes after the runs.
//
// None of them is the process's main thread (see [goLockedOffMain]).
type procThread struct {
	req  chan func()
	done chan struct{}
}

// newProcThread starts a locked thread and runs setup on it first. The thread ends (with
// the goroutine, still locked) when setup fails or close is called.
func newProcThread(setup func() error) (*procThread, error) {
	t := &procThread{req: make(chan func()), done: make(chan struct{})}
	errc := make(chan error, 1)
	goLockedOffMain(func() {
		// No UnlockOSThread: a thread whose state setup changed must not go back to Go's
		// pool, and the spawner's must stay ours until the process ends.
		defer close(t.done)
		if setup != nil {
			if err := setup(); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
		for f := range t.req {
			f()
		}
	})
	if err := <-errc; err != nil {
		<-t.done
		return nil, err
	}
	return t, nil
}

// goLockedOffMain runs f on a new goroutine locked to an OS thread other than the
// process's main thread, and leaves it locked: the thread ends when f returns.
//
// A goroutine is scheduled on the main thread whenever that thread is free (always, with
// GOMAXPROCS=1, while the main goroutine waits). Go never ends the main thread: when a
// goroutine exits locked to it, the runtime wedges it instead. A private mount namespace
// (newNSThread) would then stay the main thread's for good — and the main thread is the
// process's leader, whose namespace /proc/self shows every thread — and with it would stay
// every child it forked with Pdeathsig. So a goroutine that finds itself on the main thread
// keeps it locked while it starts f's goroutine: no other goroutine can run on a thread
// locked to one, so f's lands elsewhere; then it lets the main thread go, unchanged.
func goLockedOffMain(f func()) {
	go func() {
		runtime.LockOSThread()
		if syscall.Gettid() != syscall.Getpid() {
			f()
			return
		}
		locked := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(locked)
			f()
		}()
		<-locked
		runtime.UnlockOSThread()
	}()
}

// start starts cmd on the thread and returns the time right before the fork, so that a
// measured run leaves out the hand-over to the thread.
func (t *procThread) start(cmd *exec.Cmd) (time.Time, error) {
	var (
		t0  time.Time
		err error
	)
	ran := make(chan struct{})
	t.req <- func() {
		t0 = time.Now()
		err = cmd.Start()
		close(ran)
	}
	<-ran
	return t0, err
}

// close ends the thread. Only for threads whose children have all been waited for.
func (t *procThread) close() { close(t.req); <-t.done }

// spawner is the thread processes are started from unless a driver needs its own; it is
// never closed.
var spawner = sync.OnceValue(func() *procThread {
	t, err := newProcThread(nil)
	if err != nil { // no setup, so no error
		panic(err)
	}
	return t
})

// startProcess starts cmd from t, or from the spawner when t is nil.
func startProcess(t *procThread, cmd *exec.Cmd) (time.Time, error) {
	if t == nil {
		t = spawner()
	}
	return t.start(cmd)
}

// newNSThread is a thread in a mount namespace of its own with the cgroup v2 hierarchy of a
// hybrid layout unmounted: processes started from it inherit that namespace.
func newNSThread() (*procThread, error) {
	return newProcThread(func() error {
		if err := syscall.Unshare(syscall.CLONE_NEWNS | syscall.CLONE_FS); err != nil {
			return fmt.Errorf("unshare: %w", err)
		}
		if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("make / private: %w", err)
		}
		if err := syscall.Unmount("/sys/fs/cgroup/unified", syscall.MNT_DETACH); err != nil && err != syscall.EINVAL && err != syscall.ENOENT {
			return fmt.Errorf("unmount /sys/fs/cgroup/unified: %w", err)
		}
		return nil
	})
}

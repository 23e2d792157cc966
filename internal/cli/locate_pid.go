package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/strata-dev/strata/locate/procfs"
)

// pidHint ends the error of a --pid that names no process strata can observe.
const pidHint = "pass the pid of the service that exports the spans, or run it under strata: strata locate -- COMMAND"

// watchedPID is a process given with --pid. It is checked before the observation starts
// (it exists, it has not exited, it is a process and not one of its threads) and held by
// a pidfd from then on, which says when it exits: the report notes a process that exited
// while it was observed.
type watchedPID struct {
	pid  int
	comm string
	f    *os.File // the pidfd; nil where pidfd_open is not available (Linux < 5.3)
	done chan struct{}

	mu     sync.Mutex
	exited time.Time // when the pidfd said it exited; zero: not seen
}

// checkPIDs checks every --pid before anything is observed: each is a positive number,
// given once, of a process that is running. The caller closes what it returns.
func checkPIDs(pids []int) ([]*watchedPID, error) {
	for i, pid := range pids {
		if pid <= 0 {
			return nil, usagef("--pid %d: not a process id; %s", pid, pidHint)
		}
		if slices.Contains(pids[:i], pid) {
			return nil, usagef("--pid %d is given twice; give each process once", pid)
		}
	}
	var ws []*watchedPID
	for _, pid := range pids {
		w, err := watchPID(pid)
		if err != nil {
			closePIDs(ws)
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// watchPID opens a pidfd for pid, checks the process, and starts waiting for its exit.
func watchPID(pid int) (*watchedPID, error) {
	w := &watchedPID{pid: pid, done: make(chan struct{})}
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	switch {
	case err == nil:
		w.f = os.NewFile(uintptr(fd), "pidfd:"+strconv.Itoa(pid))
	case errors.Is(err, unix.ESRCH):
		return nil, noSuchPID(pid)
	}
	// EINVAL: pid is a thread other than its process's first (or PIDFD_NONBLOCK is unknown,
	// Linux < 5.10); ENOSYS: no pidfd_open (Linux < 5.3). /proc says what it is.
	if tgid := readTgid(pid); tgid > 0 && tgid != pid {
		w.closeFD()
		return nil, usagef("--pid %d is a thread of process %d, not a process; pass --pid %d", pid, tgid, tgid)
	}
	st, statErr := readPIDStat(pid)
	if statErr != nil && w.f == nil {
		return nil, noSuchPID(pid)
	}
	w.comm = readComm(pid)
	// With a pidfd, it says: a process whose first thread exited while others run shows Z
	// in /proc but is running.
	if w.gone() {
		w.closeFD()
		what := "has exited"
		if statErr == nil && st.State == 'Z' {
			what = "has exited (a zombie: its parent has not reaped it yet)"
		}
		return nil, usagef("--pid %d: %s %s; nothing of it is left to observe: %s", pid, w.name(), what, pidHint)
	}
	if w.f == nil {
		close(w.done)
		return w, nil
	}
	go w.wait()
	return w, nil
}

func exitedBeforeObservation(w *watchedPID) error {
	return usagef("--pid %d: %s exited before the observation started; %s", w.pid, w.name(), pidHint)
}

func noSuchPID(pid int) error {
	return usagef("--pid %d: no such process (is it running? %s)", pid, pidHint)
}

// name is "process PID (COMM)", or "process PID" when the name is not known.
func (w *watchedPID) name() string {
	if w.comm != "" {
		return fmt.Sprintf("process %d (%s)", w.pid, w.comm)
	}
	return fmt.Sprintf("process %d", w.pid)
}

// wait waits (in the runtime's poller, no thread held) until the pidfd is readable: the
// process has exited. close ends it early.
func (w *watchedPID) wait() {
	defer close(w.done)
	rc, err := w.f.SyscallConn()
	if err != nil {
		return
	}
	var exited bool
	err = rc.Read(func(fd uintptr) bool {
		exited = pidfdReadable(int(fd))
		return exited
	})
	if err == nil && exited {
		w.mu.Lock()
		w.exited = time.Now()
		w.mu.Unlock()
	}
}

// gone reports whether the process has exited (a zombie counts) or, without a pidfd, is
// no longer in /proc or is a zombie there; a pid reused since is not the process.
func (w *watchedPID) gone() bool {
	if w.f != nil {
		rc, err := w.f.SyscallConn()
		if err != nil {
			return false
		}
		var readable bool
		_ = rc.Control(func(fd uintptr) { readable = pidfdReadable(int(fd)) })
		return readable
	}
	st, err := readPIDStat(w.pid)
	return err != nil || st.State == 'Z' || st.State == 'X'
}

// exitedAt is when the process was seen exiting; ok is false while it runs. A process
// that has exited is waited for until its time is known.
func (w *watchedPID) exitedAt() (at time.Time, ok bool) {
	if !w.gone() {
		return time.Time{}, false
	}
	if w.f != nil {
		<-w.done
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.exited, true
}

// close releases the pidfd and waits for wait to return.
func (w *watchedPID) close() {
	w.closeFD()
	<-w.done
}

func (w *watchedPID) closeFD() {
	if w.f != nil {
		w.f.Close()
	}
}

func closePIDs(ws []*watchedPID) {
	for _, w := range ws {
		w.close()
	}
}

func pidfdReadable(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0
}

func readPIDStat(pid int) (procfs.Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procfs.Stat{}, err
	}
	return procfs.ParseStat(b)
}

// readTgid is the process (thread group) that thread tid belongs to; 0 when not known.
func readTgid(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Tgid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// allExited is closed once every process in ws has been seen to exit: there is nothing
// left to observe. It is never closed where one is not held by a pidfd (its exit is not
// seen), or while any runs.
func allExited(ws []*watchedPID) <-chan struct{} {
	out := make(chan struct{})
	if len(ws) == 0 {
		return out
	}
	for _, w := range ws {
		if w.f == nil {
			return out
		}
	}
	go func() {
		for _, w := range ws {
			<-w.done // its exit, or the end of the observation closing it
			w.mu.Lock()
			exited := !w.exited.IsZero()
			w.mu.Unlock()
			if !exited {
				return
			}
		}
		close(out)
	}()
	return out
}

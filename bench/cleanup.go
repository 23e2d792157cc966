package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/strata-dev/strata/bench/internal/cgroup"
)

// Cleanup waits for what it cleans: a container's processes to be gone before its cgroups
// are removed (package cgroup), a shim to exit before its socket directory is, each against
// a deadline rather than after a pause that is long enough on a quiet machine.

// cleanupTimeout bounds the removal of what one run left (a killed runtime's container,
// its cgroups); on a machine under heavy load killed processes take seconds to go.
const cleanupTimeout = time.Minute

// containerSeq numbers the containers of this process, whichever driver makes them, so
// that a container's name (and its cgroups') says which run made it.
var containerSeq atomic.Int64

// containerID names a new container: strata-bench-PID-N.
func containerID() string {
	return fmt.Sprintf("strata-bench-%d-%d", os.Getpid(), containerSeq.Add(1))
}

// removeCgroups removes the cgroups of path in every hierarchy once their processes are
// gone, those made while it works included (see cgroup.RemovePath).
func removeCgroups(ctx context.Context, path string) error {
	return cgroup.RemovePath(ctx, path)
}

// waitExited waits until each process has exited (a zombie counts as exited) or ctx ends,
// and returns those still running. It sleeps on pidfds (Linux 5.3), which wake it when a
// process exits; a process it has no pidfd for is looked at in /proc again at a growing
// interval.
func waitExited(ctx context.Context, pids []int) []int {
	fds := map[int]int{} // pid → pidfd, or -1
	for _, pid := range pids {
		fd, err := unix.PidfdOpen(pid, 0)
		switch {
		case errors.Is(err, unix.ESRCH):
			continue // gone already
		case err != nil:
			fd = -1
		}
		fds[pid] = fd
	}
	defer func() {
		for _, fd := range fds {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
	}()
	interval := time.Millisecond
	for {
		for pid, fd := range fds {
			if exited(pid, fd) {
				if fd >= 0 {
					unix.Close(fd)
				}
				delete(fds, pid)
			}
		}
		if len(fds) == 0 || ctx.Err() != nil {
			break
		}
		// The timeout only bounds how late a cancelled ctx (or a process without a pidfd)
		// is noticed: an exit wakes the poll at once.
		timeout := 100 * time.Millisecond
		var pfds []unix.PollFd
		for _, fd := range fds {
			if fd < 0 {
				timeout = min(timeout, interval)
				continue
			}
			pfds = append(pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
		}
		if dl, ok := ctx.Deadline(); ok {
			timeout = max(min(timeout, time.Until(dl)), time.Millisecond)
		}
		unix.Poll(pfds, int(timeout/time.Millisecond))
		interval = min(2*interval, 50*time.Millisecond)
	}
	return slices.Sorted(maps.Keys(fds))
}

// exited reports whether process pid has exited: its pidfd is readable, or /proc says it
// is gone or a zombie.
func exited(pid, fd int) bool {
	if fd >= 0 {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		return err == nil && n > 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}

// killAndWait kills the processes and waits until they have exited or ctx ends; it
// returns those still running.
func killAndWait(ctx context.Context, pids []int) []int {
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	return waitExited(ctx, pids)
}

// killAll kills and waits for the processes find lists, and looks again, until a look
// finds none or ctx ends; it returns those still running then. One look is not enough: a
// process killed between two looks may have started another (a shim its runc), and only
// when none is left can nothing make more (a cgroup, a mount) behind the caller's back.
// Zombies count as gone.
func killAll(ctx context.Context, find func() []int) []int {
	for {
		pids := slices.DeleteFunc(find(), func(pid int) bool { return exited(pid, -1) })
		if len(pids) == 0 {
			return nil
		}
		if left := killAndWait(ctx, pids); ctx.Err() != nil {
			return left
		}
	}
}

// groupsOf returns a find for killAll: the processes matching lists, and every process in
// a process group one of them led at any look (a leader killed at one look leaves its
// group's other members for the next).
func groupsOf(matching func() []int) func() []int {
	var leaders []int
	return func() []int {
		pids := matching()
		for _, pid := range pids {
			if !slices.Contains(leaders, pid) {
				leaders = append(leaders, pid)
			}
		}
		for _, pid := range groupMembers(leaders) {
			if !slices.Contains(pids, pid) {
				pids = append(pids, pid)
			}
		}
		return pids
	}
}

// groupMembers lists the processes (other than this one) in the process groups pgids.
func groupMembers(pgids []int) []int {
	var out []int
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		// PID (COMM) STATE PPID PGRP …
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 3 {
			continue
		}
		pgrp, _ := strconv.Atoi(f[2])
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		if slices.Contains(pgids, pgrp) && pid != os.Getpid() {
			out = append(out, pid)
		}
	}
	return out
}

// staleSockets lists the unix sockets in dir that no process listens on (/proc/net/unix):
// what a killed server leaves behind.
func staleSockets(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	bound := map[string]bool{}
	if f, err := os.Open("/proc/net/unix"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if fs := strings.Fields(sc.Text()); len(fs) >= 8 {
				bound[fs[7]] = true
			}
		}
		f.Close()
	}
	var out []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.Type()&os.ModeSocket != 0 && !bound[p] {
			out = append(out, p)
		}
	}
	return out
}

// stopGrace is how long a runtime asked to stop its container has to get there and exit.
const stopGrace = 30 * time.Second

// stopBy is an exec.Cmd.Cancel for a runtime client (runc run, ctr run) that stops the
// container through the runtime, so that the client sees its container exit and cleans up
// as when the workload ends by itself. Killing the client instead would leave its
// requests half done: the container created after all, its init orphaned, and the removal
// that must follow racing all of that. A container that does not exist yet (the cancel
// came during its creation) is asked again, each time the interval grows, until kill
// works, the client exits, or stopGrace passes; then the client's process group is
// killed, and the caller's removal cleans up.
func stopBy(cmd *exec.Cmd, kill func(context.Context) error) func() error {
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
		defer cancel()
		fd, err := unix.PidfdOpen(cmd.Process.Pid, 0)
		if err != nil {
			return killGroup(cmd)
		}
		defer unix.Close(fd)
		interval := 10 * time.Millisecond
		for ctx.Err() == nil {
			if kill(ctx) == nil {
				return nil
			}
			// Wait for the client to exit by itself, at most interval.
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			if n, _ := unix.Poll(fds, int(interval/time.Millisecond)); n > 0 {
				return nil
			}
			interval = min(2*interval, 500*time.Millisecond)
		}
		return killGroup(cmd)
	}
}

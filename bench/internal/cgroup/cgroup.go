// Package cgroup removes the cgroups a container runtime made for a container, after
// waiting for what keeps them busy.
//
// A runtime's own removal (runc or crun delete, a containerd shim's) races the exit of the
// container's processes: a killed process stays in its cgroup until it has really exited,
// rmdir fails with EBUSY until then, and the runtime gives up after a few quick tries. On a
// busy machine the killed processes are not scheduled in time and the cgroups outlive the
// container. [Remove] kills what is still inside, waits until the cgroup is empty — for
// cgroup v2 the "populated 0" of cgroup.events, watched with inotify; cgroup v1 has no such
// event, so there cgroup.procs is read again at a growing interval — and removes it,
// retrying until its context ends; cgroups made below it meanwhile go first. [RemovePath]
// does that for a path in every hierarchy and looks again until it is in none.
package cgroup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/strata-dev/strata/internal/mountinfo"
)

// Dirs lists the existing directories of the cgroup path in every cgroup hierarchy
// mounted here (each v1 hierarchy and the v2 one). An absolute path is taken from each
// hierarchy's root, as containerd's /NAMESPACE/ID is. A relative path is what a runtime
// given no cgroupsPath makes of the container's name, which the OCI spec leaves to the
// runtime: runc takes it below the caller's own cgroup, crun (1.8) from the root of some
// hierarchies; Dirs looks in both places, so path should be a name no one else uses.
//
// The mounts are those of the calling thread (/proc/thread-self), in whose mount namespace
// the directories are then looked at and removed: /proc/self is the main thread's, which
// may be in another one (a goroutine that unshared its mount namespace while locked to the
// main thread leaves it there, wedged, when it exits — the OCI driver's namespace without
// the v2 hierarchy, say), and the v2 hierarchy missing from its mounts hid every v2
// cgroup from Dirs.
func Dirs(path string) ([]string, error) {
	mi, err := os.ReadFile("/proc/thread-self/mountinfo")
	if err != nil {
		return nil, err
	}
	own, err := os.ReadFile("/proc/thread-self/cgroup")
	if err != nil {
		return nil, err
	}
	return dirs(mountinfo.Parse(mi), parseOwn(own), path, exists), nil
}

// ownCgroup is a line of /proc/self/cgroup: the controllers of a hierarchy ("" for v2) and
// this process's cgroup in it.
type ownCgroup struct {
	controllers []string
	path        string
}

func parseOwn(b []byte) []ownCgroup {
	var out []ownCgroup
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// 4:memory:/user.slice   0::/user.slice/session-1.scope
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var ctrls []string
		if parts[1] != "" {
			ctrls = strings.Split(parts[1], ",")
		}
		out = append(out, ownCgroup{controllers: ctrls, path: parts[2]})
	}
	return out
}

// dirs is Dirs on parsed input; exists says whether a directory is there.
func dirs(mounts []mountinfo.Mount, own []ownCgroup, path string, exists func(string) bool) []string {
	var out []string
	for _, m := range mounts {
		if m.FSType != "cgroup" && m.FSType != "cgroup2" {
			continue
		}
		candidates := []string{filepath.Join(m.Point, path)}
		if !filepath.IsAbs(path) {
			// In a container without a cgroup namespace the mount's root is the container's
			// cgroup, which /proc/self/cgroup names from the hierarchy's root.
			o, ok := ownIn(m, own)
			rel, below := strings.CutPrefix(o, strings.TrimSuffix(m.Root, "/"))
			if ok && below && (rel == "" || rel[0] == '/') {
				candidates = append([]string{filepath.Join(m.Point, rel, path)}, candidates...)
			}
		}
		for _, c := range candidates {
			// A cgroup namespace shows cgroups outside its root as "/../..": a path that
			// leaves the mount is no cgroup of this hierarchy.
			if c != m.Point && !strings.HasPrefix(c, strings.TrimSuffix(m.Point, "/")+"/") {
				continue
			}
			if exists(c) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// ownIn is this process's cgroup in the hierarchy mounted at m.
func ownIn(m mountinfo.Mount, own []ownCgroup) (string, bool) {
	for _, o := range own {
		if m.FSType == "cgroup2" {
			if len(o.controllers) == 0 {
				return o.path, true
			}
			continue
		}
		if len(o.controllers) == 0 {
			continue
		}
		all := true
		for _, c := range o.controllers {
			all = all && slices.Contains(m.SuperOpts, c)
		}
		if all {
			return o.path, true
		}
	}
	return "", false
}

func exists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// Remove removes each directory and the cgroups below it, deepest first, once they are
// empty: what is still in them is killed (SIGKILL, or cgroup.kill on v2), and each rmdir
// that finds the cgroup busy is retried when it empties, until ctx ends. A directory
// already gone is no error. The error names what was still inside.
func Remove(ctx context.Context, dirs ...string) error {
	var all []string
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				all = append(all, p)
			}
			return nil
		})
	}
	// Deepest first: a cgroup with children is busy too.
	slices.SortStableFunc(all, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	var errs []error
	for _, d := range all {
		if err := removeOne(ctx, d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// maxInterval bounds the wait between two looks at a v1 cgroup (and between two looks at
// a v2 one should an event be missed).
const maxInterval = 50 * time.Millisecond

func removeOne(ctx context.Context, dir string) error {
	w := watchEvents(dir) // before the first look, so no change is missed
	defer w.close()
	interval := time.Millisecond
	for {
		err := unix.Rmdir(dir)
		switch {
		case err == nil, errors.Is(err, unix.ENOENT):
			return nil
		case !errors.Is(err, unix.EBUSY):
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		// Busy: processes are inside (running, or killed and not yet gone), or cgroups
		// were made below after Remove walked the tree: those go first.
		if subs := children(dir); len(subs) > 0 {
			if err := Remove(ctx, subs...); err != nil {
				return err
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("remove cgroup %s: %w; still inside: %s", dir, err, inside(dir))
		}
		kill(dir)
		w.wait(ctx, interval)
		interval = min(2*interval, maxInterval)
	}
}

// children lists the cgroups directly below dir.
func children(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// kill kills every process in the cgroup dir: at once with cgroup.kill where the kernel has
// it (v2, Linux 5.14), else each process cgroup.procs lists.
func kill(dir string) {
	if err := os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0); err == nil {
		return
	}
	for _, pid := range procs(dir) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// procs lists the processes cgroup.procs names.
func procs(dir string) []int {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// inside describes what keeps dir busy, for an error.
func inside(dir string) string {
	var parts []string
	for _, pid := range procs(dir) {
		// /proc/PID/stat: "PID (COMM) STATE …"
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		desc := ""
		if i, j := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')'); i >= 0 && j > i && j+2 < len(stat) {
			desc = fmt.Sprintf(" %s state %c", stat[i:j+1], stat[j+2])
		}
		parts = append(parts, fmt.Sprintf("pid %d%s", pid, desc))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "cgroup.events")); err == nil {
		parts = append(parts, strings.Join(strings.Fields(string(b)), " "))
	}
	subs, _ := filepath.Glob(filepath.Join(dir, "*", "cgroup.procs"))
	for _, s := range subs {
		parts = append(parts, "cgroup "+filepath.Dir(s))
	}
	if len(parts) == 0 {
		return "nothing listed (processes exiting)"
	}
	return strings.Join(parts, ", ")
}

// events is an inotify watch on a v2 cgroup's cgroup.events, which the kernel changes when
// the cgroup's populated state does; nil (for v1, or without inotify) waits the interval.
type events struct{ fd int }

func watchEvents(dir string) *events {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Join(dir, "cgroup.events"), unix.IN_MODIFY); err != nil {
		unix.Close(fd)
		return nil
	}
	return &events{fd: fd}
}

func (e *events) close() {
	if e != nil {
		unix.Close(e.fd)
	}
}

// wait returns when cgroup.events changed, after at most interval, or when ctx ends.
func (e *events) wait(ctx context.Context, interval time.Duration) {
	if dl, ok := ctx.Deadline(); ok {
		interval = max(min(interval, time.Until(dl)), time.Millisecond)
	}
	if e == nil {
		t := time.NewTimer(interval)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return
	}
	// Poll's timeout also covers a missed event and an error (EINTR): the caller looks again.
	fds := []unix.PollFd{{Fd: int32(e.fd), Events: unix.POLLIN}}
	unix.Poll(fds, int(max(interval/time.Millisecond, 1)))
	var buf [4096]byte
	for { // drain: one look at the cgroup covers every event so far
		if n, err := unix.Read(e.fd, buf[:]); n <= 0 || err != nil {
			break
		}
	}
}

// RemovePath removes the cgroup path in every hierarchy (see Dirs) with Remove, and looks
// again until a look finds it in none: a runtime still at work when the removal began
// (runc makes a container's v1 cgroups first and its v2 one last) can make it in a
// hierarchy after the first look. Only a look after every process that could make the
// cgroup is gone is final, so a caller kills and waits for those first. When ctx ends
// first, the error names what is left.
func RemovePath(ctx context.Context, path string) error {
	for {
		dirs, err := Dirs(path)
		if err != nil {
			return fmt.Errorf("cgroups of %s: %w", path, err)
		}
		if len(dirs) == 0 {
			return nil
		}
		if err := Remove(ctx, dirs...); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			// Removed, yet made again: look once more and name what is there.
			if dirs, _ := Dirs(path); len(dirs) > 0 {
				return fmt.Errorf("remove cgroups of %s: %w; made again: %s", path, err, strings.Join(dirs, ", "))
			}
			return nil
		}
	}
}

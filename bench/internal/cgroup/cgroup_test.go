package cgroup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/mountinfo"
)

func TestDirs(t *testing.T) {
	hybrid := mountinfo.Parse([]byte(`31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
50 23 8:1 / /home rw - ext4 /dev/sda1 rw
`))
	own := parseOwn([]byte("4:cpu,cpuacct:/user.slice\n3:memory:/limit/x\n1:name=systemd:/user.slice/s.scope\n0::/user.slice/s.scope\n"))
	// A container without a cgroup namespace: the mounts' roots are its cgroups.
	docker := mountinfo.Parse([]byte(`60 50 0:29 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory
61 50 0:30 /docker/abc /sys/fs/cgroup/pids ro - cgroup cgroup rw,pids
62 50 0:31 /other /sys/fs/cgroup/blkio ro - cgroup cgroup rw,blkio
`))
	dockerOwn := parseOwn([]byte("5:memory:/docker/abc\n4:pids:/docker/abc/sub\n3:blkio:/docker/abc\n"))
	v2 := mountinfo.Parse([]byte("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"))
	v2own := parseOwn([]byte("0::/\n"))
	all := func(string) bool { return true }
	tests := []struct {
		name   string
		mounts []mountinfo.Mount
		own    []ownCgroup
		path   string
		want   []string
	}{
		{"relative, hybrid", hybrid, own, "c1", []string{
			"/sys/fs/cgroup/cpu,cpuacct/user.slice/c1", "/sys/fs/cgroup/cpu,cpuacct/c1",
			"/sys/fs/cgroup/memory/limit/x/c1", "/sys/fs/cgroup/memory/c1",
			"/sys/fs/cgroup/systemd/user.slice/s.scope/c1", "/sys/fs/cgroup/systemd/c1",
			"/sys/fs/cgroup/unified/user.slice/s.scope/c1", "/sys/fs/cgroup/unified/c1"}},
		{"absolute, hybrid", hybrid, own, "/ns/c1", []string{
			"/sys/fs/cgroup/cpu,cpuacct/ns/c1", "/sys/fs/cgroup/memory/ns/c1",
			"/sys/fs/cgroup/systemd/ns/c1", "/sys/fs/cgroup/unified/ns/c1"}},
		{"relative, mount root is the container's cgroup", docker, dockerOwn, "c1", []string{
			"/sys/fs/cgroup/memory/c1", "/sys/fs/cgroup/pids/sub/c1", "/sys/fs/cgroup/pids/c1", "/sys/fs/cgroup/blkio/c1"}},
		{"relative, v2 only", v2, v2own, "c1", []string{"/sys/fs/cgroup/c1"}},
		{"no cgroup mounts", mountinfo.Parse([]byte("50 23 8:1 / /home rw - ext4 /dev/sda1 rw\n")), own, "c1", nil},
	}
	for _, tt := range tests {
		if got := dirs(tt.mounts, tt.own, tt.path, all); !slices.Equal(got, tt.want) {
			t.Errorf("%s: dirs = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := dirs(hybrid, own, "c1", func(p string) bool { return p == "/sys/fs/cgroup/memory/limit/x/c1" }); !slices.Equal(got, []string{"/sys/fs/cgroup/memory/limit/x/c1"}) {
		t.Errorf("only existing directories: %q", got)
	}
}

// TestRemove makes a cgroup below this process's own in every hierarchy, with a
// sub-cgroup, puts a running process in each, and removes the cgroup: Remove must kill
// the processes, wait until they are out and leave no directory. scripts/test.sh runs it
// beside a CPU hog, where the killed processes take their time to go.
func TestRemove(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making cgroups needs root")
	}
	name := fmt.Sprintf("strata-cgroup-test-%d", os.Getpid())
	var made []string
	t.Cleanup(func() {
		for _, d := range slices.Backward(made) {
			os.Remove(d)
		}
	})
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	own, _ := os.ReadFile("/proc/self/cgroup")
	parents := dirs(mountinfo.Parse(mi), parseOwn(own), ".", exists)
	for _, p := range parents {
		for _, d := range []string{filepath.Join(p, name), filepath.Join(p, name, "sub")} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Logf("no cgroup in %s: %v", p, err)
				break
			}
			made = append(made, d)
			// A v1 cpuset takes processes only once it has CPUs and memory nodes.
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if b, err := os.ReadFile(filepath.Join(filepath.Dir(d), f)); err == nil {
					os.WriteFile(filepath.Join(d, f), b, 0)
				}
			}
		}
	}
	if len(made) == 0 {
		t.Skip("no cgroup hierarchy to make a cgroup in")
	}
	var cmds []*exec.Cmd
	for _, d := range made {
		cmd := exec.Command("sleep", "300")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
			t.Fatalf("move pid %d into %s: %v", cmd.Process.Pid, d, err)
		}
	}
	// Reap the killed processes as their parent would (runc, a shim, a pid namespace's
	// init), each when it exits.
	waited := make(chan error, len(cmds))
	for _, c := range cmds {
		go func() { waited <- c.Wait() }()
	}
	got, err := Dirs(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatalf("Dirs(%q) found none of %q", name, made)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Remove(ctx, got...); err != nil {
		t.Fatal(err)
	}
	for _, d := range made {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there: %v", d, err)
		}
	}
	for range cmds {
		err := <-waited
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Errorf("a process in the cgroup ended with %v, want killed", err)
		}
	}
	if err := Remove(ctx, got...); err != nil {
		t.Errorf("removing again: %v, want nothing to do", err)
	}
}

// TestRemoveGivesUp: when the context ends while the cgroup is busy, Remove says what is
// still inside.
func TestRemoveGivesUp(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making cgroups needs root")
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	own, _ := os.ReadFile("/proc/self/cgroup")
	parents := dirs(mountinfo.Parse(mi), parseOwn(own), ".", exists)
	if len(parents) == 0 {
		t.Skip("no cgroup hierarchy")
	}
	d := filepath.Join(parents[0], fmt.Sprintf("strata-cgroup-busy-%d", os.Getpid()))
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Skipf("cannot make a cgroup in %s: %v", parents[0], err)
	}
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := Remove(ctx, d); err != nil {
			t.Error(err)
		}
	})
	if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Remove(ctx, d)
	want := fmt.Sprintf("pid %d (sleep)", cmd.Process.Pid)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), want) {
		t.Errorf("Remove with its context ended: %v, want context.Canceled naming %q", err, want)
	}
}

func FuzzParseOwn(f *testing.F) {
	f.Add([]byte("4:cpu,cpuacct:/user.slice\n0::/\n"))
	f.Add([]byte("12:name=systemd:/a:b\n::\n:\n1::\n"))
	// A process outside its cgroup namespace's root sees its cgroup as "/../..".
	f.Add([]byte("0::/r/../..\n"))
	f.Add([]byte("3:cpu:/../../x\n0::/../c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		mounts := mountinfo.Parse([]byte("1 0 0:1 / /sys/fs/cgroup/x rw - cgroup cgroup rw,cpu\n2 0 0:2 /r /sys/fs/cgroup/u rw - cgroup2 cgroup2 rw\n"))
		for _, p := range []string{"c", "/ns/c"} {
			for _, d := range dirs(mounts, parseOwn(b), p, func(string) bool { return true }) {
				if !strings.HasPrefix(d, "/sys/fs/cgroup/") || !strings.HasSuffix(d, "/c") {
					t.Errorf("dirs(%q) gave %q, outside the hierarchies or not the cgroup", p, d)
				}
			}
		}
	})
}

// TestRemovePathLate removes a cgroup while what a runtime still at work would make appears:
// a cgroup below one being removed, and the same path in another hierarchy (the cgroup v2
// one of a hybrid layout, which runc makes after the v1 ones). The process inside is frozen
// (v1 freezer), so the SIGKILL RemovePath sends stays pending until the test has made
// both: the late cgroups appear, deterministically, while RemovePath waits. All of them
// must be gone when it returns.
func TestRemovePathLate(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making cgroups needs root")
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var freezer, other, v2 string
	for _, m := range mountinfo.Parse(mi) {
		switch {
		case m.FSType == "cgroup2" && v2 == "":
			v2 = m.Point
		case m.FSType != "cgroup":
		case slices.Contains(m.SuperOpts, "freezer") && freezer == "":
			freezer = m.Point
		case !slices.Contains(m.SuperOpts, "cpuset") && other == "":
			other = m.Point // a cpuset takes a process only once given CPUs and memory nodes
		}
	}
	if freezer == "" || other == "" {
		t.Skip("needs the cgroup v1 freezer and another v1 hierarchy")
	}
	path := fmt.Sprintf("/strata-cgroup-late-%d", os.Getpid())
	early := []string{filepath.Join(freezer, path), filepath.Join(other, path)}
	late := []string{filepath.Join(other, path, "late")}
	if v2 != "" {
		late = append(late, filepath.Join(v2, path), filepath.Join(v2, path, "late"))
	}
	for _, d := range early {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	waited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(waited) }()
	state := filepath.Join(early[0], "freezer.state")
	t.Cleanup(func() {
		os.WriteFile(state, []byte("THAWED"), 0) // a frozen process cannot die
		cmd.Process.Kill()
		<-waited
		all := append(slices.Clone(early), late...)
		slices.SortStableFunc(all, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
		for _, d := range all {
			os.Remove(d)
		}
	})
	pid := cmd.Process.Pid
	for _, d := range early {
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			t.Fatalf("move pid %d into %s: %v", pid, d, err)
		}
	}
	if err := os.WriteFile(state, []byte("FROZEN"), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	until(ctx, t, "the process frozen", func() bool {
		b, _ := os.ReadFile(state)
		return strings.TrimSpace(string(b)) == "FROZEN"
	})
	removed := make(chan error, 1)
	go func() { removed <- RemovePath(ctx, path) }()
	until(ctx, t, "RemovePath to kill the process", func() bool { return killPending(pid) })
	for _, d := range late {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(state, []byte("THAWED"), 0); err != nil {
		t.Fatal(err)
	}
	if err := <-removed; err != nil {
		t.Errorf("RemovePath: %v", err)
	}
	for _, d := range append(early, late...) {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left: %v", d, err)
		}
	}
	var ee *exec.ExitError
	<-waited
	if !errors.As(waitErr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("the process in the cgroup ended with %v, want killed", waitErr)
	}
}

// until polls cond until it holds, failing the test with what when ctx ends first.
func until(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-tick.C:
		}
	}
}

// killPending reports whether process pid has a SIGKILL pending (/proc/PID/status).
func killPending(pid int) bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for l := range strings.Lines(string(b)) {
		for _, f := range []string{"SigPnd:", "ShdPnd:"} {
			if v, ok := strings.CutPrefix(l, f); ok {
				if n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64); err == nil && n&(1<<(syscall.SIGKILL-1)) != 0 {
					return true
				}
			}
		}
	}
	return false
}

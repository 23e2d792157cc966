//go:build linux

package probe_test

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/probe"
)

func runLocal(t testing.TB) probe.Report {
	t.Helper()
	r, err := probe.Run(context.Background(), probe.Local(), probe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func want(t *testing.T, r probe.Report, id string, results ...probe.Result) probe.Check {
	t.Helper()
	c, ok := r.Check(id)
	if !ok {
		t.Fatalf("no check %s", id)
	}
	if !slices.Contains(results, c.Result) {
		t.Errorf("%s = %s (%s; hint: %s), want %v", id, c.Result, c.Evidence, c.Hint, results)
	}
	return c
}

// TestLocal probes this machine and asserts what is true here, each fact found by other
// means than the probe's own. The CI machine has all of it (scripts/setup.sh installs the
// programs); elsewhere a part whose feature is absent skips, saying so.
func TestLocal(t *testing.T) {
	r := runLocal(t)
	root := os.Geteuid() == 0
	if r.Host.Privileged != root {
		t.Errorf("privileged = %v, euid %d", r.Host.Privileged, os.Geteuid())
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		if rel := unix.ByteSliceToString(u.Release[:]); r.Host.Kernel != rel {
			t.Errorf("kernel = %q, uname says %q", r.Host.Kernel, rel)
		}
	}

	t.Run("kvm", func(t *testing.T) {
		if _, err := os.Stat("/dev/kvm"); err != nil {
			t.Skipf("no /dev/kvm here: %v", err)
		}
		want(t, r, "kvm-device", probe.Pass)
		if unix.Access("/dev/kvm", unix.R_OK|unix.W_OK) != nil {
			t.Skip("/dev/kvm is not open to this user")
		}
		c := want(t, r, "kvm-create-vm", probe.Pass)
		if !strings.Contains(c.Evidence, "KVM_CREATE_VCPU") {
			t.Errorf("kvm-create-vm evidence %q", c.Evidence)
		}
		if y1 := r.Coordinates[1]; qemuOnPath() && !y1.Offered {
			t.Errorf("KVM and QEMU are here, but Y1 is not offered: %s", y1.Because)
		}
	})

	t.Run("namespaces", func(t *testing.T) {
		if !root {
			t.Skip("as a user, namespaces depend on the user-namespace sysctls")
		}
		for _, k := range probe.Namespaces {
			want(t, r, "namespace-"+k, probe.Pass)
		}
	})

	t.Run("cgroups", func(t *testing.T) {
		var st unix.Statfs_t
		if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
			t.Skipf("no /sys/fs/cgroup: %v", err)
		}
		c := want(t, r, "cgroups", probe.Pass, probe.Warn)
		v2 := st.Type == unix.CGROUP2_SUPER_MAGIC
		if v2 != strings.HasPrefix(c.Evidence, "cgroup v2 at /sys/fs/cgroup") {
			t.Errorf("statfs(/sys/fs/cgroup) says cgroup2 = %v; the probe: %s", v2, c.Evidence)
		}
	})

	t.Run("btf", func(t *testing.T) {
		fi, err := os.Stat("/sys/kernel/btf/vmlinux")
		if err != nil {
			t.Skipf("this kernel has no BTF: %v", err)
		}
		c := want(t, r, "btf", probe.Pass)
		if !strings.Contains(c.Evidence, "BTF v1") || fi.Size() == 0 {
			t.Errorf("btf evidence %q", c.Evidence)
		}
	})

	t.Run("bpf", func(t *testing.T) {
		if !root {
			t.Skip("bpf() needs root here")
		}
		want(t, r, "bpf-syscall", probe.Pass)
		want(t, r, "perf-events", probe.Pass)
	})

	for _, tc := range []struct{ check, bin string }{{"runc", "runc"}, {"crun", "crun"}, {"qemu-system", qemuBinary()}} {
		t.Run(tc.check, func(t *testing.T) {
			path := lookPath(tc.bin)
			if path == "" {
				t.Skipf("%s is not installed: scripts/setup.sh installs it", tc.bin)
			}
			c := want(t, r, tc.check, probe.Pass)
			if c.Path != path {
				t.Errorf("%s found at %s, exec.LookPath says %s", tc.check, c.Path, path)
			}
			out, _ := exec.Command(path, "--version").Output()
			if c.Version == "" || !strings.Contains(string(out), c.Version) {
				t.Errorf("%s version %q is not in %q", tc.check, c.Version, out)
			}
		})
	}

	t.Run("container layer", func(t *testing.T) {
		if !root || (lookPath("runc") == "" && lookPath("crun") == "") {
			t.Skip("needs root and runc or crun")
		}
		if y3 := r.Coordinates[3]; !y3.Offered {
			t.Errorf("Y3 not offered: %s", y3.Because)
		}
	})

	t.Run("facts load", func(t *testing.T) {
		base, err := network.Load(network.DefaultFiles())
		if err != nil {
			t.Fatal(err)
		}
		facts, err := probe.Facts(r, base)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := network.Load(append(network.DefaultFiles(), network.File{Name: "probe.yaml", Data: facts})); err != nil {
			t.Errorf("this host's facts do not load: %v\n%s", err, facts)
		}
	})
}

func qemuOnPath() bool { return lookPath(qemuBinary()) != "" }

func qemuBinary() string {
	if runtime.GOARCH == "arm64" {
		return "qemu-system-aarch64"
	}
	return "qemu-system-x86_64"
}

// lookPath finds a program as the probe does: on PATH plus the sbin directories.
func lookPath(name string) string {
	for _, d := range filepath.SplitList(probe.Local().PATH) {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// hostState is what the probe must not change.
type hostState struct {
	mounts   string
	cgroups  map[string]bool
	children []string
	fds      int
	tmp      []string
	shm      []string
}

func snapshot(t *testing.T, tmp string) hostState {
	t.Helper()
	var s hostState
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skipf("no /proc/self/mountinfo: %v", err)
	}
	s.mounts = string(b)
	s.cgroups = map[string]bool{}
	filepath.WalkDir("/sys/fs/cgroup", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			s.cgroups[p] = true
		}
		return nil
	})
	me := strconv.Itoa(os.Getpid())
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == me {
			s.children = append(s.children, strings.TrimSpace(string(b)))
		}
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	s.fds = len(fds)
	for _, dir := range []string{tmp, "/dev/shm"} {
		ents, _ := os.ReadDir(dir)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if dir == tmp {
			s.tmp = names
		} else {
			s.shm = names
		}
	}
	return s
}

// TestLocalLeavesNothing runs the real probe and compares what it must not change: the
// mount table, the cgroup tree, child processes (running or zombie), open file
// descriptors, and files in TMPDIR and /dev/shm.
func TestLocalLeavesNothing(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	runLocal(t) // warm up: the Go runtime opens its own descriptors once
	before := snapshot(t, tmp)
	for range 3 {
		runLocal(t)
	}
	after := snapshot(t, tmp)
	if before.mounts != after.mounts {
		t.Errorf("mount table changed:\nbefore:\n%s\nafter:\n%s", before.mounts, after.mounts)
	}
	for p := range after.cgroups {
		if !before.cgroups[p] {
			t.Errorf("new cgroup %s", p)
		}
	}
	if len(after.children) > 0 {
		t.Errorf("child processes left: %q", after.children)
	}
	if after.fds != before.fds {
		t.Errorf("open fds: %d before, %d after", before.fds, after.fds)
	}
	if len(after.tmp) > 0 {
		t.Errorf("files left in TMPDIR: %v", after.tmp)
	}
	if !slices.Equal(before.shm, after.shm) {
		t.Errorf("/dev/shm: %v before, %v after", before.shm, after.shm)
	}
	if len(before.cgroups) != len(after.cgroups) {
		t.Errorf("cgroups: %d before, %d after: %v", len(before.cgroups), len(after.cgroups), slices.Sorted(maps.Keys(after.cgroups)))
	}
}

// BenchmarkLocal is a full probe of this machine: every check, every program asked its
// version, the real KVM, namespace, BPF and perf checks.
func BenchmarkLocal(b *testing.B) {
	h := probe.Local()
	for b.Loop() {
		if _, err := probe.Run(context.Background(), h, probe.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/probe")
}

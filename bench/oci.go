package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/strata-dev/strata/bench/internal/exe"
	"github.com/strata-dev/strata/bench/internal/kernel"
)

// ociDriver runs each workload as a container from an OCI bundle: a busybox-static rootfs
// (the host's /bin/busybox bound in) with this executable bound at /strata for the kernels.
// The same driver serves runc, crun and gVisor's runsc (with a platform).
type ociDriver struct {
	name, layer string
	bin         string   // runtime binary
	global      []string // flags before the command (runsc --platform …)
	// privateCgroupNS runs the runtime in a mount namespace of its own with
	// /sys/fs/cgroup/unified unmounted: crun 1.8 refuses a hybrid cgroup layout otherwise.
	privateCgroupNS bool

	dir, state, rootfs, work, exe string
	ns                            *procThread // the private mount namespace's thread
	mu                            sync.Mutex
	ids                           []string // containers whose removal is still owed
}

func (d *ociDriver) Name() string  { return d.name }
func (d *ociDriver) Layer() string { return d.layer }

func (d *ociDriver) Available(ctx context.Context) (bool, string) {
	if _, err := exec.LookPath(d.bin); err != nil {
		return false, d.bin + " is not installed (scripts/setup-bench.sh installs it)"
	}
	if !exe.IsStatic(busybox) {
		return false, "no static /bin/busybox for the rootfs (install busybox-static)"
	}
	if os.Geteuid() != 0 {
		return false, "needs root"
	}
	return true, ""
}

func (d *ociDriver) Info(ctx context.Context) Info {
	if _, err := exec.LookPath(d.bin); err != nil {
		return Info{}
	}
	out, _ := exec.CommandContext(ctx, d.bin, "--version").CombinedOutput()
	l, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return Info{Version: l}
}

func (d *ociDriver) Prepare(ctx context.Context, dir string) error {
	self, err := kernelExecutable()
	if err != nil {
		return err
	}
	d.dir, d.exe = dir, self
	d.state, d.rootfs, d.work = filepath.Join(dir, "state"), filepath.Join(dir, "rootfs"), filepath.Join(dir, "work")
	for _, p := range []string{d.state, d.work, d.rootfs + "/bin", d.rootfs + "/proc", d.rootfs + "/dev", d.rootfs + "/sys", d.rootfs + "/tmp", d.rootfs + "/work"} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
	}
	for _, f := range []string{d.rootfs + "/bin/busybox", d.rootfs + "/strata"} {
		if err := os.WriteFile(f, nil, 0o755); err != nil { // mount points for the binds
			return err
		}
	}
	for _, l := range []string{"true", "sh", "dd"} {
		if err := os.Symlink("busybox", filepath.Join(d.rootfs, "bin", l)); err != nil {
			return err
		}
	}
	// A dynamically linked kernel executable needs the host's libraries: merged-/usr
	// symlinks are recreated, directories bound in (see config).
	if !exe.IsStatic(self) {
		for _, lib := range libDirs {
			if target, err := os.Readlink(lib); err == nil {
				if err := os.MkdirAll(filepath.Dir(d.rootfs+lib), 0o755); err != nil {
					return err
				}
				if err := os.Symlink(target, d.rootfs+lib); err != nil {
					return err
				}
			}
		}
	}
	if d.privateCgroupNS {
		if d.ns, err = newNSThread(); err != nil {
			return fmt.Errorf("private mount namespace: %w", err)
		}
	}
	return probeRun(ctx, d)
}

var libDirs = []string{"/lib", "/lib64", "/usr/lib", "/usr/lib64"}

// config is the OCI runtime config for one workload.
func (d *ociDriver) config(w Workload) *specs.Spec {
	args := []string{"/bin/true"}
	env := []string{"PATH=/bin"}
	if kernel.Is(w.Name) {
		args = []string{"/strata"}
		env = append(env, kernel.Environ(w.Name, w.N, "/work")...)
	}
	ro := []string{"rbind", "ro", "nosuid", "nodev"}
	mounts := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev"}},
		{Destination: "/bin/busybox", Type: "bind", Source: "/bin/busybox", Options: ro},
		{Destination: "/strata", Type: "bind", Source: d.exe, Options: ro},
		{Destination: "/work", Type: "bind", Source: d.work, Options: []string{"rbind", "rw"}},
	}
	if !exe.IsStatic(d.exe) {
		// A dynamically linked kernel executable needs the host's libraries.
		for _, lib := range libDirs {
			if fi, err := os.Lstat(lib); err == nil && fi.IsDir() {
				mounts = append(mounts, specs.Mount{Destination: lib, Type: "bind", Source: lib, Options: ro})
			}
		}
	}
	return &specs.Spec{
		Version:  ociVersion,
		Root:     &specs.Root{Path: d.rootfs, Readonly: false},
		Hostname: "strata-bench",
		Process: &specs.Process{
			User: specs.User{UID: 0, GID: 0}, Args: args, Env: env, Cwd: "/",
			Capabilities:    &specs.LinuxCapabilities{},
			NoNewPrivileges: true,
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Mounts: mounts,
		Linux: &specs.Linux{
			Namespaces:    []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace}, {Type: specs.MountNamespace}},
			MaskedPaths:   []string{"/proc/kcore", "/proc/keys", "/proc/timer_list"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

func (d *ociDriver) Run(ctx context.Context, w Workload) (Sample, error) {
	switch w.Name {
	case Start, Memory, CPU, Syscall, FileIO:
	default:
		return Sample{}, fmt.Errorf("workload %s: %w", w.Name, ErrNotSupported)
	}
	if d.dir == "" {
		return Sample{}, errors.New("driver not prepared")
	}
	id := containerID()
	// One bundle per workload and size: the size is in the config's environment.
	bundle := filepath.Join(d.dir, "bundle-"+moduleKey(w))
	if _, err := os.Stat(filepath.Join(bundle, "config.json")); err != nil {
		if err := os.MkdirAll(bundle, 0o755); err != nil {
			return Sample{}, err
		}
		b, err := json.MarshalIndent(d.config(w), "", "  ")
		if err != nil {
			return Sample{}, err
		}
		if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
			return Sample{}, err
		}
	}
	d.mu.Lock()
	d.ids = append(d.ids, id)
	d.mu.Unlock()
	args := append([]string{"--root", d.state}, d.global...)
	args = append(args, "run", "--bundle", bundle, id)
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Dir = bundle
	// A cancelled run asks the runtime to kill the container: `run` then reaps its init and
	// removes what it made, as when the workload ends by itself (see stopBy).
	cmd.Cancel = stopBy(cmd, func(ctx context.Context) error { return d.kill(ctx, id) })
	cmd.WaitDelay = stopGrace
	// d.ns nil: the spawner; else the runtime starts in the private mount namespace.
	s, err := runWorkload(ctx, d.ns, cmd, w)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if cerr := d.remove(cctx, id, err != nil); cerr != nil {
		// Close tries again and logs what still fails. A failed run's own error is the
		// answer (a runtime that cannot run at all fails its delete the same way); a run
		// that worked but left its container behind is not a sample.
		if err == nil {
			return Sample{}, fmt.Errorf("%s left container %s: %w", d.bin, id, cerr)
		}
		return s, err
	}
	d.forget(id)
	return s, err
}

// remove removes what run id left: with deleted, the container (a killed runtime — a
// timeout, a cancel — leaves it running, and a hung workload would go on taking CPU from
// the runs after it); in any case its cgroups, once its processes are gone (the runtime's
// own rmdir races their exit, and loses on a busy machine).
func (d *ociDriver) remove(ctx context.Context, id string, deleted bool) error {
	if deleted && d.hasState(id) {
		if err := d.delete(ctx, id); err != nil {
			return err
		}
	}
	return removeCgroups(ctx, id)
}

// hasState reports whether the runtime keeps state for container id under its root (runc
// and crun a directory named id, runsc files whose names hold it): without it there is
// no container to delete — the runtime failed before making one, perhaps failing even to
// read its flags, as runsc does for a platform it lacks, and so would its delete.
func (d *ociDriver) hasState(id string) bool {
	entries, err := os.ReadDir(d.state)
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), id) {
			return true
		}
	}
	return false
}

// kill sends SIGKILL to container id's init.
func (d *ociDriver) kill(ctx context.Context, id string) error {
	args := append([]string{"--root", d.state}, d.global...)
	args = append(args, "kill", id, "KILL")
	if out, err := exec.CommandContext(ctx, d.bin, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s kill %s: %v: %s", d.bin, id, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// delete force-deletes container id (killing what runs in it); one that does not exist is
// no error.
func (d *ociDriver) delete(ctx context.Context, id string) error {
	args := append([]string{"--root", d.state}, d.global...)
	args = append(args, "delete", "--force", id)
	if out, err := exec.CommandContext(ctx, d.bin, args...).CombinedOutput(); err != nil && !notExist(string(out)) {
		return fmt.Errorf("%s delete %s: %v: %s", d.bin, id, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (d *ociDriver) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, x := range d.ids {
		if x == id {
			d.ids = append(d.ids[:i], d.ids[i+1:]...)
			return
		}
	}
}

// Close force-deletes every container a run may have left (a cancelled or failed run),
// with its cgroups, and ends the private mount namespace.
func (d *ociDriver) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	d.mu.Lock()
	ids := d.ids
	d.ids = nil
	d.mu.Unlock()
	var errs []error
	for _, id := range ids {
		if err := d.remove(ctx, id, true); err != nil {
			errs = append(errs, err)
		}
	}
	if d.ns != nil {
		d.ns.close()
		d.ns = nil
	}
	return errors.Join(errs...)
}

func notExist(out string) bool {
	out = strings.ToLower(out)
	return strings.Contains(out, "not exist") || strings.Contains(out, "not found") || strings.Contains(out, "no such")
}

// ociVersion is the config version written: the oldest the runtimes here understand
// (crun 1.8 rejects runtime-spec 1.3's "1.3.0"); the fields used exist since 1.0.
const ociVersion = "1.0.2"

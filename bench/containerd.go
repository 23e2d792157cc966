package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/strata-dev/strata/bench/internal/exe"
	"github.com/strata-dev/strata/bench/internal/kernel"
	"github.com/strata-dev/strata/bench/internal/ociimage"
	"github.com/strata-dev/strata/internal/mountinfo"
)

// containerdDriver runs each workload with `ctr run --rm` against a containerd daemon of
// its own: the daemon starts in Prepare with its root, state, socket and runc root inside
// the run's private directory (and nothing of the host's /etc/containerd), an image built
// here (ociimage.Write: busybox-static, no registry) is imported into a namespace private to
// this process, and Close removes the containers, the image and the namespace, stops the
// daemon and its shims, and unmounts whatever is left. A containerd already running on the
// host is neither used nor touched.
//
// A run is what a user of containerd pays per container: the client's connection, the
// container and snapshot created from the image, a runc shim started, runc create and
// start, the exit awaited and everything deleted again. The memory workload counts the
// client's peak RSS plus the daemon's resident memory after the run (the daemon is part
// of the runtime, shared by all its containers); the shim is the daemon's child and not
// counted.
type containerdDriver struct {
	dir, root, state, sock, fifo, runcRoot, exe, ns, image string

	sockDir     string // a short directory for the socket when dir is too deep for one
	madeRunDir  bool   // /run/containerd did not exist before the daemon made it
	daemon      *exec.Cmd
	daemonDone  chan struct{}
	daemonErr   error
	daemonLog   string
	mu          sync.Mutex
	ids         []string // containers whose removal is still owed
	snapshotter string
}

func (d *containerdDriver) Name() string  { return "containerd" }
func (d *containerdDriver) Layer() string { return L3 }

func (d *containerdDriver) Available(ctx context.Context) (bool, string) {
	for _, bin := range []string{"containerd", "ctr", "containerd-shim-runc-v2", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			return false, bin + " is not installed (scripts/setup-bench.sh installs containerd)"
		}
	}
	if !exe.IsStatic(busybox) {
		return false, "no static " + busybox + " for the image (install busybox-static)"
	}
	if os.Geteuid() != 0 {
		return false, "needs root"
	}
	return true, ""
}

func (d *containerdDriver) Info(ctx context.Context) Info {
	if _, err := exec.LookPath("containerd"); err != nil {
		return Info{}
	}
	out, _ := exec.CommandContext(ctx, "containerd", "--version").Output()
	return Info{Version: strings.TrimSpace(string(out))}
}

// sockMax is the longest socket path used: containerd refuses more than 104 bytes, and
// appends ".ttrpc" for its second socket.
const sockMax = 96

func (d *containerdDriver) Prepare(ctx context.Context, dir string) error {
	self, err := kernelExecutable()
	if err != nil {
		return err
	}
	d.dir, d.exe = dir, self
	d.root, d.state = filepath.Join(dir, "root"), filepath.Join(dir, "state")
	d.fifo, d.runcRoot = filepath.Join(dir, "fifo"), filepath.Join(dir, "runc")
	d.ns = containerID() // a namespace per driver: what one leaves is told from what another does
	d.image = "strata.local/bench:busybox"
	d.sock = filepath.Join(dir, "ctrd.sock")
	if len(d.sock) > sockMax {
		if d.sockDir, err = os.MkdirTemp("", "strata-ctrd-"); err != nil {
			return err
		}
		d.sock = filepath.Join(d.sockDir, "ctrd.sock")
	}
	for _, p := range []string{d.root, d.state, d.fifo, d.runcRoot, filepath.Join(dir, "work")} {
		if err := os.MkdirAll(p, 0o711); err != nil {
			return err
		}
	}
	// Overlay on the run's filesystem when the kernel has it, else plain copies.
	d.snapshotter = "native"
	if b, err := os.ReadFile("/proc/filesystems"); err == nil && strings.Contains(string(b), "\toverlay\n") {
		d.snapshotter = "overlayfs"
	}
	if err := d.startDaemon(ctx); err != nil {
		return err
	}
	tarball := filepath.Join(dir, "image.tar")
	f, err := os.Create(tarball)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	// A dynamically linked kernel executable needs the host's libraries: merged-/usr
	// symlinks go into the image, the directories are bound in at run time.
	links := map[string]string{}
	if !exe.IsStatic(self) {
		for _, lib := range libDirs {
			if target, err := os.Readlink(lib); err == nil {
				links[lib] = target
			}
		}
	}
	if err := ociimage.Write(bw, d.image, busybox, links); err != nil {
		f.Close()
		return fmt.Errorf("build image: %w", err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if out, err := d.ctr(ctx, "images", "import", "--snapshotter", d.snapshotter, tarball); err != nil {
		return fmt.Errorf("ctr images import: %w: %s", err, out)
	}
	return probeRunWithin(ctx, d, 30*time.Second) // the first run starts the shim binary cold
}

// startDaemon starts containerd with a configuration of its own and waits until it answers.
func (d *containerdDriver) startDaemon(ctx context.Context) error {
	if _, err := os.Stat(containerdRunDir); errors.Is(err, os.ErrNotExist) {
		d.madeRunDir = true // the shims' sockets go to /run/containerd/s whatever the state dir
	}
	cfg := filepath.Join(d.dir, "config.toml")
	// Only what ctr run needs: no CRI, no other snapshotters, no /opt plugin directory.
	conf := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = %q
`, d.root, d.state, d.sock)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		return err
	}
	d.daemonLog = filepath.Join(d.dir, "containerd.log")
	logf, err := os.Create(d.daemonLog)
	if err != nil {
		return err
	}
	// Not CommandContext: the daemon outlives Prepare's context and is stopped by Close.
	cmd := exec.Command("containerd", "--config", cfg, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	// From the spawner's thread, which never exits: Pdeathsig fires when the forking
	// thread ends, and the daemon must live until Close (see procThread).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if _, err := startProcess(nil, cmd); err != nil {
		logf.Close()
		return fmt.Errorf("start containerd: %w", err)
	}
	logf.Close()
	d.daemon, d.daemonDone = cmd, make(chan struct{})
	go func() { d.daemonErr = cmd.Wait(); close(d.daemonDone) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-d.daemonDone:
			return fmt.Errorf("containerd exited: %v: %s", d.daemonErr, lastLine(strings.TrimSpace(d.readLog())))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if _, err := os.Stat(d.sock); err == nil {
			if _, err := d.ctr(ctx, "version"); err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("containerd did not answer on %s within 15s: %s", d.sock, lastLine(strings.TrimSpace(d.readLog())))
		}
	}
}

const containerdRunDir = "/run/containerd"

func (d *containerdDriver) readLog() string {
	b, _ := os.ReadFile(d.daemonLog)
	return string(b)
}

// ctr runs one ctr command against the driver's daemon and namespace.
func (d *containerdDriver) ctr(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "ctr", append([]string{"--address", d.sock, "--namespace", d.ns}, args...)...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (d *containerdDriver) Run(ctx context.Context, w Workload) (Sample, error) {
	switch w.Name {
	case Start, Memory, CPU, Syscall, FileIO:
	default:
		return Sample{}, fmt.Errorf("workload %s: %w", w.Name, ErrNotSupported)
	}
	if d.daemon == nil {
		return Sample{}, errors.New("driver not prepared")
	}
	select {
	case <-d.daemonDone:
		return Sample{}, fmt.Errorf("containerd exited: %v", d.daemonErr)
	default:
	}
	id := containerID()
	args := []string{"--address", d.sock, "--namespace", d.ns, "run", "--rm",
		"--snapshotter", d.snapshotter, "--fifo-dir", d.fifo, "--runc-root", d.runcRoot}
	cmdline := []string{"/bin/true"}
	if kernel.Is(w.Name) {
		args = append(args, "--mount", "type=bind,src="+d.exe+",dst=/strata,options=rbind:ro",
			"--mount", "type=bind,src="+filepath.Join(d.dir, "work")+",dst=/work,options=rbind:rw")
		if !exe.IsStatic(d.exe) {
			for _, lib := range libDirs {
				if fi, err := os.Lstat(lib); err == nil && fi.IsDir() {
					args = append(args, "--mount", "type=bind,src="+lib+",dst="+lib+",options=rbind:ro")
				}
			}
		}
		for _, e := range kernel.Environ(w.Name, w.N, "/work") {
			args = append(args, "--env", e)
		}
		cmdline = []string{"/strata"}
	}
	args = append(args, d.image, id)
	args = append(args, cmdline...)
	d.mu.Lock()
	d.ids = append(d.ids, id)
	d.mu.Unlock()
	cmd := exec.CommandContext(ctx, "ctr", args...)
	// A cancelled run asks the daemon to kill the task: ctr then sees it exit and removes
	// the container (--rm), as when the workload ends by itself (see stopBy).
	cmd.Cancel = stopBy(cmd, func(ctx context.Context) error {
		_, err := d.ctr(ctx, "tasks", "kill", "--signal", "SIGKILL", id)
		return err
	})
	cmd.WaitDelay = stopGrace
	s, err := runWorkload(ctx, nil, cmd, w)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err != nil {
		// Killing ctr (a timeout, a cancel) leaves the container running in its shim: remove
		// it now, or a hung workload would go on taking CPU from the runs after it.
		if rerr := d.removeContainer(cctx, id); rerr != nil {
			return s, errors.Join(err, rerr) // Close tries again
		}
		d.forget(id)
		return s, err
	}
	// ctr run --rm deleted the container. Its shim exits a moment later, after work of its
	// own (the next run is not measured beside it, and nothing is killed halfway through
	// it); the container's cgroups can outlive it (the shim's runc removes them while the
	// container's processes may still be exiting).
	if left := waitExited(cctx, pidsWithArg(id)); len(left) > 0 {
		return Sample{}, fmt.Errorf("containerd left container %s: its shim (pids %v) did not exit within %v", id, left, cleanupTimeout) // Close kills it
	}
	if err := removeCgroups(cctx, d.cgroupPath(id)); err != nil {
		return Sample{}, fmt.Errorf("containerd left container %s: %w", id, err) // Close tries again
	}
	d.forget(id)
	if w.Name == Memory && s.MaxRSSKiB > 0 {
		s.MaxRSSKiB += procStatusKiB(d.daemon.Process.Pid, "VmRSS")
	}
	return s, nil
}

func (d *containerdDriver) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i := slices.Index(d.ids, id); i >= 0 {
		d.ids = slices.Delete(d.ids, i, i+1)
	}
}

// procStatusKiB reads a "kB" field of /proc/PID/status; 0 when it cannot.
func procStatusKiB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// Close removes what the runs left in the daemon (containers of a cancelled run, the
// image, the namespace), stops the daemon, kills any shim of it still there, unmounts what
// is mounted under the driver's directory, and removes the cgroups and the /run/containerd
// directories the daemon made.
func (d *containerdDriver) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	// cleanHost has a deadline of its own: a daemon or shim that used up ctx must not
	// leave it no time to kill and remove what they left.
	hctx, hcancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer hcancel()
	if d.daemon == nil {
		return d.cleanHost(hctx)
	}
	var errs []error
	alive := true
	select {
	case <-d.daemonDone:
		alive = false
	default:
	}
	if alive {
		d.mu.Lock()
		ids := d.ids
		d.ids = nil
		d.mu.Unlock()
		for _, id := range ids {
			if err := d.removeContainer(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
		// Every shim finishes its own cleanup; cleanHost kills what is left at ctx's end.
		waitExited(ctx, pidsWithCmdline(d.sock))
		if out, err := d.ctr(ctx, "images", "remove", "--sync", d.image); err != nil && !notExist(out) {
			errs = append(errs, fmt.Errorf("ctr images remove: %v: %s", err, out))
		}
		if err := d.removeNamespace(ctx); err != nil {
			errs = append(errs, err)
		}
		d.daemon.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.daemonDone:
		case <-time.After(10 * time.Second):
			syscall.Kill(-d.daemon.Process.Pid, syscall.SIGKILL)
			<-d.daemonDone
		}
	}
	d.daemon = nil
	return errors.Join(append(errs, d.cleanHost(hctx))...)
}

// removeNamespace removes the driver's namespace from the daemon, with the snapshots a
// container's deletion may have left (its rootfs was still mounted by a shim that had not
// exited yet; deleting the container does not wait for that), trying until ctx ends.
func (d *containerdDriver) removeNamespace(ctx context.Context) error {
	for {
		out, err := d.ctr(ctx, "namespaces", "remove", d.ns)
		if err == nil || notExist(out) {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("ctr namespaces remove %s: %v: %s", d.ns, err, out)
		}
		// Active snapshots first (they are the children), then what they were made from.
		for _, kind := range []string{"Active", "Committed"} {
			ls, _ := d.ctr(ctx, "snapshots", "--snapshotter", d.snapshotter, "ls")
			for l := range strings.Lines(ls) {
				if f := strings.Fields(l); len(f) >= 2 && f[len(f)-1] == kind {
					d.ctr(ctx, "snapshots", "--snapshotter", d.snapshotter, "rm", f[0])
				}
			}
		}
	}
}

// cgroupPath is container id's cgroup in each hierarchy: containerd gives runc
// /NAMESPACE/ID, from the hierarchy's root.
func (d *containerdDriver) cgroupPath(id string) string { return "/" + d.ns + "/" + id }

// removeContainer kills container id's task, deletes the task and the container (and with
// it the snapshot), waits until its shim has exited (killing it at ctx's end), and removes
// the container's cgroups once its processes are gone: what a run leaves when its ctr was
// killed. A container that was never created is no error.
func (d *containerdDriver) removeContainer(ctx context.Context, id string) error {
	var errs []error
	// Again while the container is still listed: a create the killed ctr had asked for may
	// complete in the daemon after the first round.
	for ctx.Err() == nil {
		errs = errs[:0]
		d.ctr(ctx, "tasks", "kill", "--signal", "SIGKILL", id)
		if out, err := d.ctr(ctx, "tasks", "delete", "--force", id); err != nil && !notExist(out) {
			errs = append(errs, fmt.Errorf("ctr tasks delete %s: %v: %s", id, err, out))
		}
		if out, err := d.ctr(ctx, "containers", "delete", id); err != nil && !notExist(out) {
			errs = append(errs, fmt.Errorf("ctr containers delete %s: %v: %s", id, err, out))
		}
		if out, err := d.ctr(ctx, "containers", "ls", "-q"); err != nil || !slices.Contains(strings.Fields(out), id) {
			break
		}
	}
	// The daemon tells the shim to shut down once its task is deleted; it exits a moment
	// later, or, on a busy machine, many moments later. One still running when ctx ends is
	// killed, with its runc and what else is in its process group, until none is left
	// (its socket is then left for cleanHost): the cgroups are removed only after that, and
	// with time of their own.
	waitExited(ctx, pidsWithArg(id))
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if left := killAll(kctx, groupsOf(func() []int { return pidsWithArg(id) })); len(left) > 0 {
		errs = append(errs, fmt.Errorf("shim of %s: pids %v do not exit", id, left))
	}
	if err := removeCgroups(kctx, d.cgroupPath(id)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// cleanHost kills the daemon's shims and their containers, unmounts what is left under
// the driver's directory, and removes the namespace's cgroups and the run directories
// the daemon created.
func (d *containerdDriver) cleanHost(ctx context.Context) error {
	if d.dir == "" {
		return nil
	}
	var errs []error
	// Shims are daemonised (not our children); each names the daemon's socket, and each
	// runc it starts the runc root in the driver's directory. Those still running now (the
	// daemon died, or removeContainer gave up) are killed with their process groups, and
	// looked for again until none is left: a runc still at work would otherwise go on
	// making cgroups after the removal below has looked.
	find := groupsOf(func() []int {
		pids := pidsWithCmdline(d.sock)
		for _, pid := range pidsWithCmdline(d.dir + "/") {
			if !slices.Contains(pids, pid) {
				pids = append(pids, pid)
			}
		}
		return pids
	})
	if left := killAll(ctx, find); len(left) > 0 {
		errs = append(errs, fmt.Errorf("containerd shims and their runc %v do not exit", left))
	}
	// A container a killed shim left (runc's own state is under d.runcRoot).
	if entries, err := os.ReadDir(filepath.Join(d.runcRoot, d.ns)); err == nil {
		for _, e := range entries {
			out, err := exec.CommandContext(ctx, "runc", "--root", filepath.Join(d.runcRoot, d.ns), "delete", "--force", e.Name()).CombinedOutput()
			if err != nil && !notExist(string(out)) {
				errs = append(errs, fmt.Errorf("runc delete %s: %v: %s", e.Name(), err, strings.TrimSpace(string(out))))
			}
		}
	}
	if err := unmountUnder(d.dir); err != nil {
		errs = append(errs, err)
	}
	// containerd puts a container in cgroup /NAMESPACE/ID; runc removes ID, not NAMESPACE.
	// The removal takes the namespace's cgroups, in every hierarchy, with whatever
	// container's are still below, and says what it could not remove.
	if err := removeCgroups(ctx, "/"+d.ns); err != nil {
		errs = append(errs, err)
	}
	if d.sockDir != "" {
		if err := os.RemoveAll(d.sockDir); err != nil {
			errs = append(errs, err)
		}
		d.sockDir = ""
	}
	if d.madeRunDir {
		// A killed shim leaves its socket; one that nobody listens on is stale. Then the
		// directories, only when empty: a containerd started meanwhile keeps its own.
		for _, sock := range staleSockets(filepath.Join(containerdRunDir, "s")) {
			os.Remove(sock)
		}
		os.Remove(filepath.Join(containerdRunDir, "s"))
		os.Remove(containerdRunDir)
	}
	return errors.Join(errs...)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// pidsWithCmdline lists the processes whose command line contains s.
func pidsWithCmdline(s string) []int {
	var out []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range dirs {
		b, err := os.ReadFile(p + "/cmdline")
		if err != nil || !bytes.Contains(b, []byte(s)) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(p)); err == nil && pid != os.Getpid() {
			out = append(out, pid)
		}
	}
	return out
}

// pidsWithArg lists the processes one of whose arguments is exactly s (a shim's -id).
func pidsWithArg(s string) []int {
	var out []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range dirs {
		b, err := os.ReadFile(p + "/cmdline")
		if err != nil || !slices.Contains(strings.Split(string(b), "\x00"), s) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(p)); err == nil && pid != os.Getpid() {
			out = append(out, pid)
		}
	}
	return out
}

// unmountUnder lazily unmounts every mount point under dir, deepest first.
func unmountUnder(dir string) error {
	b, err := os.ReadFile("/proc/thread-self/mountinfo") // this thread's mounts (see cgroup.Dirs)
	if err != nil {
		return nil
	}
	var points []string
	for _, p := range mountinfo.Points(b) {
		if p == dir || strings.HasPrefix(p, dir+"/") {
			points = append(points, p)
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	var errs []error
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && err != syscall.EINVAL && err != syscall.ENOENT {
			errs = append(errs, fmt.Errorf("unmount %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

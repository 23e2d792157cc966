package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/strata-dev/strata/bench/internal/exe"
	"github.com/strata-dev/strata/bench/internal/kernel"
)

// maxRSSMark prefixes the peak-memory line busybox time writes.
const maxRSSMark = "STRATA_MAXRSS="

// runWorkload runs cmd for workload w. For the memory workload the command runs under
// busybox's time applet, which reports its child's peak RSS: the rusage Go gets from
// wait4 is useless here, because Linux carries the parent's RSS high-water mark over the
// vfork+exec Go uses, so every child would look as big as strata itself. For cpu, syscall
// and fileio the sample is the time the kernel took by its own clock (its
// STRATA_WORKLOAD_NS line on stderr), the host's start-to-exit time goes to Sample.Host;
// a run without that line is an error, never a silent fallback to the host's time. When
// the caller left its stdout unset, the host notes when the kernel's marks around its timed
// part arrive there (Sample.Marks), as it does on a guest's console. The process is
// started from thread t, or from the spawner when t is nil (see procThread: it is started
// with Pdeathsig).
func runWorkload(ctx context.Context, t *procThread, cmd *exec.Cmd, w Workload) (Sample, error) {
	if kernel.Is(w.Name) {
		var marks *markTimes
		if cmd.Stdout == nil {
			marks = &markTimes{}
			cmd.Stdout = marks
		}
		s, self, err := runCmdStderr(ctx, t, cmd)
		if err != nil {
			return s, err
		}
		ns, ok := kernel.NS(self)
		if !ok {
			return Sample{}, fmt.Errorf("%s: workload %s printed no %s line on stderr", cmd.Args[0], w.Name, strings.TrimSuffix(kernel.NSPrefix, "="))
		}
		s.Host, s.Wall, s.Clock = s.Wall, ns, ClockWorkload
		if marks != nil && len(marks.at) == 2 {
			s.Marks = marks.at[1].Sub(marks.at[0])
		}
		return s, nil
	}
	if w.Name != Memory {
		return runCmd(ctx, t, cmd)
	}
	if !exe.IsStatic(busybox) {
		return Sample{}, fmt.Errorf("peak memory needs a static %s (busybox-static): %w", busybox, ErrNotSupported)
	}
	cmd.Args = append([]string{busybox, "time", "-f", maxRSSMark + "%M", cmd.Path}, cmd.Args[1:]...)
	cmd.Path = busybox
	return runCmd(ctx, t, cmd)
}

const busybox = "/bin/busybox"

// killGroup kills the process group cmd leads (runCmd starts it as one).
func killGroup(cmd *exec.Cmd) error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

// runCmd runs cmd to completion as a process group of its own, killed as a whole when ctx
// ends (or when strata dies: Pdeathsig), and measures it. It is started from thread t (nil:
// the spawner), never from the calling goroutine's thread, which could exit under it.
func runCmd(ctx context.Context, t *procThread, cmd *exec.Cmd) (Sample, error) {
	s, _, err := runCmdStderr(ctx, t, cmd)
	return s, err
}

// runCmdStderr is runCmd, returning also the start of what the process wrote on stderr.
func runCmdStderr(ctx context.Context, t *procThread, cmd *exec.Cmd) (Sample, string, error) {
	var stderr bytes.Buffer
	// Stdout stays what the caller set (nil: /dev/null).
	cmd.Stderr = &limited{buf: &stderr, max: 64 << 10}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	// Unless the caller knows a better way to stop it (a runtime asked to kill its
	// container), a cancelled run's process group is killed.
	if cmd.Cancel == nil {
		cmd.Cancel = func() error { return killGroup(cmd) }
	}
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 2 * time.Second
	}
	t0, err := startProcess(t, cmd)
	if err == nil {
		err = cmd.Wait()
	}
	wall := time.Since(t0)
	if err != nil {
		if ctx.Err() != nil {
			return Sample{}, "", ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			return Sample{}, "", fmt.Errorf("%s: %w: %s", cmd.Args[0], err, lastLine(msg))
		}
		return Sample{}, "", fmt.Errorf("%s: %w", cmd.Args[0], err)
	}
	s := Sample{Wall: wall}
	for l := range strings.Lines(stderr.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), maxRSSMark); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			s.MaxRSSKiB = busyboxMaxRSSKiB(n)
		}
	}
	return s, stderr.String(), nil
}

// busyboxMaxRSSKiB corrects busybox time's %M. Its time applet (1.35, Debian 12) inherited
// GNU time 1.7's bug: it passes ru_maxrss, which Linux gives in KiB, through a pages-to-KiB
// conversion, so it prints pagesize/1024 (4) times the real peak. Seen here: QEMU printed
// as 1,099,056 KiB by busybox, 272,336 KiB by GNU time 1.9, VmHWM 250–290 MB in
// /proc/PID/status while it ran; TestBusyboxMaxRSS checks the correction against a
// process whose peak is known.
func busyboxMaxRSSKiB(printed int64) int64 {
	if k := int64(os.Getpagesize() / 1024); k > 1 {
		return printed / k
	}
	return printed
}

func lastLine(s string) string {
	for l := range strings.Lines(s) {
		if strings.Contains(l, "Error:") { // node puts the error first, its version last
			return strings.TrimSpace(l)
		}
	}
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// limited keeps the first max bytes written to it.
type limited struct {
	buf *bytes.Buffer
	max int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// processDriver runs workloads as host processes: the native baseline, or the same inside
// fresh namespaces created by clone(2) (cloneflags), the raw material of containers.
type processDriver struct {
	name, layer string
	cloneflags  uintptr
	exe, dir    string
}

func (d *processDriver) Name() string              { return d.name }
func (d *processDriver) Layer() string             { return d.layer }
func (d *processDriver) Info(context.Context) Info { return Info{} }
func (d *processDriver) Close() error              { return nil }

func (d *processDriver) Available(ctx context.Context) (bool, string) {
	if _, err := os.Stat("/bin/true"); err != nil {
		return false, "no /bin/true"
	}
	if d.cloneflags != 0 && os.Geteuid() != 0 {
		return false, "creating namespaces needs root (run as root, or use the user namespace)"
	}
	return true, ""
}

func (d *processDriver) Prepare(ctx context.Context, dir string) error {
	exe, err := kernelExecutable()
	if err != nil {
		return err
	}
	d.exe, d.dir = exe, dir
	// One run up front: a failing clone is "not available", not a broken measurement.
	return probeRun(ctx, d)
}

// probeTimeout bounds the first run a driver makes to show it works: gVisor's kvm
// platform, for one, hangs on a nested software-assisted /dev/kvm.
const probeTimeout = 5 * time.Second

// probeRun runs the start workload once, within probeTimeout.
func probeRun(ctx context.Context, d Driver) error { return probeRunWithin(ctx, d, probeTimeout) }

func probeRunWithin(ctx context.Context, d Driver, probeTimeout time.Duration) error {
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	_, err := d.Run(pctx, Workload{Name: Start})
	if err != nil && ctx.Err() == nil && pctx.Err() != nil {
		return fmt.Errorf("a container doing nothing did not exit within %v", probeTimeout)
	}
	return err
}

func (d *processDriver) Run(ctx context.Context, w Workload) (Sample, error) {
	var cmd *exec.Cmd
	switch w.Name {
	case Start, Memory:
		cmd = exec.CommandContext(ctx, "/bin/true")
	case CPU, Syscall, FileIO:
		if d.exe == "" {
			return Sample{}, errors.New("driver not prepared")
		}
		cmd = exec.CommandContext(ctx, d.exe)
		cmd.Env = kernel.Environ(w.Name, w.N, d.dir)
	default:
		return Sample{}, fmt.Errorf("workload %s: %w", w.Name, ErrNotSupported)
	}
	if d.cloneflags != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: d.cloneflags}
	}
	return runWorkload(ctx, nil, cmd, w)
}

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
	"strconv"
	"strings"
	"time"

	"github.com/strata-dev/strata/bench/internal/cpio"
	"github.com/strata-dev/strata/bench/internal/exe"
	"github.com/strata-dev/strata/bench/internal/guest"
	"github.com/strata-dev/strata/bench/internal/kernel"
	"github.com/strata-dev/strata/bench/internal/kmod"
	"github.com/strata-dev/strata/bench/internal/tsc"
)

// qemuDriver boots a Linux guest per run — the Debian kernel scripts/setup-bench.sh
// extracts, with an initramfs of busybox-static and this executable — whose /init runs
// the workload and reboots, which with -no-reboot ends QEMU. L-2 is the virtio machine
// (-M microvm, virtio-mmio transports), L-1 the PC with emulated devices (-M pc). The
// accelerator is TCG: on this host's nested, software-assisted /dev/kvm a full Linux
// guest does not finish booting, and every number says which accelerator made it.
type qemuDriver struct {
	name, layer, machine string
	accel                string
	kernel, dir, exe     string
	initrds              map[string]string
}

func (d *qemuDriver) Name() string  { return d.name }
func (d *qemuDriver) Layer() string { return d.layer }
func (d *qemuDriver) Close() error  { return nil }

// Info says one run takes seconds (Slow: --quick runs only the start workload here) and,
// for the microvm, what TSC frequency its guest was told and where it came from: the
// guest-timed samples are only as right as that number.
func (d *qemuDriver) Info(ctx context.Context) Info {
	info := Info{Accel: d.accel, Slow: true}
	if out, err := exec.CommandContext(ctx, "qemu-system-x86_64", "--version").Output(); err == nil {
		info.Version, _, _ = strings.Cut(string(out), "\n")
	}
	if d.machine == "microvm" {
		r := tsc.Host()
		info.Notes = []string{fmt.Sprintf("guest told the host's TSC runs at %d kHz (tsc_early_khz), from %s", r.KHz, r.Source)}
	}
	return info
}

func (d *qemuDriver) Available(ctx context.Context) (bool, string) {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		return false, "qemu-system-x86_64 is not installed (scripts/setup-bench.sh installs qemu-system-x86)"
	}
	if _, err := os.Stat(guest.Kernel()); err != nil {
		return false, "no guest kernel at " + guest.Kernel() + " (scripts/setup-bench.sh extracts one)"
	}
	if !exe.IsStatic(busybox) {
		return false, "no static " + busybox + " for the initramfs (install busybox-static)"
	}
	return true, ""
}

func (d *qemuDriver) Prepare(ctx context.Context, dir string) error {
	self, err := kernelExecutable()
	if err != nil {
		return err
	}
	d.kernel, d.dir, d.exe, d.initrds = guest.Kernel(), dir, self, map[string]string{}
	return probeRunWithin(ctx, d, 60*time.Second) // a TCG boot takes seconds
}

// initrd builds (once per workload) the initramfs whose /init runs w. For cpu, syscall
// and fileio the init runs the Go kernel (this executable), which, as in every other
// layer, reads its monotonic clock — here the guest's — right before and after its work
// and prints the difference on the console (STRATA_WORKLOAD_NS), with a STRATA_MARK line
// on each side; so those samples are guest-side times of the kernel alone, with the boot
// and the kernel process's own start left out. fileio runs on an ext4 file system on a
// disk image the host made: a virtio-blk device for -M microvm (L-2), an IDE disk for
// -M pc (L-1), with the guest's driver modules loaded before the kernel starts.
func (d *qemuDriver) initrd(w Workload) (string, error) {
	k := moduleKey(w)
	if p, ok := d.initrds[k]; ok {
		return p, nil
	}
	files := map[string]cpio.Entry{
		"bin/busybox": {Mode: 0o100755, Host: busybox},
		"dev":         {Mode: 0o040755}, "proc": {Mode: 0o040755}, "work": {Mode: 0o040755},
	}
	setup, run, teardown := "/bin/busybox mount -t tmpfs work /work", ":", ""
	if d.guestTimed(w.Name) {
		files["strata"] = cpio.Entry{Mode: 0o100755, Host: d.exe}
		if !exe.IsStatic(d.exe) {
			libs, err := exe.SharedLibs(d.exe)
			if err != nil {
				return "", err
			}
			for _, l := range libs {
				files[l] = cpio.Entry{Mode: 0o100755, Host: l}
			}
		}
		run = strings.Join(kernel.Environ(w.Name, w.N, "/work"), " ") + " /strata"
	}
	if w.Name == FileIO {
		mods, err := d.diskModules()
		if err != nil {
			return "", err
		}
		var b strings.Builder
		// insmod does not read module parameters from the kernel command line as modprobe
		// does: hand virtio_mmio the transports QEMU put there.
		b.WriteString("margs=\nfor a in $(/bin/busybox cat /proc/cmdline); do case $a in virtio_mmio.device=*) margs=\"$margs ${a#virtio_mmio.}\";; esac; done\n")
		for i, m := range mods {
			name := fmt.Sprintf("mod/%02d-%s.ko", i, kmod.Name(m))
			files[name] = cpio.Entry{Mode: 0o100644, Host: m}
			args := ""
			if kmod.Name(m) == "virtio_mmio" {
				args = " $margs"
			}
			fmt.Fprintf(&b, "/bin/busybox insmod /%s%s || echo STRATA_SETUP=insmod %s\n", name, args, kmod.Name(m))
		}
		dev := d.diskDevice()
		fmt.Fprintf(&b, "i=0; while [ ! -b %[1]s ] && [ $i -lt 1000 ]; do /bin/busybox usleep 10000; i=$((i+1)); done\n", dev)
		fmt.Fprintf(&b, "/bin/busybox mount -t ext4 %s /work || { echo STRATA_SETUP=mount %s; echo STRATA_RC=98; /bin/busybox reboot -f; }", dev, dev)
		setup, teardown = b.String(), "/bin/busybox umount /work"
	}
	init := fmt.Sprintf(`#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t proc proc /proc
%s
%s
rc=$?
echo STRATA_RC=$rc
%s
/bin/busybox reboot -f
`, setup, run, teardown)
	files["init"] = cpio.Entry{Mode: 0o100755, Data: []byte(init)}
	p := filepath.Join(d.dir, k+".cpio")
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := cpio.Write(bw, files); err != nil {
		f.Close()
		return "", err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	d.initrds[k] = p
	return p, nil
}

// guestTimed reports the workloads whose samples the guest times itself (boot excluded).
func (d *qemuDriver) guestTimed(workload string) bool { return kernel.Is(workload) }

// diskModules are the guest's modules for the disk and ext4, dependencies first.
func (d *qemuDriver) diskModules() ([]string, error) {
	idx, err := kmod.Load(guest.Modules())
	if err != nil {
		return nil, fmt.Errorf("guest kernel modules: %w (scripts/setup-bench.sh copies them)", err)
	}
	driver := "virtio_mmio virtio_blk"
	if d.machine == "pc" {
		driver = "ata_piix sd_mod"
	}
	return idx.Order(append(strings.Fields(driver), "ext4")...)
}

func (d *qemuDriver) diskDevice() string {
	if d.machine == "pc" {
		return "/dev/sda"
	}
	return "/dev/vda"
}

// disk makes (once per size) the raw disk image the fileio workload writes to: ext4,
// twice the workload's size plus room for the journal, every inode table and the journal
// initialised now so no lazy-init thread writes during the measured run. The image is
// built under a temporary name and renamed into place only when mkfs succeeded, so an image
// whose making failed or was killed is never taken for a finished one.
func (d *qemuDriver) disk(n int) (string, error) {
	p := filepath.Join(d.dir, fmt.Sprintf("disk-%d.img", n))
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		return "", fmt.Errorf("disk image: mkfs.ext4 is not installed (e2fsprogs): %w", ErrNotSupported)
	}
	f, err := os.CreateTemp(d.dir, fmt.Sprintf(".disk-%d-*.tmp", n))
	if err != nil {
		return "", fmt.Errorf("disk image: %w", err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			os.Remove(tmp)
		}
	}()
	size := int64(2*n + 32<<20)
	if err := f.Truncate(size); err != nil {
		f.Close()
		return "", fmt.Errorf("disk image: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("disk image: %w", err)
	}
	if out, err := exec.Command(mkfs, "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", tmp).CombinedOutput(); err != nil {
		return "", fmt.Errorf("mkfs.ext4 %s: %v: %s", tmp, err, strings.TrimSpace(string(out)))
	}
	if err := os.Rename(tmp, p); err != nil {
		return "", fmt.Errorf("disk image: %w", err)
	}
	done = true
	return p, nil
}

func (d *qemuDriver) Run(ctx context.Context, w Workload) (Sample, error) {
	switch w.Name {
	case Start, CPU, Syscall, FileIO, Memory:
	default:
		return Sample{}, fmt.Errorf("workload %s: %w", w.Name, ErrNotSupported)
	}
	if d.kernel == "" {
		return Sample{}, errors.New("driver not prepared")
	}
	initrd, err := d.initrd(w)
	if err != nil {
		return Sample{}, err
	}
	args := []string{"-M", d.machine, "-accel", d.accelOpt(), "-m", "256M", "-smp", "1",
		"-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", d.kernel, "-initrd", initrd,
		"-append", d.cmdline()}
	if d.machine == "pc" {
		// The emulated devices a PC guest sees: an e1000 NIC beside the IDE controller.
		args = append(args, "-device", "e1000")
	}
	if w.Name == FileIO {
		disk, err := d.disk(w.N)
		if err != nil {
			return Sample{}, err
		}
		// cache=writeback is QEMU's default, spelled out: the guest's fsync becomes a flush
		// of the image file on the host, as fsync does for a host process.
		if d.machine == "pc" {
			args = append(args, "-drive", "file="+disk+",format=raw,if=ide,index=0,media=disk,cache=writeback")
		} else {
			args = append(args, "-drive", "id=disk0,file="+disk+",format=raw,if=none,cache=writeback",
				"-device", "virtio-blk-device,drive=disk0")
		}
	}
	// A guest that hangs instead of rebooting (seen now and then under TCG) fails the run
	// rather than the whole bench's time: at the run's deadline (Options.RunTimeout), which
	// leaves a TCG boot on a busy machine (20 s seen beside other work) time to finish.
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, guestTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	var out bytes.Buffer
	marks := &markTimes{w: &limited{buf: &out, max: 64 << 10}}
	cmd.Stdout = marks
	// The kernel's STRATA_WORKLOAD_NS line comes on the console (stdout), not on stderr:
	// runCmd, not runWorkload's process-based reading of it, for the guest-timed workloads.
	var s Sample
	if d.guestTimed(w.Name) {
		s, err = runCmd(ctx, nil, cmd)
	} else {
		s, err = runWorkload(ctx, nil, cmd, w)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return s, fmt.Errorf("guest did not power off before the run's time limit: %w", err)
	}
	if err != nil {
		return s, err
	}
	rc := -1
	var setup []string
	for l := range strings.Lines(out.String()) {
		l = strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(l, "STRATA_RC="); ok {
			rc, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(l, "STRATA_SETUP="); ok {
			setup = append(setup, v)
		}
	}
	if rc != 0 {
		msg := lastLine(strings.TrimSpace(out.String()))
		if len(setup) > 0 {
			msg = "guest setup failed: " + strings.Join(setup, ", ")
		}
		return Sample{}, fmt.Errorf("guest workload %s: exit %d: %s", w.Name, rc, msg)
	}
	if d.guestTimed(w.Name) {
		inside, ok := kernel.NS(out.String())
		if !ok {
			return Sample{}, fmt.Errorf("guest workload %s: no guest-side time on the console", w.Name)
		}
		s.Host, s.Wall, s.Clock = s.Wall, inside, ClockGuest
		if len(marks.at) == 2 {
			s.Marks = marks.at[1].Sub(marks.at[0])
		}
	}
	return s, nil
}

// cmdline is the guest kernel's command line. A microvm has no PIT or HPET, so under TCG
// the kernel cannot calibrate the TSC and hung early in about half the boots; telling it
// the frequency and trusting the TSC fixes that (6 of 6 boots, against 3 of 6). The
// frequency must be the host's TSC rate (tsc.Host): TCG's guest TSC is the host's TSC, so
// any other value would make the guest's clock — which times the guest-side workloads —
// run fast or slow.
func (d *qemuDriver) cmdline() string {
	c := "console=ttyS0 quiet panic=-1 reboot=t rdinit=/init"
	if d.machine == "microvm" {
		c += fmt.Sprintf(" tsc_early_khz=%d tsc=reliable", tsc.Host().KHz)
	}
	return c
}

// guestTimeout bounds a run whose context has no deadline of its own.
const guestTimeout = 5 * time.Minute

// accelOpt is the -accel value: TCG with a 64 MiB translation cache (QEMU's default of
// 1 GiB would dominate the footprint).
func (d *qemuDriver) accelOpt() string {
	if d.accel == "tcg" {
		return "tcg,tb-size=64"
	}
	return d.accel
}

// markTimes passes the console (or a kernel's stdout) through to w, or nowhere when w is
// nil, and notes when each STRATA_MARK line arrived.
type markTimes struct {
	w    *limited
	line []byte
	at   []time.Time
}

func (m *markTimes) Write(p []byte) (int, error) {
	now := time.Now()
	for _, c := range p {
		if c == '\n' {
			if bytes.Contains(m.line, []byte(kernel.Mark)) {
				m.at = append(m.at, now)
			}
			m.line = m.line[:0]
			continue
		}
		if len(m.line) < 256 {
			m.line = append(m.line, c)
		}
	}
	if m.w == nil {
		return len(p), nil
	}
	return m.w.Write(p)
}

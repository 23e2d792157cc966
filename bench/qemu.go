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
)

// QEMUDriver boots a Linux guest per run — the Debian kernel scripts/setup-bench.sh
// extracts, with an initramfs of busybox-static and this executable — whose /init runs
// the workload and reboots, which with -no-reboot ends QEMU. L-2 is the virtio machine
// (-M microvm, virtio-mmio transports), L-1 the PC with emulated devices (-M pc). The
// accelerator is TCG: on this host's nested, software-assisted /dev/kvm a full Linux
// guest does not finish booting, and every number says which accelerator made it.
type QEMUDriver struct {
	name, layer, machine string
	accel                string
	kernel, dir, exe     string
	initrds              map[string]string
}

// NewQEMU is a QEMU guest: machine "microvm" (L-2, virtio) or "pc" (L-1, emulated devices).
func NewQEMU(machine string) *QEMUDriver {
	d := &QEMUDriver{name: "qemu-" + machine, machine: machine, accel: "tcg", layer: L2}
	if machine == "pc" {
		d.layer = L1
	}
	return d
}

func (d *QEMUDriver) Name() string  { return d.name }
func (d *QEMUDriver) Layer() string { return d.layer }
func (d *QEMUDriver) Accel() string { return d.accel }

// Slow says one run takes seconds: --quick runs only the start workload here.
func (d *QEMUDriver) Slow() bool { return true }

func (d *QEMUDriver) Version(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "qemu-system-x86_64", "--version").Output()
	if err != nil {
		return ""
	}
	l, _, _ := strings.Cut(string(out), "\n")
	return l
}

// GuestKernel is where the uncompressed guest kernel is looked for.
func GuestKernel() string {
	dir := os.Getenv("STRATA_CACHE")
	if dir == "" {
		dir = "/var/cache/strata"
	}
	return filepath.Join(dir, "vmlinux")
}

func (d *QEMUDriver) Available(ctx context.Context) (bool, string) {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		return false, "qemu-system-x86_64 is not installed (scripts/setup-bench.sh installs qemu-system-x86)"
	}
	if _, err := os.Stat(GuestKernel()); err != nil {
		return false, "no guest kernel at " + GuestKernel() + " (scripts/setup-bench.sh extracts one)"
	}
	if !isStatic(busybox) {
		return false, "no static " + busybox + " for the initramfs (install busybox-static)"
	}
	return true, ""
}

func (d *QEMUDriver) Prepare(ctx context.Context, dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	d.kernel, d.dir, d.exe, d.initrds = GuestKernel(), dir, exe, map[string]string{}
	return probeRunWithin(ctx, d, 60*time.Second) // a TCG boot takes seconds
}

// initrd builds (once per workload) the initramfs whose /init runs w.
func (d *QEMUDriver) initrd(w Workload) (string, error) {
	k := moduleKey(w)
	if p, ok := d.initrds[k]; ok {
		return p, nil
	}
	files := map[string]cpioEntry{
		"bin/busybox": {mode: 0o100755, host: busybox},
		"dev":         {mode: 0o040755}, "proc": {mode: 0o040755}, "work": {mode: 0o040755},
	}
	run := ""
	if w.Name == CPU || w.Name == Syscall || w.Name == FileIO {
		files["strata"] = cpioEntry{mode: 0o100755, host: d.exe}
		if !isStatic(d.exe) {
			libs, err := sharedLibs(d.exe)
			if err != nil {
				return "", err
			}
			for _, l := range libs {
				files[l] = cpioEntry{mode: 0o100755, host: l}
			}
		}
		run = strings.Join(kernelEnviron(w, "/work"), " ") + " /strata"
	}
	init := fmt.Sprintf(`#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t tmpfs work /work
%s
echo STRATA_RC=$?
/bin/busybox reboot -f
`, run)
	files["init"] = cpioEntry{mode: 0o100755, data: []byte(init)}
	p := filepath.Join(d.dir, k+".cpio")
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := writeCPIO(bw, files); err != nil {
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

// sharedLibs lists the shared libraries (and the loader) exe needs, as ldd says.
func sharedLibs(exe string) ([]string, error) {
	out, err := exec.Command("ldd", exe).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", exe, err)
	}
	var libs []string
	for l := range strings.Lines(string(out)) {
		for _, f := range strings.Fields(l) {
			if strings.HasPrefix(f, "/") {
				libs = append(libs, f)
			}
		}
	}
	return libs, nil
}

func (d *QEMUDriver) Run(ctx context.Context, w Workload) (Sample, error) {
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
	// A guest that hangs instead of rebooting (seen now and then under TCG) fails the run
	// rather than the whole bench's time.
	ctx, cancel := context.WithTimeout(ctx, guestTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	var out bytes.Buffer
	cmd.Stdout = &limited{buf: &out, max: 64 << 10}
	s, err := runWorkload(ctx, cmd, w)
	if errors.Is(err, context.DeadlineExceeded) {
		return s, fmt.Errorf("guest did not power off within %v", guestTimeout)
	}
	if err != nil {
		return s, err
	}
	rc := -1
	for l := range strings.Lines(out.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "STRATA_RC="); ok {
			rc, _ = strconv.Atoi(v)
		}
	}
	if rc != 0 {
		return Sample{}, fmt.Errorf("guest workload %s: exit %d: %s", w.Name, rc, lastLine(strings.TrimSpace(out.String())))
	}
	return s, nil
}

// cmdline is the guest kernel's command line. A microvm has no PIT or HPET, so under TCG
// the kernel cannot calibrate the TSC and hung early in about half the boots; telling it
// the frequency and trusting the TSC fixes that (6 of 6 boots, against 3 of 6).
func (d *QEMUDriver) cmdline() string {
	c := "console=ttyS0 quiet panic=-1 reboot=t rdinit=/init"
	if d.machine == "microvm" {
		c += " tsc_early_khz=2000000 tsc=reliable"
	}
	return c
}

const guestTimeout = 30 * time.Second

// accelOpt is the -accel value: TCG with a 64 MiB translation cache (QEMU's default of
// 1 GiB would dominate the footprint).
func (d *QEMUDriver) accelOpt() string {
	if d.accel == "tcg" {
		return "tcg,tb-size=64"
	}
	return d.accel
}

package probe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/strata-dev/strata/internal/mountinfo"
)

// spec is one check as registered: where it belongs and how it is made.
type spec struct {
	layer, id string
	run       func(ctx context.Context, e *env) Check
}

// registry lists every check in report order. IDs are stable: scripts and the JSON output
// refer to them.
var registry = []spec{
	{"L-0", "cpu-virt-flags", checkCPUVirt},
	{"L-0", "cpu-hypervisor", checkHypervisor},
	{"L-0", "kvm-device", checkKVMDevice},
	{"L-0", "kvm-create-vm", checkKVMCreateVM},
	{"L-0", "kvm-nested", checkKVMNested},

	{"L-1", "qemu-system", binaryCheck(qemuBinary(), "apt-get install qemu-system-x86 (Debian) or your distribution's qemu-system package")},
	{"L-1", "containerd-shim-kata-v2", binaryCheck("containerd-shim-kata-v2", "install Kata Containers (https://katacontainers.io): it ships the shim and its own hypervisor")},

	{"L-2", "cloud-hypervisor", binaryCheck("cloud-hypervisor", "install Cloud Hypervisor (https://github.com/cloud-hypervisor/cloud-hypervisor/releases)")},
	{"L-2", "firecracker", binaryCheck("firecracker", "install Firecracker (https://github.com/firecracker-microvm/firecracker/releases)")},
	{"L-2", "vhost-net", deviceCheck("dev/vhost-net", "virtio-net can be served by the kernel", "modprobe vhost_net: without it virtio-net packets go through the VMM's userspace")},
	{"L-2", "tun", deviceCheck("dev/net/tun", "guests can get tap network devices", "modprobe tun: guests need tap devices for networking")},
	{"L-2", "virtio-devices", checkVirtio},
	{"L-2", "xen", checkXen},

	{"L-3", "namespace-user", namespaceCheck("user")},
	{"L-3", "namespace-pid", namespaceCheck("pid")},
	{"L-3", "namespace-net", namespaceCheck("net")},
	{"L-3", "namespace-mount", namespaceCheck("mount")},
	{"L-3", "namespace-uts", namespaceCheck("uts")},
	{"L-3", "namespace-ipc", namespaceCheck("ipc")},
	{"L-3", "namespace-cgroup", namespaceCheck("cgroup")},
	{"L-3", "cgroups", checkCgroups},
	{"L-3", "seccomp", checkSeccomp},
	{"L-3", "overlayfs", checkOverlay},
	{"L-3", "runc", binaryCheck("runc", "apt-get install runc")},
	{"L-3", "crun", binaryCheck("crun", "apt-get install crun")},
	{"L-3", "youki", binaryCheck("youki", "install youki (https://github.com/youki-dev/youki/releases)")},
	{"L-3", "containerd", binaryCheck("containerd", "apt-get install containerd")},
	{"L-3", "docker", binaryCheck("docker", "install Docker Engine (https://docs.docker.com/engine/install) or apt-get install docker.io")},
	{"L-3", "podman", binaryCheck("podman", "apt-get install podman")},
	{"L-3", "containerd-socket", checkContainerdSocket},
	{"L-3", "containerd-runtimes", checkContainerdRuntimes},

	{"L-4", "wasmedge", binaryCheck("wasmedge", "install WasmEdge (https://wasmedge.org/docs/start/install)")},
	{"L-4", "wasmtime", binaryCheck("wasmtime", "install Wasmtime (https://wasmtime.dev)")},
	{"L-4", "wasmer", binaryCheck("wasmer", "install Wasmer (https://wasmer.io)")},
	{"L-4", "node-wasi", checkNodeWASI},
	{"L-4", "embedded-wasm", checkEmbeddedWasm},
	{"L-4", "containerd-shim-wasmedge-v1", binaryCheck("containerd-shim-wasmedge-v1", "install runwasi's WasmEdge shim (https://github.com/containerd/runwasi/releases)")},
	{"L-4", "containerd-shim-wasmtime-v1", binaryCheck("containerd-shim-wasmtime-v1", "install runwasi's Wasmtime shim (https://github.com/containerd/runwasi/releases)")},
	{"L-4", "containerd-shim-spin-v2", binaryCheck("containerd-shim-spin-v2", "install the Spin shim (https://github.com/spinkube/containerd-shim-spin/releases)")},
	{"L-4", "crun-wasm", checkCrunWasm},
	{"L-4", "runsc", checkRunsc},
	{"L-4", "containerd-shim-runsc-v1", binaryCheck("containerd-shim-runsc-v1", "install gVisor's containerd shim (https://gvisor.dev/docs/user_guide/containerd/quick_start/)")},
	{"L-4", "gvisor-sandbox", checkGVisorSandbox},

	{"observability", "bpf-syscall", checkBPF},
	{"observability", "btf", checkBTF},
	{"observability", "bpf-jit", checkJIT},
	{"observability", "tracepoints", checkTracepoints},
	{"observability", "perf-events", checkPerf},

	{"gpu", "gpu-nvidia", checkNvidia},
	{"gpu", "gpu-dri", checkDRI},
	{"gpu", "nvidia-container-toolkit", checkNvidiaToolkit},
}

func pass(evidence string) Check { return Check{Result: Pass, Evidence: evidence} }
func warn(evidence, hint string) Check {
	return Check{Result: Warn, Evidence: evidence, Hint: hint}
}
func fail(evidence, hint string) Check {
	return Check{Result: Fail, Evidence: evidence, Hint: hint}
}
func skip(evidence, hint string) Check {
	return Check{Result: Skip, Evidence: evidence, Hint: hint}
}
func needsRoot(evidence string) Check {
	return Check{Result: Skip, Evidence: evidence, Hint: "run strata probe as root to make this check", NeedsRoot: true}
}

const noKernel = "not checked: kernel checks are off for this host"

func denied(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)
}

// --- L-0: hardware virtualization ---

func vendorHint(c cpuInfo) string {
	switch c.Vendor {
	case "GenuineIntel":
		return "Intel"
	case "AuthenticAMD", "HygonGenuine":
		return "AMD"
	}
	return ""
}

func cpuWords(c cpuInfo) string {
	s := "/proc/cpuinfo: " + c.Vendor
	if c.Model != "" {
		s += " (" + c.Model + ")"
	}
	return s
}

func checkCPUVirt(ctx context.Context, e *env) Check {
	c := e.cpu()
	if len(c.Flags) == 0 {
		return skip("/proc/cpuinfo has no flags line: not readable, or not an x86 CPU", "")
	}
	switch {
	case c.has("vmx"):
		return pass(cpuWords(c) + "; flags: vmx (Intel VT-x)")
	case c.has("svm"):
		return pass(cpuWords(c) + "; flags: svm (AMD-V)")
	}
	if !c.has("fpu") && vendorHint(c) == "" {
		return skip(cpuWords(c)+": not an x86 CPU; vmx/svm do not apply", "")
	}
	ev := cpuWords(c) + "; flags: neither vmx nor svm"
	if e.exists("sys/module/kvm_pvm") {
		ev += "; KVM here is kvm_pvm (PVM: guests without hardware virtualization)"
	}
	tech := "VT-x/AMD-V"
	switch vendorHint(c) {
	case "Intel":
		tech = "VT-x"
	case "AMD":
		tech = "AMD-V (SVM)"
	}
	hint := "enable " + tech + " in the firmware; on a virtual machine, have the outer hypervisor expose it (QEMU: -cpu host; nested=1 on the outer host)"
	if c.has("hypervisor") {
		hint = "this host is a virtual machine whose hypervisor hides " + tech + ": expose it to the guest (QEMU: -cpu host; nested=1 on the outer host)"
	}
	return fail(ev, hint)
}

func checkHypervisor(ctx context.Context, e *env) Check {
	c := e.cpu()
	if len(c.Flags) == 0 {
		return skip("/proc/cpuinfo has no flags line: not readable, or not an x86 CPU", "")
	}
	if !c.has("hypervisor") {
		return pass("/proc/cpuinfo flags: no hypervisor bit: bare metal")
	}
	ev := "/proc/cpuinfo flags: hypervisor: this host is itself a virtual machine"
	if v := e.line("sys/class/dmi/id/sys_vendor"); v != "" {
		ev += " (DMI vendor: " + v + ")"
	}
	return warn(ev, "guests started here are nested, and L-0 isolation is only as strong as the outer hypervisor's; for L-0 without that cost run on bare metal")
}

// kvmModules lists the KVM modules loaded (those sysfs shows).
func (e *env) kvmModules() []string {
	var out []string
	for _, m := range []string{"kvm", "kvm_intel", "kvm_amd", "kvm_pvm"} {
		if e.exists("sys/module/" + m) {
			out = append(out, m)
		}
	}
	return out
}

func modulesText(ms []string) string {
	if len(ms) == 0 {
		return "modules: none loaded"
	}
	return "modules: " + strings.Join(ms, ", ")
}

func checkKVMDevice(ctx context.Context, e *env) Check {
	mods := e.kvmModules()
	fi, err := e.stat("dev/kvm")
	if err != nil {
		return fail("/dev/kvm: not present; "+modulesText(mods), kvmDeviceHint(e.cpu()))
	}
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return warn(fmt.Sprintf("/dev/kvm: present but not a character device (%s); %s", fi.Mode(), modulesText(mods)), "recreate it: mknod /dev/kvm c 10 232, or let udev do it by reloading the kvm module")
	}
	return pass("/dev/kvm: character device" + e.devOwner(fi) + "; " + modulesText(mods))
}

// kvmDeviceHint says how to get /dev/kvm on this CPU: x86 loads kvm_intel or kvm_amd;
// on Arm KVM is built into the kernel and needs it booted at EL2; elsewhere the kvm module.
func kvmDeviceHint(c cpuInfo) string {
	const container = "; in a container, pass the device in (docker run --device /dev/kvm)"
	switch c.arch() {
	case "arm":
		return "boot the kernel at EL2 (hypervisor mode) with KVM built in (CONFIG_KVM=y; there is no kvm_intel or kvm_amd on Arm) — dmesg | grep -i kvm says why it is off; on a cloud VM use a bare-metal or nested-virtualization instance" + container
	case "x86":
	default:
		return "modprobe kvm (and the KVM module of this CPU, if it has one)" + container
	}
	mod := "kvm_intel or kvm_amd"
	switch vendorHint(c) {
	case "Intel":
		mod = "kvm_intel"
	case "AMD":
		mod = "kvm_amd"
	}
	if len(c.Flags) > 0 && !c.has("vmx") && !c.has("svm") {
		return "enable hardware virtualization first (see cpu-virt-flags), then modprobe " + mod
	}
	return "modprobe " + mod + container
}

func checkKVMCreateVM(ctx context.Context, e *env) Check {
	if !e.exists("dev/kvm") {
		return skip("not checked: no /dev/kvm to open (see kvm-device)", "")
	}
	if e.h.Kernel == nil {
		return skip(noKernel, "")
	}
	ev, err := e.kvm(ctx)
	switch {
	case err == nil:
		return pass(ev)
	case denied(err):
		return fail(err.Error(), "add the user to the kvm group (usermod -aG kvm USER, then log in again) or run as root")
	case errors.Is(err, ErrNotSupported):
		return fail(err.Error(), "the KVM module is loaded but cannot create VMs: virtualization is off in the firmware, or another hypervisor holds it")
	}
	return fail(err.Error(), "")
}

func checkKVMNested(ctx context.Context, e *env) Check {
	for _, m := range []string{"kvm_intel", "kvm_amd"} {
		v := e.line("sys/module/" + m + "/parameters/nested")
		if v == "" {
			continue
		}
		ev := "/sys/module/" + m + "/parameters/nested: " + v
		if v == "Y" || v == "1" {
			return pass(ev + ": guests of this host can run KVM themselves")
		}
		return warn(ev+": guests of this host cannot run KVM (no Kata or Firecracker inside a VM)", "modprobe -r "+m+" && modprobe "+m+" nested=1; persist it with 'options "+m+" nested=1' in /etc/modprobe.d/kvm.conf")
	}
	if e.exists("sys/module/kvm_pvm") {
		return skip("kvm_pvm is loaded: PVM has no nested parameter; its guests run without VT-x/AMD-V", "")
	}
	return skip("no kvm_intel or kvm_amd module loaded: nothing to nest", "")
}

// --- binaries ---

// qemuBinary is the QEMU system emulator for this machine's architecture.
func qemuBinary() string {
	switch runtime.GOARCH {
	case "amd64":
		return "qemu-system-x86_64"
	case "arm64":
		return "qemu-system-aarch64"
	case "386":
		return "qemu-system-i386"
	}
	return "qemu-system-" + runtime.GOARCH
}

// binaryCheck finds name on PATH and asks its version. A program that is not installed is
// SKIP (nothing to check) with the hint to install it.
func binaryCheck(name, installHint string) func(context.Context, *env) Check {
	return func(ctx context.Context, e *env) Check {
		return e.binaryResult(ctx, name, installHint)
	}
}

func (e *env) binaryResult(ctx context.Context, name, installHint string) Check {
	b := e.binary(ctx, name)
	if b.path == "" {
		return skip(fmt.Sprintf("%s: not on PATH (%d directories searched)", name, len(e.dirs)), installHint)
	}
	args := strings.Join(versionArgs(name), " ")
	c := Check{Path: b.path, Version: b.version}
	switch {
	case e.h.Runner == nil:
		c.Result, c.Evidence = Pass, b.path+": found (not run: running programs is off for this host)"
	case b.err != nil:
		c.Result = Warn
		c.Evidence = fmt.Sprintf("%s: found, but %s %s failed: %v", b.path, name, args, b.err)
		if l := firstLine(b.out); l != "" {
			c.Evidence += ": " + l
		}
		c.Hint = "reinstall " + name + ", or check that it runs: " + b.path + " " + args
	case b.version == "":
		c.Result = Warn
		c.Evidence = fmt.Sprintf("%s: found, but %s %s printed no version: %q", b.path, name, args, firstLine(b.out))
		c.Hint = "check that " + b.path + " is the real " + name
	default:
		c.Result, c.Evidence = Pass, b.path+": "+versionLine(b.out)
	}
	return c
}

// --- L-1, L-2: virtual machines ---

// deviceCheck wants a character device; its absence is a WARN (a slower fallback exists).
func deviceCheck(name, good, hint string) func(context.Context, *env) Check {
	return func(ctx context.Context, e *env) Check {
		fi, err := e.stat(name)
		if err != nil {
			return warn("/"+name+": not present", hint)
		}
		if fi.Mode()&fs.ModeCharDevice == 0 {
			return warn(fmt.Sprintf("/%s: present but not a character device (%s)", name, fi.Mode()), hint)
		}
		return pass("/" + name + ": character device" + e.devOwner(fi) + ": " + good)
	}
}

func checkVirtio(ctx context.Context, e *env) Check {
	devs := e.glob("sys/bus/virtio/devices/*")
	if len(devs) == 0 {
		return skip("no devices under /sys/bus/virtio: this host is not a virtio (paravirtualized) guest", "")
	}
	counts := map[string]int{}
	for _, d := range devs {
		b, _ := e.read(d + "/device")
		name := "unknown"
		if id, ok := parseHex(b); ok {
			if n, ok := virtioNames[id]; ok {
				name = n
			} else {
				name = fmt.Sprintf("id %d", id)
			}
		}
		counts[name]++
	}
	var parts []string
	for n, k := range counts {
		if k > 1 {
			n = fmt.Sprintf("%s×%d", n, k)
		}
		parts = append(parts, n)
	}
	slices.Sort(parts)
	return pass(fmt.Sprintf("/sys/bus/virtio/devices: %d (%s): this host is itself a paravirtualized guest", len(devs), strings.Join(parts, ", ")))
}

func checkXen(ctx context.Context, e *env) Check {
	t := e.line("sys/hypervisor/type")
	if t == "" {
		return skip("no /sys/hypervisor/type: not running on Xen", "")
	}
	if t != "xen" {
		return skip("/sys/hypervisor/type: "+t+": not Xen", "")
	}
	caps := e.line("proc/xen/capabilities")
	if strings.Contains(caps, "control_d") {
		return pass("/sys/hypervisor/type: xen; /proc/xen/capabilities: control_d: this is dom0 and can run PV guests")
	}
	return warn("/sys/hypervisor/type: xen, not dom0: this host is a Xen guest (domU)", "Xen PV guests are started from dom0; a domU offers L-2 only through KVM nested inside it")
}

// --- L-3: containers ---

var namespaceConfig = map[string]string{
	"user": "CONFIG_USER_NS", "pid": "CONFIG_PID_NS", "net": "CONFIG_NET_NS", "mount": "the kernel",
	"uts": "CONFIG_UTS_NS", "ipc": "CONFIG_IPC_NS", "cgroup": "CONFIG_CGROUPS",
}

func namespaceCheck(kind string) func(context.Context, *env) Check {
	return func(ctx context.Context, e *env) Check {
		if e.h.Kernel == nil {
			return skip(noKernel, "")
		}
		rootless := !e.h.Privileged
		ev, err := e.h.Kernel.Namespace(ctx, kind, rootless)
		switch {
		case err == nil:
			return pass(ev)
		case errors.Is(err, ErrNotSupported):
			return fail(err.Error(), "use a kernel built with "+namespaceConfig[kind])
		case denied(err) && rootless:
			ev := err.Error()
			if m := e.line("proc/sys/user/max_user_namespaces"); m != "" {
				ev += "; user.max_user_namespaces=" + m
			}
			if u := e.line("proc/sys/kernel/unprivileged_userns_clone"); u != "" {
				ev += "; kernel.unprivileged_userns_clone=" + u
			}
			return fail(ev, "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces>0, or the AppArmor restriction kernel.apparmor_restrict_unprivileged_userns=0), or run as root")
		case denied(err):
			return fail(err.Error(), "something forbids clone with namespace flags: in a container it needs CAP_SYS_ADMIN and a seccomp profile that allows it (docker run --privileged)")
		}
		return fail(err.Error(), "")
	}
}

// v1Controllers are the cgroup v1 controller names a cgroup mount's options may carry.
var v1Controllers = []string{"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb", "memory", "misc", "net_cls", "net_prio", "perf_event", "pids", "rdma"}

// cgroupLayout is what /proc/self/mountinfo says about cgroups.
type cgroupLayout struct {
	Version string   // v1, v2, hybrid or ""
	V1      []string // v1 controllers mounted
	V2Mount string   // where cgroup2 is mounted
	V2      []string // controllers of the v2 root we see
}

func (e *env) cgroups() (cgroupLayout, error) {
	b, err := e.read("proc/self/mountinfo")
	if err != nil {
		return cgroupLayout{}, err
	}
	var l cgroupLayout
	for _, m := range mountinfo.Parse(b) {
		switch m.FSType {
		case "cgroup2":
			if l.V2Mount == "" {
				l.V2Mount = m.Point
			}
		case "cgroup":
			for _, o := range m.SuperOpts {
				if slices.Contains(v1Controllers, o) && !slices.Contains(l.V1, o) {
					l.V1 = append(l.V1, o)
				}
			}
		}
	}
	slices.Sort(l.V1)
	if l.V2Mount != "" {
		l.V2 = strings.Fields(e.line(path.Join(l.V2Mount, "cgroup.controllers")))
	}
	switch {
	case l.V2Mount != "" && len(l.V1) == 0:
		l.Version = "v2"
	case l.V2Mount != "":
		l.Version = "hybrid"
	case len(l.V1) > 0:
		l.Version = "v1"
	}
	return l, nil
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, " ")
}

func checkCgroups(ctx context.Context, e *env) Check {
	l, err := e.cgroups()
	if err != nil {
		return fail("cannot read /proc/self/mountinfo: "+err.Error(), "")
	}
	var ev string
	switch l.Version {
	case "":
		return fail("/proc/self/mountinfo: no cgroup or cgroup2 mount", "mount cgroup2 at /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup), or boot with systemd, which mounts it")
	case "v2":
		ev = "cgroup v2 at " + l.V2Mount + "; controllers: " + orNone(l.V2)
	case "v1":
		ev = "cgroup v1 only; controllers: " + orNone(l.V1)
	case "hybrid":
		ev = "cgroup v1 and v2 (hybrid): v1 controllers: " + orNone(l.V1) + "; v2 at " + l.V2Mount + " with controllers: " + orNone(l.V2)
	}
	var missing []string
	for _, c := range []string{"cpu", "memory", "pids"} {
		if !slices.Contains(l.V1, c) && !slices.Contains(l.V2, c) {
			missing = append(missing, c)
		}
	}
	var hints []string
	if l.Version != "v2" {
		hints = append(hints, "cgroup v1 is deprecated (systemd, runc and Kubernetes keep it in maintenance): boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2")
	}
	if len(missing) > 0 {
		ev += "; missing: " + strings.Join(missing, " ")
		hints = append(hints, "enable the "+strings.Join(missing, ", ")+" controller(s): on v2 write +"+strings.Join(missing, " +")+" to the parent's cgroup.subtree_control; for memory on some kernels boot with cgroup_enable=memory")
	}
	if len(hints) > 0 {
		return warn(ev, strings.Join(hints, "; "))
	}
	return pass(ev)
}

func checkSeccomp(ctx context.Context, e *env) Check {
	b, err := e.read("proc/self/status")
	if err != nil {
		return fail("cannot read /proc/self/status: "+err.Error(), "")
	}
	st := parseKeyValues(b)
	mode, ok := st["Seccomp"]
	if !ok {
		return fail("/proc/self/status has no Seccomp field: the kernel has no seccomp", "use a kernel built with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER: runtimes apply their default syscall filter with it")
	}
	ev := "/proc/self/status Seccomp: " + mode
	switch mode {
	case "0":
		ev += " (this process is not filtered)"
	case "1":
		ev += " (strict mode)"
	case "2":
		ev += " (filtered"
		if n := st["Seccomp_filters"]; n != "" {
			ev += " by " + n + " filter(s)"
		}
		ev += ": the probe itself runs in a container or sandbox)"
	}
	actions := e.line("proc/sys/kernel/seccomp/actions_avail")
	if actions == "" {
		return warn(ev+"; no /proc/sys/kernel/seccomp/actions_avail", "seccomp filters (CONFIG_SECCOMP_FILTER) may be missing: runtimes need them for their default profiles")
	}
	return pass(ev + "; filter actions: " + actions)
}

func checkOverlay(ctx context.Context, e *env) Check {
	b, err := e.read("proc/filesystems")
	if err == nil {
		for line := range strings.Lines(string(b)) {
			f := strings.Fields(line)
			if len(f) > 0 && f[len(f)-1] == "overlay" {
				return pass("/proc/filesystems: " + strings.Join(f, " "))
			}
		}
	}
	if e.exists("sys/module/overlay") {
		return pass("/sys/module/overlay: the overlay module is loaded")
	}
	return warn("/proc/filesystems: no overlay", "modprobe overlay: without overlayfs, image layers are copied (the native snapshotter), which is slow and uses more disk")
}

func checkContainerdSocket(ctx context.Context, e *env) Check {
	const sock = "run/containerd/containerd.sock"
	fi, err := e.stat(sock)
	switch {
	case err == nil && fi.Mode()&fs.ModeSocket != 0:
		return pass("/" + sock + ": socket" + e.devOwner(fi))
	case err == nil:
		return warn(fmt.Sprintf("/%s: present but not a socket (%s)", sock, fi.Mode()), "remove it and restart containerd")
	case denied(err) && !e.h.Privileged:
		return needsRoot("/" + sock + ": " + err.Error())
	}
	if e.binary(ctx, "containerd").path != "" {
		return warn("/"+sock+": not present: containerd is installed but not running", "systemctl enable --now containerd")
	}
	return skip("/"+sock+": not present, and no containerd on PATH", "apt-get install containerd")
}

// containerdConfigs are the configs of the containerd instances a host may run: the
// system's, and the one K3s runs for itself, from the config.toml it renders (from
// config.toml.tmpl, when there is one) at every start.
var containerdConfigs = []struct{ who, path string }{
	{"", "/etc/containerd/config.toml"},
	{"K3s", "/var/lib/rancher/k3s/agent/etc/containerd/config.toml"},
}

// containerdDefaultImports is what containerd 2.x imports when no config.toml says
// otherwise.
const containerdDefaultImports = "/etc/containerd/conf.d/*.toml"

// maxContainerdFiles bounds the imports followed: a config that imports itself, or a glob
// of thousands of files, is not a reason to read forever.
const maxContainerdFiles = 64

// containerdConfig is one containerd instance's configuration as read: its files (the
// config.toml first, then what it imports) and the runtimes they declare.
type containerdConfig struct {
	who, path string
	files     []string
	runtimes  []containerdRuntime
}

// readContainerdConfig reads config files (a config.toml) and, recursively, the files
// their imports name (globs; relative paths are relative to the importing file, as
// containerd has them). Missing files are left out without an error.
func (e *env) readContainerdConfig(confs ...string) (files []string, rs []containerdRuntime, err error) {
	queue := slices.Clone(confs)
	seen := map[string]bool{}
	for len(queue) > 0 && len(files) < maxContainerdFiles {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		b, err := e.read(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return files, rs, fmt.Errorf("%s: %w", p, err)
		}
		files = append(files, p)
		for _, r := range parseContainerdRuntimes(b) {
			i := slices.IndexFunc(rs, func(x containerdRuntime) bool { return x.Name == r.Name })
			switch {
			case i < 0:
				rs = append(rs, r)
			case rs[i].Type == "":
				rs[i].Type = r.Type
			}
		}
		for _, imp := range parseContainerdImports(b) {
			if !path.IsAbs(imp) {
				imp = path.Join(path.Dir(p), imp)
			}
			if !strings.ContainsAny(imp, "*?[") {
				queue = append(queue, path.Clean(imp))
				continue
			}
			for _, m := range e.glob(imp) {
				queue = append(queue, "/"+m)
			}
		}
	}
	return files, rs, nil
}

func checkContainerdRuntimes(ctx context.Context, e *env) Check {
	var found []containerdConfig
	for _, c := range containerdConfigs {
		files, rs, err := e.readContainerdConfig(c.path)
		if len(files) == 0 && err == nil && c.who == "" {
			// No config.toml: containerd 2.x still imports conf.d.
			var ms []string
			for _, m := range e.glob(containerdDefaultImports) {
				ms = append(ms, "/"+m)
			}
			files, rs, err = e.readContainerdConfig(ms...)
		}
		switch {
		case err != nil && denied(err) && !e.h.Privileged:
			return needsRoot(err.Error())
		case err != nil:
			return fail(err.Error(), "")
		case len(files) > 0:
			found = append(found, containerdConfig{c.who, c.path, files, rs})
		}
	}
	if len(found) == 0 {
		hint := ""
		if e.binary(ctx, "containerd").path != "" {
			hint = "containerd config default > /etc/containerd/config.toml, then add runtimes (strata plan writes the entries a plan needs)"
		}
		return skip(containerdConfigs[0].path+": not present: containerd (if any) runs with its default runtime, runc", hint)
	}
	var parts []string
	configured := false
	for _, c := range found {
		s := c.files[0]
		switch {
		case s != c.path:
			s = strings.Join(c.files, ", ") + " (containerd 2.x's default imports; no " + c.path + ")"
		case len(c.files) > 1:
			s += " (imports " + strings.Join(c.files[1:], ", ") + ")"
		}
		if c.who != "" {
			s = c.who + " " + s
		}
		if len(c.runtimes) == 0 {
			parts = append(parts, s+": no runtimes configured: only the default (runc)")
			continue
		}
		configured = true
		slices.SortFunc(c.runtimes, func(a, b containerdRuntime) int { return strings.Compare(a.Name, b.Name) })
		names := make([]string, len(c.runtimes))
		for i, r := range c.runtimes {
			names[i] = r.Name
			if r.Type != "" {
				names[i] += " (" + r.Type + ")"
			}
		}
		parts = append(parts, s+" runtimes: "+strings.Join(names, ", "))
	}
	if !configured {
		return warn(strings.Join(parts, "; "), "add [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.NAME] sections for other handlers")
	}
	return pass(strings.Join(parts, "; "))
}

// --- L-4: sandboxes ---

func checkNodeWASI(ctx context.Context, e *env) Check {
	c := e.binaryResult(ctx, "node", "apt-get install nodejs (Node.js 20 or later runs WASI without a flag)")
	if c.Result != Pass {
		return c
	}
	// Information only (see sandboxes in coordinates.go): it says Wasm runs here, not that
	// untrusted code is isolated.
	const notCounted = "; not counted for L-4 (not a sandbox)"
	major, _ := strconv.Atoi(strings.SplitN(c.Version, ".", 2)[0])
	switch {
	case major >= 20:
		c.Evidence += ": node:wasi loads without a flag (Node.js 20+)" + notCounted
	case major >= 12:
		c.Result = Warn
		c.Evidence += ": node:wasi needs --experimental-wasi-unstable-preview1 before Node.js 20" + notCounted
		c.Hint = "upgrade to Node.js 20 or later, or pass --experimental-wasi-unstable-preview1"
	default:
		c.Result = Skip
		c.Evidence += ": no WASI before Node.js 12"
		c.Hint = "upgrade to Node.js 20 or later"
	}
	return c
}

func checkEmbeddedWasm(ctx context.Context, e *env) Check {
	if e.opts.EmbeddedWasm == "" {
		return skip("no embedded engine yet: this strata links no Wasm runtime", "")
	}
	return pass(e.opts.EmbeddedWasm + " is linked into this program: strata runs Wasm in-process")
}

func checkCrunWasm(ctx context.Context, e *env) Check {
	b := e.binary(ctx, "crun")
	if b.path == "" {
		return skip("no crun on PATH (see crun)", "install a crun built with a Wasm handler (crun --version lists +WASM:wasmedge or +WASM:wasmtime)")
	}
	if b.err != nil || e.h.Runner == nil {
		return skip("not checked: crun --version did not answer (see crun)", "")
	}
	fs := parseFeatureFlags(b.out)
	var wasm []string
	for _, f := range fs {
		if strings.HasPrefix(f, "WASM") {
			wasm = append(wasm, "+"+f)
		}
	}
	if len(wasm) > 0 {
		return Check{Result: Pass, Evidence: fmt.Sprintf("crun %s --version: %s: it runs Wasm modules as containers", b.version, strings.Join(wasm, " ")), Path: b.path, Version: b.version}
	}
	for i := range fs {
		fs[i] = "+" + fs[i]
	}
	return Check{Result: Skip, Evidence: fmt.Sprintf("crun %s was built without a Wasm handler (features: %s)", b.version, orNone(fs)), Hint: "install a crun built --with-wasmedge or --with-wasmtime", Path: b.path, Version: b.version}
}

func checkRunsc(ctx context.Context, e *env) Check {
	c := e.binaryResult(ctx, "runsc", "install gVisor (https://gvisor.dev/docs/user_guide/install/) or apt-get install runsc")
	if c.Result != Pass {
		return c
	}
	out, err := e.run(ctx, e.binary(ctx, "runsc"), "help", "platforms")
	platforms := parseWords(out)
	if err != nil || len(platforms) == 0 {
		c.Evidence += "; runsc help platforms: no answer"
		return c
	}
	c.Evidence += "; platforms: " + strings.Join(platforms, ", ")
	if slices.Contains(platforms, "kvm") {
		if e.h.Kernel != nil && e.exists("dev/kvm") {
			if _, err := e.kvm(ctx); err == nil {
				c.Evidence += " (kvm usable: KVM_CREATE_VM works)"
			} else {
				c.Evidence += " (kvm not usable here: see kvm-create-vm)"
			}
		} else {
			c.Evidence += " (kvm not usable here: no /dev/kvm)"
		}
	}
	return c
}

// gVisor reports this fixed kernel version in /proc/version.
const gvisorVersion = "Linux version 4.4.0 #1 SMP Sun Jan 10 15:06:54 PST 2016"

func checkGVisorSandbox(ctx context.Context, e *env) Check {
	v := e.line("proc/version")
	if v == gvisorVersion || strings.Contains(strings.ToLower(v), "gvisor") {
		return pass("/proc/version: " + v + ": this probe runs inside a gVisor sandbox, so workloads here are at L-4 already")
	}
	return skip("not inside a gVisor sandbox (/proc/version is not gVisor's)", "")
}

// --- observability ---

func checkBPF(ctx context.Context, e *env) Check {
	unpriv := e.line("proc/sys/kernel/unprivileged_bpf_disabled")
	if !e.h.Privileged && unpriv != "0" {
		if unpriv == "" {
			unpriv = "unknown"
		}
		return needsRoot("not checked: bpf(BPF_PROG_LOAD) needs CAP_BPF here (kernel.unprivileged_bpf_disabled=" + unpriv + ")")
	}
	if e.h.Kernel == nil {
		return skip(noKernel, "")
	}
	ev, err := e.h.Kernel.BPF(ctx)
	switch {
	case err == nil:
		return pass(ev)
	case errors.Is(err, ErrNotSupported):
		return fail(err.Error(), "use a kernel built with CONFIG_BPF_SYSCALL; inside gVisor there is no eBPF")
	case denied(err):
		return fail(err.Error(), "run as root or with CAP_BPF (CAP_SYS_ADMIN before Linux 5.8); in a container: --cap-add BPF and a seccomp profile that allows bpf()")
	}
	return fail(err.Error(), "")
}

func mib(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func checkBTF(ctx context.Context, e *env) Check {
	const vmlinux = "sys/kernel/btf/vmlinux"
	const hint = "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian's is): CO-RE eBPF tools (bpftrace, Cilium, Tetragon) need it; or ship the kernel's BTF from BTFHub"
	b, err := e.readHead(vmlinux, 24)
	if err != nil {
		if denied(err) && !e.h.Privileged {
			return needsRoot("/" + vmlinux + ": " + err.Error())
		}
		return fail("/"+vmlinux+": not present", hint)
	}
	h, err := parseBTFHeader(b)
	if err != nil {
		return fail("/"+vmlinux+": "+err.Error(), hint)
	}
	ev := fmt.Sprintf("/%s: BTF v%d, %s (types %s, strings %s)", vmlinux, h.Version, mib(int64(h.size())), mib(int64(h.TypeLen)), mib(int64(h.StrLen)))
	if mods := len(e.glob("sys/kernel/btf/*")) - 1; mods > 0 {
		ev += fmt.Sprintf("; %d module(s) with BTF", mods)
	}
	return pass(ev)
}

func checkJIT(ctx context.Context, e *env) Check {
	const f = "/proc/sys/net/core/bpf_jit_enable"
	switch v := e.line(f); v {
	case "1":
		return pass(f + ": 1: eBPF programs are compiled to native code")
	case "2":
		return warn(f+": 2: JIT on, with debug output to the kernel log", "sysctl net.core.bpf_jit_enable=1")
	case "0":
		return warn(f+": 0: eBPF programs run in the interpreter, several times slower", "sysctl net.core.bpf_jit_enable=1")
	case "":
		return skip("no "+f+": the kernel has no eBPF JIT", "use a kernel built with CONFIG_BPF_JIT")
	default:
		return warn(f+": "+v, "sysctl net.core.bpf_jit_enable=1")
	}
}

func checkTracepoints(ctx context.Context, e *env) Check {
	for _, dir := range []string{"sys/kernel/tracing", "sys/kernel/debug/tracing"} {
		ents, err := fs.ReadDir(e.fsys, dir+"/events")
		if err != nil {
			if denied(err) && !e.h.Privileged {
				return needsRoot("/" + dir + "/events: " + err.Error() + ": tracefs is readable by root only")
			}
			continue
		}
		n := 0
		for _, d := range ents {
			if d.IsDir() {
				n++
			}
		}
		ev := fmt.Sprintf("tracefs at /%s: %d event subsystems", dir, n)
		var extra []string
		if e.exists(dir + "/events/syscalls") {
			extra = append(extra, "syscalls tracepoints")
		}
		if e.exists(dir + "/kprobe_events") {
			extra = append(extra, "kprobe_events")
		}
		if e.exists(dir + "/uprobe_events") {
			extra = append(extra, "uprobe_events")
		}
		if len(extra) > 0 {
			ev += ", " + strings.Join(extra, ", ")
		}
		return pass(ev)
	}
	b, _ := e.read("proc/filesystems")
	if strings.Contains(string(b), "tracefs") {
		return warn("/proc/filesystems lists tracefs, but it is not mounted at /sys/kernel/tracing or /sys/kernel/debug/tracing", "mount -t tracefs nodev /sys/kernel/tracing (tracing tools such as bpftrace list tracepoints there)")
	}
	return fail("no tracefs: not in /proc/filesystems", "use a kernel built with CONFIG_TRACING and CONFIG_FTRACE")
}

func checkPerf(ctx context.Context, e *env) Check {
	if e.h.Kernel == nil {
		return skip(noKernel, "")
	}
	p := e.line("proc/sys/kernel/perf_event_paranoid")
	pre := ""
	if p != "" {
		pre = "kernel.perf_event_paranoid=" + p + "; "
	}
	ev, err := e.h.Kernel.Perf(ctx)
	switch {
	case err == nil:
		return pass(pre + ev)
	case errors.Is(err, ErrNotSupported):
		return fail(pre+err.Error(), "use a kernel built with CONFIG_PERF_EVENTS; inside gVisor there are no perf events")
	case denied(err):
		return fail(pre+err.Error(), "sysctl kernel.perf_event_paranoid=2 (or lower) or run with CAP_PERFMON; in a container the default seccomp profile blocks perf_event_open")
	}
	return fail(pre+err.Error(), "")
}

// --- GPUs ---

// pciDevice is a PCI function from /sys/bus/pci/devices.
type pciDevice struct {
	Addr   string
	Vendor uint64
	Device uint64
	Class  uint64
}

func (e *env) pci() []pciDevice {
	var out []pciDevice
	for _, d := range e.glob("sys/bus/pci/devices/*") {
		vb, err := e.read(d + "/vendor")
		if err != nil {
			continue
		}
		v, ok := parseHex(vb)
		if !ok {
			continue
		}
		p := pciDevice{Addr: path.Base(d), Vendor: v}
		if b, err := e.read(d + "/device"); err == nil {
			p.Device, _ = parseHex(b)
		}
		if b, err := e.read(d + "/class"); err == nil {
			p.Class, _ = parseHex(b)
		}
		out = append(out, p)
	}
	return out
}

func (e *env) nvidia() (devs []string, pci []pciDevice) {
	for _, d := range e.glob("dev/nvidia*") {
		devs = append(devs, "/"+d)
	}
	for _, p := range e.pci() {
		if p.Vendor == 0x10de {
			pci = append(pci, p)
		}
	}
	return devs, pci
}

func pciText(ps []pciDevice) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s (%04x:%04x, class %#06x)", p.Addr, p.Vendor, p.Device, p.Class)
	}
	return strings.Join(parts, ", ")
}

func checkNvidia(ctx context.Context, e *env) Check {
	devs, pci := e.nvidia()
	switch {
	case len(devs) > 0:
		ev := "devices: " + strings.Join(devs, " ")
		if len(pci) > 0 {
			ev += "; PCI vendor 10de: " + pciText(pci)
		}
		if v := parseVersion([]byte(e.line("proc/driver/nvidia/version"))); v != "" {
			ev += "; driver " + v
		}
		return pass(ev)
	case len(pci) > 0:
		return fail("PCI vendor 10de: "+pciText(pci)+", but no /dev/nvidia*: the NVIDIA driver is not loaded", "install the NVIDIA driver (apt-get install nvidia-driver), or pass /dev/nvidia* into the container")
	}
	return skip("no /dev/nvidia* and no PCI device of vendor 10de: no NVIDIA GPU", "")
}

func checkDRI(ctx context.Context, e *env) Check {
	var nodes []string
	for _, d := range e.glob("dev/dri/*") {
		b := path.Base(d)
		if strings.HasPrefix(b, "card") || strings.HasPrefix(b, "renderD") {
			nodes = append(nodes, b)
		}
	}
	if len(nodes) == 0 {
		return skip("no /dev/dri/card* or /dev/dri/renderD*: no DRM GPU", "")
	}
	ev := "/dev/dri: " + strings.Join(nodes, " ")
	var display []pciDevice
	for _, p := range e.pci() {
		if p.Class>>16 == 0x03 {
			display = append(display, p)
		}
	}
	if len(display) > 0 {
		ev += "; PCI display controllers: " + pciText(display)
	}
	return pass(ev)
}

func checkNvidiaToolkit(ctx context.Context, e *env) Check {
	devs, pci := e.nvidia()
	if len(devs) == 0 && len(pci) == 0 {
		return skip("no NVIDIA GPU: the container toolkit is not needed", "")
	}
	c := e.binaryResult(ctx, "nvidia-ctk", "install the NVIDIA Container Toolkit (https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html)")
	if c.Result == Skip {
		c.Result = Warn
		c.Evidence += ": containers get the GPU only by hand (--device /dev/nvidia*)"
	}
	return c
}

// lsMode writes a mode as ls does: crw-rw---- for a character device.
func lsMode(m fs.FileMode) string {
	t := byte('-')
	switch {
	case m&fs.ModeCharDevice != 0:
		t = 'c'
	case m&fs.ModeDevice != 0:
		t = 'b'
	case m&fs.ModeSocket != 0:
		t = 's'
	case m&fs.ModeDir != 0:
		t = 'd'
	case m&fs.ModeNamedPipe != 0:
		t = 'p'
	}
	return string(t) + m.Perm().String()[1:]
}

// devOwner describes a device or socket: " crw-rw---- 10:232, group kvm" (numbers and
// group only where the file system gives them).
func (e *env) devOwner(fi fs.FileInfo) string {
	s := " " + lsMode(fi.Mode())
	major, minor, gid, ok := statOwner(fi)
	if !ok {
		return s
	}
	if fi.Mode()&fs.ModeDevice != 0 {
		s += fmt.Sprintf(" %d:%d", major, minor)
	}
	return s + ", group " + e.groupName(gid)
}

// groupName looks a gid up in the host's /etc/group.
func (e *env) groupName(gid uint32) string {
	id := strconv.FormatUint(uint64(gid), 10)
	b, _ := e.read("etc/group")
	for line := range strings.Lines(string(b)) {
		f := strings.Split(strings.TrimSpace(line), ":")
		if len(f) >= 3 && f[2] == id {
			return f[0]
		}
	}
	return id
}

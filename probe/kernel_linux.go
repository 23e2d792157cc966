package probe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LocalKernel returns the Kernel of this machine: real ioctls, clones and syscalls.
func LocalKernel() Kernel { return localKernel{} }

type localKernel struct{}

// KVM ioctls (linux/kvm.h): _IO(KVMIO, nr) with KVMIO = 0xAE.
const (
	kvmGetAPIVersion = 0xAE00
	kvmCreateVM      = 0xAE01
	kvmCreateVCPU    = 0xAE41
)

// missing wraps errno in ErrNotSupported when it means the kernel or device lacks the
// feature rather than refusing this caller.
func missing(op string, err error) error {
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO),
		errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EINVAL):
		return fmt.Errorf("%s: %w: %w", op, ErrNotSupported, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (localKernel) KVM(ctx context.Context, path string) (string, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", missing("open "+path, err)
	}
	defer unix.Close(fd)
	api, err := unix.IoctlRetInt(fd, kvmGetAPIVersion)
	if err != nil {
		return "", missing("ioctl KVM_GET_API_VERSION", err)
	}
	vm, err := unix.IoctlRetInt(fd, kvmCreateVM) // machine type 0
	if err != nil {
		return "", missing("ioctl KVM_CREATE_VM", err)
	}
	defer unix.Close(vm)
	vcpu, err := unix.IoctlRetInt(vm, kvmCreateVCPU) // vCPU id 0
	if err != nil {
		return "", missing("ioctl KVM_CREATE_VCPU", err)
	}
	unix.Close(vcpu)
	return fmt.Sprintf("ioctl KVM_GET_API_VERSION on %s: %d; KVM_CREATE_VM: fd %d; KVM_CREATE_VCPU: fd %d; all closed", path, api, vm, vcpu), nil
}

var cloneFlags = map[string]struct {
	flag uintptr
	name string
	file string // under /proc/PID/ns
}{
	"user":   {unix.CLONE_NEWUSER, "CLONE_NEWUSER", "user"},
	"pid":    {unix.CLONE_NEWPID, "CLONE_NEWPID", "pid"},
	"net":    {unix.CLONE_NEWNET, "CLONE_NEWNET", "net"},
	"mount":  {unix.CLONE_NEWNS, "CLONE_NEWNS", "mnt"},
	"uts":    {unix.CLONE_NEWUTS, "CLONE_NEWUTS", "uts"},
	"ipc":    {unix.CLONE_NEWIPC, "CLONE_NEWIPC", "ipc"},
	"cgroup": {unix.CLONE_NEWCGROUP, "CLONE_NEWCGROUP", "cgroup"},
}

// nsChild is the program run in the new namespace: cat blocks on a pipe until the probe has
// looked at its namespace, then exits on end of file; true only proves the clone worked.
func nsChild() (path string, blocks bool) {
	for _, p := range []string{"/bin/cat", "/usr/bin/cat"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, true
		}
	}
	for _, p := range []string{"/bin/true", "/usr/bin/true"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, false
		}
	}
	return "", false
}

// testHookNamespaceStarted, when set by a test, runs between the namespace child's start
// and its reaping.
var testHookNamespaceStarted func()

func (localKernel) Namespace(ctx context.Context, kind string, rootless bool) (string, error) {
	cf, ok := cloneFlags[kind]
	if !ok {
		return "", fmt.Errorf("unknown namespace kind %q", kind)
	}
	prog, blocks := nsChild()
	if prog == "" {
		return "", fmt.Errorf("%w: neither cat nor true in /bin or /usr/bin to run in the namespace", ErrNotSupported)
	}
	flags, names := cf.flag, cf.name
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if rootless && kind != "user" {
		// As rootless runtimes do: a user namespace where we are root owns the new one.
		flags |= unix.CLONE_NEWUSER
		names = "CLONE_NEWUSER|" + names
	}
	if flags&unix.CLONE_NEWUSER != 0 {
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	attr.Cloneflags = flags
	cmd := exec.CommandContext(ctx, prog)
	cmd.SysProcAttr = attr
	var w *os.File
	if blocks {
		r, pw, err := os.Pipe()
		if err != nil {
			return "", err
		}
		cmd.Stdin, w = r, pw
		defer r.Close()
		defer pw.Close()
	}
	// Pdeathsig fires when the thread that forked the child exits, not the process
	// (golang/go#27505): this goroutine keeps its thread from the fork until the child is
	// reaped, so no other goroutine can end that thread under the child.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		return "", missing("clone("+names+")", err)
	}
	if testHookNamespaceStarted != nil {
		testHookNamespaceStarted()
	}
	pid := cmd.Process.Pid
	var theirs, ours string
	if blocks {
		theirs, _ = os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, cf.file))
		ours, _ = os.Readlink("/proc/self/ns/" + cf.file)
		w.Close()
	}
	err := cmd.Wait()
	if err != nil {
		return "", fmt.Errorf("clone(%s): %s in the namespace: %w", names, prog, err)
	}
	if !blocks {
		return fmt.Sprintf("clone(%s) ran %s as pid %d: exit 0, reaped", names, prog, pid), nil
	}
	if theirs == "" || theirs == ours {
		return "", fmt.Errorf("clone(%s): child pid %d is in %q, the probe's own %s namespace", names, pid, theirs, kind)
	}
	return fmt.Sprintf("clone(%s) ran %s as pid %d in %s (the probe's: %s); exit 0, reaped", names, prog, pid, theirs, ours), nil
}

// socketFilter is "r0 = 0; exit": a socket filter that drops every packet. Package-level,
// so the kernel reads memory the collector never moves or frees.
var (
	socketFilter = [2]uint64{
		0x00000000000000b7, // BPF_ALU64|BPF_MOV|BPF_K r0, 0
		0x0000000000000095, // BPF_JMP|BPF_EXIT
	}
	bpfLicense = [4]byte{'G', 'P', 'L', 0}
)

// bpfProgLoadAttr is the head of union bpf_attr for BPF_PROG_LOAD (linux/bpf.h).
type bpfProgLoadAttr struct {
	progType    uint32
	insnCnt     uint32
	insns       uint64
	license     uint64
	logLevel    uint32
	logSize     uint32
	logBuf      uint64
	kernVersion uint32
	progFlags   uint32
	progName    [16]byte
}

func (localKernel) BPF(ctx context.Context) (string, error) {
	attr := bpfProgLoadAttr{
		progType: unix.BPF_PROG_TYPE_SOCKET_FILTER,
		insnCnt:  uint32(len(socketFilter)),
		insns:    uint64(uintptr(unsafe.Pointer(&socketFilter[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&bpfLicense[0]))),
	}
	copy(attr.progName[:], "strata_probe")
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(&attr)
	if errno != 0 {
		return "", missing("bpf(BPF_PROG_LOAD)", errno)
	}
	unix.Close(int(fd))
	return fmt.Sprintf("bpf(BPF_PROG_LOAD, socket filter, %d insns): fd %d, closed", len(socketFilter), fd), nil
}

func (localKernel) Perf(ctx context.Context) (string, error) {
	attr := unix.PerfEventAttr{
		Type:   unix.PERF_TYPE_SOFTWARE,
		Config: unix.PERF_COUNT_SW_CPU_CLOCK,
		Bits:   unix.PerfBitDisabled | unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv,
	}
	attr.Size = uint32(unsafe.Sizeof(attr))
	fd, err := unix.PerfEventOpen(&attr, 0, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return "", missing("perf_event_open(software cpu-clock, this process)", err)
	}
	unix.Close(fd)
	return fmt.Sprintf("perf_event_open(software cpu-clock, this process): fd %d, closed", fd), nil
}

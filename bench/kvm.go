package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"syscall"
	"time"
	"unsafe"
)

// kvmDriver is the hypervisor's own floor: per run it creates a VM through /dev/kvm, gives
// it one page of memory and one vCPU in real mode, runs three instructions (mov al, 42;
// out 0x10, al; hlt) and tears it all down. No guest OS, no device model: the least any
// virtual machine on this host can cost. It only runs the start workload.
type kvmDriver struct{}

func (*kvmDriver) Name() string  { return "kvm-direct" }
func (*kvmDriver) Layer() string { return L2 }

// Info says the driver measures the layer's floor, not a workload in a guest OS; verify
// leaves it out of the layer's comparison.
func (*kvmDriver) Info(context.Context) Info { return Info{Accel: "kvm", Floor: true} }

func (*kvmDriver) Prepare(context.Context, string) error { return nil }
func (*kvmDriver) Close() error                          { return nil }

// ioctl numbers from linux/kvm.h (x86-64).
const (
	kvmGetAPIVersion       = 0xAE00
	kvmCreateVM            = 0xAE01
	kvmGetVCPUMmapSize     = 0xAE04
	kvmCreateVCPU          = 0xAE41
	kvmSetUserMemoryRegion = 0x4020AE46
	kvmRun                 = 0xAE80
	kvmGetSregs            = 0x8138AE83
	kvmSetSregs            = 0x4138AE84
	kvmSetRegs             = 0x4090AE82
	kvmExitIO              = 2
	kvmExitHLT             = 5
)

func ioctl(fd int, req, arg uintptr) (uintptr, error) {
	r, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, arg)
	if e != 0 {
		return r, e
	}
	return r, nil
}

func (d *kvmDriver) Available(ctx context.Context) (bool, string) {
	fd, err := syscall.Open("/dev/kvm", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false, "cannot open /dev/kvm: " + err.Error()
	}
	defer syscall.Close(fd)
	if v, err := ioctl(fd, kvmGetAPIVersion, 0); err != nil || v != 12 {
		return false, fmt.Sprintf("KVM API version %d (%v), want 12", v, err)
	}
	return true, ""
}

func (d *kvmDriver) Run(ctx context.Context, w Workload) (Sample, error) {
	if w.Name != Start {
		return Sample{}, fmt.Errorf("workload %s in a guest without an OS: %w", w.Name, ErrNotSupported)
	}
	t0 := time.Now()
	if err := kvmTiny(ctx); err != nil {
		return Sample{}, err
	}
	return Sample{Wall: time.Since(t0)}, nil
}

// kvmTiny creates, runs to hlt and destroys one tiny VM.
func kvmTiny(ctx context.Context) error {
	kvm, err := syscall.Open("/dev/kvm", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(kvm)
	vmfd, err := ioctl(kvm, kvmCreateVM, 0)
	if err != nil {
		return fmt.Errorf("KVM_CREATE_VM: %w", err)
	}
	defer syscall.Close(int(vmfd))
	mem, err := syscall.Mmap(-1, 0, 0x1000, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_ANONYMOUS)
	if err != nil {
		return err
	}
	defer syscall.Munmap(mem)
	copy(mem, []byte{0xb0, 42, 0xe6, 0x10, 0xf4}) // mov al, 42; out 0x10, al; hlt
	var region [32]byte
	binary.LittleEndian.PutUint64(region[8:], 0x1000)  // guest physical address
	binary.LittleEndian.PutUint64(region[16:], 0x1000) // size
	binary.LittleEndian.PutUint64(region[24:], uint64(uintptr(unsafe.Pointer(&mem[0]))))
	if _, err := ioctl(int(vmfd), kvmSetUserMemoryRegion, uintptr(unsafe.Pointer(&region[0]))); err != nil {
		return fmt.Errorf("KVM_SET_USER_MEMORY_REGION: %w", err)
	}
	vcpu, err := ioctl(int(vmfd), kvmCreateVCPU, 0)
	if err != nil {
		return fmt.Errorf("KVM_CREATE_VCPU: %w", err)
	}
	defer syscall.Close(int(vcpu))
	size, err := ioctl(kvm, kvmGetVCPUMmapSize, 0)
	if err != nil {
		return err
	}
	run, err := syscall.Mmap(int(vcpu), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	defer syscall.Munmap(run)
	var sregs [312]byte
	if _, err := ioctl(int(vcpu), kvmGetSregs, uintptr(unsafe.Pointer(&sregs[0]))); err != nil {
		return fmt.Errorf("KVM_GET_SREGS: %w", err)
	}
	binary.LittleEndian.PutUint64(sregs[0:], 0)  // cs.base
	binary.LittleEndian.PutUint16(sregs[12:], 0) // cs.selector
	if _, err := ioctl(int(vcpu), kvmSetSregs, uintptr(unsafe.Pointer(&sregs[0]))); err != nil {
		return fmt.Errorf("KVM_SET_SREGS: %w", err)
	}
	var regs [144]byte
	binary.LittleEndian.PutUint64(regs[128:], 0x1000) // rip
	binary.LittleEndian.PutUint64(regs[136:], 2)      // rflags: the reserved bit
	if _, err := ioctl(int(vcpu), kvmSetRegs, uintptr(unsafe.Pointer(&regs[0]))); err != nil {
		return fmt.Errorf("KVM_SET_REGS: %w", err)
	}
	out := false
	for range 100 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := ioctl(int(vcpu), kvmRun, 0); err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return fmt.Errorf("KVM_RUN: %w", err)
		}
		switch reason := binary.LittleEndian.Uint32(run[8:]); reason {
		case kvmExitIO:
			port := binary.LittleEndian.Uint16(run[34:])
			off := binary.LittleEndian.Uint64(run[40:])
			if port != 0x10 || run[off] != 42 {
				return fmt.Errorf("guest wrote %d to port %#x, want 42 to 0x10", run[off], port)
			}
			out = true
		case kvmExitHLT:
			if !out {
				return errors.New("guest halted without its out instruction")
			}
			return nil
		default:
			return fmt.Errorf("unexpected KVM exit reason %d", reason)
		}
	}
	return errors.New("guest did not halt within 100 exits")
}

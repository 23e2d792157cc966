package bench

import "syscall"

// Drivers lists every driver strata knows, baseline first, in the order of the report.
// Which of them run depends on the host: each one's Available says.
func Drivers() []Driver {
	return []Driver{
		NewNative(),
		NewNamespaces(),
		NewCrun(),
		NewRunc(),
		NewContainerd(),
		NewWazero(false),
		NewWazero(true),
		NewNodeWASI(),
		NewRunsc("systrap"),
		NewRunsc("ptrace"),
		NewRunsc("kvm"),
		NewKVM(),
		NewQEMU("microvm"),
		NewQEMU("pc"),
	}
}

// NewNative is the native process driver, the baseline every ratio is taken against.
func NewNative() Driver { return &processDriver{name: "native", layer: Native} }

// NewNamespaces runs each workload in new pid, mount, network, uts and ipc namespaces
// created by clone(2), the raw material of containers (L-3).
func NewNamespaces() Driver {
	return &processDriver{name: "namespaces", layer: L3,
		cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC}
}

// NewRunc is runc, the reference OCI runtime (L-3), running each workload as a container
// from an OCI bundle.
func NewRunc() Driver { return &ociDriver{name: "runc", layer: L3, bin: "runc"} }

// NewCrun is crun, the C OCI runtime (L-3).
func NewCrun() Driver {
	return &ociDriver{name: "crun", layer: L3, bin: "crun", privateCgroupNS: cgroupLayout() == "hybrid"}
}

// NewRunsc is gVisor on one platform (ptrace, systrap, kvm) (L-4).
func NewRunsc(platform string) Driver {
	return &ociDriver{name: "gvisor-" + platform, layer: L4, bin: "runsc",
		global: []string{"--platform=" + platform, "--network=none", "--ignore-cgroups"}}
}

// NewContainerd is containerd driven by its ctr client (L-3), against a daemon of its own.
func NewContainerd() Driver { return &containerdDriver{} }

// NewWazero is the embedded Wasm sandbox (L-4) with wazero's optimizing compiler, or its
// interpreter.
func NewWazero(interpreter bool) Driver { return &wazeroDriver{interpreter: interpreter} }

// NewNodeWASI is node's node:wasi (L-4), a peer Wasm runtime started as a process per run.
func NewNodeWASI() Driver { return &nodeWASIDriver{} }

// NewKVM is the hypervisor's floor (L-2): a VM created through /dev/kvm per run, three
// instructions, no guest OS.
func NewKVM() Driver { return &kvmDriver{} }

// NewQEMU is a QEMU guest booting Linux per run: machine "microvm" (L-2, virtio) or "pc"
// (L-1, emulated devices).
func NewQEMU(machine string) Driver {
	d := &qemuDriver{name: "qemu-" + machine, machine: machine, accel: "tcg", layer: L2}
	if machine == "pc" {
		d.layer = L1
	}
	return d
}

// Package bench measures what each isolation layer really costs on this host: the same
// workloads (start-to-exit, CPU loop, small syscalls, file I/O, memory footprint) run by a
// [Driver] per runtime — a native process, raw namespaces, runc and crun OCI bundles,
// containerd through ctr (with a daemon and an image of its own), gVisor, an embedded Wasm
// sandbox (wazero), node's WASI, QEMU guests (microvm with virtio, pc with emulated
// devices) and a bare /dev/kvm VM — repeated with warm-up and summarised with robust
// statistics ([Summarize], [RatioCI]).
//
// Each workload measures one thing on every layer. start is the runtime's whole cost to
// run a process doing nothing, start to exit on the host's clock (a guest's boot to
// power-off); memory is that run's peak resident memory. cpu, syscall and fileio are the
// work alone: the kernel — the same Go code in every process-based layer and in the
// guests, its mirror in Wasm — reads its monotonic clock around its work and reports the
// difference ([ClockWorkload]; for Wasm the runtime's clock around the module's _start),
// or a virtual machine's guest clock does ([ClockGuest]), so the runtime's start, which
// start already measures, is not counted twice. The host's start-to-exit time of each such
// run is kept beside it (Sample.Host), and a sample the inside clock makes longer than
// that is refused: the clock inside (gVisor keeps time of its own) is not trusted blindly.
//
// [Run] drives the drivers and returns [Results], which carry a host fingerprint and
// encode as JSON; [Verify] puts the measured order of layers beside the order a network
// claims. Everything a run creates (processes, containers, temp files) lives under one
// temporary directory and is removed when Run returns, also when its context is cancelled.
//
// Drivers that need a runtime the host lacks say so from Available; nothing is faked.
// Run is not safe for concurrent use with itself on the same drivers.
//
// The process-based drivers run the kernels by starting the program's own executable
// again, so a program that uses them calls [ReexecInit] first thing in main (cmd/strata
// does; so do the TestMains of the packages whose tests run them). Importing the package
// has no side effect.
//
// The constructors return [Driver]; the drivers' types, and the helpers beside them, are
// not part of the API: bench/internal holds the kernels and their protocol (kernel), the
// Wasm modules (wasm), the initramfs writer (cpio), the OCI image writer (ociimage), the
// guest's module order (kmod), its kernel's location (guest), the host's TSC rate (tsc)
// and the executable checks (exe).
package bench

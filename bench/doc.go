// Package bench measures what each isolation layer really costs on this host: the same
// workloads (start-to-exit, CPU loop, small syscalls, file I/O, memory footprint) run by a
// [Driver] per runtime — a native process, raw namespaces, runc and crun OCI bundles,
// containerd through ctr (with a daemon and an image of its own), gVisor, an embedded Wasm
// sandbox (wazero), node's WASI, QEMU guests (microvm with virtio, pc with emulated
// devices; their guests time the workloads themselves, boot excluded) and a bare /dev/kvm
// VM — repeated with warm-up and summarised with robust statistics ([Summarize], [RatioCI]).
//
// [Run] drives the drivers and returns [Results], which carry a host fingerprint and
// encode as JSON; [Verify] puts the measured order of layers beside the order a network
// claims. Everything a run creates (processes, containers, temp files) lives under one
// temporary directory and is removed when Run returns, also when its context is cancelled.
//
// Drivers that need a runtime the host lacks say so from Available; nothing is faked.
// Run is not safe for concurrent use with itself on the same drivers.
package bench

// Package probe says which layers of the isolation stack this host can actually serve,
// with the evidence for every answer. It is strata's virt-host-validate: each check reads
// a kernel file, looks for a program, or asks the kernel to do the real thing once (create
// a KVM VM, a namespace, a BPF program, a perf event) and undoes it, and reports PASS,
// WARN, FAIL or SKIP with what it read and how to fix what is missing.
//
// # A tour
//
// A [Host] is a pure description of where to look: a root directory (or an fs.FS) for
// /proc, /sys, /dev, /etc and /run, a PATH, a [Runner] that asks programs their version, a
// [Kernel] that makes the checks only the running kernel can answer, and whether the probe
// may make checks that need root. [Local] describes this machine; tests describe fake
// trees (see testdata/), so every check runs without the hardware it looks for.
//
// [Run] makes every check concurrently and returns a [Report]: the checks in a fixed
// order, the host's coordinates on the Y (isolation) axis — which of L-0 … L-4 it can
// serve and why — and the containerd runtime handlers it has what they need for. A full
// probe of a real host takes tens of milliseconds (BenchmarkLocal).
//
// [NFD] renders a report as Node Feature Discovery local features (strata-layer-L-4=true,
// strata-runtime-runc=true; NFD prefixes them with feature.node.kubernetes.io/), and
// [Facts] as network documents of measured facts (host offers L-3, host offers runc) that
// load with --network on top of the default network.
//
// # Results
//
//   - PASS: present and working.
//   - WARN: works, with a caveat the hint explains (a slower fallback, a deprecated
//     interface, a host that is itself a virtual machine).
//   - FAIL: a kernel or device feature is missing or refused; the hint says how to get it.
//   - SKIP: nothing to check (an optional program is not installed, not a Xen guest) — the
//     hint says how to add it — or not checked: needs_root is true when the probe ran
//     unprivileged, and "kernel checks are off" when the Host has no Kernel.
//
// WARN counts as present when the host is placed on the Y axis; SKIP and FAIL do not.
// L-0 needs cpu-virt-flags only where it applies: on a CPU without vmx/svm flags to read
// (arm64) it is SKIP, and a working KVM_CREATE_VM is enough.
//
// # Checks
//
// Check ids are stable. By layer:
//
//   - L-0: cpu-virt-flags (vmx/svm), cpu-hypervisor (is this host a guest?), kvm-device,
//     kvm-create-vm (KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_CREATE_VCPU, all closed),
//     kvm-nested.
//   - L-1: qemu-system, containerd-shim-kata-v2.
//   - L-2: cloud-hypervisor, firecracker, vhost-net, tun, virtio-devices, xen.
//   - L-3: namespace-{user,pid,net,mount,uts,ipc,cgroup} (each really created in a child
//     that is reaped), cgroups (v1, v2 or hybrid, and controllers), seccomp, overlayfs,
//     runc, crun, youki, containerd, docker, podman, containerd-socket,
//     containerd-runtimes (the handlers in /etc/containerd/config.toml and the files its
//     imports name — /etc/containerd/conf.d/*.toml when there is no config.toml, as in
//     containerd 2.x — and in the config.toml K3s renders under
//     /var/lib/rancher/k3s/agent/etc/containerd).
//   - L-4: wasmedge, wasmtime, wasmer, node-wasi, embedded-wasm, containerd-shim-wasmedge-v1,
//     containerd-shim-wasmtime-v1, containerd-shim-spin-v2, crun-wasm (+WASM in crun
//     --version), runsc (with its platforms), containerd-shim-runsc-v1, gvisor-sandbox
//     (is this probe inside gVisor?). node-wasi is information only: Node.js documents that
//     its WASI is not a sandbox for untrusted code, so it does not make L-4 offered.
//   - observability: bpf-syscall (BPF_PROG_LOAD of a socket filter), btf, bpf-jit,
//     tracepoints, perf-events.
//   - gpu: gpu-nvidia (/dev/nvidia*, PCI vendor 10de, driver version), gpu-dri,
//     nvidia-container-toolkit.
//
// # Unprivileged
//
// With Host.Privileged false (strata probe --unprivileged, or any non-root user) the
// checks that need root are SKIP with needs_root set — bpf-syscall unless
// kernel.unprivileged_bpf_disabled is 0, tracepoints when tracefs is root-only, the
// containerd socket and config when they are not readable — and namespaces are created
// inside a new user namespace, as rootless runtimes create them. It does not drop
// privileges: run it as the user whose view you want.
//
// # Field names
//
// The JSON and YAML forms of [Report] use these names, which are stable:
//
//	host:                   the probed host
//	  hostname              /proc/sys/kernel/hostname
//	  kernel                /proc/sys/kernel/osrelease
//	  cpu                   model name from /proc/cpuinfo
//	  privileged            whether checks that need root were made
//	  time                  when it was probed (RFC 3339, UTC, whole seconds)
//	  layers                the layer filter, when one was given
//	checks[]:               one per check, in the order above
//	  layer                 L-0 … L-4, observability or gpu
//	  id                    the check id
//	  result                PASS, WARN, FAIL or SKIP
//	  evidence              what was read or done, and what it showed
//	  hint                  how to fix or add what is missing (omitted when nothing to do)
//	  path, version         for programs found on PATH
//	  needs_root            true when skipped for want of root
//	coordinates[]:          one per Y value the filter keeps
//	  axis                  "Y"
//	  value                 0 … 4
//	  layer                 L-0 … L-4
//	  offered               whether the host can serve it
//	  because               why, naming the checks and versions
//	  hint                  what to do when it is not offered
//	  checks                the ids of the checks the verdict rests on
//	handlers[]:             containerd runtime handlers (runc, crun, kata-qemu, kata-fc,
//	                        runsc, wasmedge, wasmtime, spin)
//	  name, layer, offered, because, checks    as for coordinates
//
// # Safety
//
// The probe changes nothing on the host: it writes no files, mounts nothing, creates no
// cgroups and leaves no processes or file descriptors behind (TestLocalLeavesNothing).
// [Run] is safe for concurrent use; a [Host] is a value and may be shared.
package probe

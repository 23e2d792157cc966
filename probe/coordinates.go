package probe

import (
	"strings"
)

// results is the outcome of every check by id, for the rules that place the host.
type results map[string]Check

func (r results) has(id string) bool { return r[id].Result.counts() }

// named is "qemu-system 7.2.22" for a binary check, the id otherwise.
func (r results) named(id string) string {
	c := r[id]
	if c.Version != "" {
		return id + " " + c.Version
	}
	return id
}

// present keeps the ids whose checks count, named with their versions.
func (r results) present(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if r.has(id) {
			out = append(out, r.named(id))
		}
	}
	return out
}

// status is "kvm-create-vm FAIL" for the checks that do not count.
func (r results) status(ids ...string) string {
	var parts []string
	for _, id := range ids {
		if !r.has(id) {
			parts = append(parts, id+" "+string(r[id].Result))
		}
	}
	return strings.Join(parts, ", ")
}

// firstHint is the hint of the first listed check that does not count.
func (r results) firstHint(ids ...string) string {
	for _, id := range ids {
		if c := r[id]; !c.Result.counts() && c.Hint != "" {
			return c.Hint
		}
	}
	return ""
}

var (
	vmms       = []string{"qemu-system", "cloud-hypervisor", "firecracker"}
	oci        = []string{"runc", "crun", "youki"}
	containerK = []string{"namespace-pid", "namespace-net", "namespace-mount", "namespace-uts", "namespace-ipc", "cgroups"}
	// sandboxes are the checks that make L-4 offered. node-wasi is not one: Node.js says
	// its WASI "does not currently provide the comprehensive file system security
	// properties provided by some WASI runtimes" and not to rely on it to run untrusted
	// code, so its check is information only.
	sandboxes = []string{"wasmedge", "wasmtime", "wasmer", "embedded-wasm", "crun-wasm",
		"containerd-shim-wasmedge-v1", "containerd-shim-wasmtime-v1", "containerd-shim-spin-v2", "runsc", "gvisor-sandbox"}
)

// coordinates places the host on the Y axis: which isolation layers it can serve.
func coordinates(byID map[string]Check) []Coordinate {
	r := results(byID)
	cs := []Coordinate{y0(r), y1(r), y2(r), y3(r), y4(r)}
	for i := range cs {
		cs[i].Axis, cs[i].Value, cs[i].Layer = "Y", i, "L-"+string(rune('0'+i))
	}
	return cs
}

func y0(r results) Coordinate {
	c := Coordinate{Checks: []string{"cpu-virt-flags", "kvm-device", "kvm-create-vm", "cpu-hypervisor"}}
	// cpu-virt-flags is SKIP where vmx/svm do not apply (arm64): there a working
	// KVM_CREATE_VM is the evidence. A FAIL (x86 without VT-x/AMD-V, as under PVM, whose
	// KVM works without them) still rules L-0 out.
	flags := r["cpu-virt-flags"].Result
	if (r.has("cpu-virt-flags") || flags == Skip) && r.has("kvm-create-vm") {
		c.Offered = true
		c.Because = "the CPU has VT-x/AMD-V and KVM_CREATE_VM works: guests get hardware-assisted isolation"
		if flags == Skip {
			c.Because = "KVM_CREATE_VM works (cpu-virt-flags SKIP: vmx/svm do not apply to this CPU): guests get hardware-assisted isolation"
		}
		if r["cpu-hypervisor"].Result == Warn {
			c.Because += " (nested: this host is itself a virtual machine)"
		}
		return c
	}
	needed := []string{"cpu-virt-flags", "kvm-device", "kvm-create-vm"}
	if flags == Skip {
		needed = needed[1:]
	}
	c.Because = "no hardware-assisted virtualization: " + r.status(needed...)
	c.Hint = r.firstHint(needed...)
	return c
}

func y1(r results) Coordinate {
	c := Coordinate{Checks: []string{"kvm-device", "kvm-create-vm", "qemu-system", "containerd-shim-kata-v2"}}
	vmm := r.present("qemu-system", "containerd-shim-kata-v2")
	switch {
	case !r.has("kvm-create-vm"):
		c.Because = "no working KVM: " + r.status("kvm-device", "kvm-create-vm")
		c.Hint = r.firstHint("kvm-create-vm", "kvm-device")
	case len(vmm) == 0:
		c.Because = "KVM works, but no VMM that emulates a full machine: " + r.status("qemu-system", "containerd-shim-kata-v2")
		c.Hint = r.firstHint("qemu-system")
	default:
		c.Offered = true
		c.Because = "KVM works and " + strings.Join(vmm, ", ") + " can run fully virtualized guests"
	}
	return c
}

func y2(r results) Coordinate {
	c := Coordinate{Checks: append([]string{"kvm-device", "kvm-create-vm"}, append(vmms, "vhost-net", "xen")...)}
	vmm := r.present(vmms...)
	switch {
	case r["xen"].Result == Pass:
		c.Offered = true
		c.Because = "Xen dom0 runs paravirtualized (PV) guests"
	case !r.has("kvm-create-vm"):
		c.Because = "no working KVM: " + r.status("kvm-device", "kvm-create-vm") + "; not Xen dom0"
		c.Hint = r.firstHint("kvm-create-vm", "kvm-device")
	case len(vmm) == 0:
		c.Because = "KVM works, but no VMM with virtio devices: " + r.status(vmms...)
		c.Hint = r.firstHint(vmms...)
	default:
		c.Offered = true
		c.Because = "KVM works and " + strings.Join(vmm, ", ") + " can give guests virtio devices"
		if r["vhost-net"].Result != Pass {
			c.Because += " (no vhost-net: network in userspace)"
		}
	}
	return c
}

func y3(r results) Coordinate {
	c := Coordinate{Checks: append(append([]string{}, containerK...), oci...)}
	var missing []string
	for _, id := range containerK {
		if !r.has(id) {
			missing = append(missing, id+" "+string(r[id].Result))
		}
	}
	rt := r.present(oci...)
	switch {
	case len(missing) > 0:
		c.Because = "the kernel does not give containers what they need: " + strings.Join(missing, ", ")
		c.Hint = r.firstHint(containerK...)
	case len(rt) == 0:
		c.Because = "namespaces and cgroups work, but no OCI runtime: " + r.status(oci...)
		c.Hint = r.firstHint(oci...)
	default:
		c.Offered = true
		c.Because = "namespaces (pid, net, mount, uts, ipc) and cgroups work; OCI runtime " + strings.Join(rt, ", ")
	}
	return c
}

func y4(r results) Coordinate {
	c := Coordinate{Checks: sandboxes}
	have := r.present(sandboxes...)
	if len(have) == 0 {
		c.Because = "no Wasm runtime, Wasm shim or gVisor: every L-4 check is SKIP or FAIL"
		if r.has("node-wasi") {
			c.Because += " (node-wasi does not count: Node's WASI is not a sandbox for untrusted code)"
		}
		c.Hint = "install a Wasm runtime (WasmEdge: https://wasmedge.org/docs/start/install; Wasmtime: https://wasmtime.dev) or gVisor (apt-get install runsc)"
		return c
	}
	c.Offered = true
	c.Because = "sandbox runtime " + strings.Join(have, ", ")
	return c
}

// handlerRules are the containerd runtime handlers a node label can promise (the names
// strata plan uses), each with the layer it serves and the checks it needs; container
// handlers also need the kernel's namespaces and cgroups.
var handlerRules = []struct {
	name, layer string
	needs       []string
	container   bool
}{
	{"runc", "L-3", []string{"runc"}, true},
	{"crun", "L-3", []string{"crun"}, true},
	{"kata-qemu", "L-1", []string{"containerd-shim-kata-v2", "kvm-create-vm"}, false},
	{"kata-fc", "L-2", []string{"containerd-shim-kata-v2", "kvm-create-vm", "firecracker"}, false},
	{"runsc", "L-4", []string{"runsc", "containerd-shim-runsc-v1"}, false},
	{"wasmedge", "L-4", []string{"containerd-shim-wasmedge-v1"}, false},
	{"wasmtime", "L-4", []string{"containerd-shim-wasmtime-v1"}, false},
	{"spin", "L-4", []string{"containerd-shim-spin-v2"}, false},
}

// handlers says which containerd runtime handlers the host has what they need for. That
// is a promise about binaries and the kernel; containerd must still list the handler in
// its config (strata plan writes that entry).
func handlers(byID map[string]Check) []Handler {
	r := results(byID)
	out := make([]Handler, 0, len(handlerRules))
	for _, h := range handlerRules {
		needs := h.needs
		if h.container {
			needs = append(append([]string{}, h.needs...), containerK...)
		}
		hd := Handler{Name: h.name, Layer: h.layer, Checks: needs}
		if s := r.status(needs...); s != "" {
			hd.Because = "missing: " + s
		} else {
			hd.Offered = true
			hd.Because = strings.Join(r.present(h.needs...), ", ")
			if h.container {
				hd.Because += " with namespaces and cgroups"
			}
		}
		out = append(out, hd)
	}
	return out
}

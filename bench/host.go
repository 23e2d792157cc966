package bench

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
)

// Host is the fingerprint of the machine the results come from.
type Host struct {
	Hostname string `json:"hostname"`
	Kernel   string `json:"kernel"`
	OS       string `json:"os"`
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	MemoryMB int64  `json:"memory_mb"`
	// Virtualization is what this host itself runs on ("kvm", "none", …), and whether it
	// offers /dev/kvm to guests of its own.
	Virtualization string    `json:"virtualization"`
	KVM            bool      `json:"kvm"`
	Cgroup         string    `json:"cgroup"` // v1, v2 or hybrid
	Go             string    `json:"go"`
	Runtimes       []Runtime `json:"runtimes"`
}

// Runtime is one runtime and its version.
type Runtime struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// fingerprint describes this host.
func fingerprint(ctx context.Context) Host {
	h := Host{Cores: runtime.NumCPU(), Go: runtime.Version(), Runtimes: []Runtime{}}
	h.Hostname, _ = os.Hostname()
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		h.Kernel = cstr(u.Release[:])
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for l := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				h.OS = strings.Trim(strings.TrimSpace(v), `"`)
			}
		}
	}
	hypervisor := false
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "model name":
				if h.CPU == "" {
					h.CPU = strings.TrimSpace(v)
				}
			case "flags":
				hypervisor = hypervisor || strings.Contains(" "+v+" ", " hypervisor ")
			}
		}
		f.Close()
	}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		h.MemoryMB = int64(si.Totalram) * int64(si.Unit) >> 20
	}
	h.Virtualization = virtualization(ctx, hypervisor)
	if fi, err := os.Stat("/dev/kvm"); err == nil && fi.Mode()&os.ModeDevice != 0 {
		h.KVM = true
	}
	h.Cgroup = cgroupLayout()
	return h
}

func cgroupLayout() string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return "v2"
	}
	if _, err := os.Stat("/sys/fs/cgroup/unified"); err == nil {
		return "hybrid"
	}
	return "v1"
}

func cstr(b []int8) string {
	var s strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		s.WriteByte(byte(c))
	}
	return s.String()
}

// virtualization names the hypervisor and container this host runs in, as
// systemd-detect-virt says, falling back to the CPU's hypervisor bit.
func virtualization(ctx context.Context, hypervisor bool) string {
	detect := func(flag string) string {
		out, _ := exec.CommandContext(ctx, "systemd-detect-virt", flag).Output()
		return strings.TrimSpace(string(out))
	}
	vm, ct := detect("--vm"), detect("--container")
	if vm == "" || vm == "none" {
		vm = "none"
		if hypervisor {
			vm = "hypervisor"
		}
	}
	if ct != "" && ct != "none" {
		return vm + ", container " + ct
	}
	return vm
}

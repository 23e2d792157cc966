package probe_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/probetest"
	"github.com/strata-dev/strata/probe"
)

// The tests in this file build small fake hosts of their own in a temporary directory,
// for the cases the hosts under testdata do not cover.

// fakeTree writes files (path → content; a path ending in "*" is made executable, the
// star dropped) and host.yaml into a temporary directory and probes it.
func fakeTree(t *testing.T, hostYAML string, files map[string]string) probe.Report {
	t.Helper()
	dir := t.TempDir()
	files["host.yaml"] = hostYAML
	for name, data := range files {
		mode := os.FileMode(0o644)
		if n, ok := strings.CutSuffix(name, "*"); ok {
			name, mode = n, 0o755
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
	h, err := probetest.Host(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := probe.Run(context.Background(), h, probe.Options{Now: func() time.Time { return probedAt }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func check(t *testing.T, r probe.Report, id string) probe.Check {
	t.Helper()
	c, ok := r.Check(id)
	if !ok {
		t.Fatalf("no check %s", id)
	}
	return c
}

func coordinate(t *testing.T, r probe.Report, layer string) probe.Coordinate {
	t.Helper()
	for _, c := range r.Coordinates {
		if c.Layer == layer {
			return c
		}
	}
	t.Fatalf("no coordinate for %s", layer)
	return probe.Coordinate{}
}

// arm64CPU is the first processor of an Ampere Altra's /proc/cpuinfo: no flags line, no
// vmx or svm; Arm's virtualization extensions are not listed there.
const arm64CPU = `processor	: 0
BogoMIPS	: 50.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x3
CPU part	: 0xd0c
CPU revision	: 1

processor	: 1
`

const kvmWorks = `privileged: true
path: /usr/bin
modes:
  dev/kvm: c
kernel:
  kvm:
    evidence: 'ioctl KVM_GET_API_VERSION on /dev/kvm: 12; KVM_CREATE_VM: fd 5; KVM_CREATE_VCPU: fd 6; all closed'
`

// TestArm64 (bug B3): on arm64 cpu-virt-flags is SKIP, so a working KVM_CREATE_VM alone
// offers L-0; without /dev/kvm the hint speaks of Arm, not of kvm_intel or kvm_amd.
func TestArm64(t *testing.T) {
	r := fakeTree(t, kvmWorks, map[string]string{"proc/cpuinfo": arm64CPU, "dev/kvm": "", "sys/module/kvm/uevent": ""})
	if c := check(t, r, "cpu-virt-flags"); c.Result != probe.Skip {
		t.Errorf("cpu-virt-flags = %s (%s), want SKIP on arm64", c.Result, c.Evidence)
	}
	if c := check(t, r, "kvm-create-vm"); c.Result != probe.Pass {
		t.Fatalf("kvm-create-vm = %s (%s)", c.Result, c.Evidence)
	}
	y0 := coordinate(t, r, "L-0")
	if !y0.Offered || !strings.Contains(y0.Because, "KVM_CREATE_VM works") {
		t.Errorf("L-0 on arm64 with KVM: offered=%v: %s", y0.Offered, y0.Because)
	}

	r = fakeTree(t, "privileged: true\npath: /usr/bin\n", map[string]string{"proc/cpuinfo": arm64CPU})
	kvm := check(t, r, "kvm-device")
	if kvm.Result != probe.Fail || strings.Contains(kvm.Hint, "modprobe kvm_") || !strings.Contains(kvm.Hint, "EL2") {
		t.Errorf("kvm-device on arm64 without /dev/kvm: %s, hint %q", kvm.Result, kvm.Hint)
	}
	y0 = coordinate(t, r, "L-0")
	if y0.Offered || strings.Contains(y0.Because, "cpu-virt-flags") || y0.Hint != kvm.Hint {
		t.Errorf("L-0 on arm64 without KVM: offered=%v: %s (hint %q)", y0.Offered, y0.Because, y0.Hint)
	}
}

// TestNodeWASINotASandbox (bug B4): Node's WASI alone does not offer L-4; its check stays
// as information.
func TestNodeWASINotASandbox(t *testing.T) {
	r := fakeTree(t, "privileged: true\npath: /usr/bin\ncommands:\n  node --version: \"v22.11.0\\n\"\n", map[string]string{"usr/bin/node*": ""})
	if c := check(t, r, "node-wasi"); c.Result != probe.Pass || !strings.Contains(c.Evidence, "not a sandbox") {
		t.Errorf("node-wasi = %s: %s", c.Result, c.Evidence)
	}
	y4 := coordinate(t, r, "L-4")
	if y4.Offered || slices.Contains(y4.Checks, "node-wasi") || strings.Contains(y4.Hint, "Node") {
		t.Errorf("L-4 with only Node.js: offered=%v checks=%v: %s (hint %q)", y4.Offered, y4.Checks, y4.Because, y4.Hint)
	}
	if !strings.Contains(y4.Because, "node-wasi does not count") {
		t.Errorf("L-4 does not say why node-wasi does not count: %s", y4.Because)
	}
}

// TestContainerdRuntimes: containerd-runtimes reads what containerd and K3s read — the
// files config.toml imports (globs, relative paths, imports of imports), conf.d when there
// is no config.toml (containerd 2.x's default), and K3s's own rendered config.
func TestContainerdRuntimes(t *testing.T) {
	const (
		v3 = "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.%s]\nruntime_type = 'io.containerd.%s'\n"
		v2 = "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.%s]\nruntime_type = \"io.containerd.%s\"\n"
	)
	rt := func(format, name, typ string) string {
		return strings.NewReplacer("%s]", name+"]", "%s'", typ+"'", "%s\"", typ+"\"").Replace(format)
	}
	for _, tc := range []struct {
		name   string
		files  map[string]string
		result probe.Result
		want   []string // substrings of the evidence
	}{
		{"imports glob", map[string]string{
			"etc/containerd/config.toml":           "version = 3\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n" + rt(v3, "runc", "runc.v2"),
			"etc/containerd/conf.d/10-wasm.toml":   rt(v3, "wasmedge", "wasmedge.v1"),
			"etc/containerd/conf.d/20-kata.toml":   rt(v3, "kata-qemu", "kata.v2"),
			"etc/containerd/conf.d/ignored.toml.x": rt(v3, "nope", "nope.v1"),
		}, probe.Pass, []string{
			"/etc/containerd/config.toml (imports /etc/containerd/conf.d/10-wasm.toml, /etc/containerd/conf.d/20-kata.toml) runtimes: ",
			"kata-qemu (io.containerd.kata.v2), runc (io.containerd.runc.v2), wasmedge (io.containerd.wasmedge.v1)",
		}},
		{"relative, multi-line, nested and cyclic imports", map[string]string{
			"etc/containerd/config.toml":  "version = 2\nimports = [\n  \"extra/a.toml\", # a comment\n  '/etc/containerd/config.toml',\n]\n" + rt(v2, "runc", "runc.v2"),
			"etc/containerd/extra/a.toml": "imports = ['b.toml']\n" + rt(v2, "crun", "runc.v2"),
			"etc/containerd/extra/b.toml": rt(v2, "spin", "spin.v2"),
		}, probe.Pass, []string{"crun (io.containerd.runc.v2), runc (io.containerd.runc.v2), spin (io.containerd.spin.v2)"}},
		{"conf.d without config.toml", map[string]string{
			"etc/containerd/conf.d/wasm.toml": rt(v3, "wasmtime", "wasmtime.v1"),
		}, probe.Pass, []string{"/etc/containerd/conf.d/wasm.toml (containerd 2.x's default imports; no /etc/containerd/config.toml) runtimes: wasmtime (io.containerd.wasmtime.v1)"}},
		{"K3s", map[string]string{
			"var/lib/rancher/k3s/agent/etc/containerd/config.toml":      "version = 3\n" + rt(v3, "crun", "runc.v2") + rt(v3, "runc", "runc.v2"),
			"var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl": "{{ template \"base\" . }}\n" + rt(v3, "not-rendered", "x.v1"),
		}, probe.Pass, []string{"K3s /var/lib/rancher/k3s/agent/etc/containerd/config.toml runtimes: crun (io.containerd.runc.v2), runc (io.containerd.runc.v2)"}},
		{"containerd and K3s", map[string]string{
			"etc/containerd/config.toml":                           "version = 2\n",
			"var/lib/rancher/k3s/agent/etc/containerd/config.toml": rt(v2, "wasmedge", "wasmedge.v1"),
		}, probe.Pass, []string{"/etc/containerd/config.toml: no runtimes configured", "; K3s /var/lib/rancher/k3s/agent/etc/containerd/config.toml runtimes: wasmedge"}},
		{"no runtimes anywhere", map[string]string{
			"etc/containerd/config.toml":     "version = 3\nimports = ['/etc/containerd/conf.d/*.toml']\n",
			"etc/containerd/conf.d/log.toml": "[debug]\nlevel = 'info'\n",
		}, probe.Warn, []string{"no runtimes configured"}},
		{"nothing", map[string]string{}, probe.Skip, []string{"/etc/containerd/config.toml: not present"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := check(t, fakeTree(t, "privileged: true\npath: /usr/bin\n", tc.files), "containerd-runtimes")
			if c.Result != tc.result {
				t.Errorf("result %s, want %s: %s", c.Result, tc.result, c.Evidence)
			}
			for _, w := range tc.want {
				if !strings.Contains(c.Evidence, w) {
					t.Errorf("evidence lacks %q:\n%s", w, c.Evidence)
				}
			}
			if strings.Contains(c.Evidence, "nope") || strings.Contains(c.Evidence, "not-rendered") {
				t.Errorf("read a file containerd does not: %s", c.Evidence)
			}
		})
	}

	// An import that only root may read makes the check need root, as config.toml does.
	c := check(t, fakeTree(t, "privileged: false\npath: /usr/bin\ndenied: [etc/containerd/conf.d]\n", map[string]string{
		"etc/containerd/config.toml":   "imports = ['/etc/containerd/conf.d/a.toml']\n",
		"etc/containerd/conf.d/a.toml": rt(v3, "wasmedge", "wasmedge.v1"),
	}), "containerd-runtimes")
	if c.Result != probe.Skip || !c.NeedsRoot {
		t.Errorf("denied import: %s needs_root=%v: %s", c.Result, c.NeedsRoot, c.Evidence)
	}
}

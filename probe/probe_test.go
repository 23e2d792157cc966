package probe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/golden"
	"github.com/strata-dev/strata/internal/probetest"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/probe"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// probedAt stamps every fake report, so goldens do not change with the clock.
var probedAt = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeHosts lists the fake trees under testdata (every directory with a host.yaml).
func fakeHosts(t testing.TB) []string {
	t.Helper()
	ms, err := filepath.Glob(filepath.Join("testdata", "*", "host.yaml"))
	if err != nil || len(ms) == 0 {
		t.Fatalf("no fake hosts in testdata: %v", err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, filepath.Base(filepath.Dir(m)))
	}
	return out
}

// fakeOptions are the options each fake host is probed with; kvm-host also links a Wasm
// engine, so both answers of embedded-wasm are pinned.
func fakeOptions(host string) probe.Options {
	o := probe.Options{Now: func() time.Time { return probedAt }}
	if host == "kvm-host" {
		o.EmbeddedWasm = "wazero v1.12.0"
	}
	return o
}

func runFake(t testing.TB, host string, layers ...string) probe.Report {
	t.Helper()
	h, err := probetest.Host(filepath.Join("testdata", host))
	if err != nil {
		t.Fatal(err)
	}
	o := fakeOptions(host)
	o.Layers = layers
	r, err := probe.Run(context.Background(), h, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkGolden compares got with testdata/golden/name; -update rewrites it.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), got, *update)
}

func defaultNetwork(t testing.TB) *network.Network {
	t.Helper()
	n, err := network.Load(network.DefaultFiles())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGolden pins every format of every fake host: the report as JSON, the NFD lines and
// the facts documents.
func TestGolden(t *testing.T) {
	base := defaultNetwork(t)
	for _, host := range fakeHosts(t) {
		t.Run(host, func(t *testing.T) {
			r := runFake(t, host)
			js, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, host+".json", append(js, '\n'))
			checkGolden(t, host+".nfd", probe.NFD(r))
			facts, err := probe.Facts(r, base)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, host+".facts.yaml", facts)
		})
	}
}

// TestFakeHosts states what each fake host can serve, independent of wording.
func TestFakeHosts(t *testing.T) {
	for _, tc := range []struct {
		host     string
		offered  []string
		handlers []string
		results  map[string]probe.Result
		root     []string // checks skipped for want of root
	}{
		{
			host:     "kvm-host",
			offered:  []string{"L-0", "L-1", "L-2", "L-3", "L-4"},
			handlers: []string{"runc", "crun", "kata-qemu", "kata-fc", "runsc", "wasmedge", "spin"},
			results: map[string]probe.Result{
				"cpu-virt-flags": probe.Pass, "cpu-hypervisor": probe.Pass, "kvm-nested": probe.Pass,
				"cgroups": probe.Pass, "crun-wasm": probe.Pass, "containerd-runtimes": probe.Pass,
				"gpu-nvidia": probe.Pass, "nvidia-container-toolkit": probe.Pass, "embedded-wasm": probe.Pass,
				"tracepoints": probe.Pass, "virtio-devices": probe.Skip, "youki": probe.Skip,
			},
		},
		{
			host: "empty-container",
			results: map[string]probe.Result{
				"cpu-virt-flags": probe.Fail, "cpu-hypervisor": probe.Warn, "kvm-device": probe.Fail,
				"kvm-create-vm": probe.Skip, "namespace-pid": probe.Fail, "namespace-user": probe.Fail,
				"cgroups": probe.Pass, "seccomp": probe.Pass, "runc": probe.Skip, "bpf-syscall": probe.Fail,
				"btf": probe.Fail, "perf-events": probe.Fail, "embedded-wasm": probe.Skip,
			},
		},
		{
			host:    "gvisor-sandbox",
			offered: []string{"L-4"},
			results: map[string]probe.Result{
				"gvisor-sandbox": probe.Pass, "node-wasi": probe.Pass, "namespace-cgroup": probe.Fail,
				"cgroups": probe.Fail, "overlayfs": probe.Warn, "bpf-syscall": probe.Fail, "tracepoints": probe.Fail,
				"seccomp": probe.Warn,
			},
		},
		{
			host:     "amd-no-kvm",
			offered:  []string{"L-3", "L-4"},
			handlers: []string{"runc"},
			results: map[string]probe.Result{
				"cpu-virt-flags": probe.Pass, "kvm-device": probe.Fail, "cgroups": probe.Warn,
				"namespace-net": probe.Pass, "node-wasi": probe.Warn, "wasmer": probe.Pass, "podman": probe.Warn,
				"bpf-jit": probe.Warn, "gpu-dri": probe.Pass, "gpu-nvidia": probe.Skip, "containerd-socket": probe.Pass,
			},
			root: []string{"containerd-runtimes", "bpf-syscall", "tracepoints"},
		},
		{
			host:     "pvm-guest",
			offered:  []string{"L-1", "L-2", "L-3", "L-4"},
			handlers: []string{"runc", "crun"},
			results: map[string]probe.Result{
				"cpu-virt-flags": probe.Fail, "kvm-create-vm": probe.Pass, "kvm-nested": probe.Skip,
				"virtio-devices": probe.Pass, "cgroups": probe.Warn, "crun-wasm": probe.Skip, "runsc": probe.Pass,
				"vhost-net": probe.Warn, "tracepoints": probe.Warn,
			},
		},
	} {
		t.Run(tc.host, func(t *testing.T) {
			r := runFake(t, tc.host)
			if got := r.Offered(); !slices.Equal(got, tc.offered) {
				t.Errorf("offered layers = %v, want %v", got, tc.offered)
			}
			var hs []string
			for _, h := range r.Handlers {
				if h.Offered {
					hs = append(hs, h.Name)
				}
			}
			if !slices.Equal(hs, tc.handlers) {
				t.Errorf("handlers = %v, want %v", hs, tc.handlers)
			}
			for id, want := range tc.results {
				c, ok := r.Check(id)
				if !ok {
					t.Errorf("no check %s", id)
				} else if c.Result != want {
					t.Errorf("%s = %s (%s), want %s", id, c.Result, c.Evidence, want)
				}
			}
			var root []string
			for _, c := range r.Checks {
				if c.NeedsRoot {
					root = append(root, c.ID)
					if c.Result != probe.Skip {
						t.Errorf("%s needs root but is %s", c.ID, c.Result)
					}
				}
				if c.Evidence == "" {
					t.Errorf("%s has no evidence", c.ID)
				}
				if (c.Result == probe.Fail) && c.Hint == "" && !strings.Contains(c.Evidence, "not checked") {
					t.Errorf("%s FAIL without a hint: %s", c.ID, c.Evidence)
				}
			}
			slices.Sort(root)
			slices.Sort(tc.root)
			if !slices.Equal(root, tc.root) {
				t.Errorf("needs_root = %v, want %v", root, tc.root)
			}
			if r.Host.Privileged != (tc.root == nil) {
				t.Errorf("privileged = %v", r.Host.Privileged)
			}
		})
	}
}

// TestFactsLoad loads every fake host's facts on top of the default network, as
// strata --network does, and finds a measured "offers" fact for every layer it serves.
func TestFactsLoad(t *testing.T) {
	base := defaultNetwork(t)
	for _, host := range fakeHosts(t) {
		t.Run(host, func(t *testing.T) {
			r := runFake(t, host)
			facts, err := probe.Facts(r, base)
			if err != nil {
				t.Fatal(err)
			}
			n, err := network.Load(append(network.DefaultFiles(), network.File{Name: host + ".yaml", Data: facts}))
			if err != nil {
				t.Fatalf("facts do not load on the default network: %v\n%s", err, facts)
			}
			id := probe.HostEntityID(r.Host.Hostname)
			e, ok := n.Entity(id)
			if !ok {
				t.Fatalf("no host entity %s", id)
			}
			if e.Category != network.CategoryExample {
				t.Errorf("host category %s", e.Category)
			}
			var layers []string
			for _, f := range n.FactsOf(id, probe.OffersRelation) {
				if f.Kind != network.Measured || f.Note == "" {
					t.Errorf("fact %+v: want kind measured with a note", f)
				}
				if strings.HasPrefix(f.Object, "L-") {
					layers = append(layers, f.Object)
				}
			}
			if !slices.Equal(layers, r.Offered()) {
				t.Errorf("offers facts name %v, the report %v", layers, r.Offered())
			}
			// Two probed hosts load together once the relation type is known.
			with, err := network.Load(append(network.DefaultFiles(), network.File{Name: "a.yaml", Data: facts}))
			if err != nil {
				t.Fatal(err)
			}
			other := r
			other.Host.Hostname = "other-" + r.Host.Hostname
			more, err := probe.Facts(other, with)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(more, []byte("kind: RelationType")) {
				t.Error("facts redeclare offers although the base network has it")
			}
			if _, err := network.Load(append(network.DefaultFiles(), network.File{Name: "a.yaml", Data: facts}, network.File{Name: "b.yaml", Data: more})); err != nil {
				t.Errorf("two probed hosts do not load together: %v", err)
			}
		})
	}
}

func TestLayerFilter(t *testing.T) {
	r := runFake(t, "kvm-host", "l4", "gpu")
	if !slices.Equal(r.Host.Layers, []string{"L-4", "gpu"}) {
		t.Errorf("layers = %v", r.Host.Layers)
	}
	for _, c := range r.Checks {
		if c.Layer != "L-4" && c.Layer != "gpu" {
			t.Errorf("check %s of layer %s kept", c.ID, c.Layer)
		}
	}
	if len(r.Coordinates) != 1 || r.Coordinates[0].Layer != "L-4" || !r.Coordinates[0].Offered {
		t.Errorf("coordinates = %+v, want Y4 offered only", r.Coordinates)
	}
	for _, h := range r.Handlers {
		if h.Layer != "L-4" {
			t.Errorf("handler %s of layer %s kept", h.Name, h.Layer)
		}
	}
	h, _ := probetest.Host(filepath.Join("testdata", "kvm-host"))
	_, err := probe.Run(context.Background(), h, probe.Options{Layers: []string{"L-5"}})
	if !errors.Is(err, probe.ErrUnknownLayer) {
		t.Errorf("layer L-5: err = %v, want ErrUnknownLayer", err)
	}
}

func TestNormalizeLayer(t *testing.T) {
	for in, want := range map[string]string{"L-4": "L-4", "l-0": "L-0", "L3": "L-3", "2": "L-2", "GPU": "gpu", "observability": "observability"} {
		got, err := probe.NormalizeLayer(in)
		if err != nil || got != want {
			t.Errorf("NormalizeLayer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "L-5", "L--1", "Y4", "host"} {
		if _, err := probe.NormalizeLayer(in); !errors.Is(err, probe.ErrUnknownLayer) {
			t.Errorf("NormalizeLayer(%q): err = %v, want ErrUnknownLayer", in, err)
		}
	}
}

// TestNoRunnerNoKernel: a host described by its files alone (a mounted root, say) still
// gets every file check; what needs programs or the kernel says it was not made.
func TestNoRunnerNoKernel(t *testing.T) {
	h, err := probetest.Host(filepath.Join("testdata", "kvm-host"))
	if err != nil {
		t.Fatal(err)
	}
	h.Runner, h.Kernel = nil, nil
	r, err := probe.Run(context.Background(), h, probe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]probe.Result{"kvm-create-vm": probe.Skip, "namespace-net": probe.Skip, "runc": probe.Pass, "crun-wasm": probe.Skip, "btf": probe.Pass, "perf-events": probe.Skip} {
		if c, _ := r.Check(id); c.Result != want {
			t.Errorf("%s = %s (%s), want %s", id, c.Result, c.Evidence, want)
		}
	}
}

func TestCancelled(t *testing.T) {
	h, _ := probetest.Host(filepath.Join("testdata", "kvm-host"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := probe.Run(ctx, h, probe.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func ExampleRun() {
	// A fake host from testdata; probe.Local() describes this machine.
	h, _ := probetest.Host(filepath.Join("testdata", "amd-no-kvm"))
	r, _ := probe.Run(context.Background(), h, probe.Options{})
	for _, c := range r.Coordinates {
		fmt.Printf("Y%d %s offered=%v: %s\n", c.Value, c.Layer, c.Offered, c.Because)
	}
	kvm, _ := r.Check("kvm-device")
	fmt.Println(kvm.Result, kvm.Hint)
	// Output:
	// Y0 L-0 offered=false: no hardware-assisted virtualization: kvm-device FAIL, kvm-create-vm SKIP
	// Y1 L-1 offered=false: no working KVM: kvm-device FAIL, kvm-create-vm SKIP
	// Y2 L-2 offered=false: no working KVM: kvm-device FAIL, kvm-create-vm SKIP; not Xen dom0
	// Y3 L-3 offered=true: namespaces (pid, net, mount, uts, ipc) and cgroups work; OCI runtime runc 1.1.12
	// Y4 L-4 offered=true: sandbox runtime wasmer 4.3.7
	// FAIL modprobe kvm_amd; in a container, pass the device in (docker run --device /dev/kvm)
}

func ExampleNFD() {
	h, _ := probetest.Host(filepath.Join("testdata", "pvm-guest"))
	r, _ := probe.Run(context.Background(), h, probe.Options{Now: func() time.Time { return probedAt }})
	os.Stdout.Write(probe.NFD(r))
	// Output:
	// # strata probe on vm at 2025-06-01T12:00:00Z: isolation layers and containerd runtime handlers this node offers.
	// # Node Feature Discovery labels them feature.node.kubernetes.io/strata-…
	// strata-layer-L-1=true
	// strata-layer-L-2=true
	// strata-layer-L-3=true
	// strata-layer-L-4=true
	// strata-runtime-runc=true
	// strata-runtime-crun=true
	// strata-probed-at=1748779200
}

// BenchmarkFake is the probe's own cost: every check against a fake tree, no processes.
func BenchmarkFake(b *testing.B) {
	h, err := probetest.Host(filepath.Join("testdata", "kvm-host"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := probe.Run(context.Background(), h, probe.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

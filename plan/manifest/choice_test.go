package manifest

import (
	"errors"
	"strings"
	"testing"
)

// valid is a Choice that builds; each test case breaks one thing.
func valid() Choice { return cases[0].choice }

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Choice)
		want   []string // substrings of the error
	}{
		{"empty workload", func(c *Choice) { c.Workload = "" }, []string{`Workload: is empty; give a lowercase DNS-1123 name`}},
		{"bad DNS name", func(c *Choice) { c.Workload = "Edge_Sensor" }, []string{`Workload: "Edge_Sensor" is not a valid name: a lowercase RFC 1123 label`}},
		{"name too long", func(c *Choice) { c.Workload = strings.Repeat("a", 64) }, []string{`Workload: "aaaa`, `must be no more than 63 characters`}},
		{"bad namespace", func(c *Choice) { c.Namespace = "Edge" }, []string{`Namespace: "Edge" is not a valid name`}},
		{"unknown handler", func(c *Choice) { c.Runtime.Handler = "firecracker" },
			[]string{`Runtime.Handler: "firecracker" is not a known containerd handler; use one of crun, kata-fc, kata-qemu, runc, runsc, spin, wasmedge`}},
		{"GPU with spin", func(c *Choice) { c.GPU = 1; c.Runtime.Handler = "spin" },
			[]string{`GPU: Wasm handler "spin" cannot use a GPU: the Spin shim exposes no devices`}},
		{"GPU with Firecracker", func(c *Choice) {
			c.GPU = 1
			c.Runtime = Runtime{Handler: "kata-fc", Layer: "L-2"}
			c.Coordinates.Y = 2
		}, []string{`GPU: handler "kata-fc" cannot use a GPU: Firecracker microVMs have no PCI passthrough; use kata-qemu`}},
		// One layer per Kata handler, as the network and the probe have them.
		{"Firecracker is not L-1", func(c *Choice) { c.Runtime = Runtime{Handler: "kata-fc", Layer: "L-1"}; c.Coordinates.Y = 1 },
			[]string{`Runtime.Layer: "L-1": handler kata-fc provides L-2`}},
		{"QEMU is not L-2", func(c *Choice) { c.Runtime = Runtime{Handler: "kata-qemu", Layer: "L-2"}; c.Coordinates.Y = 2 },
			[]string{`Runtime.Layer: "L-2": handler kata-qemu provides L-1`}},
		{"allowed class at a layer its handler lacks", func(c *Choice) {
			c.Runtime = Runtime{Handler: "kata-qemu", Layer: "L-1"}
			c.Coordinates.Y = 1
			c.Allowed = []Runtime{{Handler: "kata-fc", Layer: "L-1"}}
		}, []string{`Allowed[0].Layer: "L-1": handler kata-fc provides L-2`}},
		// K3s's own template declares the runc table; a second declaration stops containerd.
		{"BinaryName for runc under K3s", func(c *Choice) {
			c.Runtime = Runtime{Handler: "runc", Layer: "L-3", BinaryName: "/usr/local/bin/runc"}
			c.Coordinates.Y = 3
		}, []string{`Runtime.BinaryName: "/usr/local/bin/runc" for runc under K3s: K3s configures runc itself; use the crun handler, or give the runtime its own handler name`}},
		{"kind", func(c *Choice) { c.Kind = "StatefulSet" }, []string{`Kind: "StatefulSet" is not supported; use Deployment, Pod or Job`}},
		{"empty kind", func(c *Choice) { c.Kind = "" }, []string{`Kind: is empty; use Deployment, Pod or Job`}},
		{"layer the handler lacks", func(c *Choice) { c.Runtime.Layer = "L-3"; c.Coordinates.Y = 3 },
			[]string{`Runtime.Layer: "L-3": handler wasmedge provides L-4`}},
		{"Y disagrees with the layer", func(c *Choice) { c.Coordinates.Y = 3 }, []string{`Coordinates.Y: is 3 but the runtime's layer is L-4`}},
		{"X disagrees with the orchestrator", func(c *Choice) { c.Coordinates.X = 1 }, []string{`Coordinates.X: is 1 but K3s is X=2`}},
		{"Docker", func(c *Choice) { c.Orchestrator = "Docker"; c.Coordinates.X = 0 },
			[]string{`Orchestrator: "Docker" is not supported; use one of Fleet, K3s, Karmada, KubeEdge, Kubernetes (X=0, a single Docker host, has no manifests)`}},
		{"Z disagrees with the policy", func(c *Choice) { c.Policy = "NetworkPolicy" }, []string{`Coordinates.Z: is 3 but policy NetworkPolicy is Z=1`}},
		{"unknown policy", func(c *Choice) { c.Policy = "Kyverno" }, []string{`Policy: "Kyverno" is not supported`}},
		{"bad quantity", func(c *Choice) { c.CPU = "a lot" }, []string{`CPU: "a lot" is not a Kubernetes quantity`}},
		{"reserved label", func(c *Choice) { c.Labels = map[string]string{"strata.dev/isolation": "L-0"} },
			[]string{`Labels: key "strata.dev/isolation" is reserved`}},
		{"bad label value", func(c *Choice) { c.Labels = map[string]string{"tier": "edge tier"} }, []string{`Labels: value "edge tier" of "tier"`}},
		{"replicas on a Pod", func(c *Choice) { c.Kind = KindPod; c.Replicas = 3 }, []string{`Replicas: a Pod is one replica, not 3; use Kind Deployment`}},
		{"unknown observability", func(c *Choice) { c.Observability = []string{"Jaeger"} }, []string{`Observability: "Jaeger" is not supported`}},
		{"bad endpoint", func(c *Choice) { c.OTLPEndpoint = "collector:4318" }, []string{`OTLPEndpoint: "collector:4318" is not an http(s) URL`}},
		{"endpoint port out of range", func(c *Choice) { c.OTLPEndpoint = "http://otel.observability.svc:99999" },
			[]string{`OTLPEndpoint: "http://otel.observability.svc:99999": port 99999 is not 1–65535`}},
		{"Collector Service would start with a digit", func(c *Choice) { c.Workload = "9lives" },
			[]string{`Workload: "9lives" starts with a digit, and so would the default Collector Service "9lives-otel-collector", which must start with a letter; rename the workload or set OTLPEndpoint`}},
		{"BinaryName on a shim", func(c *Choice) { c.Runtime.BinaryName = "/usr/bin/wasmedge" },
			[]string{`Runtime.BinaryName: handler wasmedge is not runc-compatible`}},
		{"containerd version", func(c *Choice) { c.ContainerdConfigVersion = 1 }, []string{`ContainerdConfigVersion: is 1`}},
		{"every problem at once", func(c *Choice) { c.Workload = ""; c.Kind = "Service"; c.Runtime.Handler = "lxc" },
			[]string{"Workload: is empty", `Kind: "Service"`, `Runtime.Handler: "lxc"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mutate(&c)
			objs, err := Build(c)
			if err == nil {
				t.Fatalf("built %d objects", len(objs))
			}
			if !errors.Is(err, ErrInvalidChoice) {
				t.Errorf("error does not wrap ErrInvalidChoice: %v", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error holds no FieldError: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

// TestBinaryName: a runc-type handler may name its binary wherever the table is ours to
// write: runc on plain containerd, crun under K3s (added only when K3s has not detected it).
// Under K3s, runc is refused (see TestValidationErrors).
func TestBinaryName(t *testing.T) {
	for _, tc := range []struct{ orchestrator, handler string }{{"Kubernetes", "runc"}, {"K3s", "crun"}} {
		c := valid()
		c.Orchestrator = tc.orchestrator
		c.Coordinates = Coordinates{orchestrators[tc.orchestrator], 3, c.Coordinates.Z}
		c.Runtime = Runtime{Handler: tc.handler, Layer: "L-3", BinaryName: "/opt/bin/" + tc.handler}
		node := find(t, buildCase(t, c), KindContainerdConfig)
		if r := node.Obj.(*ContainerdRuntime); r.Options["BinaryName"] != "/opt/bin/"+tc.handler || r.K3s != (tc.orchestrator == "K3s") {
			t.Errorf("%s %s: %+v", tc.orchestrator, tc.handler, r)
		}
	}
	c := valid()
	c.Runtime, c.Coordinates.Y = Runtime{Handler: "runc", Layer: "L-3"}, 3
	for _, o := range buildCase(t, c) {
		if o.Kind == KindContainerdConfig {
			t.Errorf("K3s runc needs no node file, got %s", o.File)
		}
	}
}

func TestDefaults(t *testing.T) {
	c := valid()
	c.Namespace, c.Replicas, c.Runtime.Class, c.Allowed = "", 0, "", nil
	s, err := validate(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Namespace != "default" || s.Replicas != 1 || s.Runtime.Class != "wasmedge" || s.ContainerdConfigVersion != 2 ||
		s.MetricsPort != 9090 || s.MetricsPath != "/metrics" || len(s.allowed) != 1 || s.allowed[0] != "wasmedge" {
		t.Errorf("defaults %+v", s)
	}
}

func TestHandlersIsACopy(t *testing.T) {
	hs := Handlers()
	hs[0].Layers[0] = "L-9"
	if Handlers()[0].Layers[0] == "L-9" {
		t.Error("Handlers shares its table")
	}
}

func TestCheckImage(t *testing.T) {
	for ref, ok := range map[string]bool{
		"busybox": true, "ghcr.io/example/app:1.0": true, "localhost:5000/a/b_c:v1": true,
		"registry.example.com/shop/orders:3.4.1": true, "docker.io/library/busybox@sha256:" + strings.Repeat("ab", 32): true,
		"": false, "0 00": false, "app/Upper": false, "app:": false, "-app": false, "a//b": false, "app:tag with space": false,
	} {
		if err := CheckImage(ref); (err == nil) != ok {
			t.Errorf("CheckImage(%q) = %v, want ok=%v", ref, err, ok)
		}
	}
}

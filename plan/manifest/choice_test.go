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
		{"bad handler", func(c *Choice) { c.Runtime.Handler = "fire cracker" },
			[]string{`Runtime.Handler: "fire cracker" is not a RuntimeClass handler: it must be a lowercase DNS-1123 label`}},
		// kube-apiserver refuses such a RuntimeClass.handler, though containerd takes the table.
		{"handler in upper case", func(c *Choice) { c.Runtime.Handler, c.Runtime.Class = "Bare_Metal", "bare-metal" },
			[]string{`Runtime.Handler: "Bare_Metal" is not a RuntimeClass handler`}},
		// feature.node.kubernetes.io/strata-runtime-<handler>: the name part holds 63.
		{"handler too long for its node label", func(c *Choice) { c.Runtime.Handler, c.Runtime.Class = strings.Repeat("h", 49), "h" },
			[]string{`is not a RuntimeClass handler: it must be a lowercase DNS-1123 label (a-z, 0-9 and '-', starting and ending with a letter or digit) of at most 48 characters`}},
		{"allowed handler", func(c *Choice) { c.Allowed = []Runtime{{Handler: "Kata_QEMU", Class: "kata", Layer: "L-1"}} },
			[]string{`Allowed[0].Handler: "Kata_QEMU" is not a RuntimeClass handler`}},
		{"option quoted badly", func(c *Choice) { c.Runtime.Options = map[string]string{"BinaryName": `"runc`} },
			[]string{`Runtime.Options: value of BinaryName: "runc is not a quoted string`}},
		{"integer option out of range", func(c *Choice) { c.Runtime.Options = map[string]string{"IoUid": "99999999999999999999"} },
			[]string{`Runtime.Options: value of IoUid: 99999999999999999999 is out of range for an integer option; quote it`}},
		// The engine's name and what enforces Z are written into Rego and shell comments.
		{"line break in the engine", func(c *Choice) { c.Policy.Engine = "evil\npackage x" },
			[]string{`Policy.Engine: "evil\npackage x" cannot be written into a comment`}},
		{"line separator in enforced-by", func(c *Choice) { c.Policy.EnforcedBy = "a\u2028b" },
			[]string{`Policy.EnforcedBy: "a\u2028b" cannot be written into a comment`}},
		// gator: "metadata.name: Too long: may not be more than 63 bytes".
		{"constraint name too long", func(c *Choice) { c.Workload = strings.Repeat("a", 48) },
			[]string{`Workload: "aaaa`, `is too long for the Gatekeeper constraint "` + strings.Repeat("a", 48) + `-runtime-classes" (Gatekeeper takes at most 63 characters); shorten it to 47`}},
		{"no shim", func(c *Choice) { c.Runtime.RuntimeType = "" },
			[]string{`Runtime.RuntimeType: "" is not a containerd runtime type`}},
		{"GPU without the capability", func(c *Choice) { c.GPU = 1; c.Runtime = spin },
			[]string{`GPU: runtime spin (handler spin) cannot use a GPU: it lacks the gpu capability`}},
		{"no layer", func(c *Choice) { c.Runtime.Layer = "" }, []string{`Runtime.Layer: "" is not an isolation layer L-0 … L-4`}},
		{"allowed class at no layer", func(c *Choice) { c.Allowed = []Runtime{{Handler: "x", Layer: "L-9"}} },
			[]string{`Allowed[0].Layer: "L-9" is not an isolation layer`}},
		{"option key", func(c *Choice) { c.Runtime.Options = map[string]string{"Binary Name": "x"} },
			[]string{`Runtime.Options: key "Binary Name" is not a containerd option name`}},
		{"option value", func(c *Choice) { c.Runtime.Options = map[string]string{"BinaryName": "x\ny"} },
			[]string{`Runtime.Options: value "x\ny" of BinaryName has characters a configuration file cannot hold`}},
		{"template action in a note", func(c *Choice) { c.Runtime.NodeNeeds = []string{"{{ .Evil }}"} },
			[]string{`Runtime.NodeNeeds: "{{ .Evil }}" cannot be a comment line`}},
		{"kind", func(c *Choice) { c.Kind = "StatefulSet" }, []string{`Kind: "StatefulSet" is not supported; use Deployment, Pod or Job`}},
		{"empty kind", func(c *Choice) { c.Kind = "" }, []string{`Kind: is empty; use Deployment, Pod or Job`}},
		{"Y disagrees with the layer", func(c *Choice) { c.Coordinates.Y = 3 }, []string{`Coordinates.Y: is 3 but the runtime's layer is L-4`}},
		{"X disagrees with the orchestrator", func(c *Choice) { c.Coordinates.X = 1 }, []string{`Coordinates.X: is 1 but K3s is X=2`}},
		{"manifest format", func(c *Choice) { c.Orchestrator.Name, c.Orchestrator.Manifests = "Nomad", "nomad" },
			[]string{`Orchestrator.Manifests: Nomad's manifests "nomad" is not a format strata writes; use one of docker, karmada, kubernetes`}},
		{"runtime config format", func(c *Choice) { c.Orchestrator.RuntimeConfig = "cri-o" },
			[]string{`Orchestrator.RuntimeConfig: K3s's runtime-config "cri-o" is not a format strata writes`}},
		{"relative config path", func(c *Choice) { c.Orchestrator.RuntimeConfigPath = "etc/containerd.toml" },
			[]string{`Orchestrator.RuntimeConfigPath: "etc/containerd.toml" is not an absolute path`}},
		{"docker files need docker's daemon config", func(c *Choice) { c.Orchestrator.Manifests = ManifestsDocker },
			[]string{`Orchestrator.RuntimeConfig: K3s writes docker files, so its runtime configuration must be docker-daemon`}},
		{"unknown policy objects", func(c *Choice) { c.Policy = Policy{Engine: "Kyverno", Objects: []string{"kyverno-policy"}} },
			[]string{`Policy.Objects: "kyverno-policy" (of Kyverno) is not an object set strata writes`}},
		{"Docker policy in a cluster", func(c *Choice) { c.Policy.Objects = []string{PolicyOPADockerAuthz} },
			[]string{`Policy.Objects: "opa-docker-authz" (of Gatekeeper) does not apply to kubernetes files`}},
		{"policy at Z=0", func(c *Choice) { c.Coordinates.Z = 0 }, []string{`Coordinates.Z: is 0 but policy objects`}},
		{"business rules without labels", func(c *Choice) {
			c.Labels = nil
			c.Policy.Objects = append(c.Policy.Objects, PolicyGatekeeperBusinessRules)
		}, []string{`Labels: are empty, but business rules`}},
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
		{"containerd version", func(c *Choice) { c.ContainerdConfigVersion = 1 }, []string{`ContainerdConfigVersion: is 1`}},
		{"every problem at once", func(c *Choice) { c.Workload = ""; c.Kind = "Service"; c.Runtime.Handler = "l x c" },
			[]string{"Workload: is empty", `Kind: "Service"`, `Runtime.Handler: "l x c"`}},
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

// TestOrchestratorConfiguresRuntime: an orchestrator whose own configuration declares the
// handler (K3s and runc) gets no node file for it, and one that does not (plain containerd)
// gets the table with the options from the data.
func TestOrchestratorConfiguresRuntime(t *testing.T) {
	c := valid()
	c.Runtime, c.Allowed, c.Coordinates.Y = runc, nil, 3
	for _, o := range buildCase(t, c) {
		if o.Kind == KindContainerdConfig {
			t.Errorf("K3s runc needs no node file, got %s", o.File)
		}
	}
	c.Orchestrator, c.Coordinates.X = kubernetes, 1
	node := find(t, buildCase(t, c), KindContainerdConfig)
	if r := node.Obj.(*ContainerdRuntime); r.Options["BinaryName"] != "runc" || r.K3s || r.Target != "/etc/containerd/config.toml" {
		t.Errorf("runc on containerd: %+v", r)
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

package manifest

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Choice is what the planner decided for one workload: everything [Build] needs and nothing
// it has to guess. Zero values of the optional fields take the defaults documented on them.
type Choice struct {
	Workload  string // name of the workload and of its objects; a DNS-1123 label
	Namespace string // default "default"
	Kind      string // KindDeployment, KindPod or KindJob
	Image     string // container image reference
	Replicas  int32  // Deployment replicas, or Job parallelism and completions; 0 means 1

	// Labels are added to the workload and its pods. Keys under strata.dev/ are reserved.
	Labels map[string]string

	// CPU and Memory are the container's requests, e.g. "100m" and "64Mi"; the limits are
	// set equal (Guaranteed QoS when both are given). Empty leaves the resource unset.
	CPU, Memory string

	// GPU is the number of nvidia.com/gpu devices, set as a limit. The handler must be able
	// to use one (see [Handlers]).
	GPU int

	// Orchestrator is "K3s", "Kubernetes", "Karmada", "Fleet" or "KubeEdge"; it must agree with X.
	// K3s gets a K3s containerd template, the others a /etc/containerd drop-in.
	Orchestrator string

	Coordinates Coordinates

	Runtime Runtime // the chosen isolation runtime
	// Allowed are the classes at least as strong as Runtime, which the Gatekeeper constraint
	// admits besides it; empty means just Runtime. An entry's Layer, when set, must be one its
	// handler provides; comparing strengths is the caller's part.
	Allowed []Runtime

	// Policy names the policy engine: "none" (Z=0), "NetworkPolicy" (Z=1), or "OPA",
	// "OPA-Wasm", "Gatekeeper", "business-rules" (Z ≥ 2; business-rules only at Z=4).
	// Z ≥ 1 emits a NetworkPolicy; Z ≥ 2 also the Gatekeeper ConstraintTemplate and Constraint.
	Policy string

	// Observability lists the chosen tools: "OTLP", "Prometheus", "Loki", "Grafana", "eBPF".
	// OTLP adds the OTEL_* environment and a Collector configuration, and the Collector
	// itself unless OTLPEndpoint names another; Prometheus adds scrape annotations and a
	// scrape job. The others need nothing in the workload's manifests.
	Observability []string

	Port        int32  // container port the workload serves; 0 for none
	MetricsPort int32  // port of /metrics when Prometheus is chosen; default Port, else 9090
	MetricsPath string // default "/metrics"

	// OTLPEndpoint is where the workload sends OTLP over HTTP. Empty means the workload's
	// own Collector: Build then deploys one (a Deployment and the Service
	// <workload>-otel-collector, running the configuration of the Collector ConfigMap) and
	// the endpoint is http://<workload>-otel-collector.<namespace>.svc:4318.
	//
	// Given, it is used as is, and Build deploys no Collector (the ConfigMap is still there
	// for a Collector of your own). At Z ≥ 1 the NetworkPolicy lets the workload reach it on
	// its TCP port (80 or 443 when the URL names none): a cluster Service URL
	// (NAME.NAMESPACE.svc or NAME.NAMESPACE.svc.cluster.local) opens that port towards the
	// pods of NAMESPACE; any other host, which a NetworkPolicy cannot name, opens the port
	// towards every address. A NetworkPolicy sees the pod's port, not the Service's, so a
	// Service URL must give the port its Collector pods listen on (as the default does).
	OTLPEndpoint string
	// OTLPUpstream, when set, is an OTLP/HTTP endpoint the Collector forwards to (otlphttp
	// exporter) besides its debug exporter. The NetworkPolicy does not concern it: it is the
	// Collector's egress, not the workload's, and the Collector's pods are not selected by
	// the workload's policies.
	OTLPUpstream string

	// MonitoringNamespace is where Prometheus runs; the NetworkPolicy admits scrapes from it.
	// Default "monitoring".
	MonitoringNamespace string

	// ContainerdConfigVersion is the containerd configuration schema of the nodes: 2 for
	// containerd 1.x (default), 3 for containerd 2.x (K3s then reads config-v3.toml.tmpl).
	ContainerdConfigVersion int
}

// Coordinates is the workload's point on the seed's axes: X orchestration scope (0–4),
// Y isolation layer (L-Y), Z policy level (0–4).
type Coordinates struct{ X, Y, Z int }

// String returns the form used in labels, e.g. "2-4-3".
func (c Coordinates) String() string { return fmt.Sprintf("%d-%d-%d", c.X, c.Y, c.Z) }

// Runtime is an isolation runtime as Kubernetes sees it: a RuntimeClass naming a containerd
// handler.
type Runtime struct {
	Class   string // RuntimeClass name, e.g. "gvisor"; default Handler
	Handler string // containerd handler, one of [Handlers]
	Layer   string // isolation layer "L-0" … "L-4"; must be one the handler provides

	// OverheadCPU and OverheadMemory are the RuntimeClass's overhead.podFixed, e.g. "250m"
	// and "160Mi" for a Kata VM; empty for none.
	OverheadCPU, OverheadMemory string

	// BinaryName overrides the OCI runtime binary of runc-type handlers (runc, crun); by
	// default the shim looks the handler's name up in PATH.
	BinaryName string
}

// Workload kinds [Build] can emit.
const (
	KindDeployment = "Deployment"
	KindPod        = "Pod"
	KindJob        = "Job"
)

// ErrInvalidChoice is wrapped by every validation error [Build] returns.
var ErrInvalidChoice = errors.New("invalid choice")

// FieldError is one problem with a [Choice]: the field and what is wrong with it.
// Build returns all of them at once, joined with [errors.Join].
type FieldError struct {
	Field   string // e.g. "Runtime.Handler"
	Message string // what is wrong and, where it helps, what to do
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Is reports whether target is [ErrInvalidChoice].
func (e *FieldError) Is(target error) bool { return target == ErrInvalidChoice }

// HandlerInfo describes a containerd runtime handler: how containerd runs it and what it
// can isolate.
type HandlerInfo struct {
	Name        string   // handler name, as in RuntimeClass.handler
	RuntimeType string   // containerd runtime_type (the shim)
	Layers      []string // isolation layers the handler provides
	Wasm        bool     // runs WebAssembly modules rather than Linux processes
	GPU         bool     // can give the workload an NVIDIA GPU
	NoGPU       string   // why not, when GPU is false
	ConfigPath  string   // shim configuration file passed as options.ConfigPath (Kata)
	RuncBinary  bool     // a runc-compatible OCI runtime, selected with options.BinaryName
}

// handlers is keyed by handler name. The shims are the real ones: containerd's runc v2
// shim (runc and crun), gVisor's containerd-shim-runsc-v1, Kata's containerd-shim-kata-v2
// (QEMU or Firecracker by configuration), runwasi's containerd-shim-wasmedge-v1 and
// SpinKube's containerd-shim-spin-v2.
var handlers = map[string]HandlerInfo{
	"runc": {Name: "runc", RuntimeType: "io.containerd.runc.v2", Layers: []string{"L-3"}, GPU: true, RuncBinary: true},
	"crun": {Name: "crun", RuntimeType: "io.containerd.runc.v2", Layers: []string{"L-3"}, GPU: true, RuncBinary: true},
	// gVisor reaches NVIDIA GPUs through nvproxy.
	"runsc": {Name: "runsc", RuntimeType: "io.containerd.runsc.v1", Layers: []string{"L-4"}, GPU: true},
	// Kata passes GPUs through with VFIO under QEMU; Firecracker has no PCI passthrough.
	// One layer each, as the network has it (kata-qemu represents L-1, kata-fc L-2) and the
	// host probe reports them: a class admitted at a layer it does not stand for would let
	// the Gatekeeper constraint admit a weaker runtime than the plan chose.
	"kata-qemu": {Name: "kata-qemu", RuntimeType: "io.containerd.kata.v2", Layers: []string{"L-1"}, GPU: true,
		ConfigPath: "/opt/kata/share/defaults/kata-containers/configuration-qemu.toml"},
	"kata-fc": {Name: "kata-fc", RuntimeType: "io.containerd.kata.v2", Layers: []string{"L-2"},
		NoGPU:      "Firecracker microVMs have no PCI passthrough; use kata-qemu",
		ConfigPath: "/opt/kata/share/defaults/kata-containers/configuration-fc.toml"},
	// WasmEdge reaches GPUs through its WASI-NN plugins (GGML with CUDA).
	"wasmedge": {Name: "wasmedge", RuntimeType: "io.containerd.wasmedge.v1", Layers: []string{"L-4"}, Wasm: true, GPU: true},
	"spin": {Name: "spin", RuntimeType: "io.containerd.spin.v2", Layers: []string{"L-4"}, Wasm: true,
		NoGPU: "the Spin shim exposes no devices to Spin apps (Spin's AI inferencing is a host service, not nvidia.com/gpu); use wasmedge with WASI-NN"},
}

// Handlers returns the runtime handlers [Build] knows, sorted by name.
func Handlers() []HandlerInfo {
	out := make([]HandlerInfo, 0, len(handlers))
	for _, name := range sortedKeys(handlers) {
		h := handlers[name]
		h.Layers = slices.Clone(h.Layers)
		out = append(out, h)
	}
	return out
}

// imageRef is the grammar of a container image reference: [host[:port]/]path[:tag][@digest],
// path components in lower case.
var imageRef = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?` +
	`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*` +
	`(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?` +
	`(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`)

// CheckImage reports whether ref is a container image reference a kubelet can pull, such
// as "ghcr.io/example/app:1.0" or "busybox".
func CheckImage(ref string) error {
	if len(ref) > 255 || !imageRef.MatchString(ref) {
		return fmt.Errorf("%q is not an image reference; give one such as %q", ref, "ghcr.io/example/app:1.0")
	}
	return nil
}

// orchestrators maps each orchestrator to its X coordinate.
var orchestrators = map[string]int{"Kubernetes": 1, "K3s": 2, "Karmada": 3, "Fleet": 3, "KubeEdge": 4}

// policies maps each policy engine to the Z levels it can stand for.
var policies = map[string][2]int{
	"none":           {0, 0},
	"NetworkPolicy":  {1, 1},
	"OPA":            {2, 4},
	"OPA-Wasm":       {2, 4},
	"Gatekeeper":     {2, 4},
	"business-rules": {4, 4},
}

// observabilityTools are the values Choice.Observability accepts.
var observabilityTools = []string{"OTLP", "Prometheus", "Loki", "Grafana", "eBPF"}

// reservedPrefix is the label prefix Build owns.
const reservedPrefix = "strata.dev/"

// spec is a validated Choice with its defaults applied.
type spec struct {
	Choice
	handler HandlerInfo
	allowed []string // allowed class names, sorted, deduplicated
	otlp    bool
	prom    bool
	// collector: Build deploys the workload's own Collector (OTLP chosen and no
	// OTLPEndpoint given), which the default endpoint names.
	collector bool
	observe   []string // sorted, deduplicated
}

// validate checks c and applies its defaults. It reports every problem, not just the first.
func validate(c Choice) (*spec, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	dns := func(field, value string, subdomain bool) {
		if value == "" {
			bad(field, "is empty; give a lowercase DNS-1123 name such as %q", "edge-app")
			return
		}
		var msgs []string
		if subdomain {
			msgs = validation.IsDNS1123Subdomain(value)
		} else {
			msgs = validation.IsDNS1123Label(value)
		}
		if len(msgs) > 0 {
			bad(field, "%q is not a valid name: %s", value, strings.Join(msgs, "; "))
		}
	}

	s := &spec{Choice: c}
	dns("Workload", c.Workload, false)
	if s.Namespace == "" {
		s.Namespace = "default"
	}
	dns("Namespace", s.Namespace, false)

	switch c.Kind {
	case KindDeployment, KindPod, KindJob:
	case "":
		bad("Kind", "is empty; use %s, %s or %s", KindDeployment, KindPod, KindJob)
	default:
		bad("Kind", "%q is not supported; use %s, %s or %s", c.Kind, KindDeployment, KindPod, KindJob)
	}
	if err := CheckImage(c.Image); err != nil {
		bad("Image", "%v", err)
	}
	switch {
	case c.Replicas < 0:
		bad("Replicas", "is %d; give 0 (meaning 1) or more", c.Replicas)
	case c.Replicas > 1 && c.Kind == KindPod:
		bad("Replicas", "a Pod is one replica, not %d; use Kind %s", c.Replicas, KindDeployment)
	}
	if s.Replicas == 0 {
		s.Replicas = 1
	}

	for _, k := range sortedKeys(c.Labels) {
		if strings.HasPrefix(k, reservedPrefix) {
			bad("Labels", "key %q is reserved: Build sets the %s labels itself", k, reservedPrefix)
			continue
		}
		for _, m := range validation.IsQualifiedName(k) {
			bad("Labels", "key %q: %s", k, m)
		}
		for _, m := range validation.IsValidLabelValue(c.Labels[k]) {
			bad("Labels", "value %q of %q: %s", c.Labels[k], k, m)
		}
	}
	quantity := func(field, v string) {
		if v == "" {
			return
		}
		if q, err := resource.ParseQuantity(v); err != nil {
			bad(field, "%q is not a Kubernetes quantity (e.g. \"250m\", \"64Mi\"): %v", v, err)
		} else if q.Sign() < 0 {
			bad(field, "%q is negative", v)
		}
	}
	quantity("CPU", c.CPU)
	quantity("Memory", c.Memory)
	quantity("Runtime.OverheadCPU", c.Runtime.OverheadCPU)
	quantity("Runtime.OverheadMemory", c.Runtime.OverheadMemory)

	// Orchestrator and X.
	if x, ok := orchestrators[c.Orchestrator]; !ok {
		bad("Orchestrator", "%q is not supported; use one of %s (X=0, a single Docker host, has no manifests)",
			c.Orchestrator, strings.Join(sortedKeys(orchestrators), ", "))
	} else if c.Coordinates.X != x {
		bad("Coordinates.X", "is %d but %s is X=%d", c.Coordinates.X, c.Orchestrator, x)
	}

	// Runtime, Y and the allowed classes.
	h, ok := handlers[c.Runtime.Handler]
	if !ok {
		bad("Runtime.Handler", "%q is not a known containerd handler; use one of %s",
			c.Runtime.Handler, strings.Join(sortedKeys(handlers), ", "))
	}
	s.handler = h
	if s.Runtime.Class == "" {
		s.Runtime.Class = s.Runtime.Handler
	}
	if ok {
		dns("Runtime.Class", s.Runtime.Class, true)
		switch {
		case !slices.Contains(h.Layers, c.Runtime.Layer):
			bad("Runtime.Layer", "%q: handler %s provides %s", c.Runtime.Layer, h.Name, strings.Join(h.Layers, " or "))
		case c.Runtime.Layer != fmt.Sprintf("L-%d", c.Coordinates.Y):
			bad("Coordinates.Y", "is %d but the runtime's layer is %s", c.Coordinates.Y, c.Runtime.Layer)
		}
		switch {
		case c.Runtime.BinaryName == "":
		case !h.RuncBinary:
			bad("Runtime.BinaryName", "handler %s is not runc-compatible; BinaryName applies to runc and crun only", h.Name)
		case strings.IndexFunc(c.Runtime.BinaryName, notPathRune) >= 0:
			bad("Runtime.BinaryName", "%q is not a program name or absolute path", c.Runtime.BinaryName)
		case h.Name == "runc" && c.Orchestrator == "K3s":
			// K3s's own template always declares the runc table; a second one from our
			// template would be a duplicate TOML table, and containerd would not start.
			bad("Runtime.BinaryName", "%q for runc under K3s: K3s configures runc itself; use the crun handler, or give the runtime its own handler name",
				c.Runtime.BinaryName)
		}
	}
	if c.GPU < 0 {
		bad("GPU", "is %d; give 0 or more", c.GPU)
	} else if c.GPU > 0 && ok && !h.GPU {
		kind := "handler"
		if h.Wasm {
			kind = "Wasm handler"
		}
		bad("GPU", "%s %q cannot use a GPU: %s", kind, h.Name, h.NoGPU)
	}
	allowed := []string{s.Runtime.Class}
	for i, r := range c.Allowed {
		class := r.Class
		if class == "" {
			class = r.Handler
		}
		dns(fmt.Sprintf("Allowed[%d]", i), class, true)
		// A class admitted at a layer its handler does not provide would claim a strength
		// it lacks; the caller (the planner) compares strengths, this only checks the claim.
		if ah, ok := handlers[r.Handler]; ok && r.Layer != "" && !slices.Contains(ah.Layers, r.Layer) {
			bad(fmt.Sprintf("Allowed[%d].Layer", i), "%q: handler %s provides %s", r.Layer, ah.Name, strings.Join(ah.Layers, " or "))
		}
		allowed = append(allowed, class)
	}
	slices.Sort(allowed)
	s.allowed = slices.Compact(allowed)

	// Policy and Z.
	if z, ok := policies[c.Policy]; !ok {
		bad("Policy", "%q is not supported; use one of %s", c.Policy, strings.Join(sortedKeys(policies), ", "))
	} else if c.Coordinates.Z < z[0] || c.Coordinates.Z > z[1] {
		if z[0] == z[1] {
			bad("Coordinates.Z", "is %d but policy %s is Z=%d", c.Coordinates.Z, c.Policy, z[0])
		} else {
			bad("Coordinates.Z", "is %d but policy %s is Z=%d…%d", c.Coordinates.Z, c.Policy, z[0], z[1])
		}
	}

	// Observability.
	for _, o := range c.Observability {
		if !slices.Contains(observabilityTools, o) {
			bad("Observability", "%q is not supported; use %s", o, strings.Join(observabilityTools, ", "))
			continue
		}
		s.observe = append(s.observe, o)
	}
	slices.Sort(s.observe)
	s.observe = slices.Compact(s.observe)
	s.otlp = slices.Contains(s.observe, "OTLP")
	s.prom = slices.Contains(s.observe, "Prometheus")

	port := func(field string, p int32) {
		if p < 0 || p > 65535 {
			bad(field, "%d is not a port (1–65535, or 0 for none)", p)
		}
	}
	port("Port", c.Port)
	port("MetricsPort", c.MetricsPort)
	if s.MetricsPort == 0 {
		s.MetricsPort = s.Port
		if s.MetricsPort == 0 {
			s.MetricsPort = 9090
		}
	}
	if s.MetricsPath == "" {
		s.MetricsPath = "/metrics"
	} else if !strings.HasPrefix(s.MetricsPath, "/") {
		bad("MetricsPath", "%q must start with /", s.MetricsPath)
	}
	endpoint := func(field, v string) {
		if v == "" {
			return
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			bad(field, "%q is not an http(s) URL such as %q", v, "http://otel-collector.observability.svc:4318")
		} else if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				bad(field, "%q: port %s is not 1–65535", v, p)
			}
		}
	}
	endpoint("OTLPEndpoint", c.OTLPEndpoint)
	endpoint("OTLPUpstream", c.OTLPUpstream)
	s.collector = s.otlp && c.OTLPEndpoint == ""
	if s.collector && len(s.collectorName()) > validation.DNS1123LabelMaxLength {
		bad("Workload", "%q is too long for the default Collector Service %q (63 characters at most); shorten it or set OTLPEndpoint",
			c.Workload, s.collectorName())
	} else if s.collector && len(validation.IsDNS1123Label(c.Workload)) == 0 && len(validation.IsDNS1035Label(s.collectorName())) > 0 {
		bad("Workload", "%q starts with a digit, and so would the default Collector Service %q, which must start with a letter; rename the workload or set OTLPEndpoint",
			c.Workload, s.collectorName())
	}
	if s.OTLPEndpoint == "" {
		s.OTLPEndpoint = fmt.Sprintf("http://%s.%s.svc:4318", s.collectorName(), s.Namespace)
	}
	if s.MonitoringNamespace == "" {
		s.MonitoringNamespace = "monitoring"
	}
	dns("MonitoringNamespace", s.MonitoringNamespace, false)
	switch s.ContainerdConfigVersion {
	case 0:
		s.ContainerdConfigVersion = 2
	case 2, 3:
	default:
		bad("ContainerdConfigVersion", "is %d; use 2 (containerd 1.x) or 3 (containerd 2.x)", c.ContainerdConfigVersion)
	}

	if len(errs) > 0 {
		return nil, fmt.Errorf("manifest for workload %q: %w", c.Workload, errors.Join(errs...))
	}
	return s, nil
}

// collectorName is the name of the OTel Collector's ConfigMap and, when Build deploys the
// Collector, of its Deployment and of the Service the default OTLPEndpoint names.
func (s *spec) collectorName() string { return s.Workload + "-otel-collector" }

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// notPathRune reports a rune that has no place in a program path written into containerd's
// configuration.
func notPathRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._/+-", r))
}

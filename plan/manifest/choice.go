package manifest

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Choice is what the planner decided for one workload: everything [Build] needs and nothing
// it has to guess. Every fact about a technology (the orchestrator's files, the runtime's
// shim and options, the policy engine's objects) is in the Choice, read by the planner from
// the network's data: Build knows file formats, not technology names. Zero values of the
// optional fields take the defaults documented on them.
type Choice struct {
	Workload  string // name of the workload and of its objects; a DNS-1123 label
	Namespace string // default "default"
	Kind      string // KindDeployment, KindPod or KindJob
	Image     string // container image reference
	Replicas  int32  // Deployment replicas, or Job parallelism and completions; 0 means 1

	// Labels are added to the workload and its pods. Keys under strata.dev/ are reserved.
	// At Z=4 with the gatekeeper-business-rules objects, the pods must carry them.
	Labels map[string]string

	// CPU and Memory are the container's requests, e.g. "100m" and "64Mi"; the limits are
	// set equal (Guaranteed QoS when both are given). Empty leaves the resource unset.
	CPU, Memory string

	// GPU is the number of nvidia.com/gpu devices, set as a limit. The runtime must have
	// the gpu capability (Runtime.GPU).
	GPU int

	Orchestrator Orchestrator
	Coordinates  Coordinates

	Runtime Runtime // the chosen isolation runtime
	// Allowed are the classes at least as strong as Runtime, which the admission policies
	// admit besides it; empty means just Runtime. Comparing strengths is the caller's part.
	Allowed []Runtime

	Policy Policy

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
	// containerd 1.x (default), 3 for containerd 2.x (Orchestrator.RuntimeConfigPathV3).
	ContainerdConfigVersion int
}

// Coordinates is the workload's point on the seed's axes: X orchestration scope (0–4),
// Y isolation layer (L-Y), Z policy level (0–4).
type Coordinates struct{ X, Y, Z int }

// String returns the form used in labels, e.g. "2-4-3".
func (c Coordinates) String() string { return fmt.Sprintf("%d-%d-%d", c.X, c.Y, c.Z) }

// Manifest formats: what the workload is written as (Orchestrator.Manifests).
const (
	// ManifestsDocker: a Compose file and a docker run line (X=0, a single host).
	ManifestsDocker = "docker"
	// ManifestsKubernetes: Kubernetes objects applied to the cluster.
	ManifestsKubernetes = "kubernetes"
	// ManifestsKarmada: Kubernetes objects applied to Karmada's control plane, with a
	// PropagationPolicy and a ClusterPropagationPolicy that place them on member clusters.
	ManifestsKarmada = "karmada"
)

// Runtime registration formats (Orchestrator.RuntimeConfig).
const (
	// RuntimeConfigContainerd: containerd tables to merge into the node's configuration
	// (containerd 1.x), or a drop-in (containerd 2.x).
	RuntimeConfigContainerd = "containerd"
	// RuntimeConfigK3s: a K3s containerd configuration template that renders K3s's own
	// configuration first.
	RuntimeConfigK3s = "containerd-k3s"
	// RuntimeConfigDocker: the runtimes entry of Docker's daemon.json.
	RuntimeConfigDocker = "docker-daemon"
)

// Orchestrator is the technology at X, as the emitter needs it.
type Orchestrator struct {
	Name string // the technology's id in the network, e.g. "K3s"
	X    int    // the X coordinate it represents

	Manifests     string // ManifestsDocker, ManifestsKubernetes or ManifestsKarmada
	RuntimeConfig string // RuntimeConfigContainerd, RuntimeConfigK3s or RuntimeConfigDocker
	// RuntimeConfigPath is where the node file goes; RuntimeConfigPathV3 for containerd 2.x
	// (default RuntimeConfigPath). "{handler}" is replaced by the handler's name.
	RuntimeConfigPath, RuntimeConfigPathV3 string
	// ConfiguresRuntimes are the handlers the orchestrator's own configuration declares (K3s
	// and Docker: runc): Build writes no node file for them, since a second declaration of
	// the table would stop containerd.
	ConfiguresRuntimes []string
	// NodeSelector are labels every node that runs the workload carries (KubeEdge's edge
	// nodes: node-role.kubernetes.io/edge=""), added to the pods' node selection.
	NodeSelector map[string]string
	// NodeNeeds say what else each node needs, as comments in the node file.
	NodeNeeds []string
	// NodeAgentConfig is the node agent's configuration Build writes beside the runtime's
	// (NodeAgentEdgeCore: the edge node's edgecore.yaml), or "" for none; it goes at
	// NodeAgentConfigPath and points the agent at RuntimeEndpoint, the CRI socket of the
	// containerd the node file configures (e.g. unix:///run/containerd/containerd.sock).
	NodeAgentConfig, NodeAgentConfigPath, RuntimeEndpoint string
}

// Runtime is an isolation runtime as containerd and Kubernetes see it: a RuntimeClass naming
// a containerd handler, and the table that registers the handler.
type Runtime struct {
	Name    string // the technology's id in the network, e.g. "WasmEdge"; default Handler
	Class   string // RuntimeClass name, e.g. "gvisor"; default Handler
	Handler string // containerd handler, the table name
	Layer   string // isolation layer "L-0" … "L-4" the runtime represents

	RuntimeType string // containerd runtime_type (the shim), e.g. io.containerd.wasmedge.v1
	// Options is the handler's options table (BinaryName, ConfigPath, SystemdCgroup, …).
	// containerd decodes it into the shim's own options type, so each value keeps a type
	// (see [OptionValue]): true and false are booleans, a decimal number is an integer, a
	// value in double quotes is the string inside them, anything else a string.
	Options        map[string]string
	PodAnnotations []string // pod annotations containerd passes to the shim
	// PrivilegedWithoutHostDevices: privileged pods get no host devices (VM runtimes).
	PrivilegedWithoutHostDevices bool

	GPU        bool              // can give the workload an NVIDIA GPU
	GPUOptions map[string]string // options added when the workload has a GPU, typed as Options

	NodeNeeds, GPUNodeNeeds []string // what else a node needs, as comments in the node file

	// OverheadCPU and OverheadMemory are the RuntimeClass's overhead.podFixed, e.g. "250m"
	// and "160Mi" for a Kata VM; empty for none.
	OverheadCPU, OverheadMemory string
}

// Policy object sets: the objects that enforce a policy level (Policy.Objects).
const (
	// PolicyNetworkPolicy: a default-deny NetworkPolicy for the workload (infrastructure, Z=1).
	PolicyNetworkPolicy = "network-policy"
	// PolicyOPADockerAuthz: an OPA policy for Docker's authorization plugin (opa-docker-authz)
	// that refuses to create the workload's containers under another runtime (runtime, Z=2).
	PolicyOPADockerAuthz = "opa-docker-authz"
	// PolicyOPAAdmission: an admission policy for OPA as the cluster's admission controller
	// (a ConfigMap kube-mgmt loads), denying the workload's pods a weaker runtime class.
	PolicyOPAAdmission = "opa-admission"
	// PolicyOPAWasm: a policy the workload's platform compiles to Wasm (opa build -t wasm)
	// and evaluates on every invocation, refusing to run under a weaker runtime class.
	PolicyOPAWasm = "opa-wasm"
	// PolicyGatekeeperRuntimeClasses: a Gatekeeper ConstraintTemplate and Constraint that
	// deny the workload's pods a weaker runtime class (application, Z=3).
	PolicyGatekeeperRuntimeClasses = "gatekeeper-runtime-classes"
	// PolicyGatekeeperBusinessRules: a Gatekeeper ConstraintTemplate and Constraint that
	// deny the workload's pods without the labels the workload names (business, Z=4).
	PolicyGatekeeperBusinessRules = "gatekeeper-business-rules"
	// PolicyValidatingAdmissionPolicy: a ValidatingAdmissionPolicy and its binding
	// (admissionregistration.k8s.io/v1) with which kube-apiserver itself, in CEL and with
	// no policy engine installed, denies the workload's pods a runtime class not allowed.
	PolicyValidatingAdmissionPolicy = "validating-admission-policy-runtime-classes"
)

// Policy is what enforces the workload's Z.
type Policy struct {
	// Engine is the policy engine the plan chose (its id in the network), or "" when no
	// engine was asked for and the stack implies Z by itself.
	Engine string
	// Objects are the object sets to emit: the engine's and those of every weaker level the
	// plan keeps (NetworkPolicy at Z ≥ 1). Empty emits no policy.
	Objects []string
	// EnforcedBy says, for the files' comments, what enforces Z when no engine does (e.g.
	// "WasmEdge's sandbox (policy-level 3)").
	EnforcedBy string
	// Pin is the technology (its id in the network) whose objects among Objects pin the
	// workload's pods to their runtime classes at admission when the engine's do not (e.g.
	// "ValidatingAdmissionPolicy"), or "". Those objects name it as their engine.
	Pin string
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

// imageRef is the grammar of a container image reference: [host[:port]/]path[:tag][@digest],
// path components in lower case.
var imageRef = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?` +
		`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*` +
		`(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?` +
		`(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`)
}) // compiled on first use: most commands never check an image

// CheckImage reports whether ref is a container image reference a kubelet can pull, such
// as "ghcr.io/example/app:1.0" or "busybox".
func CheckImage(ref string) error {
	if len(ref) > 255 || !imageRef().MatchString(ref) {
		return fmt.Errorf("%q is not an image reference; give one such as %q", ref, "ghcr.io/example/app:1.0")
	}
	return nil
}

// CheckHandler reports whether h can be a runtime handler: kube-apiserver takes a
// RuntimeClass handler only as a lowercase DNS-1123 label, and the node label that says a
// node runs it ([RuntimeLabel]) must be a label key, whose name part holds 63 characters.
// The error says what a handler must be, not which value failed.
func CheckHandler(h string) error {
	if len(validation.IsDNS1123Label(h)) > 0 || len(validation.IsQualifiedName(RuntimeLabel(h))) > 0 {
		return fmt.Errorf("it must be a lowercase DNS-1123 label (a-z, 0-9 and '-', starting and ending with a letter or digit) of at most %d characters, so that the node label %s fits",
			maxHandler, RuntimeLabel("<handler>"))
	}
	return nil
}

// maxHandler is the longest handler whose [RuntimeLabel] is a label key.
var maxHandler = validation.DNS1123LabelMaxLength - len(strings.TrimPrefix(RuntimeLabel(""), NFDPrefix))

// OptionValue is the typed value of a runtime option written as text (see
// [Runtime].Options): a bool for true and false, an int64 for a decimal integer, the
// string inside double quotes, any other text as it is.
func OptionValue(text string) (any, error) {
	switch {
	case text == "true":
		return true, nil
	case text == "false":
		return false, nil
	case isDecimal(text):
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s is out of range for an integer option; quote it (\"%s\") for a string", text, text)
		}
		return n, nil
	case strings.HasPrefix(text, `"`):
		s, err := strconv.Unquote(text)
		if err != nil {
			return nil, fmt.Errorf("%s is not a quoted string: %v", text, err)
		}
		return s, nil
	}
	return text, nil
}

// isDecimal reports whether text is a decimal integer, optionally negative.
func isDecimal(text string) bool {
	digits := strings.TrimPrefix(text, "-")
	return digits != "" && strings.Trim(digits, "0123456789") == ""
}

// runtimeClassPolicies are the object sets that keep the workload's pods (or containers) on
// the runtime classes the plan allows.
var runtimeClassPolicies = []string{PolicyGatekeeperRuntimeClasses, PolicyOPAAdmission, PolicyOPADockerAuthz, PolicyOPAWasm, PolicyValidatingAdmissionPolicy}

// KeepsRuntimeClass reports whether a policy object set keeps the workload on the runtime
// classes the plan allows (an admission or invocation policy over runtimeClassName), as
// opposed to one that governs something else (the NetworkPolicy, the business rules).
func KeepsRuntimeClass(set string) bool { return slices.Contains(runtimeClassPolicies, set) }

// admissionPins are the object sets that deny the workload's pods (or containers) a runtime
// class not allowed when they are created, before anything runs: admission policies, and
// Docker's authorization of container creation. An invocation policy (opa-wasm) keeps the
// runtime class too, but only where the platform asks it, after the pod runs.
var admissionPins = []string{PolicyGatekeeperRuntimeClasses, PolicyOPAAdmission, PolicyOPADockerAuthz, PolicyValidatingAdmissionPolicy}

// PinsRuntimeClass reports whether a policy object set pins the workload to the runtime
// classes the plan allows when its pods or containers are created (see admissionPins), so
// that nothing of the workload runs under a weaker one.
func PinsRuntimeClass(set string) bool { return slices.Contains(admissionPins, set) }

// businessRulePolicies are the object sets that enforce the business rules a workload names
// (Z=4).
var businessRulePolicies = []string{PolicyGatekeeperBusinessRules}

// EnforcesBusinessRules reports whether a policy object set enforces the business rules the
// workload names (the labels its pods must carry), which Z=4 stands for.
func EnforcesBusinessRules(set string) bool { return slices.Contains(businessRulePolicies, set) }

// The formats and object sets Build can write.
var (
	manifestFormats = []string{ManifestsDocker, ManifestsKarmada, ManifestsKubernetes}
	runtimeConfigs  = []string{RuntimeConfigContainerd, RuntimeConfigK3s, RuntimeConfigDocker}
	policyObjects   = []string{PolicyGatekeeperBusinessRules, PolicyGatekeeperRuntimeClasses, PolicyNetworkPolicy, PolicyOPAAdmission, PolicyOPADockerAuthz, PolicyOPAWasm, PolicyValidatingAdmissionPolicy}
	// Which object sets go with which files: the rest are Kubernetes objects.
	dockerOnlyPolicy = []string{PolicyOPADockerAuthz}
	anyFilesPolicy   = []string{PolicyOPAWasm}
)

// observabilityTools are the values Choice.Observability accepts.
var observabilityTools = []string{"OTLP", "Prometheus", "Loki", "Grafana", "eBPF"}

// reservedPrefix is the label prefix Build owns.
const reservedPrefix = "strata.dev/"

// spec is a validated Choice with its defaults applied.
type spec struct {
	Choice
	allowed []string // allowed class names, sorted, deduplicated
	// handlers maps each allowed class to the containerd handler the plan gave it: the
	// policy objects deny a RuntimeClass of that name with another handler, which would
	// otherwise run the pinned pods under whatever the handler names.
	handlers map[string]string
	objects  []string // policy object sets, sorted, deduplicated
	otlp     bool
	prom     bool
	// collector: Build deploys the workload's own Collector (OTLP chosen and no
	// OTLPEndpoint given), which the default endpoint names.
	collector bool
	observe   []string // sorted, deduplicated
}

// problems collects a Choice's problems, each a *FieldError.
type problems []error

func (ps *problems) add(field, format string, args ...any) {
	*ps = append(*ps, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// dns checks a DNS-1123 label (or subdomain).
func (ps *problems) dns(field, value string, subdomain bool) {
	if value == "" {
		ps.add(field, "is empty; give a lowercase DNS-1123 name such as %q", "edge-app")
		return
	}
	var msgs []string
	if subdomain {
		msgs = validation.IsDNS1123Subdomain(value)
	} else {
		msgs = validation.IsDNS1123Label(value)
	}
	if len(msgs) > 0 {
		ps.add(field, "%q is not a valid name: %s", value, strings.Join(msgs, "; "))
	}
}

// quantity checks a Kubernetes resource quantity; empty is fine.
func (ps *problems) quantity(field, v string) {
	if v == "" {
		return
	}
	if q, err := resource.ParseQuantity(v); err != nil {
		ps.add(field, "%q is not a Kubernetes quantity (e.g. \"250m\", \"64Mi\"): %v", v, err)
	} else if q.Sign() < 0 {
		ps.add(field, "%q is negative", v)
	}
}

// validate checks c and applies its defaults, one section at a time. It reports every
// problem, not just the first.
func validate(c Choice) (*spec, error) {
	var ps problems
	s := &spec{Choice: c}
	for _, section := range []func(*spec, *problems){
		validateWorkload, validateLabels, validateResources, validateOrchestrator,
		validateRuntime, validateAllowed, validatePolicy, validateObservability, validateContainerd,
	} {
		section(s, &ps)
	}
	if len(ps) > 0 {
		return nil, fmt.Errorf("manifest for workload %q: %w", c.Workload, errors.Join(ps...))
	}
	return s, nil
}

// validateWorkload: the name, namespace, kind, image and replicas.
func validateWorkload(s *spec, ps *problems) {
	ps.dns("Workload", s.Workload, false)
	if s.Namespace == "" {
		s.Namespace = "default"
	}
	ps.dns("Namespace", s.Namespace, false)
	switch s.Kind {
	case KindDeployment, KindPod, KindJob:
	case "":
		ps.add("Kind", "is empty; use %s, %s or %s", KindDeployment, KindPod, KindJob)
	default:
		ps.add("Kind", "%q is not supported; use %s, %s or %s", s.Kind, KindDeployment, KindPod, KindJob)
	}
	if err := CheckImage(s.Image); err != nil {
		ps.add("Image", "%v", err)
	}
	switch {
	case s.Replicas < 0:
		ps.add("Replicas", "is %d; give 0 (meaning 1) or more", s.Replicas)
	case s.Replicas > 1 && s.Kind == KindPod:
		ps.add("Replicas", "a Pod is one replica, not %d; use Kind %s", s.Replicas, KindDeployment)
	}
	if s.Replicas == 0 {
		s.Replicas = 1
	}
}

// validateLabels: the user's labels, outside the reserved prefix.
func validateLabels(s *spec, ps *problems) {
	for _, k := range sortedKeys(s.Labels) {
		if strings.HasPrefix(k, reservedPrefix) {
			ps.add("Labels", "key %q is reserved: Build sets the %s labels itself", k, reservedPrefix)
			continue
		}
		for _, m := range validation.IsQualifiedName(k) {
			ps.add("Labels", "key %q: %s", k, m)
		}
		for _, m := range validation.IsValidLabelValue(s.Labels[k]) {
			ps.add("Labels", "value %q of %q: %s", s.Labels[k], k, m)
		}
	}
}

// validateResources: CPU, memory and GPU requests.
func validateResources(s *spec, ps *problems) {
	ps.quantity("CPU", s.CPU)
	ps.quantity("Memory", s.Memory)
	if s.GPU < 0 {
		ps.add("GPU", "is %d; give 0 or more", s.GPU)
	} else if s.GPU > 0 && !s.Runtime.GPU {
		ps.add("GPU", "runtime %s (handler %s) cannot use a GPU: it lacks the gpu capability", s.Runtime.name(), s.Runtime.Handler)
	}
}

// validateOrchestrator: X and the formats the orchestrator's files take.
func validateOrchestrator(s *spec, ps *problems) {
	o := s.Orchestrator
	if o.Name == "" {
		ps.add("Orchestrator.Name", "is empty; name the orchestrator the plan chose")
	}
	if s.Coordinates.X != o.X {
		ps.add("Coordinates.X", "is %d but %s is X=%d", s.Coordinates.X, o.Name, o.X)
	}
	if !slices.Contains(manifestFormats, o.Manifests) {
		ps.add("Orchestrator.Manifests", "%s's manifests %q is not a format strata writes; use one of %s (the orchestrator's manifests attribute)",
			o.Name, o.Manifests, strings.Join(manifestFormats, ", "))
	}
	if !slices.Contains(runtimeConfigs, o.RuntimeConfig) {
		ps.add("Orchestrator.RuntimeConfig", "%s's runtime-config %q is not a format strata writes; use one of %s",
			o.Name, o.RuntimeConfig, strings.Join(runtimeConfigs, ", "))
	}
	if (o.Manifests == ManifestsDocker) != (o.RuntimeConfig == RuntimeConfigDocker) && o.Manifests != "" && o.RuntimeConfig != "" {
		ps.add("Orchestrator.RuntimeConfig", "%s writes %s files, so its runtime configuration must be %s and vice versa (it is %s)",
			o.Name, o.Manifests, RuntimeConfigDocker, o.RuntimeConfig)
	}
	if o.RuntimeConfigPath == "" || !strings.HasPrefix(o.RuntimeConfigPath, "/") || strings.IndexFunc(o.RuntimeConfigPath, notPathRune) >= 0 {
		ps.add("Orchestrator.RuntimeConfigPath", "%q is not an absolute path (the orchestrator's runtime-config-path attribute)", o.RuntimeConfigPath)
	}
	if p := o.RuntimeConfigPathV3; p != "" && (!strings.HasPrefix(p, "/") || strings.IndexFunc(p, notPathRune) >= 0) {
		ps.add("Orchestrator.RuntimeConfigPathV3", "%q is not an absolute path", p)
	}
	for _, k := range sortedKeys(o.NodeSelector) {
		for _, m := range validation.IsQualifiedName(k) {
			ps.add("Orchestrator.NodeSelector", "key %q: %s", k, m)
		}
		for _, m := range validation.IsValidLabelValue(o.NodeSelector[k]) {
			ps.add("Orchestrator.NodeSelector", "value %q of %q: %s", o.NodeSelector[k], k, m)
		}
	}
	for _, n := range o.NodeNeeds {
		ps.comment("Orchestrator.NodeNeeds", n)
	}
	validateNodeAgent(o, ps)
}

// validateNodeAgent: the node agent's configuration, its path and the CRI endpoint it uses.
func validateNodeAgent(o Orchestrator, ps *problems) {
	if o.NodeAgentConfig == "" {
		if o.NodeAgentConfigPath != "" || o.RuntimeEndpoint != "" {
			ps.add("Orchestrator.NodeAgentConfig", "is empty, but %s gives a node agent path or runtime endpoint; name the format (one of %s) or drop them",
				o.Name, strings.Join(nodeAgentConfigs, ", "))
		}
		return
	}
	if !slices.Contains(nodeAgentConfigs, o.NodeAgentConfig) {
		ps.add("Orchestrator.NodeAgentConfig", "%s's node-agent-config %q is not a format strata writes; use one of %s",
			o.Name, o.NodeAgentConfig, strings.Join(nodeAgentConfigs, ", "))
	} else if o.Manifests != ManifestsKubernetes || (o.RuntimeConfig != RuntimeConfigContainerd && o.RuntimeConfig != "") {
		ps.add("Orchestrator.NodeAgentConfig", "%s's node agent (%s) runs Kubernetes pods through containerd, but its files are %s with %s",
			o.Name, o.NodeAgentConfig, o.Manifests, o.RuntimeConfig)
	}
	if p := o.NodeAgentConfigPath; !strings.HasPrefix(p, "/") || strings.IndexFunc(p, notPathRune) >= 0 || strings.ContainsAny(p, "{}") {
		ps.add("Orchestrator.NodeAgentConfigPath", "%q is not an absolute path (the orchestrator's node-agent-config-path attribute)", p)
	}
	if e := o.RuntimeEndpoint; !strings.HasPrefix(e, "unix:///") || strings.IndexFunc(strings.TrimPrefix(e, "unix://"), notPathRune) >= 0 || strings.ContainsAny(e, "{}") || strings.Contains(e, "/../") {
		ps.add("Orchestrator.RuntimeEndpoint", "%q is not a CRI endpoint unix:///PATH such as unix:///run/containerd/containerd.sock (the orchestrator's runtime-endpoint attribute)", e)
	}
}

// validateRuntime: the chosen runtime's class, handler, shim and layer, and Y.
func validateRuntime(s *spec, ps *problems) {
	r := &s.Runtime
	if r.Class == "" {
		r.Class = r.Handler
	}
	checkRuntime(ps, "Runtime", *r)
	if r.Layer != fmt.Sprintf("L-%d", s.Coordinates.Y) {
		ps.add("Coordinates.Y", "is %d but the runtime's layer is %s", s.Coordinates.Y, r.Layer)
	}
	ps.quantity("Runtime.OverheadCPU", r.OverheadCPU)
	ps.quantity("Runtime.OverheadMemory", r.OverheadMemory)
}

// checkRuntime checks what a runtime needs to be registered and named.
func checkRuntime(ps *problems, field string, r Runtime) {
	class := r.Class
	if class == "" {
		class = r.Handler
	}
	ps.dns(field+".Class", class, true)
	if err := CheckHandler(r.Handler); err != nil {
		ps.add(field+".Handler", "%q is not a RuntimeClass handler: %v (the runtime's handler attribute)", r.Handler, err)
	}
	if !layerName.MatchString(r.Layer) {
		ps.add(field+".Layer", "%q is not an isolation layer L-0 … L-4 (the runtime represents no layer)", r.Layer)
	}
	if r.RuntimeType == "" || strings.IndexFunc(r.RuntimeType, notPathRune) >= 0 {
		ps.add(field+".RuntimeType", "%q is not a containerd runtime type such as io.containerd.runc.v2 (the runtime's runtime-type attribute)", r.RuntimeType)
	}
	for name, opts := range map[string]map[string]string{"Options": r.Options, "GPUOptions": r.GPUOptions} {
		for _, k := range sortedKeys(opts) {
			if k == "" || strings.IndexFunc(k, notTOMLKeyRune) >= 0 {
				ps.add(field+"."+name, "key %q is not a containerd option name", k)
			}
			if strings.IndexFunc(opts[k], notPrintable) >= 0 {
				ps.add(field+"."+name, "value %q of %s has characters a configuration file cannot hold", opts[k], k)
			} else if _, err := OptionValue(opts[k]); err != nil {
				ps.add(field+"."+name, "value of %s: %v", k, err)
			}
		}
	}
	for _, a := range r.PodAnnotations {
		if a == "" || strings.IndexFunc(a, notPrintable) >= 0 || strings.ContainsAny(a, `"\`) {
			ps.add(field+".PodAnnotations", "%q is not an annotation pattern", a)
		}
	}
	for _, n := range append(slices.Clone(r.NodeNeeds), r.GPUNodeNeeds...) {
		ps.comment(field+".NodeNeeds", n)
	}
}

var layerName = regexp.MustCompile(`^L-[0-4]$`)

// comment checks a text that becomes a comment line in a node file: printable, one line,
// and (for K3s templates, which execute actions) free of template delimiters.
func (ps *problems) comment(field, text string) {
	if strings.IndexFunc(text, notPrintable) >= 0 || strings.Contains(text, "{{") || strings.Contains(text, "}}") {
		ps.add(field, "%q cannot be a comment line: one line of printable text without {{ or }}", text)
	}
}

// validateAllowed: the classes admitted besides the chosen one.
func validateAllowed(s *spec, ps *problems) {
	allowed := []string{s.Runtime.Class}
	s.handlers = map[string]string{s.Runtime.Class: s.Runtime.Handler}
	for i, r := range s.Allowed {
		field := fmt.Sprintf("Allowed[%d]", i)
		class := r.Class
		if class == "" {
			class = r.Handler
		}
		if h, ok := s.handlers[class]; ok && h != r.Handler {
			ps.add(field+".Handler", "%q differs from handler %q, which class %q already has: a RuntimeClass has one handler", r.Handler, h, class)
		}
		s.handlers[class] = r.Handler
		ps.dns(field+".Class", class, true)
		if err := CheckHandler(r.Handler); err != nil {
			ps.add(field+".Handler", "%q is not a RuntimeClass handler: %v", r.Handler, err)
		}
		if r.Layer != "" && !layerName.MatchString(r.Layer) {
			ps.add(field+".Layer", "%q is not an isolation layer L-0 … L-4", r.Layer)
		}
		allowed = append(allowed, class)
	}
	slices.Sort(allowed)
	s.allowed = slices.Compact(allowed)
}

// validatePolicy: Z and the object sets that enforce it.
func validatePolicy(s *spec, ps *problems) {
	if s.Coordinates.Z < 0 || s.Coordinates.Z > 4 {
		ps.add("Coordinates.Z", "is %d; Z is 0 … 4", s.Coordinates.Z)
	}
	for _, o := range s.Policy.Objects {
		switch {
		case !slices.Contains(policyObjects, o):
			ps.add("Policy.Objects", "%q (of %s) is not an object set strata writes; use %s (the engine's policy-objects attribute)",
				o, s.Policy.Engine, strings.Join(policyObjects, ", "))
		case !slices.Contains(anyFilesPolicy, o) && (s.Orchestrator.Manifests == ManifestsDocker) != slices.Contains(dockerOnlyPolicy, o):
			ps.add("Policy.Objects", "%q (of %s) does not apply to %s files", o, s.Policy.Engine, s.Orchestrator.Manifests)
		default:
			s.objects = append(s.objects, o)
		}
	}
	slices.Sort(s.objects)
	s.objects = slices.Compact(s.objects)
	if len(s.objects) > 0 && s.Coordinates.Z == 0 {
		ps.add("Coordinates.Z", "is 0 but policy objects %s are to be emitted", strings.Join(s.objects, ", "))
	}
	// Engine and EnforcedBy are written into comments of Rego and shell files.
	for field, v := range map[string]string{"Policy.Engine": s.Policy.Engine, "Policy.EnforcedBy": s.Policy.EnforcedBy, "Policy.Pin": s.Policy.Pin} {
		if strings.IndexFunc(v, isLineBreak) >= 0 {
			ps.add(field, "%q cannot be written into a comment: it holds a line break or control character", v)
		}
	}
	// Gatekeeper takes constraint names of at most 63 characters.
	for set, suffix := range constraintSuffixes {
		if name := s.Workload + suffix; s.hasPolicy(set) && len(name) > validation.DNS1123LabelMaxLength {
			ps.add("Workload", "%q is too long for the Gatekeeper constraint %q (Gatekeeper takes at most %d characters); shorten it to %d",
				s.Workload, name, validation.DNS1123LabelMaxLength, validation.DNS1123LabelMaxLength-len(suffix))
		}
	}
	if s.hasPolicy(PolicyGatekeeperBusinessRules) && len(s.Labels) == 0 {
		ps.add("Labels", "are empty, but business rules (%s) require the pods to carry the labels the workload names; give the workload labels", PolicyGatekeeperBusinessRules)
	}
}

// validateObservability: the tools, ports and OTLP endpoints.
func validateObservability(s *spec, ps *problems) {
	for _, o := range s.Observability {
		if !slices.Contains(observabilityTools, o) {
			ps.add("Observability", "%q is not supported; use %s", o, strings.Join(observabilityTools, ", "))
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
			ps.add(field, "%d is not a port (1–65535, or 0 for none)", p)
		}
	}
	port("Port", s.Port)
	port("MetricsPort", s.MetricsPort)
	if s.MetricsPort == 0 {
		s.MetricsPort = s.Port
		if s.MetricsPort == 0 {
			s.MetricsPort = 9090
		}
	}
	if s.MetricsPath == "" {
		s.MetricsPath = "/metrics"
	} else if !strings.HasPrefix(s.MetricsPath, "/") {
		ps.add("MetricsPath", "%q must start with /", s.MetricsPath)
	}
	endpoint := func(field, v string) {
		if v == "" {
			return
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			ps.add(field, "%q is not an http(s) URL such as %q", v, "http://otel-collector.observability.svc:4318")
		} else if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				ps.add(field, "%q: port %s is not 1–65535", v, p)
			}
		}
	}
	endpoint("OTLPEndpoint", s.OTLPEndpoint)
	endpoint("OTLPUpstream", s.OTLPUpstream)
	// A single Docker host has no cluster Service to put a Collector behind.
	s.collector = s.otlp && s.OTLPEndpoint == "" && s.Orchestrator.Manifests != ManifestsDocker
	if s.collector && len(s.collectorName()) > validation.DNS1123LabelMaxLength {
		ps.add("Workload", "%q is too long for the default Collector Service %q (63 characters at most); shorten it or set OTLPEndpoint",
			s.Workload, s.collectorName())
	} else if s.collector && len(validation.IsDNS1123Label(s.Workload)) == 0 && len(validation.IsDNS1035Label(s.collectorName())) > 0 {
		ps.add("Workload", "%q starts with a digit, and so would the default Collector Service %q, which must start with a letter; rename the workload or set OTLPEndpoint",
			s.Workload, s.collectorName())
	}
	if s.OTLPEndpoint == "" && s.collector {
		s.OTLPEndpoint = fmt.Sprintf("http://%s.%s.svc:4318", s.collectorName(), s.Namespace)
	}
	if s.MonitoringNamespace == "" {
		s.MonitoringNamespace = "monitoring"
	}
	ps.dns("MonitoringNamespace", s.MonitoringNamespace, false)
}

// validateContainerd: the nodes' configuration schema.
func validateContainerd(s *spec, ps *problems) {
	switch s.ContainerdConfigVersion {
	case 0:
		s.ContainerdConfigVersion = 2
	case 2, 3:
	default:
		ps.add("ContainerdConfigVersion", "is %d; use 2 (containerd 1.x) or 3 (containerd 2.x)", s.ContainerdConfigVersion)
	}
}

// collectorName is the name of the OTel Collector's ConfigMap and, when Build deploys the
// Collector, of its Deployment and of the Service the default OTLPEndpoint names.
func (s *spec) collectorName() string { return s.Workload + "-otel-collector" }

// hasPolicy reports whether the object set is to be emitted.
func (s *spec) hasPolicy(set string) bool { return slices.Contains(s.objects, set) }

// name is the runtime's name for messages.
func (r Runtime) name() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Handler
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// notPathRune reports a rune that has no place in a program path or shim name written into
// a configuration file.
func notPathRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._/+-{}", r))
}

// notTOMLKeyRune reports a rune a bare TOML key cannot hold.
func notTOMLKeyRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}

// isLineBreak reports a rune that would end a comment line or hide text (control
// characters and Unicode's line and paragraph separators).
func isLineBreak(r rune) bool {
	return r < ' ' || r == 0x7f || r == '\u0085' || r == '\u2028' || r == '\u2029'
}

// notPrintable reports a rune outside printable ASCII, where Go's and TOML's string escapes
// agree and a comment stays one line.
func notPrintable(r rune) bool { return r < ' ' || r > '~' }

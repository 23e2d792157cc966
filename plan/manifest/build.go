package manifest

import (
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// Object is one emitted file.
type Object struct {
	File string // file name in the output directory, e.g. "60-deployment-edge-app.yaml"
	Kind string // the object's kind, or KindContainerdConfig for a node file
	Name string // metadata.name, or the handler for a node file

	// Target is, for a node file, the path it belongs at on every node that runs the
	// workload; empty for cluster objects.
	Target string

	// Obj is the object: a k8s.io/api value (*nodev1.RuntimeClass, *appsv1.Deployment, …),
	// a map[string]any for Gatekeeper's custom resources, a *ContainerdRuntime or an
	// *EdgeCoreConfig.
	Obj any

	YAML []byte // the file's content: YAML for cluster objects, TOML for node files
}

// Label and annotation keys Build sets.
const (
	LabelWorkload     = "strata.dev/workload"
	LabelIsolation    = "strata.dev/isolation"
	LabelCoordinates  = "strata.dev/coordinates"
	LabelRuntimeClass = "strata.dev/runtime-class"
	LabelManagedBy    = "app.kubernetes.io/managed-by"
	LabelName         = "app.kubernetes.io/name"
	LabelComponent    = "app.kubernetes.io/component"
	LabelPartOf       = "app.kubernetes.io/part-of"

	// NFDPrefix is the prefix Node Feature Discovery gives local features.
	NFDPrefix = "feature.node.kubernetes.io/"
	// NFDNvidiaGPU is NFD's label for a PCI device of vendor 10de (NVIDIA).
	NFDNvidiaGPU = NFDPrefix + "pci-10de.present"
	// ResourceGPU is the NVIDIA device plugin's extended resource.
	ResourceGPU corev1.ResourceName = "nvidia.com/gpu"
)

// RuntimeLabel is the node label the host probe publishes (through NFD) when a node can run
// pods with the containerd handler.
func RuntimeLabel(handler string) string { return NFDPrefix + "strata-runtime-" + handler }

// LayerLabel is the node label the host probe publishes when a node offers an isolation
// layer, e.g. feature.node.kubernetes.io/strata-layer-L-4.
func LayerLabel(layer string) string { return NFDPrefix + "strata-layer-" + layer }

// Build validates c and returns the objects that enforce it, in apply order (see the
// package documentation). Every problem with c is reported at once; each wraps
// [ErrInvalidChoice].
func Build(c Choice) ([]Object, error) {
	s, err := validate(c)
	if err != nil {
		return nil, err
	}
	if s.Orchestrator.Manifests == ManifestsDocker {
		return dockerFiles(s)
	}
	var objs []Object
	add := func(file, kind, name string, obj any) error {
		data, err := encode(obj)
		if err != nil {
			return fmt.Errorf("manifest: encode %s %s: %w", kind, name, err)
		}
		objs = append(objs, Object{File: file, Kind: kind, Name: name, Obj: obj, YAML: data})
		return nil
	}

	if node := containerdConfig(s); node != nil {
		objs = append(objs, node.object())
	}
	if agent := edgeCoreConfig(s); agent != nil {
		o, err := agent.object()
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	rc := runtimeClass(s)
	if err := add("10-runtimeclass-"+rc.Name+".yaml", "RuntimeClass", rc.Name, rc); err != nil {
		return nil, err
	}
	if s.hasPolicy(PolicyGatekeeperRuntimeClasses) {
		if err := add("20-constrainttemplate-"+TemplateName+".yaml", "ConstraintTemplate", TemplateName, constraintTemplate()); err != nil {
			return nil, err
		}
	}
	if s.hasPolicy(PolicyGatekeeperBusinessRules) {
		if err := add("21-constrainttemplate-"+LabelsTemplateName+".yaml", "ConstraintTemplate", LabelsTemplateName, labelsTemplate()); err != nil {
			return nil, err
		}
	}
	if s.hasPolicy(PolicyValidatingAdmissionPolicy) {
		name := PinName(s.Workload)
		if err := add("22-validatingadmissionpolicy-"+name+".yaml", KindValidatingAdmissionPolicy, name, runtimeClassPin(s)); err != nil {
			return nil, err
		}
	}
	if s.hasPolicy(PolicyOPAAdmission) {
		name := s.Workload + "-opa-admission"
		cm := s.policyConfigMap(name, "policy.rego", opaAdmissionRego(s), map[string]string{OPAPolicyLabel: "rego"})
		if err := add("25-configmap-"+name+".yaml", "ConfigMap", name, cm); err != nil {
			return nil, err
		}
	}
	if s.hasPolicy(PolicyOPAWasm) {
		name := s.Workload + "-opa-wasm-policy"
		cm := s.policyConfigMap(name, "policy.rego", opaWasmRego(s), nil)
		if err := add("26-configmap-"+name+".yaml", "ConfigMap", name, cm); err != nil {
			return nil, err
		}
	}
	if s.hasPolicy(PolicyGatekeeperRuntimeClasses) {
		cons := runtimeClassConstraint(s)
		name := s.Workload + constraintSuffixes[PolicyGatekeeperRuntimeClasses]
		if err := add("30-constraint-"+name+".yaml", ConstraintKind, name, cons); err != nil {
			return nil, err
		}
	}
	if s.hasPolicy(PolicyValidatingAdmissionPolicy) {
		name := PinName(s.Workload)
		if err := add("32-validatingadmissionpolicybinding-"+name+".yaml", KindValidatingAdmissionPolicyBinding, name, runtimeClassPinBinding(s)); err != nil {
			return nil, err
		}
	}
	if s.hasPolicy(PolicyGatekeeperBusinessRules) {
		cons := labelsConstraint(s)
		name := s.Workload + constraintSuffixes[PolicyGatekeeperBusinessRules]
		if err := add("31-constraint-"+name+".yaml", LabelsConstraintKind, name, cons); err != nil {
			return nil, err
		}
	}
	if s.hasPolicy(PolicyGatekeeperRuntimeClasses) {
		name := s.Workload + handlersSuffix
		if err := add("33-constraint-"+name+".yaml", ConstraintKind, name, handlersConstraint(s)); err != nil {
			return nil, err
		}
	}
	if s.otlp {
		cm, err := collectorConfigMap(s)
		if err != nil {
			return nil, err
		}
		if err := add("40-configmap-"+cm.Name+".yaml", "ConfigMap", cm.Name, cm); err != nil {
			return nil, err
		}
	}
	if s.prom {
		cm, err := scrapeConfigMap(s)
		if err != nil {
			return nil, err
		}
		if err := add("41-configmap-"+cm.Name+".yaml", "ConfigMap", cm.Name, cm); err != nil {
			return nil, err
		}
	}
	if s.collector {
		d := collectorDeployment(s)
		if err := add("42-deployment-"+d.Name+".yaml", "Deployment", d.Name, d); err != nil {
			return nil, err
		}
		svc := collectorService(s)
		if err := add("43-service-"+svc.Name+".yaml", "Service", svc.Name, svc); err != nil {
			return nil, err
		}
	}
	if s.hasPolicy(PolicyNetworkPolicy) {
		np := networkPolicy(s)
		if err := add("50-networkpolicy-"+np.Name+".yaml", "NetworkPolicy", np.Name, np); err != nil {
			return nil, err
		}
	}
	w := workload(s)
	if err := add("60-"+strings.ToLower(s.Kind)+"-"+s.Workload+".yaml", s.Kind, s.Workload, w); err != nil {
		return nil, err
	}
	if s.Orchestrator.Manifests == ManifestsKarmada {
		pps, err := propagationPolicies(s, objs)
		if err != nil {
			return nil, err
		}
		for _, pp := range pps {
			if err := add(pp.file, pp.kind, pp.name, pp.obj); err != nil {
				return nil, err
			}
		}
	}
	return objs, nil
}

// ClusterObject reports whether the object is applied to the cluster (kubectl apply), as
// opposed to a file for the nodes or the Docker host.
func (o Object) ClusterObject() bool {
	switch o.Kind {
	case KindComposeFile, KindDockerRun, KindDockerDaemonConfig, KindOPAPolicy, KindContainerdConfig, KindEdgeCoreConfig:
		return false
	}
	return o.Target == ""
}

// encode renders a Kubernetes object as YAML with sorted keys, dropping the empty status
// and null fields a typed object marshals by default.
func encode(obj any) ([]byte, error) {
	var m map[string]any
	switch o := obj.(type) {
	case map[string]any:
		m = o
	case runtime.Object:
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return nil, err
		}
		// Zero-valued structs a typed object cannot omit (a Service's status is
		// {loadBalancer: {}}); an empty selector, by contrast, means "all" and is kept.
		for _, path := range [][]string{{"status"}, {"spec", "strategy"}} {
			if v, ok, _ := unstructured.NestedMap(u, path...); ok && onlyEmptyMaps(v) {
				unstructured.RemoveNestedField(u, path...)
			}
		}
		m = u
	default:
		return nil, fmt.Errorf("unsupported object %T", obj)
	}
	return yaml.Marshal(m)
}

// onlyEmptyMaps reports whether m holds nothing but (nested) empty maps.
func onlyEmptyMaps(m map[string]any) bool {
	for _, v := range m {
		if sub, ok := v.(map[string]any); !ok || !onlyEmptyMaps(sub) {
			return false
		}
	}
	return true
}

// objectLabels are the labels of every object Build emits for the workload.
func (s *spec) objectLabels() map[string]string {
	return map[string]string{
		LabelName:      s.Workload,
		LabelManagedBy: "strata",
		LabelWorkload:  s.Workload,
	}
}

// podLabels are the workload's and its pods' labels: the user's, the object labels, and the
// isolation and coordinates the plan chose.
func (s *spec) podLabels() map[string]string {
	l := s.objectLabels()
	for k, v := range s.Labels {
		l[k] = v
	}
	l[LabelIsolation] = s.Runtime.Layer
	l[LabelCoordinates] = s.Coordinates.String()
	l[LabelRuntimeClass] = s.Runtime.Class
	return l
}

// meta is the ObjectMeta of a namespaced object.
func (s *spec) meta(name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: s.Namespace, Labels: labels}
}

// runtimeClass is the RuntimeClass of the chosen runtime. Its scheduling adds the probe's
// runtime label to every pod of the class, so they land only on nodes with the handler.
func runtimeClass(s *spec) *nodev1.RuntimeClass {
	rc := &nodev1.RuntimeClass{
		TypeMeta: metav1.TypeMeta{APIVersion: "node.k8s.io/v1", Kind: "RuntimeClass"},
		ObjectMeta: metav1.ObjectMeta{
			Name: s.Runtime.Class,
			Labels: map[string]string{
				LabelManagedBy: "strata",
				LabelIsolation: s.Runtime.Layer,
			},
		},
		Handler: s.Runtime.Handler,
		Scheduling: &nodev1.Scheduling{
			NodeSelector: map[string]string{RuntimeLabel(s.Runtime.Handler): "true"},
		},
	}
	pod := corev1.ResourceList{}
	if s.Runtime.OverheadCPU != "" {
		pod[corev1.ResourceCPU] = resource.MustParse(s.Runtime.OverheadCPU)
	}
	if s.Runtime.OverheadMemory != "" {
		pod[corev1.ResourceMemory] = resource.MustParse(s.Runtime.OverheadMemory)
	}
	if len(pod) > 0 {
		rc.Overhead = &nodev1.Overhead{PodFixed: pod}
	}
	return rc
}

// podSpec is the pod the workload runs: its runtime class, resources, node selection and
// observability environment.
func podSpec(s *spec) corev1.PodSpec {
	res := corev1.ResourceList{}
	if s.CPU != "" {
		res[corev1.ResourceCPU] = resource.MustParse(s.CPU)
	}
	if s.Memory != "" {
		res[corev1.ResourceMemory] = resource.MustParse(s.Memory)
	}
	req := corev1.ResourceRequirements{}
	if len(res) > 0 {
		req.Requests = res.DeepCopy()
		req.Limits = res.DeepCopy()
	}
	nodeSelector := map[string]string{LayerLabel(s.Runtime.Layer): "true"}
	maps.Copy(nodeSelector, s.Orchestrator.NodeSelector)
	var tolerations []corev1.Toleration
	if s.GPU > 0 {
		if req.Limits == nil {
			req.Limits = corev1.ResourceList{}
		}
		req.Limits[ResourceGPU] = *resource.NewQuantity(int64(s.GPU), resource.DecimalSI)
		nodeSelector[NFDNvidiaGPU] = "true"
		// GPU nodes are commonly tainted so that only GPU pods land there.
		tolerations = []corev1.Toleration{{Key: string(ResourceGPU), Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
	}

	c := corev1.Container{
		Name:      s.Workload,
		Image:     s.Image,
		Resources: req,
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: new(false),
		},
	}
	if s.Port > 0 {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: "http", ContainerPort: s.Port, Protocol: corev1.ProtocolTCP})
	}
	if s.prom && s.MetricsPort != s.Port {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: "metrics", ContainerPort: s.MetricsPort, Protocol: corev1.ProtocolTCP})
	}
	if s.otlp {
		c.Env = otelEnv(s)
	}

	ps := corev1.PodSpec{
		RuntimeClassName: new(s.Runtime.Class),
		Containers:       []corev1.Container{c},
		NodeSelector:     nodeSelector,
		Tolerations:      tolerations,
		SecurityContext: &corev1.PodSecurityContext{
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
	switch s.Kind {
	case KindJob:
		ps.RestartPolicy = corev1.RestartPolicyNever
	case KindPod:
		ps.RestartPolicy = corev1.RestartPolicyAlways
	}
	return ps
}

// otelEnv is the standard OpenTelemetry SDK environment: where to send OTLP, the service
// name, and resource attributes that carry the pod's identity and the plan's coordinates.
func otelEnv(s *spec) []corev1.EnvVar {
	field := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	attrs := []string{
		"k8s.namespace.name=" + s.Namespace,
		"k8s.pod.name=$(K8S_POD_NAME)",
		"k8s.node.name=$(K8S_NODE_NAME)",
	}
	switch s.Kind {
	case KindDeployment:
		attrs = append(attrs, "k8s.deployment.name="+s.Workload)
	case KindJob:
		attrs = append(attrs, "k8s.job.name="+s.Workload)
	}
	attrs = append(attrs,
		"strata.coordinates="+s.Coordinates.String(),
		"strata.isolation.layer="+s.Runtime.Layer,
		"strata.runtime.class="+s.Runtime.Class,
	)
	return []corev1.EnvVar{
		// Referenced as $(…) below, so they come first.
		field("K8S_POD_NAME", "metadata.name"),
		field("K8S_NODE_NAME", "spec.nodeName"),
		{Name: "OTEL_SERVICE_NAME", Value: s.Workload},
		{Name: "OTEL_EXPORTER_OTLP_ENDPOINT", Value: s.OTLPEndpoint},
		{Name: "OTEL_EXPORTER_OTLP_PROTOCOL", Value: "http/protobuf"},
		{Name: "OTEL_RESOURCE_ATTRIBUTES", Value: strings.Join(attrs, ",")},
	}
}

// podTemplate is the pod's metadata: labels, and the scrape annotations when Prometheus is
// chosen.
func podTemplate(s *spec) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Labels: s.podLabels()}
	if s.prom {
		m.Annotations = map[string]string{
			"prometheus.io/scrape": "true",
			"prometheus.io/port":   fmt.Sprint(s.MetricsPort),
			"prometheus.io/path":   s.MetricsPath,
		}
	}
	return m
}

// workload is the Deployment, Pod or Job.
func workload(s *spec) runtime.Object {
	tmpl := corev1.PodTemplateSpec{ObjectMeta: podTemplate(s), Spec: podSpec(s)}
	switch s.Kind {
	case KindPod:
		m := tmpl.ObjectMeta
		m.Name, m.Namespace = s.Workload, s.Namespace
		return &corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: m,
			Spec:       tmpl.Spec,
		}
	case KindJob:
		return &batchv1.Job{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
			ObjectMeta: s.meta(s.Workload, s.podLabels()),
			Spec: batchv1.JobSpec{
				Parallelism: new(s.Replicas),
				Completions: new(s.Replicas),
				Template:    tmpl,
			},
		}
	default:
		return &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: s.meta(s.Workload, s.podLabels()),
			Spec: appsv1.DeploymentSpec{
				Replicas: new(s.Replicas),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelWorkload: s.Workload}},
				Template: tmpl,
			},
		}
	}
}

// networkPolicy is the infrastructure policy (Z ≥ 1): the workload's pods accept traffic
// only from their own namespace (and scrapes from the monitoring namespace), and send only
// DNS, traffic within the namespace (the Collector Build deploys included) and OTLP to an
// OTLPEndpoint elsewhere (see [Choice].OTLPEndpoint), nothing else.
func networkPolicy(s *spec) *networkingv1.NetworkPolicy {
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	port := func(proto corev1.Protocol, p int32) networkingv1.NetworkPolicyPort {
		return networkingv1.NetworkPolicyPort{Protocol: new(proto), Port: new(intstr.FromInt32(p))}
	}
	nsSelector := func(ns string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}
	}
	sameNamespace := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{}}

	ingress := []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{sameNamespace}}}
	if s.Port > 0 {
		ingress[0].Ports = []networkingv1.NetworkPolicyPort{port(tcp, s.Port)}
	}
	if s.prom {
		ingress = append(ingress, networkingv1.NetworkPolicyIngressRule{
			From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSelector(s.MonitoringNamespace)}},
			Ports: []networkingv1.NetworkPolicyPort{port(tcp, s.MetricsPort)},
		})
	}
	egress := []networkingv1.NetworkPolicyEgressRule{
		{
			To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSelector("kube-system")}},
			Ports: []networkingv1.NetworkPolicyPort{port(udp, 53), port(tcp, 53)},
		},
		{To: []networkingv1.NetworkPolicyPeer{sameNamespace}},
	}
	if s.otlp && !s.collector {
		ns, p := otlpDestination(s.OTLPEndpoint)
		switch {
		case ns == s.Namespace:
			// The rule above already admits the namespace's pods on every port.
		case ns != "":
			egress = append(egress, networkingv1.NetworkPolicyEgressRule{
				To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSelector(ns)}},
				Ports: []networkingv1.NetworkPolicyPort{port(tcp, p)},
			})
		default:
			// A host outside the cluster's Service names (an external collector, an IP, a
			// custom cluster domain): a NetworkPolicy selects addresses, not DNS names, so
			// the OTLP port is opened towards every address, IPv4 and IPv6.
			egress = append(egress, networkingv1.NetworkPolicyEgressRule{
				To: []networkingv1.NetworkPolicyPeer{
					{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}},
					{IPBlock: &networkingv1.IPBlock{CIDR: "::/0"}},
				},
				Ports: []networkingv1.NetworkPolicyPort{port(tcp, p)},
			})
		}
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: s.meta(s.Workload, s.objectLabels()),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{LabelWorkload: s.Workload}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Ingress:     ingress,
			Egress:      egress,
		},
	}
}

// otlpDestination is where an OTLP endpoint URL (validated) sends traffic: the namespace of a
// cluster Service URL (NAME.NAMESPACE.svc or NAME.NAMESPACE.svc.cluster.local), or "" for
// any other host, and the TCP port (the scheme's when the URL gives none).
func otlpDestination(endpoint string) (namespace string, port int32) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", 0
	}
	port = 80
	if u.Scheme == "https" {
		port = 443
	}
	if n, err := strconv.ParseInt(u.Port(), 10, 32); err == nil {
		port = int32(n)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	host = strings.TrimSuffix(host, ".cluster.local")
	name, ns, ok := strings.Cut(strings.TrimSuffix(host, ".svc"), ".")
	if !strings.HasSuffix(host, ".svc") || !ok ||
		len(validation.IsDNS1123Label(name)) > 0 || len(validation.IsDNS1123Label(ns)) > 0 {
		return "", port
	}
	return ns, port
}

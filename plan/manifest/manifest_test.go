package manifest

import (
	"bytes"
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/internal/admissiontest"
	"github.com/strata-dev/strata/internal/golden"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Fixtures: technologies as the planner describes them from the network's data. The
// manifest package knows formats, not names, so its tests spell the facts out.
var (
	k3s = Orchestrator{Name: "K3s", X: 2, Manifests: ManifestsKubernetes, RuntimeConfig: RuntimeConfigK3s,
		RuntimeConfigPath:   "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl",
		RuntimeConfigPathV3: "/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl",
		ConfiguresRuntimes:  []string{"runc"}}
	kubernetes = Orchestrator{Name: "Kubernetes", X: 1, Manifests: ManifestsKubernetes, RuntimeConfig: RuntimeConfigContainerd,
		RuntimeConfigPath: "/etc/containerd/config.toml", RuntimeConfigPathV3: "/etc/containerd/conf.d/strata-{handler}.toml"}
	karmada = Orchestrator{Name: "Karmada", X: 3, Manifests: ManifestsKarmada, RuntimeConfig: RuntimeConfigContainerd,
		RuntimeConfigPath: "/etc/containerd/config.toml", RuntimeConfigPathV3: "/etc/containerd/conf.d/strata-{handler}.toml"}
	docker = Orchestrator{Name: "Docker", X: 0, Manifests: ManifestsDocker, RuntimeConfig: RuntimeConfigDocker,
		RuntimeConfigPath: "/etc/docker/daemon.json", ConfiguresRuntimes: []string{"runc"}}

	wasmedge = Runtime{Name: "WasmEdge", Handler: "wasmedge", Layer: "L-4", RuntimeType: "io.containerd.wasmedge.v1", GPU: true,
		NodeNeeds:    []string{"Needs containerd-shim-wasmedge-v1 (runwasi) in PATH."},
		GPUNodeNeeds: []string{"GPU: install WasmEdge's WASI-NN plugin built with CUDA (GGML backend) on the node."}}
	runsc = Runtime{Name: "gVisor", Handler: "runsc", Class: "gvisor", Layer: "L-4", RuntimeType: "io.containerd.runsc.v1", GPU: true,
		GPUOptions: map[string]string{"TypeUrl": "io.containerd.runsc.v1.options", "ConfigPath": "/etc/containerd/runsc.toml"},
		NodeNeeds:  []string{"Needs runsc and containerd-shim-runsc-v1 (gVisor) in PATH."}}
	spin  = Runtime{Name: "spin", Handler: "spin", Layer: "L-4", RuntimeType: "io.containerd.spin.v2"}
	runc  = Runtime{Name: "runc", Handler: "runc", Layer: "L-3", RuntimeType: "io.containerd.runc.v2", GPU: true, Options: map[string]string{"BinaryName": "runc"}}
	crun  = Runtime{Name: "crun", Handler: "crun", Layer: "L-3", RuntimeType: "io.containerd.runc.v2", GPU: true, Options: map[string]string{"BinaryName": "crun"}}
	kataQ = Runtime{Name: "kata-qemu", Handler: "kata-qemu", Class: "kata", Layer: "L-1", RuntimeType: "io.containerd.kata.v2", GPU: true,
		Options:        map[string]string{"ConfigPath": "/opt/kata/share/defaults/kata-containers/configuration-qemu.toml"},
		PodAnnotations: []string{"io.katacontainers.*"}, PrivilegedWithoutHostDevices: true,
		OverheadCPU: "250m", OverheadMemory: "160Mi"}
	kataFC = Runtime{Name: "kata-fc", Handler: "kata-fc", Layer: "L-2", RuntimeType: "io.containerd.kata.v2",
		Options:        map[string]string{"ConfigPath": "/opt/kata/share/defaults/kata-containers/configuration-fc.toml"},
		PodAnnotations: []string{"io.katacontainers.*"}, PrivilegedWithoutHostDevices: true}
)

// with returns r with overheads set.
func with(r Runtime, cpu, mem string) Runtime { r.OverheadCPU, r.OverheadMemory = cpu, mem; return r }

// wasmL4 are the L-4 runtimes; L-4 = L-0 > L-1 > L-2 > L-3, so an L-4 workload admits only
// L-4 classes (no L-0 class exists).
var wasmL4 = []Runtime{runsc, spin}

var (
	gatekeeper = Policy{Engine: "Gatekeeper", Objects: []string{PolicyGatekeeperRuntimeClasses, PolicyNetworkPolicy}}
	opaWasm    = Policy{Engine: "OPA-Wasm", Objects: []string{PolicyOPAWasm, PolicyNetworkPolicy}}
)

// cases are the seed's four scenarios plus combinations the seed does not cover.
var cases = []struct {
	name   string
	choice Choice
}{
	{"edge", Choice{ // seed: K3s + WasmEdge, X=2, Y=4 (and (2,4,3) from the 3-D examples)
		Workload: "edge-sensor", Namespace: "edge", Kind: KindDeployment, Image: "ghcr.io/example/edge-sensor:1.0",
		CPU: "100m", Memory: "64Mi", Orchestrator: k3s, Coordinates: Coordinates{2, 4, 3},
		Runtime: with(wasmedge, "10m", "16Mi"),
		Allowed: wasmL4, Policy: gatekeeper, Observability: []string{"OTLP", "eBPF"},
		Labels: map[string]string{"tier": "edge"},
	}},
	{"serverless", Choice{ // seed: K3s + WasmEdge + OPA-Wasm, X=2, Y=4, Z=3
		Workload: "thumbnailer", Kind: KindDeployment, Image: "ghcr.io/example/thumbnailer:2.1", Replicas: 2,
		CPU: "50m", Memory: "32Mi", Orchestrator: k3s, Coordinates: Coordinates{2, 4, 3},
		Runtime: wasmedge, Allowed: wasmL4,
		Policy: opaWasm, Observability: []string{"OTLP", "Prometheus"}, Port: 8080,
		OTLPUpstream: "https://otlp.example.com", ContainerdConfigVersion: 3,
	}},
	{"microservices", Choice{ // seed: K8s + containerd, X=1, Y=3
		Workload: "orders", Namespace: "shop", Kind: KindDeployment, Image: "registry.example.com/shop/orders:3.4.1", Replicas: 3,
		CPU: "500m", Memory: "256Mi", Orchestrator: kubernetes, Coordinates: Coordinates{1, 3, 1},
		Runtime: runc, Policy: Policy{Engine: "NetworkPolicy", Objects: []string{PolicyNetworkPolicy}},
		Observability: []string{"Prometheus", "OTLP", "Loki", "Grafana"}, Port: 8080, MetricsPort: 9100,
		OTLPEndpoint: "http://otel-collector.observability.svc:4318", // a shared Collector: egress to its namespace
	}},
	{"ai-inference", Choice{ // seed: WasmEdge + GPU, Y=4, Z=3
		Workload: "llm-infer", Namespace: "ai", Kind: KindDeployment, Image: "ghcr.io/example/llm-infer:0.9",
		CPU: "2", Memory: "8Gi", GPU: 1, Orchestrator: kubernetes, Coordinates: Coordinates{1, 4, 3},
		Runtime: wasmedge, Allowed: wasmL4,
		Policy: gatekeeper, Observability: []string{"OTLP"}, Port: 8000,
	}},
	{"gvisor-pod", Choice{ // 3-D example K8s + gVisor = (1,4,2), as a bare Pod
		Workload: "sandbox", Kind: KindPod, Image: "docker.io/library/busybox:1.36",
		Orchestrator: kubernetes, Coordinates: Coordinates{1, 4, 2},
		Runtime: with(runsc, "50m", "40Mi"),
		Allowed: []Runtime{wasmedge}, Policy: Policy{EnforcedBy: "gVisor: gVisor implies policy level 2", Objects: []string{PolicyNetworkPolicy}},
	}},
	{"kata-batch", Choice{ // untrusted batch code in a VM on K3s with business rules
		Workload: "untrusted-batch", Namespace: "batch", Kind: KindJob, Image: "ghcr.io/example/batch:1", Replicas: 4,
		CPU: "1", Memory: "1Gi", Orchestrator: k3s, Coordinates: Coordinates{2, 1, 4},
		Runtime: kataQ,
		// Not kata-fc: it is L-2, weaker than L-1 (L-0 = L-4 > L-1 > L-2 > L-3).
		Allowed: []Runtime{runsc, wasmedge},
		Labels:  map[string]string{"team": "batch"},
		Policy:  Policy{Engine: "business-rules", Objects: []string{PolicyGatekeeperRuntimeClasses, PolicyGatekeeperBusinessRules, PolicyNetworkPolicy}},
	}},
	{"opa-admission", Choice{ // the seed's K3s + OPA = (2, 3, 3): OPA admits objects in a cluster
		Workload: "api", Namespace: "apps", Kind: KindDeployment, Image: "ghcr.io/example/api:1.0",
		Orchestrator: k3s, Coordinates: Coordinates{2, 3, 3}, Runtime: crun, Allowed: []Runtime{runc},
		Policy: Policy{Engine: "OPA", Objects: []string{PolicyOPAAdmission, PolicyNetworkPolicy}},
	}},
	{"karmada-wasmedge", Choice{ // the seed's Karmada + WasmEdge = (3, 4, 3)
		Workload: "wasm-api", Namespace: "apps", Kind: KindDeployment, Image: "ghcr.io/example/wasm-api:1.0", Port: 8080,
		Orchestrator: karmada, Coordinates: Coordinates{3, 4, 3}, Runtime: wasmedge, Allowed: wasmL4,
		Policy: gatekeeper,
	}},
	{"docker", Choice{ // a single host (X=0) under gVisor, with Docker's OPA authorization policy
		Workload: "solo", Kind: KindDeployment, Image: "ghcr.io/example/solo:1.0", Port: 8080, CPU: "250m", Memory: "128Mi", GPU: 1,
		Orchestrator: docker, Coordinates: Coordinates{0, 4, 2}, Runtime: runsc,
		Policy: Policy{Engine: "OPA", Objects: []string{PolicyOPADockerAuthz}},
	}},
}

// buildCase builds a case, failing the test on error.
func buildCase(t testing.TB, c Choice) []Object {
	t.Helper()
	objs, err := Build(c)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return objs
}

// find returns the first object of the kind.
func find(t testing.TB, objs []Object, kind string) Object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind {
			return o
		}
	}
	t.Fatalf("no %s among %v", kind, files(objs))
	return Object{}
}

// findFile returns the object whose file name starts with prefix.
func findFile(t testing.TB, objs []Object, prefix string) Object {
	t.Helper()
	for _, o := range objs {
		if strings.HasPrefix(o.File, prefix) {
			return o
		}
	}
	t.Fatalf("no %s… among %v", prefix, files(objs))
	return Object{}
}

// workloadObj returns the workload itself (file 60-…), which may share its kind with the
// Collector's Deployment.
func workloadObj(t testing.TB, objs []Object) Object {
	t.Helper()
	for _, o := range objs {
		if strings.HasPrefix(o.File, "60-") {
			return o
		}
	}
	t.Fatalf("no workload among %v", files(objs))
	return Object{}
}

func files(objs []Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.File)
	}
	return out
}

// TestGolden pins every case's emitted files. Refresh with go test ./plan/manifest -update.
func TestGolden(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := buildCase(t, tc.choice)
			if !slices.IsSortedFunc(objs, func(a, b Object) int { return strings.Compare(a.File, b.File) }) {
				t.Errorf("files %v are not numbered in apply order", files(objs))
			}
			golden.CheckDir(t, filepath.Join("testdata", "golden", tc.name), goldenFiles(objs), *update)
		})
	}
}

// goldenFiles are the emitted objects as the golden directory holds them.
func goldenFiles(objs []Object) []golden.File {
	var out []golden.File
	for _, o := range objs {
		out = append(out, golden.File{Name: o.File, Data: o.YAML})
	}
	return out
}

// TestDeterministic builds each case twice and expects identical bytes.
func TestDeterministic(t *testing.T) {
	for _, tc := range cases {
		a, b := buildCase(t, tc.choice), buildCase(t, tc.choice)
		for i := range a {
			if !bytes.Equal(a[i].YAML, b[i].YAML) {
				t.Errorf("%s/%s: two builds differ", tc.name, a[i].File)
			}
		}
	}
}

// TestStrictDecode decodes every emitted Kubernetes object with the scheme, strictly, and
// expects the object Build holds back: nothing lost, nothing unknown. The cases between them
// emit every kind Build can, the Collector's Deployment and Service included.
func TestStrictDecode(t *testing.T) {
	decoded := map[string]bool{}
	for _, tc := range cases {
		for _, o := range buildCase(t, tc.choice) {
			want, ok := o.Obj.(runtime.Object)
			if !ok {
				continue // Gatekeeper objects and node files: see their own tests
			}
			decoded[strings.SplitN(o.File, "-", 3)[1]] = true // e.g. "service" of 43-service-…
			decoded[o.File[:3]] = true
			t.Run(tc.name+"/"+o.File, func(t *testing.T) {
				got, gvk, err := admissiontest.Decoder.Decode(o.YAML, nil, nil)
				if err != nil {
					t.Fatalf("strict decode: %v\n%s", err, o.YAML)
				}
				if gvk.Kind != o.Kind {
					t.Errorf("decoded kind %s, object says %s", gvk.Kind, o.Kind)
				}
				if !equality.Semantic.DeepEqual(got, want) {
					t.Errorf("decoded object differs from the built one:\n got %#v\nwant %#v", got, want)
				}
			})
		}
	}
	for _, kind := range []string{"10-", "40-", "41-", "42-", "43-", "50-", "60-", "runtimeclass", "configmap", "deployment", "service", "networkpolicy", "pod", "job"} {
		if !decoded[kind] {
			t.Errorf("no case emits %s; add one so that it is decoded", kind)
		}
	}
}

// TestStrictDecodeRejectsUnknownFields proves the decoder above is strict: a misspelled
// field fails, through the codec factory and through the JSON/YAML serializer directly.
func TestStrictDecodeRejectsUnknownFields(t *testing.T) {
	objs := buildCase(t, cases[0].choice)
	direct := json.NewSerializerWithOptions(json.DefaultMetaFactory, admissiontest.Scheme, admissiontest.Scheme, json.SerializerOptions{Yaml: true, Strict: true})
	for _, tc := range []struct{ kind, field, typo string }{
		{"Deployment", "runtimeClassName:", "runtimeClassNam:"},
		{"Deployment", "replicas:", "replica:"},
		{"RuntimeClass", "podFixed:", "podfixed:"},
		{"RuntimeClass", "nodeSelector:", "nodeSelectors:"},
	} {
		o := find(t, objs, tc.kind)
		if tc.kind == KindDeployment {
			o = workloadObj(t, objs)
		}
		if !bytes.Contains(o.YAML, []byte(tc.field)) {
			t.Fatalf("%s has no %s", tc.kind, tc.field)
		}
		bad := bytes.Replace(o.YAML, []byte(tc.field), []byte(tc.typo), 1)
		for name, dec := range map[string]runtime.Decoder{"codec factory": admissiontest.Decoder, "serializer": direct} {
			_, _, err := dec.Decode(bad, nil, nil)
			if err == nil || !runtime.IsStrictDecodingError(err) {
				t.Errorf("%s: %s with %s decoded without a strict error: %v", name, tc.kind, tc.typo, err)
			} else if !strings.Contains(err.Error(), strings.TrimSuffix(tc.typo, ":")) {
				t.Errorf("%s: error does not name the field %s: %v", name, tc.typo, err)
			}
		}
	}
}

// TestLabelsAndNames checks what strict decoding cannot: every label, selector and name is
// one the API server accepts.
func TestLabelsAndNames(t *testing.T) {
	checkLabels := func(t *testing.T, what string, m map[string]string) {
		for k, v := range m {
			for _, msg := range validation.IsQualifiedName(k) {
				t.Errorf("%s key %q: %s", what, k, msg)
			}
			for _, msg := range validation.IsValidLabelValue(v) {
				t.Errorf("%s %q value %q: %s", what, k, v, msg)
			}
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, o := range buildCase(t, tc.choice) {
				if o.Kind == KindContainerdConfig {
					continue
				}
				for _, msg := range validation.IsDNS1123Subdomain(o.Name) {
					t.Errorf("%s name %q: %s", o.File, o.Name, msg)
				}
				switch obj := o.Obj.(type) {
				case *nodev1.RuntimeClass:
					checkLabels(t, o.File+" labels", obj.Labels)
					checkLabels(t, o.File+" scheduling", obj.Scheduling.NodeSelector)
				case *appsv1.Deployment:
					checkLabels(t, o.File+" labels", obj.Labels)
					checkLabels(t, o.File+" pod labels", obj.Spec.Template.Labels)
					checkLabels(t, o.File+" nodeSelector", obj.Spec.Template.Spec.NodeSelector)
					for k, v := range obj.Spec.Selector.MatchLabels {
						if obj.Spec.Template.Labels[k] != v {
							t.Errorf("%s: selector %s=%s does not select the pod template", o.File, k, v)
						}
					}
				case *corev1.Pod:
					checkLabels(t, o.File+" labels", obj.Labels)
					checkLabels(t, o.File+" nodeSelector", obj.Spec.NodeSelector)
				case *batchv1.Job:
					checkLabels(t, o.File+" pod labels", obj.Spec.Template.Labels)
				case *corev1.Service:
					// Service names are DNS-1035 labels: a letter first.
					for _, msg := range validation.IsDNS1035Label(o.Name) {
						t.Errorf("%s Service name %q: %s", o.File, o.Name, msg)
					}
					checkLabels(t, o.File+" labels", obj.Labels)
					checkLabels(t, o.File+" selector", obj.Spec.Selector)
				}
			}
		})
	}
}

// TestWorkload checks the workload's content against the Choice.
func TestWorkload(t *testing.T) {
	objs := buildCase(t, cases[3].choice) // ai-inference: GPU, OTLP
	d := workloadObj(t, objs).Obj.(*appsv1.Deployment)
	ps := d.Spec.Template.Spec
	if ps.RuntimeClassName == nil || *ps.RuntimeClassName != "wasmedge" {
		t.Errorf("runtimeClassName = %v", ps.RuntimeClassName)
	}
	labels := d.Spec.Template.Labels
	if labels[LabelIsolation] != "L-4" || labels[LabelCoordinates] != "1-4-3" {
		t.Errorf("pod labels %v", labels)
	}
	if ps.NodeSelector[LayerLabel("L-4")] != "true" || ps.NodeSelector[NFDNvidiaGPU] != "true" {
		t.Errorf("nodeSelector %v", ps.NodeSelector)
	}
	res := ps.Containers[0].Resources
	if q := res.Limits[ResourceGPU]; q.Value() != 1 {
		t.Errorf("GPU limit %v", q.String())
	}
	if !equality.Semantic.DeepEqual(res.Requests[corev1.ResourceCPU], res.Limits[corev1.ResourceCPU]) ||
		!equality.Semantic.DeepEqual(res.Requests[corev1.ResourceMemory], res.Limits[corev1.ResourceMemory]) {
		t.Errorf("requests %v differ from limits %v", res.Requests, res.Limits)
	}
	env := map[string]string{}
	for _, e := range ps.Containers[0].Env {
		env[e.Name] = e.Value
	}
	if env["OTEL_EXPORTER_OTLP_ENDPOINT"] != "http://llm-infer-otel-collector.ai.svc:4318" ||
		env["OTEL_SERVICE_NAME"] != "llm-infer" ||
		!strings.Contains(env["OTEL_RESOURCE_ATTRIBUTES"], "strata.coordinates=1-4-3") {
		t.Errorf("OTEL env %v", env)
	}
	if d.Spec.Template.Annotations["prometheus.io/scrape"] != "" {
		t.Errorf("scrape annotations without Prometheus: %v", d.Spec.Template.Annotations)
	}

	rc := find(t, objs, "RuntimeClass").Obj.(*nodev1.RuntimeClass)
	if rc.Handler != "wasmedge" || rc.Scheduling.NodeSelector[RuntimeLabel("wasmedge")] != "true" ||
		rc.Scheduling.NodeSelector["feature.node.kubernetes.io/strata-runtime-wasmedge"] != "true" {
		t.Errorf("RuntimeClass %+v", rc)
	}
	if len(rc.Scheduling.Tolerations) != 0 {
		t.Errorf("RuntimeClass tolerations %v", rc.Scheduling.Tolerations)
	}

	// microservices: Prometheus annotations, NetworkPolicy, no Gatekeeper at Z=1.
	objs = buildCase(t, cases[2].choice)
	d = workloadObj(t, objs).Obj.(*appsv1.Deployment)
	if a := d.Spec.Template.Annotations; a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != "9100" {
		t.Errorf("scrape annotations %v", a)
	}
	for _, o := range objs {
		if o.Kind == "ConstraintTemplate" || o.Kind == ConstraintKind {
			t.Errorf("Z=1 emitted %s", o.File)
		}
	}
	np := find(t, objs, "NetworkPolicy").Obj.(*networkingv1.NetworkPolicy)
	if np.Spec.PodSelector.MatchLabels[LabelWorkload] != "orders" || len(np.Spec.PolicyTypes) != 2 {
		t.Errorf("NetworkPolicy %+v", np.Spec)
	}
}

// TestKinds checks the Pod and Job shapes.
func TestKinds(t *testing.T) {
	pod := find(t, buildCase(t, cases[4].choice), "Pod").Obj.(*corev1.Pod)
	if pod.Spec.RestartPolicy != corev1.RestartPolicyAlways || *pod.Spec.RuntimeClassName != "gvisor" {
		t.Errorf("Pod spec %+v", pod.Spec)
	}
	job := find(t, buildCase(t, cases[5].choice), "Job").Obj.(*batchv1.Job)
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever || *job.Spec.Parallelism != 4 || *job.Spec.Completions != 4 {
		t.Errorf("Job spec %+v", job.Spec)
	}
}

// TestApplyOrder checks the files sort in apply order, so kubectl apply -f DIR keeps it.
func TestApplyOrder(t *testing.T) {
	for _, tc := range cases {
		names := files(buildCase(t, tc.choice))
		if !slices.IsSorted(names) {
			t.Errorf("%s: files not in apply order: %v", tc.name, names)
		}
	}
}

// TestClusterObjects: what ClusterObject calls a cluster object is a Kubernetes object
// (apiVersion, kind, name), and every file for a node or the Docker host is not. The OPA-Wasm
// policy written for a Docker host (a .rego file with no target) was called a cluster object,
// so a server-side apply or a YAML stream of cluster objects would have carried Rego.
func TestClusterObjects(t *testing.T) {
	dockerWasm := valid()
	dockerWasm.Orchestrator, dockerWasm.Coordinates = docker, Coordinates{0, 4, 3}
	dockerWasm.Policy = Policy{Engine: "OPA-Wasm", Objects: []string{PolicyOPAWasm}}
	all := append([]struct {
		name   string
		choice Choice
	}{{"docker-opa-wasm", dockerWasm}}, cases...)
	for _, tc := range all {
		for _, o := range buildCase(t, tc.choice) {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			isKube := yaml.Unmarshal(o.YAML, &head) == nil &&
				head.APIVersion != "" && head.Kind == o.Kind && head.Metadata.Name != ""
			if o.ClusterObject() != isKube {
				t.Errorf("%s %s: ClusterObject() = %v, but it is %sa Kubernetes object", tc.name, o.File, o.ClusterObject(), map[bool]string{true: "", false: "not "}[isKube])
			}
		}
	}
}

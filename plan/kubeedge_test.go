package plan_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	kubeletconfig "k8s.io/kubelet/config/v1beta1"
	kubeletapis "k8s.io/kubelet/pkg/apis"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

// edgeCoreFile is the part of KubeEdge's edgecore configuration strata writes, with KubeEdge's
// own field names: EdgeCoreConfig, Modules, Edged and TailoredKubeletFlag (inlined into
// Edged) in staging/src/github.com/kubeedge/api/apis/componentconfig/edgecore/v1alpha2/
// types.go of KubeEdge v1.23. KubeEdge's module is not served by the Go module proxy, so
// these few names are written here; the kubelet configuration inside, which KubeEdge's
// TailoredKubeletConfiguration derives from, is judged by the kubelet's own type.
type edgeCoreFile struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Modules    struct {
		Edged struct {
			NodeLabels            map[string]string `json:"nodeLabels"`
			TailoredKubeletConfig json.RawMessage   `json:"tailoredKubeletConfig"`
		} `json:"edged"`
	} `json:"modules"`
}

// kubeEdgeEdgeLabel is the label KubeEdge's edged registers every edge node with (its
// patched kubelet's node status, and cloud/pkg/common/nodes: "only if label
// node-role.kubernetes.io/edge exists, it is an edge node").
const kubeEdgeEdgeLabel = "node-role.kubernetes.io/edge"

// strictJSON decodes data into v, refusing unknown fields and trailing data.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return json.Unmarshal([]byte("x"), v) // trailing data: any error
	}
	return nil
}

// TestKubeEdgePlacement: a workload planned at X=4 gets a KubeEdge placement whose parts fit
// together as KubeEdge, the kubelet, the scheduler and containerd read them: edgecore's keys
// decode into KubeEdge's fields and the kubelet's own configuration type; the node labels are
// ones a kubelet may set on its Node; an edge node registered with them, under KubeEdge's
// edge label, is where the scheduler's node-affinity check places the pods (with the
// RuntimeClass's scheduling added, as the RuntimeClass admission does), and neither a cloud
// node nor an edge node without the runtime is; and the containerd the node file configures
// listens where edged is told to connect.
func TestKubeEdgePlacement(t *testing.T) {
	p := planner(t)
	for _, tc := range []struct {
		name, spec string
		runtime    string
		coords     plan.Coordinates
	}{
		{"oci", `{artifact: oci, footprint: constrained, sites: [cloud-edge]}`, "runc", plan.Coordinates{X: 4, Y: 3, Z: 0}},
		{"wasm", `{artifact: wasm, sites: [cloud-edge]}`, "WasmEdge", plan.Coordinates{X: 4, Y: 4, Z: 3}},
		{"untrusted", `{artifact: oci, trust: untrusted, sites: [cloud-edge]}`, "gVisor", plan.Coordinates{X: 4, Y: 4, Z: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := readOne(t, "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: meter}\nspec: "+tc.spec+"\n")
			pl, err := p.Plan(w)
			if err != nil {
				t.Fatal(err)
			}
			if pl.Technology(plan.RoleOrchestrator) != "KubeEdge" || pl.Technology(plan.RoleRuntime) != tc.runtime || pl.Coordinates != tc.coords {
				t.Fatalf("planned %v at %v, want KubeEdge and %s at %v", pl.Technologies(), pl.Coordinates, tc.runtime, tc.coords)
			}
			objs, err := p.Emit(pl, w, plan.EmitOptions{Image: "ghcr.io/example/meter:1", Namespace: "edge"})
			if err != nil {
				t.Fatal(err)
			}
			checkKubeEdgePlacement(t, objs)
		})
	}
	for _, c := range emitCases {
		objs, pl := emit(t, p, c)
		if pl.Coordinates.X == 4 {
			t.Run("golden "+c.name, func(t *testing.T) { checkKubeEdgePlacement(t, objs) })
		}
	}
}

// checkKubeEdgePlacement judges one KubeEdge workload's files (see TestKubeEdgePlacement).
func checkKubeEdgePlacement(t *testing.T, objs []manifest.Object) {
	t.Helper()
	var agent, node *manifest.Object
	var rc nodev1.RuntimeClass
	for i, o := range objs {
		switch o.Kind {
		case manifest.KindEdgeCoreConfig:
			agent = &objs[i]
		case manifest.KindContainerdConfig:
			node = &objs[i]
		case "RuntimeClass":
			if err := yaml.UnmarshalStrict(o.YAML, &rc); err != nil {
				t.Fatal(err)
			}
		}
	}
	if agent == nil || node == nil {
		t.Fatalf("no edgecore (%v) or containerd (%v) node file", agent != nil, node != nil)
	}
	if agent.ClusterObject() || strings.HasSuffix(agent.File, ".yaml") || strings.HasSuffix(agent.File, ".yml") || strings.HasSuffix(agent.File, ".json") {
		t.Errorf("%s would be applied to the cluster by kubectl apply -f DIR", agent.File)
	}
	if agent.Target != "/etc/kubeedge/config/edgecore.yaml" {
		t.Errorf("edgecore target %s, want KubeEdge's EdgecoreConfigPath", agent.Target)
	}

	// KubeEdge's fields, then the kubelet's own configuration type.
	data, err := yaml.YAMLToJSON(agent.YAML)
	if err != nil {
		t.Fatal(err)
	}
	var ec edgeCoreFile
	if err := strictJSON(data, &ec); err != nil {
		t.Fatalf("%s does not decode as KubeEdge's EdgeCore: %v\n%s", agent.File, err, agent.YAML)
	}
	if ec.APIVersion != "edgecore.config.kubeedge.io/v1alpha2" || ec.Kind != "EdgeCore" {
		t.Errorf("apiVersion %s kind %s, want KubeEdge's edgecore.config.kubeedge.io/v1alpha2 EdgeCore", ec.APIVersion, ec.Kind)
	}
	var kc kubeletconfig.KubeletConfiguration
	if err := strictJSON(ec.Modules.Edged.TailoredKubeletConfig, &kc); err != nil {
		t.Fatalf("tailoredKubeletConfig does not decode as the kubelet's KubeletConfiguration: %v", err)
	}
	sock, ok := strings.CutPrefix(kc.ContainerRuntimeEndpoint, "unix://")
	if !ok || !filepath.IsAbs(sock) {
		t.Errorf("containerRuntimeEndpoint %q is not a unix socket", kc.ContainerRuntimeEndpoint)
	}

	// Labels a kubelet may register its own Node with.
	labels := ec.Modules.Edged.NodeLabels
	if len(labels) == 0 {
		t.Fatal("no nodeLabels")
	}
	for k, v := range labels {
		if msgs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(msgs) > 0 {
			t.Errorf("node label %s=%s: %v", k, v, msgs)
		}
		if ns, _, found := strings.Cut(k, "/"); found && (ns == "kubernetes.io" || strings.HasSuffix(ns, ".kubernetes.io") || ns == "k8s.io" || strings.HasSuffix(ns, ".k8s.io")) && !kubeletapis.IsKubeletLabel(k) {
			t.Errorf("node label %s is in a Kubernetes namespace a kubelet may not set on its Node", k)
		}
	}

	// The scheduler's own node-affinity check, with the RuntimeClass's scheduling merged into
	// the pod's nodeSelector as the RuntimeClass admission plugin merges it.
	wl := workloadObject(t, objs)
	specJSON, err := json.Marshal(podSpecOf(wl))
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	if err := json.Unmarshal(specJSON, &pod.Spec); err != nil {
		t.Fatal(err)
	}
	if pod.Spec.RuntimeClassName == nil || *pod.Spec.RuntimeClassName != rc.Name {
		t.Fatalf("the pods' runtimeClassName %v is not the RuntimeClass %s", pod.Spec.RuntimeClassName, rc.Name)
	}
	if pod.Spec.NodeSelector == nil {
		pod.Spec.NodeSelector = map[string]string{}
	}
	if rc.Scheduling != nil {
		maps.Copy(pod.Spec.NodeSelector, rc.Scheduling.NodeSelector)
	}
	schedulable := func(nodeLabels map[string]string) bool {
		ok, err := nodeaffinity.GetRequiredNodeAffinity(&pod).Match(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: nodeLabels}})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	edge := maps.Clone(labels)
	edge[kubeEdgeEdgeLabel] = ""
	if !schedulable(edge) {
		t.Errorf("an edge node registered with %v does not take the pods (nodeSelector %v)", edge, pod.Spec.NodeSelector)
	}
	cloud := maps.Clone(labels)
	if schedulable(cloud) {
		t.Errorf("a cloud node (no %s) takes the pods", kubeEdgeEdgeLabel)
	}
	for k := range labels {
		bare := maps.Clone(edge)
		delete(bare, k)
		if schedulable(bare) {
			t.Errorf("an edge node without %s takes the pods", k)
		}
	}

	// The containerd the node file configures listens where edged connects.
	containerdListensAt(t, node.YAML, sock)
}

// podSpecOf is the pod spec of a Pod or of a controller's pod template.
func podSpecOf(obj map[string]any) map[string]any {
	if obj["kind"] == "Pod" {
		return obj["spec"].(map[string]any)
	}
	return obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
}

// containerdListensAt loads a containerd node file with the installed containerd (config
// dump) and checks its gRPC address is sock.
func containerdListensAt(t *testing.T, toml []byte, sock string) {
	t.Helper()
	bin, err := exec.LookPath("containerd")
	if err != nil {
		t.Log("containerd is not installed (scripts/setup-emit.sh installs it): its address is not checked")
		return
	}
	f := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(f, toml, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--config", f, "config", "dump").CombinedOutput()
	if err != nil {
		t.Fatalf("containerd config dump: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^\[grpc\]\n(?:\s+.*\n)*?\s+address = "([^"]*)"`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("containerd's dump has no [grpc] address:\n%s", out)
	}
	if string(m[1]) != sock {
		t.Errorf("containerd listens at %s, edged connects to %s", m[1], sock)
	}
}

package plan_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/internal/admissiontest"
	"github.com/strata-dev/strata/internal/golden"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/emit")

// emitCase is a workload to plan and emit: one of the seed's scenarios (with an image, which
// the seed does not name) or a workload file of our own.
type emitCase struct {
	name     string
	scenario string
	file     string
}

var emitCases = []emitCase{
	{name: "edge", scenario: "edge"},
	{name: "ai-inference", scenario: "ai-inference"},
	{name: "serverless", scenario: "serverless"},
	{name: "microservices", scenario: "microservices"},
	{name: "untrusted-cuda", file: "testdata/workloads/untrusted-cuda.yaml"},
	{name: "checkout", file: "testdata/workloads/checkout.yaml"},
	{name: "karmada-wasm", file: "testdata/workloads/karmada-wasm.yaml"},
	{name: "edge-fleet", file: "testdata/workloads/edge-fleet.yaml"},
	{name: "single-host", file: "testdata/workloads/single-host.yaml"},
	{name: "billing", file: "testdata/workloads/billing.yaml"},
	{name: "edge-untrusted", file: "testdata/workloads/edge-untrusted.yaml"},
	{name: "karmada-untrusted", file: "testdata/workloads/karmada-untrusted.yaml"},
}

// emit plans the case and builds its objects, returning them with the plan.
func emit(t *testing.T, p *plan.Planner, c emitCase) ([]manifest.Object, *plan.Plan) {
	t.Helper()
	var w plan.Workload
	if c.scenario != "" {
		var err error
		if w, err = p.ScenarioWorkload(c.scenario); err != nil {
			t.Fatal(err)
		}
	} else {
		files, err := network.ReadFiles(c.file)
		if err != nil {
			t.Fatal(err)
		}
		ws, err := plan.ReadWorkloads(files)
		if err != nil {
			t.Fatal(err)
		}
		w = ws[0]
	}
	pl, err := p.Plan(w)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := p.Emit(pl, w, plan.EmitOptions{Image: "ghcr.io/example/" + c.name + ":1.0", Namespace: "apps"})
	if err != nil {
		t.Fatal(err)
	}
	return objs, pl
}

// TestEmitGolden pins every case's emitted set. Refresh with go test ./plan -update.
func TestEmitGolden(t *testing.T) {
	p := planner(t)
	for _, c := range emitCases {
		t.Run(c.name, func(t *testing.T) {
			objs, _ := emit(t, p, c)
			var files []golden.File
			for _, o := range objs {
				files = append(files, golden.File{Name: o.File, Data: o.YAML})
			}
			if !slices.IsSortedFunc(files, func(a, b golden.File) int { return strings.Compare(a.Name, b.Name) }) {
				t.Errorf("files %v are not numbered in apply order", files)
			}
			golden.CheckDir(t, filepath.Join("testdata", "emit", c.name), files, *update)
		})
	}
}

// wantFiles names, per case, the plan's engine and the policy files it must (and must only)
// give: the objects of the engine the plan chose for its Z, and NetworkPolicy kept below
// every Z ≥ 1 in a cluster. An engine the plan excluded gets nothing.
var wantPolicy = map[string]struct {
	coords plan.Coordinates
	engine string
	kinds  []string // policy kinds emitted, sorted
}{
	"edge":              {plan.Coordinates{X: 2, Y: 4, Z: 3}, "", []string{"NetworkPolicy", "ValidatingAdmissionPolicy"}},
	"ai-inference":      {plan.Coordinates{X: 2, Y: 4, Z: 3}, "", []string{"NetworkPolicy", "ValidatingAdmissionPolicy"}},
	"serverless":        {plan.Coordinates{X: 2, Y: 4, Z: 3}, "OPA-Wasm", []string{"ConfigMap/opa-wasm", "NetworkPolicy", "ValidatingAdmissionPolicy"}},
	"microservices":     {plan.Coordinates{X: 1, Y: 3, Z: 0}, "", nil},
	"untrusted-cuda":    {plan.Coordinates{X: 1, Y: 4, Z: 3}, "Gatekeeper", []string{"NetworkPolicy", "StrataAllowedRuntimeClasses"}},
	"checkout":          {plan.Coordinates{X: 1, Y: 3, Z: 1}, "NetworkPolicy", []string{"NetworkPolicy"}},
	"karmada-wasm":      {plan.Coordinates{X: 3, Y: 4, Z: 3}, "", []string{"NetworkPolicy", "ValidatingAdmissionPolicy"}},
	"edge-fleet":        {plan.Coordinates{X: 4, Y: 3, Z: 0}, "", nil},
	"single-host":       {plan.Coordinates{X: 0, Y: 3, Z: 2}, "OPA", []string{"OPAPolicy"}},
	"billing":           {plan.Coordinates{X: 1, Y: 4, Z: 4}, "business-rules", []string{"NetworkPolicy", "StrataAllowedRuntimeClasses", "StrataRequiredLabels"}},
	"edge-untrusted":    {plan.Coordinates{X: 4, Y: 4, Z: 3}, "Gatekeeper", []string{"NetworkPolicy", "StrataAllowedRuntimeClasses"}},
	"karmada-untrusted": {plan.Coordinates{X: 3, Y: 4, Z: 3}, "Gatekeeper", []string{"NetworkPolicy", "StrataAllowedRuntimeClasses"}},
}

// policyKinds are the kinds of the policy objects among the emitted ones, each once (a
// Gatekeeper workload has two StrataAllowedRuntimeClasses: its pods' and its classes'
// handlers).
func policyKinds(objs []manifest.Object) []string {
	var out []string
	for _, o := range objs {
		switch {
		case o.Kind == "NetworkPolicy", o.Kind == manifest.ConstraintKind, o.Kind == manifest.LabelsConstraintKind, o.Kind == manifest.KindOPAPolicy,
			o.Kind == manifest.KindValidatingAdmissionPolicy:
			out = append(out, o.Kind)
		case o.Kind == "ConfigMap" && strings.Contains(o.File, "-opa-wasm-"):
			out = append(out, "ConfigMap/opa-wasm")
		case o.Kind == "ConfigMap" && strings.Contains(o.File, "-opa-admission"):
			out = append(out, "ConfigMap/opa-admission")
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestEmitPolicyFollowsThePlan: the policy objects are exactly those of the engine the plan
// chose for its Z (with NetworkPolicy kept below), never Gatekeeper's by default, and the
// plan says what enforces Z.
func TestEmitPolicyFollowsThePlan(t *testing.T) {
	p := planner(t)
	for _, c := range emitCases {
		t.Run(c.name, func(t *testing.T) {
			want, ok := wantPolicy[c.name]
			if !ok {
				t.Fatal("no expectation")
			}
			objs, pl := emit(t, p, c)
			if pl.Coordinates != want.coords {
				t.Errorf("planned at %v, want %v", pl.Coordinates, want.coords)
			}
			if got := pl.Technology(plan.RolePolicy); got != want.engine {
				t.Errorf("policy engine %q, want %q", got, want.engine)
			}
			if got := policyKinds(objs); !slices.Equal(got, want.kinds) {
				t.Errorf("policy objects %v, want %v", got, want.kinds)
			}
			z := pl.Reasons[2]
			if want.coords.Z > 0 && !strings.Contains(z, "enforces") {
				t.Errorf("the plan does not say what enforces Z: %q", z)
			}
			if want.engine == "" && want.coords.Z > 0 && !strings.Contains(z, "itself enforces it") {
				t.Errorf("no engine, but the Z reason does not name what enforces Z: %q", z)
			}
		})
	}
}

// TestEmitDecodesStrictly decodes every emitted Kubernetes object with the Kubernetes
// scheme, failing on unknown fields, and checks the plan's choices are what the objects say:
// the runtime class, and the coordinates the one placement function computes.
func TestEmitDecodesStrictly(t *testing.T) {
	p := planner(t)
	for _, c := range emitCases {
		t.Run(c.name, func(t *testing.T) {
			objs, pl := emit(t, p, c)
			for _, o := range objs {
				switch o.Kind {
				case manifest.KindContainerdConfig:
					if !bytes.Contains(o.YAML, []byte("runtime_type")) {
						t.Errorf("%s has no runtime_type", o.File)
					}
					continue
				case manifest.KindEdgeCoreConfig:
					continue // TestKubeEdgePlacement, with the kubelet's own configuration type
				case "ConstraintTemplate", manifest.ConstraintKind, manifest.LabelsConstraintKind:
					continue // TestEmitAdmission decodes them against Gatekeeper's CRDs
				case manifest.KindPropagationPolicy, manifest.KindClusterPropagationPolicy:
					continue // TestKarmadaDecodesStrictly, with Karmada's own types
				case manifest.KindComposeFile, manifest.KindDockerRun, manifest.KindDockerDaemonConfig, manifest.KindOPAPolicy:
					continue // TestDockerFiles
				}
				if _, kind, err := admissiontest.Decode(o.YAML); err != nil {
					t.Errorf("%s: strict decode: %v", o.File, err)
				} else if kind != o.Kind {
					t.Errorf("%s decodes as %s, not %s", o.File, kind, o.Kind)
				}
			}
			if pl.Coordinates.X == 0 {
				return
			}
			wl := workloadObject(t, objs)
			ps := admissiontest.PodSpec(wl)
			if got, want := ps["runtimeClassName"], classOf(t, p, pl.Allowed[0]); got != want {
				t.Errorf("runtimeClassName %v, want %s (the class of %s)", got, want, pl.Allowed[0])
			}
			labels := wl["metadata"].(map[string]any)["labels"].(map[string]any)
			if got, want := labels[manifest.LabelCoordinates], fmt.Sprintf("%d-%d-%d", pl.Coordinates.X, pl.Coordinates.Y, pl.Coordinates.Z); got != want {
				t.Errorf("coordinates label %v, plan %s", got, want)
			}
		})
	}
}

// gatekeeperPolicy compiles the emitted runtime-class template and constraint.
func gatekeeperPolicy(t *testing.T, objs []manifest.Object, templateName, kind string) *admissiontest.Policy {
	t.Helper()
	var tmpl, cons []byte
	for _, o := range objs {
		switch {
		case o.Kind == "ConstraintTemplate" && o.Name == templateName:
			tmpl = o.YAML
		case o.Kind == kind && cons == nil: // the pod-level constraint comes first
			cons = o.YAML
		}
	}
	pol, err := admissiontest.NewPolicy(tmpl, cons)
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

// TestEmitAdmission runs Gatekeeper's decision with the OPA library on every emitted
// workload with Gatekeeper's objects: admitted as emitted; admitted with any allowed runtime
// class; denied with every runtime class the plan does not allow, among them one strictly
// weaker by isolation-strength; and denied when its pod template drops every strata label
// but the workload's (issue: the isolation label was the selector, and dropping it escaped).
func TestEmitAdmission(t *testing.T) {
	p := planner(t)
	every := []string{"runc", "crun", "gvisor", "kata-qemu", "kata-fc", "wasmedge", "spin"}
	checked := 0
	for _, c := range emitCases {
		objs, pl := emit(t, p, c)
		if !slices.ContainsFunc(objs, func(o manifest.Object) bool { return o.Kind == manifest.ConstraintKind }) {
			continue
		}
		checked++
		t.Run(c.name, func(t *testing.T) {
			pol := gatekeeperPolicy(t, objs, manifest.TemplateName, manifest.ConstraintKind)
			wl := workloadObject(t, objs)
			if !pol.Matches(wl) {
				t.Fatalf("the constraint does not select the emitted %s", wl["kind"])
			}
			if v, err := pol.Review(wl); err != nil || len(v) > 0 {
				t.Fatalf("the emitted %s is denied: %v %v", wl["kind"], v, err)
			}
			allowed := map[string]bool{}
			for _, id := range pl.Allowed {
				allowed[classOf(t, p, id)] = true
			}
			weaker := false
			for _, class := range every {
				admissiontest.PodSpec(wl)["runtimeClassName"] = class
				v, err := pol.Review(wl)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case allowed[class] && len(v) > 0:
					t.Errorf("allowed class %s is denied: %v", class, v)
				case !allowed[class] && len(v) != 1:
					t.Errorf("class %s, which the plan does not allow, got violations %v", class, v)
				case !allowed[class] && !strings.Contains(v[0], `runtimeClassName is "`+class+`", which is not allowed`):
					t.Errorf("class %s: message %q does not say why", class, v[0])
				}
				if !allowed[class] && (class == "runc" || class == "crun") && pl.Layer != "L-3" {
					weaker = true // L-3 is below every other layer in isolation-strength
				}
			}
			if !weaker {
				t.Error("no strictly weaker runtime class was tried")
			}
			// The bypass: keep only the workload label on the pods (and none on the
			// controller), run under runc.
			bypass := bypassed(t, wl)
			if v, err := pol.Review(bypass); err != nil || len(v) != 1 {
				t.Errorf("a %s whose pods keep only %s and run under runc: violations %v %v", bypass["kind"], manifest.LabelWorkload, v, err)
			}
			delete(admissiontest.PodSpec(wl), "runtimeClassName")
			if v, _ := pol.Review(wl); len(v) != 1 || !strings.Contains(v[0], "runtimeClassName is not set") {
				t.Errorf("a pod without a runtime class: violations %v", v)
			}
		})
	}
	if checked < 2 {
		t.Errorf("only %d cases emitted a Gatekeeper policy; untrusted-cuda and billing should", checked)
	}
}

// bypassed is wl with every strata.dev label dropped from its pods except the workload's,
// none on the object itself, and runtimeClassName runc: the pods are still the workload's
// (its Deployment selector, NetworkPolicy and scrape job select them by that label).
func bypassed(t *testing.T, wl map[string]any) map[string]any {
	t.Helper()
	data, err := json.Marshal(wl)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	meta := out["metadata"].(map[string]any)
	var podLabels map[string]any
	if out["kind"] == "Pod" {
		podLabels = meta["labels"].(map[string]any)
	} else {
		delete(meta, "labels")
		podLabels = out["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any)
	}
	for k := range podLabels {
		if strings.HasPrefix(k, "strata.dev/") && k != manifest.LabelWorkload {
			delete(podLabels, k)
		}
	}
	admissiontest.PodSpec(out)["runtimeClassName"] = "runc"
	return out
}

// workloadObject is the workload itself (file 60-…), not the Collector's Deployment.
func workloadObject(t *testing.T, objs []manifest.Object) map[string]any {
	t.Helper()
	for _, o := range objs {
		if strings.HasPrefix(o.File, "60-") {
			var m map[string]any
			if err := yaml.Unmarshal(o.YAML, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatal("no workload object")
	return nil
}

// classOf is the RuntimeClass name the network gives a runtime: its runtime-class, else
// its handler.
func classOf(t *testing.T, p *plan.Planner, id string) string {
	t.Helper()
	n, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := n.Entity(id)
	if !ok {
		t.Fatalf("no runtime %s", id)
	}
	for _, name := range []string{"runtime-class", "handler"} {
		if a, ok := e.Attr(name); ok {
			return a.String
		}
	}
	t.Fatalf("%s has no handler", id)
	return ""
}

// TestEmitFollowsOverlaidData: the RuntimeClass name and overhead, the shim and its options
// come from the network.
func TestEmitFollowsOverlaidData(t *testing.T) {
	p := planner(t, network.File{Name: "overlay.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: overlay}
spec:
  category: technology
  items:
    - {id: WasmEdge, merge: true, attributes: {runtime-class: wasm-sandbox, workload-footprint-mb: 12, overhead-cpu: 20m, runtime-type: io.containerd.wasmedge.v2}}
`)})
	objs, _ := emit(t, p, emitCases[0])
	var rc map[string]any
	for _, o := range objs {
		switch o.Kind {
		case "RuntimeClass":
			if err := yaml.Unmarshal(o.YAML, &rc); err != nil {
				t.Fatal(err)
			}
		case manifest.KindContainerdConfig:
			if !bytes.Contains(o.YAML, []byte(`runtime_type = "io.containerd.wasmedge.v2"`)) {
				t.Errorf("the overlaid shim is not in %s:\n%s", o.File, o.YAML)
			}
		}
	}
	meta, _ := rc["metadata"].(map[string]any)
	fixed, _ := rc["overhead"].(map[string]any)["podFixed"].(map[string]any)
	if meta["name"] != "wasm-sandbox" || rc["handler"] != "wasmedge" || fixed["memory"] != "12Mi" || fixed["cpu"] != "20m" {
		t.Errorf("RuntimeClass %v", rc)
	}
}

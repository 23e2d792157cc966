package plan_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/internal/admissiontest"
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
			dir := filepath.Join("testdata", "emit", c.name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if err := manifest.WriteDir(dir, objs, manifest.WriteOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatalf("%v (run go test ./plan -update)", err)
			}
			var want, got []string
			for _, e := range entries {
				want = append(want, e.Name())
			}
			for _, o := range objs {
				got = append(got, o.File)
				data, err := os.ReadFile(filepath.Join(dir, o.File))
				if err != nil {
					continue
				}
				if !bytes.Equal(data, o.YAML) {
					t.Errorf("%s differs from the golden file (go test ./plan -update):\n%s", o.File, o.YAML)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("files %v, golden %v", got, want)
			}
		})
	}
}

// TestEmitDecodesStrictly decodes every emitted Kubernetes object with the Kubernetes
// scheme, failing on unknown fields, and checks the plan's choices are what the objects say.
func TestEmitDecodesStrictly(t *testing.T) {
	p := planner(t)
	for _, c := range emitCases {
		t.Run(c.name, func(t *testing.T) {
			objs, pl := emit(t, p, c)
			kinds := map[string]bool{}
			for _, o := range objs {
				kinds[o.Kind] = true
				switch o.Kind {
				case manifest.KindContainerdConfig:
					if !bytes.Contains(o.YAML, []byte("runtime_type")) {
						t.Errorf("%s has no runtime_type", o.File)
					}
					continue
				case "ConstraintTemplate", manifest.ConstraintKind:
					continue // TestEmitAdmission decodes them against Gatekeeper's CRDs
				}
				if _, kind, err := admissiontest.Decode(o.YAML); err != nil {
					t.Errorf("%s: strict decode: %v", o.File, err)
				} else if kind != o.Kind {
					t.Errorf("%s decodes as %s, not %s", o.File, kind, o.Kind)
				}
			}
			if !kinds["RuntimeClass"] {
				t.Error("no RuntimeClass")
			}
			if z := pl.Coordinates.Z; (z >= 2) != kinds["ConstraintTemplate"] || (z >= 1) != kinds["NetworkPolicy"] {
				t.Errorf("Z=%d but emitted kinds %v: Z ≥ 1 needs a NetworkPolicy, Z ≥ 2 a Gatekeeper template", z, kinds)
			}
			// The pods run under the chosen runtime's class, as the network names it.
			wl := workloadObject(t, objs)
			ps := admissiontest.PodSpec(wl)
			if got, want := ps["runtimeClassName"], classOf(t, p, pl.Allowed[0]); got != want {
				t.Errorf("runtimeClassName %v, want %s (the class of %s)", got, want, pl.Allowed[0])
			}
		})
	}
}

// TestEmitAdmission runs Gatekeeper's decision with the OPA library on every emitted
// workload: admitted as emitted; admitted with any allowed runtime class; denied with every
// runtime class the plan does not allow, among them one strictly weaker by isolation-strength.
func TestEmitAdmission(t *testing.T) {
	p := planner(t)
	every := []string{"runc", "crun", "gvisor", "kata-qemu", "kata-fc", "wasmedge", "spin"}
	checked := 0
	for _, c := range emitCases {
		objs, pl := emit(t, p, c)
		if pl.Coordinates.Z < 2 {
			continue
		}
		checked++
		t.Run(c.name, func(t *testing.T) {
			var tmpl, cons []byte
			for _, o := range objs {
				switch o.Kind {
				case "ConstraintTemplate":
					tmpl = o.YAML
				case manifest.ConstraintKind:
					cons = o.YAML
				}
			}
			pol, err := admissiontest.NewPolicy(tmpl, cons)
			if err != nil {
				t.Fatal(err)
			}
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
			delete(admissiontest.PodSpec(wl), "runtimeClassName")
			if v, _ := pol.Review(wl); len(v) != 1 || !strings.Contains(v[0], "runtimeClassName is not set") {
				t.Errorf("a pod without a runtime class: violations %v", v)
			}
		})
	}
	if checked < 4 {
		t.Errorf("only %d cases emitted a Gatekeeper policy; the seed's L-4 scenarios should", checked)
	}
}

// TestEmitErrors: what a plan cannot become, said clearly.
func TestEmitErrors(t *testing.T) {
	p := planner(t)
	w, err := p.ScenarioWorkload("edge")
	if err != nil {
		t.Fatal(err)
	}
	pl, err := p.Plan(w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Emit(pl, w, plan.EmitOptions{}); !errors.Is(err, plan.ErrNoImage) || !strings.Contains(err.Error(), "--image") {
		t.Errorf("no image: %v", err)
	}
	single := readOne(t, `apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: {name: solo}
spec: {sites: [single-host], image: busybox}
`)
	pl, err = p.Plan(single)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Coordinates.X != 0 {
		t.Fatalf("single host planned at X=%d", pl.Coordinates.X)
	}
	if _, err := p.Emit(pl, single, plan.EmitOptions{}); !errors.Is(err, manifest.ErrInvalidChoice) || !strings.Contains(err.Error(), "X=0, a single Docker host, has no manifests") {
		t.Errorf("single host: %v", err)
	}
}

// TestEmitFollowsOverlaidData: the RuntimeClass name and overhead come from the network.
func TestEmitFollowsOverlaidData(t *testing.T) {
	p := planner(t, network.File{Name: "overlay.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: overlay}
spec:
  category: technology
  items:
    - {id: WasmEdge, merge: true, attributes: {runtime-class: wasm-sandbox, workload-footprint-mb: 12, overhead-cpu: 20m}}
`)})
	objs, _ := emit(t, p, emitCases[0])
	var rc map[string]any
	for _, o := range objs {
		if o.Kind == "RuntimeClass" {
			if err := yaml.Unmarshal(o.YAML, &rc); err != nil {
				t.Fatal(err)
			}
		}
	}
	meta, _ := rc["metadata"].(map[string]any)
	fixed, _ := rc["overhead"].(map[string]any)["podFixed"].(map[string]any)
	if meta["name"] != "wasm-sandbox" || rc["handler"] != "wasmedge" || fixed["memory"] != "12Mi" || fixed["cpu"] != "20m" {
		t.Errorf("RuntimeClass %v", rc)
	}
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

// classOf is the RuntimeClass name the network gives a runtime.
func classOf(t *testing.T, p *plan.Planner, id string) string {
	t.Helper()
	w := plan.Workload{Name: "x", Kind: manifest.KindDeployment, Image: "x"}
	c, err := p.Choice(&plan.Plan{Allowed: []string{id}}, w, plan.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Runtime.Class != "" {
		return c.Runtime.Class
	}
	return c.Runtime.Handler
}

// TestNetworkAgreesWithManifestHandlers: the network's handler and runtime-type attributes
// (which the plan's reasons cite) and its layers, and the shims and layers the manifests
// configure, cannot drift apart.
func TestNetworkAgreesWithManifestHandlers(t *testing.T) {
	n, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	p := planner(t)
	known := map[string]manifest.HandlerInfo{}
	for _, h := range manifest.Handlers() {
		known[h.Name] = h
	}
	seen := 0
	for _, e := range n.Entities {
		h, ok := e.Attr("handler")
		if !ok {
			continue
		}
		seen++
		info, ok := known[h.String]
		if !ok {
			t.Errorf("%s: handler %s is not one the manifests can configure", e.ID, h.String)
			continue
		}
		if rt, _ := e.Attr("runtime-type"); rt.String != info.RuntimeType {
			t.Errorf("%s: runtime-type %q in the network, %q in the containerd configuration", e.ID, rt.String, info.RuntimeType)
		}
		// The one layer the runtime represents is the one layer the handler is admitted at:
		// a second would let the admission policy take it for a runtime of another strength.
		c, err := p.Choice(&plan.Plan{Allowed: []string{e.ID}}, plan.Workload{Name: "x", Kind: manifest.KindDeployment, Image: "x"}, plan.EmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(info.Layers, []string{c.Runtime.Layer}) {
			t.Errorf("%s represents %s in the network; the manifests admit handler %s at %v", e.ID, c.Runtime.Layer, info.Name, info.Layers)
		}
	}
	if seen != len(known) {
		t.Errorf("the network has %d runtimes with a handler, the manifests know %d", seen, len(known))
	}
}

package plan_test

import (
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

// TestRuntimePinFromData: what pins the runtime class comes from the network's data, not
// from Go. A WasmEdge workload at the edge (Z=3 from WasmEdge's sandbox, no engine) gets
// kube-apiserver's ValidatingAdmissionPolicy, and the plan says so and why; an overlay that
// takes pins-runtime-class away and gives it to a new technology makes the files that
// technology's; a plan as of a year before any pin existed emits none and says that nothing
// pins the runtime class, and why; a workload whose engine pins the class itself
// (Gatekeeper) gets no second pin.
func TestRuntimePinFromData(t *testing.T) {
	const wasmAtTheEdge = `{artifact: wasm, sites: [edge]}`
	otherPin := network.File{Name: "other-pin.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: other-pin}
spec:
  category: technology
  items:
    - {id: ValidatingAdmissionPolicy, merge: true, attributes: {pins-runtime-class: false}}
    - id: APIServerPin
      attributes: {since: 2020, orchestrator-needs: [kubernetes-api], pins-runtime-class: true, policy-objects: [validating-admission-policy-runtime-classes]}
`)}
	for _, tc := range []struct {
		name    string
		overlay []network.File
		spec    string
		pin     string // the engine annotation of the pin's objects; "" for none
		says    string
	}{
		{name: "default", spec: wasmAtTheEdge, pin: "ValidatingAdmissionPolicy",
			says: "ValidatingAdmissionPolicy pins the runtime class at admission (pins-runtime-class, default/80-planning.yaml"},
		{name: "overlay", overlay: []network.File{otherPin}, spec: wasmAtTheEdge, pin: "APIServerPin",
			says: "APIServerPin pins the runtime class at admission (pins-runtime-class, other-pin.yaml"},
		{name: "2021", spec: `{artifact: wasm, sites: [edge], asOf: 2021}`,
			says: "nothing pins the runtime class at admission (ValidatingAdmissionPolicy: "},
		{name: "Gatekeeper pins it", spec: `{artifact: wasm, sites: [edge], trust: untrusted}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := planner(t, tc.overlay...)
			w := readOne(t, "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: "+tc.spec+"\n")
			pl, err := p.Plan(w)
			if err != nil {
				t.Fatal(err)
			}
			if pl.Coordinates.Z < 3 {
				t.Fatalf("planned at %v; the case needs Z ≥ 3", pl.Coordinates)
			}
			text := planText(pl)
			if tc.says != "" && !strings.Contains(text, tc.says) {
				t.Errorf("the plan does not say %q:\n%s", tc.says, text)
			}
			if tc.says == "" && strings.Contains(text, "pins the runtime class") {
				t.Errorf("the plan speaks of a pin its engine makes needless:\n%s", text)
			}
			objs, err := p.Emit(pl, w, plan.EmitOptions{Image: "example/w:1"})
			if err != nil {
				t.Fatal(err)
			}
			var pins []manifest.Object
			for _, o := range objs {
				if o.Kind == manifest.KindValidatingAdmissionPolicy || o.Kind == manifest.KindValidatingAdmissionPolicyBinding {
					pins = append(pins, o)
				}
			}
			if tc.pin == "" {
				if len(pins) > 0 {
					t.Errorf("emitted %d pin objects; want none", len(pins))
				}
				return
			}
			if len(pins) != 2 {
				t.Fatalf("emitted %d pin objects; want the policy and its binding", len(pins))
			}
			for _, o := range pins {
				if !strings.Contains(string(o.YAML), manifest.LabelPolicyEngine+": "+tc.pin+"\n") {
					t.Errorf("%s does not name %s as its engine:\n%s", o.File, tc.pin, o.YAML)
				}
			}
		})
	}
}

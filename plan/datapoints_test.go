package plan_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

// Each case is a data point issue 12 found wrong, with the plan it must now give.
func TestDataPoints(t *testing.T) {
	gvisorLater := network.File{Name: "later.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: later}
spec:
  category: technology
  items:
    - {id: gVisor, merge: true, attributes: {since: 2030}}
`)}
	spinGPU := network.File{Name: "spin-gpu.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: spin-gpu}
spec:
  category: technology
  items:
    - {id: spin, merge: true, attributes: {capabilities: [wasm, gpu], since: 2019}}
`)}
	for _, tc := range []struct {
		name    string
		overlay []network.File
		spec    string
		stack   []string // the plan's technologies, in order
		coords  plan.Coordinates
		kinds   []string // policy objects emitted
		reason  string   // in the plan's text
	}{
		// KubeEdge's footprint was the cloud side's (4096 MB), so no constrained cloud-edge
		// workload could be planned; the edge node runs edgecore.
		{name: "constrained cloud-edge", spec: `{footprint: constrained, sites: [cloud-edge]}`,
			stack: []string{"KubeEdge", "containerd", "runc", "OTLP", "eBPF"}, coords: plan.Coordinates{X: 4, Y: 3, Z: 0}},
		// Fleet beat Karmada on "since" alone; Karmada adds nothing to member nodes in push mode.
		{name: "multi-cluster", spec: `{sites: [multi-cluster]}`,
			stack: []string{"Karmada", "containerd", "runc", "OTLP", "eBPF"}, coords: plan.Coordinates{X: 3, Y: 3, Z: 0},
			reason: "node-footprint-mb 2176 > Karmada's 2048"},
		{name: "highly available multi-cluster", spec: `{availability: high, sites: [multi-cluster]}`,
			stack: []string{"Karmada", "containerd", "runc", "OTLP", "eBPF"}, coords: plan.Coordinates{X: 3, Y: 3, Z: 0},
			reason: "Fleet: lacks high-availability"},
		// OTLP and eBPF had no since, so a 2016 plan listed OTLP (stable in 2021).
		{name: "2017 observability", spec: `{asOf: 2017, sites: [cluster]}`,
			stack: []string{"Kubernetes", "containerd", "runc", "eBPF"}, coords: plan.Coordinates{X: 1, Y: 3, Z: 0}},
		// Untrusted code on Kata got Z=0 and no runtime-class constraint.
		{name: "untrusted on Kata", overlay: []network.File{gvisorLater}, spec: `{trust: untrusted, artifact: oci, sites: [cluster], asOf: 2026}`,
			stack: []string{"Kubernetes", "containerd", "kata-qemu", "Gatekeeper", "OTLP", "eBPF"}, coords: plan.Coordinates{X: 1, Y: 1, Z: 3},
			kinds: []string{"NetworkPolicy", manifest.ConstraintKind}, reason: "untrusted-code (min-z 3"},
		// policy: runtime at the edge planned (2, 3, 2) beside OPA, which is Z=3 in a cluster.
		{name: "runtime policy at the edge", spec: `{artifact: oci, policy: runtime, sites: [edge]}`,
			stack: []string{"K3s", "containerd", "runc", "OPA-Wasm", "OTLP", "eBPF"}, coords: plan.Coordinates{X: 2, Y: 3, Z: 3},
			kinds: []string{"ConfigMap/opa-wasm", "NetworkPolicy", manifest.KindValidatingAdmissionPolicy}, reason: "OPA reaches Z=3 only inside a cluster"},
		// policy: infrastructure beside WasmEdge: NetworkPolicy enforces Z=1, WasmEdge's
		// sandbox implies Z=3; the emitter no longer refuses it.
		{name: "infrastructure policy beside WasmEdge", spec: `{artifact: wasm, policy: infrastructure, sites: [edge]}`,
			stack: []string{"K3s", "containerd", "WasmEdge", "NetworkPolicy", "OTLP", "eBPF"}, coords: plan.Coordinates{X: 2, Y: 4, Z: 3},
			kinds: []string{"NetworkPolicy", manifest.KindValidatingAdmissionPolicy}, reason: "which NetworkPolicy enforces"},
		// Spin given a GPU by overlay: planned, and now emitted.
		{name: "Spin with a GPU", overlay: []network.File{spinGPU}, spec: `{artifact: wasm, gpu: 1, sites: [edge], startupBudget: 4ms}`,
			stack: []string{"K3s", "containerd", "spin", "GPU", "OTLP", "eBPF"}, coords: plan.Coordinates{X: 2, Y: 4, Z: 3},
			kinds: []string{"NetworkPolicy", manifest.KindValidatingAdmissionPolicy}, reason: "ValidatingAdmissionPolicy pins the runtime class at admission"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := planner(t, tc.overlay...)
			w := readOne(t, "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: "+tc.spec+"\n")
			pl, err := p.Plan(w)
			if err != nil {
				t.Fatal(err)
			}
			if got := pl.Technologies(); !slices.Equal(got, tc.stack) || pl.Coordinates != tc.coords {
				t.Errorf("plan %v at %v, want %v at %v", got, pl.Coordinates, tc.stack, tc.coords)
			}
			if tc.reason != "" && !strings.Contains(planText(pl), tc.reason) {
				t.Errorf("the plan does not say %q:\n%s", tc.reason, planText(pl))
			}
			objs, err := p.Emit(pl, w, plan.EmitOptions{Image: "example/w:1"})
			if err != nil {
				t.Fatal(err)
			}
			kinds := policyKinds(objs)
			if !slices.Equal(kinds, tc.kinds) {
				t.Errorf("policy objects %v, want %v", kinds, tc.kinds)
			}
		})
	}
	// The seed's K3s + OPA, as strata coordinates places it, is where a plan with that stack is.
	p := planner(t)
	c, err := p.Coordinates([]string{"K3s", "runc", "OPA"})
	if err != nil || c.Coordinates != (plan.Coordinates{X: 2, Y: 3, Z: 3}) {
		t.Errorf("K3s runc OPA = %v (%v)", c.Coordinates, err)
	}
}

// planText is everything a plan says, for searching.
func planText(pl *plan.Plan) string {
	var b strings.Builder
	for _, r := range pl.Reasons {
		b.WriteString(r + "\n")
	}
	for _, c := range pl.Stack {
		b.WriteString(strings.Join(c.Reasons, "; ") + "\n")
		for _, a := range c.Alternatives {
			b.WriteString(a.Technology + ": " + a.Reason + "\n")
		}
	}
	return b.String()
}

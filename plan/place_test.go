package plan_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

// oracle computes a stack's coordinates from the network's facts directly, written apart
// from the planner: X the coordinate of the X point its orchestrator represents, Y that of
// the Y point corresponding to its runtime's layer (or the orchestrator's default runtime's),
// Z the highest of every technology's Z point, policy-level and, in a cluster,
// policy-level-in-cluster.
func oracle(n *network.Network, stack []string) (plan.Coordinates, bool) {
	coord := func(id string) int {
		e, _ := n.Entity(id)
		a, _ := e.Attr("coordinate")
		return int(a.Int)
	}
	axisOf := func(point string) string {
		for _, axis := range []string{"X", "Y", "Z"} {
			d, _ := n.Dimension(axis)
			if slices.Contains(d.Values, point) {
				return axis
			}
		}
		return ""
	}
	iso, _ := n.Dimension("isolation")
	layerOf := func(id string) string {
		e, _ := n.Entity(id)
		if _, ok := e.Attr("handler"); !ok {
			return ""
		}
		for _, f := range n.FactsOf(id, "represents") {
			if slices.Contains(iso.Values, f.Object) {
				return f.Object
			}
		}
		return ""
	}
	c := plan.Coordinates{X: -1, Y: -1}
	orch, layer, runtime := "", "", ""
	for _, id := range stack {
		for _, f := range n.FactsOf(id, "represents") {
			if axisOf(f.Object) == "X" {
				c.X, orch = coord(f.Object), id
			}
		}
		if l := layerOf(id); l != "" {
			layer, runtime = l, id
		}
	}
	if orch == "" {
		return c, false
	}
	if layer == "" {
		e, _ := n.Entity(orch)
		def, ok := e.Attr("default-runtime")
		if !ok || layerOf(def.String) == "" {
			return c, false
		}
		layer, runtime = layerOf(def.String), def.String
	}
	y, _ := n.Dimension("Y")
	for _, pt := range y.Values {
		for _, f := range n.FactsOf(pt, "corresponds-to") {
			if f.Object == layer {
				c.Y = coord(pt)
			}
		}
	}
	for _, id := range append(slices.Clone(stack), runtime) {
		e, _ := n.Entity(id)
		for _, f := range n.FactsOf(id, "represents") {
			if axisOf(f.Object) == "Z" {
				c.Z = max(c.Z, coord(f.Object))
			}
		}
		names := []string{"policy-level"}
		if c.X > 0 {
			names = append(names, "policy-level-in-cluster")
		}
		for _, name := range names {
			if a, ok := e.Attr(name); ok {
				c.Z = max(c.Z, int(a.Int))
			}
		}
	}
	return c, true
}

// TestCoordinatesAgreeWithOracle: random stacks of the network's technologies, placed by
// strata coordinates' function and by the oracle.
func TestCoordinatesAgreeWithOracle(t *testing.T) {
	n, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	p := planner(t)
	var techs []string
	for _, e := range n.Entities {
		if e.Category == network.CategoryTechnology {
			techs = append(techs, e.ID)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	agreed, refused := 0, 0
	for i := 0; i < 600; i++ {
		k := 1 + rng.IntN(4)
		var stack []string
		for range k {
			stack = append(stack, techs[rng.IntN(len(techs))])
		}
		want, ok := oracle(n, stack)
		got, err := p.Coordinates(stack)
		switch {
		case !ok && err == nil:
			t.Fatalf("%v: placed at %v, the oracle finds no orchestrator or runtime", stack, got.Coordinates)
		case ok && err != nil:
			t.Fatalf("%v: %v; the oracle places it at %v", stack, err, want)
		case ok && got.Coordinates != want:
			t.Fatalf("%v: placed at %v, the oracle says %v (%v)", stack, got.Coordinates, want, got.Reasons)
		case ok:
			agreed++
		default:
			refused++
		}
	}
	if agreed < 150 || refused < 30 {
		t.Errorf("%d stacks placed, %d refused: the sample is lopsided", agreed, refused)
	}
}

// TestPlanCoordinatesEmitAgree: random workloads; every plan's coordinates are what strata
// coordinates (and the oracle) give its stack, and what the emitted files carry.
func TestPlanCoordinatesEmitAgree(t *testing.T) {
	n, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	p := planner(t)
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	planned := 0
	for i := 0; i < 150; i++ {
		sites := []string{pick(plan.Sites...)}
		if rng.IntN(2) == 0 {
			sites = append(sites, pick(plan.Sites...))
		}
		spec := fmt.Sprintf(`{image: example/w:1, trust: %s, artifact: %s, footprint: %s, gpu: %d, policy: %s, sites: [%s], scaleOnDemand: %v, labels: {team: t}}`,
			pick("trusted", "untrusted"), pick("any", "oci", "wasm"), pick("normal", "constrained"), rng.IntN(2),
			pick(plan.PolicyLevels...), strings.Join(sites, ", "), rng.IntN(3) == 0)
		w := readOne(t, "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: "+spec+"\n")
		pl, err := p.Plan(w)
		if err != nil {
			continue
		}
		planned++
		placed, err := p.Coordinates(pl.Technologies())
		if err != nil || placed.Coordinates != pl.Coordinates {
			t.Fatalf("%s: planned at %v, strata coordinates %v says %v (%v)", spec, pl.Coordinates, pl.Technologies(), placed.Coordinates, err)
		}
		if want, _ := oracle(n, pl.Technologies()); want != pl.Coordinates {
			t.Fatalf("%s: planned at %v, the oracle says %v", spec, pl.Coordinates, want)
		}
		objs, err := p.Emit(pl, w, plan.EmitOptions{})
		if err != nil {
			t.Fatalf("%s: planned at %v but not emitted: %v", spec, pl.Coordinates, err)
		}
		label := fmt.Sprintf("%s: %d-%d-%d", manifest.LabelCoordinates, pl.Coordinates.X, pl.Coordinates.Y, pl.Coordinates.Z)
		for _, o := range objs {
			if o.Kind == manifest.KindComposeFile || strings.HasPrefix(o.File, "60-") {
				var m map[string]any
				if err := yaml.Unmarshal(o.YAML, &m); err != nil || !strings.Contains(string(o.YAML), label) {
					t.Fatalf("%s: %s does not carry %q", spec, o.File, label)
				}
			}
		}
	}
	if planned < 40 {
		t.Errorf("only %d of 150 random workloads planned", planned)
	}
}

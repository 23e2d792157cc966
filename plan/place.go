package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/strata-dev/strata/network"
)

// placement is a stack placed in the X/Y/Z space: the one computation of a stack's
// coordinates, which Plan, Coordinates, Scenarios (through Plan), the API and the emitter
// all use, so none of them can disagree on a coordinate.
type placement struct {
	coords       Coordinates
	orchestrator *network.Entity // the technology that represents X
	runtime      *network.Entity // the isolation runtime (named, or the orchestrator's default)
	layer        *network.Entity // the layer the runtime represents
	zBy          *network.Entity // the technology whose level is Z, or nil at Z=0
	reasons      []string        // X=…, Y=…, Z=…
}

// place computes a stack's coordinates. X is the point its orchestrator represents; Y the
// layer of its isolation runtime, or of the orchestrator's default runtime when it names
// none; Z the highest policy level any of its technologies stands for in that stack (see
// [Planner.zOf]).
func (p *Planner) place(stack []*network.Entity) (placement, error) {
	var pl placement
	ids := make([]string, len(stack))
	for i, e := range stack {
		ids[i] = e.ID
	}
	// X
	x := -1
	for _, e := range stack {
		for _, f := range p.net.FactsOf(e.ID, "represents") {
			if pt, _ := p.net.Entity(f.Object); pt != nil && p.isAxisPoint(pt, "X") {
				pl.orchestrator, x = e, p.coordinate(pt)
				pl.reasons = append(pl.reasons, fmt.Sprintf("X=%d: %s represents %s (%s)", x, e.ID, pt.Label(), f.Source.Short()))
			}
		}
	}
	if pl.orchestrator == nil {
		return pl, fmt.Errorf("the stack %s has no orchestrator: add one of %s", strings.Join(ids, " + "), strings.Join(p.orchestratorIDs(), ", "))
	}
	// Y
	for _, e := range stack {
		if _, ok := e.Attr("handler"); ok {
			if layer := p.layerOf(e); layer != nil {
				pl.layer, pl.runtime = layer, e
			}
		}
	}
	if pl.layer == nil {
		def, ok := pl.orchestrator.Attr("default-runtime")
		if !ok {
			return pl, fmt.Errorf("the stack names no isolation runtime and %s declares no default-runtime", pl.orchestrator.ID)
		}
		if e, ok := p.net.Entity(def.String); ok {
			if _, isRuntime := e.Attr("handler"); isRuntime {
				pl.layer, pl.runtime = p.layerOf(e), e
			}
		}
		if pl.layer == nil {
			return pl, fmt.Errorf("%s's default-runtime %s is not an isolation runtime of the network", pl.orchestrator.ID, def.String)
		}
		pl.reasons = append(pl.reasons, fmt.Sprintf("no isolation runtime named: %s runs %s by default (default-runtime, %s)", pl.orchestrator.ID, pl.runtime.ID, attrSource(pl.orchestrator, "default-runtime")))
	}
	pl.coords = Coordinates{X: x, Y: p.coordinate(p.yPoint(pl.layer))}
	pl.reasons = append(pl.reasons, fmt.Sprintf("Y=%d: %s represents %s (%s)", pl.coords.Y, pl.runtime.ID, pl.layer.Label(), p.factSource(pl.runtime.ID, "represents", pl.layer.ID)))
	// Z
	by := "no technology of the stack implies policy"
	for _, e := range append(slices.Clone(stack), pl.runtime) {
		if z, why := p.zOf(e, x > 0); z > pl.coords.Z {
			pl.coords.Z, pl.zBy, by = z, e, why
		}
	}
	pl.reasons = append(pl.reasons, fmt.Sprintf("Z=%d: %s", pl.coords.Z, by))
	return pl, nil
}

// zOf is the policy level a technology stands for in a stack, and why: the Z point it
// represents, its policy-level, and inside a cluster (X ≥ 1) its policy-level-in-cluster,
// whichever is highest.
func (p *Planner) zOf(e *network.Entity, clustered bool) (int, string) {
	z, by := 0, ""
	for _, f := range p.net.FactsOf(e.ID, "represents") {
		if pt, ok := p.net.Entity(f.Object); ok && p.isAxisPoint(pt, "Z") {
			if c := p.coordinate(pt); c > z {
				z, by = c, fmt.Sprintf("%s represents %s (%s)", e.ID, pt.Label(), f.Source.Short())
			}
		}
	}
	if v, ok := number(e, "policy-level"); ok && int(v) > z {
		z, by = int(v), fmt.Sprintf("%s implies policy level %d (policy-level, %s)", e.ID, int(v), attrSource(e, "policy-level"))
	}
	if clustered {
		if v, ok := number(e, "policy-level-in-cluster"); ok && int(v) > z {
			z, by = int(v), fmt.Sprintf("%s in a cluster implies policy level %d (policy-level-in-cluster, %s)", e.ID, int(v), attrSource(e, "policy-level-in-cluster"))
		}
	}
	return z, by
}

// declaredZ is the Z point a technology represents, or -1.
func (p *Planner) declaredZ(e *network.Entity) int {
	z := -1
	for _, f := range p.net.FactsOf(e.ID, "represents") {
		if pt, ok := p.net.Entity(f.Object); ok && p.isAxisPoint(pt, "Z") {
			z = max(z, p.coordinate(pt))
		}
	}
	return z
}

// Coordinates places a stack (technology names) in the X/Y/Z space (see [Planner.place]).
func (p *Planner) Coordinates(names []string) (Placement, error) {
	var out Placement
	stack, err := p.net.ResolveList(strings.Join(names, " "))
	if err != nil {
		return out, err
	}
	if len(stack) == 0 {
		return out, fmt.Errorf("name at least one technology, e.g. K3s WasmEdge")
	}
	for _, e := range stack {
		out.Stack = append(out.Stack, e.ID)
	}
	pl, err := p.place(stack)
	if err != nil {
		return out, err
	}
	out.Coordinates, out.Reasons = pl.coords, pl.reasons
	return out, nil
}

// Placement is a stack placed in the X/Y/Z space, with the reason for each coordinate.
type Placement struct {
	Stack       []string    `json:"stack" yaml:"stack"`
	Coordinates Coordinates `json:"coordinates" yaml:"coordinates"`
	Reasons     []string    `json:"reasons" yaml:"reasons"`
}

// stackOf resolves a plan's technologies.
func (p *Planner) stackOf(pl *Plan) ([]*network.Entity, error) {
	var stack []*network.Entity
	for _, c := range pl.Stack {
		e, ok := p.net.Entity(c.Technology)
		if !ok {
			return nil, fmt.Errorf("plan of %s names %s, which the network does not have", pl.Workload, c.Technology)
		}
		stack = append(stack, e)
	}
	return stack, nil
}

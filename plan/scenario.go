package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/strata-dev/strata/network"
)

// ScenarioWorkload is the workload a scenario of the network describes: its key
// requirements (the facts "scenario requires r"), nothing else.
func (p *Planner) ScenarioWorkload(name string) (Workload, error) {
	e, err := p.net.Resolve(name)
	if err != nil {
		return Workload{}, err
	}
	if e.Category != network.CategoryScenario {
		return Workload{}, fmt.Errorf("%s is a %s, not a scenario (scenarios: %s)", e.ID, e.Category, strings.Join(p.ScenarioIDs(), ", "))
	}
	w := Workload{Name: e.ID, Kind: "Deployment", Trust: "trusted", Artifact: "any", Footprint: "normal", Availability: "standard", Source: e.Source}
	for _, f := range p.net.FactsOf(e.ID, "requires") {
		w.Requirements = append(w.Requirements, f.Object)
	}
	return w, nil
}

// ScenarioIDs lists the network's scenarios in declaration order.
func (p *Planner) ScenarioIDs() []string {
	var out []string
	for _, e := range p.net.Entities {
		if e.Category == network.CategoryScenario {
			out = append(out, e.ID)
		}
	}
	return out
}

// ScenarioRow is one row of the seed's scenario table, recomputed by the planner beside
// what the network declares.
type ScenarioRow struct {
	Scenario     string      `json:"scenario" yaml:"scenario"`
	Requirements []string    `json:"requirements" yaml:"requirements"`
	Declared     DeclaredRow `json:"declared" yaml:"declared"`
	Plan         *Plan       `json:"plan,omitempty" yaml:"plan,omitempty"`
	Error        string      `json:"error,omitempty" yaml:"error,omitempty"`
	Agrees       bool        `json:"agrees" yaml:"agrees"`
	Differences  []string    `json:"differences,omitempty" yaml:"differences,omitempty"`
}

// DeclaredRow is what the network says of a scenario: its stack and the coordinates it gives.
type DeclaredRow struct {
	Stack       []string       `json:"stack" yaml:"stack"`
	Coordinates map[string]int `json:"coordinates" yaml:"coordinates"`
}

// Scenarios plans every scenario and compares each plan with the declared stack and
// coordinates: the declared technologies must all be in the plan, and every declared
// coordinate must match.
func (p *Planner) Scenarios() []ScenarioRow {
	var rows []ScenarioRow
	for _, id := range p.ScenarioIDs() {
		row := ScenarioRow{Scenario: id, Requirements: []string{}, Declared: p.declared(id)}
		w, err := p.ScenarioWorkload(id)
		if err == nil {
			if w.Requirements != nil {
				row.Requirements = w.Requirements
			}
			row.Plan, err = p.Plan(w)
		}
		if err != nil {
			row.Error = err.Error()
			rows = append(rows, row)
			continue
		}
		techs := row.Plan.Technologies()
		for _, t := range row.Declared.Stack {
			if !contains(techs, t) {
				row.Differences = append(row.Differences, fmt.Sprintf("declared %s is not in the plan", t))
			}
		}
		got := map[string]int{"X": row.Plan.Coordinates.X, "Y": row.Plan.Coordinates.Y, "Z": row.Plan.Coordinates.Z}
		for _, axis := range []string{"X", "Y", "Z"} {
			if want, ok := row.Declared.Coordinates[axis]; ok && got[axis] != want {
				row.Differences = append(row.Differences, fmt.Sprintf("declared %s=%d, planned %s=%d", axis, want, axis, got[axis]))
			}
		}
		row.Agrees = len(row.Differences) == 0
		rows = append(rows, row)
	}
	return rows
}

func (p *Planner) declared(id string) DeclaredRow {
	d := DeclaredRow{Stack: []string{}, Coordinates: map[string]int{}}
	for _, f := range p.net.FactsOf(id, "uses") {
		d.Stack = append(d.Stack, f.Object)
	}
	for _, f := range p.net.FactsOf(id, "placed-at") {
		pt, _ := p.net.Entity(f.Object)
		for _, axis := range []string{"X", "Y", "Z"} {
			if p.isAxisPoint(pt, axis) {
				d.Coordinates[axis] = p.coordinate(pt)
			}
		}
	}
	return d
}

// Placement is a stack placed in the X/Y/Z space, with the reason for each coordinate.
type Placement struct {
	Stack       []string    `json:"stack" yaml:"stack"`
	Coordinates Coordinates `json:"coordinates" yaml:"coordinates"`
	Reasons     []string    `json:"reasons" yaml:"reasons"`
}

// Coordinates places a stack (technology names) in the X/Y/Z space. X is the point its
// orchestrator represents; Y the layer of its isolation runtime, or of the orchestrator's
// default runtime when it names none; Z the highest policy level its technologies imply.
func (p *Planner) Coordinates(names []string) (Placement, error) {
	var pl Placement
	stack, err := p.net.ResolveList(strings.Join(names, " "))
	if err != nil {
		return pl, err
	}
	for _, e := range stack {
		pl.Stack = append(pl.Stack, e.ID)
	}
	if len(stack) == 0 {
		return pl, fmt.Errorf("name at least one technology, e.g. K3s WasmEdge")
	}
	// X
	var orch *network.Entity
	x := -1
	for _, e := range stack {
		for _, f := range p.net.FactsOf(e.ID, "represents") {
			if pt, _ := p.net.Entity(f.Object); pt != nil && p.isAxisPoint(pt, "X") {
				orch, x = e, p.coordinate(pt)
				pl.Reasons = append(pl.Reasons, fmt.Sprintf("X=%d: %s represents %s (%s)", x, e.ID, pt.Label(), f.Source.Short()))
			}
		}
	}
	if orch == nil {
		return pl, fmt.Errorf("the stack %s has no orchestrator: add one of %s", strings.Join(pl.Stack, " + "), strings.Join(p.orchestratorIDs(), ", "))
	}
	// Y
	var layer *network.Entity
	var runtime *network.Entity
	for _, c := range p.runtimes() {
		for _, e := range stack {
			if c.e == e {
				layer, runtime = c.layer, e
			}
		}
	}
	if layer == nil {
		def, ok := orch.Attr("default-runtime")
		if !ok {
			return pl, fmt.Errorf("the stack names no isolation runtime and %s declares no default-runtime", orch.ID)
		}
		for _, c := range p.runtimes() {
			if c.e.ID == def.String {
				layer, runtime = c.layer, c.e
			}
		}
		if layer == nil {
			return pl, fmt.Errorf("%s's default-runtime %s is not an isolation runtime of the network", orch.ID, def.String)
		}
		pl.Reasons = append(pl.Reasons, fmt.Sprintf("no isolation runtime named: %s runs %s by default (default-runtime, %s)", orch.ID, runtime.ID, attrSource(orch, "default-runtime")))
	}
	y := p.yPoint(layer)
	pl.Coordinates = Coordinates{X: x, Y: p.coordinate(y)}
	pl.Reasons = append(pl.Reasons, fmt.Sprintf("Y=%d: %s represents %s (%s)", pl.Coordinates.Y, runtime.ID, layer.Label(), p.factSource(runtime.ID, "represents", layer.ID)))
	// Z
	z, by := p.impliedZ(append(stack, runtime), x > 0)
	pl.Coordinates.Z = z
	if z == 0 {
		by = "no technology of the stack implies policy"
	}
	pl.Reasons = append(pl.Reasons, fmt.Sprintf("Z=%d: %s", z, by))
	return pl, nil
}

func (p *Planner) orchestratorIDs() []string {
	seen := map[string]bool{}
	for _, c := range p.orchestrators(Workload{Sites: Sites}) {
		seen[c.e.ID] = true
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

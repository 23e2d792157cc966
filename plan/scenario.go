package plan

import (
	"fmt"
	"slices"
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
			if !slices.Contains(techs, t) {
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

package plan_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/plan"
)

func TestExcluding(t *testing.T) {
	p := planner(t)
	w, err := p.ScenarioWorkload("edge")
	if err != nil {
		t.Fatal(err)
	}
	base, err := p.Plan(w)
	if err != nil {
		t.Fatal(err)
	}
	if base.Technology(plan.RoleRuntime) != "WasmEdge" {
		t.Fatalf("edge runs on %s", base.Technology(plan.RoleRuntime))
	}
	noWasmEdge := plan.Exclusion{Name: "fleet", Why: func(role, tech string) string {
		if role == plan.RoleRuntime && tech == "WasmEdge" {
			return "no node offers it"
		}
		return ""
	}}
	pl, err := p.Excluding(noWasmEdge).Plan(w)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Technology(plan.RoleRuntime) == "WasmEdge" {
		t.Fatal("WasmEdge still chosen")
	}
	var found bool
	for _, c := range pl.Stack {
		for _, a := range c.Alternatives {
			if a.Technology == "WasmEdge" && a.Excluded && strings.Contains(a.Reason, "no node offers it") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("WasmEdge not listed as excluded with the reason: %+v", pl.Stack)
	}
	if again, _ := p.Plan(w); again.Technology(plan.RoleRuntime) != "WasmEdge" {
		t.Error("Excluding changed the original planner")
	}
	nothing := plan.Exclusion{Name: "fleet", Why: func(role, tech string) string {
		if role == plan.RoleRuntime {
			return "no node"
		}
		return ""
	}}
	_, err = p.Excluding(nothing).Plan(w)
	var u *plan.Unsatisfiable
	if !errors.As(err, &u) || !slices.Contains(u.Conflicts, "fleet") {
		t.Errorf("every runtime excluded: %v, want Unsatisfiable with conflict fleet", err)
	}
}

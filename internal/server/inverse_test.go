package server_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/strata-dev/strata/internal/server"
)

// TestInverseRelationParams: a relation named by its inverse name in a query parameter or
// path is read inverted, as in the CLI (L-0 = L-4 > L-1 > L-2 > L-3 by isolation strength).
func TestInverseRelationParams(t *testing.T) {
	h := newServer(t, server.Config{})
	get := func(target string, v any) {
		t.Helper()
		a := do(t, h, "GET", target, "", nil)
		if a.status != 200 {
			t.Fatalf("GET %s: %d\n%s", target, a.status, a.body)
		}
		if err := json.Unmarshal(a.body, v); err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
	}
	var why struct {
		Holds       bool
		Derivations []struct {
			Relation string
			Facts    []struct{ Subject, Relation, Object string }
		}
	}
	get("/api/v1/why?a=L-3&op=%3E&b=L-1&relation=isolation-weaker", &why)
	if !why.Holds || len(why.Derivations) != 1 || why.Derivations[0].Relation != "isolation-weaker" {
		t.Fatalf("why L-3 > L-1 under isolation-weaker: %+v", why)
	}
	if fs := why.Derivations[0].Facts; len(fs) != 2 || fs[0].Subject != "L-3" || fs[1].Object != "L-1" || fs[0].Relation != "isolation-weaker" {
		t.Errorf("why L-3 > L-1 under isolation-weaker: facts %+v, want L-3 … L-1 under the inverse name", fs)
	}
	get("/api/v1/why?a=L-1&op=%3E&b=L-3&relation=isolation-weaker", &why)
	if why.Holds {
		t.Errorf("why L-1 > L-3 under isolation-weaker holds: %+v", why)
	}

	var rank struct {
		Relation, Greatest string
		Layers             []struct{ Entities []string }
	}
	get("/api/v1/rank/isolation-weaker", &rank)
	if rank.Relation != "isolation-weaker" || rank.Greatest != "weaker" || len(rank.Layers) != 4 ||
		!slices.Equal(rank.Layers[0].Entities, []string{"L-3"}) || !slices.Equal(rank.Layers[3].Entities, []string{"L-0", "L-4"}) {
		t.Errorf("rank isolation-weaker: %+v", rank)
	}

	var path struct {
		Found bool
		Facts []struct{ Subject, Object string }
	}
	get("/api/v1/path?from=L-3&to=L-1&relation=isolation-weaker", &path)
	if !path.Found || len(path.Facts) != 2 || path.Facts[0].Subject != "L-3" || path.Facts[1].Object != "L-1" {
		t.Errorf("path L-3 L-1 under isolation-weaker: %+v", path)
	}

	var front struct{ Front []string }
	get("/api/v1/pareto?criteria=isolation-weaker:min,overhead:min", &front)
	if !slices.Equal(front.Front, []string{"L-3", "L-4"}) {
		t.Errorf("pareto isolation-weaker:min overhead:min: %v, want [L-3 L-4]", front.Front)
	}
}

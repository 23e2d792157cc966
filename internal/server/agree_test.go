package server_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/internal/server"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

// apiCoordinates is GET /api/v1/coordinates of a stack.
func apiCoordinates(t *testing.T, s *checkedServer, techs []string) plan.Coordinates {
	t.Helper()
	a := do(t, s, "GET", "/api/v1/coordinates?stack="+url.QueryEscape(strings.Join(techs, ",")), "", nil)
	var got struct{ Coordinates plan.Coordinates }
	if a.status != 200 || json.Unmarshal(a.body, &got) != nil {
		t.Fatalf("coordinates of %v: %d %s", techs, a.status, a.body)
	}
	return got.Coordinates
}

// TestAPICoordinatesAgree: the API never disagrees with itself on a coordinate. Random
// workloads (the generator of plan's TestPlanCoordinatesEmitAgree): every plan POST
// /api/v1/plan gives is at the point GET /api/v1/coordinates gives its stack, and the
// workload POST /api/v1/manifests emits carries that point in its strata.dev/coordinates
// label; every row of GET /api/v1/scenarios is where /api/v1/coordinates puts its stack.
func TestAPICoordinatesAgree(t *testing.T) {
	s := newServer(t, server.Config{})
	rng := rand.New(rand.NewPCG(12, 3))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	var body strings.Builder
	docs := map[string]string{}
	for i := range 40 {
		sites := []string{pick(plan.Sites...)}
		if rng.IntN(2) == 0 {
			sites = append(sites, pick(plan.Sites...))
		}
		doc := fmt.Sprintf("---\napiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w%d}\nspec: {trust: %s, artifact: %s, footprint: %s, gpu: %d, policy: %s, sites: [%s], labels: {team: t}}\n",
			i, pick("trusted", "untrusted"), pick("any", "oci", "wasm"), pick("normal", "constrained"), rng.IntN(2),
			pick(plan.PolicyLevels...), strings.Join(sites, ", "))
		docs[fmt.Sprintf("w%d", i)] = doc
		body.WriteString(doc)
	}
	a := do(t, s, "POST", "/api/v1/plan", "application/yaml", strings.NewReader(body.String()))
	var plans struct{ Plans []*plan.Plan }
	if a.status != 200 || json.Unmarshal(a.body, &plans) != nil {
		t.Fatalf("plan: %d %s", a.status, a.body)
	}
	if len(plans.Plans) < 15 {
		t.Fatalf("only %d of 40 random workloads planned", len(plans.Plans))
	}
	want := map[string]plan.Coordinates{}
	var planned strings.Builder // the planned workloads: /manifests refuses a body with one that is not
	for _, pl := range plans.Plans {
		planned.WriteString(docs[pl.Workload])
		if got := apiCoordinates(t, s, pl.Technologies()); got != pl.Coordinates {
			t.Errorf("%s: /plan says %v, /coordinates says %v for %v", pl.Workload, pl.Coordinates, got, pl.Technologies())
		}
		want[pl.Workload] = pl.Coordinates
	}

	// The emitted workloads (the cluster objects as one YAML stream).
	a = do(t, s, "POST", "/api/v1/manifests?format=yaml&image=example/w:1", "application/yaml", strings.NewReader(planned.String()))
	if a.status != 200 {
		t.Fatalf("manifests: %d %s", a.status, a.body)
	}
	seen := 0
	for _, doc := range strings.Split(string(a.body), "\n---\n") {
		var obj struct {
			Metadata struct {
				Name   string
				Labels map[string]string
			}
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		wl, label := obj.Metadata.Labels[manifest.LabelWorkload], obj.Metadata.Labels[manifest.LabelCoordinates]
		c, planned := want[wl]
		if label == "" || !planned || obj.Metadata.Name != wl {
			continue
		}
		seen++
		if label != fmt.Sprintf("%d-%d-%d", c.X, c.Y, c.Z) {
			t.Errorf("%s: emitted at %s, planned at %v", wl, label, c)
		}
	}
	if seen < 10 {
		t.Errorf("only %d emitted workloads carry their coordinates", seen)
	}

	t.Logf("%d of 40 workloads planned, %d emitted workloads carry their coordinates", len(plans.Plans), seen)

	a = do(t, s, "GET", "/api/v1/scenarios", "", nil)
	var rows []plan.ScenarioRow
	if a.status != 200 || json.Unmarshal(a.body, &rows) != nil || len(rows) < 4 {
		t.Fatalf("scenarios: %d %s", a.status, a.body)
	}
	for _, r := range rows {
		if r.Plan == nil {
			t.Errorf("scenario %s: %s", r.Scenario, r.Error)
			continue
		}
		if got := apiCoordinates(t, s, r.Plan.Technologies()); got != r.Plan.Coordinates {
			t.Errorf("scenario %s: /scenarios says %v, /coordinates says %v", r.Scenario, r.Plan.Coordinates, got)
		}
	}
}

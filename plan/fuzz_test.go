package plan_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
)

// FuzzWorkload reads arbitrary Workload files, plans what reads and emits what plans. None
// of it may panic; a file that does not read fails with positioned problems, and a plan
// either succeeds or is unsatisfiable with its conflicts named.
func FuzzWorkload(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/workloads/*.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: {kind: Pod, replicas: 3, availability: high, sites: single-host}\n"))
	f.Add([]byte("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: {asOf: 2016, startupBudget: 1ms, requirements: [nothing]}\n"))
	p := planner(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := plan.ReadWorkloads([]network.File{{Name: "w.yaml", Data: data}})
		if err != nil {
			if ps, ok := network.AsProblems(err); ok {
				for _, pr := range ps {
					if pr.Pos.File != "w.yaml" {
						t.Fatalf("problem without the file's position: %v", pr)
					}
				}
			}
			return
		}
		for _, w := range ws {
			pl, err := p.Plan(w)
			if err != nil {
				var u *plan.Unsatisfiable
				if errors.As(err, &u) && len(u.Conflicts) == 0 {
					t.Fatalf("unsatisfiable without conflicts: %v", err)
				}
				continue
			}
			// Only a single host (X=0) has no manifests; every other plan must build.
			if _, err := p.Emit(pl, w, plan.EmitOptions{Image: "x"}); err != nil && pl.Coordinates.X != 0 {
				t.Fatalf("plan %s at %s does not emit: %v", w.Name, pl.Coordinates, err)
			}
		}
	})
}

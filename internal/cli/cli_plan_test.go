package cli

import (
	"strings"
	"testing"
)

func TestPlanGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		code int
		args []string
	}{
		{"plan-edge", 0, []string{"plan", "--scenario", "edge"}},
		{"plan-serverless-json", 0, []string{"plan", "--scenario", "serverless", "-o", "json"}},
		{"plan-microservices-yaml", 0, []string{"plan", "--scenario", "microservices", "-o", "yaml"}},
		{"plan-edge-2016", 1, []string{"plan", "--scenario", "edge", "--as-of", "2016"}},
		{"plan-file", 0, []string{"plan", "testdata/untrusted-gpu.yaml"}},
		{"plan-bad-workload", 1, []string{"plan", "testdata/bad-workload.yaml"}},
		{"scenarios", 0, []string{"scenarios"}},
		{"scenarios-json", 0, []string{"scenarios", "-o", "json"}},
		{"coordinates-k3s-wasmedge", 0, []string{"coordinates", "K3s", "+", "WasmEdge"}},
		{"coordinates-json", 0, []string{"coordinates", "Karmada+WasmEdge", "-o", "json"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := strata(t, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, c.code, r.stdout, r.stderr)
			}
			parses(t, format(c.args), r.stdout)
			golden(t, c.name, r)
		})
	}
}

func TestPlanAnswers(t *testing.T) {
	type coords struct{ X, Y, Z int }
	for stack, want := range map[string]coords{
		"K3s + WasmEdge": {2, 4, 3}, "K8s + gVisor": {1, 4, 2}, "K3s + OPA": {2, 3, 3}, "Karmada + WasmEdge": {3, 4, 3},
	} {
		p := jsonOf[struct {
			Coordinates struct{ X, Y, Z int }
		}](t, 0, append([]string{"coordinates", "-o", "json"}, strings.Fields(stack)...)...)
		if (coords{p.Coordinates.X, p.Coordinates.Y, p.Coordinates.Z}) != want {
			t.Errorf("%s = %+v, want %+v", stack, p.Coordinates, want)
		}
	}
	pl := jsonOf[struct {
		Coordinates struct{ X, Y, Z int }
		Stack       []struct{ Role, Technology string }
	}](t, 0, "plan", "--scenario", "edge", "-o", "json")
	if pl.Coordinates.X != 2 || pl.Coordinates.Y != 4 {
		t.Errorf("edge plan at %+v, want X=2, Y=4", pl.Coordinates)
	}
	r := strata(t, "plan", "--scenario", "edge", "--as-of", "2016")
	if !strings.Contains(r.stderr, "requirements in conflict: as-of 2016, resource-constrained") {
		t.Errorf("unsatisfiable plan should say which requirements conflict:\n%s", r.stderr)
	}
	for _, args := range [][]string{{"plan"}, {"plan", "x.yaml", "--scenario", "edge"}, {"plan", "--scenario", "nowhere"}, {"coordinates", "WasmEdg"}} {
		if r := strata(t, args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, r.code, exitUsage, r.stderr)
		}
	}
}

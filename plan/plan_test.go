package plan_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/plantest"
)

func planner(t testing.TB, extra ...network.File) *plan.Planner {
	t.Helper()
	_, p := plantest.Planner(t, plantest.Network(t, extra...))
	return p
}

// TestSeedScenarios is the oracle: each seed scenario planned from its key requirements
// alone reproduces the seed's stack and every coordinate the seed gives.
func TestSeedScenarios(t *testing.T) {
	p := planner(t)
	want := map[string]struct {
		stack  []string
		coords map[string]int
	}{
		"edge":          {[]string{"K3s", "WasmEdge"}, map[string]int{"X": 2, "Y": 4}},
		"ai-inference":  {[]string{"WasmEdge", "GPU"}, map[string]int{"Y": 4, "Z": 3}},
		"serverless":    {[]string{"K3s", "WasmEdge", "OPA-Wasm"}, map[string]int{"X": 2, "Y": 4, "Z": 3}},
		"microservices": {[]string{"Kubernetes", "containerd"}, map[string]int{"X": 1, "Y": 3}},
	}
	rows := p.Scenarios()
	if len(rows) != len(want) {
		t.Fatalf("%d scenarios, want %d", len(rows), len(want))
	}
	for _, row := range rows {
		w := want[row.Scenario]
		if row.Plan == nil {
			t.Errorf("%s: %s", row.Scenario, row.Error)
			continue
		}
		if !row.Agrees {
			t.Errorf("%s: planner disagrees with the network: %v", row.Scenario, row.Differences)
		}
		for _, tech := range w.stack { // independent of the network's own declaration
			if !slices.Contains(row.Plan.Technologies(), tech) {
				t.Errorf("%s: plan %v lacks %s", row.Scenario, row.Plan.Technologies(), tech)
			}
		}
		got := map[string]int{"X": row.Plan.Coordinates.X, "Y": row.Plan.Coordinates.Y, "Z": row.Plan.Coordinates.Z}
		for axis, v := range w.coords {
			if got[axis] != v {
				t.Errorf("%s: %s=%d, want %d", row.Scenario, axis, got[axis], v)
			}
		}
	}
}

func TestCoordinatesOfSeedExamples(t *testing.T) {
	p := planner(t)
	for stack, want := range map[string]plan.Coordinates{
		"K3s + WasmEdge":     {X: 2, Y: 4, Z: 3},
		"K8s + gVisor":       {X: 1, Y: 4, Z: 2},
		"K3s + OPA":          {X: 2, Y: 3, Z: 3},
		"Karmada + WasmEdge": {X: 3, Y: 4, Z: 3},
	} {
		pl, err := p.Coordinates([]string{stack})
		if err != nil {
			t.Errorf("%s: %v", stack, err)
			continue
		}
		if pl.Coordinates != want {
			t.Errorf("%s = %v, want %v (%v)", stack, pl.Coordinates, want, pl.Reasons)
		}
		for _, axis := range []string{"X=", "Y=", "Z="} {
			if !slices.ContainsFunc(pl.Reasons, func(r string) bool { return strings.HasPrefix(r, axis) }) {
				t.Errorf("%s: no reason for %s in %v", stack, axis, pl.Reasons)
			}
		}
	}
	if _, err := p.Coordinates([]string{"WasmEdge"}); err == nil || !strings.Contains(err.Error(), "no orchestrator") {
		t.Errorf("a stack without orchestrator: err = %v", err)
	}
	if _, err := p.Coordinates([]string{"K3s", "WasmEdg"}); err == nil || !strings.Contains(err.Error(), "did you mean WasmEdge?") {
		t.Errorf("misspelt technology: err = %v", err)
	}
}

func readOne(t *testing.T, yaml string) plan.Workload {
	t.Helper()
	ws, err := plan.ReadWorkloads([]network.File{{Name: "w.yaml", Data: []byte(yaml)}})
	if err != nil {
		t.Fatal(err)
	}
	return ws[0]
}

// Scenarios of our own, where the answer must differ from the seed's.
func TestOwnScenarios(t *testing.T) {
	p := planner(t)

	// Untrusted native code with a GPU: no Wasm, isolation ≥ L-1, GPU → gVisor at L-4.
	w := readOne(t, `apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: {name: untrusted-cuda}
spec: {trust: untrusted, artifact: oci, gpu: 1}
`)
	pl, err := p.Plan(w)
	if err != nil {
		t.Fatal(err)
	}
	if got := pl.Technology(plan.RoleRuntime); got != "gVisor" {
		t.Errorf("untrusted GPU OCI workload runs on %s, want gVisor; plan %+v", got, pl)
	}
	if pl.Coordinates.Y != 4 {
		t.Errorf("Y = %d, want 4", pl.Coordinates.Y)
	}
	// runc is excluded because L-3 is below L-1, and the reason cites the declared order.
	var runcWhy string
	for _, c := range pl.Stack {
		for _, a := range c.Alternatives {
			if a.Technology == "runc" {
				runcWhy = a.Reason
			}
		}
	}
	if !strings.Contains(runcWhy, "L-3 is below L-1") || !strings.Contains(runcWhy, "10-isolation.yaml") || !strings.Contains(runcWhy, "untrusted-code") {
		t.Errorf("runc's exclusion should cite the isolation order and the requirement: %q", runcWhy)
	}

	// Untrusted code alone: L-4 > L-1 (the seed's chain L-0 = L-4 > L-1), and L-4 has the
	// lowest overhead of the layers at least that strong.
	w = readOne(t, `apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: {name: untrusted}
spec: {trust: untrusted}
`)
	pl, err = p.Plan(w)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Layer != "L-4" {
		t.Errorf("untrusted workload at %s, want L-4", pl.Layer)
	}
	y := pl.Reasons[1]
	for _, part := range []string{"Y=4", "untrusted-code needs isolation-strength ≥ L-1", "L-4 > L-1 (declared, default/10-isolation.yaml:56)", "L-4 has the lowest overhead", "L-1 > L-2, L-2 > L-4 (declared, default/10-isolation.yaml:58)"} {
		if !strings.Contains(y, part) {
			t.Errorf("Y reason %q lacks %q", y, part)
		}
	}

	// A 2016 edge deployment: K3s (2019) and WasmEdge (2021) did not exist, and nothing
	// that did is small and fast enough: unsatisfiable, with the conflict explained.
	w = readOne(t, `apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: {name: edge-2016}
spec: {footprint: constrained, asOf: 2016, requirements: [fast start-up]}
`)
	_, err = p.Plan(w)
	var u *plan.Unsatisfiable
	if !errors.As(err, &u) || !errors.Is(err, plan.ErrUnsatisfiable) {
		t.Fatalf("2016 edge: err = %v, want *Unsatisfiable", err)
	}
	if u.Role != plan.RoleOrchestrator {
		t.Errorf("2016 edge: first unsatisfiable role %s, want orchestrator (K3s did not exist)", u.Role)
	}
	msg := err.Error()
	for _, part := range []string{"K3s: not available as of 2016 (since 2019)", "Kubernetes: node-footprint-mb 2048 > 1024 (resource-constrained)", "requirements in conflict: as-of 2016, resource-constrained"} {
		if !strings.Contains(msg, part) {
			t.Errorf("explanation lacks %q:\n%s", part, msg)
		}
	}

	// The same at the edge in 2016 without the footprint bound: Kubernetes, and still no
	// runtime starts fast enough.
	w = readOne(t, `apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: {name: fast-2016}
spec: {asOf: 2016, startupBudget: 50ms}
`)
	_, err = p.Plan(w)
	if !errors.As(err, &u) || u.Role != plan.RoleRuntime || !strings.Contains(err.Error(), "WasmEdge: not available as of 2016 (since 2021)") {
		t.Errorf("fast-2016: err = %v", err)
	}
}

// The network, not the code, decides: overlaying one attribute changes the plan.
func TestPlanFollowsOverlaidData(t *testing.T) {
	overlay := network.File{Name: "overlay.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: faster-runc}
spec:
  category: technology
  items:
    - {id: runc, merge: true, attributes: {startup-ms: 20}}
`)}
	p := planner(t, overlay)
	w, err := p.ScenarioWorkload("edge")
	if err != nil {
		t.Fatal(err)
	}
	pl, err := p.Plan(w)
	if err != nil {
		t.Fatal(err)
	}
	// runc now starts within fast-startup's 50 ms and L-3 has less overhead than L-4.
	if pl.Technology(plan.RoleRuntime) != "runc" || pl.Coordinates.Y != 3 {
		t.Errorf("with a 20 ms runc the edge plan should move to runc at Y=3; got %s at Y=%d", pl.Technology(plan.RoleRuntime), pl.Coordinates.Y)
	}
}

func TestWorkloadErrors(t *testing.T) {
	_, err := plan.ReadWorkloads([]network.File{{Name: "bad.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: {name: Bad_Name}
spec:
  trust: maybe
  gpus: 1
  kind: Job
  availability: high
  startupBudget: soon
  sites: [moon]
  cpu: -1
  memory: lots
  port: 70000
`)}})
	ps, ok := network.AsProblems(err)
	if !ok {
		t.Fatalf("err = %v, want problems", err)
	}
	want := []string{
		`bad.yaml:3:18: workload name "Bad_Name" is not a valid Kubernetes name (start with a lower-case letter; use lower-case letters, digits and '-', at most 47 characters (objects are named after the workload))`,
		`bad.yaml:5:10: spec.trust: unknown value "maybe" (one of: trusted, untrusted)`,
		`bad.yaml:6:3: unknown field "gpus" in Workload spec (did you mean gpu?)`,
		`bad.yaml:8:17: availability: high cannot apply to kind: Job (a Job runs to completion; use kind: Deployment for a highly available service)`,
		`bad.yaml:9:18: spec.startupBudget: "soon" is not a duration (write a positive duration such as "10ms" or "2s")`,
		`bad.yaml:10:11: spec.sites[0]: unknown value "moon" (one of: cloud-edge, cluster, edge, multi-cluster, single-host)`,
		`bad.yaml:11:8: spec.cpu: "-1" is not a positive quantity (write a positive Kubernetes quantity such as "500m")`,
		`bad.yaml:12:11: spec.memory: "lots" is not a positive quantity (write a positive Kubernetes quantity such as "256Mi")`,
		`bad.yaml:13:9: spec.port is out of range: 70000 (write a whole number from 1 to 65535)`,
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestWorkloadBusinessWithoutLabels: policy: business with no labels (FuzzWorkload's
// f3c0fba86211aa9f) is refused where the policy is asked for; it used to plan at Z=4 and
// only fail to emit. With labels it reads.
func TestWorkloadBusinessWithoutLabels(t *testing.T) {
	for spec, want := range map[string]string{
		"{policy: business}":                    `w.yaml:4:16: policy: business enforces the labels the workload names on its pods, and it names none (give spec.labels, e.g. labels: {team: payments}, or ask for a lower policy level)`,
		"{policy: business, labels: {}}":        `w.yaml:4:16: policy: business enforces the labels the workload names on its pods, and it names none (give spec.labels, e.g. labels: {team: payments}, or ask for a lower policy level)`,
		"{policy: business, labels: {team: a}}": "",
		"{policy: application}":                 "",
	} {
		_, err := plan.ReadWorkloads([]network.File{{Name: "w.yaml", Data: []byte("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: " + spec + "\n")}})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: %q, want %q", spec, got, want)
		}
	}
}

// TestWorkloadDuplicateNames: a name names the workload's objects and its output
// directory, so a second workload of the same name, in the same file or another, is refused
// where it is named.
func TestWorkloadDuplicateNames(t *testing.T) {
	doc := func(name string) string {
		return "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: " + name + "}\nspec: {trust: trusted}\n"
	}
	_, err := plan.ReadWorkloads([]network.File{
		{Name: "a.yaml", Data: []byte(doc("web") + "---\n" + doc("api") + "---\n" + doc("web"))},
		{Name: "b.yaml", Data: []byte(doc("api"))},
	})
	ps, ok := network.AsProblems(err)
	if !ok {
		t.Fatalf("err = %v, want problems", err)
	}
	want := []string{
		`a.yaml:13:18: workload name "web" is already used at a.yaml:3:18 (give each workload its own metadata.name)`,
		`b.yaml:3:18: workload name "api" is already used at a.yaml:8:18 (give each workload its own metadata.name)`,
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Different names are fine.
	ws, err := plan.ReadWorkloads([]network.File{{Name: "a.yaml", Data: []byte(doc("web") + "---\n" + doc("api"))}})
	if err != nil || len(ws) != 2 {
		t.Errorf("two workloads of different names: %d, %v", len(ws), err)
	}
}

func BenchmarkPlanEdge(b *testing.B) {
	p := planner(b)
	w, err := p.ScenarioWorkload("edge")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := p.Plan(w); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWorkloadQuantitiesExact: a CPU or memory quantity is carried into the emitted files
// in millicores and bytes (int64), so one finer or larger than those can carry is refused
// where it is written, never rounded or clamped in the files without a word.
func TestWorkloadQuantitiesExact(t *testing.T) {
	for _, tc := range []struct {
		cpu, memory string
		want        []string // problems; none: accepted
	}{
		{"500m", "256Mi", nil},
		{"1.5", "1Gi", nil},
		{"9223372036854775806m", "9223372036854775806", nil},
		{"1e308", "9999999999999999999Ei", []string{
			`w.yaml:4:13: spec.cpu: "1e308" is not a whole number of millicores within what the emitted files can carry`,
			`spec.memory: "9999999999999999999Ei" is not a whole number of bytes`}},
		{"0.0001", "0.5", []string{`spec.cpu: "0.0001" is not a whole number of millicores`, `spec.memory: "0.5" is not a whole number of bytes`}},
		{"9223372036854775808m", "9223372036854775807", []string{`spec.cpu: "9223372036854775808m"`, `spec.memory: "9223372036854775807"`}},
	} {
		doc := fmt.Sprintf("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: {cpu: %q, memory: %q}\n", tc.cpu, tc.memory)
		ws, err := plan.ReadWorkloads([]network.File{{Name: "w.yaml", Data: []byte(doc)}})
		if tc.want == nil {
			if err != nil || ws[0].CPU != tc.cpu || ws[0].Memory != tc.memory {
				t.Errorf("cpu %s memory %s: %v", tc.cpu, tc.memory, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("cpu %s memory %s accepted: the files would carry another amount", tc.cpu, tc.memory)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("cpu %s memory %s: the problems lack %s:\n%v", tc.cpu, tc.memory, w, err)
			}
		}
	}
}

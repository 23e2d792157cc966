package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
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
			checkGolden(t, c.name, r)
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
	for _, args := range [][]string{{"plan"}, {"plan", "x.yaml", "--scenario", "edge"}, {"plan", "--scenario", "nowhere"}, {"coordinates", "WasmEdg"},
		{"plan", "--scenario", "edge", "--as-of", "1899"}, {"plan", "--scenario", "edge", "--as-of", "2201"}} {
		if r := strata(t, args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, r.code, exitUsage, r.stderr)
		}
	}
}

// TestPlanEmit: --emit writes exactly the objects the planner builds (the plan package's
// goldens, which are strictly decoded and evaluated with OPA there), refuses to replace
// different files without --overwrite, and gives several workloads a directory each.
func TestPlanEmit(t *testing.T) {
	dir := t.TempDir()
	args := []string{"plan", "--scenario", "serverless", "--image", "ghcr.io/example/serverless:1.0", "--namespace", "apps", "--emit", dir}
	r := strata(t, args...)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	want := filepath.Join("..", "..", "plan", "testdata", "emit", "serverless")
	sameDir(t, dir, want)
	if !strings.Contains(r.stderr, "wrote "+filepath.Join(dir, "60-deployment-serverless.yaml")) {
		t.Errorf("stderr does not list the files written:\n%s", r.stderr)
	}

	// A different image changes the Deployment: refused, nothing written, until --overwrite.
	other := append(slices.Clone(args[:3]), "--image", "ghcr.io/example/serverless:2.0", "--namespace", "apps", "--emit", dir)
	if r := strata(t, other...); r.code != exitFailure || !strings.Contains(r.stderr, "60-deployment-serverless.yaml (pass --overwrite") {
		t.Errorf("overwriting without --overwrite: exit %d\n%s", r.code, r.stderr)
	}
	sameDir(t, dir, want)
	if r := strata(t, append(other, "--overwrite")...); r.code != exitOK {
		t.Fatalf("--overwrite: exit %d\n%s", r.code, r.stderr)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "60-deployment-serverless.yaml"))
	if !strings.Contains(string(data), "ghcr.io/example/serverless:2.0") {
		t.Error("--overwrite did not replace the Deployment")
	}

	// Two workloads in one file: a directory each.
	two := filepath.Join(t.TempDir(), "two.yaml")
	if err := os.WriteFile(two, []byte(`apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: {name: api}
spec: {image: ghcr.io/example/api:1, sites: [cluster]}
---
apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: {name: sandbox}
spec: {image: ghcr.io/example/sandbox:1, trust: untrusted, policy: runtime}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if r := strata(t, "plan", two, "--emit", out); r.code != exitOK {
		t.Fatalf("two workloads: exit %d\n%s", r.code, r.stderr)
	}
	for _, f := range []string{"api/60-deployment-api.yaml", "sandbox/30-constraint-sandbox-runtime-classes.yaml"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("two workloads: %v", err)
		}
	}

	// Misuse.
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"plan", "--scenario", "edge", "--emit", t.TempDir()}, exitUsage, "no image to run; set spec.image in the workload or pass --image REF"},
		{[]string{"plan", "--scenario", "edge", "--image", "x"}, exitUsage, "--image applies to --emit DIR only"},
		{[]string{"plan", "--scenario", "edge", "--image", "x", "--emit", t.TempDir(), "--containerd-config-version", "1"}, exitUsage, "use 2 (containerd 1.x) or 3 (containerd 2.x)"},
	} {
		if r := strata(t, c.args...); r.code != c.code || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("%v: exit %d, want %d with %q\n%s", c.args, r.code, c.code, c.msg, r.stderr)
		}
	}
}

// sameDir fails unless dir holds exactly the files of want, byte for byte.
func sameDir(t *testing.T, dir, want string) {
	t.Helper()
	got, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := os.ReadDir(want)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(exp) {
		t.Errorf("%s has %d files, %s has %d", dir, len(got), want, len(exp))
	}
	for _, e := range exp {
		a, err := os.ReadFile(filepath.Join(dir, e.Name()))
		b, _ := os.ReadFile(filepath.Join(want, e.Name()))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s (%v)", e.Name(), want, err)
		}
	}
}

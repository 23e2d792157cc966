package plan_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// TestDockerFiles loads the emitted Compose file of the single-host golden (X=0) with the
// Compose specification's reference loader, which validates it against the spec's JSON
// Schema, and checks it runs the workload under the plan's runtime (--runtime) with its
// resources; the docker run line says the same.
func TestDockerFiles(t *testing.T) {
	dir := filepath.Join("testdata", "emit", "single-host")
	data, err := os.ReadFile(filepath.Join(dir, "60-compose-solo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	proj, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  t.TempDir(),
		ConfigFiles: []types.ConfigFile{{Filename: "compose.yaml", Content: data}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("solo", true) })
	if err != nil {
		t.Fatalf("compose-go refuses the Compose file: %v", err)
	}
	svc, ok := proj.Services["solo"]
	if !ok {
		t.Fatalf("no service solo in %v", proj.ServiceNames())
	}
	if svc.Runtime != "runc" || svc.Image != "ghcr.io/example/solo:1.0" || svc.Labels["strata.dev/coordinates"] != "0-3-2" {
		t.Errorf("service %+v", svc)
	}
	lim := svc.Deploy.Resources.Limits
	if lim == nil || float32(lim.NanoCPUs) != 0.25 || int64(lim.MemoryBytes) != 128<<20 {
		t.Errorf("limits %+v, want 0.25 CPUs and 128Mi", lim)
	}
	if len(svc.Ports) != 1 || svc.Ports[0].Target != 8080 {
		t.Errorf("ports %+v", svc.Ports)
	}
	run, err := os.ReadFile(filepath.Join(dir, "61-docker-run-solo.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--runtime runc", "--cpus 0.25", "--memory 134217728", "--publish 8080:8080", "ghcr.io/example/solo:1.0"} {
		if !strings.Contains(string(run), want) {
			t.Errorf("docker run line lacks %q:\n%s", want, run)
		}
	}
	// The loader validates against the schema: a list where the spec wants a string fails.
	bad := strings.Replace(string(data), "runtime: runc", "runtime: [runc]", 1)
	if _, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  t.TempDir(),
		ConfigFiles: []types.ConfigFile{{Filename: "compose.yaml", Content: []byte(bad)}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("solo", true) }); err == nil {
		t.Error("runtime: [runc] loaded")
	}
}

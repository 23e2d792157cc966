package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
)

// The recorded results and probe of one machine (measured/testdata/README.md).
const (
	recordedBench = "../../measured/testdata/bench.json"
	recordedProbe = "../../measured/testdata/probe.json"
)

// measuredNow fixes the clock a while after the recorded bench run started.
func measuredNow(t *testing.T, after time.Duration) {
	t.Helper()
	old := probeEnv
	t.Cleanup(func() { probeEnv = old })
	start := time.Date(2026, 12, 2, 4, 25, 48, 0, time.UTC)
	probeEnv.now = func() time.Time { return start.Add(after) }
}

func TestPlanMeasuredGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"plan-measured-edge", []string{"plan", "--scenario", "edge", "--measured", recordedBench, "--host", recordedProbe}, 0},
		{"plan-measured-microservices-json", []string{"plan", "--scenario", "microservices", "--measured", recordedBench, "--host", recordedProbe, "-o", "json"}, 0},
		{"plan-measured-serverless-no", []string{"plan", "--scenario", "serverless", "--measured", recordedBench, "--host", recordedProbe}, 1},
		{"plan-host-only-no", []string{"plan", "--scenario", "edge", "--host", recordedProbe}, 1},
		// Without --host the local probe, here a fake host with another kernel, judges the
		// results stale; --allow-stale uses them.
		{"plan-measured-ai-inference-stale", []string{"plan", "--scenario", "ai-inference", "--measured", recordedBench, "--allow-stale"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fakeProbe(t, "pvm-guest")
			measuredNow(t, time.Hour)
			r := strata(t, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			checkGolden(t, tc.name, r)
		})
	}
}

// TestPlanMeasuredOutput: the table says where every figure came from, in the issue's
// words, and the JSON carries the same.
func TestPlanMeasuredOutput(t *testing.T) {
	measuredNow(t, time.Hour)
	r := strata(t, "plan", "--scenario", "edge", "--measured", recordedBench, "--host", recordedProbe)
	for _, want := range []string{
		"startup-ms 26.3 measured (" + recordedBench + ", crun: crun run on an OCI bundle, without containerd's shim, median of 30, 95% CI ",
		"startup-ms 86.5 measured (" + recordedBench + ", runc: ",
		"startup-ms 5 declared (default/80-planning.yaml:",
		"not measured here: strata bench has no wasmedge driver",
		"gvisor-ptrace: platform ptrace",
		"WasmEdge     excluded: vm cannot serve handler wasmedge (" + recordedProbe + "): containerd-shim-wasmedge-v1 SKIP: not on PATH",
		"changed by measurements\n  isolation-runtime: declared figures leave no isolation-runtime, crun among them: excluded: startup-ms 100 (declared) > 50 (fast-startup); measured, crun is chosen",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	fakeProbe(t, "pvm-guest") // --measured without --host probes this host; here a fake one
	probeEnv.now = func() time.Time { return time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC) }
	r = strata(t, "plan", "--scenario", "edge", "--measured", recordedBench, "--allow-stale")
	if !strings.Contains(r.stdout, "changed by measurements\n  isolation-runtime: declared figures would have chosen WasmEdge, where crun lost: excluded: startup-ms 100 (declared) > 50 (fast-startup); measured, crun is chosen") ||
		!strings.Contains(r.stdout, "(X, Y, Z) from declared figures alone: (2, 4, 3)") {
		t.Errorf("without the host:\n%s%s", r.stdout, r.stderr)
	}
	r = strata(t, "plan", "--scenario", "edge", "--measured", recordedBench, "--host", recordedProbe, "-o", "json")
	var pl plan.Plan
	if err := json.Unmarshal([]byte(r.stdout), &pl); err != nil || pl.Measured == nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if len(pl.Measured.Flips) != 1 || pl.Measured.Flips[0].Measured != "crun" || len(pl.Measured.Sources) != 2 {
		t.Errorf("measured %+v", pl.Measured)
	}
	for _, f := range pl.Measured.Figures {
		if f.Technology == "runc" && (f.Kind != network.Measured || f.N != 30 || f.CI.Level < 0.95 || f.CI == nil || f.Driver != "runc" || f.Host != "vm") {
			t.Errorf("runc figure %+v", f)
		}
	}
}

func TestPlanMeasuredStale(t *testing.T) {
	// A month and more later both files are stale: the probe is refused, the results are
	// listed as stale and not used.
	measuredNow(t, 31*24*time.Hour+time.Hour)
	r := strata(t, "plan", "--scenario", "edge", "--measured", recordedBench, "--host", recordedProbe)
	if r.code != 1 || !strings.Contains(r.stderr, "more than --max-age 720h0m0s ago: probe it again") {
		t.Errorf("stale probe: exit %d\n%s", r.code, r.stderr)
	}
	r = strata(t, "plan", "--scenario", "edge", "--measured", recordedBench, "--host", recordedProbe, "--max-age", "1000h")
	if r.code != 0 || strings.Contains(r.stdout, "stale") || !strings.Contains(r.stdout, "startup-ms 86.5 measured") {
		t.Errorf("--max-age 1000h (41 days): exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = strata(t, "plan", "--scenario", "edge", "--measured", recordedBench, "--host", recordedProbe, "--allow-stale")
	if r.code != 0 || !strings.Contains(r.stdout, "stale: measured 2026-12-02, 31 days ago, more than --max-age 30 days") || !strings.Contains(r.stdout, "used, as --allow-stale asks") {
		t.Errorf("--allow-stale: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without --host the local probe judges freshness: a fake host with another kernel.
	measuredNow(t, time.Hour)
	fake := probeEnv
	fakeProbe(t, "kvm-host")
	probeEnv.now = fake.now
	r = strata(t, "plan", "--scenario", "edge", "--measured", recordedBench)
	if r.code != 0 || !strings.Contains(r.stdout, "measured on kernel 6.18.44-fc-v857;") || !strings.Contains(r.stdout, "(the local probe)") ||
		!strings.Contains(r.stdout, "startup-ms 120 declared") {
		t.Errorf("local probe, other kernel: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Probed after now (a wrong clock here or on the probed host): its age cannot be
	// judged, so it is refused as an old one is.
	measuredNow(t, -time.Hour)
	r = strata(t, "plan", "--scenario", "edge", "--measured", recordedBench, "--host", recordedProbe)
	if r.code != 1 || !strings.Contains(r.stderr, "the host was probed 2026-12-02T04:17:30Z, 51m42s after now") {
		t.Errorf("probe from the future: exit %d\n%s", r.code, r.stderr)
	}
	r = strata(t, "plan", "--scenario", "edge", "--measured", recordedBench, "--host", recordedProbe, "--allow-stale")
	if r.code != 0 || !strings.Contains(r.stdout, "stale: measured 2026-12-02, 1h0m0s after now") {
		t.Errorf("results from the future with --allow-stale: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestPlanMeasuredBadInput(t *testing.T) {
	measuredNow(t, time.Hour)
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	probeAsBench := write("probe-as-bench.json", mustRead(t, recordedProbe))
	broken := write("broken.json", "{\n  \"version\": 1,\n  \"drivers\": [\n    {\"name\": \"runc\", \"bogus\": true}\n  ]\n}\n")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plan", "--scenario", "edge", "--measured", filepath.Join(dir, "missing.json")}, 2, "no such file"},
		{[]string{"plan", "--scenario", "edge", "--host", filepath.Join(dir, "missing.json")}, 2, "no such file"},
		{[]string{"plan", "--scenario", "edge", "--measured", probeAsBench, "--host", recordedProbe}, 1, probeAsBench + ":6:5: not strata bench -o json output: at /host/privileged: unknown object member name"},
		{[]string{"plan", "--scenario", "edge", "--measured", broken, "--host", recordedProbe}, 1, broken + ":4:22: not strata bench -o json output"},
		{[]string{"plan", "--scenario", "edge", "--measured", recordedBench, "--host", recordedBench}, 1, "not strata probe -o json output"},
		{[]string{"plan", "--scenario", "edge", "--measured", recordedBench, "--max-age", "soon"}, 2, "invalid argument"},
	} {
		r := strata(t, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s", tc.args, r.code, tc.code, tc.want, r.stderr)
		}
	}
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/probetest"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/probe"
)

// fakeProbe points the probe command at a fake host from probe/testdata, with a fixed
// clock and no embedded engine, until the test ends. Tests that use it do not run in
// parallel.
func fakeProbe(t *testing.T, host string) {
	t.Helper()
	old := probeEnv
	t.Cleanup(func() { probeEnv = old })
	dir := filepath.Join("..", "..", "probe", "testdata", host)
	probeEnv.host = func() (probe.Host, error) { return probetest.Host(dir) }
	probeEnv.now = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	probeEnv.embedded = func() string { return "" }
}

func TestProbeGolden(t *testing.T) {
	for _, tc := range []struct {
		name, host string
		args       []string
		code       int
	}{
		{"probe-kvm-host", "kvm-host", nil, 0},
		{"probe-pvm-guest", "pvm-guest", nil, 0},
		{"probe-empty-container", "empty-container", nil, 0},
		{"probe-amd-no-kvm", "amd-no-kvm", nil, 0},
		{"probe-unprivileged", "kvm-host", []string{"--unprivileged", "--layer", "L-3,observability"}, 0},
		{"probe-layer-L-4", "gvisor-sandbox", []string{"--layer", "L-4"}, 0},
		{"probe-layer-L-0-no", "pvm-guest", []string{"--layer", "L0"}, 1},
		{"probe-json", "pvm-guest", []string{"-o", "json"}, 0},
		{"probe-yaml", "amd-no-kvm", []string{"-o", "yaml", "--layer", "L-4"}, 0},
		{"probe-nfd", "kvm-host", []string{"-o", "nfd"}, 0},
		{"probe-facts", "pvm-guest", []string{"-o", "facts"}, 0},
		{"probe-bad-layer", "kvm-host", []string{"--layer", "L-9"}, 2},
		{"probe-bad-format", "kvm-host", []string{"-o", "dot"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fakeProbe(t, tc.host)
			r := strata(t, append([]string{"probe"}, tc.args...)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			checkGolden(t, tc.name, r)
		})
	}
}

// TestProbeWrite writes NFD lines atomically: the file holds exactly what stdout would,
// no temporary file is left beside it, and a write that cannot happen leaves nothing.
func TestProbeWrite(t *testing.T) {
	fakeProbe(t, "kvm-host")
	dir := t.TempDir()
	path := filepath.Join(dir, "strata")
	if err := os.WriteFile(path, []byte("strata-layer-L-9=true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := strata(t, "probe", "-o", "nfd")
	r := strata(t, "probe", "-o", "nfd", "--write", path)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.stdout {
		t.Errorf("file:\n%s\nstdout would be:\n%s", got, want.stdout)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("files beside the output: %v", ents)
	}
	bad := strata(t, "probe", "-o", "nfd", "--write", filepath.Join(dir, "missing", "strata"))
	if bad.code != exitFailure || !strings.Contains(bad.stderr, "write ") {
		t.Errorf("write into a missing directory: exit %d, stderr %q", bad.code, bad.stderr)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("a failed write left files: %v", ents)
	}
}

// TestProbeFactsLoad saves a probe as facts and reads it back with the network commands.
func TestProbeFactsLoad(t *testing.T) {
	for _, host := range []string{"kvm-host", "amd-no-kvm"} {
		t.Run(host, func(t *testing.T) {
			fakeProbe(t, host)
			path := filepath.Join(t.TempDir(), "probe.yaml")
			if r := strata(t, "probe", "-o", "facts", "--write", path); r.code != 0 {
				t.Fatalf("probe -o facts: exit %d: %s", r.code, r.stderr)
			}
			if r := strata(t, "check", path); r.code != 0 {
				t.Errorf("check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			data, _ := os.ReadFile(path)
			hostname := map[string]string{"kvm-host": "kvm-host", "amd-no-kvm": "edge-7"}[host]
			id := probe.HostEntityID(hostname)
			r := strata(t, "show", "--network", path, id, "-o", "json")
			if r.code != 0 {
				t.Fatalf("show %s: exit %d: %s\n%s", id, r.code, r.stderr, data)
			}
			if !strings.Contains(r.stdout, `"measured"`) || !strings.Contains(r.stdout, `"L-3"`) {
				t.Errorf("show %s lacks the measured offers L-3 fact:\n%s", id, r.stdout)
			}
			n, err := network.Load(append(network.DefaultFiles(), network.File{Name: path, Data: data}))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range n.FactsOf(id, probe.OffersRelation) {
				if f.Kind != network.Measured {
					t.Errorf("fact %+v is not measured", f)
				}
			}
		})
	}
}

// TestProbeLocal runs the real probe through the command line.
func TestProbeLocal(t *testing.T) {
	r := strata(t, "probe", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep probe.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Checks) < 40 || len(rep.Coordinates) != 5 || rep.Host.Kernel == "" {
		t.Errorf("report: %d checks, %d coordinates, kernel %q", len(rep.Checks), len(rep.Coordinates), rep.Host.Kernel)
	}
}

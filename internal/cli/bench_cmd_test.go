package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/bench"
)

// TestBenchQuick runs `strata bench --quick -o json` for real and checks the JSON is
// complete: a host fingerprint, every driver either measured on every workload or not
// available with a reason — and not available only when its runtime is truly absent.
func TestBenchQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every runtime on this host")
	}
	dir := t.TempDir()
	chart := filepath.Join(dir, "bench.svg")
	var out, errb bytes.Buffer
	begin := time.Now()
	code := Run(context.Background(), []string{"bench", "--quick", "-o", "json", "--chart", chart}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// The < 60 s target is a speed target, reported rather than asserted: a timed
	// assertion on a shared 2-core CI machine would fail on load, not on strata.
	t.Logf("strata bench --quick took %v (target < 60 s)", time.Since(begin).Round(time.Second))
	var res bench.Results
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	h := res.Host
	if h.Kernel == "" || h.CPU == "" || h.Cores == 0 || h.Virtualization == "" || h.Cgroup == "" || len(h.Runtimes) == 0 {
		t.Errorf("incomplete host fingerprint: %+v", h)
	}
	// The binary each driver needs; drivers needing nothing must always run.
	needs := map[string]string{"runc": "runc", "crun": "crun", "containerd": "ctr", "node-wasi": "node", "gvisor-ptrace": "runsc"}
	// The device a driver needs instead of a binary.
	needsDevice := map[string]string{"kvm-direct": "/dev/kvm"}
	for _, d := range res.Drivers {
		if !d.Available {
			if d.Reason == "" {
				t.Errorf("%s: not available without a reason", d.Name)
			}
			bin, ok := needs[d.Name]
			if dev, isDev := needsDevice[d.Name]; isDev {
				// Not a binary: the host's device (a VM host can lose /dev/kvm).
				if _, err := os.Stat(dev); err == nil {
					t.Errorf("%s is not available although %s is here: %s", d.Name, dev, d.Reason)
				} else {
					t.Logf("skipped %s: %s", d.Name, d.Reason)
				}
				continue
			}
			if _, err := exec.LookPath(bin); (ok && err == nil) || (!ok && !strings.HasPrefix(d.Name, "gvisor-")) {
				t.Errorf("%s is not available although its runtime is here: %s", d.Name, d.Reason)
			} else {
				t.Logf("skipped %s: %s", d.Name, d.Reason)
			}
			continue
		}
		if n := len(bench.DefaultWorkloads(true)); len(d.Results) != n {
			t.Errorf("%s: %d workload results, want %d", d.Name, len(d.Results), n)
		}
		for _, w := range d.Results {
			if !w.Measured() {
				// Allowed: a workload the driver cannot run at all (a VM without an OS), and
				// what --quick leaves to the full bench on slow drivers (a guest boot per run).
				if !w.Unsupported && !w.Skipped {
					t.Errorf("%s %s: not measured: %s", d.Name, w.Workload, w.Error)
				}
				if w.Error == "" {
					t.Errorf("%s %s: not measured without a reason", d.Name, w.Workload)
				}
				continue
			}
			if len(w.Samples) != w.Summary.N || w.Summary.Median <= 0 {
				t.Errorf("%s %s: summary %+v does not match %d samples", d.Name, w.Workload, w.Summary, len(w.Samples))
			}
			if d.Layer != bench.Native && w.VsNative == nil {
				t.Errorf("%s %s: no ratio to native", d.Name, w.Workload)
			}
		}
	}
	if res.Baseline() == nil {
		t.Fatal("no native baseline")
	}
	if svg, err := os.ReadFile(chart); err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("chart: %v", err)
	}

	// verify reads what bench wrote.
	file := filepath.Join(dir, "results.json")
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var vout, verr bytes.Buffer
	code = Run(context.Background(), []string{"verify", file, "--facts", filepath.Join(dir, "facts.yaml")}, &vout, &verr)
	if code != exitOK && code != exitNo {
		t.Fatalf("verify exit %d: %s", code, verr.String())
	}
	if !strings.Contains(vout.String(), "L-3 < L-4") {
		t.Errorf("verify output lacks the claim L-3 < L-4:\n%s", vout.String())
	}
	t.Logf("verify:\n%s", vout.String())
}

func TestVerifySynthetic(t *testing.T) {
	// The sandbox starts faster than the container: the seed's "L-3 < L-4" disagrees.
	mk := func(name, layer string, ms float64) bench.DriverResult {
		s := []float64{ms, ms * 1.01, ms * 0.99, ms, ms * 1.02}
		return bench.DriverResult{Name: name, Layer: layer, Available: true,
			Results: []bench.WorkloadResult{{Workload: bench.Start, Unit: "ms", Samples: s, Summary: bench.Summarize(s)}}}
	}
	res := bench.Results{Version: 1, Host: bench.Host{Hostname: "h"}, Started: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Workloads: []bench.Workload{{Name: bench.Start}},
		Drivers: []bench.DriverResult{mk("native", bench.Native, 0.5), mk("crun", bench.L3, 8), mk("wazero", bench.L4, 0.02)}}
	b, _ := json.Marshal(res)
	dir := t.TempDir()
	file := filepath.Join(dir, "r.json")
	os.WriteFile(file, b, 0o644)
	// What a hand edit or another tool leaves in a results file is an error at its
	// position, never ignored: verify reads as plan --measured does.
	variant := func(name, data string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), 0o644)
		return p
	}
	unknown := variant("unknown.json", strings.Replace(string(b), `{"version":1`, `{"version":1,"verison":2`, 1))
	repeated := variant("repeated.json", strings.Replace(string(b), `{"version":1`, `{"version":1,"version":1`, 1))
	trailing := variant("trailing.json", string(b)+`{"version":1}`)
	noDrivers := variant("nodrivers.json", `{"version":1,"started":"2026-12-01T00:00:00Z","drivers":[]}`)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"verify", file}, exitNo, "disagrees"},
		{[]string{"verify", file, "-o", "json"}, exitNo, `"verdict": "not measurable"`},
		{[]string{"verify", file, "--facts", "-"}, exitNo, "kind: measured"},
		{[]string{"verify", file, "--relation", "nope"}, exitUsage, "nope"},
		{[]string{"verify", "/no/such.json"}, exitUsage, "read results"},
		{[]string{"verify", unknown}, exitNo, `unknown.json:1:`},
		{[]string{"verify", unknown}, exitNo, `verison`},
		{[]string{"verify", repeated}, exitNo, `repeated.json:1:`},
		{[]string{"verify", trailing}, exitNo, `trailing.json:1:`},
		{[]string{"verify", noDrivers}, exitNo, `no drivers`},
		{[]string{"bench", "--layer", "L-9"}, exitUsage, "unknown layer"},
		{[]string{"bench", "--layers", "L-9"}, exitUsage, "--layers has been deprecated, use --layer"},
		{[]string{"bench", "--runs", "0"}, exitUsage, "--runs"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			old := os.Stdout
			if tt.args[len(tt.args)-1] == "-" { // --facts - writes to the real stdout
				r, w, _ := os.Pipe()
				os.Stdout = w
				defer func() { os.Stdout = old }()
				code := Run(context.Background(), tt.args, &out, &errb)
				w.Close()
				os.Stdout = old
				var facts bytes.Buffer
				facts.ReadFrom(r)
				out.Write(facts.Bytes())
				if code != tt.code {
					t.Errorf("exit %d, want %d", code, tt.code)
				}
			} else if code := Run(context.Background(), tt.args, &out, &errb); code != tt.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.code, errb.String())
			}
			if !strings.Contains(out.String()+errb.String(), tt.want) {
				t.Errorf("output lacks %q:\n%s%s", tt.want, out.String(), errb.String())
			}
		})
	}
}

// TestBenchTableClocks: the table marks what timed each cell — w for the workload's own
// clock, g for a guest's, nothing for the host's start to exit — and explains the marks.
func TestBenchTableClocks(t *testing.T) {
	mk := func(workload, clock string, ms float64) bench.WorkloadResult {
		s := []float64{ms, ms * 1.01, ms * 0.99}
		return bench.WorkloadResult{Workload: workload, Unit: "ms", Samples: s, Summary: bench.Summarize(s), Clock: clock}
	}
	res := &bench.Results{Version: 1, Runs: 3, Workloads: []bench.Workload{{Name: bench.Start}, {Name: bench.CPU, N: 10}},
		Drivers: []bench.DriverResult{
			{Name: "native", Layer: bench.Native, Available: true, Results: []bench.WorkloadResult{mk(bench.Start, bench.ClockHost, 0.9), mk(bench.CPU, bench.ClockWorkload, 172)}},
			{Name: "qemu-pc", Layer: bench.L1, Available: true, Results: []bench.WorkloadResult{mk(bench.Start, bench.ClockHost, 2000), mk(bench.CPU, bench.ClockGuest, 400)}},
		}}
	var out bytes.Buffer
	writeBenchTable(&out, res)
	for _, want := range []string{"0.900 ", "172 w", "2000 ", "400 g", "w: timed by the workload's own clock", "g: timed inside the guest"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "0.900 w") || strings.Contains(out.String(), "2000 g") {
		t.Errorf("a host-timed start is marked:\n%s", out.String())
	}
}

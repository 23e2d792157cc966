package measured

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/network"
)

// results is a small bench result as strata bench -o json writes it (encoding/json).
func results(t testing.TB) []byte {
	samples := []float64{20.1, 19.8, 20.6, 21.0, 19.9, 20.3}
	r := bench.Results{Version: 1, Host: bench.Host{Hostname: "h", Kernel: "6.1.0", Runtimes: []bench.Runtime{}},
		Started: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Runs: 6, Warmup: 1,
		Workloads: []bench.Workload{{Name: bench.Start}},
		Drivers: []bench.DriverResult{
			{Name: "native", Layer: bench.Native, Available: true, Results: []bench.WorkloadResult{{Workload: bench.Start, Unit: "ms", Samples: []float64{1, 1, 1}, Summary: bench.Summarize([]float64{1, 1, 1})}}},
			{Name: "runc", Layer: bench.L3, Available: true, Version: "runc version 1.1.5", Results: []bench.WorkloadResult{{Workload: bench.Start, Unit: "ms", Samples: samples, Summary: bench.Summarize(samples)}}},
		}}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadBench(t *testing.T) {
	r, err := ReadBench("bench.json", results(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Drivers) != 2 || r.Drivers[1].Results[0].Summary.N != 6 {
		t.Errorf("read %+v", r)
	}
}

// TestReadBenchHostile: every malformed input is one problem naming the file, with a line
// and column where the JSON says where; never a panic.
func TestReadBenchHostile(t *testing.T) {
	good := string(results(t))
	var twice bench.Results
	if err := json.Unmarshal([]byte(good), &twice); err != nil {
		t.Fatal(err)
	}
	runc := &twice.Drivers[1]
	low := []float64{1, 1, 1, 1, 1, 1}
	runc.Results = append(runc.Results, bench.WorkloadResult{Workload: bench.Start, Unit: "ms", Samples: low, Summary: bench.Summarize(low)})
	workloadTwice, err := json.Marshal(twice)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, data, want string
		line             int // 0: no position expected
	}{
		{"empty", "", "not strata bench", 1},
		{"not json", "hello", "not strata bench", 1},
		{"array", "[1,2]", "not strata bench", 1},
		{"unknown member", strings.Replace(good, `"version": 1,`, `"version": 1, "bogus": 2,`, 1), "bogus", 2},
		{"repeated member", strings.Replace(good, `"version": 1,`, `"version": 1, "version": 1,`, 1), "duplicate", 2},
		{"wrong type", strings.Replace(good, `"version": 1,`, `"version": "1",`, 1), "version", 2},
		{"trailing data", good + "{}", "not strata bench", 0},
		{"deep nesting", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "not strata bench", 1},
		{"deep in a field", strings.Replace(good, `"version": 1,`, `"version": 1, "host": {"hostname": `+strings.Repeat("[", 20000), 1), "not strata bench", 2},
		{"version 2", strings.Replace(good, `"version": 1,`, `"version": 2,`, 1), "version 2", 0},
		{"no drivers", `{"version": 1, "started": "2026-12-01T10:00:00Z", "drivers": []}`, "no drivers", 0},
		{"no time", `{"version": 1, "drivers": [{"name": "x"}]}`, "when", 0},
		{"nameless driver", `{"version": 1, "started": "2026-12-01T10:00:00Z", "drivers": [{"name": ""}]}`, "no name", 0},
		{"workload twice", string(workloadTwice), "drivers[1] (runc) measures start twice", 0},
		{"driver twice", `{"version": 1, "started": "2026-12-01T10:00:00Z", "drivers": [{"name": "a"}, {"name": "a"}]}`, "twice", 0},
		{"summary lies", strings.Replace(good, `"median": 20.2`, `"median": 2.2`, 1), "median", 0},
		{"n lies", strings.Replace(good, `"n": 6`, `"n": 7`, 1), "7", 0},
		{"negative sample", strings.Replace(good, `20.1,`, `-20.1,`, 1), "not a duration", 0},
		{"NaN text", strings.Replace(good, `20.1,`, `NaN,`, 1), "not strata bench", 0},
		{"invalid utf-8", strings.Replace(good, `"hostname": "h"`, "\"hostname\": \"\xff\"", 1), "not strata bench", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadBench("bench.json", []byte(tc.data))
			ps, ok := network.AsProblems(err)
			if !ok || len(ps) != 1 {
				t.Fatalf("got %v, want one problem", err)
			}
			p := ps[0]
			if p.Pos.File != "bench.json" || !strings.Contains(p.Message, tc.want) || p.Hint == "" {
				t.Errorf("problem %v: want bench.json, %q and a hint", p, tc.want)
			}
			if tc.line > 0 && (p.Pos.Line != tc.line || p.Pos.Col < 1) {
				t.Errorf("problem at %v, want line %d", p.Pos, tc.line)
			}
		})
	}
}

func TestReadFileBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = ReadFile(path)
	if ps, ok := network.AsProblems(err); !ok || !strings.Contains(ps.Error(), "huge.json:1:1: file is 16777217 bytes; strata reads at most 16777216") {
		t.Errorf("a file over the bound: %v", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.json")); !os.IsNotExist(err) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestReadProbeHostile(t *testing.T) {
	for name, data := range map[string]string{
		"bench results": string(results(t)),
		"no time":       `{"host": {"hostname": "h"}, "checks": [], "coordinates": [], "handlers": []}`,
		"unknown":       `{"host": {"hostname": "h", "time": "2026-12-01T10:00:00Z", "x": 1}}`,
	} {
		_, err := ReadProbe("probe.json", []byte(data))
		if ps, ok := network.AsProblems(err); !ok || ps[0].Pos.File != "probe.json" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzReadBench(f *testing.F) {
	f.Add(results(f))
	f.Add([]byte(`{"version": 1}`))
	f.Add([]byte(`[[[[`))
	if b, err := os.ReadFile("testdata/bench.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadBench("f.json", data)
		if err != nil {
			if _, ok := network.AsProblems(err); !ok {
				t.Fatalf("error is not a problem: %v", err)
			}
			return
		}
		// What was accepted re-encodes and reads back the same.
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ReadBench("again.json", b); err != nil {
			t.Fatalf("accepted results do not read back: %v", err)
		}
	})
}

func FuzzReadProbe(f *testing.F) {
	f.Add([]byte(`{"host": {"hostname": "h", "time": "2026-12-01T10:00:00Z"}, "checks": [], "coordinates": [], "handlers": []}`))
	if b, err := os.ReadFile("testdata/probe.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ReadProbe("f.json", data); err != nil {
			if _, ok := network.AsProblems(err); !ok {
				t.Fatalf("error is not a problem: %v", err)
			}
		}
	})
}

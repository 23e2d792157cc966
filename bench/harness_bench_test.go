package bench

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// nullDriver does nothing but take the same timestamps a real driver takes around its
// run: what it measures is the floor of the measurement itself.
type nullDriver struct{}

func (nullDriver) Name() string                             { return "null" }
func (nullDriver) Layer() string                            { return Native }
func (nullDriver) Available(context.Context) (bool, string) { return true, "" }
func (nullDriver) Run(context.Context, Workload) (Sample, error) {
	t0 := time.Now()
	return Sample{Wall: time.Since(t0)}, nil
}

// BenchmarkHarnessOverhead measures the harness's own cost per run (the loop around
// Driver.Run: progress, budget, per-run timeout context) and the measurement floor inside
// a sample (the two clock reads every driver takes). Only the floor is inside a measured
// interval; it must stay under 2% of the fastest layer (wazero's ~20 µs start: 0.4 µs).
func BenchmarkHarnessOverhead(b *testing.B) {
	const runs = 1000
	opt := Options{Runs: runs, Budget: time.Hour, RunTimeout: time.Minute}
	log := slog.New(slog.DiscardHandler)
	var floor float64
	for b.Loop() {
		var wr WorkloadResult
		if err := measure(context.Background(), nullDriver{}, Workload{Name: Start}, opt, &wr, log); err != nil {
			b.Fatal(err)
		}
		floor = wr.Summary.Median * 1e6 // ms → ns
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*runs), "ns/run")
	b.ReportMetric(floor, "floor-ns/sample")
}

// BenchmarkWazeroStart is the precompiled module's instantiate + _start + close.
func BenchmarkWazeroStart(b *testing.B) {
	d := NewWazero(false)
	if err := d.Prepare(context.Background(), b.TempDir()); err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	for b.Loop() {
		if _, err := d.Run(ctx, Workload{Name: Start}); err != nil {
			b.Fatal(err)
		}
	}
}

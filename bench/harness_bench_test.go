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
func (nullDriver) Prepare(context.Context, string) error    { return nil }
func (nullDriver) Close() error                             { return nil }
func (nullDriver) Info(context.Context) Info                { return Info{} }
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

// TestHarnessFloor is the 2% rule as a test: the clock reads inside a sample (the floor
// nullDriver measures; wazero takes two pairs of them) must stay under 2% of the fastest
// layer's start, wazero's instantiate + _start + close (compiler or interpreter, whichever
// is faster), measured here and now.
// The rest of the harness (progress, budget, the per-run context) runs between samples,
// outside every measured interval.
func TestHarnessFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("times the harness")
	}
	log := slog.New(slog.DiscardHandler)
	var floor WorkloadResult
	if err := measure(context.Background(), nullDriver{}, Workload{Name: Start}, Options{Runs: 2000, Budget: time.Hour, RunTimeout: time.Minute}, &floor, log); err != nil {
		t.Fatal(err)
	}
	var fastest WorkloadResult
	for _, d := range []Driver{NewWazero(false), NewWazero(true)} {
		if err := d.Prepare(context.Background(), t.TempDir()); err != nil {
			t.Fatal(err)
		}
		var wr WorkloadResult
		err := measure(context.Background(), d, Workload{Name: Start}, Options{Runs: 500, Warmup: 50, Budget: time.Hour, RunTimeout: time.Minute}, &wr, log)
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
		if fastest.Summary.N == 0 || wr.Summary.Median < fastest.Summary.Median {
			fastest = wr
		}
	}
	share := 2 * floor.Summary.Median / fastest.Summary.Median
	t.Logf("floor %.0f ns per clock pair, wazero start %.1f µs: %.2f%% of it", floor.Summary.Median*1e6, fastest.Summary.Median*1e3, share*100)
	if share > 0.02 {
		t.Errorf("the measurement's own floor is %.2f%% of the fastest layer, want < 2%%", share*100)
	}
}

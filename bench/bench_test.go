package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeDriver runs every workload instantly, except those it says it cannot run.
type fakeDriver struct {
	nullDriver
	name        string
	unsupported string // a workload it returns ErrNotSupported for
	fails       string // a workload whose runs fail
	slow        bool
}

func (d fakeDriver) Name() string              { return d.name }
func (d fakeDriver) Info(context.Context) Info { return Info{Slow: d.slow} }
func (d fakeDriver) Run(ctx context.Context, w Workload) (Sample, error) {
	switch w.Name {
	case d.unsupported:
		return Sample{}, fmt.Errorf("workload %s: %w", w.Name, ErrNotSupported)
	case d.fails:
		return Sample{}, errors.New("broken")
	}
	return Sample{Wall: time.Millisecond, MaxRSSKiB: 1}, nil
}

// TestNotMeasuredSaysWhy: a workload a driver cannot run is Unsupported, one the options
// leave out is Skipped, one that fails is neither; each says why in Error.
func TestNotMeasuredSaysWhy(t *testing.T) {
	ds := []Driver{
		fakeDriver{name: "a", unsupported: CPU, fails: Syscall},
		fakeDriver{name: "b", slow: true},
	}
	res, err := Run(context.Background(), ds, Options{Runs: 3, Warmup: 0, TempDir: t.TempDir(),
		Workloads: DefaultWorkloads(true), SlowWorkloads: []string{Start}})
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ measured, unsupported, skipped bool }
	wants := map[string]want{
		"a/" + Start: {measured: true}, "a/" + CPU: {unsupported: true}, "a/" + Syscall: {},
		"b/" + Start: {measured: true}, "b/" + CPU: {skipped: true},
	}
	for _, d := range res.Drivers {
		for _, w := range d.Results {
			wt, ok := wants[d.Name+"/"+w.Workload]
			if !ok {
				continue
			}
			got := want{w.Measured(), w.Unsupported, w.Skipped}
			if got != wt {
				t.Errorf("%s %s: measured, unsupported, skipped = %v, want %v (error %q)", d.Name, w.Workload, got, wt, w.Error)
			}
			if !w.Measured() && w.Error == "" {
				t.Errorf("%s %s: not measured, no reason", d.Name, w.Workload)
			}
		}
	}
}

// TestWithoutReexecInit: in a program whose main does not call ReexecInit, the drivers
// that start the executable as a workload are not available, and say why, rather than
// starting the whole program again.
func TestWithoutReexecInit(t *testing.T) {
	reexecReady.Store(false)
	defer reexecReady.Store(true)
	res, err := Run(context.Background(), []Driver{NewNative()}, Options{Runs: 1, TempDir: t.TempDir(), Workloads: DefaultWorkloads(true)})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Drivers[0]
	if d.Available || !strings.Contains(d.Reason, "bench.ReexecInit") {
		t.Errorf("native without ReexecInit: available %v, reason %q", d.Available, d.Reason)
	}
}

// closeFails is a driver whose Close cannot clean up.
type closeFails struct{ fakeDriver }

func (closeFails) Close() error { return errors.New("cgroup busy") }

// TestLeftBehind: what a driver could not clean up is Run's error, beside complete results.
func TestLeftBehind(t *testing.T) {
	res, err := Run(context.Background(), []Driver{closeFails{fakeDriver{name: "x"}}}, Options{Runs: 3, TempDir: t.TempDir(), Workloads: DefaultWorkloads(true)})
	if !errors.Is(err, ErrLeftBehind) || !strings.Contains(err.Error(), "close x: cgroup busy") {
		t.Errorf("Run: %v, want ErrLeftBehind naming the driver and its error", err)
	}
	if res == nil || len(res.Drivers) != 1 || !res.Drivers[0].Results[0].Measured() {
		t.Errorf("results not complete: %+v", res)
	}
}

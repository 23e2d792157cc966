package bench

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// TestWorkloadClock checks the workload's own clock against the host's, as TestGuestClock
// does for the guests, on the layers whose clock inside is not simply the host's (gVisor
// keeps time of its own) and on native and runc for reference. For each run the kernel's
// time must lie inside the host's start-to-exit time of that run, leaving outside it
// about what the runtime's start costs; and the clock must run at the host's rate: going
// from n to 4n iterations must add as much by the kernel's clock as by the host's (the
// runtime's start, the same in both, drops out of the difference).
//
// The second and third checks compare times, which another process on the machine can
// stretch (a run's start waiting for a CPU counts outside the workload's time, and a few
// such runs move a median): a measurement that misses them is taken again, up to three
// times, and only one that misses every time fails. A clock that runs at another rate, or
// a runtime that adds its own time, misses every time. That the workload's time lies
// inside the host's is checked on every run.
func TestWorkloadClock(t *testing.T) {
	if testing.Short() {
		t.Skip("runs containers")
	}
	for _, d := range []Driver{NewNative(), NewRunc(), NewRunsc("ptrace")} {
		t.Run(d.Name(), func(t *testing.T) { // each runtime skips on its own
			ctx := context.Background()
			if ok, why := d.Available(ctx); !ok {
				t.Skip(why)
			}
			if err := d.Prepare(ctx, t.TempDir()); err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			const runs = 3
			var misses []string
			for attempt := 1; attempt <= 3; attempt++ {
				miss := measureClock(t, ctx, d, runs)
				if miss == "" {
					return
				}
				t.Logf("attempt %d: %s", attempt, miss)
				misses = append(misses, miss)
			}
			t.Errorf("the workload's clock disagrees with the host's in every attempt:\n%s", strings.Join(misses, "\n"))
		})
	}
}

// measureClock is one attempt of TestWorkloadClock on d: it fails t when the workload's
// clock says more than the host's for the same run, and returns what else missed ("" when
// nothing did).
func measureClock(t *testing.T, ctx context.Context, d Driver, runs int) string {
	t.Helper()
	// Each time is the least of its runs: another process can only add to a run's time, so
	// the least is the one it disturbed least.
	var start time.Duration
	for i := range runs {
		s, err := d.Run(ctx, Workload{Name: Start})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 || s.Wall < start {
			start = s.Wall
		}
	}
	var misses []string
	// The least inside and host times of the cpu kernel at size n, and the least time
	// outside the kernel.
	cpu := func(n int) (inside, host, outside time.Duration) {
		for i := range runs {
			s, err := d.Run(ctx, Workload{Name: CPU, N: n})
			if err != nil {
				t.Fatal(err)
			}
			if s.Clock != ClockWorkload || s.Wall <= 0 || s.Host <= 0 {
				t.Fatalf("cpu %d: clock %q, workload %v, host %v: want the workload's own time and the host's", n, s.Clock, s.Wall, s.Host)
			}
			if s.Wall > s.Host {
				t.Errorf("cpu %d: the workload's clock says %v, the host's start to exit of the same run %v", n, s.Wall, s.Host)
			}
			if i == 0 {
				inside, host, outside = s.Wall, s.Host, s.Host-s.Wall
			}
			inside, host, outside = min(inside, s.Wall), min(host, s.Host), min(outside, s.Host-s.Wall)
		}
		// Outside the kernel: the runtime's start and exit and the kernel process's own
		// start (the Go runtime's); within reason of the start workload's time.
		if outside > 2*start+150*time.Millisecond {
			misses = append(misses, fmt.Sprintf("cpu %d: at least %v outside the workload's time, start alone takes %v", n, outside, start))
		}
		return inside, host, outside
	}
	const n = 100_000_000
	in1, h1, _ := cpu(n)
	in4, h4, _ := cpu(4 * n)
	rate := float64(in4-in1) / float64(h4-h1)
	t.Logf("start %v; cpu %d: workload %v, host %v; cpu %d: workload %v, host %v; workload/host rate %.3f",
		start, n, in1, h1, 4*n, in4, h4, rate)
	if math.Abs(rate-1) > 0.10 {
		misses = append(misses, fmt.Sprintf("the workload's clock runs at %.3f× the host's (want within 10%%)", rate))
	}
	return strings.Join(misses, "; ")
}

// TestCheckClock: a sample timed inside that outlasts its run on the host, or a change
// of clock between samples, is an error for the workload.
func TestCheckClock(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		s     Sample
		prior string
		first bool
		bad   bool
	}{
		{Sample{Wall: 5 * ms, Host: 9 * ms, Clock: ClockWorkload}, "", true, false},
		{Sample{Wall: 9 * ms, Host: 5 * ms, Clock: ClockWorkload}, "", true, true},
		{Sample{Wall: 9 * ms, Host: 5 * ms, Clock: ClockGuest}, "", true, true},
		{Sample{Wall: 9 * ms}, "", true, false},
		{Sample{Wall: 5 * ms, Host: 9 * ms, Clock: ClockWorkload}, ClockWorkload, false, false},
		{Sample{Wall: 5 * ms}, ClockWorkload, false, true},
	}
	for i, tt := range tests {
		err := checkClock(tt.s, &WorkloadResult{Clock: tt.prior}, tt.first)
		if (err != nil) != tt.bad {
			t.Errorf("%d: checkClock(%+v after %q) = %v, want error %v", i, tt.s, tt.prior, err, tt.bad)
		}
	}
}

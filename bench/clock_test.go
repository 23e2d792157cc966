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
// about what a run of the kernel with no work leaves outside; and the clock must run at
// the host's rate: the kernel's time must agree with the host's time between the two
// marks the kernel prints around its timed part, which the host notes as they arrive on
// the kernel's stdout.
//
// Both judgements are made within each run, so another process on the machine moves them
// little: a run's start waiting for a CPU lies outside the marks, and a mark that arrives
// late moves the host's interval by the host's wake-up latency (milliseconds, against
// seconds of workload). Only the time outside the workload is legitimately noisy on a busy
// machine (a sandbox's start is seconds of CPU-bound work): it is compared with empty runs
// taken between the long ones, so both see the same load, and a measurement that misses is
// taken again, up to three times; only one that misses every time fails. A clock that runs
// at another rate, or jumps while the workload runs, misses every time. That the
// workload's time lies inside the host's is checked on every run.
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
	const n = 400_000_000 // a second or two: the marks' wake-up latency is a small part
	// The least time outside the kernel of an empty run (the runtime's start and exit, the
	// kernel process's own start: the Go runtime's) and of a long one: another process can
	// only add to them, so the least is the one it disturbed least. Empty and long runs
	// alternate, so that both see the same load.
	var empty, outside, inside, marks time.Duration
	for i := range runs {
		e, err := d.Run(ctx, Workload{Name: CPU, N: 1})
		if err != nil {
			t.Fatal(err)
		}
		c, err := d.Run(ctx, Workload{Name: CPU, N: n})
		if err != nil {
			t.Fatal(err)
		}
		if c.Clock != ClockWorkload || c.Wall <= 0 || c.Host <= 0 || c.Marks <= 0 {
			t.Fatalf("cpu %d: clock %q, workload %v, host %v, host between the marks %v: want the workload's own time, the host's, and the marks'", n, c.Clock, c.Wall, c.Host, c.Marks)
		}
		if c.Wall > c.Host {
			t.Errorf("cpu %d: the workload's clock says %v, the host's start to exit of the same run %v", n, c.Wall, c.Host)
		}
		if i == 0 {
			empty, outside = e.Host-e.Wall, c.Host-c.Wall
		}
		empty, outside = min(empty, e.Host-e.Wall), min(outside, c.Host-c.Wall)
		inside += c.Wall
		marks += c.Marks
	}
	var misses []string
	// Outside the long run's kernel: within reason of what an empty run leaves outside. A
	// clock that stops or slows while the workload runs leaves more.
	if outside > 2*empty+150*time.Millisecond {
		misses = append(misses, fmt.Sprintf("cpu %d: at least %v outside the workload's time, %v outside an empty run's", n, outside, empty))
	}
	rate := inside.Seconds() / marks.Seconds()
	t.Logf("least outside an empty run %v; cpu %d, %d runs: workload %v, host between the marks %v: rate %.3f; least outside the workload %v",
		empty, n, runs, inside, marks, rate, outside)
	if math.Abs(rate-1) > 0.05 {
		misses = append(misses, fmt.Sprintf("the workload's clock runs at %.3f× the host's between the marks (want within 5%%)", rate))
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

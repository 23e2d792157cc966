package locate

import (
	"strings"
	"testing"
)

// inFlight is the collector's word that thread tid was asleep in syscall nr on a
// descriptor of kind fdk when it attached, at m.
func inFlight(m float64, tid, nr int32, fdk FDKind) Event {
	e := ev(EvInFlight, m, tid)
	e.Syscall, e.FD, e.FDKind, e.State = nr, 5, fdk, 1
	return e
}

// TestInFlightAtAttach: a thread asleep in a syscall when the collector attached waits in
// that syscall from the start of the observation; its own events since win where they
// say more (it was already on CPU).
func TestInFlightAtAttach(t *testing.T) {
	exit := sysc(1, 30, 10, 0, 1, FDPipe) // read, in flight since the seed at 1 ms
	exit.Attached = true
	early := sysc(1, 3, 10, 0, 1, FDPipe) // the same read, returned at 3 ms
	early.Attached = true
	for _, c := range []struct {
		name   string
		events []Event
		want   map[string]float64
		attach bool // the evidence says the wait began before the attach
	}{
		// Asleep in a pipe read at the attach, woken at 30 ms.
		{"asleep", []Event{inFlight(1, 10, 0, FDPipe), wake(30, 10, 11, -1, 0), ev(EvSwitchIn, 31, 10), exit},
			map[string]float64{"blocked/pipe": 30, "runqueue": 1, "cpu-user": 9}, true},
		// The same without the syscall's exit (the collector lost it, or the read is still
		// going at the end): /proc's word alone names the wait.
		{"no exit", []Event{inFlight(1, 10, 0, FDPipe), wake(30, 10, 11, -1, 0), ev(EvSwitchIn, 31, 10)},
			map[string]float64{"blocked/pipe": 30, "runqueue": 1, "cpu-user": 9}, true},
		{"still asleep", []Event{inFlight(1, 10, 0, FDPipe)}, map[string]float64{"blocked/pipe": 40}, true},
		// Woken between /proc's read and the seed: the wakeup comes first.
		{"woken first", []Event{wake(0.5, 10, 11, -1, 0), inFlight(1, 10, 0, FDPipe), ev(EvSwitchIn, 2, 10), early},
			map[string]float64{"blocked/pipe": 0.5, "runqueue": 1.5, "cpu-kernel/file": 1, "cpu-user": 37}, true},
		// Back on CPU before the seed (a wait the kernel went on with): what the thread
		// did since it got the CPU is its own events' to say.
		{"running", []Event{ev(EvSwitchIn, 0.5, 10), inFlight(1, 10, 0, FDPipe), out(20, 10, 1, 0), wake(25, 10, 11, -1, 0), ev(EvSwitchIn, 25, 10)},
			map[string]float64{"unexplained": 0.5, "cpu-user": 34.5, "blocked/io": 5}, false},
		// Without the collector's word, as before: other.
		{"not seeded", []Event{wake(30, 10, 11, -1, 0), ev(EvSwitchIn, 31, 10)},
			map[string]float64{"blocked/other": 30, "runqueue": 1, "cpu-user": 9}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tl := Build(c.events, at(0), at(40))
			b := Join([]Span{span("a", "", 0, 40, 1, 10)}, tl, JoinOptions{}).Breakdowns[0]
			checkSum(t, b)
			for label, want := range c.want {
				near(t, b, label, want)
			}
			var ev []string
			for _, p := range b.Parts {
				if p.Category == CatBlocked {
					ev = append(ev, p.Evidence...)
				}
			}
			if got := strings.Contains(strings.Join(ev, "; "), "when strata attached"); got != c.attach {
				t.Errorf("evidence %q: says the wait began before the attach: %v, want %v", ev, got, c.attach)
			}
		})
	}
}

// TestInFlightRecording: a recording keeps the collector's in-flight events and the mark
// on a syscall that was in flight at the attach.
func TestInFlightRecording(t *testing.T) {
	exit := sysc(1, 30, 10, 0, 1, FDPipe)
	exit.Attached = true
	rec := &Recording{Source: "ebpf", Start: at(0), End: at(40), Events: []Event{inFlight(1, 10, 0, FDPipe), exit}}
	var sb strings.Builder
	if err := WriteRecording(&sb, rec); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRecording(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 2 || got.Events[0] != rec.Events[0] || got.Events[1] != rec.Events[1] {
		t.Errorf("read back %+v, wrote %+v", got.Events, rec.Events)
	}
}

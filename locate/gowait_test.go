package locate

import (
	"bytes"
	"strings"
	"testing"
)

// TestGoWaitsNameFutexWaits: a Go thread's futex wait that the kernel events call a lock
// (its waker's poll returned late: a share) is what the goroutine was read waiting for
// during it — a sleep, exact, as the span names its thread. A reading begun before the
// wait or ended after it says nothing of it (the goroutine's previous or next wait); nor
// does one of another thread, or any on a wait that is not a futex's (a read of a pipe).
func TestGoWaitsNameFutexWaits(t *testing.T) {
	// Thread 10: futex [1,40) woken 3 ms after the waker's poll returned 0 (late: lock,
	// a share); then read(2) of a pipe [41,60).
	w := wake(40, 10, 11, 37, 0)
	w.WakerPID = 1
	evs := []Event{ev(EvSwitchIn, 0, 10), out(1, 10, 1, 202), sysc(1, 40, 10, 202, 0, FDUnknown), w, ev(EvSwitchIn, 40, 10),
		out(41, 10, 1, 0), sysc(41, 60, 10, 0, 1, FDPipe), wake(60, 10, 0, -1, 0), ev(EvSwitchIn, 60, 10)}
	sp := span("s", "", 0.5, 40.5, 1, 10)
	sp.Runtime = "go"
	pipe := span("p", "", 40.5, 60.5, 1, 10)
	pipe.Runtime = "go"
	join := func(waits map[int32][]GoWait) (Breakdown, Breakdown) {
		rec := &Recording{Source: "ebpf", Start: at(0), End: at(70), PIDs: []int32{1}, Events: evs, GoWaits: waits}
		// Through a recording file, as --record and --events keep it.
		var buf bytes.Buffer
		if err := WriteRecording(&buf, rec); err != nil {
			t.Fatal(err)
		}
		back, err := ReadRecording(&buf)
		if err != nil {
			t.Fatal(err)
		}
		r := Join([]Span{sp, pipe}, back.Timeline(), JoinOptions{}).Breakdowns
		if r[0].Span.SpanID != "s" {
			r[0], r[1] = r[1], r[0]
		}
		return r[0], r[1]
	}
	b, _ := join(nil)
	if d := b.Dominant(); d.Label() != "blocked/lock" || d.Confidence != Share {
		t.Fatalf("without readings: %s (%s), want blocked/lock (share)", d.Label(), d.Confidence)
	}
	sleep := GoWait{From: at(20), To: at(20.01), Cause: CauseSleep, What: "sleep"}
	for _, c := range []struct {
		name  string
		waits map[int32][]GoWait
		want  string
		conf  Confidence
	}{
		{"read during", map[int32][]GoWait{10: {sleep}}, "blocked/sleep", Exact},
		{"last read wins", map[int32][]GoWait{10: {{From: at(5), To: at(5.01), Cause: CauseLock, What: "chan receive"}, sleep}}, "blocked/sleep", Exact},
		{"begun before", map[int32][]GoWait{10: {{From: at(0.9), To: at(1.5), Cause: CauseSleep, What: "sleep"}}}, "blocked/lock", Share},
		{"ended after", map[int32][]GoWait{10: {{From: at(39.9), To: at(40.2), Cause: CauseSleep, What: "sleep"}}}, "blocked/lock", Share},
		{"another thread", map[int32][]GoWait{11: {sleep}}, "blocked/lock", Share},
		{"io, descriptor not known", map[int32][]GoWait{10: {{From: at(20), To: at(20.01), Cause: CauseIO, What: "IO wait"}}}, "blocked/io", Share},
	} {
		b, p := join(c.waits)
		checkSum(t, b)
		if d := b.Dominant(); d.Label() != c.want || d.Confidence != c.conf {
			t.Errorf("%s: %s (%s), want %s (%s): %+v", c.name, d.Label(), d.Confidence, c.want, c.conf, b.Parts)
		}
		if c.conf == Exact && !strings.Contains(strings.Join(b.Dominant().Evidence, ";"), "read from the Go runtime") {
			t.Errorf("%s: evidence %q does not say it was read", c.name, b.Dominant().Evidence)
		}
		if d := p.Dominant(); d.Label() != "blocked/pipe" {
			t.Errorf("%s: the pipe read is %s", c.name, d.Label())
		}
	}
	// A reading inside the pipe read names nothing: it is no futex wait.
	_, p := join(map[int32][]GoWait{10: {{From: at(50), To: at(50.01), Cause: CauseSleep, What: "sleep"}}})
	if d := p.Dominant(); d.Label() != "blocked/pipe" {
		t.Errorf("a reading during a pipe read: %s, want blocked/pipe", d.Label())
	}
}

// TestGoWaitsIOKeepsTheKernelsDescriptor: the watcher does not look for an IO wait's
// descriptor (the kernel events name it); a reading of an IO wait during a futex wait the
// events tied to a socket or a pipe keeps that cause, read; during one they called a lock
// (late handoff), it is io, unsure.
func TestGoWaitsIOKeepsTheKernelsDescriptor(t *testing.T) {
	io := GoWait{From: at(5), To: at(5.01), Cause: CauseIO, What: "IO wait"}
	for _, c := range []struct {
		kind   Cause
		unsure bool
		want   Cause
		sure   bool
	}{
		{CauseNetwork, false, CauseNetwork, true},
		{CausePipe, false, CausePipe, true},
		{CauseNetwork, true, CauseIO, false}, // the events' guess: not a descriptor named
		{CauseLock, false, CauseIO, false},
		{CauseSleep, true, CauseIO, false},
	} {
		tl := &Timeline{Threads: map[int32]*Thread{10: {TID: 10, PID: 1, Intervals: []Interval{
			{Start: at(0), End: at(10), State: Blocked, Kind: string(c.kind), Unsure: c.unsure, futex: true}}}}}
		tl.applyGoWaits(map[int32][]GoWait{10: {io}})
		iv := tl.Threads[10].Intervals[0]
		if Cause(iv.Kind) != c.want || iv.Unsure == c.sure || !iv.Read || !strings.Contains(iv.Evidence, "read from the Go runtime") {
			t.Errorf("%s (unsure %v) with an IO wait read: %s unsure %v read %v %q, want %s unsure %v", c.kind, c.unsure, iv.Kind, iv.Unsure, iv.Read, iv.Evidence, c.want, !c.sure)
		}
	}
}

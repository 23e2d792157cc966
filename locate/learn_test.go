package locate

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// on is a switch-in at from and a switch-out at to into syscall nr (blocking).
func on(tid int32, from, to float64, nr int32) []Event {
	return []Event{ev(EvSwitchIn, from, tid), out(to, tid, 1, nr)}
}

// pollBlock is a poll-family syscall nr blocking [from, to) that returned ret with ready
// descriptors of the given kinds, woken from interrupt context, back on CPU at to.
func pollBlock(tid int32, from, to float64, nr int32, ret int64, ready FDKinds) []Event {
	s := sysc(from, to, tid, nr, ret, FDUnknown)
	s.Ready = ready
	return []Event{out(from, tid, 1, nr), s, wake(to, tid, 0, -1, 0), ev(EvSwitchIn, to, tid)}
}

func kinds(ks ...FDKind) FDKinds {
	var s FDKinds
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

// busyPoller is a helper thread that wakes from a poll on a pipe every 10 ms, runs 0.05 ms
// and waits again: not idle, but never running the span's code.
func busyPoller(tid int32, from, to float64) []Event {
	var evs []Event
	for m := from; m+10 <= to; m += 10 {
		evs = append(evs, pollBlock(tid, m+0.05, m+10, 23, 1, kinds(FDPipe))...)
	}
	return evs
}

// TestIdleHelperDoesNotWin: a span of a process (no thread.id) whose thread sleeps, beside
// a helper thread that keeps returning from select on a pipe and a thread parked in a
// futex. The process's "most telling" state used to be the helper's (network); the span's
// own thread — the one on CPU when it started and when it ended — sleeps.
func TestIdleHelperDoesNotWin(t *testing.T) {
	var evs []Event
	evs = append(evs, ev(EvSwitchIn, 0, 10), out(1, 10, 1, 230), sysc(1, 200, 10, 230, 0, FDUnknown), wake(200, 10, 0, -1, 0), ev(EvSwitchIn, 200, 10))
	evs = append(evs, ev(EvSwitchIn, 0, 11))
	evs = append(evs, busyPoller(11, 0, 210)...)
	evs = append(evs, out(0, 12, 1, 202))
	for _, rt := range []string{"", "python"} {
		sp := span("s", "", 0.5, 200.5, 1, 0)
		sp.Runtime = rt
		b := Join([]Span{sp}, Build(evs, at(0), at(210)), JoinOptions{}).Breakdowns[0]
		checkSum(t, b)
		d := b.Dominant()
		if d.Label() != "blocked/sleep" || d.Confidence != Learned {
			t.Errorf("runtime %q: dominant %s (%s), want blocked/sleep (learned); match %q\n%+v", rt, d.Label(), d.Confidence, b.Match, b.Parts)
		}
		if !strings.Contains(b.Match, "thread 10") || !strings.Contains(b.Match, "learned") {
			t.Errorf("match %q does not say which thread was learned and how", b.Match)
		}
		near(t, b, "blocked/sleep", 199)
	}
}

// TestNodeMainThread: Node runs JavaScript on its main thread (tid = pid). An await
// setTimeout(200) is the main thread's epoll_pwait timing out; the delayed-task thread's
// epoll_pwait that returned a ready eventfd meanwhile, and a V8 worker that happens to be
// on CPU at both ends of the span, are not the span's. The timeout is a share: in an
// awaited span it may be any task's timer (TestNodeAwaitTimeoutIsAShare).
func TestNodeMainThread(t *testing.T) {
	var evs []Event
	evs = append(evs, ev(EvSwitchIn, 0, 1))
	evs = append(evs, pollBlock(1, 1, 200, 281, 0, 0)...)
	evs = append(evs, ev(EvSwitchIn, 0, 12))
	for m := 0.0; m+20 <= 200; m += 20 {
		evs = append(evs, pollBlock(12, m+0.1, m+20, 281, 1, kinds(FDEvent))...)
	}
	evs = append(evs, ev(EvSwitchIn, 0, 13), out(1, 13, 1, 202), ev(EvSwitchIn, 199.5, 13))
	sp := span("timeout", "", 0.5, 200.5, 1, 0)
	sp.Runtime = "nodejs"
	b := Join([]Span{sp}, Build(evs, at(0), at(210)), JoinOptions{}).Breakdowns[0]
	checkSum(t, b)
	if d := b.Dominant(); d.Label() != "blocked/sleep" || d.Confidence != Share {
		t.Errorf("dominant %s (%s), want blocked/sleep (share); match %q\n%+v", d.Label(), d.Confidence, b.Match, b.Parts)
	}
	if !strings.Contains(b.Match, "main thread") {
		t.Errorf("match %q does not say the main thread was taken", b.Match)
	}
	if b.Get("blocked/network") != 0 {
		t.Errorf("network %v: an eventfd is not the network", b.Get("blocked/network"))
	}
}

// TestAmbiguousThreadsShare: two threads are on CPU at both ends of the span and then
// wait for different things: the thread is not known, so the span gets the most telling
// state with confidence share, never process or better.
func TestAmbiguousThreadsShare(t *testing.T) {
	var evs []Event
	evs = append(evs, ev(EvSwitchIn, 0, 10), out(1, 10, 1, 230), sysc(1, 100, 10, 230, 0, FDUnknown), wake(100, 10, 0, -1, 0), ev(EvSwitchIn, 100, 10))
	evs = append(evs, ev(EvSwitchIn, 0, 11), out(1, 11, 1, 202), sysc(1, 100, 11, 202, 0, FDUnknown), wake(100, 11, 10, -1, 0), ev(EvSwitchIn, 100, 11))
	b := Join([]Span{span("s", "", 0.5, 100.5, 1, 0)}, Build(evs, at(0), at(110)), JoinOptions{}).Breakdowns[0]
	checkSum(t, b)
	d := b.Dominant()
	if d.Label() != "blocked/sleep" || d.Confidence != Share {
		t.Errorf("dominant %s (%s), want blocked/sleep (share): %+v", d.Label(), d.Confidence, b.Parts)
	}
	// Where they agree (both on CPU), the process's state is the span's.
	for _, p := range b.Parts {
		if p.Category == CatUser && p.Confidence != Process {
			t.Errorf("cpu-user where both ran: confidence %s, want process", p.Confidence)
		}
	}
}

// TestPollReadyKinds: a poll-family wait is network only when a socket was ready; a pipe
// is a pipe, unless the thread that made it ready was a child exiting; a timerfd or a
// timeout is sleep; ready descriptors of unknown kind are io, never network.
func TestPollReadyKinds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nr    int32
		ret   int64
		ready FDKinds
		exit  bool
		want  string
	}{
		{"epoll socket", 281, 1, kinds(FDSocket), false, "blocked/network"},
		{"epoll socket and eventfd", 232, 2, kinds(FDSocket, FDEvent), false, "blocked/network"},
		{"epoll pipe", 281, 1, kinds(FDPipe), false, "blocked/pipe"},
		{"poll pipe of an exiting child", 7, 1, kinds(FDPipe), true, "blocked/child"},
		{"epoll interrupted by an exiting child", 281, -4, 0, true, "blocked/child"},
		{"select timerfd", 23, 1, kinds(FDTimer), false, "blocked/sleep"},
		{"ppoll timeout", 271, 0, 0, false, "blocked/sleep"},
		{"epoll unknown kinds", 281, 1, kinds(FDUnknown), false, "blocked/io"},
		{"epoll nothing known", 281, 1, 0, false, "blocked/io"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sysc(1, 50, 10, tc.nr, tc.ret, FDUnknown)
			s.Ready = tc.ready
			w := wake(50, 10, 0, -1, 0)
			if tc.exit {
				w.Waker, w.WakerPID, w.WakerExiting = 77, 77, true
			}
			evs := []Event{ev(EvSwitchIn, 0, 10), out(1, 10, 1, tc.nr), s, w, ev(EvSwitchIn, 50, 10)}
			b := Join([]Span{span("s", "", 0, 51, 1, 10)}, Build(evs, at(0), at(51)), JoinOptions{}).Breakdowns[0]
			checkSum(t, b)
			if d := b.Dominant(); d.Label() != tc.want {
				t.Errorf("dominant %s, want %s: %+v", d.Label(), tc.want, b.Parts)
			}
		})
	}
}

// TestWakerPollKinds: a Go thread parked in a futex and woken right after the waker's
// netpoll returned is waiting for the network only when a socket was among what it
// found; an eventfd (the runtime's own wakeup) says nothing, a timerfd says a timer.
func TestWakerPollKinds(t *testing.T) {
	for _, tc := range []struct {
		ready FDKinds
		want  string
	}{
		{kinds(FDSocket), "blocked/network"},
		{kinds(FDSocket, FDEvent), "blocked/network"},
		{kinds(FDEvent), "blocked/lock"},
		{kinds(FDTimer), "blocked/sleep"},
		{0, "blocked/lock"},
	} {
		w := wake(50, 10, 11, 49.95, 1)
		w.WakerReady = tc.ready
		evs := []Event{ev(EvSwitchIn, 0, 10), out(5, 10, 1, 202), sysc(5, 50, 10, 202, 0, FDUnknown), w, ev(EvSwitchIn, 50, 10)}
		b := Join([]Span{span("b", "", 0, 55, 1, 10)}, Build(evs, at(0), at(55)), JoinOptions{}).Breakdowns[0]
		checkSum(t, b)
		if d := b.Dominant(); d.Label() != tc.want {
			t.Errorf("waker found %s ready: dominant %s, want %s: %+v", tc.ready, d.Label(), tc.want, b.Parts)
		}
	}
}

// TestTieThroughParent: a client span without process.pid, whose parent has it, used to
// be 100 % unexplained; it is tied to its parent's process, and a span of a trace whose
// spans all name one process is tied to that one.
func TestTieThroughParent(t *testing.T) {
	evs := []Event{ev(EvSwitchIn, 0, 10)}
	spans := []Span{
		span("root", "", 0, 100, 1, 10),
		span("client", "root", 10, 50, 0, 0),
		span("grandchild", "client", 20, 30, 0, 0),
		span("sibling", "", 60, 70, 0, 0), // same trace, no parent named
	}
	r := Join(spans, Build(evs, at(0), at(100)), JoinOptions{})
	for _, b := range r.Breakdowns {
		checkSum(t, b)
		if b.Get("unexplained") != 0 {
			t.Errorf("%s: %v unexplained; match %q", b.Span.SpanID, b.Get("unexplained"), b.Match)
		}
		want := map[string]string{"root": "", "client": "parent", "grandchild": "parent", "sibling": "trace"}[b.Span.SpanID]
		if b.Span.Tied != want || (want != "" && !strings.Contains(b.Match, want)) {
			t.Errorf("%s: tied %q, match %q, want tied through %q", b.Span.SpanID, b.Span.Tied, b.Match, want)
		}
	}
	// Two processes in the trace: a span that names none and has no parent stays untied.
	spans[0].PID, spans = 1, append(spans, span("other", "", 0, 10, 2, 0))
	for _, b := range Join(spans, Build(evs, at(0), at(100)), JoinOptions{}).Breakdowns {
		if b.Span.SpanID == "sibling" && (b.Span.PID != 0 || b.Get("unexplained") != 10*1e6) {
			t.Errorf("sibling in a trace of two processes: pid %d, %+v", b.Span.PID, b.Parts)
		}
	}
}

// TestTieCycle: parent links that form a cycle end.
func TestTieCycle(t *testing.T) {
	spans := []Span{span("a", "b", 0, 10, 0, 0), span("b", "a", 0, 10, 0, 0)}
	r := Join(spans, nil, JoinOptions{})
	for _, b := range r.Breakdowns {
		checkSum(t, b)
	}
}

// TestSampledGoFutexIsNotExact: sampled, a futex may be a lock, a timed sleep (its
// ETIMEDOUT is not seen) or a parked goroutine (its waker is not seen): the part used to
// claim exact.
func TestSampledGoFutexIsNotExact(t *testing.T) {
	tl := &Timeline{Source: "procfs", Sampled: true, Period: 2e6, Threads: map[int32]*Thread{10: {TID: 10, PID: 1, Intervals: []Interval{
		{Start: at(0), End: at(1), State: OnCPU}, {Start: at(1), End: at(40), State: Blocked, Kind: string(CauseLock)}}}}}
	for rt, want := range map[string]Confidence{"go": Share, "": Share} {
		sp := span("s", "", 0, 40, 1, 10)
		sp.Runtime = rt
		b := Join([]Span{sp}, tl, JoinOptions{}).Breakdowns[0]
		if d := b.Dominant(); d.Label() != "blocked/lock" || d.Confidence != want {
			t.Errorf("runtime %q: %s (%s), want blocked/lock (%s)", rt, d.Label(), d.Confidence, want)
		}
	}
}

// TestEventfdWaitIsTheWakersWork: Node hands fs.promises calls to its libuv thread pool;
// the event loop's epoll_pwait returns the pool's eventfd. That wait was io; it is what
// the pool thread that woke the loop did meanwhile (here an fsync: disk).
func TestEventfdWaitIsTheWakersWork(t *testing.T) {
	s := sysc(1, 50, 1, 281, 1, FDUnknown)
	s.Ready = kinds(FDEvent)
	w := wake(50, 1, 5, -1, 0)
	w.WakerPID = 1
	evs := []Event{ev(EvSwitchIn, 0, 1), out(1, 1, 1, 281), s, w, ev(EvSwitchIn, 50, 1),
		ev(EvSwitchIn, 0, 5), out(2, 5, 1, 74), sysc(2, 49, 5, 74, 0, FDFile), wake(49, 5, 0, -1, 0), ev(EvSwitchIn, 49, 5)}
	sp := span("write", "", 0.5, 51, 1, 0)
	sp.Runtime = "nodejs"
	b := Join([]Span{sp}, Build(evs, at(0), at(60)), JoinOptions{}).Breakdowns[0]
	checkSum(t, b)
	near(t, b, "blocked/disk", 47)
	if d := b.Dominant(); d.Label() != "blocked/disk" || !strings.Contains(strings.Join(d.Evidence, " "), "eventfd") {
		t.Errorf("dominant %s %v, want blocked/disk through the eventfd: %+v", d.Label(), d.Evidence, b.Parts)
	}
	// A pipe among what became ready: the wait is the pipe's, not the waker's work.
	s.Ready = kinds(FDEvent, FDPipe)
	evs[2] = s
	b = Join([]Span{sp}, Build(evs, at(0), at(60)), JoinOptions{}).Breakdowns[0]
	if d := b.Dominant(); d.Label() != "blocked/pipe" {
		t.Errorf("eventfd and pipe: dominant %s, want blocked/pipe", d.Label())
	}
}

// TestTimedFutexIsSleep: a futex wait that ran out (ETIMEDOUT: Atomics.wait with a
// timeout, sem_timedwait) was a sleep, not a lock. On a Go thread it is the runtime's own
// timed park (a goroutine's sleep is ended by the thread that runs its timer): a share,
// not exact (a Go fsync loop beside a busy machine was once "blocked/sleep, exact").
func TestTimedFutexIsSleep(t *testing.T) {
	evs := []Event{ev(EvSwitchIn, 0, 10), out(1, 10, 1, 202), sysc(1, 41, 10, 202, -110, FDUnknown), wake(41, 10, 0, -1, 0), ev(EvSwitchIn, 41, 10)}
	for rt, want := range map[string]Confidence{"": Exact, "nodejs": Exact, "go": Share} {
		sp := span("s", "", 0, 42, 1, 10)
		sp.Runtime = rt
		b := Join([]Span{sp}, Build(evs, at(0), at(42)), JoinOptions{}).Breakdowns[0]
		if d := b.Dominant(); d.Label() != "blocked/sleep" || d.Confidence != want {
			t.Errorf("runtime %q: dominant %s (%s), want blocked/sleep (%s)", rt, d.Label(), d.Confidence, want)
		}
	}
	// A futex wait another thread ended is no timed park of the runtime's own.
	evs[2].Ret = 0
	sp := span("s", "", 0, 42, 1, 10)
	sp.Runtime = "go"
	if d := Join([]Span{sp}, Build(evs, at(0), at(42)), JoinOptions{}).Breakdowns[0].Dominant(); d.Label() != "blocked/lock" {
		t.Errorf("a futex wait woken: dominant %s, want blocked/lock", d.Label())
	}
}

// TestDescendantEndsPipeWait: Node's spawn reads a pipe until its child has exec'd, and
// spawnSync polls the child's socketpairs until it exits; under load the child takes long
// to start or to end, and those waits were "pipe" or "network" with confidence learned.
// A descriptor wait that a thread of a followed process (a descendant, not a target)
// ends was a wait for the child; one that a target's thread ends stays the descriptor's,
// and a futex the descendant wakes stays a lock (a lock shared with a child process).
func TestDescendantEndsPipeWait(t *testing.T) {
	child := func(k EventKind, m float64) Event { e := ev(k, m, 20); e.PID = 20; return e }
	build := func(sys int32, fdk FDKind, ret int64, ready FDKinds, targets []int32) Breakdown {
		s := sysc(1, 60, 10, sys, ret, fdk)
		s.Ready = ready
		o := out(1, 10, 1, sys)
		o.FDKind = fdk
		w := wake(60, 10, 20, -1, 0)
		w.WakerPID = 20
		evs := []Event{ev(EvSwitchIn, 0, 10), o, s, w, ev(EvSwitchIn, 60, 10)}
		for i := range evs {
			evs[i].PID = 10
		}
		evs = append(evs, child(EvSwitchIn, 55), child(EvSwitchOut, 61))
		sp := span("spawn", "", 0.5, 61, 10, 0)
		sp.Runtime = "nodejs"
		b := Join([]Span{sp}, BuildFollowing(evs, at(0), at(70), targets), JoinOptions{}).Breakdowns[0]
		checkSum(t, b)
		return b
	}
	for _, c := range []struct {
		name    string
		sys     int32
		fdk     FDKind
		ready   FDKinds
		targets []int32
		want    string
	}{
		{"read on a pipe, ended by a descendant", 0, FDPipe, 0, []int32{10}, "blocked/child"},
		{"epoll on a socketpair, ended by a descendant", 281, FDUnknown, kinds(FDSocket), []int32{10}, "blocked/child"},
		{"read on a pipe, ended by another target", 0, FDPipe, 0, []int32{10, 20}, "blocked/pipe"},
		{"futex, woken by a descendant", 202, FDUnknown, 0, []int32{10}, "blocked/lock"},
	} {
		b := build(c.sys, c.fdk, 1, c.ready, c.targets)
		if d := b.Dominant(); d.Label() != c.want {
			t.Errorf("%s: dominant %s, want %s: %+v", c.name, d.Label(), c.want, b.Parts)
		}
	}
}

// TestNodeAwaitSharesTheLoop: an awaited Node span (disk through the thread pool, under
// load) whose event loop also ran 12 ms of JavaScript while the span awaited was
// "cpu-user, learned" — but that JavaScript was the loop's other callbacks as much as the
// span's. Once the loop has waited in its poll during the span, its time on CPU is shared;
// a span that never yields (synchronous work) keeps its on-CPU time learned.
func TestNodeAwaitSharesTheLoop(t *testing.T) {
	// Main thread 1: on CPU [0,14), epoll [14,20) ready socket, on CPU [20,32).
	evs := []Event{ev(EvSwitchIn, 0, 1)}
	evs = append(evs, pollBlock(1, 14, 20, 281, 1, kinds(FDSocket))...)
	evs = append(evs, out(32, 1, 1, 281))
	sp := span("await", "", 0.5, 31, 1, 0)
	sp.Runtime = "nodejs"
	b := Join([]Span{sp}, Build(evs, at(0), at(40)), JoinOptions{}).Breakdowns[0]
	checkSum(t, b)
	for _, p := range b.Parts {
		if p.Category == CatUser && p.Confidence != Share {
			t.Errorf("cpu-user %v claims %s, want share: the loop turned during the span; match %q", p.Time, p.Confidence, b.Match)
		}
		if p.Label() == "blocked/network" && p.Confidence != Learned {
			t.Errorf("the loop's own wait claims %s, want learned", p.Confidence)
		}
	}
	sync := span("sync", "", 0.5, 13.5, 1, 0)
	sync.Runtime = "nodejs"
	b = Join([]Span{sync}, Build(evs, at(0), at(40)), JoinOptions{}).Breakdowns[0]
	if d := b.Dominant(); d.Label() != "cpu-user" || d.Confidence != Learned {
		t.Errorf("synchronous span: %s (%s), want cpu-user (learned)", d.Label(), d.Confidence)
	}
}

// TestNodeAwaitTimeoutIsAShare: an awaited Node span waiting for a slow server (eBPF,
// 2026-12-03) was "blocked/sleep, learned": the loop's poll ran out its timeout (another
// task's timer: the exporter's, the next request's) before the reply came. In an awaited
// span a poll that timed out may be any task's timer: a share; the one that found the
// socket stays learned. The reply may also come while the loop runs other callbacks, so
// that no poll of the span finds it (a timeout is then the span's last poll, as an await
// of setTimeout's is: the two cannot be told apart, TestNodeMainThread).
func TestNodeAwaitTimeoutIsAShare(t *testing.T) {
	// Main thread 1: on CPU [0,1), epoll [1,35) timed out, on CPU [35,36), epoll [36,50)
	// found the socket, on CPU [50,51).
	evs := []Event{ev(EvSwitchIn, 0, 1)}
	evs = append(evs, pollBlock(1, 1, 35, 281, 0, 0)...)
	evs = append(evs, pollBlock(1, 36, 50, 281, 1, kinds(FDSocket))...)
	evs = append(evs, out(51, 1, 1, 281))
	sp := span("network", "", 0.5, 50.5, 1, 0)
	sp.Runtime = "nodejs"
	b := Join([]Span{sp}, Build(evs, at(0), at(60)), JoinOptions{}).Breakdowns[0]
	checkSum(t, b)
	near(t, b, "blocked/sleep", 34)
	for _, p := range b.Parts {
		if p.Label() == "blocked/sleep" && p.Confidence != Share {
			t.Errorf("the poll that timed out claims %s, want share: %+v", p.Confidence, b.Parts)
		}
		if p.Label() == "blocked/network" && p.Confidence != Learned {
			t.Errorf("the poll that found the socket claims %s, want learned", p.Confidence)
		}
	}
	// Two timeouts, then the loop on CPU until the span ends (the reply read in a
	// callback).
	evs = []Event{ev(EvSwitchIn, 0, 1)}
	evs = append(evs, pollBlock(1, 1, 31, 281, 0, 0)...)
	evs = append(evs, pollBlock(1, 31.2, 36, 281, 0, 0)...)
	evs = append(evs, out(55, 1, 1, 281))
	sp = span("network", "", 0.5, 54.5, 1, 0)
	sp.Runtime = "nodejs"
	b = Join([]Span{sp}, Build(evs, at(0), at(60)), JoinOptions{}).Breakdowns[0]
	checkSum(t, b)
	if d := b.Dominant(); d.Label() != "blocked/sleep" || d.Confidence != Share {
		t.Errorf("two timeouts, then on CPU: %s (%s), want blocked/sleep as a share: %+v", d.Label(), d.Confidence, b.Parts)
	}
}

// TestLockHolderWaitingForCPU: a Python thread running its loop beside a CPU hog hands
// the GIL to a helper thread and waits (futex) until the helper has run — but the helper
// waits on the run queue first. The wait was "blocked/lock, learned" and outweighed the
// thread's own CPU time; it was a wait for a CPU. The part of a lock wait during which
// the thread that released the lock waited for a CPU is run-queue time; the rest (the
// holder running, or itself blocked) stays the lock.
func TestLockHolderWaitingForCPU(t *testing.T) {
	// Thread 10 runs [0,10), futex [10,30) woken by 11; runs [30,40).
	// Thread 11 is woken at 12 (from interrupt context), waits for a CPU [12,26), runs
	// [26,29) and wakes 10 at 29.
	w := wake(29, 10, 11, -1, 0)
	w.WakerPID = 1
	evs := []Event{ev(EvSwitchIn, 0, 10), out(10, 10, 1, 202), sysc(10, 30, 10, 202, 0, FDUnknown), w, ev(EvSwitchIn, 30, 10), out(40, 10, 1, 35),
		out(0, 11, 1, 7), wake(12, 11, 0, -1, 0), ev(EvSwitchIn, 26, 11), out(29.5, 11, 1, 7)}
	sp := span("cpu", "", 0, 40, 1, 10)
	b := Join([]Span{sp}, Build(evs, at(0), at(40)), JoinOptions{}).Breakdowns[0]
	checkSum(t, b)
	near(t, b, "runqueue", 15) // 14 of the holder's, 1 of its own after its wakeup
	near(t, b, "blocked/lock", 5)
	if d, _ := dominantOwn(b); d.Label() != "cpu-user" {
		t.Errorf("dominant %s, want cpu-user: %+v", d.Label(), b.Parts)
	}
}

// dominantOwn is the largest part other than children and run-queue wait (the accuracy
// benchmark's judge).
func dominantOwn(b Breakdown) (Part, time.Duration) {
	var d Part
	for _, p := range b.Parts {
		if p.Category != CatChildren && p.Category != CatRunQueue && p.Time > d.Time {
			d = p
		}
	}
	return d, d.Time
}

// TestLateHandoffIsNoSureLock: beside a CPU hog, Go's netpoller thread can be preempted
// between its poll returning (a pipe ready) and its waking the locked thread that parked
// on the pipe; the wakeup then came later than WakerWindow and the wait was called a lock
// with confidence exact — wrong. Woken within LateHandoffWindow of such a poll, the lock
// is only a share; later, a lock as before.
func TestLateHandoffIsNoSureLock(t *testing.T) {
	for _, c := range []struct {
		after float64 // ms between the waker's poll and the wakeup
		want  string
		conf  Confidence
	}{{0.1, "blocked/pipe", Exact}, {3, "blocked/lock", Share}, {30, "blocked/lock", Exact}} {
		w := wake(50, 10, 11, 50-c.after, 1)
		w.WakerPID, w.WakerReady = 1, kinds(FDPipe)
		evs := []Event{ev(EvSwitchIn, 0, 10), out(1, 10, 1, 202), sysc(1, 50, 10, 202, 0, FDUnknown), w, ev(EvSwitchIn, 50, 10)}
		sp := span("s", "", 0.5, 50.5, 1, 10) // no runtime: in Go every park is a share (TestGoParkIsNoSureLock)
		b := Join([]Span{sp}, Build(evs, at(0), at(60)), JoinOptions{}).Breakdowns[0]
		if d := b.Dominant(); d.Label() != c.want || d.Confidence != c.conf {
			t.Errorf("woken %vms after the poll: %s (%s), want %s (%s)", c.after, d.Label(), d.Confidence, c.want, c.conf)
		}
	}
}

// TestGoParkIsNoSureLock: a locked Go thread parks in futex whatever its goroutine waits
// for; beside a hog, a goroutine waiting for a P after fsync, or for a timer run by a busy
// M, was "blocked/lock, exact" with no waker that polled. In Go the lock is a share;
// a C thread's futex stays an exact lock.
func TestGoParkIsNoSureLock(t *testing.T) {
	w := wake(50, 10, 11, -1, 0)
	w.WakerPID = 1
	evs := []Event{ev(EvSwitchIn, 0, 10), out(1, 10, 1, 202), sysc(1, 50, 10, 202, 0, FDUnknown), w, ev(EvSwitchIn, 50, 10)}
	for rt, want := range map[string]Confidence{"go": Share, "": Exact} {
		sp := span("s", "", 0.5, 50.5, 1, 10)
		sp.Runtime = rt
		b := Join([]Span{sp}, Build(evs, at(0), at(60)), JoinOptions{}).Breakdowns[0]
		if d := b.Dominant(); d.Label() != "blocked/lock" || d.Confidence != want {
			t.Errorf("runtime %q: %s (%s), want blocked/lock (%s)", rt, d.Label(), d.Confidence, want)
		}
	}
}

// withFaults is a switch-out that says the slice it ends took n page faults in user mode,
// of which the collector timed timedMS. The fields are set from JSON, as a recording has
// them.
func withFaults(t *testing.T, e Event, n int, timedMS float64) Event {
	t.Helper()
	if err := json.Unmarshal(fmt.Appendf(nil, `{"faultn":%d,"fault":%d}`, n, int64(timedMS*float64(ms))), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestPageFaultsAreNoSureUserTime: the accuracy corpus's disk handlers allocate a fresh
// 1 MiB buffer and write it four times, each write fsync'd. On a VM the buffer's 256
// first-touch page faults took longer than the fsyncs, and, with no syscall to show them,
// read as the handler's cpu-user with confidence learned or exact — a confidently wrong
// answer. The collector times the kernel's fault handler (cpu-kernel/fault) and counts
// the faults; the user time of a slice with faults, up to FaultCostBound a fault, is
// only a share. A slice without faults keeps its confidence.
func TestPageFaultsAreNoSureUserTime(t *testing.T) {
	// Thread 10: on CPU [0,8) touching the buffer (256 faults, 0.4 ms timed), fsync
	// blocked [8,12) on the disk, on CPU [12,13) without faults.
	fs := sysc(8, 12, 10, 74, 0, FDFile)
	evs := []Event{ev(EvSwitchIn, 0, 10), withFaults(t, out(8, 10, 2, 74), 256, 0.4), fs, wake(12, 10, 0, -1, 0), ev(EvSwitchIn, 12, 10), out(13, 10, 1, 7)}
	for _, tid := range []int32{10, 0} { // thread.id named (exact), or learned as the only thread
		sp := span("disk", "", 0, 13, 1, tid)
		b := Join([]Span{sp}, Build(evs, at(0), at(20)), JoinOptions{}).Breakdowns[0]
		checkSum(t, b)
		near(t, b, "cpu-kernel/fault", 0.4)
		near(t, b, "blocked/disk", 4)
		var sure time.Duration
		for _, p := range b.Parts {
			if p.Label() == "cpu-user" && stronger(p.Confidence, Share) {
				sure += p.Time
			}
		}
		if sure != time.Millisecond {
			t.Errorf("tid %d: cpu-user claimed at more than a share %v, want 1ms (the slice without faults): %+v", tid, sure, b.Parts)
		}
		if d, _ := dominantOwn(b); d.Label() != "blocked/disk" && stronger(d.Confidence, Share) {
			t.Errorf("tid %d: dominant %s claims %s: %+v", tid, d.Label(), d.Confidence, b.Parts)
		}
	}
}

// TestNodeAwaitOtherWaitsShare: a Node.js span that awaited a write (its loop's epoll
// woken through an eventfd by the thread pool's worker) while the loop also waited in a
// futex that a V8 helper thread released after 19 ms of its own work (garbage
// collection). The futex wait was "blocked/lock, learned" and outweighed the write: a
// wait outside the loop's poll, and the user time of the thread that woke the poll, are
// not what the span awaited, and are only a share. The poll's wait through the worker's
// fsync stays learned.
func TestNodeAwaitOtherWaitsShare(t *testing.T) {
	s := sysc(2, 10, 1, 281, 1, FDUnknown)
	s.Ready = kinds(FDEvent)
	w := wake(10, 1, 5, -1, 0)
	w.WakerPID = 1
	g := wake(30, 1, 6, -1, 0)
	g.WakerPID = 1
	evs := []Event{ev(EvSwitchIn, 0, 1), out(2, 1, 1, 281), s, w, ev(EvSwitchIn, 10, 1),
		out(11, 1, 1, 202), sysc(11, 30, 1, 202, 0, FDUnknown), g, ev(EvSwitchIn, 30, 1), out(31, 1, 1, 281),
		// Worker 5: user time [2,4), fsync [4,9.5) blocked, on CPU [9.5,10).
		out(0.5, 5, 1, 202), wake(2, 5, 1, -1, 0), ev(EvSwitchIn, 2, 5), out(4, 5, 2, 74), sysc(4, 9.5, 5, 74, 0, FDFile), wake(9.5, 5, 0, -1, 0), ev(EvSwitchIn, 9.5, 5), out(10, 5, 1, 202),
		// V8 helper 6: runs [11,30).
		ev(EvSwitchIn, 11, 6), out(30, 6, 1, 202)}
	sp := span("disk/async", "", 0.5, 30.5, 1, 0)
	sp.Runtime = "nodejs"
	b := Join([]Span{sp}, Build(evs, at(0), at(40)), JoinOptions{}).Breakdowns[0]
	checkSum(t, b)
	for _, p := range b.Parts {
		if (p.Category == CatUser || p.Label() == "blocked/lock") && p.Confidence != Share {
			t.Errorf("%s %v claims %s, want share: %+v", p.Label(), p.Time, p.Confidence, b.Parts)
		}
		if p.Label() == "blocked/disk" && p.Confidence != Learned {
			t.Errorf("the worker's fsync, through the loop's poll, claims %s, want learned", p.Confidence)
		}
	}
	near(t, b, "blocked/disk", 5.5)
}

// TestSampledPeriodicHelperDoesNotWin: sampled, a C span's thread waits 40 ms for a lock
// beside a pinger that sleeps 20 ms at a time and a ticker whose poll times out every
// 25 ms; all three were on CPU within a sampling period of both edges, so the thread is
// not known. The helpers' sleeps, which rank above a lock, used to be the answer; the one
// wait that lasted the span is, as a share.
func TestSampledPeriodicHelperDoesNotWin(t *testing.T) {
	ms := int64(time.Millisecond)
	blocked := func(from, to int64, kind string) Interval {
		return Interval{Start: from * ms, End: to * ms, State: Blocked, Kind: kind, Evidence: "sampled"}
	}
	cpu := func(from, to int64) Interval { return Interval{Start: from * ms, End: to * ms, State: OnCPU} }
	tl := &Timeline{Source: "procfs", Sampled: true, Period: 2 * time.Millisecond, Start: 0, End: 60 * ms, Threads: map[int32]*Thread{
		10: {TID: 10, PID: 1, Intervals: []Interval{cpu(0, 2), blocked(2, 42, string(CauseLock)), cpu(42, 44), blocked(44, 60, string(CauseSleep))}},
		11: {TID: 11, PID: 1, Intervals: []Interval{cpu(0, 1), blocked(1, 21, string(CauseSleep)), cpu(21, 22), blocked(22, 42, string(CauseSleep)), cpu(42, 43), blocked(43, 60, string(CauseSleep))}},
		12: {TID: 12, PID: 1, Intervals: []Interval{blocked(0, 1, string(CauseSleep)), cpu(1, 2), blocked(2, 27, string(CauseSleep)), cpu(27, 28), blocked(28, 43, string(CauseSleep)), cpu(43, 44), blocked(44, 60, string(CauseSleep))}},
	}}
	// Two samples of a wait are two intervals: one unbroken wait all the same.
	th := tl.Threads[10]
	th.Intervals = append(th.Intervals[:1], append([]Interval{blocked(2, 20, string(CauseLock)), blocked(20, 42, string(CauseLock))}, th.Intervals[2:]...)...)
	for _, rt := range []string{"", "python"} {
		sp := Span{TraceID: "t", SpanID: "s", Name: "lock", Start: time.Unix(0, 1*ms), End: time.Unix(0, 43*ms), PID: 1, Runtime: rt}
		b := Join([]Span{sp}, tl, JoinOptions{}).Breakdowns[0]
		checkSum(t, b)
		if d := b.Dominant(); d.Label() != "blocked/lock" || d.Confidence != Share {
			t.Errorf("runtime %q: dominant %s (%s), want blocked/lock (share); match %q\n%+v", rt, d.Label(), d.Confidence, b.Match, b.Parts)
		}
	}
}

// TestParkedAfterEAGAIN: a locked Go thread whose goroutine reads a socket that has
// nothing (EAGAIN) parks in futex; the thread that later wakes it may have just run a
// timer (its poll timed out), released a lock, or polled long ago, and the wait was called
// sleep or lock — beside a CPU hog, even "exact". The thread's own EAGAIN just before the
// futex says what it waits for: the socket (or pipe). Too long before, a read that found
// data between, or on an eventfd, and the waker's evidence decides as before.
func TestParkedAfterEAGAIN(t *testing.T) {
	for _, c := range []struct {
		name    string
		before  float64 // ms between the EAGAIN and the futex's entry
		between uint32
		fdk     FDKind
		want    string
	}{
		{"socket, at once", 0.02, 0, FDSocket, "blocked/network"},
		{"pipe, at once", 0.02, 0, FDPipe, "blocked/pipe"},
		{"socket, 1.5 ms before", 1.5, 0, FDSocket, "blocked/network"},
		{"socket, 4.9 ms before", 4.9, 0, FDSocket, "blocked/sleep"},
		{"socket, then a read that had data", 0.02, 1, FDSocket, "blocked/sleep"},
		{"eventfd", 0.02, 0, FDEvent, "blocked/sleep"},
	} {
		o := out(1, 10, 1, 202)
		o.Start = at(1 - 0.001)
		o.Again, o.AgainFD, o.AgainN = at(1-0.001-c.before), c.fdk, c.between
		w := wake(31, 10, 11, 30.95, 0) // the waker's poll timed out just before: a timer
		w.WakerPID = 1
		evs := []Event{ev(EvSwitchIn, 0, 10), o, sysc(1-0.001, 31, 10, 202, 0, FDUnknown), w, ev(EvSwitchIn, 31, 10)}
		sp := span("s", "", 0.5, 31.5, 1, 10)
		sp.Runtime = "go"
		b := Join([]Span{sp}, Build(evs, at(0), at(40)), JoinOptions{}).Breakdowns[0]
		checkSum(t, b)
		d := b.Dominant()
		if d.Label() != c.want {
			t.Errorf("%s: dominant %s (%s), want %s: %+v", c.name, d.Label(), d.Confidence, c.want, b.Parts)
		}
		if c.want == "blocked/network" && (d.Confidence != Exact || !strings.Contains(strings.Join(d.Evidence, ";"), "EAGAIN")) {
			t.Errorf("%s: confidence %s, evidence %q", c.name, d.Confidence, d.Evidence)
		}
	}
}

// TestWokenByReader: a goroutine that waits for an HTTP response waits on a channel that
// the transport's reader goroutine, on another thread, fills after reading the socket;
// the waiting thread's futex was a lock (or, after the reader's poll timed out, a timer).
// A wakeup within WakerWindow of the waker's own read of a socket or pipe, made after its
// last poll, is a wait for what it read.
func TestWokenByReader(t *testing.T) {
	for _, c := range []struct {
		name   string
		readAt float64 // ms; the waker's poll timed out at 30.7, the wakeup is at 31
		fdk    FDKind
		want   string
		conf   Confidence
	}{
		{"socket read just before", 30.95, FDSocket, "blocked/network", Exact},
		{"pipe read just before", 30.95, FDPipe, "blocked/pipe", Exact},
		{"socket read 250 µs before", 30.75, FDSocket, "blocked/network", Share},
		{"socket read before its poll", 30.5, FDSocket, "blocked/lock", Share}, // its late poll: maybe a handoff
		{"file read just before", 30.95, FDFile, "blocked/lock", Share},
	} {
		w := wake(31, 10, 11, 30.7, 0)
		w.WakerPID, w.WakerIO, w.WakerIOFD = 1, at(c.readAt), c.fdk
		evs := []Event{ev(EvSwitchIn, 0, 10), out(1, 10, 1, 202), sysc(1, 31, 10, 202, 0, FDUnknown), w, ev(EvSwitchIn, 31, 10)}
		b := Join([]Span{span("s", "", 0.5, 31.5, 1, 10)}, Build(evs, at(0), at(40)), JoinOptions{}).Breakdowns[0]
		checkSum(t, b)
		if d := b.Dominant(); d.Label() != c.want || d.Confidence != c.conf {
			t.Errorf("%s: dominant %s (%s), want %s (%s): %+v", c.name, d.Label(), d.Confidence, c.want, c.conf, b.Parts)
		}
	}
}

// TestPreemptedParkIsRunQueue: Go preempts a goroutine with a signal; its locked thread
// returns from the handler and parks in futex until the goroutine's turn comes again. That
// wait was "blocked/lock, exact" on a /cpu handler beside a CPU hog: it is the runtime's
// run queue (a share: inferred from the signal). With another syscall between, or long
// after, it stays a lock.
func TestPreemptedParkIsRunQueue(t *testing.T) {
	for _, c := range []struct {
		name    string
		before  float64 // ms between the rt_sigreturn and the futex's entry
		between uint32
		want    string
	}{
		{"at once", 0.01, 0, "runqueue"},
		{"after a few futex waits", 8, 0, "runqueue"},
		{"after a read", 0.01, 1, "blocked/lock"},
		{"long after", 25, 0, "blocked/lock"},
	} {
		o := out(1, 10, 1, 202)
		o.Start = at(1 - 0.001)
		o.SigReturn, o.SigReturnN = at(1-0.001-c.before), c.between
		w := wake(31, 10, 11, -1, 0)
		w.WakerPID = 1
		evs := []Event{ev(EvSwitchIn, 0, 10), o, sysc(1-0.001, 31, 10, 202, 0, FDUnknown), w, ev(EvSwitchIn, 31, 10)}
		b := Join([]Span{span("s", "", 0.5, 31.5, 1, 10)}, Build(evs, at(0), at(40)), JoinOptions{}).Breakdowns[0]
		checkSum(t, b)
		d := b.Dominant()
		if d.Label() != c.want {
			t.Errorf("%s: dominant %s (%s), want %s: %+v", c.name, d.Label(), d.Confidence, c.want, b.Parts)
		}
		if c.want == "runqueue" && (d.Confidence != Share || !strings.Contains(strings.Join(d.Evidence, ";"), "preempted by its runtime")) {
			t.Errorf("%s: confidence %s, evidence %q", c.name, d.Confidence, d.Evidence)
		}
	}
}

// TestVforkIsChild: Python's subprocess vforks, and glibc's posix_spawn clones with
// CLONE_VFORK; the parent stays blocked in that call until its child has exec'd, 140 ms
// beside a CPU hog once, which was "blocked/other" (syscall 58 had no name).
func TestVforkIsChild(t *testing.T) {
	for _, nr := range []int32{58, 56, 435} { // vfork, clone, clone3 on x86-64
		if c := BlockedCause(nr, FDUnknown); c != CauseChild {
			t.Errorf("blocked in %s: %s, want child", SyscallName(nr), c)
		}
	}
	if SyscallName(58) != "vfork" {
		t.Errorf("syscall 58 is %q, want vfork", SyscallName(58))
	}
}

// TestSampledReadLockIsNotAShare: a sampled lock wait whose cause the sampler read from
// the program (a Go runtime's wait reason) is not the guess an unread futex is.
func TestSampledReadLockIsNotAShare(t *testing.T) {
	tl := &Timeline{Source: "procfs", Sampled: true, Period: 2e6, Threads: map[int32]*Thread{10: {TID: 10, PID: 1, Intervals: []Interval{
		{Start: at(0), End: at(1), State: OnCPU}, {Start: at(1), End: at(40), State: Blocked, Kind: string(CauseLock), Read: true}}}}}
	b := Join([]Span{span("s", "", 0, 40, 1, 10)}, tl, JoinOptions{}).Breakdowns[0]
	if d := b.Dominant(); d.Label() != "blocked/lock" || d.Confidence != Exact {
		t.Errorf("%s (%s), want blocked/lock (exact)", d.Label(), d.Confidence)
	}
}

// TestSwitchInNotSeen: the kernel now and then does not deliver a switch-in (20 of 27,397
// switch-outs of the C corpus's threads in one run came without one, none counted lost;
// the timeline's notes now count them). A worker woken
// by its reply read it, woke the main thread waiting for its result and switched out —
// and with its switch-in missing it was "waiting for a CPU" from its wakeup to that
// switch-out: at its span's end only the main thread was on CPU, which was learned and
// its condition wait named the span's cause ("blocked/lock, learned", and wrong). The
// thread's own events (its read returning, the wakeup it made) show it running: it was
// on CPU from the first of them.
func TestSwitchInNotSeen(t *testing.T) {
	var evs []Event
	// Worker 11: on CPU [0, 0.6), then blocked in read until woken at 100.3; its read
	// returns at 100.45 and it wakes the main thread at 100.5; its switch-in is lost; it
	// switches out into a futex at 100.52.
	evs = append(evs, ev(EvSwitchIn, 0, 11), out(0.6, 11, 1, 0), wake(100.3, 11, 0, -1, 0), sysc(0.6, 100.45, 11, 0, 2, FDPipe), out(100.52, 11, 1, 202))
	// Main 10: hands the job at 0.4 and waits in a futex until the worker wakes it.
	evs = append(evs, ev(EvSwitchIn, 0, 10), out(0.45, 10, 1, 202), wake(100.5, 10, 11, -1, 0), ev(EvSwitchIn, 100.58, 10), out(100.7, 10, 1, 35))
	tl := Build(evs, at(0), at(110))
	var ran, queued time.Duration
	for _, iv := range tl.Threads[11].Intervals {
		if iv.Start >= at(100) {
			switch iv.State {
			case OnCPU:
				ran += time.Duration(iv.End - iv.Start)
				if !strings.Contains(iv.Evidence, "switch-in was not seen") {
					t.Errorf("on CPU %+v: evidence does not say its switch-in was not seen", iv)
				}
			case RunQueue:
				queued += time.Duration(iv.End - iv.Start)
			}
		}
	}
	if ran != 70*time.Microsecond || queued != 150*time.Microsecond {
		t.Errorf("after its wakeup the worker ran %v and waited %v for a CPU, want 70µs from its read's return and 150µs before: %+v", ran, queued, tl.Threads[11].Intervals)
	}
	if n := strings.Join(tl.Notes, "\n"); !strings.Contains(n, "1 of 4 switch-outs came without the switch-in") {
		t.Errorf("notes %q do not count the switch-in not seen", n)
	}
	// Its span [0.5, 100.48]: the worker, on CPU at both edges, is the span's.
	b := Join([]Span{span("s", "", 0.5, 100.48, 1, 0)}, tl, JoinOptions{}).Breakdowns[0]
	if !strings.Contains(b.Match, "thread 11") {
		t.Errorf("match %q, want the worker, thread 11", b.Match)
	}
}

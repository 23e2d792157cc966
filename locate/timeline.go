package locate

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"
)

// WakerWindow is how soon after its last poll-family syscall returned a waker must wake a
// futex-blocked thread for the wait to be charged to what that poll reported (network
// when it returned ready descriptors, sleep when it timed out). This is how a Go thread
// locked to a goroutine (runtime.LockOSThread) that parks on the network or a timer is
// told apart from one that waits for a lock: the runtime hands the goroutine back within
// microseconds of netpoll returning.
const WakerWindow = 200 * time.Microsecond

// EarlyWakeWindow is how long before a thread's blocking switch-out a wakeup of that
// thread may be seen and still count as ending the block. sched_waking fires on the waker's
// CPU once the wakee's state matches, which can be just before the wakee's own
// sched_switch on its CPU is recorded; the thread then never really blocked and waits on
// the run queue from its switch-out.
const EarlyWakeWindow = 50 * time.Microsecond

// ChildExitWindow is how soon after waking a thread of another observed process (a
// child) the waker must exit for the wait to be charged to the child: a child commonly
// closes its output (stdio's close_stdout) just before it exits, and that close is what
// wakes a parent polling its pipe.
const ChildExitWindow = 20 * time.Millisecond

// taskDead is the kernel's TASK_DEAD bit of prev_state: the thread's last switch-out.
const taskDead = 0x80

// Build turns kernel events into a [Timeline]: for each thread, when it ran, waited for a
// CPU, or was blocked and why. Events need not be sorted. start and end bound the
// observation; a thread's state before its first event is unknown (left unexplained)
// unless its first event says it was running or blocked (an [EvInFlight] says in what).
// Build is pure. Every process in
// the events is taken for one the collector followed from a fork (see [BuildFollowing]).
func Build(events []Event, start, end int64) *Timeline {
	return BuildFollowing(events, start, end, nil)
}

// BuildFollowing is [Build] for events of the processes targets and of those the
// collector followed from their forks: a wait on a pipe, a socket or a poll that a thread
// of a followed process (not one of targets) ended was a wait for that descendant — a
// child writing its output, closing its end as it execs or exits (Node's spawn reads a
// pipe until its child has exec'd; spawnSync polls the child's socketpairs).
func BuildFollowing(events []Event, start, end int64, targets []int32) *Timeline {
	evs := slices.Clone(events)
	slices.SortStableFunc(evs, func(a, b Event) int { return cmp.Compare(a.Time, b.Time) })
	tl := &Timeline{Source: "ebpf", Start: start, End: end, Threads: map[int32]*Thread{}, Events: uint64(len(events))}
	if len(evs) > 0 {
		if tl.Start == 0 || evs[0].Time < tl.Start {
			tl.Start = min(evs[0].Time, cmp.Or(tl.Start, evs[0].Time))
		}
		if evs[len(evs)-1].Time > tl.End {
			tl.End = evs[len(evs)-1].Time
		}
	}
	b := &builder{tl: tl, st: map[int32]*threadState{}, died: map[int32]int64{}, followed: map[int32]bool{}}
	for i := range evs {
		if e := &evs[i]; e.PID != 0 && !slices.Contains(targets, e.PID) {
			b.followed[e.PID] = true
		}
	}
	for i := range evs {
		if e := &evs[i]; (e.Kind == EvSwitchOut && e.State&taskDead != 0) || e.Kind == EvExit {
			if _, ok := b.died[e.TID]; !ok {
				b.died[e.TID] = e.Time
			}
		}
	}
	for i := range evs {
		b.event(&evs[i])
	}
	for tid, s := range b.st {
		b.close(tid, s, tl.End)
	}
	if b.unseen > 0 {
		tl.Notes = append(tl.Notes, fmt.Sprintf("%d of %d switch-outs came without the switch-in before them (the kernel did not deliver it; none is counted lost): those threads are on CPU from their first own event after their wakeup, at the latest", b.unseen, b.switches))
	}
	for tid, th := range tl.Threads {
		s := b.st[tid]
		th.Intervals = overlay(th.Intervals, s.syscalls, s.blockIO)
	}
	return tl
}

type mode uint8

const (
	modeUnknown mode = iota
	modeOn
	modePreempted
	modeBlocked
	modeWoken
	modeDead // exited: nothing more to say about it
)

type threadState struct {
	mode     mode
	since    int64
	wakeAt   int64
	outState uint32 // prev_state at switch-out
	sys      int32  // syscall in flight at switch-out, -1 none
	fd       int32
	fdk      FDKind
	waker    string // evidence from the wakeup
	wakeHint Cause  // cause the waker's last poll suggests ("" none)
	wakerTID int32  // the thread of the same process that woke it (0: none, or another process)
	early    *Event // a wakeup seen while the thread was still on CPU
	// again: the switch-out's evidence that the thread's own try of a descriptor found
	// nothing just before the syscall it blocked in (see [Event.Again]); zero: none.
	again    int64
	againFD  FDKind
	againN   uint32
	sigret   int64
	sigretN  uint32
	sysStart int64
	// attached: the syscall in flight was found by the collector when it attached
	// ([EvInFlight]), not seen entering: its wait began before, at a time not known.
	attached bool
	// ranAt is the earliest moment since the thread left its CPU at which its own
	// events show it running (a syscall's return, a wakeup it made), while no switch-in
	// was seen: 0, none.
	ranAt    int64
	syscalls []Event
	blockIO  []Event
}

type builder struct {
	tl   *Timeline
	st   map[int32]*threadState
	died map[int32]int64 // when each thread that exited left its CPU for the last time
	// followed are the processes observed because the collector followed a fork of a
	// target: descendants.
	followed map[int32]bool
	// switches counts switch-outs; unseen those without a switch-in before them.
	switches, unseen int
}

func (b *builder) thread(e *Event) *threadState {
	s, ok := b.st[e.TID]
	if !ok {
		s = &threadState{sys: -1}
		b.st[e.TID] = s
	}
	if _, ok := b.tl.Threads[e.TID]; !ok {
		b.tl.Threads[e.TID] = &Thread{TID: e.TID, PID: e.PID}
	}
	return s
}

func (b *builder) emit(tid int32, iv Interval) {
	if iv.End <= iv.Start {
		return
	}
	th := b.tl.Threads[tid]
	th.Intervals = append(th.Intervals, iv)
}

func (b *builder) event(e *Event) {
	s := b.thread(e)
	switch e.Kind {
	case EvSwitchIn:
		b.waitEnds(e.TID, s, e.Time)
		s.mode, s.since, s.early, s.ranAt = modeOn, e.Time, nil, 0
	case EvSwitchOut:
		since := s.since
		unseen := false
		b.switches++
		switch s.mode {
		case modeOn:
		case modeUnknown:
			since = b.tl.Start // running since before the observation began
		default:
			b.unseen++
			// A switch-out without a switch-in: the kernel did not deliver that event
			// (20 of 27,397 switch-outs of a C program's threads in one run, with none
			// counted lost; the timeline's notes count them). The thread ran from its first own event since at the
			// latest — a C worker that read its reply and woke its main thread was
			// "waiting for a CPU" all along, and its span's edges found only the main
			// thread on CPU. Close what we had there.
			at := e.Time
			if s.ranAt != 0 && s.runnable() && s.ranAt < e.Time {
				at, unseen = s.ranAt, true
			}
			b.waitEnds(e.TID, s, at)
			since = at
		}
		iv := Interval{Start: since, End: e.Time, State: OnCPU}
		for c, ns := range e.Short {
			iv.Short[c] = int64(min(ns, math.MaxInt64))
		}
		iv.Fault, iv.FaultCount = int64(min(e.Fault, math.MaxInt64)), int64(e.FaultCount)
		if e.ShortCount > 0 {
			iv.Evidence = fmt.Sprintf("%d short syscalls", e.ShortCount)
		}
		if unseen {
			iv.Evidence = joinEvidence(iv.Evidence, "its switch-in was not seen (an event the kernel did not deliver): on CPU from its first own event after its wakeup, at the latest")
		}
		b.emit(e.TID, iv)
		s.ranAt = 0
		s.since, s.outState, s.sys, s.fd, s.fdk, s.waker, s.wakeHint, s.wakerTID = e.Time, e.State, e.Syscall, e.FD, e.FDKind, "", "", 0
		s.again, s.againFD, s.againN, s.sigret, s.sigretN, s.sysStart = e.Again, e.AgainFD, e.AgainN, e.SigReturn, e.SigReturnN, e.Start
		s.attached = false
		early := s.early
		s.early = nil
		switch {
		case e.State&taskDead != 0:
			s.mode = modeDead
		case e.State == 0:
			s.mode = modePreempted
		case early != nil && e.Time-early.Time <= int64(EarlyWakeWindow):
			// Woken just before the switch-out was recorded: runnable from here on.
			s.mode, s.wakeAt = modeWoken, e.Time
			s.waker, s.wakeHint = b.wakerEvidence(early)
			s.wakerTID = sameProcessWaker(early)
			s.waker = joinEvidence(s.waker, fmt.Sprintf("woken %s before its switch-out", time.Duration(e.Time-early.Time)))
		default:
			s.mode = modeBlocked
		}
	case EvWakeup:
		if ws := b.st[e.Waker]; e.Waker != 0 && ws != nil && ws.runnable() {
			ws.ranAt = minRan(ws.ranAt, e.Time) // the waker ran then
		}
		switch s.mode {
		case modeOn:
			w := *e
			s.early = &w
		case modeBlocked, modeUnknown:
			if s.mode == modeUnknown {
				s.since, s.sys, s.outState = b.tl.Start, -1, 1
			}
			s.mode, s.wakeAt = modeWoken, e.Time
			s.waker, s.wakeHint = b.wakerEvidence(e)
			s.wakerTID = sameProcessWaker(e)
		}
	case EvExit:
		if s.mode == modeOn {
			b.emit(e.TID, Interval{Start: s.since, End: e.Time, State: OnCPU, Evidence: "exiting"})
		}
		s.mode, s.since = modeDead, e.Time
	case EvInFlight:
		// Asleep in a syscall when the collector attached, and nothing of its own since
		// (the collector says so only then): it waited in that syscall from the start,
		// whatever its own events since (a switch-out, a wakeup) say of its state.
		switch {
		case s.mode == modeUnknown:
			s.mode, s.since, s.outState = modeBlocked, b.tl.Start, e.State
		case (s.mode == modeBlocked || s.mode == modeWoken) && s.sys < 0:
		default:
			return
		}
		s.sys, s.fd, s.fdk, s.sysStart, s.attached = e.Syscall, e.FD, e.FDKind, 0, true
	case EvSyscall:
		if s.runnable() {
			s.ranAt = minRan(s.ranAt, e.Time) // it returned from the call then
		}
		sc := *e
		if sc.Attached {
			// In flight when the collector attached: it covers the thread's wait from the
			// start of the observation, as EvInFlight does.
			sc.Start = min(sc.Start, b.tl.Start)
		}
		s.syscalls = append(s.syscalls, sc)
	case EvBlockIO:
		s.blockIO = append(s.blockIO, *e)
	}
}

// runnable says the thread's events left it waiting for a CPU (woken or preempted, no
// switch-in since): where its own events show it running, a switch-in was not delivered.
func (s *threadState) runnable() bool { return s.mode == modeWoken || s.mode == modePreempted }

// minRan is the earlier of a thread's first sign of running so far (0: none) and t.
func minRan(ran, t int64) int64 {
	if ran == 0 || t < ran {
		return t
	}
	return ran
}

// wakerEvidence describes who woke a thread and, when the waker had just returned from a
// poll-family syscall, what that suggests the thread was waiting for.
func (b *builder) wakerEvidence(e *Event) (string, Cause) {
	if e.Waker == 0 {
		return "woken from interrupt context", ""
	}
	ev := fmt.Sprintf("woken by thread %d", e.Waker)
	if e.WakerPID != 0 && e.WakerPID != e.PID {
		if e.WakerExiting {
			return ev + fmt.Sprintf(" of process %d as it exited (a child ending)", e.WakerPID), CauseChild
		}
		if d, ok := b.died[e.Waker]; ok && d >= e.Time && d-e.Time <= int64(ChildExitWindow) {
			return ev + fmt.Sprintf(" of process %d, which exited %s later (a child ending)", e.WakerPID, time.Duration(d-e.Time)), CauseChild
		}
		if b.followed[e.WakerPID] {
			return ev + fmt.Sprintf(" of process %d, a descendant strata followed from its fork", e.WakerPID), causeDescendant
		}
	}
	if e.WakerIO != 0 && e.WakerIO >= e.WakerPoll && e.Time >= e.WakerIO && e.Time-e.WakerIO <= int64(LateHandoffWindow) && (e.WakerIOFD == FDSocket || e.WakerIOFD == FDPipe) {
		// The waker moved data on a socket or pipe after its last poll and just before
		// this wakeup: it hands on what it read (a goroutine that read a response and
		// sends it on a channel to the one that waits). Later than WakerWindow (the
		// waker preempted in between, or a lock released after a read) it is a share.
		after := time.Duration(e.Time - e.WakerIO)
		c, late := CauseNetwork, causeLateNetwork
		if e.WakerIOFD == FDPipe {
			c, late = CausePipe, causeLatePipe
		}
		if after > WakerWindow {
			c = late
		}
		return ev + fmt.Sprintf(" %s after it read or wrote a %s (handing on what it read)", after, e.WakerIOFD), c
	}
	if e.WakerPoll != 0 && e.Time >= e.WakerPoll && e.Time-e.WakerPoll <= int64(WakerWindow) {
		after := time.Duration(e.Time - e.WakerPoll)
		switch {
		case e.PollRet == 0:
			return ev + fmt.Sprintf(" %s after its poll timed out (timer)", after), CauseSleep
		case e.PollRet > 0 && e.WakerReady != 0:
			// The netpoller hands a parked goroutine on: what its poll found says what
			// the goroutine waited for. An eventfd alone is the runtime's own wakeup.
			switch c := PollCause(e.PollRet, e.WakerReady); c {
			case CauseNetwork, CausePipe, CauseSleep, CauseDisk:
				return ev + fmt.Sprintf(" %s after its poll found %s ready (netpoller handoff)", after, e.WakerReady), c
			}
		}
	}
	if e.WakerPoll != 0 && e.PollRet >= 0 && e.Time >= e.WakerPoll && e.Time-e.WakerPoll <= int64(LateHandoffWindow) && (e.PollRet == 0 || e.WakerReady&^(1<<FDEvent) != 0) {
		// Later than a handoff takes on an idle machine, but soon: a handoff the
		// waker was preempted in the middle of, or a lock released after a poll.
		return ev + fmt.Sprintf(" %s after its poll returned %d (a delayed netpoller handoff, or a lock)", time.Duration(e.Time-e.WakerPoll), e.PollRet), causeMaybePoll
	}
	return ev, ""
}

// LateHandoffWindow: a futex wait woken later than [WakerWindow] but within this long
// after the waker's poll returned is a lock or a netpoller handoff the waker was
// preempted in: the lock it is called is only a share.
const LateHandoffWindow = 20 * time.Millisecond

// causeMaybePoll is the hint of a wakeup a little too late for a netpoller handoff.
const causeMaybePoll Cause = "maybe-poll"

// causeLateNetwork and causeLatePipe are the hints of a wakeup a little too late after the
// waker's read of a socket or pipe for a sure handoff: the wait is that, as a share.
const (
	causeLateNetwork Cause = "late-network"
	causeLatePipe    Cause = "late-pipe"
)

// causeDescendant is the hint of a wakeup by a thread of a followed process: it makes a
// descriptor wait a wait for the child, and says nothing about other waits.
const causeDescendant Cause = "descendant"

// sameProcessWaker is the thread that made this wakeup when it is another thread of the
// same process.
func sameProcessWaker(e *Event) int32 {
	if e.Waker != 0 && e.Waker != e.TID && (e.WakerPID == e.PID || e.WakerPID == 0) {
		return e.Waker
	}
	return 0
}

// waitEnds closes the off-CPU stretch that ends when the thread gets a CPU at t.
func (b *builder) waitEnds(tid int32, s *threadState, t int64) {
	switch s.mode {
	case modePreempted:
		b.emit(tid, Interval{Start: s.since, End: t, State: RunQueue, Evidence: "preempted"})
	case modeBlocked:
		b.emit(tid, b.blocked(s, s.since, t, "no wakeup seen"))
	case modeWoken:
		b.emit(tid, b.blocked(s, s.since, s.wakeAt, s.waker))
		b.emit(tid, Interval{Start: s.wakeAt, End: t, State: RunQueue, Evidence: "woken, waiting for a CPU"})
	}
}

// blocked is a blocked interval with the cause the switch-out and wakeup suggest; overlay
// refines it with the syscall that covered it.
func (b *builder) blocked(s *threadState, from, to int64, evidence string) Interval {
	if s.attached && s.sys >= 0 {
		evidence = joinEvidence(fmt.Sprintf("asleep in %s when strata attached (the wait began before, when is not known)", SyscallName(s.sys)), evidence)
	}
	iv := Interval{Start: from, End: to, State: Blocked, Evidence: evidence, Poll: s.sys >= 0 && IsPoll(s.sys), futex: s.sys >= 0 && SyscallClass(s.sys) == ClassFutex}
	if s.sys >= 0 && IsPoll(s.sys) {
		iv.waker = s.wakerTID // kept only if the poll's exit shows an eventfd (splitBySyscall)
	}
	switch {
	case s.sys >= 0:
		iv.Kind = string(blockedCause(s.sys, s.fdk, 0, false, 0))
	case s.outState&2 != 0: // TASK_UNINTERRUPTIBLE outside a syscall: page fault I/O and the like
		iv.Kind = string(CauseDisk)
	default:
		iv.Kind = string(CauseOther)
	}
	if iv.Kind == string(CauseIO) && s.outState&2 != 0 {
		iv.Kind = string(CauseDisk) // uninterruptible inside a read or write: the device
	}
	if s.sys >= 0 && SyscallClass(s.sys) == ClassFutex && s.sigret != 0 && s.sigretN == 0 && s.sysStart >= s.sigret && s.sysStart-s.sigret <= int64(PreemptWindow) {
		// Preempted by its runtime with a signal, and parked until the runtime gave it
		// its turn again: a wait for a CPU of the runtime's, not a lock.
		return Interval{Start: from, End: to, State: RunQueue, Unsure: true, Evidence: joinEvidence(fmt.Sprintf(
			"parked %s after returning from a signal handler: preempted by its runtime (Go's asynchronous preemption), waiting for its turn", time.Duration(s.sysStart-s.sigret)), evidence)}
	}
	if c, ev := parkedFor(s); c != "" && iv.Kind == string(CauseLock) && s.wakeHint != CauseChild && s.wakeHint != causeDescendant {
		// The thread's own evidence outranks what its waker had done.
		iv.Kind, iv.Evidence = string(c), joinEvidence(ev, iv.Evidence)
		return iv
	}
	switch {
	case s.wakeHint == CauseChild && iv.Kind != string(CauseDisk):
		iv.Kind = string(CauseChild)
	case s.wakeHint == causeDescendant && (iv.Kind == string(CausePipe) || iv.Kind == string(CauseNetwork) || iv.Kind == string(CauseIO)):
		// A descriptor wait ended by a descendant: its output, or its exec or exit
		// closing its end. (A futex it woke is a lock shared with it, not this.)
		iv.Kind = string(CauseChild)
	case s.wakeHint == causeMaybePoll && iv.Kind == string(CauseLock):
		iv.Unsure = true
	case (s.wakeHint == causeLateNetwork || s.wakeHint == causeLatePipe) && iv.Kind == string(CauseLock):
		iv.Kind, iv.Unsure = string(CauseNetwork), true
		if s.wakeHint == causeLatePipe {
			iv.Kind = string(CausePipe)
		}
		iv.Evidence = joinEvidence("futex wait", iv.Evidence)
	case s.wakeHint != "" && s.wakeHint != causeDescendant && s.wakeHint != causeMaybePoll && iv.Kind == string(CauseLock):
		iv.Kind = string(s.wakeHint)
		iv.Evidence = joinEvidence("futex wait", iv.Evidence)
	}
	if iv.Kind == string(CauseLock) {
		iv.holder = s.wakerTID
	}
	return iv
}

// ParkWindow bounds how soon after a thread's own EAGAIN on a descriptor a futex wait
// counts as parked for that descriptor. The kernel side keeps the EAGAIN only until the
// thread's next wait and while no read or write of it found its descriptor ready: Go's
// runtime parks a locked thread within microseconds, after a few futex wakes of handing
// its P on. (An unlocked thread that found nothing to read went on to other goroutines
// and, 4.9 ms later, to a mutex wait that was then called network.)
const ParkWindow = 2 * time.Millisecond

// PreemptWindow: a futex wait that begins this soon after the thread returned from a
// signal handler, with no syscall but futex between, is its runtime's preemption: Go parks
// a preempted locked thread within microseconds of the signal, and may wake and park it
// again (its P handed on, woken before its turn) for milliseconds after.
const PreemptWindow = 20 * time.Millisecond

// parkedFor is the cause of a futex wait that began right after the thread's own read or
// write found its descriptor empty (EAGAIN): a runtime that parks threads in futex
// (Go's locked threads, whose goroutine waits in the netpoller) waits there for that
// socket or pipe, not for a lock.
func parkedFor(s *threadState) (Cause, string) {
	if s.sys < 0 || SyscallClass(s.sys) != ClassFutex || s.again == 0 || s.againN > 0 || s.sysStart < s.again || s.sysStart-s.again > int64(ParkWindow) {
		return "", ""
	}
	var c Cause
	switch s.againFD {
	case FDSocket:
		c = CauseNetwork
	case FDPipe:
		c = CausePipe
	default:
		return "", ""
	}
	return c, fmt.Sprintf("parked %s after its own %s had nothing ready (EAGAIN)", time.Duration(s.sysStart-s.again), s.againFD)
}

// mulDiv is a*b/c for non-negative a and b and positive c, without overflowing in between;
// it saturates at MaxInt64 and is 0 when c is not positive.
func mulDiv(a, b, c int64) int64 {
	if a <= 0 || b <= 0 || c <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(min(q, math.MaxInt64))
}

func (b *builder) close(tid int32, s *threadState, end int64) {
	switch s.mode {
	case modeOn:
		b.emit(tid, Interval{Start: s.since, End: end, State: OnCPU, Evidence: "still running at the end"})
	case modePreempted, modeBlocked:
		b.waitEnds(tid, s, end)
	case modeWoken:
		b.waitEnds(tid, s, end)
	}
}

func joinEvidence(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// overlay refines a thread's intervals with its long syscalls: on-CPU time inside one is
// kernel time of its class, blocked time inside one gets the syscall's cause (with its
// return value, which tells a poll that timed out from one that found work), and disk
// waits list the block I/O the thread issued meanwhile.
func overlay(ivs []Interval, syscalls, blockIO []Event) []Interval {
	slices.SortFunc(ivs, func(a, b Interval) int { return cmp.Compare(a.Start, b.Start) })
	if len(syscalls) == 0 && len(blockIO) == 0 {
		return ivs
	}
	slices.SortFunc(syscalls, func(a, b Event) int { return cmp.Compare(a.Start, b.Start) })
	var out []Interval
	first := 0 // a thread is in one syscall at a time, so ends rise with starts
	for _, iv := range ivs {
		for first < len(syscalls) && syscalls[first].Time <= iv.Start {
			first++
		}
		pieces := []Interval{iv}
		for _, sc := range syscalls[first:] {
			if sc.Start >= iv.End {
				break
			}
			if sc.Time <= iv.Start {
				continue
			}
			var next []Interval
			for _, p := range pieces {
				next = append(next, splitBySyscall(p, sc)...)
			}
			pieces = next
		}
		out = append(out, pieces...)
	}
	for i := range out {
		if out[i].State == Blocked && out[i].Kind == string(CauseDisk) {
			if ev := blockIOEvidence(out[i], blockIO); ev != "" {
				out[i].Evidence = joinEvidence(out[i].Evidence, ev)
			}
		}
	}
	return out
}

// splitBySyscall cuts p where syscall sc covers it and labels the covered piece. The
// short syscalls of an on-CPU slice ran outside the long one, so their kernel time all goes
// to the uncovered pieces, in proportion to their lengths.
func splitBySyscall(p Interval, sc Event) []Interval {
	lo, hi := max(p.Start, sc.Start), min(p.End, sc.Time)
	if lo >= hi || (p.State == OnCPU && p.Kind != "") || p.State == RunQueue || p.bySyscall {
		return []Interval{p}
	}
	var out []Interval
	before, after := lo-p.Start, p.End-hi
	var shortBefore, shortAfter [NClass]int64
	// Page faults in user mode were outside this syscall too.
	var faultBefore, faultAfter, nBefore, nAfter int64
	switch {
	case before > 0 && after > 0:
		faultBefore = mulDiv(p.Fault, before, before+after)
		faultAfter = p.Fault - faultBefore
		nBefore = mulDiv(p.FaultCount, before, before+after)
		nAfter = p.FaultCount - nBefore
	case before > 0:
		faultBefore, nBefore = p.Fault, p.FaultCount
	case after > 0:
		faultAfter, nAfter = p.Fault, p.FaultCount
	}
	for c, ns := range p.Short {
		switch {
		case before > 0 && after > 0:
			shortBefore[c] = mulDiv(ns, before, before+after)
			shortAfter[c] = ns - shortBefore[c]
		case before > 0:
			shortBefore[c] = ns
		case after > 0:
			shortAfter[c] = ns
		}
	}
	part := func(a, b int64, short [NClass]int64, fault, faults int64) Interval {
		q := p
		q.Start, q.End, q.Short, q.Fault, q.FaultCount = a, b, short, fault, faults
		return q
	}
	if before > 0 {
		out = append(out, part(p.Start, lo, shortBefore, faultBefore, nBefore))
	}
	mid := part(lo, hi, [NClass]int64{}, 0, 0)
	mid.bySyscall = true
	name := SyscallName(sc.Syscall)
	if p.State == OnCPU {
		mid.Kind = SyscallClass(sc.Syscall).String()
		mid.Evidence = fmt.Sprintf("in %s (%s)", name, time.Duration(sc.Time-sc.Start))
	} else {
		cause := blockedCause(sc.Syscall, sc.FDKind, sc.Ret, true, sc.Ready)
		switch {
		case p.Kind == string(CauseChild) && cause != CauseDisk:
			cause = CauseChild // woken by a child as it exited: whatever the wait was on, it waited for the child
		case cause == CauseLock && p.Kind != string(CauseLock) && p.Kind != string(CauseOther):
			cause = Cause(p.Kind) // the waker told us more than "futex"
		case cause == CauseIO && p.Kind == string(CauseDisk):
			cause = CauseDisk
		}
		mid.Kind = string(cause)
		if cause != CauseLock {
			mid.holder = 0
		}
		mid.Poll = IsPoll(sc.Syscall)
		mid.ranOut = cause == CauseSleep && name == "futex" && sc.Ret == -110
		mid.Evidence = joinEvidence(syscallEvidence(sc), p.Evidence)
		// Woken through an eventfd by a thread of its own (a thread pool finishing work
		// it was handed): what that thread did meanwhile is what the wait waited for.
		if cause != CauseIO || !sc.Ready.Has(FDEvent) || sc.Ready.Has(FDSocket) || sc.Ready.Has(FDPipe) {
			mid.waker = 0
		}
	}
	out = append(out, mid)
	if after > 0 {
		out = append(out, part(hi, p.End, shortAfter, faultAfter, nAfter))
	}
	return out
}

func isPoll(nr int32) bool { return SyscallClass(nr) == ClassPoll }

func syscallEvidence(sc Event) string {
	s := fmt.Sprintf("%s %s", SyscallName(sc.Syscall), time.Duration(sc.Time-sc.Start))
	if sc.Attached {
		s = fmt.Sprintf("%s ≥%s (entered before strata attached)", SyscallName(sc.Syscall), time.Duration(sc.Time-sc.Start))
	}
	if sc.FDKind != FDUnknown {
		s += fmt.Sprintf(" on fd %d (%s)", sc.FD, sc.FDKind)
	}
	if isPoll(sc.Syscall) {
		s += fmt.Sprintf(" returned %d", sc.Ret)
		if sc.Ready != 0 {
			s += " ready: " + sc.Ready.String()
		}
	}
	return s
}

func blockIOEvidence(iv Interval, ios []Event) string {
	var n, bytes int64
	var busy time.Duration
	for _, e := range ios {
		lo, hi := max(iv.Start, e.Start), min(iv.End, e.Time)
		if lo < hi {
			n++
			bytes += e.Ret
			busy += time.Duration(e.Time - e.Start)
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d block requests, %d KiB, %s device time", n, bytes/1024, busy)
}

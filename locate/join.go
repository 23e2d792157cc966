package locate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// JoinOptions chooses which spans get a breakdown.
type JoinOptions struct {
	// Select keeps the spans it returns true for (nil: all). Child spans still count as
	// children of selected spans when they are not selected themselves.
	Select func(Span) bool
	// Top keeps only the slowest Top breakdowns (0: all).
	Top int
}

// Join splits each span's wall time into child spans, on-CPU user time, on-CPU kernel time
// by syscall class, blocked time by cause, run-queue wait and what stays unexplained,
// from the kernel's view of the span's thread (when the span names it) or of its process.
// The parts of every breakdown add up to the span's wall time exactly. Join is pure.
func Join(spans []Span, tl *Timeline, opt JoinOptions) Report {
	if tl == nil {
		tl = &Timeline{Source: "none", Threads: map[int32]*Thread{}}
	}
	r := Report{Source: tl.Source, Sampled: tl.Sampled, Events: tl.Events, Lost: tl.Lost, Missed: tl.Missed, Dropped: tl.Dropped, Spans: len(spans), Notes: slices.Clone(tl.Notes)}
	if tl.Sampled {
		r.Period = tl.Period.String()
	}
	spans = tieSpans(spans)
	j := newJoiner(spans, tl)
	for i := range spans {
		if opt.Select != nil && !opt.Select(spans[i]) {
			continue
		}
		r.Breakdowns = append(r.Breakdowns, j.breakdown(i))
	}
	slices.SortStableFunc(r.Breakdowns, func(a, b Breakdown) int {
		if c := cmp.Compare(b.Wall, a.Wall); c != 0 {
			return c
		}
		return a.Span.Start.Compare(b.Span.Start)
	})
	if opt.Top > 0 && len(r.Breakdowns) > opt.Top {
		r.Breakdowns = r.Breakdowns[:opt.Top]
	}
	return r
}

type window struct{ lo, hi int64 }

type step struct {
	t int64
	n int
}

type joiner struct {
	spans []Span
	tl    *Timeline
	self  [][]window          // per span: its wall time less its children's
	byPID map[int32][]*Thread // threads of each process, by tid
	busy  map[int32][]step    // per process: how many of its spans (tied to a thread or not) run at each time
}

func newJoiner(spans []Span, tl *Timeline) *joiner {
	j := &joiner{spans: spans, tl: tl, byPID: map[int32][]*Thread{}, busy: map[int32][]step{}}
	type key struct{ trace, span string }
	children := map[key][]int{}
	for i, s := range spans {
		if s.ParentID != "" {
			k := key{s.TraceID, s.ParentID}
			children[k] = append(children[k], i)
		}
	}
	j.self = make([][]window, len(spans))
	for i, s := range spans {
		var cw []window
		for _, c := range children[key{s.TraceID, s.SpanID}] {
			cw = append(cw, window{spans[c].Start.UnixNano(), spans[c].End.UnixNano()})
		}
		j.self[i] = subtract(window{s.Start.UnixNano(), s.End.UnixNano()}, cw)
	}
	for _, th := range tl.Threads {
		j.byPID[th.PID] = append(j.byPID[th.PID], th)
	}
	for _, ths := range j.byPID {
		slices.SortFunc(ths, func(a, b *Thread) int { return cmp.Compare(a.TID, b.TID) })
	}
	// Concurrency of the spans of each process, per process: a step function. Spans tied
	// to a thread count too: a process-wide span beside one of them is not alone.
	deltas := map[int32][]step{}
	for i, s := range spans {
		pid := s.PID
		if th := j.threadOf(s); th != nil {
			pid = th.PID
		}
		if pid == 0 {
			continue
		}
		for _, w := range j.self[i] {
			deltas[pid] = append(deltas[pid], step{w.lo, 1}, step{w.hi, -1})
		}
	}
	for pid, d := range deltas {
		slices.SortFunc(d, func(a, b step) int { return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.n, b.n)) })
		var out []step
		n := 0
		for _, x := range d {
			n += x.n
			if len(out) > 0 && out[len(out)-1].t == x.t {
				out[len(out)-1].n = n
			} else {
				out = append(out, step{x.t, n})
			}
		}
		j.busy[pid] = out
	}
	return j
}

// tieSpans returns a copy of spans in which a span without a process is given its
// nearest ancestor's, or else the one process all other spans of its trace name: an SDK
// often puts process.pid on the server span's resource only, or a client span is made
// by a library that does not know it.
func tieSpans(spans []Span) []Span {
	out := slices.Clone(spans)
	type key struct{ trace, span string }
	idx := make(map[key]int, len(spans))
	tracePID := map[string]int32{} // the one process of a trace; -1 when several
	for i, s := range spans {
		idx[key{s.TraceID, s.SpanID}] = i
		if s.PID == 0 {
			continue
		}
		if p, ok := tracePID[s.TraceID]; !ok {
			tracePID[s.TraceID] = s.PID
		} else if p != s.PID {
			tracePID[s.TraceID] = -1
		}
	}
	for i := range out {
		s := &out[i]
		if s.PID != 0 {
			continue
		}
		// Parent links may form a cycle in hostile input: the walk is bounded.
		for cur, n := s.ParentID, 0; cur != "" && n < 256; n++ {
			k, ok := idx[key{s.TraceID, cur}]
			if !ok {
				break
			}
			if p := spans[k].PID; p != 0 {
				s.PID, s.Tied = p, "parent"
				break
			}
			cur = spans[k].ParentID
		}
		if p := tracePID[s.TraceID]; s.PID == 0 && p > 0 {
			s.PID, s.Tied = p, "trace"
		}
	}
	return out
}

// subtract returns w less the union of cut, as sorted disjoint windows.
func subtract(w window, cut []window) []window {
	slices.SortFunc(cut, func(a, b window) int { return cmp.Compare(a.lo, b.lo) })
	var out []window
	at := w.lo
	for _, c := range cut {
		lo, hi := max(c.lo, w.lo), min(c.hi, w.hi)
		if lo >= hi {
			continue
		}
		if lo > at {
			out = append(out, window{at, lo})
		}
		at = max(at, hi)
	}
	if at < w.hi {
		out = append(out, window{at, w.hi})
	}
	return out
}

// threadOf is the observed thread a span names, if any.
func (j *joiner) threadOf(s Span) *Thread {
	if s.TID == 0 {
		return nil
	}
	th := j.tl.Threads[s.TID]
	if th == nil || (s.PID != 0 && th.PID != s.PID) {
		return nil
	}
	return th
}

// concurrency is how many process-wide spans of pid run at t.
func (j *joiner) concurrency(pid int32, t int64) int {
	st := j.busy[pid]
	i := sort.Search(len(st), func(i int) bool { return st[i].t > t })
	if i == 0 {
		return 0
	}
	return st[i-1].n
}

// acc accumulates parts, with their evidence weighted by time.
type acc struct {
	parts   map[partKey]*partAcc
	sampled bool
	// shareUser: user time is at most a share (a Node.js span that awaited: the
	// threads that ran meanwhile ran other callbacks and tasks too).
	shareUser bool
}

type partKey struct {
	cat   Category
	cause string
	conf  Confidence
}

type partAcc struct {
	d  int64
	ev map[string]int64
}

func (a *acc) add(cat Category, cause string, conf Confidence, d int64, evidence string) {
	if d <= 0 {
		return
	}
	if a.parts == nil {
		a.parts = map[partKey]*partAcc{}
	}
	k := partKey{cat, cause, conf}
	p := a.parts[k]
	if p == nil {
		p = &partAcc{ev: map[string]int64{}}
		a.parts[k] = p
	}
	p.d += d
	if evidence != "" {
		p.ev[evidence] += d
	}
}

// FaultCostBound is how much of a thread's time on CPU one page fault it took in user
// mode may have cost beyond what the collector timed in the kernel's handler. Measured
// on the Firecracker VM strata is developed on, a first touch of fresh memory costs some
// 18 µs of CPU (64 MiB touched page by page: 300 ms, getrusage), of which the handler's
// window (fault entry to the page's mapping) is 1.6 µs: the hypervisor's part lands
// outside it. On bare metal a first touch is 1–2 µs.
const FaultCostBound = 50 * time.Microsecond

// stronger says whether confidence a is stronger than b.
func stronger(a, b Confidence) bool {
	order := map[Confidence]int{Exact: 0, Learned: 1, Process: 2, Share: 3, None: 4}
	return order[a] < order[b]
}

// piece adds the part [lo, hi) of interval iv.
func (a *acc) piece(iv *Interval, lo, hi int64, conf Confidence) {
	d := hi - lo
	if iv.Unsure && stronger(conf, Share) {
		conf = Share
	}
	switch iv.State {
	case RunQueue:
		a.add(CatRunQueue, "", conf, d, iv.Evidence)
	case Blocked:
		// A wait whose cause is not known is no answer, whoever's it was; sampled, a
		// futex may be a lock, a timed sleep or a parked goroutine (the return value and
		// the waker that would tell are not seen), unless what it waited for was read
		// from the program.
		if (iv.Kind == string(CauseIO) || iv.Kind == string(CauseOther) || iv.Unsure || (a.sampled && iv.Kind == string(CauseLock) && !iv.Read)) && stronger(conf, Share) {
			conf = Share
		}
		a.add(CatBlocked, iv.Kind, conf, d, iv.Evidence)
	case OnCPU:
		kconf := conf
		if a.sampled && stronger(kconf, Share) {
			// Sampled, kernel time is utime and stime ticks (10 ms each) spread over the
			// period, its class the syscall seen at the next sample: an estimate.
			kconf = Share
		}
		if iv.Kind != "" {
			a.add(CatKernel, iv.Kind, kconf, d, iv.Evidence)
			return
		}
		// Kernel time by syscall class, and (the last) page faults outside syscalls:
		// the first touch of fresh memory is the kernel's work, not user code.
		var k [NClass + 1]int64
		var sum int64
		for c, ns := range iv.Short {
			k[c] = min(mulDiv(ns, d, iv.Len()), d)
			sum = min(sum+k[c], math.MaxInt64/2)
		}
		k[NClass] = min(mulDiv(iv.Fault, d, iv.Len()), d)
		sum = min(sum+k[NClass], math.MaxInt64/2)
		if sum > d { // more kernel time claimed than the slice had: scale it down
			var s2 int64
			for c := range k {
				k[c] = mulDiv(k[c], d, sum)
				s2 += k[c]
			}
			sum = s2
		}
		for c, ns := range k[:NClass] {
			a.add(CatKernel, Class(c).String(), kconf, ns, "short syscalls")
		}
		a.add(CatKernel, CauseFault, kconf, k[NClass], "page faults in user mode (first touch of memory)")
		user := d - sum
		if iv.FaultCount > 0 && stronger(conf, Share) {
			// What the fault handler's window did not time (under a hypervisor, most of
			// a first touch) reads as user time: up to FaultCostBound a fault of the
			// slice's user time may be the kernel's or the host's, and is only a share.
			bound := mulDiv(mulDiv(iv.FaultCount, int64(FaultCostBound), 1), d, iv.Len())
			unsure := min(user, max(bound-k[NClass], 0))
			a.add(CatUser, "", Share, unsure, fmt.Sprintf("page faults in user mode: up to %s each of this time may be the kernel's or the hypervisor's, not the program's", FaultCostBound))
			user -= unsure
		}
		if a.shareUser && stronger(conf, Share) {
			conf = Share
		}
		a.add(CatUser, "", conf, user, "")
	}
}

func (j *joiner) breakdown(i int) Breakdown {
	s := j.spans[i]
	b := Breakdown{Span: s, Wall: s.Wall()}
	if b.Wall < 0 {
		b.Wall = 0
	}
	a := acc{sampled: j.tl.Sampled}
	var selfLen int64
	for _, w := range j.self[i] {
		selfLen += w.hi - w.lo
	}
	a.add(CatChildren, "", Exact, int64(b.Wall)-selfLen, "child spans")
	tied := ""
	switch s.Tied {
	case "parent":
		tied = "; tied to the process through its parent span"
	case "trace":
		tied = "; tied to the process as the one process of its trace"
	case "port":
		tied = "; tied to the process by its server.port"
	}
	switch th := j.threadOf(s); {
	case th != nil:
		b.Match = fmt.Sprintf("thread %d of process %d", th.TID, th.PID)
		for _, w := range j.self[i] {
			covered := j.walkThread(th, w, func(iv *Interval, lo, hi int64) {
				conf := Exact
				if s.Runtime == "go" && iv.State == Blocked && (iv.Kind == string(CauseLock) || iv.ranOut) && !iv.Read {
					// A locked Go thread parks in futex whatever its goroutine waits for
					// (a mutex, a channel, a timer, a P after a syscall); unless its
					// waker said (the netpoller), "lock" is a guess. A futex wait of its
					// own that ran out is the runtime's (a timed park while it waits for
					// a P or hands work on: dozens in a loop of fsyncs beside a busy
					// machine), not the goroutine's sleep, which another thread ends.
					conf = Share
				}
				j.pieceVia(iv, lo, hi, conf, &a)
			})
			a.add(CatUnexplained, "", None, w.hi-w.lo-covered, "thread not observed then")
		}
	case s.PID != 0 && len(j.byPID[s.PID]) > 0:
		unseen := ""
		if s.TID != 0 {
			unseen = fmt.Sprintf("; its thread %d was not observed", s.TID)
		}
		if th, how, conf := j.learn(s); th != nil {
			b.Match = fmt.Sprintf("thread %d of process %d, learned: %s%s%s", th.TID, th.PID, how, unseen, tied)
			// An event loop that waited in its poll during the span turned while the span
			// awaited: the callbacks it ran meanwhile were other work's as much as the
			// span's, so its time on CPU is shared. (Its waits are the loop's: learned.)
			loopTurned := s.Runtime == "nodejs" && j.polledDuring(th, j.self[i])
			if loopTurned {
				b.Match += "; the event loop waited in its poll during the span (it awaited), so its time on CPU then, its waits outside its poll and the user time of the threads that woke it are shared with the other callbacks and tasks it ran"
				a.shareUser = true
			}
			for _, w := range j.self[i] {
				covered := j.walkThread(th, w, func(iv *Interval, lo, hi int64) {
					j.pieceShared(s.PID, iv, lo, hi, conf, func(iv *Interval, lo, hi int64, c Confidence) {
						// Outside its poll the loop ran, or waited for something other
						// than the span's I/O (a V8 helper's GC work, a mutex): only its
						// poll waits are what the awaiting span waited for — and of
						// those, one that ran out its timeout ended for a timer that may
						// be the span's or any other task's (an exporter's, a retry's:
						// the reply then read in a callback, found by no poll that
						// waited): a share.
						otherTimer := iv.Poll && iv.Kind == string(CauseSleep)
						if loopTurned && (iv.State == OnCPU || (iv.State == Blocked && (!iv.Poll || otherTimer))) && stronger(c, Share) {
							c = Share
						}
						j.pieceVia(iv, lo, hi, c, &a)
					})
				})
				a.add(CatUnexplained, "", None, w.hi-w.lo-covered, "thread not observed then")
			}
			break
		}
		cands, how, atBoth := j.candidates(s)
		b.Match = fmt.Sprintf("process %d (%d threads; the span's thread is not known: %s)%s%s", s.PID, len(j.byPID[s.PID]), how, unseen, tied)
		for _, w := range j.self[i] {
			j.processWide(s.PID, cands, atBoth, j.tl.Sampled && s.Runtime != "go", w, &a)
		}
	default:
		switch {
		case s.PID == 0 && s.TID == 0:
			b.Match = "no process: the span has neither process.pid nor thread.id, no port tied it to one, and neither did its parent spans or its trace"
		case s.PID != 0:
			b.Match = fmt.Sprintf("process %d was not observed%s", s.PID, tied)
		default:
			b.Match = fmt.Sprintf("thread %d was not observed", s.TID)
		}
		a.add(CatUnexplained, "", None, selfLen, "not observed")
	}
	b.Parts = a.list()
	return b
}

// polledDuring says whether th waited in a poll-family call inside the windows.
func (j *joiner) polledDuring(th *Thread, ws []window) bool {
	found := false
	for _, w := range ws {
		j.walkThread(th, w, func(iv *Interval, _, _ int64) { found = found || (iv.State == Blocked && iv.Poll) })
	}
	return found
}

// EdgeTolerance is how near a span's start (or end) a thread must have been on CPU to
// count as the thread that started (or ended) it, on timelines measured switch by switch;
// on sampled timelines it is the sampling period.
const EdgeTolerance = 200 * time.Microsecond

func (j *joiner) edgeTolerance() int64 {
	if j.tl.Sampled {
		// A sampled thread's time on CPU is placed somewhere in its sampling period, and
		// periods stretch while the sampler reads many threads.
		return 2 * int64(cmp.Or(j.tl.Period, 2*time.Millisecond))
	}
	return int64(EdgeTolerance)
}

// onCPUNear says whether th was on CPU at some moment within tol of t.
func onCPUNear(th *Thread, t, tol int64) bool {
	ivs := th.Intervals
	k := sort.Search(len(ivs), func(k int) bool { return ivs[k].End >= t-tol })
	for ; k < len(ivs) && ivs[k].Start <= t+tol; k++ {
		if ivs[k].State == OnCPU {
			return true
		}
	}
	return false
}

// atEdges returns the threads of the span's process that were on CPU within tol of both
// its start and its end.
func (j *joiner) atEdges(s Span, tol int64) []*Thread {
	var out []*Thread
	for _, th := range j.byPID[s.PID] {
		if onCPUNear(th, s.Start.UnixNano(), tol) && onCPUNear(th, s.End.UnixNano(), tol) {
			out = append(out, th)
		}
	}
	return out
}

// learn finds the thread that ran a span that names none, says how it was found and how
// sure that is: the main thread of a Node.js process (JavaScript runs on the event loop
// there); the process's only thread; or the one thread on CPU both when the span started
// and when it ended — the code that starts and ends a span runs on the span's thread, and
// in Python, Java, C or C++ a handler stays on one thread. Not for Go: goroutines move
// between threads, and the threads' states are the runtime's. On a sampled timeline the
// edges are only known to a sampling period or two, and a thread that handed the span its
// work or took its result ran there too: a thread learned from them is only a share.
func (j *joiner) learn(s Span) (*Thread, string, Confidence) {
	ths := j.byPID[s.PID]
	switch s.Runtime {
	case "go":
		return nil, "", None
	case "nodejs":
		if th := j.tl.Threads[s.PID]; th != nil && th.PID == s.PID {
			return th, "Node.js runs JavaScript on the process's main thread, its event loop", Learned
		}
	}
	if len(ths) == 1 {
		return ths[0], "the process's only thread", Learned
	}
	tol := j.edgeTolerance()
	edge := j.atEdges(s, tol)
	if len(edge) > 1 && !j.tl.Sampled {
		edge = j.atEdges(s, 0) // switch by switch: on CPU at the very moments
	}
	if len(edge) != 1 {
		return nil, "", None
	}
	if j.tl.Sampled {
		return edge[0], fmt.Sprintf("the only thread of the process on CPU within %s of both the span's start and its end, at the sampling period's resolution", time.Duration(tol)), Share
	}
	return edge[0], fmt.Sprintf("the only thread of the process on CPU within %s of both the span's start and its end", time.Duration(tol)), Learned
}

// candidates are the threads that may have run a span whose thread could not be learned:
// those on CPU at both its start and its end, else at either, else every thread of the
// process (and every one for Go, whose goroutines move between them). A thread that was
// idle at the span's start and end did not start or end it, and its waits do not stand
// for the span's.
//
// Only threads on CPU at both edges, or all of a Go process's, can all be the span's:
// when no thread was on CPU at both (sampled edges are a period wide), the span's own
// thread may be none of those found, and atBoth is false.
func (j *joiner) candidates(s Span) (ths []*Thread, how string, atBoth bool) {
	all := j.byPID[s.PID]
	if s.Runtime == "go" {
		return all, "Go runs goroutines on any of its threads", true
	}
	tol := j.edgeTolerance()
	if edge := j.atEdges(s, tol); len(edge) > 0 {
		return edge, fmt.Sprintf("%d threads were on CPU at its start and its end", len(edge)), true
	}
	var either []*Thread
	for _, th := range all {
		if onCPUNear(th, s.Start.UnixNano(), tol) || onCPUNear(th, s.End.UnixNano(), tol) {
			either = append(either, th)
		}
	}
	if len(either) > 0 {
		return either, fmt.Sprintf("no thread was on CPU at both its start and its end; %d were at one of them", len(either)), false
	}
	return all, "no thread was on CPU at its start or its end", false
}

// pieceVia adds the piece [lo, hi) of the span's thread's interval iv. A wait that a
// thread of the same process ended through an eventfd (work handed to a thread pool, as
// Node's libuv does with file system calls) is what that thread did meanwhile.
func (j *joiner) pieceVia(iv *Interval, lo, hi int64, conf Confidence, a *acc) {
	if ht := j.tl.Threads[iv.holder]; iv.State == Blocked && iv.Kind == string(CauseLock) && iv.holder != 0 && ht != nil {
		// A lock released by another thread of the process: while that thread waited for
		// a CPU, the lock wait was a wait for a CPU (the holder preempted: the GIL
		// handed to a thread the machine's load keeps off the CPU).
		at := lo
		j.walkThread(ht, window{lo, hi}, func(w *Interval, l, h int64) {
			if w.State != RunQueue {
				return
			}
			if l > at {
				a.piece(iv, at, l, conf)
			}
			a.add(CatRunQueue, "", conf, h-l, fmt.Sprintf("waiting for a lock whose holder, thread %d, waited for a CPU", ht.TID))
			at = h
		})
		if at < hi {
			a.piece(iv, at, hi, conf)
		}
		return
	}
	wt := j.tl.Threads[iv.waker]
	if iv.State != Blocked || iv.waker == 0 || wt == nil {
		a.piece(iv, lo, hi, conf)
		return
	}
	at := lo
	j.walkThread(wt, window{lo, hi}, func(w *Interval, l, h int64) {
		if l > at {
			a.piece(iv, at, l, conf)
		}
		c := *w
		c.Evidence = joinEvidence(fmt.Sprintf("on thread %d, which then woke this one through an eventfd", wt.TID), w.Evidence)
		a.piece(&c, l, h, conf)
		at = h
	})
	if at < hi {
		a.piece(iv, at, hi, conf)
	}
}

// pieceShared adds the piece [lo, hi) of a learned thread's interval, cut where the
// number of spans running in the process changes: where the span was alone it has the
// confidence of the learning (alone), elsewhere the thread's time was shared (Share).
func (j *joiner) pieceShared(pid int32, iv *Interval, lo, hi int64, alone Confidence, add func(iv *Interval, lo, hi int64, conf Confidence)) {
	st := j.busy[pid]
	k := sort.Search(len(st), func(k int) bool { return st[k].t > lo })
	for at := lo; at < hi; {
		next := hi
		if k < len(st) && st[k].t < hi {
			next = st[k].t
			k++
		}
		conf := alone
		if j.concurrency(pid, at) > 1 {
			conf = Share
		}
		add(iv, at, next, conf)
		at = next
	}
}

// walkThread calls f for each piece of th's intervals inside w and returns their total.
func (j *joiner) walkThread(th *Thread, w window, f func(iv *Interval, lo, hi int64)) int64 {
	ivs := th.Intervals
	k := sort.Search(len(ivs), func(k int) bool { return ivs[k].End > w.lo })
	var covered int64
	for ; k < len(ivs) && ivs[k].Start < w.hi; k++ {
		lo, hi := max(ivs[k].Start, w.lo), min(ivs[k].End, w.hi)
		if lo < hi {
			f(&ivs[k], lo, hi)
			covered += hi - lo
		}
	}
	return covered
}

// rank orders interval states for the process-wide view: running beats waiting for a CPU
// beats being blocked, and among blocked causes the most specific wins.
func rank(iv *Interval) int {
	switch iv.State {
	case OnCPU:
		return 0
	case RunQueue:
		return 1
	}
	r, ok := causeRank[Cause(iv.Kind)]
	if !ok {
		r = len(causeRank)
	}
	return 2 + r
}

// processWide attributes window w to the state of the threads that may have run the span:
// at each moment the most telling of their states. Where they all agree and the span ran
// alone in its process, the state is the span's (Process); otherwise it is shared.
//
// With longest, among threads blocked at once, one in an unbroken wait that lasted at
// least three quarters of the window stands before one in a shorter sleep, whatever their
// causes' ranks. Sampled, the edges of a span are a period or two wide, and helper threads
// that wake every 20 ms (a pinger's sleep, a ticker's poll timing out) are found on CPU at
// both edges beside the thread that ran the span; their timers came and went while that
// thread waited once, the span long. Short waits of other causes keep their rank: a
// handler that writes and fsyncs in turn waits in pieces, while the thread that handed it
// the work waits for it in one piece (the wait counts until the thread runs again: a
// woken thread waiting for a CPU has not run the span's code yet). (A thread that handed the span its work and waits
// for its end waits that long too: between it and the span's thread the cause's rank
// decides, as before — a lock or condition wait ranks last.) Not for Go, whose idle
// threads wait for ever.
func (j *joiner) processWide(pid int32, ths []*Thread, atBoth, longest bool, w window, a *acc) {
	cuts := []int64{w.lo, w.hi}
	for _, th := range ths {
		j.walkThread(th, w, func(_ *Interval, lo, hi int64) { cuts = append(cuts, lo, hi) })
	}
	for _, st := range j.busy[pid] { // where the number of spans sharing the process changes
		if st.t > w.lo && st.t < w.hi {
			cuts = append(cuts, st.t)
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	pos := make([]int, len(ths)) // per thread: first interval that may cover the segment
	for t, th := range ths {
		pos[t] = sort.Search(len(th.Intervals), func(k int) bool { return th.Intervals[k].End > w.lo })
	}
	var waits [][]int64 // with longest: per thread and interval, its unbroken wait in w
	spanning := 3 * (w.hi - w.lo) / 4
	if longest {
		waits = make([][]int64, len(ths))
		for t, th := range ths {
			waits[t] = waitLengths(th.Intervals, w)
		}
	}
	for c := 0; c+1 < len(cuts); c++ {
		lo, hi := cuts[c], cuts[c+1]
		var best *Interval
		var bestSpans bool
		agree := true
		for t, th := range ths {
			for pos[t] < len(th.Intervals) && th.Intervals[pos[t]].End <= lo {
				pos[t]++
			}
			if pos[t] < len(th.Intervals) {
				iv := &th.Intervals[pos[t]]
				if iv.Start <= lo && iv.End >= hi {
					if best != nil && (iv.State != best.State || iv.Kind != best.Kind) {
						agree = false
					}
					spans := longest && waits[t][pos[t]] >= spanning
					switch {
					case best == nil:
						best, bestSpans = iv, spans
					case iv.State == Blocked && best.State == Blocked && spans != bestSpans &&
						((spans && best.Kind == string(CauseSleep)) || (bestSpans && iv.Kind == string(CauseSleep))):
						if spans {
							best, bestSpans = iv, spans
						}
					case rank(iv) < rank(best):
						best, bestSpans = iv, spans
					}
				}
			}
		}
		if best == nil {
			a.add(CatUnexplained, "", None, hi-lo, "no thread of the process observed then")
			continue
		}
		conf := Process
		if !agree || !atBoth || j.concurrency(pid, lo) > 1 {
			conf = Share
		}
		a.piece(best, lo, hi, conf)
	}
}

// waitLengths gives, for each interval, the length inside w of the unbroken wait it is part
// of: the contiguous intervals off CPU around it, blocked or waiting for a CPU after being
// woken (0 for those on CPU).
func waitLengths(ivs []Interval, w window) []int64 {
	out := make([]int64, len(ivs))
	for k := 0; k < len(ivs); {
		if ivs[k].State == OnCPU {
			k++
			continue
		}
		e := k + 1
		for e < len(ivs) && ivs[e].State != OnCPU && ivs[e].Start == ivs[e-1].End {
			e++
		}
		n := max(0, min(ivs[e-1].End, w.hi)-max(ivs[k].Start, w.lo))
		for i := k; i < e; i++ {
			out[i] = n
		}
		k = e
	}
	return out
}

// list turns the accumulator into parts, largest first, each with its three weightiest
// pieces of evidence.
func (a *acc) list() []Part {
	var out []Part
	for k, p := range a.parts {
		part := Part{Category: k.cat, Cause: k.cause, Time: time.Duration(p.d), Confidence: k.conf}
		type ev struct {
			s string
			d int64
		}
		var evs []ev
		for s, d := range p.ev {
			evs = append(evs, ev{s, d})
		}
		slices.SortFunc(evs, func(x, y ev) int { return cmp.Or(cmp.Compare(y.d, x.d), cmp.Compare(x.s, y.s)) })
		for n, e := range evs {
			if n == 3 {
				part.Evidence = append(part.Evidence, fmt.Sprintf("… and %d more", len(evs)-3))
				break
			}
			part.Evidence = append(part.Evidence, e.s)
		}
		out = append(out, part)
	}
	slices.SortFunc(out, func(x, y Part) int {
		return cmp.Or(cmp.Compare(y.Time, x.Time), cmp.Compare(x.Label(), y.Label()), cmp.Compare(x.Confidence, y.Confidence))
	})
	return out
}

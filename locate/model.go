package locate

import (
	"fmt"
	"strings"
	"time"

	"github.com/strata-dev/strata/internal/feature"
)

// Span is one OTLP span, reduced to what the join needs. Times are wall clock.
type Span struct {
	TraceID  string    `json:"trace_id"`
	SpanID   string    `json:"span_id"`
	ParentID string    `json:"parent_id,omitempty"`
	Name     string    `json:"name"`
	Service  string    `json:"service,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	PID      int32     `json:"pid,omitempty"`  // resource process.pid, or found by port
	TID      int32     `json:"tid,omitempty"`  // span attribute thread.id
	Port     int       `json:"port,omitempty"` // server.port / net.host.port, to find the process
	// Runtime is the resource's telemetry.sdk.language ("go", "nodejs", "python", …):
	// it says how the runtime maps spans onto threads.
	Runtime string            `json:"runtime,omitempty"`
	Attrs   map[string]string `json:"attributes,omitempty"`
	// Tied says how PID was found when the span did not carry process.pid: "port"
	// (server.port), "parent" (an ancestor span's process) or "trace" (the one process of
	// the span's trace). Empty when the span named its process.
	Tied string `json:"tied,omitempty"`
}

// Wall is the span's duration.
func (s Span) Wall() time.Duration { return time.Duration(s.End.UnixNano() - s.Start.UnixNano()) }

// EventKind says what an [Event] records.
type EventKind uint8

// Event kinds, as the eBPF collector emits them.
const (
	// EvSwitchOut: the thread left its CPU. State is the kernel's prev_state (0: preempted,
	// still runnable), Syscall the syscall it was in (-1: none), Short the kernel time of
	// the short syscalls it made during the slice that ends here, by [Class].
	EvSwitchOut EventKind = iota + 1
	// EvSwitchIn: the thread got a CPU.
	EvSwitchIn
	// EvWakeup: the thread was made runnable by Waker: the thread that woke it, or 0 when
	// the wakeup came from interrupt context (a hardirq, a softirq, an hrtimer: a timer
	// expiring, a device or the network completing) or from the idle task.
	EvWakeup
	// EvSyscall: a syscall that blocked or ran for at least the collector's threshold,
	// reported at its exit: Start is its entry, Time its exit.
	EvSyscall
	// EvBlockIO: a block device request issued by the thread, Start at issue, Time at
	// completion, Ret the bytes.
	EvBlockIO
	// EvExit: the thread exited (its last moments on CPU follow).
	EvExit
	// EvInFlight: when the collector began observing the thread's process, the thread was
	// off CPU inside syscall Syscall (State 1: sleeping, 2: uninterruptible), with FD its
	// first argument and FDKind that descriptor's kind, as /proc showed at Time; the
	// syscall began before, at a time not known. The eBPF collector writes it (from user
	// space, not the kernel) only for a thread that had no syscall entry or exit of its own
	// since its process became a target, so the thread's own events win over it.
	EvInFlight
)

var eventKindNames = [...]string{"", "switch-out", "switch-in", "wakeup", "syscall", "block-io", "exit", "in-flight"}

func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && k > 0 {
		return eventKindNames[k]
	}
	return fmt.Sprintf("event-%d", k)
}

// FDKind is what a file descriptor referred to when a syscall used it.
type FDKind uint8

// File descriptor kinds.
const (
	FDUnknown FDKind = iota
	FDFile
	FDSocket
	FDPipe
	FDOther
	FDTimer  // a timerfd
	FDEvent  // an eventfd: one thread notifying another
	FDSignal // a signalfd
	nFDKind
)

var fdKindNames = [...]string{"", "file", "socket", "pipe", "other", "timerfd", "eventfd", "signalfd"}

// FDKinds is a set of [FDKind]s, bit 1<<kind for each: the kinds of the descriptors a
// poll found ready.
type FDKinds uint32

// Has says whether k is in the set.
func (s FDKinds) Has(k FDKind) bool { return s&(1<<k) != 0 }

// String lists the kinds ("socket+pipe").
func (s FDKinds) String() string {
	var names []string
	for k := FDKind(0); k < nFDKind; k++ {
		if s.Has(k) {
			n := k.String()
			if k == FDUnknown {
				n = "unknown"
			}
			names = append(names, n)
		}
	}
	return strings.Join(names, "+")
}

func (k FDKind) String() string {
	if int(k) < len(fdKindNames) {
		return fdKindNames[k]
	}
	return "other"
}

// Event is one kernel event for one thread, with times in wall-clock nanoseconds since the
// Unix epoch (the collector converts from the kernel's monotonic clock). Which fields mean
// something depends on Kind.
type Event struct {
	Kind       EventKind      `json:"k"`
	Time       int64          `json:"t"`
	PID        int32          `json:"pid"`
	TID        int32          `json:"tid"`
	State      uint32         `json:"state,omitempty"`
	Syscall    int32          `json:"sys,omitempty"`
	FD         int32          `json:"fd,omitempty"`
	FDKind     FDKind         `json:"fdk,omitempty"`
	Start      int64          `json:"start,omitempty"`
	Ret        int64          `json:"ret,omitempty"`
	Short      [NClass]uint64 `json:"short,omitzero"`
	ShortCount uint32         `json:"shortn,omitempty"`
	// FaultCount: for EvSwitchOut, the page faults the thread took in user mode during
	// the slice; Fault the time timed in them, in ns (from the fault's entry to its
	// mapping the page: the kernel's handler, without what a hypervisor adds).
	FaultCount uint32 `json:"faultn,omitempty"`
	Fault      uint64 `json:"fault,omitempty"`
	Waker      int32  `json:"waker,omitempty"`
	WakerPoll  int64  `json:"wpoll,omitempty"` // when the waker last returned from a waiting poll (poll, select, epoll_wait…) that found descriptors or blocked and timed out
	PollRet    int64  `json:"wpret,omitempty"` // what that poll returned
	// WakerReady is the kinds of the descriptors the waker's last poll found ready.
	WakerReady FDKinds `json:"wready,omitempty"`
	// WakerPID is the waker's process; WakerExiting says the waker was exiting (its
	// descriptors closing, its parent being signalled): a child that ended.
	WakerPID     int32 `json:"wpid,omitempty"`
	WakerExiting bool  `json:"wexit,omitempty"`
	// Ready: for a poll-family syscall, the kinds of the descriptors it found ready.
	Ready FDKinds `json:"ready,omitempty"`
	Write bool    `json:"w,omitempty"` // block I/O: a write
	// Again, AgainFD and AgainN: for an EvSwitchOut in a syscall, when the thread's last
	// read or write that found its descriptor not ready (EAGAIN, or a connect in progress)
	// returned, that descriptor's kind, and how many of the thread's reads and writes
	// since found a socket, pipe or file ready. A runtime that parks its threads in futex
	// (Go's locked threads) parks one for the descriptor right after such a try.
	Again   int64  `json:"again,omitempty"`
	AgainFD FDKind `json:"againfd,omitempty"`
	AgainN  uint32 `json:"againn,omitempty"`
	// WakerIO and WakerIOFD: for an EvWakeup by a thread of a target, when the waker's
	// last read or write that moved data returned (within 20 ms), and its descriptor's
	// kind: a thread that wakes another right after reading a socket hands on what it
	// read.
	WakerIO   int64  `json:"wio,omitempty"`
	WakerIOFD FDKind `json:"wiofd,omitempty"`
	// SigReturn and SigReturnN: for an EvSwitchOut in a syscall, when the thread last
	// returned from a signal handler (rt_sigreturn), and how many syscalls other than
	// futex it finished since. Go preempts a goroutine with a signal; a locked thread
	// whose goroutine was preempted parks in futex right after, until its turn.
	SigReturn  int64  `json:"sigret,omitempty"`
	SigReturnN uint32 `json:"sigretn,omitempty"`
	// Attached: for an EvSyscall, the syscall was already in flight when the collector
	// began observing the thread (see [EvInFlight]): its entry was not seen, and Start is
	// when the collector found it, not when it began.
	Attached bool `json:"attached,omitempty"`
}

// State is what a thread is doing during an [Interval].
type State uint8

// Thread states.
const (
	OnCPU State = iota + 1
	RunQueue
	Blocked
)

func (s State) String() string {
	switch s {
	case OnCPU:
		return "on-cpu"
	case RunQueue:
		return "runqueue"
	case Blocked:
		return "blocked"
	}
	return "unknown"
}

// Cause is why a thread was blocked.
type Cause string

// Blocked causes.
const (
	CauseDisk    Cause = "disk"    // waiting for block I/O: fsync, reads and writes of files, page faults in D state
	CauseNetwork Cause = "network" // socket syscalls, or poll/epoll that returned ready descriptors
	CauseLock    Cause = "lock"    // futex waits (mutexes, condition variables; in Go also a parked locked thread)
	CauseSleep   Cause = "sleep"   // nanosleep, and poll/epoll that timed out
	CausePipe    Cause = "pipe"    // reads and writes of pipes
	CauseChild   Cause = "child"   // wait4/waitid for a child process
	CauseIO      Cause = "io"      // reads and writes whose descriptor could not be resolved
	CauseOther   Cause = "other"   // blocked outside a syscall we can name
)

// causeRank orders causes for the process-wide view: when several threads that may run
// the span are blocked at once, the most telling cause stands for them. A wait whose cause
// is not known (io, other) tells least.
var causeRank = map[Cause]int{CauseDisk: 0, CauseNetwork: 1, CausePipe: 2, CauseChild: 3, CauseSleep: 4, CauseLock: 5, CauseIO: 6, CauseOther: 7}

// Interval is a stretch of time during which a thread was in one state.
type Interval struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	State State `json:"state"`
	// Kind: for OnCPU inside a long syscall, that syscall's class (the time is kernel time);
	// for Blocked, the Cause. Empty for OnCPU outside long syscalls: then Short holds the
	// kernel time of short syscalls inside, and the rest is user time.
	Kind  string        `json:"kind,omitempty"`
	Short [NClass]int64 `json:"short,omitzero"`
	// Fault: for OnCPU outside long syscalls, the kernel time timed in page faults
	// inside the interval (not user time); FaultCount how many page faults the thread
	// took in user mode in it (their untimed part reads as user time).
	Fault      int64  `json:"fault,omitempty"`
	FaultCount int64  `json:"faultn,omitempty"`
	Evidence   string `json:"evidence,omitempty"`
	// Poll: Blocked in a waiting poll-family call (poll, select, epoll_wait…): an event
	// loop waiting for whatever it has pending.
	Poll bool `json:"poll,omitempty"`
	// Unsure: the cause was inferred where the collector could not tell it from others
	// (sampled: a poll's timeout, a child beside a pipe): its part is at most Share.
	Unsure bool `json:"unsure,omitempty"`
	// Read: sampled, the cause was read from the program's own record of what the thread
	// waited for (a Go runtime's wait reason for the goroutine locked to the thread),
	// not inferred from the syscall.
	Read bool `json:"read,omitempty"`

	bySyscall bool  // already labeled by a long syscall: later overlapping ones are noise
	futex     bool  // a futex wait (eBPF): what a Go runtime says its goroutine waited for may name it (see [GoWait])
	ranOut    bool  // a futex wait that ran out (ETIMEDOUT): a sleep, unless a runtime's own
	waker     int32 // blocked until a thread of the process notified it (an eventfd): that thread's time is the wait's
	holder    int32 // a lock wait: the thread of the process that woke it (released the lock)
}

// Len is the interval's length in nanoseconds.
func (iv Interval) Len() int64 { return iv.End - iv.Start }

// Thread is one observed thread and its intervals, sorted by start and not overlapping.
type Thread struct {
	TID       int32      `json:"tid"`
	PID       int32      `json:"pid"`
	Intervals []Interval `json:"intervals"`
}

// Timeline is what a collector saw: every observed thread's intervals.
type Timeline struct {
	// Source is "ebpf" or "procfs".
	Source string `json:"source"`
	// Sampled is true when the intervals come from sampling /proc: times are estimates
	// with the sampling period as resolution.
	Sampled bool `json:"sampled,omitempty"`
	// Period is the sampling period when Sampled.
	Period time.Duration `json:"period,omitempty"`
	Start  int64         `json:"start"`
	End    int64         `json:"end"`
	// Lost counts kernel events the collector could not deliver (ring buffer full).
	Lost uint64 `json:"lost"`
	// Missed counts kernel map updates that failed (thread or process table full).
	Missed uint64 `json:"missed,omitempty"`
	// Dropped counts events received beyond the collector's cap on kept events.
	Dropped uint64 `json:"dropped,omitempty"`
	// Events counts the kernel events received.
	Events  uint64            `json:"events"`
	Threads map[int32]*Thread `json:"threads"`
	Notes   []string          `json:"notes,omitempty"`
}

// Confidence says how sure an attribution is.
type Confidence string

// Confidences, strongest first.
const (
	// Exact: the span names its thread (thread.id) and the time is that thread's.
	Exact Confidence = "exact"
	// Learned: the span named no thread, but the thread that ran it was learned — the
	// main thread of a runtime that runs its handlers there (Node.js), or the one thread
	// of the process on CPU both when the span started and when it ended — and the time
	// is that thread's. The breakdown's Match says how it was learned. A Node.js event
	// loop that waited in its poll during the span ran other callbacks too: its time on
	// CPU then is Share.
	Learned Confidence = "learned"
	// Process: the thread that ran the span is not known, but every thread that could
	// have (those on CPU at the span's start and end) was in the same state, and the span
	// was the only one of its process running then.
	Process Confidence = "process"
	// Share: the state shown is shared: several spans of the process ran at once, or the
	// threads that could have run the span disagreed and the most telling of their states
	// is shown. Threads idle at the span's start and end never stand for it.
	Share Confidence = "share"
	// None: nothing observed (unexplained time).
	None Confidence = "none"
)

// Category is the kind of a [Part].
type Category string

// Categories of a span's time.
const (
	CatChildren    Category = "children"    // covered by child spans
	CatUser        Category = "cpu-user"    // on CPU in user space
	CatKernel      Category = "cpu-kernel"  // on CPU in the kernel, by syscall class
	CatBlocked     Category = "blocked"     // off CPU, waiting, by cause
	CatRunQueue    Category = "runqueue"    // runnable, waiting for a CPU
	CatUnexplained Category = "unexplained" // nothing observed
)

// CauseFault is the cause of the [CatKernel] part spent handling page faults outside
// syscalls ("cpu-kernel/fault"): a fresh buffer's first touch maps its pages one by one.
const CauseFault = "fault"

// Part is one share of a span's wall time.
type Part struct {
	Category   Category      `json:"category"`
	Cause      string        `json:"cause,omitempty"`
	Time       time.Duration `json:"time_ns"`
	Confidence Confidence    `json:"confidence"`
	Evidence   []string      `json:"evidence,omitempty"`
}

// Label is "category" or "category/cause".
func (p Part) Label() string {
	if p.Cause == "" {
		return string(p.Category)
	}
	return string(p.Category) + "/" + p.Cause
}

// Breakdown is a span and where its wall time went. The parts add up to Wall exactly.
type Breakdown struct {
	Span  Span          `json:"span"`
	Wall  time.Duration `json:"wall_ns"`
	Parts []Part        `json:"parts"`
	// Match says how the span was tied to kernel events: "thread 1234", "process 1200",
	// or why it was not.
	Match string `json:"match"`
}

// Sum adds the parts up.
func (b Breakdown) Sum() time.Duration {
	var s time.Duration
	for _, p := range b.Parts {
		s += p.Time
	}
	return s
}

// Dominant is the label (category and cause) that holds the most of the span's own time
// (children excluded), as one part: its parts' times summed, the evidence of the largest.
// Its confidence is the strongest that its parts of that confidence or stronger alone
// make it the largest (a label exact for 10 ms and a share for 7 ms beside another of
// 8 ms is exact; beside one of 12 ms, a share). Tied with another label (the label seen
// first among the parts is taken), none of its confidences makes it the largest: it is
// claimed at the weakest of its parts that hold time. A zero Part when there is none.
func (b Breakdown) Dominant() Part {
	var order []string
	sums := map[string]time.Duration{}
	for _, p := range b.Parts {
		if p.Category == CatChildren {
			continue
		}
		if _, ok := sums[p.Label()]; !ok {
			order = append(order, p.Label())
		}
		sums[p.Label()] += p.Time
	}
	var best string
	var runnerUp time.Duration
	for _, l := range order {
		switch t := sums[l]; {
		case best == "" || t > sums[best]:
			if best != "" {
				runnerUp = sums[best]
			}
			best = l
		case t > runnerUp:
			runnerUp = t
		}
	}
	if best == "" || sums[best] == 0 {
		return Part{}
	}
	var pieces []Part
	for _, p := range b.Parts {
		if p.Category != CatChildren && p.Label() == best {
			pieces = append(pieces, p)
		}
	}
	d := pieces[0]
	d.Time = sums[best]
	var largest time.Duration
	for _, p := range pieces {
		if p.Time > largest {
			largest, d.Evidence = p.Time, p.Evidence
		}
	}
	for _, c := range []Confidence{Exact, Learned, Process, Share, None} {
		var sure time.Duration
		for _, p := range pieces {
			if !stronger(c, p.Confidence) {
				sure += p.Time
			}
		}
		if d.Confidence = c; sure > runnerUp || sure == d.Time {
			break
		}
	}
	return d
}

// Get returns the time of the part with this label ("blocked/disk", "cpu-user"); for a
// bare category it sums all of its causes.
func (b Breakdown) Get(label string) time.Duration {
	var s time.Duration
	for _, p := range b.Parts {
		if p.Label() == label || string(p.Category) == label {
			s += p.Time
		}
	}
	return s
}

// Report is the answer of [Join]: breakdowns, slowest span first.
type Report struct {
	Source     string      `json:"source"`
	Sampled    bool        `json:"sampled,omitempty"`
	Period     string      `json:"sample_period,omitempty"`
	Events     uint64      `json:"events"`
	Lost       uint64      `json:"lost_events"`
	Missed     uint64      `json:"missed_updates,omitempty"`
	Dropped    uint64      `json:"dropped_events,omitempty"`
	Spans      int         `json:"spans"`
	Breakdowns []Breakdown `json:"breakdowns"`
	Notes      []string    `json:"notes,omitempty"`
	// Refused is the OTLP requests the receiver refused, grouped by status, reason and
	// client (set by the caller from [Receiver.Refused]).
	Refused []Refusal `json:"refused_requests,omitempty"`
}

// ErrNotSupported is wrapped by the errors of collectors that cannot run here (no eBPF,
// no root, no BTF, kernel lockdown); callers fall back to sampling, tests skip.
// It is the one sentinel probe and bench re-export too, and it wraps errors.ErrUnsupported.
var ErrNotSupported = feature.ErrNotSupported

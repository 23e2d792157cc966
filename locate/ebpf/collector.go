//go:build linux && amd64

package ebpf

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/strata-dev/strata/locate"
)

// Options configure a [Collector].
type Options struct {
	// Logger receives what the collector does (default: silent).
	Logger *slog.Logger
	// LongSyscall: syscalls at least this long are sent as events (default 1ms); those
	// that leave the CPU are always sent.
	LongSyscall time.Duration
	// FollowForks adds the processes the targets fork to the targets.
	FollowForks bool
	// MaxEvents caps the events kept in memory (default [DefaultMaxEvents]); later ones
	// are counted as dropped and reported, not kept.
	MaxEvents int
}

// DefaultMaxEvents is the default cap on the events a [Collector] keeps: at about 136
// bytes each in memory (and once more while [locate.Build] sorts a copy), 20 million
// events take some 5 GiB.
const DefaultMaxEvents = 20_000_000

// Stats is what a [Collector] has counted so far.
type Stats struct {
	// Events received and kept.
	Events uint64
	// Lost in the kernel: the ring buffer was full.
	Lost uint64
	// Missed kernel map updates: the thread or process table was full, so some threads'
	// syscalls or some forked processes were not followed.
	Missed uint64
	// Dropped events received beyond Options.MaxEvents.
	Dropped uint64
}

// Collector observes the target processes through eBPF.
type Collector struct {
	log    *slog.Logger
	objs   locateObjects
	links  []link.Link
	rd     *ringbuf.Reader
	offset int64 // wall - monotonic, ns
	start  int64
	class  [maxSyscall]uint8 // the kernel's syscall class table (sys_class)

	notes []string

	mu      sync.Mutex
	max     int
	dropped uint64
	chunks  [][]locate.Event
	pids    []int32
	ignore  map[int32]bool
	n       uint64
	done    chan struct{}
	quit    chan struct{}
	stopped bool
}

// classFD marks, in the kernel's syscall class table, syscalls whose first argument is a
// descriptor (CLASS_FD in bpf/locate.bpf.c).
const classFD = 0x8

// maxSyscall bounds the syscall numbers the kernel's class table holds (MAX_SYSCALL).
const maxSyscall = 512

// sysAttached marks, in a syscall event's flags, a syscall that was in flight when its
// process became a target (SYS_ATTACHED in bpf/locate.bpf.c).
const sysAttached = 0x2

// wakeupBytes is how much must wait in the ring before the kernel wakes the reader.
const wakeupBytes = 64 << 10

// New loads the BPF program, attaches it and starts reading. Add processes to observe.
func New(ctx context.Context, opts Options) (*Collector, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.LongSyscall <= 0 {
		opts.LongSyscall = time.Millisecond
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = DefaultMaxEvents
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return nil, fmt.Errorf("%w: no kernel BTF (/sys/kernel/btf/vmlinux): %v", locate.ErrNotSupported, err)
	}
	// No RLIMIT_MEMLOCK to raise: since Linux 5.11 (minKernel is later) eBPF memory is
	// charged to the cgroup. cilium/ebpf's rlimit package would raise it, but its init
	// lowers the limit and creates a BPF map in every process that links it: every strata
	// command, not only locate.
	c := &Collector{log: log, max: opts.MaxEvents, done: make(chan struct{}), quit: make(chan struct{})}
	if err := loadLocateObjects(&c.objs, nil); err != nil {
		var uts unix.Utsname
		_ = unix.Uname(&uts)
		release := unix.ByteSliceToString(uts.Release[:])
		if kernelOlder(release, minKernel) {
			return nil, fmt.Errorf("%w: load eBPF program: needs Linux ≥ %d.%d (tp_btf/sched_switch with prev_state), this is %s: %v", locate.ErrNotSupported, minKernel[0], minKernel[1], release, err)
		}
		return nil, fmt.Errorf("%w: load eBPF program (needs root, BTF, no lockdown): %v", locate.ErrNotSupported, err)
	}
	fail := func(err error) (*Collector, error) {
		c.close()
		return nil, err
	}
	for nr := int32(0); nr < maxSyscall; nr++ {
		v := uint8(locate.SyscallClass(nr))
		if locate.TakesFD(nr) {
			v |= classFD
		}
		c.class[nr] = v
		if v != 0 {
			if err := c.objs.SysClass.Put(uint32(nr), v); err != nil {
				return fail(fmt.Errorf("fill syscall classes: %w", err))
			}
		}
	}
	cfg := locateConfig{LongNs: uint64(opts.LongSyscall), WakeupBytes: wakeupBytes}
	if opts.FollowForks {
		cfg.FollowForks = 1
	}
	if err := c.objs.Cfg.Put(uint32(0), cfg); err != nil {
		return fail(fmt.Errorf("configure: %w", err))
	}
	// The interrupt exits before their entries: an entry seen without its exit would leave
	// a CPU marked as in an interrupt; an exit without its entry is ignored.
	progs := []*ebpf.Program{c.objs.OnIrqExit, c.objs.OnSoftirqExit, c.objs.OnHrtimerExit,
		c.objs.OnIrqEntry, c.objs.OnSoftirqEntry, c.objs.OnHrtimerEntry,
		c.objs.OnSwitch, c.objs.OnWaking, c.objs.OnSysEnter, c.objs.OnSysExit, c.objs.OnRqIssue, c.objs.OnRqComplete, c.objs.OnFork, c.objs.OnExit,
		c.objs.OnFaultUser, c.objs.OnRssStat}
	for _, p := range progs {
		l, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			return fail(fmt.Errorf("%w: attach %s: %v", locate.ErrNotSupported, p, err))
		}
		c.links = append(c.links, l)
	}
	rd, err := ringbuf.NewReader(c.objs.Events)
	if err != nil {
		return fail(fmt.Errorf("ring buffer: %w", err))
	}
	c.rd = rd
	c.offset = clockOffset()
	c.start = time.Now().UnixNano()
	go c.read()
	log.Debug("ebpf collector started", "long_syscall", opts.LongSyscall, "clock_offset_ns", c.offset)
	return c, nil
}

// clockOffset is wall time minus CLOCK_MONOTONIC, from the tightest of a few readings.
func clockOffset() int64 {
	best, off := int64(1<<62), int64(0)
	for range 16 {
		var a, b unix.Timespec
		_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &a)
		w := time.Now().UnixNano()
		_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &b)
		if d := b.Nano() - a.Nano(); d < best {
			best, off = d, w-(a.Nano()+d/2)
		}
	}
	return off
}

// Add makes pid a target: from now on its threads' events are collected. Its threads
// already asleep in a syscall are seeded (see [Collector.seed]), so their first wait is
// known by its syscall.
func (c *Collector) Add(pid int) error {
	if err := c.objs.Targets.Put(uint32(pid), uint8(1)); err != nil {
		return fmt.Errorf("add target %d: %w", pid, err)
	}
	evs := c.seed(pid)
	c.mu.Lock()
	c.pids = append(c.pids, int32(pid))
	for _, e := range evs {
		c.keep(e)
	}
	c.mu.Unlock()
	return nil
}

// seed tells the kernel side which syscall each thread of pid is asleep in now that pid
// is a target. The kernel saw those syscalls' entries before pid was a target, so without
// this a thread that was waiting when strata attached leaves that wait without a syscall:
// its first wait, and the part of a span in it, would be blocked/other.
//
// For each thread, /proc/PID/task/TID/syscall names the syscall it is in (while it is not
// on a CPU) and its arguments; the thread's kernel state is written with them only where
// none exists (BPF_NOEXIST), and the kernel side creates a thread's state at any syscall
// entry or exit it sees, so a thread that left the syscall after pid became a target (after
// /proc was read, even) keeps its own, newer state: its own events win. A seeded syscall's
// exit is sent as an event marked Attached; its start is not known (the seed's time
// stands for it). For a thread /proc showed sleeping (S or D), seed also returns an
// [locate.EvInFlight] event, so the wait is known even if it lasts past the recording.
func (c *Collector) seed(pid int) []locate.Event {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		c.log.Debug("seed: no threads", "pid", pid, "err", err)
		return nil
	}
	var evs []locate.Event
	for _, ent := range ents {
		tid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		if e, ok := c.seedThread(pid, tid); ok {
			evs = append(evs, e)
		}
	}
	return evs
}

// seedThread seeds one thread; ok: it was seeded and asleep, e says in what.
func (c *Collector) seedThread(pid, tid int) (e locate.Event, ok bool) {
	base := fmt.Sprintf("/proc/%d/task/%d/", pid, tid)
	state := procState(base + "stat") // read first: a thread woken since is R, or its own events say so
	nr, args, ok := procSyscall(base + "syscall")
	if !ok || nr < 0 || nr >= maxSyscall {
		return e, false // running, or asleep outside a syscall (a page fault), or gone
	}
	var now unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &now)
	st := locateTstate{SysStart: uint64(now.Nano()), Sys: nr, Fd: int32(args[0]), Switched: 1, Seeded: 1,
		Arg0: args[0], Arg1: args[1], Arg2: args[2], Cls: uint32(c.class[nr])}
	if err := c.objs.Threads.Update(uint32(tid), &st, ebpf.UpdateNoExist); err != nil {
		if !errors.Is(err, ebpf.ErrKeyExist) { // a full table: the thread is not seeded
			c.log.Debug("seed thread", "tid", tid, "err", err)
		}
		return e, false
	}
	if st := procState(base + "stat"); st == 0 || st == 'Z' || st == 'X' {
		// Exited meanwhile: the kernel side deleted its state at the exit, before this
		// one was written; a thread that reuses the id must not find it.
		_ = c.objs.Threads.Delete(uint32(tid))
		return e, false
	}
	if state != 'S' && state != 'D' {
		return e, false
	}
	e = locate.Event{Kind: locate.EvInFlight, Time: now.Nano() + c.offset, PID: int32(pid), TID: int32(tid), Syscall: nr, FD: int32(args[0]), State: 1}
	if state == 'D' {
		e.State = 2
	}
	if locate.TakesFD(nr) {
		target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, e.FD))
		e.FDKind = locate.FDKindOf(target)
	}
	return e, true
}

// procState is the state letter of /proc/PID/task/TID/stat (0 when unreadable).
func procState(path string) byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')') // the name may hold spaces and parentheses
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// procSyscall reads /proc/PID/task/TID/syscall: the syscall the thread is asleep in and
// its first three arguments ("nr arg0 … arg5 sp pc"); not ok when it is running ("running")
// or the file cannot be read. nr is -1 for a thread asleep outside a syscall.
func procSyscall(path string) (nr int32, args [3]uint64, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, args, false
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return 0, args, false
	}
	n, err := strconv.ParseInt(f[0], 10, 32)
	if err != nil {
		return 0, args, false
	}
	if n < 0 {
		return int32(n), args, true
	}
	if len(f) < 9 {
		return 0, args, false
	}
	for i := range args {
		if args[i], err = strconv.ParseUint(f[1+i], 0, 64); err != nil {
			return 0, args, false
		}
	}
	return int32(n), args, true
}

// ForksOf makes the processes that pid forks from now on targets (with
// Options.FollowForks), without observing pid itself, until the returned function is
// called. strata uses it on itself around starting the command, so the command is
// observed from its first instruction.
func (c *Collector) ForksOf(pid int) (done func(), err error) {
	c.mu.Lock()
	if c.ignore == nil {
		c.ignore = map[int32]bool{}
	}
	c.ignore[int32(pid)] = true
	c.mu.Unlock()
	if err := c.objs.Targets.Put(uint32(pid), uint8(1)); err != nil {
		return nil, fmt.Errorf("follow forks of %d: %w", pid, err)
	}
	return func() { _ = c.objs.Targets.Delete(uint32(pid)) }, nil
}

// minKernel is the oldest kernel the BPF program loads on: tp_btf/sched_switch got its
// prev_state argument in 5.18.
var minKernel = [2]int{5, 18}

// kernelOlder says whether a uname release ("5.15.0-91-generic") is older than v.
func kernelOlder(release string, v [2]int) bool {
	var major, minor int
	if n, _ := fmt.Sscanf(release, "%d.%d", &major, &minor); n < 2 {
		return false
	}
	return major < v[0] || (major == v[0] && minor < v[1])
}

// Stats reports what the collector counted so far.
func (c *Collector) Stats() Stats {
	c.mu.Lock()
	st := Stats{Events: c.n, Dropped: c.dropped}
	c.mu.Unlock()
	st.Lost, st.Missed = c.lost(), c.missed()
	return st
}

func (c *Collector) lost() uint64 { return sumPerCPU(c.objs.Lost) }

func (c *Collector) missed() uint64 { return sumPerCPU(c.objs.Missed) }

func sumPerCPU(m *ebpf.Map) uint64 {
	var per []uint64
	if err := m.Lookup(uint32(0), &per); err != nil {
		return 0
	}
	var n uint64
	for _, v := range per {
		n += v
	}
	return n
}

// eventSize is sizeof(struct event).
const eventSize = 200

// DecodeEvent decodes one ring-buffer record (struct event) with monotonic times.
func DecodeEvent(b []byte) (locate.Event, error) {
	if len(b) < eventSize {
		return locate.Event{}, fmt.Errorf("short event: %d bytes, want %d", len(b), eventSize)
	}
	le := binary.LittleEndian
	e := locate.Event{
		Time:       int64(le.Uint64(b[0:])),
		Start:      int64(le.Uint64(b[8:])),
		Ret:        int64(le.Uint64(b[16:])),
		WakerPoll:  int64(le.Uint64(b[24:])),
		PollRet:    int64(le.Uint64(b[32:])),
		PID:        int32(le.Uint32(b[40:])),
		TID:        int32(le.Uint32(b[44:])),
		Kind:       locate.EventKind(le.Uint32(b[48:])),
		State:      le.Uint32(b[52:]),
		Syscall:    int32(le.Uint32(b[56:])),
		FD:         int32(le.Uint32(b[60:])),
		Waker:      int32(le.Uint32(b[64:])),
		ShortCount: le.Uint32(b[68:]),
	}
	for i := range e.Short {
		e.Short[i] = le.Uint64(b[72+8*i:])
	}
	e.FDKind = locate.FDKind(le.Uint32(b[136:]))
	e.Ready = locate.FDKinds(le.Uint32(b[140:]))
	e.WakerReady = locate.FDKinds(le.Uint32(b[144:]))
	e.WakerPID = int32(le.Uint32(b[148:]))
	flags := le.Uint32(b[152:])
	e.WakerExiting = flags&1 != 0
	e.Attached = e.Kind == locate.EvSyscall && flags&sysAttached != 0
	e.FaultCount = le.Uint32(b[156:])
	e.Fault = le.Uint64(b[160:])
	again, againFD := int64(le.Uint64(b[168:])), locate.FDKind(le.Uint32(b[176:]))
	if againFD > locate.FDSignal {
		againFD = locate.FDUnknown
	}
	if e.Kind == locate.EvWakeup {
		e.WakerIO, e.WakerIOFD = again, againFD
	} else {
		e.Again, e.AgainFD, e.AgainN = again, againFD, le.Uint32(b[180:])
		e.SigReturn, e.SigReturnN = int64(le.Uint64(b[184:])), le.Uint32(b[192:])
	}
	if e.FDKind > locate.FDSignal {
		e.FDKind = locate.FDUnknown
	}
	if e.Kind < locate.EvSwitchOut || e.Kind > locate.EvExit {
		return e, fmt.Errorf("unknown event kind %d", e.Kind)
	}
	if e.Kind == locate.EvBlockIO {
		e.Write, e.State = e.State == 1, 0
	}
	return e, nil
}

// The reader drains the ring buffer after a wait between readMin and readMax, set so
// the ring (16 MiB, some 80,000 events) would be about an eighth full at the rate the
// last wait saw: a quiet service is read ten times a second, a busy one up to a hundred.
// At readMax, a burst from nothing to 400,000 events/s (208 bytes each) fills the ring
// about halfway before it is read.
const (
	readMin = 10 * time.Millisecond
	readMax = 100 * time.Millisecond
)

// nextWait is the wait after one of wait that found n bytes in a ring of size bytes.
func nextWait(wait time.Duration, n, size int) time.Duration {
	if n <= 0 {
		return readMax
	}
	return min(readMax, max(readMin, time.Duration(float64(wait)*float64(size/8)/float64(n))))
}

// read drains the ring buffer on a Go timer, without waiting in epoll_wait: a goroutine
// blocked in a system call holds its P, and the Go runtime's sysmon thread then polls
// every 20 µs or so to take it back: much of the collector's own CPU at a few thousand
// events/s. A timer parks the goroutine in the scheduler instead. The program still asks
// the kernel to wake a reader at WakeupBytes; nobody waits in epoll for it.
func (c *Collector) read() {
	defer close(c.done)
	// A deadline in the past: each ReadInto returns what is in the ring, then
	// ErrDeadlineExceeded, after a zero-timeout epoll_wait.
	c.rd.SetDeadline(time.Unix(1, 0))
	var rec ringbuf.Record
	batch := make([]locate.Event, 0, 1024)
	size := c.rd.BufferSize()
	wait := readMin
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		var n int
		for {
			more, open, bytes := c.drain(&rec, &batch)
			n += bytes
			if !open {
				return
			}
			if !more {
				break
			}
		}
		wait = nextWait(wait, n, size)
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-c.quit: // Stop detached the program: what is left is all there is
			for {
				if more, open, _ := c.drain(&rec, &batch); !more || !open {
					return
				}
			}
		}
	}
}

// drain reads what the ring holds, up to a batch, and keeps it. more: the batch filled
// (read again at once); open: the reader is neither closed nor flushed; n: the bytes
// read.
func (c *Collector) drain(rec *ringbuf.Record, batch *[]locate.Event) (more, open bool, n int) {
	b := (*batch)[:0]
	open = true
	for len(b) < cap(b) {
		err := c.rd.ReadInto(rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil { // closed or flushed: Stop drains
			open = false
			break
		}
		n += len(rec.RawSample)
		e, derr := DecodeEvent(rec.RawSample)
		if derr != nil {
			c.log.Debug("bad event", "err", derr)
			continue
		}
		c.toWall(&e)
		b = append(b, e)
	}
	*batch = b
	if len(b) == 0 {
		return false, open, n
	}
	c.mu.Lock()
	for _, e := range b {
		c.keep(e)
	}
	c.mu.Unlock()
	return len(b) == cap(b), open, n
}

// keep keeps e, unless it is of an ignored process or beyond the cap. c.mu is held.
func (c *Collector) keep(e locate.Event) {
	if c.ignore[e.PID] {
		return
	}
	if c.n >= uint64(c.max) {
		c.dropped++
		return
	}
	c.n++
	if len(c.chunks) == 0 || len(c.chunks[len(c.chunks)-1]) == chunkLen {
		c.chunks = append(c.chunks, make([]locate.Event, 0, chunkLen))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, e)
}

// chunkLen is how many events one chunk of the kept events holds: they are kept in
// chunks, so a long recording is not copied each time it outgrows its slice.
const chunkLen = 8192

func (c *Collector) toWall(e *locate.Event) {
	e.Time += c.offset
	if e.Start != 0 {
		e.Start += c.offset
	}
	if e.WakerPoll != 0 {
		e.WakerPoll += c.offset
	}
	if e.Again != 0 {
		e.Again += c.offset
	}
	if e.WakerIO != 0 {
		e.WakerIO += c.offset
	}
	if e.SigReturn != 0 {
		e.SigReturn += c.offset
	}
}

// Stop detaches the program, drains the ring buffer and returns the recording.
func (c *Collector) Stop() (*locate.Recording, error) {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return nil, errors.New("collector already stopped")
	}
	c.stopped = true
	c.mu.Unlock()
	end := time.Now().UnixNano()
	for _, l := range c.links {
		_ = l.Close()
	}
	c.links = nil
	close(c.quit)
	<-c.done
	lost, missed := c.lost(), c.missed()
	c.close()
	c.mu.Lock()
	defer c.mu.Unlock()
	rec := &locate.Recording{Source: "ebpf", Start: c.start, End: end, Lost: lost, Missed: missed, Dropped: c.dropped, PIDs: c.pids, Events: c.joined(), Notes: c.notes}
	if lost > 0 {
		rec.Notes = append(rec.Notes, fmt.Sprintf("%d kernel events were lost (ring buffer full); times near them are less certain", lost))
	}
	if missed > 0 {
		rec.Notes = append(rec.Notes, fmt.Sprintf("%d kernel map updates failed (thread or process table full): some threads' syscalls or forked processes were not followed", missed))
	}
	if c.dropped > 0 {
		rec.Notes = append(rec.Notes, fmt.Sprintf("%d events arrived after the cap of %d kept events and were dropped: the timelines end early (raise --max-events)", c.dropped, c.max))
	}
	c.chunks = nil
	return rec, nil
}

// joined is the kept events in one slice.
func (c *Collector) joined() []locate.Event {
	if len(c.chunks) == 1 {
		return c.chunks[0]
	}
	var n int
	for _, ch := range c.chunks {
		n += len(ch)
	}
	if n == 0 {
		return nil
	}
	out := make([]locate.Event, 0, n)
	for _, ch := range c.chunks {
		out = append(out, ch...)
	}
	return out
}

func (c *Collector) close() {
	for _, l := range c.links {
		_ = l.Close()
	}
	if c.rd != nil {
		_ = c.rd.Close()
	}
	_ = c.objs.Close()
}

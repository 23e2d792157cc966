package procfs

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/strata-dev/strata/locate"
)

// Sample is one reading of one thread.
type Sample struct {
	Time    int64 // wall ns
	PID     int32
	TID     int32
	Stat    Stat
	Sched   Schedstat
	Syscall Syscall
	FDKind  locate.FDKind
	Wchan   string
	// Children are the live child processes of the thread (/proc/PID/task/TID/children),
	// read while it waits in a poll or on a pipe or socket.
	Children []int32
	// ChildExited says a child listed at the thread's previous sample has exited since
	// (gone, or a zombie).
	ChildExited bool
	// Ready is the kind of a descriptor that the epoll wait the thread was blocked in at
	// its previous sample found ready, read when the thread has run since: the first
	// entry of the event array the call returned into (see [Sampler] on reading it).
	// Zero where not known.
	Ready locate.FDKinds
	// Go is, for a futex wait of a Go program's thread, what the goroutine locked to the
	// thread waits for, read from the runtime's memory (see goruntime.go); zero where
	// there is none or it is not known.
	Go goWait
	// IO is the thread's block I/O counters (read_bytes + write_bytes of its io file:
	// storage read, page cache dirtied), read while it is busy (state R or D), at the
	// first sample after, and at any sample it ran since the one before (a worker
	// thread may take a job, write and wait again between two samples); carried over from
	// the previous sample otherwise (a thread asleep does no I/O). IOKnown says it was
	// read at this sample or one before.
	IO      uint64
	IOKnown bool
	// FutexDeadline is when the futex wait the thread is in times out (wall ns), read
	// from the process's memory; 0: none, or not known.
	FutexDeadline int64
	// CPU is the thread's raw user and system time, where the kernel was asked (see
	// taskstats): asked when it has run since its previous sample, carried over otherwise.
	CPU CPUTime
	// pollChildren are the children of the poll the thread was in at the previous
	// sample, looked at again at the next (see read).
	pollChildren []int32

	// Netpoller says the epoll set the thread waits on keys every descriptor by a
	// pointer rather than its number, as Go's netpoller does: a runtime's poller, which
	// hands what it finds to the threads parked for it (libuv and most C key by number).
	Netpoller bool
	// Newest is the kind of the descriptor (not an eventfd: a runtime's own wakeup) that
	// epoll set was last seen to begin watching, and NewestAt when (wall ns; 0: none was
	// seen begin, only those there when the set was first read); read for netpollers.
	Newest   locate.FDKind
	NewestAt int64

	// epollWait is the epoll wait the thread was last seen blocked in, while it has not
	// run since (state R with schedstat's run time not grown: woken, or running with the
	// counter not yet updated); epollRun its run time then.
	epollWait *Syscall
	epollRun  uint64
}

// CPUTime is a thread's user and system time as the clock ticks fell (nanoseconds),
// unscaled; Raw says it was read (see taskstats).
type CPUTime struct {
	User, System uint64
	Raw          bool
}

// Options configure a [Sampler].
type Options struct {
	// Period between samples (default 2ms).
	Period time.Duration
	// Proc is the proc file system's mount point (default /proc).
	Proc string
	// ClockTick is the USER_HZ of utime and stime (default 100).
	ClockTick int
	// Logger receives what the sampler does (default: silent).
	Logger *slog.Logger
	// Realtime samples from a thread at the lowest real-time priority (SCHED_FIFO 1),
	// where the sampler may set it: a loaded machine then does not stretch its periods.
	Realtime bool
}

// Sampler samples the threads of the target processes. It is safe for concurrent use.
type Sampler struct {
	opts    Options
	log     *slog.Logger
	mu      sync.Mutex
	pids    []int32
	samples map[int32][]Sample
	start   int64
	n       uint64
	// epoll is, per process and epoll descriptor, what its registered descriptors'
	// event data stood for when a thread was last seen waiting on it (see readEpoll).
	epoll map[epollKey]map[uint64]watched
	// during is, per process and epoll descriptor, what its registered descriptors'
	// event data stood for during the wait a thread was last seen in on it: read while
	// the thread was still in that wait (see epollReady).
	during map[epollKey]epollSet
	// fdKinds caches descriptor kinds by number and inode.
	fdKinds map[fdKey]locate.FDKind
	// seen is when a descriptor (by number and inode) was first seen watched by an
	// epoll set (see readEpoll).
	seen map[fdKey]int64
	// files are the /proc files kept open between samples.
	files procFiles
	// gos is, per target, its Go runtime where one can be read (see goruntime.go);
	// loading counts the reads under way.
	gos     map[int32]*goProc
	loading sync.WaitGroup
	// ts asks the kernel for threads' raw CPU times (nil: it cannot be asked, and
	// /proc's scaled utime and stime are all there is: see taskstats); tsErr says why.
	tsMu  sync.Mutex
	ts    *taskstats
	tsErr error
	// rt says Run sampled at real-time priority; rtErr why not, where it was asked to.
	rt    bool
	rtErr error
}

type epollKey struct {
	pid int32
	fd  int64
}

// epollSet is what an epoll set watched, read while thread tid was in wait (with run
// time run, as its sample showed them).
type epollSet struct {
	tid  int32
	wait Syscall
	run  uint64
	reg  map[uint64]watched
}

// watched is a descriptor an epoll set watches.
type watched struct {
	fd   int64
	ino  string
	kind locate.FDKind
}

// maxFDKinds bounds the descriptor kinds a Sampler keeps.
const maxFDKinds = 4096

type fdKey struct {
	pid int32
	fd  int64
	ino string
}

// New makes a sampler; Run drives it.
func New(opts Options) *Sampler {
	if opts.Period <= 0 {
		opts.Period = 2 * time.Millisecond
	}
	if opts.Proc == "" {
		opts.Proc = "/proc"
	}
	if opts.ClockTick <= 0 {
		opts.ClockTick = 100
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sampler{opts: opts, log: log, samples: map[int32][]Sample{}, start: time.Now().UnixNano(),
		epoll: map[epollKey]map[uint64]watched{}, during: map[epollKey]epollSet{}, fdKinds: map[fdKey]locate.FDKind{}, seen: map[fdKey]int64{}, gos: map[int32]*goProc{}}
	s.files.byPath = !isProcFS(opts.Proc)
	if s.files.byPath {
		s.tsErr = errors.New("not the kernel's /proc")
	} else {
		s.ts, s.tsErr = newTaskstats()
	}
	return s
}

// Add makes pid a target.
func (s *Sampler) Add(pid int) error {
	if _, err := os.Stat(filepath.Join(s.opts.Proc, strconv.Itoa(pid))); err != nil {
		return fmt.Errorf("sample process %d: %w", pid, err)
	}
	s.mu.Lock()
	s.pids = append(s.pids, int32(pid))
	s.mu.Unlock()
	// A Go program's runtime, read beside the sampling: its DWARF takes tens of
	// milliseconds to read (until then, its futex waits are what sampling sees).
	s.loading.Add(1)
	go func() {
		defer s.loading.Done()
		g, err := openGoProc(s.opts.Proc, int32(pid))
		if err != nil {
			if !errors.Is(err, errNotGo) {
				s.log.Debug("Go runtime not read", "pid", pid, "err", err)
			}
			return
		}
		s.mu.Lock()
		s.gos[int32(pid)] = g
		s.mu.Unlock()
	}()
	return nil
}

// Run samples every period until ctx ends. With Options.Realtime it samples from a
// thread of its own at real-time priority where it may (see realtime), sleeping on the
// kernel's timer between samples; where it may not, it says why in the recording's notes
// and samples as without.
func (s *Sampler) Run(ctx context.Context) {
	if s.opts.Realtime {
		undo, err := realtime()
		s.mu.Lock()
		s.rt, s.rtErr = err == nil, err
		s.mu.Unlock()
		if err == nil {
			defer undo()
			// A cancel wakes it from its sleep: a period may be long (--sample-period
			// 1h slept an hour after Ctrl-C).
			w := newWaker()
			defer w.close()
			defer context.AfterFunc(ctx, w.fire)()
			next, cpu0 := monotonic(), threadCPU()
			for {
				s.SampleOnce()
				if ctx.Err() != nil {
					return
				}
				// The next period from this one's start; one that has passed already is
				// not made up for. At real-time priority nothing else of its priority
				// or below runs on its CPU while it samples: it sleeps at least as long
				// as it ran since it last woke (targets with thousands of threads take
				// longer than a period to read; the wakeup and the sleep's own call are
				// as long as a sample of a small target: timed by the sample alone, a
				// 1 ns period took 60 % of a CPU), so it never takes more than half a
				// CPU, by the kernel's own count of its run time (the thread's clock).
				now, cpu := monotonic(), threadCPU()
				next = max(next+min(int64(s.opts.Period), math.MaxInt64-next), now+(cpu-cpu0)) // no wrap past 2^63
				if w.sleepUntil(next) {
					return // cancelled
				}
				cpu0 = cpu
			}
		}
	}
	t := time.NewTicker(s.opts.Period)
	defer t.Stop()
	for {
		s.SampleOnce()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SampleOnce reads every thread of every target once.
func (s *Sampler) SampleOnce() {
	s.mu.Lock()
	pids := slices.Clone(s.pids)
	s.mu.Unlock()
	for _, pid := range pids {
		s.mu.Lock()
		g := s.gos[pid]
		s.mu.Unlock()
		if base := filepath.Join(s.opts.Proc, strconv.Itoa(int(pid))); g != nil && !g.sameExe(base) {
			// It exec'd another program (or is gone): its runtime is no longer the one
			// read.
			s.mu.Lock()
			delete(s.gos, pid)
			s.mu.Unlock()
			s.files.drop(filepath.Join(base, "mem"))
		}
		dir := filepath.Join(s.opts.Proc, strconv.Itoa(int(pid)), "task")
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue // gone
		}
		for _, e := range ents {
			tid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			s.mu.Lock()
			var prev *Sample
			if ss := s.samples[int32(tid)]; len(ss) > 0 {
				p := ss[len(ss)-1]
				prev = &p
			}
			s.mu.Unlock()
			if smp, ok := s.read(pid, int32(tid), filepath.Join(dir, e.Name()), prev); ok {
				s.mu.Lock()
				s.samples[smp.TID] = append(s.samples[smp.TID], smp)
				s.n++
				s.mu.Unlock()
			}
		}
	}
	s.files.sweep()
}

func (s *Sampler) read(pid, tid int32, dir string, prev *Sample) (Sample, bool) {
	smp := Sample{Time: time.Now().UnixNano(), PID: pid, TID: tid, Syscall: Syscall{Nr: -1}}
	b, err := s.files.read(filepath.Join(dir, "stat"))
	if err != nil {
		return smp, false
	}
	if smp.Stat, err = ParseStat(b); err != nil {
		return smp, false
	}
	if b, err = s.files.read(filepath.Join(dir, "schedstat")); err == nil {
		smp.Sched, _ = ParseSchedstat(b)
	}
	smp.CPU = s.cpuTime(tid, smp.Sched, prev)
	if prev != nil && prev.epollWait != nil {
		if smp.Sched.RunNS > prev.epollRun {
			// Blocked in an epoll wait and run since: the wait returned (or was woken
			// without events: then the array is older).
			smp.Ready = s.epollReady(pid, tid, *prev.epollWait, prev.epollRun)
		} else {
			smp.epollWait, smp.epollRun = prev.epollWait, prev.epollRun
		}
	}
	if smp.Stat.State != 'S' || prev == nil || prev.Stat.State != 'S' || smp.Sched.RunNS != prev.Sched.RunNS {
		if b, err = s.files.read(filepath.Join(dir, "io")); err == nil {
			smp.IO, err = ParseIO(b)
			smp.IOKnown = err == nil
		}
	} else if prev != nil {
		smp.IO, smp.IOKnown = prev.IO, prev.IOKnown
	}
	if smp.Stat.State != 'R' {
		if b, err = s.files.read(filepath.Join(dir, "syscall")); err == nil {
			if sc, err := ParseSyscall(b); err == nil {
				smp.Syscall = sc
			}
		}
		if b, err = s.files.read(filepath.Join(dir, "wchan")); err == nil {
			smp.Wchan = string(b)
		}
		if smp.Syscall.Nr >= 0 && locate.SyscallClass(smp.Syscall.Nr) != locate.ClassOther && smp.Syscall.Arg0 < 1<<20 {
			smp.FDKind = fdKind(filepath.Join(s.opts.Proc, strconv.Itoa(int(pid)), "fd", strconv.FormatInt(smp.Syscall.Arg0, 10)))
		}
		if isEpollWait(smp.Syscall.Nr) {
			sc := smp.Syscall
			reg := s.parseEpoll(pid, sc.Arg0)
			smp.Netpoller, smp.Newest, smp.NewestAt = s.readEpoll(pid, sc.Arg0, reg, smp.Time)
			if !smp.Netpoller {
				smp.Newest, smp.NewestAt = locate.FDUnknown, 0
			}
			smp.epollWait, smp.epollRun = &sc, smp.Sched.RunNS
			// The set is what the wait's event data stand for only if it was read before
			// the wait returned: a program that closes a descriptor as soon as its wait
			// returns (Node, a connection that answered) has it gone from the set if the
			// sampler is kept off the CPU between reading the syscall and the set.
			if s.stillIn(dir, sc, smp.Sched.RunNS) {
				s.mu.Lock()
				s.during[epollKey{pid, sc.Arg0}] = epollSet{tid: tid, wait: sc, run: smp.Sched.RunNS, reg: reg}
				s.mu.Unlock()
			}
		}
		if locate.SyscallName(smp.Syscall.Nr) == "futex" {
			smp.FutexDeadline = s.futexDeadline(pid, smp, prev)
			s.mu.Lock()
			g := s.gos[pid]
			s.mu.Unlock()
			if g != nil {
				smp.Go = s.goWait(g, pid, tid)
			}
		}
		if locate.IsPoll(smp.Syscall.Nr) || smp.FDKind == locate.FDPipe || smp.FDKind == locate.FDSocket {
			if b, err = s.files.read(filepath.Join(dir, "children")); err == nil {
				smp.Children = parseChildren(b)
			}
		}
	}
	var prevChildren []int32
	if prev != nil {
		prevChildren = prev.Children
		if prev.Stat.State != 'R' && locate.IsPoll(prev.Syscall.Nr) && !locate.IsPoll(smp.Syscall.Nr) {
			// A poll that a child's exit ended wakes when the child closes its files,
			// before it is a zombie: under load the child may be seen alive once more.
			// Its children are looked at again at the next sample.
			smp.pollChildren = prev.Children
		} else if prev.pollChildren != nil && smp.Children == nil && smp.Sched.RunNS == prev.Sched.RunNS {
			// Not run since (waiting for a CPU): still looked at.
			smp.pollChildren = prev.pollChildren
		}
		if prevChildren == nil {
			prevChildren = prev.pollChildren
		}
	}
	for _, c := range prevChildren {
		if exited(filepath.Join(s.opts.Proc, strconv.Itoa(int(c)), "stat")) {
			smp.ChildExited = true
			break
		}
	}
	return smp, true
}

// cpuTime asks the kernel for thread tid's raw CPU times, where it can be asked and the
// thread has run since its previous sample; otherwise it is the previous sample's.
func (s *Sampler) cpuTime(tid int32, sched Schedstat, prev *Sample) CPUTime {
	if prev != nil && prev.CPU.Raw && sched.RunNS == prev.Sched.RunNS {
		return prev.CPU
	}
	s.tsMu.Lock()
	defer s.tsMu.Unlock()
	if s.ts == nil {
		return CPUTime{}
	}
	u, k, err := s.ts.cpu(tid)
	if err != nil {
		return CPUTime{} // gone, most likely
	}
	return CPUTime{User: u, System: k, Raw: true}
}

// stillIn says whether the thread whose task directory is dir is still in the syscall sc,
// with run time run, as a sample showed it: a thread that has left it since is running
// (the syscall file says so), in another call, or, blocked again in a call with the same
// arguments, has run (its run time grew).
func (s *Sampler) stillIn(dir string, sc Syscall, run uint64) bool {
	b, err := s.files.read(filepath.Join(dir, "syscall"))
	if err != nil {
		return false
	}
	if now, err := ParseSyscall(b); err != nil || now != sc {
		return false
	}
	if b, err = s.files.read(filepath.Join(dir, "schedstat")); err != nil {
		return false
	}
	st, err := ParseSchedstat(b)
	return err == nil && st.RunNS == run
}

// isEpollWait says whether nr is epoll_wait, epoll_pwait or epoll_pwait2: calls that
// return the ready descriptors in an array of the caller's.
func isEpollWait(nr int32) bool {
	switch locate.SyscallName(nr) {
	case "epoll_wait", "epoll_pwait", "epoll_pwait2":
		return true
	}
	return false
}

// epollReady reads the first struct epoll_event (u32 events, u64 data, packed) of the
// array an epoll wait (sc, as /proc showed it) returned into, from the process's memory,
// and gives the kind of the descriptor its data names, where the data is a descriptor
// (libuv, CPython and most C keep it so; Go keeps a tagged pointer, not read here). The
// array outlives the call in an event loop (libuv's is in the frame that runs the
// callbacks) and is only written when a call returns events: a wait that timed out
// leaves an older one, which the timeline tells by the wait's length against its timeout.
// The data is looked up in the set as it was read during that wait (thread tid's wait sc,
// with run time run), where it was.
// Reading another process's memory needs ptrace access (root, or its parent): without
// it nothing is known.
func (s *Sampler) epollReady(pid, tid int32, sc Syscall, run uint64) locate.FDKinds {
	var ev [12]byte
	if n, err := s.memRead(pid, ev[:], sc.Args[1]); n != len(ev) || err != nil {
		return 0
	}
	events := binary.LittleEndian.Uint32(ev[0:])
	data := binary.LittleEndian.Uint64(ev[4:])
	if events == 0 {
		return 0
	}
	// The data as the epoll set held it while the thread waited: exact whatever the
	// program keeps there, and still known once the descriptor is closed.
	s.mu.Lock()
	set := s.during[epollKey{pid, sc.Arg0}]
	s.mu.Unlock()
	var before map[uint64]watched
	if set.tid == tid && set.wait == sc && set.run == run {
		before = set.reg
	}
	w, ok := before[data]
	if !ok && before == nil {
		// The set was not read during that wait (it returned at once): as it was read
		// last, where the descriptor is still watched. The data is looked up whole: libuv
		// sets only its low half (the descriptor), and returns what it registered.
		s.mu.Lock()
		w, ok = s.epoll[epollKey{pid, sc.Arg0}][data]
		s.mu.Unlock()
	}
	k := w.kind
	switch {
	case ok:
	case int32(data) == -1 && before != nil:
		// libuv marks the event of a descriptor its callbacks closed (a connection
		// that answered) -1: it was one of those the set lost since the wait.
		now := s.watchedBy(pid, sc.Arg0)
		var gone locate.FDKinds
		for _, w := range before {
			if n, ok := now[w.fd]; !ok || n.ino != w.ino {
				gone |= 1 << w.kind
			}
		}
		if gone&(gone-1) != 0 || gone == 0 {
			return 0 // none, or of more than one kind
		}
		return gone
	case data < 1<<24:
		k = fdKind(filepath.Join(s.opts.Proc, strconv.Itoa(int(pid)), "fd", strconv.FormatUint(data, 10)))
	}
	if k == locate.FDUnknown {
		return 0
	}
	return 1 << k
}

// mem is process pid's memory, open.
func (s *Sampler) mem(pid int32) (*os.File, error) {
	return s.files.get(filepath.Join(s.opts.Proc, strconv.Itoa(int(pid)), "mem"))
}

// memRead reads process pid's memory at off into b. The memory file kept open reads
// nothing once the address space it was opened on is gone (the process exec'd another
// program, or exited): it is then opened again, once (TestKeptMemAfterExec).
func (s *Sampler) memRead(pid int32, b []byte, off int64) (int, error) {
	path := filepath.Join(s.opts.Proc, strconv.Itoa(int(pid)), "mem")
	for try := 0; ; try++ {
		f, err := s.files.get(path)
		if err != nil {
			return 0, err
		}
		n, err := f.ReadAt(b, off)
		if n > 0 || !errors.Is(err, io.EOF) || try > 0 {
			return n, err
		}
		s.files.dropFile(path, f)
	}
}

// goWait reads what the goroutine locked to thread tid of Go process pid (g) waits for.
func (s *Sampler) goWait(g *goProc, pid, tid int32) goWait {
	f, err := s.mem(pid)
	if err != nil {
		return goWait{}
	}
	return g.wait(&memReader{f: f}, tid, func(epfd int64) map[uint64]watched { return s.parseEpoll(pid, epfd) })
}

// watchedBy is what epoll descriptor epfd of pid watches now, by descriptor.
func (s *Sampler) watchedBy(pid int32, epfd int64) map[int64]watched {
	out := map[int64]watched{}
	for _, w := range s.parseEpoll(pid, epfd) {
		out[w.fd] = w
	}
	return out
}

// futexDeadline is when the futex wait smp shows times out, in wall ns: its timeout read
// from the process's memory, absolute for FUTEX_WAIT_BITSET (glibc's timed condition
// waits: V8's Atomics.wait, sem_timedwait), relative to the call's start for FUTEX_WAIT
// (then known only from a sample that saw the same call begin: the deadline of the
// previous sample carries over). 0 where there is none or it is not known.
func (s *Sampler) futexDeadline(pid int32, smp Sample, prev *Sample) int64 {
	const (
		futexWait        = 0
		futexWaitBitset  = 9
		futexClockRealtm = 256
	)
	op, tsp := smp.Syscall.Args[1], smp.Syscall.Args[3]
	cmd := op & 0x7f
	if tsp == 0 || (cmd != futexWait && cmd != futexWaitBitset) {
		return 0
	}
	if cmd == futexWait {
		// Relative: the call's start is not seen.
		return 0
	}
	if prev != nil && prev.Syscall == smp.Syscall && prev.Sched.RunNS == smp.Sched.RunNS && prev.FutexDeadline != 0 {
		return prev.FutexDeadline // the same call
	}
	var ts [16]byte
	if n, err := s.memRead(pid, ts[:], tsp); n != len(ts) || err != nil {
		return 0
	}
	sec, nsec := int64(binary.LittleEndian.Uint64(ts[0:])), int64(binary.LittleEndian.Uint64(ts[8:]))
	if sec < 0 || nsec < 0 || nsec >= 1e9 || sec > 1<<33 {
		return 0
	}
	at := sec*1e9 + nsec
	if op&futexClockRealtm != 0 {
		return at
	}
	now, ok := monotonicNow()
	if !ok {
		return 0
	}
	return smp.Time + (at - now)
}

// readEpoll notes reg, what epoll descriptor epfd of pid watches now (see parseEpoll).
//
// It says whether the set keys every descriptor by something other than its number (a
// pointer: Go's netpoller).
func (s *Sampler) readEpoll(pid int32, epfd int64, reg map[uint64]watched, now int64) (byPointer bool, newest locate.FDKind, newestAt int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := epollKey{pid, epfd}
	_, again := s.epoll[key]
	s.epoll[key] = reg
	byPointer = len(reg) > 0
	// Go keys its eventfd by the address of a variable in its data segment (0xf0d6b0 in
	// a non-PIE binary) and its descriptors by tagged pointers; below 64 KiB no program
	// keeps data, so small keys are descriptor numbers or indices.
	for data, w := range reg {
		if int64(int32(data)) == w.fd || data < 1<<16 {
			byPointer = false
		}
	}
	// The descriptor seen watched first last, other than eventfds: when the set is
	// first read, those it holds began before (0).
	if len(s.seen) >= maxFDKinds {
		clear(s.seen)
	}
	newest = locate.FDUnknown
	for _, w := range reg {
		if w.kind == locate.FDEvent {
			continue
		}
		k := fdKey{pid: pid, fd: w.fd, ino: w.ino}
		t, ok := s.seen[k]
		if !ok {
			if t = now; !again {
				t = 0
			}
			s.seen[k] = t
		}
		switch {
		case t == 0:
		case t > newestAt:
			newestAt, newest = t, w.kind
		case t == newestAt && newest != w.kind:
			newest = locate.FDUnknown
		}
	}
	return byPointer, newest, newestAt
}

// parseEpoll reads which descriptors epoll descriptor epfd of pid watches, and the event
// data each is registered with (/proc/PID/fdinfo/EPFD: "tfd: N events: E data: D … ino:
// I"), with their kinds: the watched descriptors by their event data.
func (s *Sampler) parseEpoll(pid int32, epfd int64) map[uint64]watched {
	base := filepath.Join(s.opts.Proc, strconv.Itoa(int(pid)))
	b, err := os.ReadFile(filepath.Join(base, "fdinfo", strconv.FormatInt(epfd, 10)))
	if err != nil {
		return nil
	}
	reg := map[uint64]watched{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[0] != "tfd:" || f[4] != "data:" {
			continue
		}
		fd, err1 := strconv.ParseInt(f[1], 10, 64)
		data, err2 := strconv.ParseUint(f[5], 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		key := fdKey{pid: pid, fd: fd}
		for _, x := range f[6:] {
			if v, ok := strings.CutPrefix(x, "ino:"); ok {
				key.ino = v
			}
		}
		s.mu.Lock()
		k, ok := s.fdKinds[key]
		s.mu.Unlock()
		if !ok {
			k = fdKind(filepath.Join(base, "fd", strconv.FormatInt(fd, 10)))
			s.mu.Lock()
			if len(s.fdKinds) >= maxFDKinds { // a server's connections come and go
				clear(s.fdKinds)
			}
			s.fdKinds[key] = k
			s.mu.Unlock()
		}
		reg[data] = watched{fd: fd, ino: key.ino, kind: k}
	}
	return reg
}

// maxChildren bounds the children kept per sample.
const maxChildren = 16

// parseChildren reads /proc/PID/task/TID/children: pids separated by spaces.
func parseChildren(b []byte) []int32 {
	var out []int32
	for _, f := range strings.Fields(string(b)) {
		if len(out) == maxChildren {
			break
		}
		if n, err := strconv.ParseInt(f, 10, 32); err == nil && n > 0 {
			out = append(out, int32(n))
		}
	}
	return out
}

// exited says whether the process whose stat file this is has exited: gone, or a zombie.
func exited(stat string) bool {
	b, err := os.ReadFile(stat)
	if err != nil {
		return true
	}
	st, err := ParseStat(b)
	return err == nil && (st.State == 'Z' || st.State == 'X')
}

// fdKind is what the descriptor at /proc/PID/fd/N is: by its link for sockets, pipes and
// anonymous inodes, by the type of the file it leads to for the rest (a FIFO on disk links
// to its path, and is a pipe).
func fdKind(path string) locate.FDKind {
	link, err := os.Readlink(path)
	if err != nil {
		return locate.FDUnknown
	}
	k := locate.FDKindOf(link)
	if k != locate.FDFile {
		return k
	}
	if fi, err := os.Stat(path); err == nil {
		switch {
		case fi.Mode()&os.ModeNamedPipe != 0:
			return locate.FDPipe
		case fi.Mode()&os.ModeSocket != 0:
			return locate.FDSocket
		case fi.Mode()&(os.ModeDevice|os.ModeCharDevice) != 0:
			return locate.FDOther
		}
	}
	return k
}

// closeKept closes what the sampler keeps open from one sample to the next, its /proc
// files and its taskstats socket; a sample taken after opens neither.
func (s *Sampler) closeKept() {
	s.files.close()
	s.tsMu.Lock()
	s.ts.close()
	s.ts = nil
	s.tsMu.Unlock()
}

// Stop returns the recording: the sampled timeline.
func (s *Sampler) Stop() *locate.Recording {
	s.loading.Wait()
	s.closeKept()
	raw := s.tsErr == nil // set in New only
	s.mu.Lock()
	defer s.mu.Unlock()
	end := time.Now().UnixNano()
	tl := Timeline(s.samples, s.opts.ClockTick, s.opts.Period)
	tl.Start, tl.End, tl.Events = s.start, end, s.n
	rec := &locate.Recording{Source: "procfs", Start: s.start, End: end, PIDs: slices.Clone(s.pids), Sampled: tl,
		Notes: []string{fmt.Sprintf("SAMPLED: /proc was read every %s; eBPF was not used, so times are estimates at that resolution and causes are what the thread was in when sampled", s.opts.Period)}}
	switch {
	case s.rt:
		rec.Notes = append(rec.Notes, "SAMPLED: the sampler ran at real-time priority (SCHED_FIFO 1), so a busy machine did not delay its periods")
	case s.rtErr != nil:
		rec.Notes = append(rec.Notes, fmt.Sprintf("SAMPLED: the sampler could not run at real-time priority (%v; it needs CAP_SYS_NICE): on a busy machine its periods stretch, and what happens inside a long one is laid out, not seen", s.rtErr))
	}
	if !raw {
		rec.Notes = append(rec.Notes, fmt.Sprintf("SAMPLED: user and kernel time are split as /proc's utime and stime, which the kernel scales by each thread's whole-life ratio, so the split is marked unsure (the raw clock ticks, from taskstats, could not be asked: %v; it needs CAP_NET_ADMIN)", s.tsErr))
	}
	return rec
}

// Timeline turns per-thread samples into intervals. Between two samples of a thread, the
// growth of schedstat's run time is on-CPU time (split into user and kernel by the growth
// of utime and stime) and the rest is waiting: on the run queue or blocked. schedstat's
// wait counter grows only when the thread gets a CPU again, by the whole wait, so a wait
// that arrives is laid back over the periods where it happened: the one where the thread
// ran, then earlier ones, as long as the thread was runnable (state R) at the samples in
// between. What stays unaccounted is run-queue time when the thread was runnable at both
// ends of the period (a thread in state R is never blocked), and blocked time otherwise,
// with the cause the syscall file showed at the later sample (or the earlier). Inside a
// period the order is not known; it is laid out as blocked, run queue, on CPU. Timeline is
// pure.
func Timeline(samples map[int32][]Sample, clockTick int, period time.Duration) *locate.Timeline {
	tl := &locate.Timeline{Source: "procfs", Sampled: true, Period: period, Threads: map[int32]*locate.Thread{}}
	// Four periods and a wall-clock time must stay an int64 (twice math.MaxInt64 wrapped
	// to -2 ns: every period was late): 36 years is as long as any.
	period = min(period, maxTimelinePeriod)
	sorted, ended, groups := map[int32][]Sample{}, map[int32][]pollEnd{}, map[int32][]waitGroup{}
	for tid, ss := range samples {
		ss = slices.Clone(ss)
		slices.SortFunc(ss, func(a, b Sample) int { return cmp.Compare(a.Time, b.Time) })
		sorted[tid] = ss
		ended[tid], groups[tid] = pollsEnded(ss, period)
	}
	via := handoffs(sorted, ended, groups, period)
	for tid, ss := range sorted {
		type span struct{ run, wait, free int64 }
		per := make([]span, len(ss))
		for i := 1; i < len(ss); i++ {
			a, b := ss[i-1], ss[i]
			dt := b.Time - a.Time
			if dt <= 0 {
				continue
			}
			p := &per[i]
			p.run = clampDelta(a.Sched.RunNS, b.Sched.RunNS, dt)
			p.free = dt - p.run
			// The wait that arrived with this period's run happened just before it.
			w := clampDelta(a.Sched.WaitNS, b.Sched.WaitNS, math.MaxInt64)
			for k := i; k >= 1 && w > 0; k-- {
				if k < i && ss[k].Stat.State != 'R' {
					break // not runnable at that sample: the wait began after it
				}
				take := min(w, per[k].free)
				per[k].wait += take
				per[k].free -= take
				w -= take
			}
		}
		ended, via := ended[tid], via[tid]
		th := &locate.Thread{TID: tid}
		for i := 1; i < len(ss); i++ {
			a, b, p := ss[i-1], ss[i], per[i]
			if b.Time <= a.Time {
				continue
			}
			th.PID = b.PID
			at := a.Time
			first := len(th.Intervals)
			// The sampler fell behind (a loaded machine keeps it off the CPU): where in
			// this long period the thread ran, waited or blocked is laid out, not seen.
			late := b.Time-a.Time > 2*int64(period)
			if p.free > 0 {
				if a.Stat.State == 'R' && b.Stat.State == 'R' {
					th.Intervals = append(th.Intervals, locate.Interval{Start: at, End: at + p.free, State: locate.RunQueue, Evidence: "sampled: runnable (state R), not running"})
				} else {
					th.Intervals = append(th.Intervals, blockedInterval(at, at+p.free, a, b, ended[i-1], ended[i], via[i-1], via[i]))
				}
				at += p.free
			}
			if p.wait > 0 {
				th.Intervals = append(th.Intervals, locate.Interval{Start: at, End: at + p.wait, State: locate.RunQueue, Evidence: "sampled schedstat"})
				at += p.wait
			}
			if p.run > 0 {
				iv := locate.Interval{Start: at, End: at + p.run, State: locate.OnCPU, Evidence: "sampled schedstat"}
				du, ds, raw := ticks(a, b)
				if du+ds == 0 && a.Syscall.Nr >= 0 && a.Syscall == b.Syscall && a.Stat.State != 'R' && b.Stat.State != 'R' {
					// No clock tick fell in the period (they are 4 to 10 ms apart), and
					// the thread was in the same syscall at both samples (fsync's file
					// system work): kernel time of that syscall, most likely.
					iv.Kind, iv.Unsure = locate.SyscallClass(b.Syscall.Nr).String(), true
					iv.Evidence = fmt.Sprintf("sampled: on CPU between two samples in %s", locate.SyscallName(b.Syscall.Nr))
				} else if du+ds == 0 && didBlockIO(a, b) {
					// No clock tick fell in the period, and meanwhile the thread read
					// from storage or dirtied the page cache (a write's copy runs on
					// CPU, in no call a sample shows): a file's work, most likely, rather
					// than the split of the ticks around it (an fsync loop's are a
					// handful, and one landing in the loop's user code made its writes
					// user time).
					iv.Short[locate.ClassFile], iv.Unsure = p.run, true
					iv.Evidence = "sampled: on CPU with no clock tick between the samples; its block I/O counters (read_bytes, write_bytes) grew meanwhile, so a file's work, most likely"
				} else {
					// Which of the run was user and which kernel time the clock ticks say
					// (4 to 10 ms apart, as the kernel was built). A period with none takes
					// the split of the smallest window of periods around it that holds one;
					// then, or when the thread was inside a syscall at one of the samples
					// (a write preempted while it copied), the split is inferred, not seen.
					// /proc's utime and stime (where taskstats could not be asked) are
					// scaled by the thread's whole-life ratio: never seen.
					ticked := du+ds > 0
					if !ticked {
						du, ds, raw = tickWindow(ss, i)
					}
					nr := b.Syscall.Nr
					if nr < 0 {
						nr = a.Syscall.Nr
					}
					if ds > 0 {
						cls := locate.ClassOther
						switch {
						case didBlockIO(a, b):
							// It read from storage or dirtied the page cache meanwhile:
							// a file's work, whatever call a sample showed it in (a
							// worker's futex wait for its next job is short).
							cls = locate.ClassFile
							iv.Evidence = "sampled: on CPU; its block I/O counters (read_bytes, write_bytes) grew meanwhile, so its kernel time was a file's"
						case nr >= 0:
							cls = locate.SyscallClass(nr)
						}
						iv.Short[cls] = share(p.run, ds, du+ds)
					}
					switch {
					case ticked && !raw:
						iv.Unsure = true
						if iv.Evidence == "sampled schedstat" {
							iv.Evidence = "sampled: on CPU"
						}
						iv.Evidence += "; user and kernel time split as /proc's utime and stime grew, which the kernel scales by the thread's whole-life ratio (the raw clock ticks, from taskstats, were not read)"
					case ticked:
					case du+ds == 0:
						iv.Unsure = true
						iv.Evidence = "sampled: on CPU with no clock tick near (user or kernel time not known)"
					case nr >= 0:
						iv.Unsure = true
						iv.Evidence = fmt.Sprintf("sampled: on CPU between two samples, one of them in %s, with no clock tick between (user or kernel time from the ticks around it)", locate.SyscallName(nr))
					case ds > 0:
						iv.Unsure = true
						iv.Evidence = "sampled: on CPU with no clock tick between the samples; user and kernel time split as the ticks around it"
					}
				}
				th.Intervals = append(th.Intervals, iv)
			}
			if late {
				for k := first; k < len(th.Intervals); k++ {
					th.Intervals[k].Unsure = true
				}
			}
		}
		if len(th.Intervals) > 0 {
			tl.Threads[tid] = th
		}
	}
	return tl
}

// maxTimelinePeriod bounds the period [Timeline] reckons with.
const maxTimelinePeriod = time.Duration(math.MaxInt64 / 8)

// didBlockIO says whether the thread read from storage or dirtied the page cache between
// samples a and b (its io file's read_bytes and write_bytes grew).
func didBlockIO(a, b Sample) bool { return a.IOKnown && b.IOKnown && b.IO > a.IO }

// ticks is how much the thread's user and system time grew from sample a to b: the raw
// clock ticks (taskstats) where both have them, /proc's scaled utime and stime
// otherwise (raw false); zero where a counter went back.
func ticks(a, b Sample) (du, ds int64, raw bool) {
	if a.CPU.Raw && b.CPU.Raw {
		if b.CPU.User < a.CPU.User || b.CPU.System < a.CPU.System {
			return 0, 0, true
		}
		return clampDelta(a.CPU.User, b.CPU.User, maxTicks), clampDelta(a.CPU.System, b.CPU.System, maxTicks), true
	}
	if b.Stat.UTime < a.Stat.UTime || b.Stat.STime < a.Stat.STime {
		return 0, 0, false
	}
	return clampDelta(a.Stat.UTime, b.Stat.UTime, maxTicks), clampDelta(a.Stat.STime, b.Stat.STime, maxTicks), false
}

// maxTicks bounds each of the growths ticks returns, so that their sum is an int64 (a
// counter that grew by more than 2^62, 146 years of nanoseconds, is garbage: a growth of
// 2^63 or more read as a negative one).
const maxTicks = math.MaxInt64 / 2

// share is the part of run that part is of whole (0 <= part <= whole, whole > 0),
// rounded down: run*part/whole without the product passing 2^63 (a run and ticks of 3 s
// each in nanoseconds would).
func share(run, part, whole int64) int64 {
	if run <= 0 || part <= 0 || whole <= 0 {
		return 0
	}
	part = min(part, whole)
	hi, lo := bits.Mul64(uint64(run), uint64(part))
	q, _ := bits.Div64(hi, lo, uint64(whole)) // hi < whole, as part <= whole and run < 2^63
	return int64(q)
}

// tickWindow is the user and system time growth (see ticks) of the smallest window of
// samples around period i (samples i-1 to i) that holds any, widened a sample each way at
// a time, at most maxTickWindow times; zero where none does or a counter went back.
func tickWindow(ss []Sample, i int) (du, ds int64, raw bool) {
	lo, hi := i-1, i
	for range maxTickWindow {
		if lo == 0 && hi == len(ss)-1 {
			break
		}
		lo, hi = max(lo-1, 0), min(hi+1, len(ss)-1)
		if du, ds, raw = ticks(ss[lo], ss[hi]); du+ds > 0 {
			return du, ds, raw
		}
	}
	return 0, 0, false
}

// maxTickWindow bounds [tickWindow]: 10 samples each way, 20 ms at the default 2 ms
// period, two clock ticks.
const maxTickWindow = 10

func clampDelta(a, b uint64, limit int64) int64 {
	if b < a || limit <= 0 || b-a > math.MaxInt64 {
		return 0 // went back, or grew by more than 292 years: not a counter's growth
	}
	return min(int64(b-a), limit)
}

// pollTimeout is the timeout in milliseconds of a poll or epoll_wait as its sampled
// arguments show it, and whether it has one (ppoll, select, pselect6 and epoll_pwait2
// pass theirs by pointer: not known; a negative timeout waits for ever).
func pollTimeout(sc Syscall) (int64, bool) {
	var ms int32 // an int: the kernel prints the register, -1 as 0xffffffff
	switch locate.SyscallName(sc.Nr) {
	case "poll":
		ms = int32(sc.Args[2])
	case "epoll_wait", "epoll_pwait":
		ms = int32(sc.Args[3])
	default:
		return 0, false
	}
	return int64(ms), ms > 0
}

// pollEnd is what a sampled poll is known to have ended by: nothing known (""), its
// timeout running out (sleep) or its thread's child exiting (child).
type pollEnd = locate.Cause

// pollsEnded says, for each sample, what ended the poll it shows the thread blocked in,
// where that can be known. A poll's return value is not sampled, but its timeout is:
// the samples that show one call (the same syscall with the same arguments, in a row)
// bound how long it lasted — at least from the first of them to the last, at most from
// the sample before to the sample after. A call that lasted about as long as its timeout
// (within what the samples around it leave unknown: a period each end, more when the
// sampler fell behind, up to a quarter of the timeout), and possibly all of it, ran out:
// sleep. One that ended as a child of its thread, alive while it waited, exited waited for
// the child (Node's spawnSync polls the child's pipes); where both fit, the child's exit
// seen at once outranks a timeout that fits only with the sampler's late periods. An
// epoll wait whose event array, read once the thread ran again, names a socket waited for
// the network (a pipe: pipe; a timerfd: sleep). Otherwise it found a descriptor ready, of
// a kind not known: io.
func pollsEnded(ss []Sample, period time.Duration) ([]pollEnd, []waitGroup) {
	out := make([]pollEnd, len(ss))
	var groups []waitGroup
	// One call: the same syscall and arguments, and the thread did not run between (an
	// event loop's next wait often has the same arguments).
	same := func(i, j int) bool {
		return ss[i].Stat.State != 'R' && ss[j].Stat.State != 'R' && ss[i].Syscall == ss[j].Syscall && ss[j].Sched.RunNS == ss[i].Sched.RunNS
	}
	for f := 0; f < len(ss); {
		l := f
		for l+1 < len(ss) && same(l, l+1) {
			l++
		}
		// The first sample after the call that shows the thread ran.
		next := l + 1
		for next < len(ss) && ss[next].Stat.State == 'R' && ss[next].Sched.RunNS == ss[l].Sched.RunNS {
			next++
		}
		var end pollEnd
		if d := ss[l].FutexDeadline; d != 0 && ss[f].Stat.State != 'R' && l+1 < len(ss) && d >= ss[l].Time-2*int64(period) && d <= ss[l+1].Time+2*int64(period) {
			// A timed futex wait that ended when its deadline came: it ran out.
			end = locate.CauseSleep
		}
		if ss[f].Stat.State != 'R' && locate.IsPoll(ss[f].Syscall.Nr) {
			loose := false
			if ms, ok := pollTimeout(ss[f].Syscall); ok {
				timeout := ms * int64(time.Millisecond)
				least := ss[l].Time - ss[f].Time
				most, slack := int64(math.MaxInt64), 2*int64(period)
				if f > 0 && l+1 < len(ss) {
					most = ss[l+1].Time - ss[f-1].Time
					// What the samples leave unknown at its two ends: a period each on
					// an idle machine; a loaded one delays the sampler, and its periods
					// stretch. Up to a quarter of the timeout (at least two periods
					// each end) it is still told from a wait its descriptors ended.
					slack = min(most-least, max(4*int64(period), timeout/4))
				}
				switch {
				case most < timeout:
				case least >= timeout-2*int64(period):
					end = locate.CauseSleep
				case least >= timeout-slack:
					// It fits only with the late periods: a child's exit seen at
					// once is taken first.
					loose = true
				}
			}
			if end == "" && len(ss[l].Children) > 0 && childEnded(ss, l) {
				end = locate.CauseChild
			}
			if end == "" && loose {
				end = locate.CauseSleep
			}
			// What its return left in its event array, read at the first sample after it
			// that shows the thread ran.
			if end == "" && next < len(ss) && ss[next].Ready != 0 {
				switch c := locate.PollCause(1, ss[next].Ready); c {
				case locate.CauseNetwork, locate.CausePipe, locate.CauseDisk, locate.CauseSleep:
					end = c
				}
			}
		}
		for k := f; k <= l; k++ {
			out[k] = end
		}
		if ss[f].Stat.State != 'R' && ss[f].Syscall.Nr >= 0 {
			groups = append(groups, waitGroup{first: f, last: l, next: next})
		}
		f = l + 1
	}
	return out, groups
}

// childEnded says whether the children of the thread that sample l shows it polling
// beside were seen gone soon after the poll: at the next sample, or a few later where the
// samples between show the child still exiting — it closes its files, which ends the
// poll, before it is a zombie, and a loaded machine may keep it (and the thread, woken)
// off the CPU between: the thread not run since the poll (or runnable and not run since
// the sample before), polling beside the same children again, or (at the first) out of
// its poll having found them gone.
func childEnded(ss []Sample, l int) bool {
	for k := l + 1; k < len(ss) && k <= l+maxChildExit; k++ {
		if ss[k].ChildExited {
			return true
		}
		waiting := ss[k].Sched.RunNS == ss[l].Sched.RunNS || ss[k].Stat.State == 'R' && ss[k].Sched.RunNS == ss[k-1].Sched.RunNS ||
			slices.Equal(ss[k].Children, ss[l].Children) && locate.IsPoll(ss[k].Syscall.Nr) ||
			k == l+1 && len(ss[k].Children) == 0 && !locate.IsPoll(ss[k].Syscall.Nr)
		if !waiting {
			return false
		}
	}
	return false
}

// maxChildExit bounds how many samples after a poll [childEnded] looks: 10 ms at the
// default 2 ms period.
const maxChildExit = 5

// waitGroup is one blocking call seen at samples first to last; next is the first sample
// after it that shows the thread ran (len(samples): none).
type waitGroup struct{ first, last, next int }

// maxHandOn bounds how many samples after a worker's call ended it is taken to hand its
// result on: 10 ms at the default 2 ms period.
const maxHandOn = 5

// handoff is an epoll wait of thread tid of process pid that ended, between lo and hi,
// for a known cause.
type handoff struct {
	pid, tid int32
	lo, hi   int64
	cause    locate.Cause
	name     string // the call, where it is not an epoll wait
	// began and kind: where the cause is inferred from the descriptor the netpoller
	// began watching last, when it was first seen and its kind.
	began int64
	kind  locate.FDKind
}

// handoffs names the futex waits that ended within the sampling period in which another
// thread of their process returned from a netpoller's epoll wait (see [Sample].Netpoller)
// for a known cause (a timeout, a socket or a pipe found ready): a netpoller handing work on — Go parks a goroutine's
// locked thread in a futex whatever the goroutine waits for, and the thread that polls
// wakes it within microseconds. At the sampling period's resolution it is a guess: the
// samples of such a wait get the cause in ended, and the evidence in via. Likewise an
// event loop's poll that its eventfd ended (or whose ready descriptors were not read), in
// the period in which another thread of its process ended an fsync or a write to a file:
// a thread pool's worker posting its result (Node's awaited fs calls), disk.
func handoffs(sorted map[int32][]Sample, ended map[int32][]pollEnd, groups map[int32][]waitGroup, period time.Duration) map[int32]map[int]string {
	var ends []handoff
	for tid, gs := range groups {
		ss := sorted[tid]
		for _, g := range gs {
			c, s := ended[tid][g.first], ss[g.last]
			if g.next >= len(ss) || !isEpollWait(s.Syscall.Nr) || !s.Netpoller {
				continue
			}
			h := handoff{pid: s.PID, tid: tid, lo: s.Time, hi: ss[g.next].Time, cause: c}
			if c == "" && s.NewestAt != 0 && (s.Newest == locate.FDSocket || s.Newest == locate.FDPipe) {
				// It returned before any timeout: with events, or woken by the runtime's
				// own eventfd (as Go wakes it to hand on any goroutine readied, one that
				// got a mutex too). Its event array is not readable once the thread has
				// run on (Go's is on the scheduler's stack), but what it watches is: a
				// descriptor it began watching just before the parked thread's wait (a
				// connection just dialled) is the likeliest; checked against the wait below.
				h.began, h.kind = s.NewestAt, s.Newest
				h.cause = map[locate.FDKind]locate.Cause{locate.FDSocket: locate.CauseNetwork, locate.FDPipe: locate.CausePipe}[s.Newest]
			}
			if h.cause == locate.CauseSleep || h.cause == locate.CauseNetwork || h.cause == locate.CausePipe {
				ends = append(ends, h)
			}
		}
	}
	// Waits read directly that a worker thread ends and then hands its result on: an
	// fsync (or a write to a file) on a thread pool's thread; and every sample that shows
	// a thread in such a call (seen, whether or not the sample after it shows it ended).
	var works, doing []handoff
	for tid, ss := range sorted {
		for k := 1; k < len(ss); k++ {
			if didBlockIO(ss[k-1], ss[k]) {
				doing = append(doing, handoff{pid: ss[k].PID, tid: tid, lo: ss[k-1].Time, hi: ss[k].Time, cause: locate.CauseDisk})
			}
		}
	}
	for tid, gs := range groups {
		ss := sorted[tid]
		for _, g := range gs {
			s := ss[g.first]
			// The call's last group: a call that runs on CPU now and then (fsync's file
			// system work) is seen as one group per period.
			if g.next >= len(ss) || ss[g.next].Syscall == s.Syscall || locate.BlockedCause(s.Syscall.Nr, s.FDKind) != locate.CauseDisk {
				continue
			}
			// It hands its result on before it waits again: until the first sample
			// that shows it blocked once more (a loaded machine may keep it in the run
			// queue in between), at most maxHandOn samples on.
			hi := g.next
			for k := g.next; k < len(ss) && k <= g.next+maxHandOn; k++ {
				if hi = k; ss[k].Stat.State != 'R' && ss[k].Syscall.Nr >= 0 {
					break
				}
			}
			works = append(works, handoff{pid: s.PID, tid: tid, lo: ss[g.last].Time, hi: ss[hi].Time, cause: locate.CauseDisk, name: locate.SyscallName(s.Syscall.Nr)})
		}
	}
	via := map[int32]map[int]string{}
	note := func(tid int32, g waitGroup, c locate.Cause, why string) {
		if via[tid] == nil {
			via[tid] = map[int]string{}
		}
		for k := g.first; k <= g.last; k++ {
			ended[tid][k] = c
			via[tid][k] = why
		}
	}
	for tid, gs := range groups {
		ss := sorted[tid]
		for _, g := range gs {
			s := ss[g.first]
			if ended[tid][g.first] != "" || g.next >= len(ss) || !locate.IsPoll(s.Syscall.Nr) || s.Netpoller {
				continue
			}
			// An event loop's poll that its own eventfd ended (or what ended it was not
			// read): a worker thread posting a result, most likely the one whose work
			// ended in the same sampling period.
			ready := ss[g.next].Ready
			if ready != 0 && ready != 1<<locate.FDEvent {
				continue
			}
			what := "what it found ready was not read"
			if ready != 0 {
				what = "its event array named an eventfd"
			}
			lo, hi := ss[g.last].Time, ss[g.next].Time
			found := false
			for _, h := range works {
				if h.pid == s.PID && h.tid != tid && h.lo < hi && lo < h.hi {
					note(tid, g, h.cause, fmt.Sprintf("sampled: in %s, woken (%s) in the sampling period in which thread %d's %s ended (a worker thread handing its result to the event loop, most likely)", locate.SyscallName(s.Syscall.Nr), what, h.tid, h.name))
					found = true
					break
				}
			}
			if found {
				continue
			}
			// Woken by its eventfd (or by what was not read), with no worker's call
			// seen to end then (a write to the page cache runs on CPU, a short fsync falls
			// between samples): a thread of the process whose block I/O counters grew
			// during the wait is the likeliest to have posted.
			began := ss[g.first].Time
			if g.first > 0 {
				began = ss[g.first-1].Time
			}
			for _, h := range doing {
				if h.pid == s.PID && h.tid != tid && h.hi > began && h.lo < hi {
					note(tid, g, h.cause, fmt.Sprintf("sampled: in %s, woken (%s) after thread %d read from storage or dirtied the page cache during the wait (its read_bytes or write_bytes grew: a worker thread handing its result to the event loop, most likely)", locate.SyscallName(s.Syscall.Nr), what, h.tid))
					break
				}
			}
		}
	}
	for tid, gs := range groups {
		ss := sorted[tid]
		for _, g := range gs {
			if ended[tid][g.first] != "" || g.next >= len(ss) || locate.SyscallName(ss[g.first].Syscall.Nr) != "futex" {
				continue
			}
			lo, hi := ss[g.last].Time, ss[g.next].Time
			// The wait began after the last sample before it.
			began := ss[g.first].Time
			if g.first > 0 {
				began = ss[g.first-1].Time
			}
			for _, h := range ends {
				if h.pid != ss[g.first].PID || h.tid == tid || h.lo >= hi || lo >= h.hi {
					continue
				}
				how := map[locate.Cause]string{locate.CauseSleep: "timed out", locate.CauseNetwork: "found a socket ready", locate.CausePipe: "found a pipe ready"}[h.cause]
				if h.began != 0 {
					// Inferred from what it watches: only a descriptor first seen
					// watched from a period before the wait began to its end.
					if h.began < began-int64(period) || h.began > hi {
						continue
					}
					how = fmt.Sprintf("returned before any timeout, and the descriptor it began watching last, as the wait began or during it, is a %s (what it found ready was not read)", map[locate.FDKind]string{locate.FDSocket: "socket", locate.FDPipe: "pipe"}[h.kind])
				}
				note(tid, g, h.cause, fmt.Sprintf("sampled: in futex, woken in the sampling period in which thread %d's epoll wait %s (a netpoller handing on, most likely)", h.tid, how))
				break
			}
		}
	}
	return via
}

func blockedInterval(from, to int64, a, b Sample, aEnd, bEnd pollEnd, aVia, bVia string) locate.Interval {
	s, end, via := b, bEnd, bVia
	if s.Syscall.Nr < 0 && s.Stat.State != 'D' {
		s, end, via = a, aEnd, aVia
	}
	iv := locate.Interval{Start: from, End: to, State: locate.Blocked, Kind: string(locate.CauseOther), Poll: locate.IsPoll(s.Syscall.Nr)}
	gc, gwhat := goCause(s.Go)
	switch {
	case s.Syscall.Nr >= 0 && s.Go.Runnable:
		iv.State, iv.Kind, iv.Read = locate.RunQueue, "", true
		iv.Evidence = fmt.Sprintf("sampled: in %s, the goroutine locked to the thread runnable, waiting for the Go scheduler to run it (Go's run queue; its status, read from the Go runtime)", locate.SyscallName(s.Syscall.Nr))
	case s.Syscall.Nr >= 0 && gc != "":
		// Read, not inferred: the runtime's own record of what the goroutine waits for.
		iv.Kind, iv.Unsure, iv.Read = string(gc), gc == locate.CauseIO, true
		iv.Evidence = fmt.Sprintf("sampled: in %s, the goroutine locked to the thread parked for %s (its wait reason, read from the Go runtime)", locate.SyscallName(s.Syscall.Nr), gwhat)
	case s.Syscall.Nr >= 0 && end != "" && via != "":
		iv.Kind, iv.Unsure, iv.Evidence = string(end), true, via
	case s.Syscall.Nr >= 0 && end == locate.CauseSleep && s.FutexDeadline != 0:
		iv.Kind, iv.Unsure = string(locate.CauseSleep), true
		iv.Evidence = "sampled: in a timed futex wait that ended when its deadline came (it ran out: a timer)"
	case s.Syscall.Nr >= 0 && end == locate.CauseSleep:
		ms, _ := pollTimeout(s.Syscall)
		iv.Kind, iv.Unsure = string(locate.CauseSleep), true
		iv.Evidence = fmt.Sprintf("sampled: in %s with a %dms timeout, blocked about that long (it ran out: a timer)", locate.SyscallName(s.Syscall.Nr), ms)
	case s.Syscall.Nr >= 0 && end == locate.CauseChild:
		iv.Kind, iv.Unsure = string(locate.CauseChild), true
		iv.Evidence = fmt.Sprintf("sampled: in %s while a child of its thread ran, ended as the child exited", locate.SyscallName(s.Syscall.Nr))
	case s.Syscall.Nr >= 0 && end != "":
		// Read from the first ready event only, and the array may be an older call's
		// (a wakeup without events): a share.
		iv.Kind, iv.Unsure = string(end), true
		iv.Evidence = fmt.Sprintf("sampled: in %s, whose returned event array named a %s descriptor ready", locate.SyscallName(s.Syscall.Nr), map[locate.Cause]string{locate.CauseNetwork: "socket", locate.CausePipe: "pipe", locate.CauseDisk: "file", locate.CauseSleep: "timerfd"}[end])
	case s.Syscall.Nr >= 0:
		iv.Kind = string(locate.BlockedCause(s.Syscall.Nr, s.FDKind))
		iv.Evidence = fmt.Sprintf("sampled: in %s, state %c", locate.SyscallName(s.Syscall.Nr), s.Stat.State)
		switch {
		case locate.SyscallName(s.Syscall.Nr) == "futex":
			// What the thread waited for is its waker's, and sampling sees no wakeups.
			iv.Unsure = true
			iv.Evidence += " (its waker is not seen by sampling: a lock, a condition variable, or a runtime that parks the thread whatever it waits for, as Go's locked threads and libuv's worker handoff do)"
		case iv.Poll:
			iv.Unsure = true
			iv.Evidence += " (what it found ready was not read)"
		}
	case s.Stat.State == 'D':
		// Uninterruptible outside a syscall: a page fault reading a file in, most likely,
		// but what the kernel waited for is not seen.
		iv.Kind, iv.Unsure = string(locate.CauseDisk), true
		iv.Evidence = "sampled: state D outside a syscall (a page fault's read, most likely; what it waited for is not seen)"
	default:
		iv.Evidence = fmt.Sprintf("sampled: state %c", s.Stat.State)
	}
	if k := locate.Cause(iv.Kind); len(s.Children) > 0 && (k == locate.CausePipe || k == locate.CauseNetwork) {
		// A child of the thread was running: the descriptor may be the child's (Node's
		// spawn reads a pipe until its child has exec'd). Sampled, its writer is not seen.
		iv.Unsure = true
		iv.Evidence += ", while a child of its thread ran"
	}
	if s.Wchan != "" && s.Wchan != "0" {
		iv.Evidence += ", wchan " + s.Wchan
	}
	return iv
}

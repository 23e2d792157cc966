package procfs

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/strata-dev/strata/locate"
)

// GoWatcher reads, every period, what the goroutines locked to the threads of Go programs
// wait for, from the programs' memory (see goruntime.go), beside the eBPF collector: a
// Go thread parks in a futex whatever its goroutine waits for, and who woke it says what
// only when the handoff was quick. It reads nothing of a program that is not Go or was
// built without DWARF, and nothing without ptrace access (as root it has it). It is safe
// for concurrent use.
type GoWatcher struct {
	s      *Sampler
	period time.Duration
	// added is signalled when a target's runtime has been looked for: Run sleeps, not
	// ticks, while there is no Go program to read.
	added chan struct{}
	mu    sync.Mutex
	waits map[int32][]locate.GoWait
	kept  int
	// dropped counts the readings past the bounds; passes the reads of all targets.
	dropped, passes uint64
}

// DefaultGoWatchPeriod is how often a GoWatcher reads by default: a goroutine's wait
// shorter than that may be missed (and is then named as the eBPF collector names it).
const DefaultGoWatchPeriod = 10 * time.Millisecond

// NewGoWatcher makes a watcher that reads every period (DefaultGoWatchPeriod if 0).
func NewGoWatcher(period time.Duration) *GoWatcher {
	if period <= 0 {
		period = DefaultGoWatchPeriod
	}
	return &GoWatcher{s: New(Options{Period: period}), period: period, added: make(chan struct{}, 1), waits: map[int32][]locate.GoWait{}}
}

// Add makes pid a target; its runtime is read beside the watching.
func (w *GoWatcher) Add(pid int) error {
	if err := w.s.Add(pid); err != nil {
		return err
	}
	go func() {
		w.s.loading.Wait()
		select {
		case w.added <- struct{}{}:
		default:
		}
	}()
	return nil
}

// Run reads every period until ctx ends, while it has a Go program to read; until then it
// sleeps (a ticker's 200 wakeups a second cost a watched Node.js service 10 µs of strata's
// CPU per request at 1,000 requests/s).
func (w *GoWatcher) Run(ctx context.Context) {
	t := time.NewTicker(w.period)
	defer t.Stop()
	for {
		w.s.mu.Lock()
		active := len(w.s.gos) > 0
		w.s.mu.Unlock()
		if !active {
			select {
			case <-ctx.Done():
				return
			case <-w.added:
				continue
			}
		}
		w.ReadOnce()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ReadOnce reads every thread of every Go target once.
func (w *GoWatcher) ReadOnce() {
	s := w.s
	s.mu.Lock()
	pids := make([]int32, 0, len(s.gos))
	for pid := range s.gos {
		pids = append(pids, pid)
	}
	s.mu.Unlock()
	for _, pid := range pids {
		s.mu.Lock()
		g := s.gos[pid]
		s.mu.Unlock()
		base := filepath.Join(s.opts.Proc, strconv.Itoa(int(pid)))
		// Whether it exec'd another program, looked at as often as its M list is walked
		// again (a stat of its executable costs more than the reads): meanwhile, reads at
		// the old layout's addresses fail, or find threads that are not its Ms.
		w.mu.Lock()
		check := w.passes%walkEvery == 0
		w.mu.Unlock()
		if check && !g.sameExe(base) {
			s.mu.Lock()
			delete(s.gos, pid)
			s.mu.Unlock()
			s.files.drop(filepath.Join(base, "mem"))
			continue
		}
		f, err := s.mem(pid)
		if err != nil {
			continue
		}
		// The readings are dated by the clock read before and after them: a watcher
		// kept off the CPU in the middle (a loaded machine) cannot say when it read, and
		// its readings are dropped rather than placed in a wait they may not have seen.
		before := time.Now().UnixNano()
		// Which descriptor an IO wait is on is not looked for: that is a scan of the
		// netpoller's set (a busy server's hundreds of connections) for each new wait,
		// and the kernel events say it (the thread's own EAGAIN, the netpoller's ready
		// descriptor); the reading says it is an IO wait.
		waits := g.waitsAll(int(pid), &memReader{f: f}, nil)
		after := time.Now().UnixNano()
		if after-before > int64(maxReadingSpan) {
			continue
		}
		for tid, gw := range waits {
			if c, what := goCause(gw); c != "" {
				w.note(tid, locate.GoWait{From: before, To: after, Cause: c, What: what})
			}
		}
	}
	s.files.sweep()
	w.mu.Lock()
	w.passes++
	w.mu.Unlock()
}

// maxReadingSpan is the longest one reading of a process's threads may take and still be
// kept.
const maxReadingSpan = time.Millisecond

// maxGoWaits bounds the readings kept per thread (at the default period, 5 minutes of a
// thread waiting all along), and maxGoWaitsAll those kept in all; later ones are dropped
// and counted.
const (
	maxGoWaits    = 1 << 16
	maxGoWaitsAll = 1 << 20
)

// note keeps a reading.
func (w *GoWatcher) note(tid int32, g locate.GoWait) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ws := w.waits[tid]
	if len(ws) >= maxGoWaits || w.kept >= maxGoWaitsAll {
		w.dropped++
		return
	}
	w.kept++
	w.waits[tid] = append(ws, g)
}

// Stop ends the watching (once Run has returned) and gives what was read, per thread,
// and how many readings were dropped past the bounds.
func (w *GoWatcher) Stop() (map[int32][]locate.GoWait, uint64) {
	w.s.loading.Wait()
	w.s.closeKept()
	w.mu.Lock()
	defer w.mu.Unlock()
	out, dropped := w.waits, w.dropped
	w.waits, w.kept, w.dropped = map[int32][]locate.GoWait{}, 0, 0
	return out, dropped
}

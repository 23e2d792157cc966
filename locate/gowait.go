package locate

import (
	"cmp"
	"fmt"
	"slices"
)

// GoWait is one reading of what the goroutine locked to a thread of a Go program waited
// for, from the runtime's memory (its wait reason, and for an IO wait the kind of the
// descriptor), taken between From and To (wall ns): with eBPF, by a reader beside the
// collector (procfs.GoWatcher). A Go thread parks in a futex whatever its goroutine waits
// for, and beside a busy machine who woke it says little (a netpoller preempted between
// its poll and the handoff); the runtime's own record says.
type GoWait struct {
	From  int64  `json:"from"`
	To    int64  `json:"to"`
	Cause Cause  `json:"cause"`
	What  string `json:"what"` // as the runtime names it: "sleep", "IO wait on a pipe", "sync mutex lock"…
}

// applyGoWaits names the futex waits of the timeline's threads for the goroutine waits
// read during them: the last reading taken wholly inside the wait (the one nearest the
// wakeup) says what it ended for. The cause is read, not inferred: it outranks whatever
// the waker suggested.
func (tl *Timeline) applyGoWaits(waits map[int32][]GoWait) {
	for tid, ws := range waits {
		th := tl.Threads[tid]
		if th == nil || len(ws) == 0 {
			continue
		}
		ws = slices.Clone(ws)
		slices.SortFunc(ws, func(a, b GoWait) int { return cmp.Compare(a.To, b.To) })
		for i := range th.Intervals {
			iv := &th.Intervals[i]
			if iv.State != Blocked || !iv.futex {
				continue
			}
			// The readings that ended by the wait's end, latest first, while they
			// could have begun inside it.
			k, _ := slices.BinarySearchFunc(ws, iv.End+1, func(w GoWait, t int64) int { return cmp.Compare(w.To, t) })
			for k--; k >= 0 && ws[k].To > iv.Start; k-- {
				w := ws[k]
				if w.From < iv.Start || w.Cause == "" {
					continue
				}
				switch {
				case w.Cause == CauseIO && (iv.Kind == string(CauseNetwork) || iv.Kind == string(CausePipe)) && !iv.Unsure:
					// An IO wait, on the descriptor the kernel events named (the
					// thread's own EAGAIN, the netpoller's ready descriptor).
					iv.Read, iv.ranOut = true, false
					iv.Evidence = joinEvidence(fmt.Sprintf("the goroutine locked to the thread parked for %s (read from the Go runtime during the wait), on the %s the kernel events name", w.What, map[string]string{string(CauseNetwork): "socket", string(CausePipe): "pipe"}[iv.Kind]), iv.Evidence)
				default:
					iv.Kind, iv.Unsure, iv.Read, iv.ranOut = string(w.Cause), w.Cause == CauseIO, true, false
					iv.Evidence = joinEvidence(fmt.Sprintf("the goroutine locked to the thread parked for %s (read from the Go runtime during the wait)", w.What), iv.Evidence)
				}
				break
			}
		}
	}
}

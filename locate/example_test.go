package locate_test

import (
	"fmt"
	"time"

	"github.com/strata-dev/strata/locate"
)

// A thread runs for 10 ms, then blocks in fsync for 30 ms.
func ExampleJoin() {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ns := func(ms int) int64 { return t0.Add(time.Duration(ms) * time.Millisecond).UnixNano() }
	events := []locate.Event{
		{Kind: locate.EvSwitchIn, Time: ns(0), PID: 1, TID: 1},
		{Kind: locate.EvSwitchOut, Time: ns(10), PID: 1, TID: 1, State: 2, Syscall: 74},
		{Kind: locate.EvSyscall, Time: ns(40), Start: ns(10), PID: 1, TID: 1, Syscall: 74},
		{Kind: locate.EvWakeup, Time: ns(40), PID: 1, TID: 1},
		{Kind: locate.EvSwitchIn, Time: ns(40), PID: 1, TID: 1},
	}
	span := locate.Span{Name: "save", Start: t0, End: t0.Add(40 * time.Millisecond), PID: 1, TID: 1}
	r := locate.Join([]locate.Span{span}, locate.Build(events, ns(0), ns(40)), locate.JoinOptions{})
	for _, p := range r.Breakdowns[0].Parts {
		fmt.Println(p.Label(), p.Time, p.Confidence)
	}
	// Output:
	// blocked/disk 30ms exact
	// cpu-user 10ms exact
}

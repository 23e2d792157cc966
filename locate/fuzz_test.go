package locate

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"
)

func FuzzDecodeTraces(f *testing.F) {
	f.Add([]byte(jsonBody), true)
	if b, err := os.ReadFile("testdata/spans.json"); err == nil {
		f.Add(b, true)
	}
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00}, false)
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","endTimeUnixNano":"1"}]}]}]}`), true)
	f.Fuzz(func(t *testing.T, b []byte, isJSON bool) {
		ct := "application/x-protobuf"
		if isJSON {
			ct = "application/json"
		}
		tr, err := DecodeTraces(b, ct)
		if err != nil {
			return
		}
		for _, s := range SpansOf(tr) {
			if s.End.Before(s.Start) || s.PID < 0 || s.TID < 0 {
				t.Errorf("bad span %+v", s)
			}
		}
		if _, err := EncodeJSON(tr); err != nil {
			t.Errorf("decoded data does not encode: %v", err)
		}
	})
}

func FuzzReadSpanFile(f *testing.F) {
	f.Add([]byte(jsonBody + "\n" + jsonBody))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := ReadSpanFile(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, tr := range ts {
			SpansOf(tr)
		}
	})
}

func FuzzReadRecording(f *testing.F) {
	var buf bytes.Buffer
	WriteRecording(&buf, &Recording{Source: "ebpf", Start: 1, End: 9, Events: []Event{{Kind: EvSwitchIn, Time: 2, TID: 3, PID: 3}, {Kind: EvSwitchOut, Time: 5, TID: 3, PID: 3, State: 1, Syscall: 74}}})
	f.Add(buf.Bytes())
	f.Add([]byte(`{"version":1,"source":"procfs","start":0,"end":5,"sampled":{"source":"procfs","start":0,"end":5,"threads":{"4":{"tid":4,"pid":4,"intervals":[{"start":0,"end":5,"state":1}]}}}}`))
	// A state outside the valid set, and negative kernel time: both used to be accepted
	// and broke "the parts add up to the wall".
	f.Add([]byte(`{"version":1,"source":"procfs","start":0,"end":5,"sampled":{"source":"procfs","start":0,"end":5,"threads":{"4":{"tid":4,"pid":4,"intervals":[{"start":0,"end":5,"state":9}]}}}}`))
	f.Add([]byte(`{"version":1,"source":"procfs","start":0,"end":5,"sampled":{"source":"procfs","start":0,"end":5,"threads":{"4":{"tid":4,"pid":4,"intervals":[{"start":0,"end":5,"state":1,"short":[-7,0,0,0,0,0,0,0]}]}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ReadRecording(bytes.NewReader(b))
		if err != nil {
			return
		}
		tl := r.Timeline()
		// Spans over the recording itself, each observed thread's and its process's, so
		// that the join works on what was read.
		mk := func(id string, pid, tid int32) Span {
			return Span{TraceID: "t", SpanID: id, Name: id, Start: time.Unix(0, r.Start), End: time.Unix(0, r.End), PID: pid, TID: tid}
		}
		spans := []Span{mk("none", 0, 0)}
		for tid, th := range tl.Threads {
			spans = append(spans, mk(fmt.Sprint("t", tid), th.PID, tid), mk(fmt.Sprint("p", tid), th.PID, 0))
			if len(spans) > 8 {
				break
			}
		}
		for _, bd := range Join(spans, tl, JoinOptions{}).Breakdowns {
			checkSum(t, bd)
		}
	})
}

// FuzzBuildJoin decodes arbitrary bytes into an event stream and checks the join's
// invariants: intervals do not overlap and parts add up to the wall time.
func FuzzBuildJoin(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add(bytes.Repeat([]byte{2, 0, 1, 40, 1, 0, 3, 90, 3, 1, 2, 20}, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		var evs []Event
		for len(b) >= 4 {
			k, tid, m, x := b[0], b[1], b[2], b[3]
			b = b[4:]
			e := ev(EventKind(k%7+1), float64(m), int32(tid%4+1))
			e.Attached = k&8 != 0
			e.PID = int32(tid % 2)
			e.State = uint32(x % 3)
			e.Syscall = int32(x) - 1
			e.Start = at(float64(m) - float64(x%50))
			e.Ret = int64(x % 3)
			e.Waker = int32(x % 5)
			e.WakerPoll = at(float64(m) - 0.1)
			e.Short[x%NClass] = uint64(binary.LittleEndian.Uint32([]byte{x, tid, m, k}))
			e.FDKind = FDKind(x % 5)
			evs = append(evs, e)
		}
		tl := Build(evs, at(0), at(255))
		checkTimeline(t, tl)
		spans := []Span{span("a", "", 0, 200, 0, 1), span("b", "a", 50, 90, 1, 0), span("c", "", 30, 260, 1, 0), span("d", "", 10, 20, 0, 9)}
		for _, bd := range Join(spans, tl, JoinOptions{}).Breakdowns {
			checkSum(t, bd)
		}
	})
}

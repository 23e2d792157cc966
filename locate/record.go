package locate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/go-json-experiment/json/jsontext"
)

// RecordingVersion is the version of the recording file format. Version 2 added the
// in-flight event kind (EvInFlight) and GoWaits; a version 1 recording reads as before.
const RecordingVersion = 2

// Recording is what a collector observed, in a form that is saved with --record and
// joined later with --events: raw kernel events (eBPF) or, for /proc sampling, the
// intervals the sampler derived.
type Recording struct {
	Version int    `json:"version"`
	Source  string `json:"source"`
	Start   int64  `json:"start"`
	End     int64  `json:"end"`
	Lost    uint64 `json:"lost"`
	// Missed counts kernel map updates that failed (thread or process table full).
	Missed uint64 `json:"missed,omitempty"`
	// Dropped counts events beyond the collector's cap on kept events.
	Dropped uint64 `json:"dropped,omitempty"`
	// PIDs are the processes observed.
	PIDs []int32 `json:"pids"`
	// Ports are the TCP ports the observed processes listened on while they ran, and
	// which process held each: spans that carry server.port but no process.pid are tied
	// to a process with them, also when the recording is joined later.
	Ports map[int]int32 `json:"ports,omitempty"`
	Notes []string      `json:"notes,omitempty"`
	// Events are the kernel events (source "ebpf").
	Events []Event `json:"events,omitempty"`
	// Sampled is the sampler's timeline (source "procfs").
	Sampled *Timeline `json:"sampled,omitempty"`
	// GoWaits are, per thread, what the goroutine locked to it was read waiting for
	// (with eBPF, beside it: see [GoWait]).
	GoWaits map[int32][]GoWait `json:"go_waits,omitempty"`
}

// Timeline builds the recording's timeline.
func (r *Recording) Timeline() *Timeline {
	var tl *Timeline
	if r.Sampled != nil {
		c := *r.Sampled
		tl = &c
	} else {
		tl = BuildFollowing(r.Events, r.Start, r.End, r.PIDs)
	}
	if r.Sampled == nil {
		tl.applyGoWaits(r.GoWaits)
	}
	tl.Source = r.Source
	tl.Lost, tl.Missed, tl.Dropped = r.Lost, r.Missed, r.Dropped
	tl.Notes = append(slices.Clone(r.Notes), tl.Notes...)
	return tl
}

// WriteRecording writes r as JSON.
func WriteRecording(w io.Writer, r *Recording) error {
	r.Version = RecordingVersion
	enc := json.NewEncoder(w)
	return enc.Encode(r)
}

// ReadRecording reads a recording written by [WriteRecording] and checks it.
func ReadRecording(rd io.Reader) (*Recording, error) {
	// The syntax first, for what encoding/json lets pass without a word: a member named
	// twice (the last would win) and anything after the recording (never read).
	syn := jsontext.NewDecoder(rd)
	raw, err := syn.ReadValue()
	if err != nil {
		return nil, fmt.Errorf("%w: recording: %v", ErrFormat, err)
	}
	var r Recording
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: recording: %v", ErrFormat, err)
	}
	if _, err := syn.ReadToken(); err != io.EOF {
		return nil, fmt.Errorf("%w: recording: more after the recording ends at byte %d; a recording file holds one (strata locate --record writes it)", ErrFormat, len(raw))
	}
	if r.Version != 1 && r.Version != RecordingVersion {
		return nil, fmt.Errorf("%w: recording version %d, this strata reads versions 1 to %d", ErrFormat, r.Version, RecordingVersion)
	}
	for tid, ws := range r.GoWaits {
		for i, w := range ws {
			switch w.Cause {
			case CauseDisk, CauseNetwork, CauseLock, CauseSleep, CausePipe, CauseChild, CauseIO, CauseOther:
			default:
				return nil, fmt.Errorf("%w: recording go_waits: thread %d, reading %d: cause %q is not a blocked cause", ErrFormat, tid, i, w.Cause)
			}
			if w.To < w.From {
				return nil, fmt.Errorf("%w: recording go_waits: thread %d, reading %d ends (%d) before it starts (%d)", ErrFormat, tid, i, w.To, w.From)
			}
		}
	}
	if r.End < r.Start {
		return nil, fmt.Errorf("%w: recording ends (%d) before it starts (%d)", ErrFormat, r.End, r.Start)
	}
	for i, e := range r.Events {
		if e.Kind < EvSwitchOut || e.Kind > EvInFlight {
			return nil, fmt.Errorf("%w: recording event %d: unknown kind %d", ErrFormat, i, e.Kind)
		}
	}
	for port, pid := range r.Ports {
		if port <= 0 || port > 65535 || pid <= 0 {
			return nil, fmt.Errorf("%w: recording ports: port %d held by process %d", ErrFormat, port, pid)
		}
	}
	if s := r.Sampled; s != nil {
		for tid, th := range s.Threads {
			if th == nil {
				return nil, fmt.Errorf("%w: recording thread %d is empty", ErrFormat, tid)
			}
			th.TID = tid
			for k, iv := range th.Intervals {
				if iv.End < iv.Start || (k > 0 && iv.Start < th.Intervals[k-1].End) {
					return nil, fmt.Errorf("%w: recording thread %d interval %d is out of order", ErrFormat, tid, k)
				}
				if iv.State < OnCPU || iv.State > Blocked {
					return nil, fmt.Errorf("%w: recording thread %d interval %d: state %d, want %d (on-cpu), %d (runqueue) or %d (blocked)", ErrFormat, tid, k, iv.State, OnCPU, RunQueue, Blocked)
				}
				if iv.Fault < 0 {
					return nil, fmt.Errorf("%w: recording thread %d interval %d: negative page fault time %d", ErrFormat, tid, k, iv.Fault)
				}
				for c, ns := range iv.Short {
					if ns < 0 {
						return nil, fmt.Errorf("%w: recording thread %d interval %d: negative kernel time %d for class %s", ErrFormat, tid, k, ns, Class(c))
					}
				}
			}
		}
	}
	return &r, nil
}

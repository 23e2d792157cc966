package measured

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/probe"
)

// MaxFileBytes bounds a results or probe file; a full strata bench run writes about
// 100 KB.
const MaxFileBytes = 16 << 20

// Problem codes of this package, beside network's.
const (
	CodeResults = "results" // a results file that is not what strata bench or probe writes
)

// ReadFile reads a file of at most MaxFileBytes; a larger one is refused before it is
// read whole.
//
// A regular file is judged by its size before it is read; a pipe or a device is read in
// pieces and stopped at the bound or at a NUL byte, which no JSON holds (network.ReadFile):
// /dev/zero cost 300 MB under the race detector when it was read whole up to the bound.
func ReadFile(path string) ([]byte, error) {
	b, err := network.ReadFile(path, MaxFileBytes)
	if ps, ok := network.AsProblems(err); ok {
		for i := range ps {
			ps[i].Message += ": not a strata bench or probe result"
			ps[i].Hint = "give the file strata bench -o json or strata probe -o json wrote"
		}
		return nil, ps
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, pe // as os.Open says it: the callers tell a missing file from the rest
	}
	return b, err
}

// ReadBench decodes what strata bench -o json wrote and checks what the planner relies
// on: the format version, a driver name per driver, summaries that agree with their
// samples, and samples that are finite and not negative.
func ReadBench(name string, data []byte) (*bench.Results, error) {
	var r bench.Results
	if err := decode(name, data, &r, "strata bench -o json"); err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return network.Problems{{Pos: network.Pos{File: name}, Code: CodeResults, Message: fmt.Sprintf(format, args...),
			Hint: "give the file strata bench -o json wrote, unchanged"}}
	}
	if r.Version != 1 {
		return nil, bad("results format version %d; this strata reads version 1", r.Version)
	}
	if len(r.Drivers) == 0 {
		return nil, bad("no drivers in the results")
	}
	if r.Started.IsZero() {
		return nil, bad("the results do not say when they were measured (started)")
	}
	seen := map[string]bool{}
	for i, d := range r.Drivers {
		if d.Name == "" {
			return nil, bad("drivers[%d] has no name", i)
		}
		if seen[d.Name] {
			return nil, bad("driver %s appears twice", d.Name)
		}
		seen[d.Name] = true
		workloads := map[string]bool{}
		for j, w := range d.Results {
			if workloads[w.Workload] {
				// strata bench writes one result per workload and driver; of two, which stands?
				return nil, bad("drivers[%d] (%s) measures %s twice (results[%d])", i, d.Name, w.Workload, j)
			}
			workloads[w.Workload] = true
			if err := checkSamples(w); err != nil {
				return nil, bad("drivers[%d] (%s) results[%d] (%s): %v", i, d.Name, j, w.Workload, err)
			}
		}
	}
	return &r, nil
}

// checkSamples refuses a summary that does not describe its samples.
func checkSamples(w bench.WorkloadResult) error {
	if w.Summary.N != len(w.Samples) {
		return fmt.Errorf("summary n %d but %d samples", w.Summary.N, len(w.Samples))
	}
	for _, x := range w.Samples {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return fmt.Errorf("sample %v is not a duration or size", x)
		}
	}
	if len(w.Samples) == 0 {
		return nil
	}
	s := slices.Sorted(slices.Values(w.Samples))
	if m := Median(s); math.Abs(m-w.Summary.Median) > 1e-9*math.Max(1, math.Abs(m)) {
		return fmt.Errorf("summary median %v but the samples' median is %v", w.Summary.Median, m)
	}
	return nil
}

// ReadProbe decodes what strata probe -o json wrote.
func ReadProbe(name string, data []byte) (*probe.Report, error) {
	var r probe.Report
	if err := decode(name, data, &r, "strata probe -o json"); err != nil {
		return nil, err
	}
	if r.Host.Time.IsZero() {
		return nil, network.Problems{{Pos: network.Pos{File: name}, Code: CodeResults,
			Message: "the probe report does not say when it was made (host.time)", Hint: "give the file strata probe -o json wrote"}}
	}
	return &r, nil
}

// decode unmarshals strictly: unknown members and repeated names are errors, at
// file:line:col.
func decode(name string, data []byte, v any, maker string) error {
	err := json.Unmarshal(data, v, json.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	off, msg := int64(-1), err.Error()
	var se *json.SemanticError
	var sy *jsontext.SyntacticError
	switch {
	case errors.As(err, &se):
		off = se.ByteOffset
		if se.Err != nil {
			msg = se.Err.Error()
		}
		if se.JSONPointer != "" {
			msg = fmt.Sprintf("at %s: %s", se.JSONPointer, msg)
		}
	case errors.As(err, &sy):
		off = sy.ByteOffset
		if sy.Err != nil {
			msg = sy.Err.Error()
		}
	}
	pos := network.Pos{File: name}
	if off >= 0 {
		pos.Line, pos.Col = lineCol(data, off)
	}
	return network.Problems{{Pos: pos, Code: CodeResults, Message: "not " + maker + " output: " + msg,
		Hint: "give the file " + maker + " wrote, unchanged"}}
}

// lineCol is the 1-based line and column (in bytes) of a byte offset.
func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	head := data[:off]
	line := bytes.Count(head, []byte{'\n'}) + 1
	col := int(off) - (bytes.LastIndexByte(head, '\n') + 1) + 1
	return line, col
}

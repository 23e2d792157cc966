package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/probe"
)

// The routes over the probe and bench results files given with --results: the list, one
// file as it is on disk, and a bench file drawn as a chart.

// Result kinds: what a --results file holds, told by decoding it (see resultKind).
const (
	KindProbe   = "probe"   // strata probe -o json: a probe.Report
	KindBench   = "bench"   // strata bench -o json: a bench.Results
	KindUnknown = "unknown" // JSON of another shape, or a file that cannot be read
)

// MaxResultBytes bounds a --results file: it is read whole on every request. A full
// bench with --runs 1000 over every driver stays far below it.
const MaxResultBytes = 16 << 20

const mediaSVG = "image/svg+xml"

// ResultFile is one --results file.
type ResultFile struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	ModTime string `json:"modTime"`
	Kind    string `json:"kind"` // probe, bench or unknown
	Error   string `json:"error,omitempty"`
}

// ResultList is the answer of GET /api/v1/results.
type ResultList struct {
	Results []ResultFile `json:"results"`
}

func (s *Server) resultList(*request) result {
	out := []ResultFile{}
	for name, p := range s.results {
		rf := ResultFile{Name: name, Kind: KindUnknown}
		if fi, err := os.Stat(p); err != nil {
			rf.Error = err.Error()
		} else {
			rf.Size, rf.ModTime = fi.Size(), fi.ModTime().UTC().Format("2006-01-02T15:04:05Z")
			if b, err := readResult(name, p); err != nil {
				rf.Error = err.Message
			} else {
				rf.Kind, _ = resultKind(b)
			}
		}
		out = append(out, rf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return result{data: ResultList{out}}
}

// resultFile reads the named results file as it is on disk now, checking it is JSON.
func (s *Server) resultFile(name string) ([]byte, *apiError) {
	p, ok := s.results[name]
	if !ok {
		var names []string
		for n := range s.results {
			names = append(names, n)
		}
		return nil, &apiError{Status: http.StatusNotFound, Code: "unknown-result",
			Message: fmt.Sprintf("no results file %s (strata serve --results FILE adds one)", name), Suggestion: network.Suggest(name, names)}
	}
	return readResult(name, p)
}

func readResult(name, path string) ([]byte, *apiError) {
	f, err := openRegular(path)
	if err != nil {
		return nil, &apiError{Status: http.StatusInternalServerError, Code: "read-results", Message: err.Error()}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxResultBytes+1))
	if err != nil {
		return nil, &apiError{Status: http.StatusInternalServerError, Code: "read-results", Message: err.Error()}
	}
	if len(b) > MaxResultBytes {
		return nil, &apiError{Status: http.StatusInternalServerError, Code: "results-too-large",
			Message: fmt.Sprintf("%s is larger than %d MiB; serve a smaller results file (fewer --runs)", name, MaxResultBytes>>20)}
	}
	if !json.Valid(b) {
		return nil, &apiError{Status: http.StatusInternalServerError, Code: "invalid-results", Message: name + " is not valid JSON"}
	}
	return b, nil
}

// openRegular opens a results file without waiting: it is opened non-blocking (opening a
// named pipe that no one writes would otherwise wait for a writer, holding the request's
// work slot for good), and anything but a regular file is refused, since a pipe or a
// device (/dev/zero) may never end. The file may have been replaced since the server
// started, so this is checked on every read.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = notRegular(filepath.Base(path), fi.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// notRegular is the error of a results file that is not a regular file.
func notRegular(name string, m fs.FileMode) error {
	what := "not a file"
	switch {
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeDevice != 0:
		what = "a device"
	}
	return fmt.Errorf("%s is not a regular file but %s; give the JSON file strata probe -o json or strata bench -o json wrote", name, what)
}

// resultKind tells a probe report from bench results by decoding b into each and checking
// the fields only that kind has: a probe report's checks, each with an id and one of the
// four results; bench results' format version, workloads and drivers, each with a name
// and layer. Unknown fields are allowed, so files from newer versions are still read.
// Bench results come back decoded, for the chart.
func resultKind(b []byte) (string, *bench.Results) {
	var res bench.Results
	if json.Unmarshal(b, &res) == nil && isBench(&res) {
		return KindBench, &res
	}
	var rep probe.Report
	if json.Unmarshal(b, &rep) == nil && isProbe(&rep) {
		return KindProbe, nil
	}
	return KindUnknown, nil
}

func isBench(r *bench.Results) bool {
	if r.Version < 1 || len(r.Workloads) == 0 || len(r.Drivers) == 0 {
		return false
	}
	for _, d := range r.Drivers {
		if d.Name == "" || d.Layer == "" {
			return false
		}
	}
	return true
}

func isProbe(r *probe.Report) bool {
	if len(r.Checks) == 0 {
		return false
	}
	for _, c := range r.Checks {
		switch c.Result {
		case probe.Pass, probe.Warn, probe.Fail, probe.Skip:
		default:
			return false
		}
		if c.ID == "" || c.Layer == "" {
			return false
		}
	}
	return true
}

// result serves a results file as it is on disk now, after checking it is JSON.
func (s *Server) result(r *request) result {
	b, ae := s.resultFile(r.PathValue("name"))
	if ae != nil {
		return result{err: ae}
	}
	return result{data: body{media: mediaJSON, data: b}}
}

// resultChart draws a bench results file as the SVG chart of strata bench --chart.
func (s *Server) resultChart(r *request) result {
	name := r.PathValue("name")
	b, ae := s.resultFile(name)
	if ae != nil {
		return result{err: ae}
	}
	kind, res := resultKind(b)
	if res == nil {
		what := "JSON of another kind"
		if kind == KindProbe {
			what = "a probe report"
		}
		return result{err: &apiError{Status: http.StatusBadRequest, Code: "not-bench-results",
			Message: fmt.Sprintf("%s holds %s, not bench results: charts are drawn from strata bench -o json files", name, what)}}
	}
	var buf bytes.Buffer
	if err := bench.Chart(&buf, res); err != nil {
		return result{err: err}
	}
	// Opened on its own, the image runs nothing and loads nothing.
	return result{data: body{media: mediaSVG, data: buf.Bytes(), cache: "no-cache", csp: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"}}
}

package server_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/internal/server"
	"github.com/strata-dev/strata/probe"
)

// The files under testdata are real runs on a CI-like host (see testdata/README.md):
//
//	strata bench --quick --layers wazero,runc,gvisor-systrap -o json > testdata/bench.json
//	strata probe -o json > testdata/probe.json
const (
	benchFile = "testdata/bench.json"
	probeFile = "testdata/probe.json"
)

// TestResultsTestdataDecodeStrictly keeps the test files in step with the types strata
// writes: every field they hold is one the types have.
func TestResultsTestdataDecodeStrictly(t *testing.T) {
	for _, tc := range []struct {
		path string
		into any
	}{
		{benchFile, &bench.Results{}},
		{probeFile, &probe.Report{}},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			b, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(tc.into); err != nil {
				t.Fatalf("%s does not decode into %T: %v (regenerate it, see testdata/README.md)", tc.path, tc.into, err)
			}
			if _, err := dec.Token(); err != io.EOF {
				t.Errorf("%s holds more than one JSON value", tc.path)
			}
		})
	}
	var res bench.Results
	readJSON(t, benchFile, &res)
	if res.Baseline() == nil {
		t.Errorf("%s has no native baseline, so no ratios to show", benchFile)
	}
	unavailable := false
	for _, d := range res.Drivers {
		unavailable = unavailable || !d.Available
	}
	if !unavailable {
		t.Errorf("%s has no unavailable driver, so the UI's reasons go untested", benchFile)
	}
	var rep probe.Report
	readJSON(t, probeFile, &rep)
	if len(rep.Offered()) == 0 || len(rep.Offered()) == len(rep.Coordinates) {
		t.Errorf("%s offers %v of %d layers; the UI test wants some offered and some not", probeFile, rep.Offered(), len(rep.Coordinates))
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// resultsServer serves the testdata files and those given (name → content) from a
// temporary directory.
func resultsServer(t *testing.T, files map[string]string) (*checkedServer, string) {
	t.Helper()
	dir := t.TempDir()
	paths := []string{}
	for _, src := range []string{benchFile, probeFile} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(src)] = string(b)
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		writeFile(t, p, data)
		paths = append(paths, p)
	}
	return newServer(t, server.Config{Results: paths}), dir
}

func TestResultKinds(t *testing.T) {
	s, dir := resultsServer(t, map[string]string{
		"generic.json":    `{"host":"ci","runs":[{"layer":"L-3","runtime":"runc","startup_ms":118.5}]}`,
		"array.json":      `[1, 2, 3]`,
		"no-drivers.json": `{"version":1,"workloads":[{"name":"start"}],"drivers":[]}`,
		"bad-check.json":  `{"host":{"hostname":"h"},"checks":[{"layer":"L-3","id":"runc","result":"MAYBE","evidence":""}]}`,
		"min-probe.json":  `{"host":{"hostname":"h"},"checks":[{"layer":"L-3","id":"runc","result":"PASS","evidence":"/usr/bin/runc"}],"coordinates":[],"handlers":[]}`,
		"min-bench.json":  `{"version":1,"host":{"hostname":"h"},"workloads":[{"name":"start"}],"drivers":[{"name":"native","layer":"native","available":true}]}`,
		"broken.json":     `{`,
	})
	a := do(t, s, "GET", "/api/v1/results", "", nil)
	var list struct{ Results []server.ResultFile }
	if err := json.Unmarshal(a.body, &list); err != nil {
		t.Fatalf("%v: %s", err, a.body)
	}
	got := map[string]server.ResultFile{}
	for _, rf := range list.Results {
		got[rf.Name] = rf
	}
	for name, want := range map[string]string{
		"bench.json": server.KindBench, "probe.json": server.KindProbe,
		"min-bench.json": server.KindBench, "min-probe.json": server.KindProbe,
		"generic.json": server.KindUnknown, "array.json": server.KindUnknown, "no-drivers.json": server.KindUnknown,
		"bad-check.json": server.KindUnknown, "broken.json": server.KindUnknown,
	} {
		t.Run(name, func(t *testing.T) {
			rf, ok := got[name]
			if !ok {
				t.Fatalf("not listed: %s", a.body)
			}
			if rf.Kind != want {
				t.Errorf("kind %q, want %q", rf.Kind, want)
			}
			if (name == "broken.json") != (rf.Error != "") {
				t.Errorf("error %q", rf.Error)
			}
		})
	}
	// Read on each request: a file rewritten as another kind is listed as that kind.
	b, _ := os.ReadFile(benchFile)
	writeFile(t, filepath.Join(dir, "generic.json"), string(b))
	rf := listed(t, do(t, s, "GET", "/api/v1/results", "", nil).body, "generic.json")
	if rf.Kind != server.KindBench || rf.Size != int64(len(b)) {
		t.Errorf("after rewrite as bench results: %+v", rf)
	}
}

func listed(t *testing.T, body []byte, name string) server.ResultFile {
	t.Helper()
	var list struct{ Results []server.ResultFile }
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	for _, rf := range list.Results {
		if rf.Name == name {
			return rf
		}
	}
	t.Fatalf("%s not listed", name)
	return server.ResultFile{}
}

func TestResultTooLarge(t *testing.T) {
	big := `{"pad":"` + strings.Repeat("x", server.MaxResultBytes) + `"}`
	s, _ := resultsServer(t, map[string]string{"big.json": big})
	a := do(t, s, "GET", "/api/v1/results/big.json", "", nil)
	if a.status != 500 || !bytes.Contains(a.body, []byte(`"code":"results-too-large"`)) {
		t.Errorf("big.json: %d %.300s", a.status, a.body)
	}
	if rf := listed(t, do(t, s, "GET", "/api/v1/results", "", nil).body, "big.json"); rf.Kind != server.KindUnknown || rf.Error == "" {
		t.Errorf("big.json listed as %+v", rf)
	}
}

func TestResultChart(t *testing.T) {
	s, _ := resultsServer(t, map[string]string{"generic.json": `{"host":"ci"}`, "broken.json": `{`})
	for _, tc := range []struct {
		name, path string
		status     int
		code       string // the JSON error's code
	}{
		{"bench", "/api/v1/results/bench.json/chart.svg", 200, ""},
		{"probe", "/api/v1/results/probe.json/chart.svg", 400, "not-bench-results"},
		{"generic", "/api/v1/results/generic.json/chart.svg", 400, "not-bench-results"},
		{"broken", "/api/v1/results/broken.json/chart.svg", 500, "invalid-results"},
		{"unknown", "/api/v1/results/nope.json/chart.svg", 404, "unknown-result"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, s, "GET", tc.path, "", nil)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", a.status, tc.status, a.body)
			}
			if tc.status != 200 {
				if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("error Content-Type %q", ct)
				}
				if got := a.json(t)["error"].(map[string]any)["code"]; got != tc.code {
					t.Errorf("error code %v, want %s: %s", got, tc.code, a.body)
				}
				return
			}
			if ct := a.header.Get("Content-Type"); ct != "image/svg+xml" {
				t.Errorf("Content-Type %q", ct)
			}
			if a.header.Get("Content-Length") != strconv.Itoa(len(a.body)) {
				t.Errorf("Content-Length %q for %d bytes", a.header.Get("Content-Length"), len(a.body))
			}
			root := svgRoot(t, a.body)
			if root.Name.Space != "http://www.w3.org/2000/svg" || root.Name.Local != "svg" {
				t.Errorf("root element %v", root.Name)
			}
			for _, want := range []string{"runc", "wazero", "native"} {
				if !bytes.Contains(a.body, []byte(want)) {
					t.Errorf("chart lacks %s", want)
				}
			}
			if head := do(t, s, "HEAD", tc.path, "", nil); head.status != 200 || len(head.body) != 0 || head.header.Get("Content-Length") != strconv.Itoa(len(a.body)) {
				t.Errorf("HEAD: %d, %d bytes, Content-Length %q", head.status, len(head.body), head.header.Get("Content-Length"))
			}
		})
	}
}

// svgRoot parses the whole document as XML and returns its root element.
func svgRoot(t *testing.T, b []byte) xml.StartElement {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var root *xml.StartElement
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == nil {
			se = se.Copy()
			root = &se
		}
	}
	if root == nil {
		t.Fatal("chart has no root element")
	}
	return *root
}

// TestResultsOnlyRegularFiles: a results file is read on every request, so one whose
// read never ends (a FIFO with no writer, /dev/zero) once held every work slot forever
// and every route that works waited behind it. Such a file is refused at start, and a
// file replaced by one after start answers 500 at once.
func TestResultsOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	rsn, pl := deps(t)
	for _, p := range []string{fifo, "/dev/zero", dir} {
		if _, err := server.New(server.Config{Reasoner: rsn, Planner: pl, Results: []string{p}}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("--results %s: %v, want an error saying it is not a regular file", p, err)
		}
	}
	// Replaced after start: a regular file that becomes a FIFO, and one that becomes a
	// link to /dev/zero.
	swapped, linked := filepath.Join(dir, "swapped.json"), filepath.Join(dir, "linked.json")
	writeFile(t, swapped, `{}`)
	writeFile(t, linked, `{}`)
	s := newServer(t, server.Config{Results: []string{swapped, linked}})
	if err := os.Remove(swapped); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(swapped, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(linked); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", linked); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 { // more than the work slots
			for _, target := range []string{"/api/v1/results", "/api/v1/results/swapped.json", "/api/v1/results/linked.json", "/api/v1/results/swapped.json/chart.svg"} {
				a := do(t, s, "GET", target, "", nil)
				if target == "/api/v1/results" {
					if a.status != 200 || !bytes.Contains(a.body, []byte("not a regular file")) {
						t.Errorf("%s: %d %s", target, a.status, a.body)
					}
				} else if a.status != 500 || !bytes.Contains(a.body, []byte("not a regular file")) {
					t.Errorf("%s: %d %s", target, a.status, a.body)
				}
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("reading a results file that became a FIFO or a device did not end")
	}
	if a := do(t, s, "GET", "/api/v1/entities/L-3", "", nil); a.status != 200 {
		t.Errorf("the API after: %d", a.status)
	}
}

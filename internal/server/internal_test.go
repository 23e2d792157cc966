package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/strata-dev/strata/internal/telemetry"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/reason"
)

// The tests in this file reach inside the server: its middleware around a test-only
// handler, and its work slots.

var (
	internalOnce sync.Once
	internalRsn  *reason.Reasoner
	internalPl   *plan.Planner
	internalErr  error
)

func testServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	internalOnce.Do(func() {
		var n *network.Network
		if n, internalErr = network.Load(network.DefaultFiles()); internalErr != nil {
			return
		}
		if internalRsn, internalErr = reason.New(n); internalErr != nil {
			return
		}
		internalPl, internalErr = plan.New(internalRsn)
	})
	if internalErr != nil {
		t.Fatal(internalErr)
	}
	cfg.Reasoner, cfg.Planner = internalRsn, internalPl
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// metricValue is the value of a gauge or counter without labels, or of the series whose
// labels include all of want.
func metricValue(t *testing.T, s *Server, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := s.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := want[lp.GetName()]; ok && v != lp.GetValue() {
					continue series
				}
			}
			switch {
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestRecover: a handler that panics before writing is answered with a JSON 500 and
// logged with its trace id; one that panics after writing has its connection cut. Either
// way the in-flight gauge goes back down, the span ends and the request is counted.
func TestRecover(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	var logs bytes.Buffer
	var mu sync.Mutex
	s := testServer(t, Config{TracerProvider: tp, Logger: telemetry.NewLogger(lockedWriter{&mu, &logs}, slog.LevelInfo)})

	h := s.instrument("/panic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("partial") {
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(`{"half":`))
		}
		panic("boom")
	}))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/panic", nil))
	var body struct {
		Error apiError `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 500 || body.Error.Status != 500 || body.Error.Code != "internal" {
		t.Errorf("panic: %d %s (%v)", w.Code, w.Body, err)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("panic: Content-Type %q", ct)
	}

	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Name() != "GET /panic" || spans[0].Status().Description != "panic: boom" {
		t.Fatalf("spans: %v", spans)
	}
	traceID := spans[0].SpanContext().TraceID().String()
	if !strings.Contains(body.Error.Message, traceID) {
		t.Errorf("the 500 does not name the trace: %s", body.Error.Message)
	}
	mu.Lock()
	var logged bool
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		if m["msg"] == "handler panicked" {
			logged = true
			if m["trace_id"] != traceID || m["panic"] != "boom" || !strings.Contains(fmt.Sprint(m["stack"]), "TestRecover") {
				t.Errorf("panic log line: %s", l)
			}
		}
	}
	mu.Unlock()
	if !logged {
		t.Errorf("no log line for the panic:\n%s", logs.String())
	}

	// Half an answer is out: the connection must be cut, which net/http does for
	// http.ErrAbortHandler.
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("partial answer: recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/panic?partial", nil))
	}()

	if g := metricValue(t, s, MetricInFlight, nil); g != 0 {
		t.Errorf("%s = %v after the panics, want 0", MetricInFlight, g)
	}
	if n := len(rec.Ended()); n != 2 {
		t.Errorf("%d spans ended, want 2", n)
	}
	if n := metricValue(t, s, MetricRequests, map[string]string{"route": "/panic", "code": "500"}); n != 2 {
		t.Errorf("%s{route=/panic,code=500} = %v, want 2", MetricRequests, n)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestWorkSlots: with every slot taken, a plan request waits its turn (and is answered
// when a slot frees), and one whose context ends while it waits is answered 503.
func TestWorkSlots(t *testing.T) {
	s := testServer(t, Config{})
	if cap(s.work) < 4 {
		t.Errorf("%d work slots, want a few per CPU", cap(s.work))
	}
	s.work = make(chan struct{}, 1)
	s.work <- struct{}{} // the one slot is busy

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequestWithContext(ctx, "GET", "/api/v1/plan?scenario=edge", nil))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"code":"busy"`) || !strings.Contains(w.Body.String(), "context canceled") {
		t.Errorf("cancelled while waiting: %d %s", w.Code, w.Body)
	}

	type answer struct {
		code int
		body string
	}
	got := make(chan answer, 2)
	post := httptest.NewRequest("POST", "/api/v1/manifests?image=x&format=yaml", strings.NewReader("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: fn}\nspec: {artifact: wasm}\n"))
	post.Header.Set("Content-Type", "application/yaml")
	for _, r := range []*http.Request{httptest.NewRequest("GET", "/api/v1/plan?scenario=edge", nil), post} {
		go func() {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			got <- answer{w.Code, w.Body.String()}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for metricValue(t, s, MetricPlanWaiting, nil) != 2 {
		select {
		case a := <-got:
			t.Fatalf("answered while every slot was busy: %d %.300s", a.code, a.body)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the requests never queued")
		}
		time.Sleep(time.Millisecond)
	}
	<-s.work // free the slot: they run one after the other
	for range 2 {
		if a := <-got; a.code != 200 {
			t.Errorf("after the wait: %d %.300s", a.code, a.body)
		}
	}
	if n := metricValue(t, s, MetricPlanWaiting, nil); n != 0 || len(s.work) != 0 {
		t.Errorf("%s = %v, %d slots held after the requests", MetricPlanWaiting, n, len(s.work))
	}
}

// TestAsAPIError: errors from the request keep their codes; anything else is the
// server's own failure, 500 "internal", not the client's 400.
func TestAsAPIError(t *testing.T) {
	ps := network.Problems{{Pos: network.Pos{File: "w.yaml", Line: 3, Col: 1}, Message: "bad"}}
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{errors.New("gzip: invalid header"), 500, "internal"},
		{fmt.Errorf("write archive: %w", errors.New("archive/tar: write too long")), 500, "internal"},
		{badRequest("no"), 400, "bad-request"},
		{asInput(errors.New("criterion x needs a direction")), 400, "bad-request"},
		{asInput(&network.UnknownError{What: "entity", Name: "x"}), 404, "unknown-entity"},
		{&network.AmbiguousError{Name: "x", IDs: []string{"a", "b"}}, 400, "ambiguous"},
		{asInput(ps), 400, "invalid-input"},
		{asInput(&http.MaxBytesError{Limit: 10}), 413, "too-large"},
		{tooManyWorkloads("101 documents"), 413, "too-many-workloads"},
	} {
		if ae := asAPIError(tc.err); ae.Status != tc.status || ae.Code != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.err, ae.Status, ae.Code, tc.status, tc.code)
		}
	}
}

func TestCountDocuments(t *testing.T) {
	for in, want := range map[string]int{
		"":                                  0,
		"a: b\n":                            1,
		"---\na: b\n":                       1,
		"---\na: b\n---\n":                  1,
		"# c\n---\n# only a comment\n---\n": 0,
		"a: 1\n---\nb: 2\n--- {c: 3}\n":     3,
		"a: |\n  ----\n  x\n---\nb: 2":      2,
		"---\r\na: 1\r\n---\r\nb: 2\r\n":    2,
		"a: 1\n---x: 2\n":                   1, // not a separator
	} {
		if got := countDocuments([]byte(in)); got != want {
			t.Errorf("countDocuments(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestHungUpStopsWork: a request whose client has gone (its context cancelled once the
// body is read) stops planning at the next workload instead of planning all of them.
func TestHungUpStopsWork(t *testing.T) {
	s := testServer(t, Config{})
	var body strings.Builder
	for i := range MaxWorkloads {
		fmt.Fprintf(&body, "---\napiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w%d}\nspec: {artifact: wasm}\n", i)
	}
	for _, target := range []string{"/api/v1/plan", "/api/v1/manifests?image=x"} {
		ctx, cancel := context.WithCancel(context.Background())
		r := httptest.NewRequestWithContext(ctx, "POST", target, &cancelAtEOF{r: strings.NewReader(body.String()), cancel: cancel})
		r.Header.Set("Content-Type", "application/yaml")
		before := planCount(t, s)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"code":"canceled"`) {
			t.Errorf("%s: %d %.300s", target, w.Code, w.Body)
		}
		if n := planCount(t, s) - before; n > 1 {
			t.Errorf("%s: planned %v workloads after the client hung up", target, n)
		}
	}
}

// cancelAtEOF cancels the request's context when the handler has read the whole body,
// as a client that sends its request and hangs up does.
type cancelAtEOF struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

// planCount is how many workloads the plan histogram has seen, over every outcome.
func planCount(t *testing.T, s *Server) float64 {
	t.Helper()
	mfs, err := s.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() == MetricPlanDuration {
			for _, m := range mf.GetMetric() {
				n += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return n
}

// TestEveryRouteTakesASlot: with every work slot busy, each route that computes (all but
// the documents encoded when a network is loaded) waits for a slot and gives up with 503 busy when
// its request ends; the documents and the probes still answer. The OpenAPI document says
// 503 for exactly the routes that wait.
func TestEveryRouteTakesASlot(t *testing.T) {
	s := testServer(t, Config{})
	s.work = make(chan struct{}, 1)
	s.work <- struct{}{}
	free := map[string]bool{"openapi": true, "getNetwork": true, "getNetworkStatus": true}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fill := strings.NewReplacer("{name}", "L-3", "{relation}", "overhead")
	for _, rt := range s.apiRoutes() {
		if rt.op.work == free[rt.op.id] {
			t.Errorf("%s %s: work=%v; only %v answer without a slot", rt.method, rt.pattern, rt.op.work, free)
		}
		var body io.Reader
		if rt.op.body {
			body = strings.NewReader("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: fn}\nspec: {artifact: wasm}\n")
		}
		r := httptest.NewRequestWithContext(ctx, rt.method, fill.Replace(rt.pattern), body)
		r.Header.Set("Content-Type", "application/yaml")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		want := http.StatusServiceUnavailable
		if !rt.op.work {
			want = http.StatusOK
		}
		if w.Code != want {
			t.Errorf("%s %s with every slot busy: %d, want %d: %.200s", rt.method, rt.pattern, w.Code, want, w.Body)
		}
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequestWithContext(ctx, "GET", p, nil))
		if w.Code != http.StatusOK {
			t.Errorf("%s with every slot busy: %d", p, w.Code)
		}
	}
}

// TestListenerHosts: what a server answers to by default, by the address it listens on.
func TestListenerHosts(t *testing.T) {
	name, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr      net.Addr
		allow, no []string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, []string{"localhost:8080", "127.0.0.1", "[::1]:8080"}, []string{name, "10.1.2.3", "evil.example"}},
		{&net.TCPAddr{IP: net.IPv6loopback}, []string{"localhost", "[::1]:1"}, []string{"evil.example"}},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, []string{"10.1.2.3:8080", "[fe80::1]:8080", "localhost", name, strings.ToUpper(name) + "."}, []string{"evil.example", "10.1.2.3.nip.io"}},
		{&net.TCPAddr{Port: 8080}, []string{"192.168.1.5"}, []string{"evil.example"}},
		{&net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 8080}, []string{"10.0.0.5:8080", name, "localhost"}, []string{"10.0.0.6", "evil.example"}},
	} {
		p := listenerHosts(tc.addr)
		for _, h := range tc.allow {
			if !p.allows(h) {
				t.Errorf("listening on %v: Host %s refused (%s)", tc.addr, h, p)
			}
		}
		for _, h := range tc.no {
			if p.allows(h) {
				t.Errorf("listening on %v: Host %s allowed (%s)", tc.addr, h, p)
			}
		}
	}
	if p := listenerHosts(&net.UnixAddr{Name: "/run/strata.sock", Net: "unix"}); p != nil {
		t.Errorf("a unix socket gets a host check: %s", p)
	}
}

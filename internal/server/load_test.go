package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/server"
	"github.com/strata-dev/strata/internal/telemetry"
)

// loadResult is what one bounded run of the load generator measured.
type loadResult struct {
	requests, errors int
	rps              float64
	p50, p99, max    time.Duration
	heapStart        uint64 // live heap after GC, after warm-up
	heapEnd          uint64
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d requests, %d errors, %.0f req/s, p50 %v, p99 %v, max %v, live heap %.1f → %.1f MiB",
		r.requests, r.errors, r.rps, r.p50, r.p99, r.max, float64(r.heapStart)/(1<<20), float64(r.heapEnd)/(1<<20))
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// latencyHist counts latencies in 10 µs buckets up to 1 s: constant memory however long
// the run, so that it does not hide or fake the server's heap growth.
type latencyHist struct {
	counts []uint32
	over   int
	max    time.Duration
}

const histStep = 10 * time.Microsecond

func newHist() *latencyHist { return &latencyHist{counts: make([]uint32, int(time.Second/histStep))} }

func (h *latencyHist) add(d time.Duration) {
	if i := int(d / histStep); i < len(h.counts) {
		h.counts[i]++
	} else {
		h.over++
	}
	h.max = max(h.max, d)
}

func (h *latencyHist) merge(o *latencyHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.over += o.over
	h.max = max(h.max, o.max)
}

func (h *latencyHist) total() int {
	n := h.over
	for _, c := range h.counts {
		n += int(c)
	}
	return n
}

// quantile is the upper edge of the bucket holding quantile q.
func (h *latencyHist) quantile(q float64) time.Duration {
	want := int(q * float64(h.total()))
	seen := 0
	for i, c := range h.counts {
		seen += int(c)
		if seen > want {
			return time.Duration(i+1) * histStep
		}
	}
	return h.max
}

// generate runs workers keep-alive clients against one request for d, after a warm-up of
// d/10, and records every latency.
func generate(t *testing.T, workers int, d time.Duration, newReq func() *http.Request) loadResult {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	hists := make([]*latencyHist, workers)
	for w := range hists {
		hists[w] = newHist()
	}
	run := func(d time.Duration, record bool) int {
		errs := make([]int, workers)
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					start := time.Now()
					resp, err := client.Do(newReq())
					if err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if err == nil && resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
					}
					if err != nil {
						errs[w]++
						continue
					}
					if record {
						hists[w].add(time.Since(start))
					}
				}
			})
		}
		wg.Wait()
		n := 0
		for _, e := range errs {
			n += e
		}
		return n
	}
	run(d/10, false)
	res := loadResult{heapStart: liveHeap()}
	start := time.Now()
	res.errors = run(d, true)
	elapsed := time.Since(start)
	res.heapEnd = liveHeap()
	all := newHist()
	for _, h := range hists {
		all.merge(h)
	}
	res.requests = all.total()
	res.rps = float64(res.requests) / elapsed.Seconds()
	res.p50, res.p99, res.max = all.quantile(.5), all.quantile(.99), all.max
	return res
}

// TestLoad measures the API on loopback with a bounded Go load generator: compare queries
// must reach 20,000 req/s and plans 2,000 req/s with p99 under 10 ms, no errors, and a
// live heap that does not grow. It runs only when STRATA_LOAD names a duration per
// endpoint (STRATA_LOAD=60s go test -run TestLoad -v ./internal/server/), because it
// needs the machine to itself. The server logs every request as JSON (to io.Discard), as
// strata serve does, and traces with the no-op provider, as without OTEL_* variables.
func TestLoad(t *testing.T) {
	v := os.Getenv("STRATA_LOAD")
	if v == "" {
		t.Skip("set STRATA_LOAD=10s (duration per endpoint) to run the load test")
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("STRATA_LOAD=%q: %v", v, err)
	}
	s := newServer(t, server.Config{Logger: telemetry.NewLogger(io.Discard, slog.LevelInfo)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	base := "http://" + ln.Addr().String()

	cases := []struct {
		name    string
		minRPS  float64
		workers int
		req     func() *http.Request
	}{
		{"compare", 20000, 16, func() *http.Request {
			r, _ := http.NewRequest("GET", base+"/api/v1/compare?a=L-4&b=L-2", nil)
			return r
		}},
		{"plan (POST YAML)", 2000, 4, func() *http.Request {
			r, _ := http.NewRequest("POST", base+"/api/v1/plan", strings.NewReader(edgeWorkload))
			r.Header.Set("Content-Type", "application/yaml")
			return r
		}},
		{"plan scenario (GET)", 2000, 4, func() *http.Request {
			r, _ := http.NewRequest("GET", base+"/api/v1/plan?scenario=edge", nil)
			return r
		}},
	}
	t.Logf("GOMAXPROCS=%d, NumCPU=%d, %v per endpoint", runtime.GOMAXPROCS(0), runtime.NumCPU(), d)
	for _, c := range cases {
		res := generate(t, c.workers, d, c.req)
		t.Logf("%-20s %s", c.name, res)
		if res.errors > 0 {
			t.Errorf("%s: %d errors", c.name, res.errors)
		}
		if res.rps < c.minRPS {
			t.Errorf("%s: %.0f req/s, want ≥ %.0f", c.name, res.rps, c.minRPS)
		}
		if res.p99 >= 10*time.Millisecond {
			t.Errorf("%s: p99 %v, want < 10ms", c.name, res.p99)
		}
		// Flat memory: the live heap may wobble by what the pools and buffers hold, not grow
		// with the number of requests.
		if res.heapEnd > res.heapStart+16<<20 {
			t.Errorf("%s: live heap grew from %d to %d bytes", c.name, res.heapStart, res.heapEnd)
		}
	}
}

// BenchmarkHandler times the handlers without the network: what one request costs.
func BenchmarkHandler(b *testing.B) {
	s := newServer(b, server.Config{Logger: telemetry.NewLogger(io.Discard, slog.LevelInfo)})
	for _, bc := range []struct{ name, method, target, body string }{
		{"compare", "GET", "/api/v1/compare?a=L-4&b=L-2", ""},
		{"why", "GET", "/api/v1/why?a=L-4&op=%3E&b=L-2", ""},
		{"search", "GET", "/api/v1/entities?q=container", ""},
		{"plan-scenario", "GET", "/api/v1/plan?scenario=edge", ""},
		{"plan-post", "POST", "/api/v1/plan", edgeWorkload},
		{"network", "GET", "/api/v1/network", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var body io.Reader
				if bc.body != "" {
					body = strings.NewReader(bc.body)
				}
				r := httptest.NewRequest(bc.method, bc.target, body)
				if bc.body != "" {
					r.Header.Set("Content-Type", "application/yaml")
				}
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// BenchmarkNearCaps times queries at the parameter bounds (checkParams): the most items,
// the longest names, names that miss and get a did-you-mean. Each must cost at most
// cpuBudget of CPU (user + system time of the process, so the garbage collector counts
// too): cheap to ask must stay cheap to answer. Before the bounds, 4,000 names to
// coordinates cost 2.5 s and 7,500 Pareto candidates 3.2 s.
func BenchmarkNearCaps(b *testing.B) {
	const cpuBudget = 50 * time.Millisecond
	s := newServer(b, server.Config{Logger: telemetry.NewLogger(io.Discard, slog.LevelInfo)})
	rsn, _ := deps(b)
	var ids, orders []string
	for _, e := range rsn.Network().Entities {
		ids = append(ids, e.ID)
	}
	for _, o := range rsn.Orders() {
		orders = append(orders, o.Type.ID+":max")
	}
	cycle := func(items []string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = items[i%len(items)]
		}
		return out
	}
	long := strings.Repeat("x", server.MaxParamBytes)
	stack := cycle([]string{"K3s", "Kata Containers", "WasmEdge", "Open Policy Agent", "containerd"}, server.MaxStack)
	for _, bc := range []struct {
		name, target string
		status       int
	}{
		{"coordinates-stack", "/api/v1/coordinates?stack=" + url.QueryEscape(strings.Join(stack, ",")), 0},
		{"coordinates-stack-words", "/api/v1/coordinates?stack=" + url.QueryEscape(strings.Join(cycle([]string{strings.TrimSpace(strings.Repeat("K3s ", server.MaxParamBytes/4))}, server.MaxStack), ",")), 0},
		{"coordinates-miss", "/api/v1/coordinates?stack=" + url.QueryEscape(strings.Join(append(stack[:server.MaxStack-1], long), ",")), 404},
		{"pareto-among", "/api/v1/pareto?criteria=" + url.QueryEscape(strings.Join(orders, ",")) + "&among=" + url.QueryEscape(strings.Join(cycle(ids, server.MaxAmong), ",")), 200},
		{"pareto-miss", "/api/v1/pareto?criteria=overhead:min&among=" + url.QueryEscape(strings.Join(append(cycle(ids, server.MaxAmong-1), long), ",")), 404},
		{"entity-miss", "/api/v1/entities/" + long, 404},
		{"compare-miss", "/api/v1/compare?a=" + long + "&b=" + long, 404},
		{"why-miss", "/api/v1/why?a=L-4&op=%3E&b=L-2&relation=" + long, 404},
		{"search-long", "/api/v1/entities?limit=10000&q=" + long, 200},
		{"search-all", "/api/v1/entities?limit=10000&q=a", 200},
		{"plan-miss", "/api/v1/plan?scenario=" + long, 404},
		// The queries that cost seconds before the bounds: refused before any work.
		{"coordinates-4000-names", "/api/v1/coordinates?stack=" + url.QueryEscape(strings.Join(cycle([]string{"K3s", "Kata Containers", "WasmEdge"}, 4000), ",")), 400},
		{"pareto-7500-among", "/api/v1/pareto?criteria=isolation-strength:max,overhead:min&among=" + url.QueryEscape(strings.Join(cycle(ids, 7500), ",")), 400},
	} {
		b.Run(bc.name, func(b *testing.B) {
			start := cpuTime(b)
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, httptest.NewRequest("GET", bc.target, nil))
				if w.Code >= 500 || (bc.status != 0 && w.Code != bc.status) {
					b.Fatalf("%d %.300s", w.Code, w.Body)
				}
			}
			perOp := (cpuTime(b) - start) / time.Duration(b.N)
			b.ReportMetric(float64(perOp.Microseconds())/1000, "cpu-ms/op")
			if perOp > cpuBudget {
				b.Errorf("%s: %v of CPU per request, want at most %v", bc.name, perOp, cpuBudget)
			}
		})
	}
}

// cpuTime is the user and system time the process has used.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

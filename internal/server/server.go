package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/reason"
)

// Limits and timeouts. The API answers from memory, so generous bounds still stop a slow
// or hostile client from holding a connection or memory for long.
const (
	MaxBodyBytes = 1 << 20 // a workload document is a few hundred bytes
	// MaxWorkloads is how many documents one POST to /api/v1/plan or /api/v1/manifests
	// may hold; more is answered 413 too-many-workloads. Each is parsed and planned, so
	// the body limit alone would let one request hold a CPU for seconds.
	MaxWorkloads = 100
	// Query and path parameters are bounded before any work is done (checkParams), and the
	// OpenAPI document states each bound: one value (one item of a list) is at most
	// MaxParamBytes (an image reference MaxImageBytes), since a did-you-mean compares a
	// name with every name of the network; the lists are at most MaxStack technologies,
	// MaxAmong Pareto candidates and MaxCriteria criteria, and an item named twice counts
	// once.
	MaxParamBytes = 256
	MaxImageBytes = 1024
	MaxStack      = 32
	MaxAmong      = 256
	MaxCriteria   = 16

	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 2 * time.Minute
	ShutdownTimeout   = 10 * time.Second
)

// Config is what a server serves and how it reports on itself. Reasoner and Planner are
// required; the rest has defaults.
type Config struct {
	Reasoner *reason.Reasoner
	Planner  *plan.Planner
	// Results are probe and bench JSON files served under /api/v1/results; they are read
	// on each request, so the files stay the only state.
	Results []string
	Version string
	Logger  *slog.Logger // default: discard
	// TracerProvider defaults to a no-op provider.
	TracerProvider trace.TracerProvider
	// Registry defaults to a fresh registry with the Go and process collectors
	// (NewRegistry).
	Registry *prometheus.Registry
	// NoUI turns the embedded web UI off; the zero value serves it.
	NoUI bool
	// ShutdownDelay is how long Serve keeps serving after its context is cancelled while
	// /readyz already answers 503, so that load balancers and Kubernetes endpoints stop
	// sending new requests before the listener closes. The default is 0; behind
	// Kubernetes set a few seconds (more than the readiness probe's period).
	ShutdownDelay time.Duration
	// ShutdownTimeout bounds the wait for requests in flight once the listener is closed;
	// connections still open then are closed. Default: ShutdownTimeout.
	ShutdownTimeout time.Duration
	// AllowedHosts are the host names and IP addresses (no ports) the server answers to, or
	// "*" for any; a request whose Host header names another is answered 421, so that a
	// page on a DNS name that rebinds to this machine cannot read the server. Empty: Serve
	// answers to the names of its listener's address (on loopback: localhost, 127.0.0.1
	// and ::1; on every address: any IP address, localhost and the host name; on one
	// address: that address, localhost and the host name), and ServeHTTP used on its own
	// checks nothing.
	AllowedHosts []string
	// MaxConnections bounds the connections Serve keeps open at once; more wait to be
	// accepted until one closes. Zero means DefaultMaxConnections.
	MaxConnections int
}

// Server is the HTTP handler of strata serve.
type Server struct {
	// cur is the network served: each request takes it once, so a reload (Update) swaps
	// it for new requests while those in flight finish on the one they started with.
	cur         atomic.Pointer[state]
	gen         atomic.Uint64
	swap        sync.Mutex        // serialises Update
	results     map[string]string // name → path
	version     string
	log         *slog.Logger
	tracer      trace.Tracer
	metrics     *metrics
	routes      []route
	mux         http.Handler // the routes, without the guard
	handler     http.Handler // the guard around mux: what ServeHTTP serves
	hosts       *hostPolicy  // Config.AllowedHosts; nil: Serve's listener decides
	ready       atomic.Bool
	static      staticJSON // the answers that never change (the OpenAPI document)
	resultFiles []string   // Config.Results, for the file names a reloaded network may show
	// lists keeps the JSON of the last network document's facts and chains, by file, for
	// the next one's (networkBlob)
	lists listCache
	// work holds a slot per request that parses, plans or emits, so a burst queues
	// instead of starving every other request of CPU.
	work chan struct{}
	// maxConns is Config.MaxConnections.
	maxConns int

	shutdownDelay, shutdownTimeout time.Duration
}

// New builds a server. It precomputes the answers that never change (the network
// document) and registers the metrics.
func New(cfg Config) (*Server, error) {
	if cfg.Reasoner == nil || cfg.Planner == nil {
		return nil, errors.New("server needs a reasoner and a planner")
	}
	s := &Server{version: cfg.Version, log: cfg.Logger, results: map[string]string{},
		work: make(chan struct{}, runtime.GOMAXPROCS(0)*4), shutdownDelay: cfg.ShutdownDelay, shutdownTimeout: cfg.ShutdownTimeout}
	switch s.maxConns = cfg.MaxConnections; {
	case s.maxConns == 0:
		s.maxConns = DefaultMaxConnections
	case s.maxConns < 0:
		return nil, fmt.Errorf("max connections %d is negative", s.maxConns)
	}
	if s.shutdownDelay < 0 {
		return nil, fmt.Errorf("shutdown delay %v is negative", s.shutdownDelay)
	}
	if s.shutdownTimeout <= 0 {
		s.shutdownTimeout = ShutdownTimeout
	}
	if s.version == "" {
		s.version = "devel"
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	tp := cfg.TracerProvider
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	s.tracer = tp.Tracer("github.com/strata-dev/strata/internal/server")
	for _, p := range cfg.Results {
		name := filepath.Base(p)
		if _, dup := s.results[name]; dup {
			return nil, fmt.Errorf("--results: two files are named %s; rename one", name)
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("--results: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("--results: %w", notRegular(p, fi.Mode()))
		}
		s.results[name] = p
	}
	reg := cfg.Registry
	if reg == nil {
		reg = NewRegistry()
	}
	var err error
	if s.metrics, err = newMetrics(reg, cfg.Reasoner.Network(), s.version); err != nil {
		return nil, err
	}
	s.resultFiles = cfg.Results
	st, err := s.newState(cfg.Reasoner, cfg.Planner, nil)
	if err != nil {
		return nil, err
	}
	s.cur.Store(st)
	if err := s.static.build(s); err != nil {
		return nil, err
	}
	if len(cfg.AllowedHosts) > 0 {
		if s.hosts, err = newHostPolicy(cfg.AllowedHosts); err != nil {
			return nil, fmt.Errorf("allowed hosts: %w", err)
		}
	}
	s.routes = s.apiRoutes()
	s.mux = s.buildMux(!cfg.NoUI)
	s.handler = s.guard(s.hosts, s.mux)
	s.ready.Store(true)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists the API's method and path patterns, sorted, as the mux has them.
func (s *Server) Routes() []string {
	var out []string
	for _, rt := range s.routes {
		out = append(out, rt.method+" "+rt.pattern)
	}
	sort.Strings(out)
	return out
}

// buildMux registers every route. Each path pattern gets one handler that answers 405
// with a JSON body and an Allow header for methods it does not serve, and every unknown
// path under /api/ answers a JSON 404.
func (s *Server) buildMux(ui bool) http.Handler {
	mux := http.NewServeMux()
	byPattern := map[string]map[string]http.Handler{}
	var order []string
	probes := []route{
		{method: "GET", pattern: "/healthz", handler: s.healthz},
		{method: "GET", pattern: "/readyz", handler: s.readyz},
	}
	for _, rt := range append(slices.Clone(s.routes), probes...) {
		if _, ok := byPattern[rt.pattern]; !ok {
			order = append(order, rt.pattern)
			byPattern[rt.pattern] = map[string]http.Handler{}
		}
		byPattern[rt.pattern][rt.method] = s.serveRoute(rt)
	}
	for _, p := range order {
		mux.Handle(p, s.instrument(p, methodSwitch(byPattern[p])))
	}
	mux.Handle("/metrics", s.instrument("/metrics", methodSwitch(map[string]http.Handler{http.MethodGet: s.metrics.handler()})))
	mux.Handle("/api/", s.instrument("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &apiError{Status: http.StatusNotFound, Code: "not-found",
			Message: fmt.Sprintf("no API endpoint %s; the endpoints are listed in /api/v1/openapi.json", r.URL.Path)})
	})))
	if ui {
		mux.Handle("/", s.instrument("/", uiHandler()))
	}
	return mux
}

// methodSwitch dispatches on the method; HEAD is served as GET.
func methodSwitch(byMethod map[string]http.Handler) http.Handler {
	var allow []string
	for m := range byMethod {
		allow = append(allow, m)
		if m == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	slices.Sort(allow)
	allowed := strings.Join(allow, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := r.Method
		if m == http.MethodHead {
			m = http.MethodGet
		}
		if h, ok := byMethod[m]; ok {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", allowed)
		writeError(w, r, &apiError{Status: http.StatusMethodNotAllowed, Code: "method-not-allowed",
			Message: fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, allowed)})
	})
}

// HealthAnswer is the answer of /healthz.
type HealthAnswer struct {
	Status string `json:"status"`
}

// ReadyAnswer is the answer of /readyz while the server takes requests.
type ReadyAnswer struct {
	Status   string `json:"status"`
	Entities int    `json:"entities"`
	Facts    int    `json:"facts"`
}

func (s *Server) healthz(*request) result { return result{data: HealthAnswer{"ok"}} }

func (s *Server) readyz(*request) result {
	if !s.ready.Load() {
		return result{err: &apiError{Status: http.StatusServiceUnavailable, Code: "not-ready", Message: "strata is shutting down"}}
	}
	n := s.state().net
	return result{data: ReadyAnswer{"ready", len(n.Entities), len(n.Facts)}}
}

// Serve serves on the listener until ctx is cancelled, then shuts down gracefully: it
// reports not ready at once, keeps serving for the shutdown delay so that load balancers
// see /readyz fail and stop sending requests, then stops accepting and waits up to the
// shutdown timeout for requests in flight, and closes the connections still open after
// that.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	handler := s.handler
	if s.hosts == nil {
		hosts := listenerHosts(ln.Addr())
		handler = s.guard(hosts, s.mux)
		if hosts != nil {
			s.log.Info("answering to", "hosts", hosts.String())
		}
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(newLimitListener(ln, s.maxConns)) }()
	s.log.Info("serving", "address", ln.Addr().String(), "entities", len(s.state().net.Entities), "facts", len(s.state().net.Facts))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.ready.Store(false)
	if s.shutdownDelay > 0 {
		s.log.Info("draining: not ready, still serving", "delay", s.shutdownDelay.String())
		t := time.NewTimer(s.shutdownDelay)
		select {
		case <-t.C:
		case err := <-errc: // the listener failed while draining
			t.Stop()
			hs.Close()
			return err
		}
	}
	s.log.Info("shutting down", "timeout", s.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		// Requests still running past the timeout: cut their connections rather than
		// leave them to the read and write timeouts.
		hs.Close()
		<-errc
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Command strata-demo is a small instrumented HTTP service whose handlers spend their time
// in known ways, so that strata locate can be checked against the truth:
//
//	/cpu         a 30 ms CPU loop                     → cpu-user
//	/fsync       8 × (write 64 KiB, fsync)            → blocked/disk
//	/lock        waits 30 ms for a contended mutex    → blocked/lock
//	/sleep       time.Sleep(30 ms)                    → blocked/sleep
//	/downstream  calls a slow (30 ms) downstream      → blocked/network
//	             over a connection it reads itself
//	/light       200 µs of CPU (for load tests)
//
// Each handler pins its goroutine to its thread (runtime.LockOSThread) and records the
// thread as the span attribute thread.id, and the port it serves on as server.port, so
// strata can match kernel events to the span exactly; spans go out over OTLP/HTTP as the
// standard OTEL_* variables say, batched: the last ones when the demo shuts down (on exit,
// SIGINT or SIGTERM).
//
// -drive N sends N requests to each of the first five handlers in turn and exits (with
// -linger it goes on serving until interrupted); -load RATE -duration D offers RATE
// requests/s to /light and prints a JSON summary. -no-pid leaves the resource attribute
// process.pid out, so spans can only be tied to the process by server.port.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"golang.org/x/sys/unix"
)

func main() { os.Exit(run(context.Background(), os.Args[1:])) }

func run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("strata-demo", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen `address`")
	dir := fs.String("dir", os.TempDir(), "`directory` for the fsync handler's file")
	drive := fs.Int("drive", 0, "send `N` requests to each handler, then exit")
	load := fs.Int("load", 0, "offer `RATE` requests/s to /light, then print a summary and exit")
	dur := fs.Duration("duration", 3*time.Second, "how long -load runs")
	linger := fs.Bool("linger", false, "after -drive, serve until interrupted")
	noPID := fs.Bool("no-pid", false, "leave process.pid out of the spans' resource")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	tracer, shutdown, err := setupTracing(ctx, !*noPID)
	if err != nil {
		fmt.Fprintln(os.Stderr, "strata-demo:", err)
		return 1
	}
	defer shutdown()

	down, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "strata-demo:", err)
		return 1
	}
	// The downstream is uninstrumented: to the demo it is a remote dependency.
	go http.Serve(down, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
		io.WriteString(w, "ok")
	}))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "strata-demo:", err)
		return 1
	}
	s := &service{tracer: tracer, dir: *dir, downstream: down.Addr().String(), port: ln.Addr().(*net.TCPAddr).Port}
	srv := &http.Server{Handler: s.mux(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	base := "http://" + ln.Addr().String()
	fmt.Println("listening on", ln.Addr())
	switch {
	case *drive > 0:
		for _, p := range []string{"/cpu", "/fsync", "/lock", "/sleep", "/downstream"} {
			for range *drive {
				get(base + p)
			}
		}
		if *linger {
			<-ctx.Done()
		}
	case *load > 0:
		json.NewEncoder(os.Stdout).Encode(offer(base+"/light", *load, *dur))
	default:
		<-ctx.Done()
	}
	srv.Shutdown(context.Background())
	return 0
}

func setupTracing(ctx context.Context, withPID bool) (trace.Tracer, func(), error) {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return noop.NewTracerProvider().Tracer("strata-demo"), func() {}, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, nil, err
	}
	opts := []resource.Option{resource.WithAttributes(attribute.String("service.name", "strata-demo")), resource.WithTelemetrySDK()}
	if withPID {
		opts = append(opts, resource.WithProcessPID())
	}
	res, _ := resource.New(ctx, opts...)
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return tp.Tracer("strata-demo"), func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tp.Shutdown(sctx)
	}, nil
}

type service struct {
	tracer     trace.Tracer
	dir        string
	downstream string
	port       int
	mu         sync.Mutex
	fileN      atomic.Int64
}

func (s *service) mux() *http.ServeMux {
	m := http.NewServeMux()
	for path, f := range map[string]func(){
		"/cpu": func() { spin(30 * time.Millisecond) }, "/light": func() { spin(200 * time.Microsecond) },
		"/fsync": s.fsync, "/lock": s.lock, "/sleep": func() { time.Sleep(30 * time.Millisecond) }, "/downstream": s.callDownstream,
	} {
		m.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			runtime.LockOSThread() // the span's time is this thread's time
			defer runtime.UnlockOSThread()
			_, span := s.tracer.Start(r.Context(), "GET "+path, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.Int("thread.id", unix.Gettid()), attribute.Int("server.port", s.port)))
			f()
			span.End()
			io.WriteString(w, "ok\n")
		})
	}
	return m
}

func spin(d time.Duration) {
	x := 1.0
	for end := time.Now().Add(d); time.Now().Before(end); {
		for range 1000 {
			x = x*1.0000001 + 1e-9
		}
	}
	_ = x
}

func (s *service) fsync() {
	path := filepath.Join(s.dir, fmt.Sprintf("strata-demo-%d-%d", os.Getpid(), s.fileN.Add(1)))
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer os.Remove(path)
	defer f.Close()
	buf := make([]byte, 64<<10)
	for range 8 {
		f.Write(buf)
		f.Sync()
	}
}

// lock waits for a mutex that another goroutine holds for 30 ms of CPU work.
func (s *service) lock() {
	held := make(chan struct{})
	go func() {
		s.mu.Lock()
		close(held)
		spin(30 * time.Millisecond)
		s.mu.Unlock()
	}()
	<-held
	s.mu.Lock()
	s.mu.Unlock()
}

// callDownstream sends one HTTP request to the downstream over a connection of its own and
// reads the answer on the handler's goroutine, so the wait is the span's own thread's: its
// read finds the socket empty (EAGAIN) and the runtime parks the thread for it. (Through
// http.Client the reading is done by the transport's goroutines on other threads, and the
// handler's thread only waits on a channel they feed.)
func (s *service) callDownstream() {
	c, err := net.Dial("tcp", s.downstream)
	if err != nil {
		return
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: downstream\r\nConnection: close\r\n\r\n")
	io.Copy(io.Discard, c)
}

func get(url string) {
	resp, err := http.Get(url)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// Summary is what -load prints.
type Summary struct {
	Offered   int     `json:"offered_per_s"`
	Done      int64   `json:"done"`
	Seconds   float64 `json:"seconds"`
	Rate      float64 `json:"achieved_per_s"`
	P50Micros int64   `json:"p50_us"`
	P99Micros int64   `json:"p99_us"`
	CPUMicros int64   `json:"cpu_us_per_request"`
}

// offer sends rate requests/s (open loop, up to 64 in flight) for d.
func offer(url string, rate int, d time.Duration) Summary {
	var ru0, ru1 unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru0)
	interval := time.Second / time.Duration(rate)
	sem := make(chan struct{}, 64)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for next := start; time.Since(start) < d; next = next.Add(interval) {
		time.Sleep(time.Until(next))
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.Now()
			get(url)
			mu.Lock()
			lat = append(lat, time.Since(t))
			mu.Unlock()
			<-sem
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	unix.Getrusage(unix.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) / time.Duration(max(len(lat), 1))
	sortDurations(lat)
	q := func(p float64) int64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(p*float64(len(lat)-1))].Microseconds()
	}
	return Summary{Offered: rate, Done: int64(len(lat)), Seconds: secs, Rate: float64(len(lat)) / secs, P50Micros: q(0.5), P99Micros: q(0.99), CPUMicros: cpu.Microseconds()}
}

func sortDurations(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

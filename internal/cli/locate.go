package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/locate"
	"github.com/strata-dev/strata/locate/ebpf"
	"github.com/strata-dev/strata/locate/procfs"
)

// locateFlags are the options of strata locate.
type locateFlags struct {
	pids        []int
	otlp        string
	spans       string
	events      string
	record      string
	export      string
	metrics     string
	span        string
	name        string
	top         int
	forDur      time.Duration
	sampled     bool
	period      time.Duration
	longSyscall time.Duration
}

func (a *app) locateCommand() *cobra.Command {
	var f locateFlags
	cmd := &cobra.Command{
		Use:   "locate [flags] [-- command [args...]]",
		Short: "Find where each span's time went: OTLP spans (O1) × kernel events (O2)",
		Long: `Problem location = horizontal coordinate (O1, OTLP spans) × vertical coordinate (O2,
kernel events). strata locate runs a program under observation (or attaches to --pid),
collects its spans and what the kernel saw its threads do, and splits each span's wall
time into:

  children          time covered by child spans
  cpu-user          on CPU in user space
  cpu-kernel/CLASS  on CPU in the kernel, by syscall class (file, net, futex, poll,
                    sleep, mem, proc, other)
  blocked/CAUSE     off CPU: disk, network, lock (futex), sleep, pipe, child, io, other
  runqueue          runnable, waiting for a CPU
  unexplained       nothing observed

Each part says how sure it is: exact (the span names its thread with the attribute
thread.id), process (the span was the only one of its process running), share (several
spans of the process ran at once and shared its state), and the evidence behind it.
The parts of a span add up to its wall time exactly.

Spans come over OTLP/HTTP (--otlp: protobuf or JSON, gzip; the command gets
OTEL_EXPORTER_OTLP_ENDPOINT pointing there) or from an OTLP JSON file (--spans, read when
the observation ends). They are tied to processes by the resource attribute process.pid,
or by the server.port they listen on. Without spans, each observed process is one span.

Kernel events come from eBPF (sched_switch/wakeup, syscalls, block I/O; root and BTF
needed). Where eBPF cannot load, strata samples /proc instead (or with --sampled) and
marks the report SAMPLED: then times are estimates at the sampling period.

Go programs: goroutines move between threads, so a span is tied to its process, not a
thread, unless the handler pins its goroutine (runtime.LockOSThread) and records
thread.id; a pinned thread that parks is charged to network or sleep when the thread
that woke it had just returned from netpoll, and to lock otherwise.

Formats (-o): table (default), json, yaml. --export re-sends the spans over OTLP/HTTP
with the breakdown as strata.locate.* attributes; --metrics serves Prometheus histograms
per part with trace-id exemplars until interrupted. --record saves the kernel events,
and --events joins such a recording later.`,
		Example: `  strata locate -- sleep 0.2
  strata locate -o json --top 1 -- dd if=/dev/zero of=/dev/null bs=1M count=32
  strata locate --pid 1 --for 300ms --sampled
  # a service that exports OTLP/HTTP to strata while it runs:
  #   strata locate --otlp 127.0.0.1:4318 -- ./my-service --flag
  # spans the program wrote as OTLP JSON, read when it exits; keep the kernel events:
  #   strata locate --spans spans.json --record events.json -- ./my-service
  # join them again later, only the slowest span of one trace:
  #   strata locate --spans spans.json --events events.json --span 0af7651916cd43dd --top 1`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runLocate(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.IntSliceVar(&f.pids, "pid", nil, "observe this running process `PID` (repeatable)")
	fl.StringVar(&f.otlp, "otlp", "", "receive spans over OTLP/HTTP on `ADDR` (host:port) at /v1/traces")
	fl.StringVar(&f.spans, "spans", "", "read spans from this OTLP JSON (or protobuf) `FILE`, gzip allowed")
	fl.StringVar(&f.events, "events", "", "join a recording `FILE` made with --record instead of observing")
	fl.StringVar(&f.record, "record", "", "save what the kernel showed to `FILE`")
	fl.StringVar(&f.export, "export", "", "re-export the spans with their breakdown to this OTLP/HTTP `URL` (…/v1/traces)")
	fl.StringVar(&f.metrics, "metrics", "", "serve Prometheus /metrics on `ADDR` after the report, until interrupted")
	fl.StringVar(&f.span, "span", "", "only spans whose span id or trace id starts with `ID`")
	fl.StringVar(&f.name, "name", "", "only spans whose name contains `TEXT`")
	fl.IntVar(&f.top, "top", 10, "show the `N` slowest spans (0: all)")
	fl.DurationVar(&f.forDur, "for", 0, "observe for this `duration` (default: until the command exits, or Ctrl-C)")
	fl.BoolVar(&f.sampled, "sampled", false, "sample /proc instead of using eBPF")
	fl.DurationVar(&f.period, "sample-period", 2*time.Millisecond, "`period` of /proc sampling")
	fl.DurationVar(&f.longSyscall, "long-syscall", time.Millisecond, "syscalls at least this `long` are events; shorter ones are summed per thread")
	return cmd
}

// locateObservation is what one observation produced.
type locateObservation struct {
	rec      *locate.Recording
	receiver *locate.Receiver
	from, to time.Time
	comm     map[int32]string
}

func (a *app) runLocate(cmd *cobra.Command, args []string, f locateFlags) error {
	format, err := a.format()
	if err != nil {
		return err
	}
	if f.events != "" && (len(args) > 0 || len(f.pids) > 0 || f.otlp != "") {
		return usagef("--events replays a recording: it takes no command, --pid or --otlp")
	}
	if f.events == "" && len(args) == 0 && len(f.pids) == 0 {
		return usagef("nothing to observe: give a command after --, --pid PID, or --events FILE")
	}
	if f.top < 0 {
		return usagef("--top must be 0 or more")
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var obs locateObservation
	if f.events != "" {
		fh, err := os.Open(f.events)
		if err != nil {
			return usageError{err}
		}
		obs.rec, err = locate.ReadRecording(fh)
		fh.Close()
		if err != nil {
			return inputError{fmt.Errorf("%s: %w", f.events, err)}
		}
		obs.from, obs.to = time.Unix(0, obs.rec.Start), time.Unix(0, obs.rec.End)
	} else if obs, err = a.observe(ctx, args, f); err != nil {
		return err
	}

	var batches []*locate.Traces
	if obs.receiver != nil {
		batches = append(batches, obs.receiver.Traces()...)
	}
	if f.spans != "" {
		fh, err := os.Open(f.spans)
		if err != nil {
			return usageError{err}
		}
		got, err := locate.ReadSpanFile(fh)
		fh.Close()
		if err != nil {
			return inputError{fmt.Errorf("%s: %w", f.spans, err)}
		}
		batches = append(batches, got...)
	}
	var spans []locate.Span
	for _, b := range batches {
		spans = append(spans, locate.SpansOf(b)...)
	}
	rec := obs.rec
	tieByPort(spans, rec.PIDs)
	if len(spans) == 0 && f.spans == "" && f.otlp == "" {
		for _, pid := range rec.PIDs {
			spans = append(spans, locate.Span{TraceID: "-", SpanID: "pid-" + strconv.Itoa(int(pid)), Name: processName(pid, obs.comm), Start: obs.from, End: obs.to, PID: pid})
		}
	}
	tl := rec.Timeline()
	opt := locate.JoinOptions{Top: f.top}
	if f.span != "" || f.name != "" {
		opt.Select = func(s locate.Span) bool {
			return (f.span == "" || strings.HasPrefix(s.SpanID, f.span) || strings.HasPrefix(s.TraceID, f.span)) &&
				(f.name == "" || strings.Contains(s.Name, f.name))
		}
	}
	report := locate.Join(spans, tl, opt)
	if f.otlp != "" && len(spans) == 0 {
		report.Notes = append(report.Notes, "no spans arrived on "+f.otlp+": does the program export OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT)?")
	}

	if f.record != "" && f.events == "" {
		if err := writeRecording(f.record, rec); err != nil {
			return err
		}
	}
	var out bytes.Buffer
	if format == "table" {
		writeLocateTable(&out, report)
	} else if err := encode(&out, format, report); err != nil {
		return err
	}
	if _, err := a.stdout.Write(out.Bytes()); err != nil {
		return err
	}
	if f.export != "" {
		if err := locate.Export(ctx, &http.Client{Timeout: 30 * time.Second}, f.export, locate.Annotate(batches, report)); err != nil {
			return err
		}
	}
	if f.metrics != "" {
		return serveLocateMetrics(ctx, f.metrics, report, a.stderr)
	}
	return nil
}

// observe runs the command or attaches to the pids and collects kernel events and spans.
func (a *app) observe(ctx context.Context, args []string, f locateFlags) (locateObservation, error) {
	obs := locateObservation{comm: map[int32]string{}}
	type collector interface {
		Add(pid int) error
		stop() *locate.Recording
	}
	var col collector
	var note string
	if !f.sampled {
		c, err := ebpf.New(ctx, ebpf.Options{LongSyscall: f.longSyscall, FollowForks: true})
		switch {
		case err == nil:
			col = ebpfCollector{c}
		case errors.Is(err, locate.ErrNotSupported):
			note = "eBPF unavailable (" + err.Error() + "): fell back to sampling /proc"
		default:
			return obs, err
		}
	}
	var sampler *procfs.Sampler
	if col == nil {
		sampler = procfs.New(procfs.Options{Period: f.period})
		col = samplerCollector{sampler}
	}
	if f.otlp != "" {
		obs.receiver = &locate.Receiver{}
		addr, err := obs.receiver.Listen(ctx, f.otlp)
		if err != nil {
			col.stop()
			return obs, usageError{err}
		}
		f.otlp = addr
	}
	for _, pid := range f.pids {
		if err := col.Add(pid); err != nil {
			col.stop()
			return obs, usageError{fmt.Errorf("--pid %d: %w", pid, err)}
		}
		obs.comm[int32(pid)] = readComm(pid)
	}
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	if sampler != nil {
		go sampler.Run(runCtx)
	}
	obs.from = time.Now()
	if len(args) > 0 {
		c := exec.CommandContext(ctx, args[0], args[1:]...)
		c.Stdout, c.Stderr = a.stderr, a.stderr
		c.Env = os.Environ()
		if f.otlp != "" {
			c.Env = append(c.Env, "OTEL_EXPORTER_OTLP_ENDPOINT=http://"+f.otlp, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://"+f.otlp+"/v1/traces",
				"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "OTEL_TRACES_EXPORTER=otlp")
		}
		// With eBPF, the command is a target from its fork on, so nothing it does is missed.
		var endFollow func()
		if ec, ok := col.(ebpfCollector); ok {
			endFollow, _ = ec.c.ForksOf(os.Getpid())
		}
		err := c.Start()
		if endFollow != nil {
			endFollow()
		}
		if err != nil {
			col.stop()
			return obs, usageError{fmt.Errorf("run %s: %w", args[0], err)}
		}
		_ = col.Add(c.Process.Pid)
		obs.comm[int32(c.Process.Pid)] = args[0]
		var timer <-chan time.Time
		if f.forDur > 0 {
			timer = time.After(f.forDur)
		}
		waited := make(chan error, 1)
		go func() { waited <- c.Wait() }()
		select {
		case err := <-waited:
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				fmt.Fprintf(a.stderr, "strata: %s exited with status %d\n", args[0], ee.ExitCode())
			}
		case <-timer:
			_ = c.Process.Signal(os.Interrupt)
			<-waited
		}
	} else {
		var timer <-chan time.Time
		if f.forDur > 0 {
			timer = time.After(f.forDur)
		}
		select {
		case <-ctx.Done():
		case <-timer:
		}
	}
	obs.to = time.Now()
	cancelRun()
	obs.rec = col.stop()
	if note != "" {
		obs.rec.Notes = append([]string{note}, obs.rec.Notes...)
	}
	return obs, nil
}

type ebpfCollector struct{ c *ebpf.Collector }

func (e ebpfCollector) Add(pid int) error { return e.c.Add(pid) }
func (e ebpfCollector) stop() *locate.Recording {
	rec, err := e.c.Stop()
	if err != nil {
		return &locate.Recording{Source: "ebpf", Notes: []string{err.Error()}}
	}
	return rec
}

type samplerCollector struct{ s *procfs.Sampler }

func (s samplerCollector) Add(pid int) error       { return s.s.Add(pid) }
func (s samplerCollector) stop() *locate.Recording { return s.s.Stop() }

// tieByPort gives spans that name a listening port but no process the observed process
// that listens there.
func tieByPort(spans []locate.Span, pids []int32) {
	found := map[int]int32{}
	for i := range spans {
		s := &spans[i]
		if s.PID != 0 || s.Port == 0 {
			continue
		}
		pid, ok := found[s.Port]
		if !ok {
			pid, _ = procfs.ListeningPID("", s.Port, pids)
			found[s.Port] = pid
		}
		s.PID = pid
	}
}

func readComm(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func processName(pid int32, comm map[int32]string) string {
	if c := comm[pid]; c != "" {
		return fmt.Sprintf("process %d (%s)", pid, c)
	}
	return fmt.Sprintf("process %d", pid)
}

func writeRecording(path string, rec *locate.Recording) error {
	var buf bytes.Buffer
	if err := locate.WriteRecording(&buf, rec); err != nil {
		return err
	}
	return writeAtomic(path, buf.Bytes())
}

// writeLocateTable renders the report for people: one block per span, parts largest first.
func writeLocateTable(w *bytes.Buffer, r locate.Report) {
	fmt.Fprintf(w, "source: %s, %d kernel events, %d lost; %d spans\n", r.Source, r.Events, r.Lost, r.Spans)
	if r.Sampled {
		fmt.Fprintf(w, "SAMPLED every %s: times are estimates, not measurements of each switch\n", r.Period)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if len(r.Breakdowns) == 0 {
		fmt.Fprintln(w, "\nno spans to break down")
	}
	for _, b := range r.Breakdowns {
		fmt.Fprintf(w, "\n%s  wall %s  trace %s span %s\n  tied to %s\n", b.Span.Name, fmtDur(b.Wall), shortID(b.Span.TraceID), shortID(b.Span.SpanID), b.Match)
		t := &table{header: []string{"  PART", "TIME", "SHARE", "CONFIDENCE", "EVIDENCE"}}
		for _, p := range b.Parts {
			share := "-"
			if b.Wall > 0 {
				share = fmt.Sprintf("%.1f%%", 100*float64(p.Time)/float64(b.Wall))
			}
			t.add("  "+p.Label(), fmtDur(p.Time), share, string(p.Confidence), strings.Join(p.Evidence, "; "))
		}
		t.write(w)
	}
}

func shortID(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

// fmtDur prints a duration with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.3gs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.3gms", float64(d)/1e6)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.3gµs", float64(d)/1e3)
	}
	return fmt.Sprintf("%dns", d)
}

// serveLocateMetrics serves the report's histograms at /metrics until ctx ends.
func serveLocateMetrics(ctx context.Context, addr string, r locate.Report, stderr interface{ Write([]byte) (int, error) }) error {
	reg := prometheus.NewRegistry()
	m, err := locate.NewMetrics(reg)
	if err != nil {
		return err
	}
	m.Observe(r)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "strata: serving the breakdowns as metrics on http://%s/metrics; Ctrl-C stops\n", addr)
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return usageError{fmt.Errorf("--metrics: %w", err)}
	}
	return nil
}

package cli

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	realtime    bool
	longSyscall time.Duration
	maxEvents   int
	goWaits     bool
}

// locateStopDelay is how long a command stopped with SIGINT (Ctrl-C, --for) has to exit
// before it is killed.
var locateStopDelay = 5 * time.Second

// locateSpanGrace is how long the OTLP receiver stays open after the command exited or
// the observation ended, for spans still on their way.
var locateSpanGrace = 200 * time.Millisecond

// locatePortScan is how often the ports the observed processes listen on are read until
// one is found, and locatePortRescan how often after that (and at once when a span names
// a port not seen yet): reading /proc/net/tcp costs in proportion to every connection on
// the host, tens of thousands on a loaded server.
var locatePortScan, locatePortRescan = 250 * time.Millisecond, 5 * time.Second

// locateAttaching is called once the collector is ready, before it takes the --pid
// processes; locateObserving once the observation has started (the collector holds every
// --pid, the command has started), before it waits. Tests hook them.
var locateAttaching, locateObserving = func() {}, func() {}

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

Each part says how sure it is, and the evidence behind it:
  exact    the span names its thread (attribute thread.id)
  learned  the span named no thread, but its thread was learned: the main thread for
           Node.js (JavaScript runs on the event loop), else the one thread of the
           process on CPU both when the span started and when it ended (Python, Java,
           C); "tied to" says how
  process  the thread is not known (Go: goroutines move between threads), but all the
           threads that could have run the span were in one state, and the span ran
           alone in its process
  share    the most telling state of several spans or several candidate threads;
           threads idle at the span's start and end never stand for it
The parts of a span add up to its wall time exactly.

Spans come over OTLP/HTTP (--otlp: protobuf or JSON, gzip; the command gets
OTEL_EXPORTER_OTLP_ENDPOINT pointing there) or from an OTLP JSON file (--spans, read when
the observation ends). They are tied to processes by the resource attribute process.pid,
or by the server.port of server spans: the ports the observed processes (and their
children) listen on are read while they run and saved with --record, so --events ties
spans by port too. A span that names no process gets its parent span's, or the one
process of its trace. Requests the receiver refuses are counted by status, reason and
client, in the report and in --metrics. Without spans, each observed process is one span.

Ctrl-C or the end of --for sends the command SIGINT, and SIGKILL 5s later if it is still
running; spans it sends as it shuts down are still received. Each --pid must be a running
process (not one of its threads, not a zombie), checked before anything is observed; the
report notes one that exits while it is observed; once every one has exited, the
observation ends.

Kernel events come from eBPF (sched_switch/wakeup, syscalls, block I/O; root, BTF and
Linux 5.18 or later needed). Where eBPF cannot load, strata samples /proc instead (or
with --sampled) and marks the report SAMPLED: then times are estimates at the sampling
period. At most --max-events kernel events are kept; the report counts any dropped
beyond that, and events lost in the kernel.

Go programs: goroutines move between threads, so a span is tied to its process, not a
thread, unless the handler pins its goroutine (runtime.LockOSThread) and records
thread.id; a pinned thread that parks is charged to network or sleep when the thread
that woke it had just returned from a netpoll that waited (with ready descriptors:
network; timed out: sleep), and to lock otherwise. Wakeups from interrupt context (timers,
devices) name no waker.

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
	fl.DurationVar(&f.forDur, "for", 0, "observe for this `duration` (default: until the command, or every --pid process, exits, or Ctrl-C)")
	fl.BoolVar(&f.sampled, "sampled", false, "sample /proc instead of using eBPF")
	fl.DurationVar(&f.period, "sample-period", 2*time.Millisecond, "`period` of /proc sampling")
	fl.BoolVar(&f.realtime, "sample-realtime", true, "sample from a thread at the lowest real-time priority (SCHED_FIFO 1; needs CAP_SYS_NICE), so a busy machine does not stretch the periods")
	fl.DurationVar(&f.longSyscall, "long-syscall", time.Millisecond, "syscalls at least this `long` are events; shorter ones are summed per thread")
	fl.IntVar(&f.maxEvents, "max-events", ebpf.DefaultMaxEvents, "keep at most `N` kernel events (about 136 bytes each in memory); later ones are counted as dropped")
	fl.BoolVar(&f.goWaits, "go-waits", true, "with eBPF, also read every 10ms what the goroutines locked to a Go program's threads wait for, from its memory (Go binaries with DWARF; needs ptrace access)")
	return cmd
}

// locateObservation is what one observation produced.
type locateObservation struct {
	rec      *locate.Recording
	receiver *locate.Receiver
	otlpAddr string
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
	if f.maxEvents <= 0 {
		return usagef("--max-events must be positive")
	}
	// Each --pid is checked before the collector loads (seconds, with eBPF): a process
	// that is not there or has exited would only make a report of time not observed.
	watched, err := checkPIDs(f.pids)
	if err != nil {
		return err
	}
	defer closePIDs(watched)
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
	} else if obs, err = a.observe(ctx, args, f, watched); err != nil {
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
	tieByPort(spans, rec.Ports)
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
	if obs.receiver != nil {
		report.Refused = obs.receiver.Refused()
		if n := locate.RefusalNote(report.Refused); n != "" {
			report.Notes = append(report.Notes, n)
		}
	}
	if f.otlp != "" && len(spans) == 0 {
		hint := "does the program export OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT)?"
		if len(report.Refused) > 0 {
			hint = "its requests were refused (see above)"
		}
		report.Notes = append(report.Notes, "no spans arrived on "+obs.otlpAddr+": "+hint)
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

// observe runs the command or attaches to the --pid processes (watched) and collects
// kernel events and spans.
func (a *app) observe(ctx context.Context, args []string, f locateFlags, watched []*watchedPID) (locateObservation, error) {
	obs := locateObservation{comm: map[int32]string{}}
	type collector interface {
		Add(pid int) error
		stop() *locate.Recording
	}
	var col collector
	var note string
	if !f.sampled {
		c, err := ebpf.New(ctx, ebpf.Options{LongSyscall: f.longSyscall, FollowForks: true, MaxEvents: f.maxEvents})
		switch {
		case err == nil:
			ec := ebpfCollector{c: c}
			if f.goWaits {
				ec.goWaits = procfs.NewGoWatcher(0)
				var watchCtx context.Context
				watchCtx, ec.endWatch = context.WithCancel(ctx)
				ec.watched = make(chan struct{})
				go func() { defer close(ec.watched); ec.goWaits.Run(watchCtx) }()
			}
			col = ec
		case errors.Is(err, locate.ErrNotSupported):
			note = "eBPF unavailable (" + err.Error() + "): fell back to sampling /proc"
		default:
			return obs, err
		}
	}
	var sampler *procfs.Sampler
	if col == nil {
		sampler = procfs.New(procfs.Options{Period: f.period, Realtime: f.realtime})
		col = samplerCollector{sampler}
	}
	ports := &portWatch{ports: map[int]int32{}}
	// The receiver outlives Ctrl-C: a command that is interrupted sends its last spans as
	// it shuts down. It stops a grace period after the command exited.
	recvCtx, stopRecv := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRecv()
	if f.otlp != "" {
		obs.receiver = &locate.Receiver{OnSpans: ports.onSpans}
		addr, err := obs.receiver.Listen(recvCtx, f.otlp)
		if err != nil {
			col.stop()
			return obs, usageError{err}
		}
		f.otlp, obs.otlpAddr = addr, addr
	}
	locateAttaching()
	for _, w := range watched {
		err := col.Add(w.pid)
		if err == nil {
			obs.comm[int32(w.pid)] = cmp.Or(readComm(w.pid), w.comm)
			ports.add(int32(w.pid))
			continue
		}
		col.stop()
		if w.gone() {
			return obs, exitedBeforeObservation(w)
		}
		return obs, usageError{fmt.Errorf("--pid %d: %w", w.pid, err)}
	}
	// One that exited while the collector loaded (or before it took it, with eBPF) was not
	// observed at all.
	for _, w := range watched {
		if w.gone() {
			col.stop()
			return obs, exitedBeforeObservation(w)
		}
	}
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	if sampler != nil {
		go sampler.Run(runCtx)
	}
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); ports.run(runCtx) }()
	obs.from = time.Now()
	observing := sync.OnceFunc(locateObserving)
	if len(args) > 0 {
		cmdCtx, cancelCmd := ctx, context.CancelFunc(func() {})
		if f.forDur > 0 {
			cmdCtx, cancelCmd = context.WithTimeout(ctx, f.forDur)
		}
		defer cancelCmd()
		c := exec.CommandContext(cmdCtx, args[0], args[1:]...)
		// Stop it as Ctrl-C would, so it can flush its spans; kill it if it will not stop.
		c.Cancel = func() error { return c.Process.Signal(os.Interrupt) }
		c.WaitDelay = locateStopDelay
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
		ports.add(int32(c.Process.Pid))
		ports.scan()
		observing()
		err = c.Wait()
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && cmdCtx.Err() == nil {
			fmt.Fprintf(a.stderr, "strata: %s exited with status %d\n", args[0], ee.ExitCode())
		}
	} else {
		var timer <-chan time.Time
		if f.forDur > 0 {
			timer = time.After(f.forDur)
		}
		gone := allExited(watched)
		observing()
		select {
		case <-ctx.Done():
		case <-timer:
		case <-gone:
			fmt.Fprintln(a.stderr, "strata: every --pid process has exited; the observation ends")
		}
	}
	obs.to = time.Now()
	exits := exitNotes(watched, obs.from, obs.to)
	if obs.receiver != nil {
		time.Sleep(locateSpanGrace)
		stopRecv()
		obs.receiver.Wait()
	}
	cancelRun()
	<-watchDone
	obs.rec = col.stop()
	obs.rec.Ports = ports.snapshot()
	if note != "" {
		obs.rec.Notes = append([]string{note}, obs.rec.Notes...)
	}
	obs.rec.Notes = append(obs.rec.Notes, exits...)
	return obs, nil
}

// exitNotes says which --pid processes exited during the observation from..to, and when:
// nothing of them was observed after. It is called as the observation ends, at to.
func exitNotes(watched []*watchedPID, from, to time.Time) []string {
	var notes []string
	for _, w := range watched {
		at, ok := w.exitedAt()
		if at.After(to) {
			at = to // exited by now: seen by the waiting goroutine only after to
		}
		switch {
		case !ok:
		case at.IsZero():
			notes = append(notes, fmt.Sprintf("%s exited during the observation; nothing of it was observed after", w.name()))
		default:
			notes = append(notes, fmt.Sprintf("%s exited %s into the observation (of %s); nothing of it was observed after", w.name(), fmtDur(at.Sub(from)), fmtDur(to.Sub(from))))
		}
	}
	return notes
}

// portWatch keeps the TCP ports the observed processes and their children listen on,
// read while they run (a process that exited holds no port any more).
type portWatch struct {
	mu    sync.Mutex
	pids  []int32
	ports map[int]int32
}

func (p *portWatch) add(pid int32) {
	p.mu.Lock()
	p.pids = append(p.pids, pid)
	p.mu.Unlock()
}

// scan reads the listening ports now; ports already known keep their process.
func (p *portWatch) scan() {
	p.mu.Lock()
	pids := slices.Clone(p.pids)
	p.mu.Unlock()
	if len(pids) == 0 {
		return
	}
	found := procfs.ListeningPorts("", procfs.Descendants("", pids))
	p.mu.Lock()
	for port, pid := range found {
		if _, ok := p.ports[port]; !ok {
			p.ports[port] = pid
		}
	}
	p.mu.Unlock()
}

// onSpans scans at once when spans name a port not seen yet.
func (p *portWatch) onSpans(spans []locate.Span) {
	for _, s := range spans {
		if s.PID == 0 && s.Port != 0 {
			p.mu.Lock()
			_, ok := p.ports[s.Port]
			p.mu.Unlock()
			if !ok {
				p.scan()
				return
			}
		}
	}
}

func (p *portWatch) run(ctx context.Context) {
	for {
		p.scan()
		p.mu.Lock()
		wait := locatePortScan
		if len(p.ports) > 0 {
			wait = locatePortRescan
		}
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (p *portWatch) snapshot() map[int]int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ports) == 0 {
		return nil
	}
	return maps.Clone(p.ports)
}

// ebpfCollector is the eBPF collector and, beside it, the reader of Go programs'
// goroutine waits (nil with --go-waits=false).
type ebpfCollector struct {
	c        *ebpf.Collector
	goWaits  *procfs.GoWatcher
	endWatch context.CancelFunc
	watched  chan struct{}
}

func (e ebpfCollector) Add(pid int) error {
	if e.goWaits != nil {
		_ = e.goWaits.Add(pid) // not a Go program, or gone: nothing to read
	}
	return e.c.Add(pid)
}

func (e ebpfCollector) stop() *locate.Recording {
	var waits map[int32][]locate.GoWait
	var dropped uint64
	if e.goWaits != nil {
		e.endWatch()
		<-e.watched
		waits, dropped = e.goWaits.Stop()
	}
	rec, err := e.c.Stop()
	if err != nil {
		return &locate.Recording{Source: "ebpf", Notes: []string{err.Error()}}
	}
	if len(waits) > 0 {
		rec.GoWaits = waits
	}
	if dropped > 0 {
		rec.Notes = append(rec.Notes, fmt.Sprintf("%d readings of Go goroutine waits past the %d kept were dropped: later waits are named by the kernel events alone", dropped, 1<<20))
	}
	return rec
}

type samplerCollector struct{ s *procfs.Sampler }

func (s samplerCollector) Add(pid int) error       { return s.s.Add(pid) }
func (s samplerCollector) stop() *locate.Recording { return s.s.Stop() }

// tieByPort gives spans that name a listening port but no process the observed process
// that listened there, as the recording saw it while the processes ran.
func tieByPort(spans []locate.Span, ports map[int]int32) {
	for i := range spans {
		s := &spans[i]
		if s.PID == 0 && s.Port != 0 && ports[s.Port] != 0 {
			s.PID, s.Tied = ports[s.Port], "port"
		}
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

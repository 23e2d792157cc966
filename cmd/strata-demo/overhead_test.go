package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/strata-dev/strata/locate"
	"github.com/strata-dev/strata/locate/ebpf"
	"github.com/strata-dev/strata/locate/procfs"
)

// loadRun runs the demo offering 1,000 requests/s to /light for d; with observe, the eBPF
// collector watches it from the moment it listens.
func loadRun(b *testing.B, demo string, d time.Duration, observe bool) (Summary, uint64, uint64, time.Duration) {
	b.Helper()
	var ru0, ru1 unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru0)
	var col *ebpf.Collector
	// As strata locate does by default (--go-waits): the Go runtime's goroutine waits are
	// read beside the collector.
	var gw *procfs.GoWatcher
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	watched := make(chan struct{})
	if observe {
		c, err := ebpf.New(context.Background(), ebpf.Options{})
		if errors.Is(err, locate.ErrNotSupported) && os.Geteuid() != 0 {
			b.Skipf("eBPF needs root: %v", err)
		}
		if err != nil {
			b.Fatal(err)
		}
		col = c
		gw = procfs.NewGoWatcher(0)
		go func() { defer close(watched); gw.Run(watchCtx) }()
	}
	cmd := exec.Command(demo, "-addr", "127.0.0.1:0", "-load", "1000", "-duration", d.String())
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	rd := bufio.NewReader(out)
	if line, err := rd.ReadString('\n'); err != nil || !strings.HasPrefix(line, "listening") {
		b.Fatalf("demo: %q %v", line, err)
	}
	if col != nil {
		col.Add(cmd.Process.Pid)
		gw.Add(cmd.Process.Pid)
	}
	var s Summary
	if err := json.NewDecoder(rd).Decode(&s); err != nil {
		b.Fatal(err)
	}
	cmd.Wait()
	var events, lost uint64
	if col != nil {
		stopWatch()
		<-watched
		gw.Stop()
		rec, err := col.Stop()
		if err != nil {
			b.Fatal(err)
		}
		events, lost = uint64(len(rec.Events)), rec.Lost
	}
	// The collector's own CPU: this process does nothing else meanwhile (the demo is a
	// child, which RUSAGE_SELF leaves out).
	unix.Getrusage(unix.RUSAGE_SELF, &ru1)
	own := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	return s, events, lost, own
}

// BenchmarkObservationOverhead measures the demo service at an offered 1,000 requests/s
// with and without the eBPF collector watching it, side by side, and reports the ratios
// (and strata's own CPU per request: strata_cpu_us/req, strata_cpu_ratio of the service's):
// throughput_ratio (observed/plain achieved requests/s; 1 is no loss) and cpu_ratio
// (CPU time per request, observed/plain; the cost of the kernel probes and in-kernel
// filtering that the service pays). Each iteration runs both for 2 s (10 s with
// -benchtime above 1x is not needed: run it with -count).
func BenchmarkObservationOverhead(b *testing.B) {
	demo := filepath.Join(b.TempDir(), "strata-demo")
	if out, err := exec.Command("go", "build", "-o", demo, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	d := 2 * time.Second
	var plainRate, obsRate, plainCPU, obsCPU, p50p, p50o float64
	var events, lost uint64
	var own time.Duration
	var done int64
	for b.Loop() {
		p, _, _, _ := loadRun(b, demo, d, false)
		o, ev, lo, cpu := loadRun(b, demo, d, true)
		own += cpu
		done += o.Done
		plainRate += p.Rate
		obsRate += o.Rate
		plainCPU += float64(p.CPUMicros)
		obsCPU += float64(o.CPUMicros)
		p50p += float64(p.P50Micros)
		p50o += float64(o.P50Micros)
		events += ev
		lost += lo
	}
	n := float64(b.N)
	b.ReportMetric(plainRate/n, "plain_req/s")
	b.ReportMetric(obsRate/n, "observed_req/s")
	b.ReportMetric(obsRate/plainRate, "throughput_ratio")
	b.ReportMetric(obsCPU/max(plainCPU, 1), "cpu_ratio")
	b.ReportMetric(plainCPU/n, "plain_cpu_us/req")
	b.ReportMetric(obsCPU/n, "observed_cpu_us/req")
	b.ReportMetric(p50p/n, "plain_p50_us")
	b.ReportMetric(p50o/n, "observed_p50_us")
	b.ReportMetric(float64(events)/(n*d.Seconds()), "kernel_events/s")
	b.ReportMetric(float64(lost), "lost_events")
	// strata's own CPU per request, and as a share of the service's.
	b.ReportMetric(float64(own.Microseconds())/float64(max(done, 1)), "strata_cpu_us/req")
	b.ReportMetric(float64(own.Microseconds())/float64(max(done, 1))/max(obsCPU/n, 1), "strata_cpu_ratio")
}

// procCPU is a process's user and system time so far, from /proc/PID/stat.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

type nodeResult struct {
	rate               float64
	done               int64
	service, strataCPU time.Duration
}

// nodeRun loads the Node service at 1,000 requests/s for d: plain (its spans go to a
// receiver in this process, so it does the same work) or under strata locate.
func nodeRun(b *testing.B, strata, svc string, d time.Duration, observe bool) nodeResult {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cmd *exec.Cmd
	var lines io.Reader
	if observe {
		cmd = exec.Command(strata, "locate", "--otlp", "127.0.0.1:0", "-o", "json", "--top", "1", "--", "node", svc)
		lines, _ = cmd.StderrPipe() // strata passes the command's output to its stderr
	} else {
		var recv locate.Receiver
		addr, err := recv.Listen(ctx, "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		cmd = exec.Command("node", svc)
		cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT=http://"+addr, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf")
		lines, _ = cmd.StdoutPipe()
	}
	if observe {
		cmd.Stdout = io.Discard
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(lines)
	var port, pid int
	for sc.Scan() {
		if n, _ := fmt.Sscanf(sc.Text(), "listening %d %d", &port, &pid); n == 2 {
			break
		}
	}
	go io.Copy(io.Discard, lines)
	if pid == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		b.Fatal("the Node service did not start")
	}
	svc0, own0 := procCPU(pid), procCPU(cmd.Process.Pid)
	s := offer(fmt.Sprintf("http://127.0.0.1:%d/light", port), 1000, d)
	r := nodeResult{rate: s.Rate, done: s.Done, service: procCPU(pid) - svc0}
	if observe {
		r.strataCPU = procCPU(cmd.Process.Pid) - own0
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	return r
}

// BenchmarkNodeObservationOverhead loads a Node.js service traced with the OpenTelemetry
// JS SDK (locate/accuracy/corpus/node/service.js) at 1,000 requests/s, plain and under
// strata locate (eBPF, OTLP receiver), side by side, and reports strata's own CPU per
// request from its /proc/PID/stat beside the service's: strata_cpu_ratio is the goal's
// measure (≤ 0.05).
func BenchmarkNodeObservationOverhead(b *testing.B) {
	if _, err := exec.LookPath("node"); err != nil {
		b.Skip("node is not installed")
	}
	if os.Geteuid() != 0 {
		b.Skip("strata locate observes with eBPF, which needs root")
	}
	svc, _ := filepath.Abs("../../locate/accuracy/corpus/node/service.js")
	if _, err := os.Stat(filepath.Join(filepath.Dir(svc), "node_modules")); err != nil {
		b.Fatalf("the Node service needs its npm packages: run scripts/setup-locate.sh (%v)", err)
	}
	strata := filepath.Join(b.TempDir(), "strata")
	if out, err := exec.Command("go", "build", "-o", strata, "../strata").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	d := 3 * time.Second
	var plain, obs nodeResult
	for b.Loop() {
		p := nodeRun(b, strata, svc, d, false)
		o := nodeRun(b, strata, svc, d, true)
		plain.rate += p.rate
		plain.done += p.done
		plain.service += p.service
		obs.rate += o.rate
		obs.done += o.done
		obs.service += o.service
		obs.strataCPU += o.strataCPU
	}
	perReq := func(t time.Duration, n int64) float64 { return float64(t.Microseconds()) / float64(max(n, 1)) }
	b.ReportMetric(obs.rate/max(plain.rate, 1), "throughput_ratio")
	b.ReportMetric(perReq(plain.service, plain.done), "plain_service_cpu_us/req")
	b.ReportMetric(perReq(obs.service, obs.done), "observed_service_cpu_us/req")
	b.ReportMetric(perReq(obs.strataCPU, obs.done), "strata_cpu_us/req")
	b.ReportMetric(perReq(obs.strataCPU, obs.done)/max(perReq(obs.service, obs.done), 1), "strata_cpu_ratio")
}

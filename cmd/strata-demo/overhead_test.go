package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/locate"
	"github.com/strata-dev/strata/locate/ebpf"
)

// loadRun runs the demo offering 1,000 requests/s to /light for d; with observe, the eBPF
// collector watches it from the moment it listens.
func loadRun(b *testing.B, demo string, d time.Duration, observe bool) (Summary, uint64, uint64) {
	b.Helper()
	var col *ebpf.Collector
	if observe {
		c, err := ebpf.New(context.Background(), ebpf.Options{})
		if errors.Is(err, locate.ErrNotSupported) && os.Geteuid() != 0 {
			b.Skipf("eBPF needs root: %v", err)
		}
		if err != nil {
			b.Fatal(err)
		}
		col = c
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
	}
	var s Summary
	if err := json.NewDecoder(rd).Decode(&s); err != nil {
		b.Fatal(err)
	}
	cmd.Wait()
	var events, lost uint64
	if col != nil {
		rec, err := col.Stop()
		if err != nil {
			b.Fatal(err)
		}
		events, lost = uint64(len(rec.Events)), rec.Lost
	}
	return s, events, lost
}

// BenchmarkObservationOverhead measures the demo service at an offered 1,000 requests/s
// with and without the eBPF collector watching it, side by side, and reports the ratios:
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
	for b.Loop() {
		p, _, _ := loadRun(b, demo, d, false)
		o, ev, lo := loadRun(b, demo, d, true)
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
}

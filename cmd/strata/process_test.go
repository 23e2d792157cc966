package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/netgen"
)

// BenchmarkProcess runs the built strata binary as a whole process, as a user or hyperfine
// does: start-up, package initialisation, loading the embedded network, the answer. Beside
// it, /bin/true is the cost of starting any process on this machine. Each reports the wall
// time per run (ns/op), the CPU time of the child (cpu-ms/op) and its peak resident memory
// (max-rss-MB):
//
//	go test -run '^$' -bench Process -benchtime 50x ./cmd/strata/
//
// check-large loads and checks the large generated network (netgen.WriteYAML: 50,000
// entities, 147,000 facts); it is skipped with -short. STRATA_BENCH_BEFORE names another
// strata binary (an earlier build) to run the same commands with, side by side.
//
// max-rss-MB is at least the benchmark process's own (about 34 MB), which a child shares
// until it execs: it says something only above that, as for check-large.
func BenchmarkProcess(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "strata")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	large := filepath.Join(dir, "large.yaml")
	f, err := os.Create(large)
	if err != nil {
		b.Fatal(err)
	}
	if err := netgen.WriteYAML(f, netgen.LargeYAMLEntities, netgen.LargeYAMLFacts, netgen.DefaultSeed); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	type run struct {
		name  string
		path  string
		args  []string
		large bool
	}
	runs := []run{{"peer-true", "/bin/true", nil, false}}
	bins := []struct{ prefix, path string }{{"", bin}}
	if before := os.Getenv("STRATA_BENCH_BEFORE"); before != "" {
		bins = append(bins, struct{ prefix, path string }{"before-", before})
	}
	for _, x := range bins {
		runs = append(runs,
			run{x.prefix + "help", x.path, []string{"--help"}, false},
			run{x.prefix + "compare", x.path, []string{"compare", "L-4", "L-2"}, false},
			run{x.prefix + "plan-scenario-edge", x.path, []string{"plan", "--scenario", "edge"}, false},
			run{x.prefix + "check-large", x.path, []string{"check", "--no-default", large}, true})
	}
	for _, c := range runs {
		b.Run(c.name, func(b *testing.B) {
			if c.large && testing.Short() {
				b.Skip("the large network: run without -short")
			}
			var cpu time.Duration
			var maxRSS int64
			n := 0
			for b.Loop() {
				cmd := exec.Command(c.path, c.args...)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%s %v: %v\n%s", c.path, c.args, err, out)
				}
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
				maxRSS = max(maxRSS, ru.Maxrss)
				n++
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu-ms/op")
			b.ReportMetric(float64(maxRSS)/1024, "max-rss-MB")
		})
	}
}

package network_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/network/yamlpos"
)

// hostileInputs are small files built to make a YAML reader do far more work, or hold far
// more memory, than their size: deep nesting of every kind, aliases that multiply
// ("billion laughs"), very long collections and scalars, very many documents and keys.
func hostileInputs() []struct{ name, data string } {
	nestedBlock := func(depth int, line func(i int) string) string {
		var b strings.Builder
		for i := range depth {
			b.WriteString(strings.Repeat(" ", i) + line(i) + "\n")
		}
		return b.String()
	}
	laughs := func(levels, width int) string {
		var b strings.Builder
		b.WriteString("l0: &l0 [" + strings.TrimSuffix(strings.Repeat("lol,", width), ",") + "]\n")
		for i := 1; i <= levels; i++ {
			items := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), width), ",")
			fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, items)
		}
		return b.String()
	}
	manyKeys := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, "k%d: v, ", i)
		}
		b.WriteString("}")
		return b.String()
	}
	return []struct{ name, data string }{
		{"open-brackets", strings.Repeat("[", 20<<10)},
		{"open-brackets-100k", strings.Repeat("[", 100<<10)},
		{"open-braces", strings.Repeat("{", 20<<10)},
		{"open-brace-keys", strings.Repeat("{a: ", 5<<10)},
		{"mixed-flow", strings.Repeat("[{a: [", 4<<10)},
		{"inline-dashes", strings.Repeat("- ", 10<<10)},
		{"nested-dash-lines", nestedBlock(2000, func(int) string { return "-" })},
		{"nested-keys", nestedBlock(2000, func(i int) string { return fmt.Sprintf("k%d:", i) })},
		{"nested-anchored", strings.Repeat("&a [", 5<<10)},
		{"billion-laughs", laughs(9, 10)},
		{"billion-laughs-merge", laughs(5, 10) + "m: {<<: *l5}\n"},
		{"alias-fanout", "a: &a [" + strings.Repeat("x,", 1000) + "x]\nb: [" + strings.Repeat("*a,", 20000) + "*a]\n"},
		{"long-flow-sequence", "[" + strings.Repeat("1,", 200<<10) + "1]"},
		{"long-block-sequence", strings.Repeat("- 1\n", 100<<10)},
		{"many-keys", manyKeys(40 << 10)},
		{"huge-plain-scalar", "apiVersion: " + strings.Repeat("x", 4<<20)},
		{"huge-quoted-scalar", `apiVersion: "` + strings.Repeat(`\t`, 2<<20) + `"`},
		{"huge-literal-scalar", "apiVersion: |\n" + strings.Repeat("  xxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 128<<10)},
		{"many-documents", strings.Repeat("---\napiVersion: x\n", 50<<10)},
		{"many-empty-documents", strings.Repeat("---\n", 100<<10)},
		{"many-problems", strings.Repeat("---\n[]\n", 20<<10)},
		{"unterminated-quote", `a: "` + strings.Repeat("x ", 100<<10)},
		{"many-lines-one-scalar", "a: x\n" + strings.Repeat("  y\n", 100<<10)},
	}
}

// cpuTime is the CPU time the process has used, user and system. Unlike wall time it does
// not grow when other processes compete for the CPU.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs f once and returns the bytes it allocated and the CPU time it took.
func measure(t *testing.T, f func()) (allocated uint64, cpu time.Duration) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c0 := cpuTime(t)
	f()
	c1 := cpuTime(t)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, c1 - c0
}

// The cost of reading a hostile file is bounded in proportion to its size, whether it is a
// network file (Load) or a document another package reads (ReadDocuments, the path of a
// Workload posted to the server): at most 100 bytes allocated per input byte plus 2 MB
// (the densest input, "[1,1,1,…]", makes a 64-byte value of every 2 bytes: about 60 per
// byte in all), and 400 ns of CPU per byte plus 100 ms (ten times that under the race
// detector). Before the reader bounded its work, 20 KB of "[" took 1 GB and seconds. The
// CPU bound is the process's CPU, which other tests' goroutines and a busy machine's
// contended caches inflate: at 100 ns a byte it failed once at load 20 (141.7 ms against
// 141.0), so it is four times that, still far below the seconds of the unbounded reader.
func TestHostileInputCostIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads several megabytes of hostile input")
	}
	for _, in := range hostileInputs() {
		t.Run(in.name, func(t *testing.T) {
			files := []network.File{{Name: "hostile.yaml", Data: []byte(in.data)}}
			for _, path := range []struct {
				name string
				read func() error
			}{
				{"Load", func() error { _, err := network.Load(files); return err }},
				{"ReadDocuments", func() error {
					_, err := network.ReadDocuments(context.Background(), files, yamlpos.Limits{}, "Workload")
					return err
				}},
			} {
				var err error
				bytes, cpu := measure(t, func() { err = path.read() })
				size := uint64(len(in.data))
				if maxBytes := 100*size + 2<<20; bytes > maxBytes {
					t.Errorf("%s: allocated %d MB for %d KB of input; want at most %d MB", path.name, bytes>>20, size>>10, maxBytes>>20)
				}
				maxCPU := time.Duration(size)*400*time.Nanosecond + 100*time.Millisecond
				if raceEnabled {
					maxCPU *= 10
				}
				if testing.Verbose() {
					t.Logf("%s: %d KB in, %d KB allocated (%.1f per byte), %v of CPU", path.name, size>>10, bytes>>10, float64(bytes)/float64(size), cpu)
				}
				if cpu > maxCPU {
					t.Errorf("%s: took %v of CPU for %d KB of input; want at most %v", path.name, cpu, size>>10, maxCPU)
				}
				ps, ok := network.AsProblems(err)
				if !ok || len(ps) == 0 {
					t.Fatalf("%s: returned %v; want problems", path.name, err)
				}
				if ps[0].Pos.File != "hostile.yaml" || ps[0].Pos.Line == 0 {
					t.Errorf("%s: first problem %v has no position", path.name, ps[0])
				}
			}
		})
	}
}

// Nesting is refused where it passes the limit, not after the whole input was read: the
// problem points at the first value too deep.
func TestNestingLimitPointsAtTheLevel(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"brackets", strings.Repeat("[", 1000), "hostile.yaml:1:65: YAML nested too deeply (strata reads at most 64 levels)"},
		{"braces", strings.Repeat("{a: ", 1000), "hostile.yaml:1:257: YAML nested too deeply (strata reads at most 64 levels)"},
		{"dashes", strings.Repeat("- ", 1000), "hostile.yaml:1:129: YAML nested too deeply (strata reads at most 64 levels)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := network.Load([]network.File{{Name: "hostile.yaml", Data: []byte(c.data)}})
			ps, ok := network.AsProblems(err)
			if !ok || len(ps) != 1 || ps[0].String() != c.want {
				t.Errorf("Load returned %v; want one problem %s", err, c.want)
			}
		})
	}
}

// countdownCtx is done once its Err has been asked n times: it stops a reader at a point
// that depends on how often the reader looks, not on timing.
type countdownCtx struct {
	context.Context
	n, asked atomic.Int64
}

func newCountdown(n int64) *countdownCtx {
	c := &countdownCtx{Context: context.Background()}
	c.n.Store(n)
	return c
}

func (c *countdownCtx) Err() error {
	c.asked.Add(1)
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// largeNetwork is a valid network of 5,000 entities and 15,000 facts in one file.
func largeNetwork(t *testing.T) []network.File {
	var b bytes.Buffer
	if err := netgen.WriteYAML(&b, 5000, 15000, netgen.DefaultSeed); err != nil {
		t.Fatal(err)
	}
	return []network.File{{Name: "large.yaml", Data: b.Bytes()}}
}

// Reading stops when the context is done: before anything is read, between documents,
// inside a long document, and while facts are resolved; and the work stops with it.
func TestLoadStopsWhenCancelled(t *testing.T) {
	files := largeNetwork(t)
	full, _ := measure(t, func() {
		if _, err := network.Load(files); err != nil {
			t.Fatal(err)
		}
	})
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{
		{"done before", done},
		{"done after 3 looks", newCountdown(3)},
		{"done after 20 looks", newCountdown(20)},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			used, _ := measure(t, func() { _, err = network.LoadContext(c.ctx, files) })
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("LoadContext returned %v; want context.Canceled", err)
			}
			if used > full/2 {
				t.Errorf("cancelled load allocated %d KB, a full one %d KB: the work did not stop", used>>10, full>>10)
			}
			_, err = network.ReadDocuments(c.ctx, files, yamlpos.Limits{}, "Workload")
			if !errors.Is(err, context.Canceled) {
				t.Errorf("ReadDocuments returned %v; want context.Canceled", err)
			}
		})
	}
	// Inside one long document the context is asked at least every few thousand values.
	long := []network.File{{Name: "long.yaml", Data: []byte("[" + strings.Repeat("x, ", 100_000) + "x]")}}
	ctx := newCountdown(1 << 30)
	_, _ = network.LoadContext(ctx, long)
	if n := ctx.asked.Load(); n < 100_000/4096 {
		t.Errorf("the context was asked %d times while reading one document of 100,000 values", n)
	}
}

package reason_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/internal/unionfind"
	"github.com/strata-dev/strata/reason"
)

// dataset is one network with its query pairs, from the peers' CSV files when
// PEERS_DATA names a folder holding this size, else from netgen.
type dataset struct {
	n             int
	strict, equal []reason.Edge
	pairs         [][2]int32
	source        string
}

var datasets sync.Map // netgen.Size -> *dataset

func loadDataset(b *testing.B, size netgen.Size) *dataset {
	b.Helper()
	if size == netgen.Large && !wantLarge() {
		b.Skip("large skipped: select it with -bench '.*/large' or set STRATA_BENCH_LARGE=1")
	}
	if d, ok := datasets.Load(size); ok {
		return d.(*dataset)
	}
	d := &dataset{}
	dir := filepath.Join(os.Getenv("PEERS_DATA"), size.String())
	if os.Getenv("PEERS_DATA") != "" && fileExists(filepath.Join(dir, "gt.csv")) {
		var err error
		d.n, d.strict, d.equal, d.pairs, err = netgen.LoadPeerDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		d.source = dir
	} else {
		d.n = size.Nodes()
		d.strict, d.equal = netgen.Generate(d.n, size.Facts(), netgen.DefaultSeed)
		d.pairs = netgen.Pairs(d.n, netgen.PairCount, netgen.DefaultSeed)
		d.source = "netgen"
	}
	b.Logf("%s: %d nodes, %d strict, %d equal, %d pairs from %s", size, d.n, len(d.strict), len(d.equal), len(d.pairs), d.source)
	datasets.Store(size, d)
	return d
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// wantLarge keeps `-bench .` quick for CI: the large network (a second or
// two to generate and build, seconds to count its closure) runs only when the
// -bench pattern names it or STRATA_BENCH_LARGE=1.
func wantLarge() bool {
	if os.Getenv("STRATA_BENCH_LARGE") == "1" {
		return true
	}
	f := flag.Lookup("test.bench")
	return f != nil && strings.Contains(f.Value.String(), "large")
}

func (d *dataset) order(b *testing.B) *reason.Order {
	b.Helper()
	o, err := reason.NewOrder(d.n, d.strict, d.equal)
	if err != nil {
		b.Fatal(err)
	}
	return o
}

func BenchmarkBuild(b *testing.B) {
	for _, size := range []netgen.Size{netgen.Small, netgen.Medium, netgen.Large} {
		b.Run(size.String(), func(b *testing.B) {
			d := loadDataset(b, size)
			var o *reason.Order
			for b.Loop() {
				o = d.order(b)
				reason.BuildClosure(o)
			}
			b.ReportMetric(msPer(b), "ms/build")
			b.ReportMetric(float64(reason.IndexBytes(o))/1e6, "MB")
			b.ReportMetric(float64(o.ContradictionCount()), "contradictions")
		})
	}
}

func msPer(b *testing.B) float64 {
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N) / 1e6
}

// latencies times each call of fn over the pairs and returns the sorted
// per-call durations in ns. Each includes one time.Now pair (tens of ns),
// which the median of a sub-100 ns query therefore overstates.
func latencies(pairs [][2]int32, fn func(a, b int32)) []float64 {
	lat := make([]float64, len(pairs))
	for i, p := range pairs {
		t := time.Now()
		fn(p[0], p[1])
		lat[i] = float64(time.Since(t).Nanoseconds())
	}
	slices.Sort(lat)
	return lat
}

func reportLatency(b *testing.B, lat []float64) {
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(lat[len(lat)/2], "median-ns/query")
	b.ReportMetric(lat[min(len(lat)-1, len(lat)*99/100)], "p99-ns/query")
}

func BenchmarkGreater(b *testing.B) {
	for _, size := range []netgen.Size{netgen.Small, netgen.Medium, netgen.Large} {
		b.Run(size.String(), func(b *testing.B) {
			d := loadDataset(b, size)
			o := d.order(b)
			yes := 0
			for b.Loop() {
				yes = 0
				for _, p := range d.pairs {
					if o.Greater(p[0], p[1]) {
						yes++
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(d.pairs)), "ns/query")
			reportLatency(b, latencies(d.pairs, func(a, c int32) { o.Greater(a, c) }))
			b.ReportMetric(float64(reason.IndexBytes(o))/1e6, "MB")
			b.ReportMetric(float64(yes), "yes")
			b.ReportMetric(float64(newPeerView(d).reachCount(o, d.pairs)), "peer-yes")
		})
	}
}

func BenchmarkDerive(b *testing.B) {
	for _, size := range []netgen.Size{netgen.Small, netgen.Medium, netgen.Large} {
		b.Run(size.String(), func(b *testing.B) {
			d := loadDataset(b, size)
			o := d.order(b)
			// Derived facts only: the pairs that hold.
			var facts [][2]int32
			for _, p := range d.pairs {
				if o.Greater(p[0], p[1]) {
					facts = append(facts, p)
				}
			}
			if len(facts) == 0 {
				b.Skip("no derived facts among the pairs")
			}
			steps := 0
			for b.Loop() {
				steps = 0
				for _, p := range facts {
					s, _ := o.Derive(p[0], p[1])
					steps += len(s)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(facts)), "ns/query")
			reportLatency(b, latencies(facts, func(a, c int32) { o.Derive(a, c) }))
			b.ReportMetric(float64(steps)/float64(len(facts)), "steps/derivation")
		})
	}
}

func BenchmarkClosure(b *testing.B) {
	for _, size := range []netgen.Size{netgen.Small, netgen.Medium, netgen.Large} {
		b.Run(size.String(), func(b *testing.B) {
			d := loadDataset(b, size)
			var o *reason.Order
			for b.Loop() {
				o = d.order(b)
				o.ClosureSize()
			}
			b.ReportMetric(msPer(b), "ms/build+closure")
			b.ReportMetric(float64(o.ClosureSize()), "pairs")
			b.ReportMetric(float64(newPeerView(d).closureSize(o)), "peer-pairs")
		})
	}
}

// peerView converts strata's answers to the peers' semantics. The peers
// count reachability in one or more steps over a step graph where equal facts
// go both ways, so on top of strata's strict pairs they count every pair
// inside an equality class of size s > 1 — s² pairs, (a, a) included — and
// (a, a) for an equal self-loop. Contradictory classes need no correction:
// there Greater already holds for every pair, (a, a) included.
type peerView struct {
	eqClass  []int32 // representative per node
	eqSize   []int64 // class size by representative
	selfLoop []bool  // node has an equal fact a = a
}

func newPeerView(d *dataset) *peerView {
	pv := &peerView{eqSize: make([]int64, d.n), selfLoop: make([]bool, d.n)}
	classes := unionfind.New(d.n)
	for _, e := range d.equal {
		if e.From == e.To {
			pv.selfLoop[e.From] = true
		}
		classes.Union(e.From, e.To)
	}
	pv.eqClass = classes.Roots()
	for _, r := range pv.eqClass {
		pv.eqSize[r]++
	}
	return pv
}

// reaches is the peers' answer for (a, b): b reachable from a in >= 1 step.
func (pv *peerView) reaches(o *reason.Order, a, b int32) bool {
	if o.Greater(a, b) || o.Equal(a, b) {
		return true
	}
	return a == b && (pv.eqSize[pv.eqClass[a]] > 1 || pv.selfLoop[a])
}

func (pv *peerView) reachCount(o *reason.Order, pairs [][2]int32) int {
	n := 0
	for _, p := range pairs {
		if pv.reaches(o, p[0], p[1]) {
			n++
		}
	}
	return n
}

// closureSize is the peers' closure count: ClosureSize plus the equality
// pairs that Greater does not already hold for.
func (pv *peerView) closureSize(o *reason.Order) int64 {
	total := o.ClosureSize()
	for v, r := range pv.eqClass {
		if int32(v) != r {
			continue // count each class once, at its representative
		}
		s := pv.eqSize[r]
		if s > 1 || pv.selfLoop[v] {
			if !o.Greater(int32(v), int32(v)) { // inside a contradiction it is counted already
				total += s * s
			}
		}
	}
	return total
}

// TestPeerClosureRelation checks the conversion above against a direct
// count of one-or-more-step reachability over the peers' step graph.
func TestPeerClosureRelation(t *testing.T) {
	for seed := range uint64(30) {
		n := 60
		strict, equal := netgen.Generate(n, 150, seed)
		if seed%3 == 1 {
			strict, equal, _ = netgen.WithBackEdge(n, 150, seed)
		}
		if seed%5 == 2 {
			equal = append(equal, reason.Edge{From: 3, To: 3})
		}
		d := &dataset{n: n, strict: strict, equal: equal}
		o, err := reason.NewOrder(n, strict, equal)
		if err != nil {
			t.Fatal(err)
		}
		adj := make([][]int32, n)
		for _, e := range strict {
			adj[e.From] = append(adj[e.From], e.To)
		}
		for _, e := range equal {
			adj[e.From] = append(adj[e.From], e.To)
			adj[e.To] = append(adj[e.To], e.From)
		}
		var want int64
		pv := newPeerView(d)
		for a := range int32(n) {
			seen := make([]bool, n)
			stack := slices.Clone(adj[a])
			for _, v := range stack {
				seen[v] = true
			}
			for len(stack) > 0 {
				v := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				for _, w := range adj[v] {
					if !seen[w] {
						seen[w] = true
						stack = append(stack, w)
					}
				}
			}
			for b, ok := range seen {
				if ok {
					want++
				}
				if pv.reaches(o, a, int32(b)) != ok {
					t.Fatalf("seed %d: peer reach(%d,%d) = %v, want %v", seed, a, b, !ok, ok)
				}
			}
		}
		if got := pv.closureSize(o); got != want {
			t.Fatalf("seed %d: peer closure %d, want %d", seed, got, want)
		}
	}
}

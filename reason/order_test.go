package reason

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// configs reaches every query strategy on small graphs: the full closure,
// the cut index with all hubs, with a few, and with none (so the pruned DFS
// does the work).
var configs = []struct {
	name string
	cfg  config
}{
	{"closure", config{closureBytes: defaultClosureBytes, seed: 1, hubs: hubCount}},
	{"index", config{closureBytes: 0, seed: 1, hubs: hubCount}},
	{"index-3hubs", config{closureBytes: 0, seed: 7, hubs: 3}},
	{"index-nohubs", config{closureBytes: 0, seed: 3, hubs: 0}},
}

// isolation is the seed's "L-0 = L-4 > L-1 > L-2 > L-3".
func isolation() (int, []Edge, []Edge) {
	return 5, []Edge{{4, 1}, {1, 2}, {2, 3}}, []Edge{{0, 4}}
}

func TestIsolationStrength(t *testing.T) {
	for _, tc := range configs {
		t.Run(tc.name, func(t *testing.T) {
			n, strict, equal := isolation()
			o, err := build(n, strict, equal, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !o.Greater(0, 1) || o.Greater(0, 4) || o.Greater(1, 0) || !o.Greater(0, 3) || !o.Greater(4, 3) {
				t.Errorf("Greater wrong")
			}
			if !o.Equal(0, 4) || !o.Equal(4, 0) || o.Equal(0, 0) || o.Equal(0, 1) {
				t.Errorf("Equal wrong")
			}
			got, ok := o.Derive(0, 1)
			want := []Step{{Index: 0, Equal: true}, {Index: 0}}
			if !ok || !slices.Equal(got, want) {
				t.Errorf("Derive(0,1) = %v %v, want %v", got, ok, want)
			}
			got, ok = o.Derive(4, 0)
			if want := []Step{{Index: 0, Equal: true, Reversed: true}}; !ok || !slices.Equal(got, want) {
				t.Errorf("Derive(4,0) = %v %v, want %v", got, ok, want)
			}
			if _, ok := o.Derive(3, 0); ok {
				t.Errorf("Derive(3,0) should fail")
			}
			wantLayers := [][]int32{{0, 4}, {1}, {2}, {3}}
			if l := o.Layers(); !slices.EqualFunc(l, wantLayers, slices.Equal) {
				t.Errorf("Layers = %v, want %v", l, wantLayers)
			}
			if o.Class(0) != o.Class(4) || o.Class(0) == o.Class(1) {
				t.Errorf("Class wrong")
			}
			if c := o.Contradictions(); len(c) != 0 {
				t.Errorf("Contradictions = %v", c)
			}
			// 0 and 4 are each above 1,2,3; 1 above 2,3; 2 above 3.
			if s := o.ClosureSize(); s != 9 {
				t.Errorf("ClosureSize = %d, want 9", s)
			}
			if b := o.Below(0); !slices.Equal(b, []int32{1, 2, 3}) {
				t.Errorf("Below(0) = %v", b)
			}
			if a := o.Above(2); !slices.Equal(a, []int32{0, 1, 4}) {
				t.Errorf("Above(2) = %v", a)
			}
		})
	}
}

func TestInvalidInput(t *testing.T) {
	cases := []struct {
		name          string
		n             int
		strict, equal []Edge
	}{
		{"negative n", -1, nil, nil},
		{"strict from", 3, []Edge{{3, 0}}, nil},
		{"strict to", 3, []Edge{{0, -1}}, nil},
		{"equal", 3, nil, []Edge{{0, 7}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewOrder(tc.n, tc.strict, tc.equal)
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("err = %v, want ErrInvalidInput", err)
			}
		})
	}
}

func TestEmptyAndOutOfRange(t *testing.T) {
	o, err := NewOrder(0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.N() != 0 || len(o.Layers()) != 0 || o.ClosureSize() != 0 || len(o.Contradictions()) != 0 {
		t.Errorf("empty order not empty")
	}
	o, err = NewOrder(3, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []int32{-1, 3, 1 << 30} {
		if o.Greater(v, 0) || o.Greater(0, v) || o.Equal(v, 0) || o.Class(v) != -1 || o.Below(v) != nil || o.Above(v) != nil {
			t.Errorf("out-of-range %d answered", v)
		}
		if _, ok := o.Derive(v, 0); ok {
			t.Errorf("Derive(%d,0) ok", v)
		}
	}
	if l := o.Layers(); !slices.EqualFunc(l, [][]int32{{0, 1, 2}}, slices.Equal) {
		t.Errorf("isolated Layers = %v", l)
	}
}

func TestSelfLoops(t *testing.T) {
	for _, tc := range configs {
		t.Run(tc.name, func(t *testing.T) {
			o, err := build(3, []Edge{{1, 2}, {0, 0}, {1, 2}}, []Edge{{2, 2}}, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !o.Greater(0, 0) || o.Greater(1, 1) || o.Greater(2, 2) || !o.Greater(1, 2) {
				t.Errorf("Greater wrong")
			}
			c := o.Contradictions()
			if len(c) != 1 || c[0].Edge != 1 || len(c[0].Back) != 0 {
				t.Errorf("Contradictions = %+v", c)
			}
			if d, ok := o.Derive(0, 0); !ok || !slices.Equal(d, []Step{{Index: 1}}) {
				t.Errorf("Derive(0,0) = %v %v", d, ok)
			}
			if d, ok := o.Derive(1, 2); !ok || !slices.Equal(d, []Step{{Index: 0}}) {
				t.Errorf("Derive(1,2) = %v %v", d, ok)
			}
			if s := o.ClosureSize(); s != 2 {
				t.Errorf("ClosureSize = %d, want 2", s)
			}
		})
	}
}

// naive answers every question by brute force over the step graph.
type naive struct {
	n             int
	strict, equal []Edge
	greater       [][]bool // greater[a][b]: path a→b with at least one strict step
	dist          [][]int  // fewest facts for that path, -1 if none
	eqDist        [][]int  // fewest equal facts from a to b, -1 if none
	anyDist       [][]int  // fewest facts a→b, 0 for a == b, -1 if none
}

type arc struct {
	to     int
	strict bool
}

func newNaive(n int, strict, equal []Edge) *naive {
	adj := make([][]arc, n)
	for _, e := range strict {
		adj[e.From] = append(adj[e.From], arc{int(e.To), true})
	}
	for _, e := range equal {
		adj[e.From] = append(adj[e.From], arc{int(e.To), false})
		adj[e.To] = append(adj[e.To], arc{int(e.From), false})
	}
	nv := &naive{n: n, strict: strict, equal: equal}
	for a := range n {
		// BFS over (node, used strict).
		d := make([]int, 2*n)
		for i := range d {
			d[i] = -1
		}
		d[2*a] = 0
		q := []int{2 * a}
		for len(q) > 0 {
			s := q[0]
			q = q[1:]
			for _, x := range adj[s/2] {
				ns := 2*x.to + s%2
				if x.strict {
					ns = 2*x.to + 1
				}
				if d[ns] < 0 {
					d[ns] = d[s] + 1
					q = append(q, ns)
				}
			}
		}
		g := make([]bool, n)
		dist := make([]int, n)
		any := make([]int, n)
		for b := range n {
			dist[b] = d[2*b+1]
			g[b] = dist[b] >= 0
			any[b] = d[2*b]
			if any[b] < 0 || (dist[b] >= 0 && dist[b] < any[b]) {
				any[b] = dist[b]
			}
		}
		nv.greater = append(nv.greater, g)
		nv.dist = append(nv.dist, dist)
		nv.anyDist = append(nv.anyDist, any)
		// Equal-only BFS.
		ed := make([]int, n)
		for i := range ed {
			ed[i] = -1
		}
		ed[a] = 0
		q = []int{a}
		for len(q) > 0 {
			v := q[0]
			q = q[1:]
			for _, x := range adj[v] {
				if !x.strict && ed[x.to] < 0 {
					ed[x.to] = ed[v] + 1
					q = append(q, x.to)
				}
			}
		}
		nv.eqDist = append(nv.eqDist, ed)
	}
	return nv
}

func (nv *naive) sameClass(a, b int) bool { return nv.anyDist[a][b] >= 0 && nv.anyDist[b][a] >= 0 }

// checkChain verifies that steps are declared facts chaining from a to b and
// returns how many are strict.
func checkChain(nv *naive, a, b int32, steps []Step) (int, error) {
	cur, nStrict := a, 0
	for i, s := range steps {
		if s.Equal {
			if int(s.Index) >= len(nv.equal) || s.Index < 0 {
				return 0, fmt.Errorf("step %d: equal index %d out of range", i, s.Index)
			}
			e := nv.equal[s.Index]
			from, to := e.From, e.To
			if s.Reversed {
				from, to = to, from
			}
			if from != cur {
				return 0, fmt.Errorf("step %d %+v starts at %d, chain is at %d", i, s, from, cur)
			}
			cur = to
			continue
		}
		if int(s.Index) >= len(nv.strict) || s.Index < 0 || s.Reversed {
			return 0, fmt.Errorf("step %d: bad strict step %+v", i, s)
		}
		e := nv.strict[s.Index]
		if e.From != cur {
			return 0, fmt.Errorf("step %d %+v starts at %d, chain is at %d", i, s, e.From, cur)
		}
		cur = e.To
		nStrict++
	}
	if cur != b {
		return 0, fmt.Errorf("chain ends at %d, want %d", cur, b)
	}
	return nStrict, nil
}

func randomGraph(rng *rand.Rand, n, ns, ne int, dag bool) ([]Edge, []Edge) {
	var strict, equal []Edge
	for range ns {
		a, b := rng.Int32N(int32(n)), rng.Int32N(int32(n))
		if dag {
			// A hidden rank by id keeps it acyclic apart from what equal facts add.
			if a == b {
				continue
			}
			if a > b {
				a, b = b, a
			}
		}
		strict = append(strict, Edge{a, b})
	}
	for range ne {
		equal = append(equal, Edge{rng.Int32N(int32(n)), rng.Int32N(int32(n))})
	}
	return strict, equal
}

func TestAgainstNaive(t *testing.T) {
	for _, tc := range configs {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			for iter := range 400 {
				n := 1 + rng.IntN(14)
				strict, equal := randomGraph(rng, n, rng.IntN(3*n+1), rng.IntN(n/2+2), iter%2 == 0)
				o, err := build(n, strict, equal, tc.cfg)
				if err != nil {
					t.Fatal(err)
				}
				if err := compareNaive(o, newNaive(n, strict, equal)); err != nil {
					t.Fatalf("iter %d n=%d strict=%v equal=%v: %v", iter, n, strict, equal, err)
				}
			}
		})
	}
}

func compareNaive(o *Order, nv *naive) error {
	n := nv.n
	var pairs int64
	for a := range int32(n) {
		var below []int32
		for b := range int32(n) {
			g := nv.greater[a][b]
			if g {
				pairs++
				below = append(below, b)
			}
			if o.Greater(a, b) != g {
				return fmt.Errorf("Greater(%d,%d) = %v, want %v", a, b, !g, g)
			}
			eq := a != b && nv.eqDist[a][b] >= 0
			if o.Equal(a, b) != eq {
				return fmt.Errorf("Equal(%d,%d) = %v, want %v", a, b, !eq, eq)
			}
			if same := o.Class(a) == o.Class(b); same != nv.sameClass(int(a), int(b)) {
				return fmt.Errorf("Class(%d)==Class(%d) is %v", a, b, same)
			}
			steps, ok := o.Derive(a, b)
			if ok != (g || eq) {
				return fmt.Errorf("Derive(%d,%d) ok = %v", a, b, ok)
			}
			if !ok {
				continue
			}
			nStrict, err := checkChain(nv, a, b, steps)
			if err != nil {
				return fmt.Errorf("Derive(%d,%d) = %v: %v", a, b, steps, err)
			}
			want := nv.eqDist[a][b]
			if g {
				want = nv.dist[a][b]
				if nStrict == 0 {
					return fmt.Errorf("Derive(%d,%d) = %v has no strict step", a, b, steps)
				}
			} else if nStrict != 0 {
				return fmt.Errorf("Derive(%d,%d) = %v: equality chain with strict step", a, b, steps)
			}
			if len(steps) != want {
				return fmt.Errorf("Derive(%d,%d) = %v: %d steps, shortest is %d", a, b, steps, len(steps), want)
			}
		}
		if got := o.Below(a); !slices.Equal(got, below) {
			return fmt.Errorf("Below(%d) = %v, want %v", a, got, below)
		}
		var above []int32
		for b := range int32(n) {
			if nv.greater[b][a] {
				above = append(above, b)
			}
		}
		if got := o.Above(a); !slices.Equal(got, above) {
			return fmt.Errorf("Above(%d) = %v, want %v", a, got, above)
		}
	}
	if got := o.ClosureSize(); got != pairs {
		return fmt.Errorf("ClosureSize = %d, want %d", got, pairs)
	}
	// Contradictions: every strict self-loop, and one witness per class that
	// holds a strict fact between two of its nodes — its first such fact,
	// preferring one between different equality classes — each with the
	// shortest chain back.
	count := 0
	classFacts := map[int]int{} // smallest node of the class -> strict facts inside
	witness := map[int]int{}
	rep := func(v int) int {
		for u := range n {
			if nv.sameClass(u, v) {
				return u
			}
		}
		return v
	}
	var want []int32
	for i, e := range nv.strict {
		u, v := int(e.From), int(e.To)
		if !nv.sameClass(u, v) {
			continue
		}
		count++
		c := rep(u)
		classFacts[c]++
		if u == v {
			want = append(want, int32(i))
			continue
		}
		w, ok := witness[c]
		crosses := func(k int) bool { return nv.eqDist[nv.strict[k].From][nv.strict[k].To] < 0 }
		if !ok || (!crosses(w) && crosses(i)) {
			witness[c] = i
		}
	}
	for _, w := range witness {
		want = append(want, int32(w))
	}
	slices.Sort(want)
	got := o.Contradictions()
	if o.ContradictionCount() != count {
		return fmt.Errorf("ContradictionCount = %d, want %d", o.ContradictionCount(), count)
	}
	want = want[:min(len(want), MaxContradictions)]
	if len(got) != len(want) {
		return fmt.Errorf("Contradictions = %+v, want edges %v", got, want)
	}
	for i, c := range got {
		if c.Edge != want[i] {
			return fmt.Errorf("Contradictions = %+v, want edges %v", got, want)
		}
		e := nv.strict[c.Edge]
		r := rep(int(e.From))
		size := 0
		for v := range n {
			if nv.sameClass(r, v) {
				size++
			}
		}
		if c.Facts != classFacts[r] || c.Nodes != size || c.Class != o.Class(e.From) {
			return fmt.Errorf("contradiction %d: class %d with %d facts, %d nodes; want class %d, %d facts, %d nodes",
				c.Edge, c.Class, c.Facts, c.Nodes, o.Class(e.From), classFacts[r], size)
		}
		if e.From == e.To {
			if len(c.Back) != 0 {
				return fmt.Errorf("self-loop %d has a back chain %v", c.Edge, c.Back)
			}
			continue
		}
		if _, err := checkChain(nv, e.To, e.From, c.Back); err != nil {
			return fmt.Errorf("contradiction %d back %v: %v", c.Edge, c.Back, err)
		}
		if len(c.Back) != nv.anyDist[e.To][e.From] {
			return fmt.Errorf("contradiction %d back %v not shortest (%d)", c.Edge, c.Back, nv.anyDist[e.To][e.From])
		}
	}
	// DeriveEqual: equal facts alone, shortest, whatever else holds.
	for a := range int32(n) {
		for b := range int32(n) {
			steps, ok := o.DeriveEqual(a, b)
			d := nv.eqDist[a][b]
			if want := a != b && d >= 0; ok != want {
				return fmt.Errorf("DeriveEqual(%d,%d) ok = %v, want %v", a, b, ok, want)
			}
			if !ok {
				continue
			}
			nStrict, err := checkChain(nv, a, b, steps)
			if err != nil || nStrict != 0 || len(steps) != d {
				return fmt.Errorf("DeriveEqual(%d,%d) = %v (%d strict, err %v), want %d equal facts", a, b, steps, nStrict, err, d)
			}
		}
	}
	return checkLayers(o, nv)
}

// checkLayers recomputes layers on the class DAG by relaxation, from the top
// (Layers) and from the bottom (LayersFromBottom).
func checkLayers(o *Order, nv *naive) error {
	n := nv.n
	for _, up := range []bool{false, true} {
		layer := make([]int, n)
		for changed := true; changed; {
			changed = false
			for a := range n {
				for b := range n {
					x, y := a, b
					if up {
						x, y = b, a
					}
					if nv.greater[x][y] && !nv.sameClass(a, b) && layer[b] < layer[a]+1 {
						layer[b] = layer[a] + 1
						changed = true
					}
				}
			}
		}
		got, what := o.Layers(), "Layers"
		if up {
			got, what = o.LayersFromBottom(), "LayersFromBottom"
		}
		seen := 0
		for l, nodes := range got {
			if !slices.IsSorted(nodes) || len(nodes) == 0 {
				return fmt.Errorf("%s: layer %d = %v: empty or unsorted", what, l, nodes)
			}
			for _, v := range nodes {
				if layer[v] != l {
					return fmt.Errorf("%s: node %d in layer %d, want %d (layers %v)", what, v, l, layer[v], got)
				}
				seen++
			}
		}
		if seen != n {
			return fmt.Errorf("%s hold %d nodes, want %d", what, seen, n)
		}
	}
	return nil
}

// TestIndexMatchesClosure compares the cut index with the full closure on
// graphs large enough that the DFS and every cut are exercised.
func TestIndexMatchesClosure(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for iter := range 6 {
		n := 500 + rng.IntN(2500)
		strict, equal := randomGraph(rng, n, n*(1+iter%5), n/50, iter%3 != 0)
		full, err := build(n, strict, equal, configs[0].cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range configs[1:] {
			o, err := build(n, strict, equal, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for range 20000 {
				a, b := rng.Int32N(int32(n)), rng.Int32N(int32(n))
				if o.Greater(a, b) != full.Greater(a, b) {
					t.Fatalf("%s iter %d: Greater(%d,%d) = %v, closure says %v", tc.name, iter, a, b, !full.Greater(a, b), full.Greater(a, b))
				}
			}
			for range 50 {
				a := rng.Int32N(int32(n))
				if !slices.Equal(o.Below(a), full.Below(a)) || !slices.Equal(o.Above(a), full.Above(a)) {
					t.Fatalf("%s iter %d: Below/Above(%d) differ", tc.name, iter, a)
				}
			}
			for range 200 {
				a, b := rng.Int32N(int32(n)), rng.Int32N(int32(n))
				d1, ok1 := o.Derive(a, b)
				d2, ok2 := full.Derive(a, b)
				if ok1 != ok2 || len(d1) != len(d2) {
					t.Fatalf("%s iter %d: Derive(%d,%d) = %v %v, closure %v %v", tc.name, iter, a, b, d1, ok1, d2, ok2)
				}
			}
			if o.ClosureSize() != full.ClosureSize() {
				t.Fatalf("%s iter %d: ClosureSize %d, closure %d", tc.name, iter, o.ClosureSize(), full.ClosureSize())
			}
		}
	}
}

func TestConcurrentReaders(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	n := 2000
	strict, equal := randomGraph(rng, n, 4*n, 20, true)
	for _, tc := range configs[:2] {
		o, err := build(n, strict, equal, tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]bool, 5000)
		pairs := make([][2]int32, len(want))
		for i := range pairs {
			pairs[i] = [2]int32{rng.Int32N(int32(n)), rng.Int32N(int32(n))}
			want[i] = o.Greater(pairs[i][0], pairs[i][1])
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i, p := range pairs {
					if o.Greater(p[0], p[1]) != want[i] {
						t.Errorf("goroutine %d: Greater%v changed", g, p)
						return
					}
					if i%50 == 0 {
						o.Derive(p[0], p[1])
						o.Below(p[0])
						o.Contradictions()
						o.ClosureSize()
					}
				}
			}()
		}
		wg.Wait()
	}
}

func TestContradictionCap(t *testing.T) {
	var strict []Edge
	for range MaxContradictions + 5 {
		strict = append(strict, Edge{1, 1})
	}
	o, err := NewOrder(2, strict, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Contradictions()) != MaxContradictions || o.ContradictionCount() != MaxContradictions+5 {
		t.Errorf("cap: %d reported, %d counted", len(o.Contradictions()), o.ContradictionCount())
	}
}

// TestDeepChain makes sure nothing recurses per node.
func TestDeepChain(t *testing.T) {
	n := 200000
	strict := make([]Edge, n-1)
	for i := range strict {
		strict[i] = Edge{int32(i), int32(i + 1)}
	}
	// 200,000 classes exceed the default closure budget, so this is the index.
	for _, tc := range configs[1:] {
		o, err := build(n, strict, nil, tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !o.Greater(0, int32(n-1)) || o.Greater(int32(n-1), 0) {
			t.Fatal("chain reachability wrong")
		}
		if d, ok := o.Derive(0, int32(n-1)); !ok || len(d) != n-1 {
			t.Fatalf("chain derivation %d steps", len(d))
		}
		if len(o.Layers()) != n {
			t.Fatal("chain layers wrong")
		}
	}
}

// FuzzNewOrder feeds arbitrary networks, ids out of range included: nothing
// may panic, and a built order must agree with the brute-force answers.
func FuzzNewOrder(f *testing.F) {
	f.Add(uint8(5), []byte{4, 1, 1, 2, 2, 3}, []byte{0, 4})
	f.Add(uint8(3), []byte{0, 1, 1, 2, 2, 0}, []byte{})
	f.Add(uint8(2), []byte{1, 1, 7, 0}, []byte{1, 1})
	f.Fuzz(func(t *testing.T, n uint8, s, e []byte) {
		edges := func(b []byte) []Edge {
			var out []Edge
			for i := 0; i+1 < len(b); i += 2 {
				out = append(out, Edge{int32(int8(b[i])), int32(int8(b[i+1]))})
			}
			return out
		}
		size := int(n % 24)
		strict, equal := edges(s), edges(e)
		if len(strict)+len(equal) > 300 {
			return // the brute force is cubic; small networks find the bugs
		}
		for _, tc := range configs[:2] {
			o, err := build(size, strict, equal, tc.cfg)
			if err != nil {
				if !errors.Is(err, ErrInvalidInput) {
					t.Fatalf("error %v does not wrap ErrInvalidInput", err)
				}
				return
			}
			if err := compareNaive(o, newNaive(size, strict, equal)); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
	})
}

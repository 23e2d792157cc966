package reason

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/strata-dev/strata/internal/unionfind"
)

// Edge is a declared fact between dense node ids: for strict edges From > To;
// for equal edges From = To.
type Edge struct{ From, To int32 }

// Step is one declared fact used in a derivation: Index into the strict or
// equal slice given to NewOrder, Equal says which slice, Reversed says an equal
// edge was used from To to From.
type Step struct {
	Index    int32
	Equal    bool
	Reversed bool
}

// Contradiction is one cycle of the step graph through a strict fact (so
// a > b and b >= a). Edge is the strict fact's index; Back is the shortest
// derivation of To >= From (strict and/or equal steps) that closes the cycle,
// empty for a self-loop a > a. Class is the class (strongly connected
// component) the cycle lies in; Facts and Nodes count the strict facts and
// nodes inside it, so a report can say how much more of the class is caught
// in cycles than the one shown.
type Contradiction struct {
	Edge  int32
	Back  []Step
	Class int32
	Facts int
	Nodes int
}

// MaxContradictions caps how many contradictions Contradictions reports, so
// that a badly broken network cannot make the report grow without bound;
// ContradictionCount still counts every strict fact on a cycle.
const MaxContradictions = 1000

// ErrInvalidInput is wrapped by every error NewOrder returns for input it
// cannot accept (a node id out of range, a negative or huge size).
var ErrInvalidInput = errors.New("reason: invalid input")

// maxNodes keeps derivation search states (2 per node) inside int32.
const maxNodes = 1 << 30

// maxSteps bounds len(strict)+2*len(equal): steps are packed as index<<2|flags
// in a uint32 and CSR offsets are int32.
const maxSteps = 1 << 30

// Step codes in the node graph pack the fact's index with two flag bits.
const (
	codeEqual    = 1 << 1
	codeReversed = 1 << 0
)

func decodeStep(c uint32) Step {
	return Step{Index: int32(c >> 2), Equal: c&codeEqual != 0, Reversed: c&codeReversed != 0}
}

// defaultClosureBytes is the largest full closure (classes²/8 bytes) used
// (built on its first use); past it the cut index is used instead.
const defaultClosureBytes = 256 << 20

// config holds build knobs that tests turn to reach both query strategies on
// small graphs.
type config struct {
	closureBytes int64 // build the full closure when classes²/8 <= this
	seed         uint64
	hubs         int // hub classes in the cut index, at most hubCount
}

// Order is the built order over one network. It is immutable and safe for
// concurrent use; see the package documentation.
type Order struct {
	n int

	eqID []int32 // union-find representative per node: Equal only

	class    []int32 // node -> class, classes in topological order
	nClass   int
	memStart []int32 // class -> first index in members
	members  []int32 // nodes grouped by class, ascending inside a class
	cyclic   []bool  // class contains a strict fact: contradictory
	layer    []int32 // class -> longest path from a maximum
	nLayers  int

	// Step graph over nodes: strict facts one way, equal facts both ways.
	nodeOff  []int32
	nodeTo   []int32
	nodeCode []uint32

	// The same steps by arrival node, built on first Derive (buildInSteps).
	inOnce sync.Once
	inOff  []int32
	inFrom []int32
	inCode []uint32

	// Condensed DAG; successor and predecessor lists are sorted ascending.
	succOff, succ []int32
	predOff, pred []int32

	// full transitive closure when full, built on its first use (fullClosure): a check
	// of a network asks nothing of it (contradictions are searched inside their class),
	// and it is most of the cost of building a large order
	full        bool
	closureOnce sync.Once
	closure     *closure
	index       *index // cut index when not full

	contraCount int
	contraEdges []int32 // the witness strict edges, sorted, at most MaxContradictions
	contraEnds  []Edge  // their endpoints
	classFacts  []int32 // strict facts inside each class, nil when there are none
	contraOnce  sync.Once
	contras     []Contradiction

	sizeOnce sync.Once
	size     int64

	classScratch sync.Pool // *classScratch
	nodeScratch  sync.Pool // *nodeScratch
}

// NewOrder builds the order for n nodes (ids 0..n-1) from strict facts
// (From > To) and equal facts (From = To). Facts may repeat; a strict
// self-loop is a contradiction and an equal self-loop is harmless. It returns
// an error wrapping ErrInvalidInput when an id is out of range.
func NewOrder(n int, strict, equal []Edge) (*Order, error) {
	return build(n, strict, equal, config{closureBytes: defaultClosureBytes, seed: 1, hubs: hubCount})
}

func build(n int, strict, equal []Edge, cfg config) (*Order, error) {
	if n < 0 || n > maxNodes {
		return nil, fmt.Errorf("%w: %d nodes: want 0 to %d", ErrInvalidInput, n, maxNodes)
	}
	if int64(len(strict))+2*int64(len(equal)) > maxSteps {
		return nil, fmt.Errorf("%w: %d strict and %d equal facts: at most %d steps (strict + 2×equal)",
			ErrInvalidInput, len(strict), len(equal), maxSteps)
	}
	for i, e := range strict {
		if uint32(e.From) >= uint32(n) || uint32(e.To) >= uint32(n) {
			return nil, fmt.Errorf("%w: strict fact %d (%d > %d): node id out of range [0,%d)", ErrInvalidInput, i, e.From, e.To, n)
		}
	}
	for i, e := range equal {
		if uint32(e.From) >= uint32(n) || uint32(e.To) >= uint32(n) {
			return nil, fmt.Errorf("%w: equal fact %d (%d = %d): node id out of range [0,%d)", ErrInvalidInput, i, e.From, e.To, n)
		}
	}
	o := &Order{n: n}
	o.eqID = unionFind(n, equal)
	o.buildNodeGraph(strict, equal)
	comp, nc := components(n, o.nodeOff, o.nodeTo)
	o.nClass = int(nc)
	// Tarjan finishes sinks first; reversing its numbering makes every DAG
	// edge go from a smaller class id to a larger one.
	o.class = comp
	for v := range o.class {
		o.class[v] = nc - 1 - o.class[v]
	}
	o.buildMembers()
	o.buildCondensed(strict)
	o.buildLayers()
	if c := int64(o.nClass); c*c/8 <= cfg.closureBytes {
		o.full = true
	} else {
		o.index = newIndex(o, cfg)
	}
	return o, nil
}

// fullClosure is the full transitive closure, built on the first call; nil when the
// order uses the cut index instead.
func (o *Order) fullClosure() *closure {
	if !o.full {
		return nil
	}
	o.closureOnce.Do(func() { o.closure = newClosure(o.nClass, o.succOff, o.succ) })
	return o.closure
}

// unionFind returns a representative per node, the smallest id of its
// class, for the classes joined by the equal facts.
func unionFind(n int, equal []Edge) []int32 {
	f := unionfind.New(n)
	for _, e := range equal {
		f.Union(e.From, e.To)
	}
	return f.Roots()
}

// buildNodeGraph lays out the step graph in CSR form, strict facts first and
// each node's steps in fact order, so searches are deterministic.
func (o *Order) buildNodeGraph(strict, equal []Edge) {
	n := o.n
	off := make([]int32, n+1)
	for _, e := range strict {
		off[e.From+1]++
	}
	for _, e := range equal {
		if e.From != e.To {
			off[e.From+1]++
			off[e.To+1]++
		}
	}
	for i := 0; i < n; i++ {
		off[i+1] += off[i]
	}
	total := off[n]
	to := make([]int32, total)
	code := make([]uint32, total)
	pos := make([]int32, n)
	copy(pos, off[:n])
	for i, e := range strict {
		p := pos[e.From]
		to[p], code[p] = e.To, uint32(i)<<2
		pos[e.From]++
	}
	for i, e := range equal {
		if e.From == e.To {
			continue
		}
		p := pos[e.From]
		to[p], code[p] = e.To, uint32(i)<<2|codeEqual
		pos[e.From]++
		p = pos[e.To]
		to[p], code[p] = e.From, uint32(i)<<2|codeEqual|codeReversed
		pos[e.To]++
	}
	o.nodeOff, o.nodeTo, o.nodeCode = off, to, code
}

// components is an iterative Tarjan SCC over a CSR graph (no recursion, so
// deep chains cannot overflow the stack). Components are numbered in the
// order they finish: sinks first.
func components(n int, off, to []int32) ([]int32, int32) {
	index := make([]int32, n) // discovery order + 1; 0 = unvisited
	low := make([]int32, n)
	comp := make([]int32, n)
	for i := range comp {
		comp[i] = -1 // visited and unassigned means on the Tarjan stack
	}
	type frame struct{ v, e int32 }
	var call []frame
	var stack []int32
	next, nc := int32(1), int32(0)
	for s := 0; s < n; s++ {
		if index[s] != 0 {
			continue
		}
		index[s], low[s] = next, next
		next++
		stack = append(stack, int32(s))
		call = append(call, frame{int32(s), off[s]})
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.e < off[v+1] {
				w := to[f.e]
				f.e++
				if index[w] == 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					call = append(call, frame{w, off[w]})
				} else if comp[w] < 0 && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			call = call[:len(call)-1]
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					comp[w] = nc
					if w == v {
						break
					}
				}
				nc++
			}
			if len(call) > 0 {
				if u := call[len(call)-1].v; low[v] < low[u] {
					low[u] = low[v]
				}
			}
		}
	}
	return comp, nc
}

func (o *Order) buildMembers() {
	start := make([]int32, o.nClass+1)
	for _, c := range o.class {
		start[c+1]++
	}
	for c := 0; c < o.nClass; c++ {
		start[c+1] += start[c]
	}
	members := make([]int32, o.n)
	pos := make([]int32, o.nClass)
	copy(pos, start[:o.nClass])
	for v, c := range o.class {
		members[pos[c]] = int32(v)
		pos[c]++
	}
	o.memStart, o.members = start, members
}

// buildCondensed maps strict facts onto classes: a fact inside a class marks
// a contradiction, the others become deduplicated, sorted DAG edges.
func (o *Order) buildCondensed(strict []Edge) {
	nc := o.nClass
	o.cyclic = make([]bool, nc)
	off := make([]int32, nc+1)
	// witness[c] is the strict fact reported for class c: the first one that
	// is no self-loop, preferring one between different equality classes (an
	// antisymmetric order that is not strict contradicts itself only there).
	var witness []int32
	var selfLoops []int32
	for i, e := range strict {
		cu, cv := o.class[e.From], o.class[e.To]
		if cu == cv {
			if witness == nil {
				witness = make([]int32, nc)
				for c := range witness {
					witness[c] = -1
				}
				o.classFacts = make([]int32, nc)
			}
			o.cyclic[cu] = true
			o.classFacts[cu]++
			o.contraCount++
			switch w := witness[cu]; {
			case e.From == e.To:
				if len(selfLoops) < MaxContradictions {
					selfLoops = append(selfLoops, int32(i))
				}
			case w < 0:
				witness[cu] = int32(i)
			case o.eqID[strict[w].From] == o.eqID[strict[w].To] && o.eqID[e.From] != o.eqID[e.To]:
				witness[cu] = int32(i)
			}
			continue
		}
		off[cu+1]++
	}
	if witness != nil {
		edges := selfLoops
		for _, w := range witness {
			if w >= 0 {
				edges = append(edges, w)
			}
		}
		slices.Sort(edges)
		edges = edges[:min(len(edges), MaxContradictions)]
		o.contraEdges = slices.Clip(edges)
		o.contraEnds = make([]Edge, len(edges))
		for i, w := range edges {
			o.contraEnds[i] = strict[w]
		}
	}
	for c := 0; c < nc; c++ {
		off[c+1] += off[c]
	}
	succ := make([]int32, off[nc])
	pos := make([]int32, nc)
	copy(pos, off[:nc])
	for _, e := range strict {
		cu, cv := o.class[e.From], o.class[e.To]
		if cu != cv {
			succ[pos[cu]] = cv
			pos[cu]++
		}
	}
	// Sort each list and drop repeats in place; sorted successors let the
	// closure skip classes already covered and let searches stop early.
	w := int32(0)
	start := int32(0)
	for c := 0; c < nc; c++ {
		end := off[c+1]
		list := succ[start:end]
		slices.Sort(list)
		off[c] = w
		prev := int32(-1)
		for _, d := range list {
			// w never passes the read position, so compacting in place is safe.
			if d != prev {
				succ[w] = d
				w++
				prev = d
			}
		}
		start = end
	}
	off[nc] = w
	o.succOff, o.succ = off, slices.Clip(succ[:w])

	poff := make([]int32, nc+1)
	for _, d := range o.succ {
		poff[d+1]++
	}
	for c := 0; c < nc; c++ {
		poff[c+1] += poff[c]
	}
	pred := make([]int32, len(o.succ))
	copy(pos, poff[:nc])
	for c := 0; c < nc; c++ {
		for _, d := range o.succ[off[c]:off[c+1]] {
			pred[pos[d]] = int32(c) // ascending c: pred lists come out sorted
			pos[d]++
		}
	}
	o.predOff, o.pred = poff, pred
}

func (o *Order) buildLayers() {
	layer := make([]int32, o.nClass)
	maxLayer := int32(-1)
	for c := 0; c < o.nClass; c++ {
		l := layer[c]
		maxLayer = max(maxLayer, l)
		for _, d := range o.succ[o.succOff[c]:o.succOff[c+1]] {
			if layer[d] < l+1 {
				layer[d] = l + 1
			}
		}
	}
	o.layer = layer
	o.nLayers = int(maxLayer + 1)
}

func (o *Order) valid(v int32) bool { return uint32(v) < uint32(o.n) }

// N returns the number of nodes.
func (o *Order) N() int { return o.n }

// Class returns v's dense class id, or -1 when v is out of range. Classes are
// the equality classes merged along strict cycles (the strongly connected
// components), numbered so that a greater class has a smaller id.
func (o *Order) Class(v int32) int32 {
	if !o.valid(v) {
		return -1
	}
	return o.class[v]
}

// Equal reports whether a = b follows from the equal facts alone, for a != b.
func (o *Order) Equal(a, b int32) bool {
	return a != b && o.valid(a) && o.valid(b) && o.eqID[a] == o.eqID[b]
}

// Greater reports whether a > b follows: a path from a to b that uses at
// least one strict fact and any equal facts in either direction. Inside a
// contradictory class it holds both ways, and a > a holds too.
func (o *Order) Greater(a, b int32) bool {
	if !o.valid(a) || !o.valid(b) {
		return false
	}
	return o.reach(o.class[a], o.class[b])
}

// reach reports whether class u reaches class v, with at least one strict
// fact on the way.
func (o *Order) reach(u, v int32) bool {
	if u >= v {
		// Topological numbering: a class never reaches a smaller id.
		return u == v && o.cyclic[u]
	}
	if cl := o.fullClosure(); cl != nil {
		return cl.has(u, v)
	}
	return o.index.reach(o, u, v)
}

// mayReach is a cheap, sound over-approximation of "class u reaches class v
// in zero or more steps", used to prune searches.
func (o *Order) mayReach(u, v int32) bool {
	if u == v {
		return true
	}
	if u > v {
		return false
	}
	if cl := o.fullClosure(); cl != nil {
		return cl.has(u, v)
	}
	return !o.index.cut(u, v)
}

// ContradictionCount returns how many strict facts lie on a cycle, including
// those Contradictions does not show.
func (o *Order) ContradictionCount() int { return o.contraCount }

// Contradictions returns one entry per cycle through a strict fact, sorted by
// fact index, at most MaxContradictions of them: each strict self-loop a > a,
// and for every class that holds a strict fact between two of its nodes, one
// witness — its first such fact, preferring one between different equality
// classes, with the shortest chain that closes the cycle. The chains are
// computed on the first call, each by a search inside its own class, so the
// whole answer costs time and space in proportion to the classes it reports,
// however many strict facts those classes hold.
func (o *Order) Contradictions() []Contradiction {
	o.contraOnce.Do(func() {
		for i, e := range o.contraEnds {
			c := o.class[e.From]
			var back []Step
			if e.From != e.To {
				back, _ = o.shortest(e.To, e.From, searchInClass)
			}
			o.contras = append(o.contras, Contradiction{Edge: o.contraEdges[i], Back: back, Class: c,
				Facts: int(o.classFacts[c]), Nodes: int(o.memStart[c+1] - o.memStart[c])})
		}
	})
	out := make([]Contradiction, len(o.contras))
	for i, c := range o.contras {
		out[i] = c
		out[i].Back = slices.Clone(c.Back)
	}
	return out
}

// Layers returns the nodes by layer: layer 0 holds the nodes nothing is
// greater than, and a node's layer is the longest path from a maximum in the
// condensed DAG, so equal nodes share a layer. Nodes in a layer are sorted.
func (o *Order) Layers() [][]int32 { return o.group(o.layer, o.nLayers) }

// LayersFromBottom returns the layers of the reversed order: layer 0 holds
// the nodes greater than nothing, and a node's layer is the longest path from
// it down to a minimum. It is what Layers answers for the inverse relation
// (a < b read as a > b), which is not Layers reversed when paths differ in
// length. Nodes in a layer are sorted.
func (o *Order) LayersFromBottom() [][]int32 {
	height := make([]int32, o.nClass)
	most := int32(-1)
	for c := o.nClass - 1; c >= 0; c-- {
		h := int32(0)
		for _, d := range o.succ[o.succOff[c]:o.succOff[c+1]] {
			h = max(h, height[d]+1)
		}
		height[c] = h
		most = max(most, h)
	}
	return o.group(height, int(most+1))
}

// group lists the nodes by the layer of their class.
func (o *Order) group(layer []int32, nLayers int) [][]int32 {
	counts := make([]int32, nLayers)
	for _, c := range o.class {
		counts[layer[c]]++
	}
	flat := make([]int32, o.n)
	out := make([][]int32, nLayers)
	start := int32(0)
	for l, k := range counts {
		out[l] = flat[start : start : start+k]
		start += k
	}
	for v, c := range o.class {
		l := layer[c]
		out[l] = append(out[l], int32(v))
	}
	return out
}

// Below returns every b with Greater(a, b), sorted.
func (o *Order) Below(a int32) []int32 {
	if !o.valid(a) {
		return nil
	}
	return o.collect(o.class[a], true)
}

// Above returns every a with Greater(a, b), sorted.
func (o *Order) Above(b int32) []int32 {
	if !o.valid(b) {
		return nil
	}
	return o.collect(o.class[b], false)
}

// collect gathers the nodes of every class reachable from c (down) or
// reaching c (up), plus c's own nodes when c is contradictory.
func (o *Order) collect(c int32, down bool) []int32 {
	var out []int32
	add := func(d int32) { out = append(out, o.members[o.memStart[d]:o.memStart[d+1]]...) }
	if o.cyclic[c] {
		add(c)
	}
	// Down with the closure is one row; every other case walks the DAG, which
	// costs in proportion to what it finds (a closure column would touch a
	// row per class).
	if cl := o.fullClosure(); cl != nil && down {
		cl.each(c, add)
	} else {
		off, adj := o.succOff, o.succ
		if !down {
			off, adj = o.predOff, o.pred
		}
		s := o.getClassScratch()
		stamp := s.next()
		stack := append(s.stack[:0], c)
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, y := range adj[off[x]:off[x+1]] {
				if s.mark[y] != stamp {
					s.mark[y] = stamp
					add(y)
					stack = append(stack, y)
				}
			}
		}
		s.stack = stack
		o.classScratch.Put(s)
	}
	slices.Sort(out)
	return out
}

// ClosureSize returns the number of ordered pairs (a, b) with Greater(a, b).
// With the full closure it is a popcount; otherwise it is computed on the
// first call in blocks of target classes (seconds for 200,000 classes).
func (o *Order) ClosureSize() int64 {
	o.sizeOnce.Do(func() {
		sizes := make([]int64, o.nClass)
		for c := range sizes {
			sizes[c] = int64(o.memStart[c+1] - o.memStart[c])
		}
		var total int64
		if cl := o.fullClosure(); cl != nil {
			total = cl.weightedPairs(sizes)
		} else {
			total = blockedPairs(o.nClass, o.succOff, o.succ, sizes)
		}
		for c, cyc := range o.cyclic {
			if cyc {
				total += sizes[c] * sizes[c]
			}
		}
		o.size = total
	})
	return o.size
}

// classScratch is per-query state over classes, reused through a pool so
// queries do not allocate and concurrent readers do not share it.
type classScratch struct {
	mark   []uint32
	back   []uint32 // second mark array for the backward side of a search
	cur    uint32
	stack  []int32
	stackB []int32
}

// next returns a fresh stamp; marks equal to it mean "visited this query".
func (s *classScratch) next() uint32 {
	s.cur++
	if s.cur == 0 {
		clear(s.mark)
		clear(s.back)
		s.cur = 1
	}
	return s.cur
}

func (o *Order) getClassScratch() *classScratch {
	if s, ok := o.classScratch.Get().(*classScratch); ok {
		return s
	}
	return &classScratch{mark: make([]uint32, o.nClass)}
}

// sizeBytes estimates the memory held by the built order.
func (o *Order) sizeBytes() int64 {
	b := 4 * int64(len(o.eqID)+len(o.class)+len(o.memStart)+len(o.members)+len(o.layer)+
		len(o.nodeOff)+len(o.nodeTo)+len(o.nodeCode)+len(o.succOff)+len(o.succ)+len(o.predOff)+len(o.pred))
	b += int64(len(o.cyclic))
	if cl := o.fullClosure(); cl != nil {
		b += 8 * int64(len(cl.bits))
	}
	if o.index != nil {
		b += o.index.sizeBytes()
	}
	return b
}

package reason

import (
	"container/heap"
	"math/rand/v2"
	"unsafe"
)

// Sizes of the cut index. Hub reachability is kept as fixed-size bit arrays
// inside each label so one query touches one or two cache lines per class.
const (
	hubWords   = 4             // 256 hub classes
	hubCount   = hubWords * 64 // classes whose reachability every label records
	grailLabel = 3             // random DFS interval labels per class
)

// label is everything the index knows about one class.
//
// Negative cuts (u cannot reach v) are sound because reachability is
// transitive: if u reaches v then v has a larger layer and a smaller height,
// comes after u in every topological order, v's DFS intervals lie inside
// u's, every hub v reaches u reaches too, and every hub that reaches u
// reaches v too. Positive cuts (u reaches v) come
// from the spanning-tree interval and from a hub on a path u → h → v.
type label struct {
	layer  int32 // longest path from a source
	height int32 // longest path to a sink
	treeLo int32 // first post-order number in this class's DFS subtree (traversal 0)
	y      int32 // position in a second topological order (FELINE)
	y2     int32 // position in a third, built from the sinks up
	post   [grailLabel]int32
	lo     [grailLabel]int32 // min post-order number reachable, per traversal
	anc    [hubWords]uint64  // hubs this class reaches (itself included)
	desc   [hubWords]uint64  // hubs that reach this class (itself included)
}

// index answers reachability between classes when the full closure would be
// too large.
type index struct {
	labels []label
}

func newIndex(o *Order, cfg config) *index {
	nc := o.nClass
	x := &index{labels: make([]label, nc)}
	L := x.labels
	for c := range L {
		L[c].layer = o.layer[c]
	}
	for c := nc - 1; c >= 0; c-- {
		h := int32(0)
		for _, d := range o.succ[o.succOff[c]:o.succOff[c+1]] {
			h = max(h, L[d].height+1)
		}
		L[c].height = h
	}
	rng := rand.New(rand.NewPCG(cfg.seed, 0x5eed))
	for t := range grailLabel {
		x.traverse(o, t, rng)
	}
	x.hubs(o, min(cfg.hubs, hubCount))
	x.feline(o, false)
	x.feline(o, true)
	return x
}

// feline numbers the classes in another topological order that runs as far
// against the class ids as it can. Going down from the sources, it always
// takes the ready class with the largest id; going up from the sinks (up),
// the one with the smallest id, numbering from the end. A class reaches
// another only if it comes first in every topological order, so the pairs
// these orders disagree on with the ids are cut in O(1) (FELINE, Veloso et
// al. 2014; the second order catches pairs the first leaves).
func (x *index) feline(o *Order, up bool) {
	nc := o.nClass
	off, adj, back := o.predOff, o.succ, o.succOff
	if up {
		off, adj, back = o.succOff, o.pred, o.predOff
	}
	// wait[c] counts the neighbours on the side we come from still unnumbered.
	wait := make([]int32, nc)
	h := classHeap{larger: !up}
	for c := range nc {
		wait[c] = off[c+1] - off[c]
		if wait[c] == 0 {
			h.push(int32(c))
		}
	}
	next := int32(0)
	for len(h.a) > 0 {
		c := h.pop()
		if up {
			x.labels[c].y2 = int32(nc) - 1 - next
		} else {
			x.labels[c].y = next
		}
		next++
		for _, d := range adj[back[c]:back[c+1]] {
			if wait[d]--; wait[d] == 0 {
				h.push(d)
			}
		}
	}
}

// classHeap is a binary heap of class ids, popping the largest first when
// larger is set and the smallest otherwise; typed to avoid boxing each push.
type classHeap struct {
	a      []int32
	larger bool
}

func (h *classHeap) before(i, j int) bool {
	if h.larger {
		return h.a[i] > h.a[j]
	}
	return h.a[i] < h.a[j]
}

func (h *classHeap) push(c int32) {
	h.a = append(h.a, c)
	for i := len(h.a) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.before(i, p) {
			break
		}
		h.a[i], h.a[p] = h.a[p], h.a[i]
		i = p
	}
}

func (h *classHeap) pop() int32 {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.before(l, m) {
			m = l
		}
		if r < last && h.before(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
	return top
}

// traverse runs one DFS over the condensed DAG from the sources in random
// order, each class's successors from a random starting point, and records
// post-order numbers and the smallest number reachable (GRAIL). Traversal 0
// also records the DFS subtree ranges for the positive cut.
func (x *index) traverse(o *Order, t int, rng *rand.Rand) {
	nc := o.nClass
	L := x.labels
	var roots []int32
	for c := range nc {
		if o.predOff[c] == o.predOff[c+1] {
			roots = append(roots, int32(c))
		}
	}
	rng.Shuffle(len(roots), func(i, j int) { roots[i], roots[j] = roots[j], roots[i] })
	seen := make([]bool, nc)
	type frame struct{ v, k, n, start int32 }
	var stack []frame
	post := int32(0)
	push := func(v int32) {
		seen[v] = true
		n := o.succOff[v+1] - o.succOff[v]
		start := int32(0)
		if n > 1 {
			start = rng.Int32N(n)
		}
		if t == 0 {
			L[v].treeLo = post + 1
		}
		stack = append(stack, frame{v: v, n: n, start: start})
	}
	for _, r := range roots {
		push(r)
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.k < f.n {
				i := f.start + f.k
				if i >= f.n {
					i -= f.n
				}
				f.k++
				if w := o.succ[o.succOff[f.v]+i]; !seen[w] {
					push(w)
				}
				continue
			}
			v := f.v
			stack = stack[:len(stack)-1]
			post++
			lo := post
			for _, d := range o.succ[o.succOff[v]:o.succOff[v+1]] {
				lo = min(lo, L[d].lo[t])
			}
			L[v].post[t], L[v].lo[t] = post, lo
		}
	}
}

// hubs picks the classes with the most paths through them, approximated by
// (in-degree+1)×(out-degree+1), and records for every class which hubs it
// reaches and which reach it: two passes over the DAG in topological order.
func (x *index) hubs(o *Order, want int) {
	nc := o.nClass
	h := &scoreHeap{}
	for c := range nc {
		if want == 0 {
			break
		}
		in := int64(o.predOff[c+1] - o.predOff[c])
		out := int64(o.succOff[c+1] - o.succOff[c])
		if in == 0 || out == 0 {
			continue // a source or sink is never strictly between two classes
		}
		s := scored{score: (in + 1) * (out + 1), class: int32(c)}
		if h.Len() < want {
			heap.Push(h, s)
		} else if s.score > (*h)[0].score {
			(*h)[0] = s
			heap.Fix(h, 0)
		}
	}
	L := x.labels
	for i, s := range *h {
		L[s.class].anc[i/64] |= 1 << (i % 64)
		L[s.class].desc[i/64] |= 1 << (i % 64)
	}
	for c := nc - 1; c >= 0; c-- {
		a := &L[c].anc
		for _, d := range o.succ[o.succOff[c]:o.succOff[c+1]] {
			for i := range hubWords {
				a[i] |= L[d].anc[i]
			}
		}
	}
	for c := range nc {
		ds := &L[c].desc
		for _, d := range o.succ[o.succOff[c]:o.succOff[c+1]] {
			for i := range hubWords {
				L[d].desc[i] |= ds[i]
			}
		}
	}
}

type scored struct {
	score int64
	class int32
}

// scoreHeap is a min-heap on score, so the root is the weakest hub kept.
type scoreHeap []scored

func (h scoreHeap) Len() int { return len(h) }
func (h scoreHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].class > h[j].class
}
func (h scoreHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *scoreHeap) Push(v any)   { *h = append(*h, v.(scored)) }
func (h *scoreHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

// cut reports that class u certainly does not reach class v (u < v, u != v).
func (x *index) cut(u, v int32) bool {
	return negative(&x.labels[u], &x.labels[v])
}

func negative(lu, lv *label) bool {
	if lv.layer <= lu.layer || lv.height >= lu.height || lv.y <= lu.y || lv.y2 <= lu.y2 {
		return true
	}
	for i := range hubWords {
		// v reaches a hub u does not, or a hub reaches u but not v.
		if lv.anc[i]&^lu.anc[i] != 0 || lu.desc[i]&^lv.desc[i] != 0 {
			return true
		}
	}
	for t := range grailLabel {
		if lv.post[t] > lu.post[t] || lv.lo[t] < lu.lo[t] {
			return true
		}
	}
	return false
}

func positive(lu, lv *label) bool {
	if lu.treeLo <= lv.post[0] && lv.post[0] < lu.post[0] {
		return true
	}
	for i := range hubWords {
		if lu.anc[i]&lv.desc[i] != 0 {
			return true
		}
	}
	return false
}

// reach answers u → v for u < v: cuts first, then a bidirectional search
// that applies the same cuts at every class it meets. The forward side walks
// successors of u that may still reach v, the backward side predecessors of
// v that u may still reach; the side with the smaller stack moves next. A
// "no" needs only one side exhausted, so the cost follows the smaller of the
// two candidate sets; the sides meeting is a "yes".
func (x *index) reach(o *Order, u, v int32) bool {
	L := x.labels
	lu, lv := &L[u], &L[v]
	if negative(lu, lv) {
		return false
	}
	if positive(lu, lv) {
		return true
	}
	s := o.getClassScratch()
	if s.back == nil {
		s.back = make([]uint32, len(s.mark))
	}
	stamp := s.next()
	fwd := append(s.stack[:0], u)
	bwd := append(s.stackB[:0], v)
	s.mark[u], s.back[v] = stamp, stamp
	found := false
search:
	for len(fwd) > 0 && len(bwd) > 0 {
		if len(fwd) <= len(bwd) {
			c := fwd[len(fwd)-1]
			fwd = fwd[:len(fwd)-1]
			for _, y := range o.succ[o.succOff[c]:o.succOff[c+1]] {
				if y > v {
					break // sorted: the rest are past v
				}
				if s.back[y] == stamp {
					found = true // y == v, or y is known to reach v
					break search
				}
				if s.mark[y] == stamp {
					continue
				}
				s.mark[y] = stamp
				ly := &L[y]
				if negative(ly, lv) {
					continue
				}
				if positive(ly, lv) {
					found = true
					break search
				}
				fwd = append(fwd, y)
			}
			continue
		}
		c := bwd[len(bwd)-1]
		bwd = bwd[:len(bwd)-1]
		ps := o.pred[o.predOff[c]:o.predOff[c+1]]
		for i := len(ps) - 1; i >= 0; i-- {
			y := ps[i]
			if y < u {
				break // sorted: the rest are before u
			}
			if s.mark[y] == stamp {
				found = true // y == u, or u is known to reach y
				break search
			}
			if s.back[y] == stamp {
				continue
			}
			s.back[y] = stamp
			ly := &L[y]
			if negative(lu, ly) {
				continue
			}
			if positive(lu, ly) {
				found = true
				break search
			}
			bwd = append(bwd, y)
		}
	}
	s.stack, s.stackB = fwd, bwd
	o.classScratch.Put(s)
	return found
}

func (x *index) sizeBytes() int64 {
	return int64(len(x.labels)) * int64(unsafe.Sizeof(label{}))
}

package reason

import "slices"

// search modes for shortest.
const (
	searchStrict  = iota // a > b inside one equality class: needs a strict step
	searchEqual          // a = b: equal facts only
	searchInClass        // b >= a inside one class (contradiction chains)
)

// Derive returns a shortest derivation — the fewest declared facts — of
// a > b when Greater(a, b), otherwise of a = b when Equal(a, b). ok is false
// when neither follows. Inside a contradictory class, where both may hold,
// the derivation of a > b is returned because it shows the contradiction.
func (o *Order) Derive(a, b int32) ([]Step, bool) {
	switch {
	case o.Greater(a, b):
		if o.eqID[a] != o.eqID[b] {
			// Any path between different equality classes crosses a strict
			// fact, so the plain shortest path is the answer.
			return o.shortestBoth(a, b)
		}
		return o.shortest(a, b, searchStrict)
	case o.Equal(a, b):
		return o.shortest(a, b, searchEqual)
	}
	return nil, false
}

// DeriveEqual returns a shortest derivation of a = b from equal facts alone,
// when Equal(a, b). Unlike Derive it never answers with a strict chain, so
// inside a contradictory class (a = b and a > b both declared) it still gives
// the reason for a = b.
func (o *Order) DeriveEqual(a, b int32) ([]Step, bool) {
	if !o.Equal(a, b) {
		return nil, false
	}
	return o.shortest(a, b, searchEqual)
}

// nodeScratch is per-search state over nodes (twice over, for searches that
// track whether a strict step was taken), reused through a pool.
type nodeScratch struct {
	mark   []uint32
	cur    uint32
	parent []int32
	code   []uint32
	dist   []int32 // used by shortestBoth only
	queue  []int32
	next   []int32
}

func (s *nodeScratch) stamp() uint32 {
	s.cur++
	if s.cur == 0 {
		clear(s.mark)
		s.cur = 1
	}
	return s.cur
}

func (o *Order) getNodeScratch() *nodeScratch {
	if s, ok := o.nodeScratch.Get().(*nodeScratch); ok {
		return s
	}
	return &nodeScratch{mark: make([]uint32, 2*o.n), parent: make([]int32, 2*o.n), code: make([]uint32, 2*o.n)}
}

// shortest is a breadth-first search over the step graph from a to b. A
// state is node*2+strict, where strict records whether a strict fact has been
// used (only searchStrict needs it; the others stay at 0). Nodes that cannot
// reach b are pruned with the class reachability structure, which keeps the
// search near the answer on large graphs.
func (o *Order) shortest(a, b int32, mode int) ([]Step, bool) {
	if a == b && mode != searchStrict {
		return []Step{}, true
	}
	s := o.getNodeScratch()
	defer o.nodeScratch.Put(s)
	stamp := s.stamp()
	cb := o.class[b]
	start := a * 2
	goal := b * 2
	if mode == searchStrict {
		goal++
	}
	s.mark[start] = stamp
	s.parent[start] = -1
	q := append(s.queue[:0], start)
	found := false
	for h := 0; h < len(q) && !found; h++ {
		st := q[h]
		v, strict := st>>1, st&1
		for e := o.nodeOff[v]; e < o.nodeOff[v+1]; e++ {
			c := o.nodeCode[e]
			isEq := c&codeEqual != 0
			if mode == searchEqual && !isEq {
				continue
			}
			w := o.nodeTo[e]
			ns := w * 2
			if mode == searchStrict && (strict == 1 || !isEq) {
				ns++
			}
			if s.mark[ns] == stamp {
				continue
			}
			if mode == searchInClass {
				if o.class[w] != cb {
					continue
				}
			} else if mode != searchEqual && !o.mayReach(o.class[w], cb) {
				continue
			}
			s.mark[ns] = stamp
			s.parent[ns] = st
			s.code[ns] = c
			if ns == goal {
				found = true
				break
			}
			q = append(q, ns)
		}
	}
	s.queue = q
	if !found {
		return nil, false
	}
	var path []Step
	for st := goal; st != start; st = s.parent[st] {
		path = append(path, decodeStep(s.code[st]))
	}
	slices.Reverse(path)
	return path, true
}

// shortestBoth is a bidirectional breadth-first search for a shortest path
// from a to b, for a and b in different equality classes (so any path has a
// strict step). Forward states are nodes 0..n-1, backward states n+v. It
// grows whole levels, the smaller frontier first; once a level meets the
// other side, the best meeting in that level is a shortest path, because any
// shorter path would have met in an earlier level. Both sides are pruned to
// nodes that can lie between a and b, so on large graphs it examines a tiny
// part of what a one-sided search does.
func (o *Order) shortestBoth(a, b int32) ([]Step, bool) {
	o.inOnce.Do(o.buildInSteps)
	n := int32(o.n)
	ca, cb := o.class[a], o.class[b]
	s := o.getNodeScratch()
	defer o.nodeScratch.Put(s)
	if s.dist == nil {
		s.dist = make([]int32, 2*o.n)
	}
	stamp := s.stamp()
	s.mark[a], s.parent[a], s.dist[a] = stamp, -1, 0
	s.mark[n+b], s.parent[n+b], s.dist[n+b] = stamp, -1, 0
	fq := append(s.queue[:0], a)
	bq := append(s.next[:0], b)
	var spare []int32
	best := int32(-1)
	var meetX, meetY int32
	var meetCode uint32
	meet := func(x, y int32, code uint32) {
		if l := s.dist[x] + 1 + s.dist[n+y]; best < 0 || l < best {
			best, meetX, meetY, meetCode = l, x, y, code
		}
	}
	for best < 0 && len(fq) > 0 && len(bq) > 0 {
		next := spare[:0]
		if len(fq) <= len(bq) {
			for _, x := range fq {
				for e := o.nodeOff[x]; e < o.nodeOff[x+1]; e++ {
					w := o.nodeTo[e]
					if s.mark[n+w] == stamp {
						meet(x, w, o.nodeCode[e])
					}
					if s.mark[w] == stamp || !o.mayReach(o.class[w], cb) {
						continue
					}
					s.mark[w], s.parent[w], s.code[w], s.dist[w] = stamp, x, o.nodeCode[e], s.dist[x]+1
					next = append(next, w)
				}
			}
			spare, fq = fq, next
			continue
		}
		for _, y := range bq {
			for e := o.inOff[y]; e < o.inOff[y+1]; e++ {
				x := o.inFrom[e]
				if s.mark[x] == stamp {
					meet(x, y, o.inCode[e])
				}
				if s.mark[n+x] == stamp || !o.mayReach(ca, o.class[x]) {
					continue
				}
				s.mark[n+x], s.parent[n+x], s.code[n+x], s.dist[n+x] = stamp, n+y, o.inCode[e], s.dist[n+y]+1
				next = append(next, x)
			}
		}
		spare, bq = bq, next
	}
	s.queue, s.next = fq[:0], bq[:0]
	if best < 0 {
		return nil, false
	}
	path := make([]Step, 0, best)
	for st := meetX; st != a; st = s.parent[st] {
		path = append(path, decodeStep(s.code[st]))
	}
	slices.Reverse(path)
	path = append(path, decodeStep(meetCode))
	for st := n + meetY; st != n+b; st = s.parent[st] {
		path = append(path, decodeStep(s.code[st]))
	}
	return path, true
}

// buildInSteps lays out the step graph backwards (the steps arriving at each
// node, with the code of the step as taken forwards) for shortestBoth; built
// on first use so orders that never derive do not pay for it.
func (o *Order) buildInSteps() {
	n := o.n
	off := make([]int32, n+1)
	for _, w := range o.nodeTo {
		off[w+1]++
	}
	for i := 0; i < n; i++ {
		off[i+1] += off[i]
	}
	from := make([]int32, len(o.nodeTo))
	code := make([]uint32, len(o.nodeTo))
	pos := make([]int32, n)
	copy(pos, off[:n])
	for x := range int32(n) {
		for e := o.nodeOff[x]; e < o.nodeOff[x+1]; e++ {
			w := o.nodeTo[e]
			from[pos[w]], code[pos[w]] = x, o.nodeCode[e]
			pos[w]++
		}
	}
	o.inOff, o.inFrom, o.inCode = off, from, code
}

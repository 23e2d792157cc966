// Package unionfind is the one disjoint-set forest of strata: the reasoner's
// equality classes, the synthetic network generator's classes and the
// benchmarks' peer view all join dense int32 ids with it.
//
// Roots are deterministic: when two sets are joined, the smaller root becomes
// the root of both, so a set's representative is always its smallest id, and
// the result does not depend on the order the unions came in. Find halves
// paths as it walks, which keeps trees shallow without recursion.
//
// A Forest is not safe for concurrent use.
package unionfind

// Forest is a disjoint-set forest over the ids 0..n-1.
type Forest struct {
	parent []int32
}

// New returns n singleton sets, one per id 0..n-1.
func New(n int) *Forest {
	parent := make([]int32, max(n, 0))
	for i := range parent {
		parent[i] = int32(i)
	}
	return &Forest{parent: parent}
}

// Len returns the number of ids.
func (f *Forest) Len() int { return len(f.parent) }

// Find returns the representative of x's set: its smallest id.
func (f *Forest) Find(x int32) int32 {
	p := f.parent
	for p[x] != x {
		p[x] = p[p[x]]
		x = p[x]
	}
	return x
}

// Union joins the sets of a and b and reports whether they were apart.
func (f *Forest) Union(a, b int32) bool {
	ra, rb := f.Find(a), f.Find(b)
	switch {
	case ra == rb:
		return false
	case ra < rb:
		f.parent[rb] = ra
	default:
		f.parent[ra] = rb
	}
	return true
}

// Same reports whether a and b are in one set.
func (f *Forest) Same(a, b int32) bool { return f.Find(a) == f.Find(b) }

// Roots returns every id's representative, indexed by id. The slice is the
// forest's own, fully compressed: the Forest must not be used afterwards.
func (f *Forest) Roots() []int32 {
	for v := range f.parent {
		f.parent[v] = f.Find(int32(v))
	}
	return f.parent
}

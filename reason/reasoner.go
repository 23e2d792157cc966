package reason

import (
	"fmt"
	"iter"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/strata-dev/strata/network"
)

// Reasoner answers questions about a loaded network: it builds one [Order] per transitive
// relation type and maps entity ids onto it. It is immutable once built and safe for
// concurrent use.
type Reasoner struct {
	net    *network.Network
	index  map[string]int32
	ids    []string
	orders map[string]*Relation
	names  []string // relation ids with an order, in declaration order

	aboutOnce sync.Once
	aboutOff  []int32 // entity -> first index in about
	about     []int32 // indexes into net.Facts of the facts naming each entity
}

// Relation is one transitive relation type with its order and the declared facts behind it.
// A relation asked for by its inverse name ([Reasoner.Relation]) is the same order read the
// other way round: every question about a > b is answered as b > a of the declared order,
// and derivations come back as facts under the inverse name, chaining from a to b.
type Relation struct {
	Type   *network.RelationType
	Order  *Order
	Strict []network.Fact // index i is the fact behind strict edge i
	Equal  []network.Fact // index i is the fact behind equal edge i
	domain []bool         // entities that appear in a fact of this relation
	// the edges of Strict and Equal, as given to NewOrder (Update compares them)
	strict, equal []Edge
	inverse       bool
}

// Name is the relation's name as asked for: its id, or its inverse name when it is read
// inverted.
func (rel *Relation) Name() string {
	if rel.inverse {
		return rel.Type.Inverse
	}
	return rel.Type.ID
}

// Inverse reports whether the relation is read inverted: it was asked for by its inverse
// name, so a > b means b > a in the declared order.
func (rel *Relation) Inverse() bool { return rel.inverse }

// GreaterWord is the relation's word for a > b as it is read: "stronger", or for the
// inverse name the declared word for a < b, "weaker"; "" when the relation declares none.
func (rel *Relation) GreaterWord() string {
	if rel.inverse {
		return rel.Type.Less
	}
	return rel.Type.Greater
}

// LessWord is the relation's word for a < b as it is read; "" when it declares none.
func (rel *Relation) LessWord() string {
	if rel.inverse {
		return rel.Type.Greater
	}
	return rel.Type.Less
}

// ends maps a question about a and b to the declared order: b and a when read inverted.
func (rel *Relation) ends(a, b int32) (int32, int32) {
	if rel.inverse {
		return b, a
	}
	return a, b
}

// asAsked turns a derivation in the declared order into one under the name asked for: for
// the inverse, the chain from b to a becomes a chain from a to b, each fact read from the
// other side under the inverse name (a fact the network format also accepts as written).
func (rel *Relation) asAsked(fs []network.Fact) []network.Fact {
	if !rel.inverse {
		return fs
	}
	out := make([]network.Fact, len(fs))
	for i, f := range fs {
		f.Subject, f.Object, f.Relation = f.Object, f.Subject, rel.Type.Inverse
		out[len(fs)-1-i] = f
	}
	return out
}

// New builds the reasoner for a network.
func New(n *network.Network) (*Reasoner, error) { return Update(nil, n) }

// Update builds the reasoner for n, as New does, reusing what n shares with the network
// prev was built from (prev may be nil): the entity index when n's entities have the same
// ids in the same order, and a relation's order when its facts relate the same entities
// in the same order (only their positions, kinds or notes changed). After an edit of
// one document of a large network most of the work of New is then skipped: the order of
// a relation whose facts did not change (a rename), and the index lookups of the facts
// before and after the ones that changed. Every answer is New(n)'s (TestUpdateIsNew
// judges that); prev is not changed and stays usable.
func Update(prev *Reasoner, n *network.Network) (*Reasoner, error) {
	r := &Reasoner{net: n, orders: map[string]*Relation{}}
	sameIDs := prev != nil && len(prev.ids) == len(n.Entities)
	if sameIDs {
		for i, e := range n.Entities {
			if prev.ids[i] != e.ID {
				sameIDs = false
				break
			}
		}
	}
	if sameIDs {
		// both are never written after New: shared
		r.index, r.ids = prev.index, prev.ids
	} else {
		r.index, r.ids = make(map[string]int32, len(n.Entities)), make([]string, len(n.Entities))
		for i, e := range n.Entities {
			r.index[e.ID] = int32(i)
			r.ids[i] = e.ID
		}
	}
	for _, rt := range n.Relations {
		if !rt.Transitive {
			continue
		}
		rel := &Relation{Type: rt}
		// sized first: appending tens of thousands of facts copied each list several times
		ns, ne := 0, 0
		for i := range n.Facts {
			if f := &n.Facts[i]; f.Relation == rt.ID {
				if f.Equal || rt.Symmetric {
					ne++
				} else {
					ns++
				}
			}
		}
		if ns > 0 {
			rel.Strict = make([]network.Fact, 0, ns)
		}
		if ne > 0 {
			rel.Equal = make([]network.Fact, 0, ne)
		}
		for _, f := range n.Facts {
			if f.Relation != rt.ID {
				continue
			}
			if f.Equal || rt.Symmetric {
				rel.Equal = append(rel.Equal, f)
			} else {
				rel.Strict = append(rel.Strict, f)
			}
		}
		var old *Relation
		if sameIDs {
			old = prev.orders[rt.ID]
		}
		rel.strict, rel.equal = r.edges(rel.Strict, old, false), r.edges(rel.Equal, old, true)
		if old != nil && slices.Equal(rel.strict, old.strict) && slices.Equal(rel.equal, old.equal) {
			rel.Order, rel.domain = old.Order, old.domain
		} else {
			rel.domain = make([]bool, len(r.ids))
			for _, es := range [][]Edge{rel.strict, rel.equal} {
				for _, e := range es {
					rel.domain[e.From], rel.domain[e.To] = true, true
				}
			}
			o, err := NewOrder(len(r.ids), rel.strict, rel.equal)
			if err != nil {
				return nil, fmt.Errorf("relation %s: %w", rt.ID, err)
			}
			rel.Order = o
		}
		r.orders[rt.ID] = rel
		r.names = append(r.names, rt.ID)
	}
	return r, nil
}

// edges maps facts to dense ids. The facts that old's (of the same entities) had at the
// start and at the end of the same list, between the same subject and object, take old's
// edges without looking their ids up.
func (r *Reasoner) edges(fs []network.Fact, old *Relation, equal bool) []Edge {
	if len(fs) == 0 {
		return nil
	}
	out := make([]Edge, len(fs))
	var ofs []network.Fact
	var oes []Edge
	if old != nil {
		ofs, oes = old.Strict, old.strict
		if equal {
			ofs, oes = old.Equal, old.equal
		}
	}
	same := func(i, j int) bool { return fs[i].Subject == ofs[j].Subject && fs[i].Object == ofs[j].Object }
	head := 0
	for head < len(fs) && head < len(ofs) && same(head, head) {
		out[head] = oes[head]
		head++
	}
	tail := 0
	for tail < len(fs)-head && tail < len(ofs)-head && same(len(fs)-1-tail, len(ofs)-1-tail) {
		out[len(fs)-1-tail] = oes[len(ofs)-1-tail]
		tail++
	}
	for i := head; i < len(fs)-tail; i++ {
		out[i] = Edge{From: r.index[fs[i].Subject], To: r.index[fs[i].Object]}
	}
	return out
}

// Involves reports whether the entity takes part in the relation (appears in one of its facts).
func (r *Reasoner) Involves(rel *Relation, e *network.Entity) bool { return rel.domain[r.id(e)] }

// Network is the network the reasoner was built from.
func (r *Reasoner) Network() *network.Network { return r.net }

// Relation returns the order of a transitive relation type, by id, name or inverse name.
// By its inverse name it is the order read inverted (see [Relation]).
func (r *Reasoner) Relation(name string) (*Relation, error) {
	rt, err := r.net.ResolveRelation(name)
	if err != nil {
		return nil, err
	}
	rel, ok := r.orders[rt.ID]
	if !ok {
		return nil, fmt.Errorf("relation %s is not transitive, so it has no order to reason over (transitive relations: %s)", rt.ID, strings.Join(r.names, ", "))
	}
	if isInverseName(rt, name) {
		inv := *rel
		inv.inverse = true
		return &inv, nil
	}
	return rel, nil
}

// isInverseName reports whether name is the relation's inverse name (and not its id).
func isInverseName(rt *network.RelationType, name string) bool {
	return rt.Inverse != "" && name != rt.ID && strings.EqualFold(strings.TrimSpace(name), rt.Inverse)
}

// Orders lists the transitive relations in declaration order.
func (r *Reasoner) Orders() []*Relation {
	out := make([]*Relation, len(r.names))
	for i, n := range r.names {
		out[i] = r.orders[n]
	}
	return out
}

// id returns the dense id of an entity.
func (r *Reasoner) id(e *network.Entity) int32 { return r.index[e.ID] }

// Verdict is how two entities compare under one relation.
type Verdict string

// Verdicts.
const (
	Greater      Verdict = "greater"
	Less         Verdict = "less"
	Same         Verdict = "equal"
	Incomparable Verdict = "incomparable"
)

// Comparison is the answer for one relation: a and b compared, with the derivation.
type Comparison struct {
	Relation   string         `json:"relation" yaml:"relation"`
	Verdict    Verdict        `json:"verdict" yaml:"verdict"`
	Word       string         `json:"word" yaml:"word"` // "stronger", "lower overhead", …
	Derivation []network.Fact `json:"derivation,omitempty" yaml:"derivation,omitempty"`
}

// Compare compares a and b under every transitive relation in which both take part.
func (r *Reasoner) Compare(a, b *network.Entity) []Comparison {
	var out []Comparison
	ia, ib := r.id(a), r.id(b)
	for _, name := range r.names {
		rel := r.orders[name]
		if !rel.domain[ia] || !rel.domain[ib] {
			continue
		}
		c := Comparison{Relation: name}
		switch {
		case ia == ib:
			c.Verdict, c.Word = Same, "the same"
		case rel.Order.Greater(ia, ib) && rel.Order.Greater(ib, ia):
			c.Verdict, c.Word = Incomparable, "contradictory (each is derivably greater)"
		case rel.Order.Greater(ia, ib):
			c.Verdict, c.Word = Greater, word(rel.Type.Greater, "greater")
			c.Derivation, _ = rel.derive(ia, ib)
		case rel.Order.Greater(ib, ia):
			c.Verdict, c.Word = Less, word(rel.Type.Less, "less")
			c.Derivation, _ = rel.derive(ib, ia)
		case rel.Order.Equal(ia, ib):
			c.Verdict, c.Word = Same, "equal"
			c.Derivation, _ = rel.deriveEqual(ia, ib)
		default:
			c.Verdict, c.Word = Incomparable, "incomparable"
		}
		out = append(out, c)
	}
	return out
}

func word(w, def string) string {
	if w != "" {
		return w
	}
	return def
}

// derive returns the declared facts that make a > b, in chain order.
func (rel *Relation) derive(a, b int32) ([]network.Fact, bool) {
	if !rel.Order.Greater(a, b) {
		return nil, false
	}
	steps, ok := rel.Order.Derive(a, b)
	if !ok {
		return nil, false
	}
	return rel.facts(steps), true
}

// deriveEqual returns the equal facts alone that make a = b, in chain order.
func (rel *Relation) deriveEqual(a, b int32) ([]network.Fact, bool) {
	steps, ok := rel.Order.DeriveEqual(a, b)
	if !ok {
		return nil, false
	}
	return rel.facts(steps), true
}

func (rel *Relation) facts(steps []Step) []network.Fact {
	out := make([]network.Fact, len(steps))
	for i, s := range steps {
		if s.Equal {
			f := rel.Equal[s.Index]
			if s.Reversed {
				f.Subject, f.Object = f.Object, f.Subject
			}
			out[i] = f
		} else {
			out[i] = rel.Strict[s.Index]
		}
	}
	return out
}

// Derivation is the answer to "why a op b": whether it holds and the declared facts behind it.
type Derivation struct {
	Relation string         `json:"relation" yaml:"relation"`
	Subject  string         `json:"subject" yaml:"subject"`
	Op       string         `json:"op" yaml:"op"`
	Object   string         `json:"object" yaml:"object"`
	Holds    bool           `json:"holds" yaml:"holds"`
	Kind     string         `json:"kind,omitempty" yaml:"kind,omitempty"` // declared when one fact says it, derived otherwise
	Facts    []network.Fact `json:"facts,omitempty" yaml:"facts,omitempty"`
	Instead  *Derivation    `json:"instead,omitempty" yaml:"instead,omitempty"` // when it does not hold: what does, if anything
}

// Why explains "a op b" under one relation, op being ">", "<", "=" or "→".
func (r *Reasoner) Why(rel *Relation, a *network.Entity, op string, b *network.Entity) (Derivation, error) {
	d, err := r.why(rel, a, op, b)
	if err != nil || d.Holds {
		return d, err
	}
	// Say what does hold instead, so a "no" is still an answer.
	for _, alt := range []string{">", "<", "="} {
		if alt == op || (op == "→" && alt == ">") {
			continue
		}
		if x, err := r.why(rel, a, alt, b); err == nil && x.Holds {
			d.Instead = &x
			break
		}
	}
	return d, nil
}

func (r *Reasoner) why(rel *Relation, a *network.Entity, op string, b *network.Entity) (Derivation, error) {
	d := Derivation{Relation: rel.Name(), Subject: a.ID, Op: op, Object: b.ID}
	ia, ib := rel.ends(r.id(a), r.id(b))
	switch op {
	case ">", "→", "->":
		d.Facts, d.Holds = rel.derive(ia, ib)
	case "<":
		d.Facts, d.Holds = rel.derive(ib, ia)
	case "=", "==":
		if ia == ib {
			d.Holds = true
		} else {
			// Equal facts only: inside a contradictory class a > b holds too, but it
			// is no reason for a = b.
			d.Facts, d.Holds = rel.deriveEqual(ia, ib)
		}
	default:
		return d, fmt.Errorf("unknown operator %q: use >, <, = or →", op)
	}
	d.Facts = rel.asAsked(d.Facts)
	if d.Holds {
		d.Kind = network.Derived
		if len(d.Facts) == 1 {
			d.Kind = d.Facts[0].Kind
		}
	}
	return d, nil
}

// Layer is one rank of an order: the entities with the same longest distance from a maximum.
type Layer struct {
	Rank     int      `json:"rank" yaml:"rank"`
	Entities []string `json:"entities" yaml:"entities"`
}

// Rank returns the relation's entities in layers, greatest first (as the relation is read:
// for the inverse name, the least of the declared order first); equal entities share a
// layer.
func (r *Reasoner) Rank(rel *Relation) []Layer {
	layers := rel.Order.Layers()
	if rel.inverse {
		layers = rel.Order.LayersFromBottom()
	}
	var out []Layer
	for _, l := range layers {
		var ids []string
		for _, v := range l {
			if rel.domain[v] {
				ids = append(ids, r.ids[v])
			}
		}
		if len(ids) > 0 {
			out = append(out, Layer{Rank: len(out) + 1, Entities: ids})
		}
	}
	return out
}

// Path finds the shortest chain of declared facts from a to b. With a relation it is the
// shortest chain of that relation's facts that makes a > b, or a = b when only that holds
// (read inverted for an inverse name). Without one (rel nil) it is the shortest such chain
// over every transitive relation, and, if none links them, the shortest over all facts of
// any relation followed in their direction.
func (r *Reasoner) Path(a, b *network.Entity, rel *Relation) ([]network.Fact, bool) {
	if rel != nil {
		return r.pathIn(rel, a, b)
	}
	var best []network.Fact
	for _, name := range r.names {
		if fs, ok := r.pathIn(r.orders[name], a, b); ok && (best == nil || len(fs) < len(best)) {
			best = fs
		}
	}
	if best != nil {
		return best, true
	}
	return r.anyPath(a.ID, b.ID)
}

func (r *Reasoner) pathIn(rel *Relation, a, b *network.Entity) ([]network.Fact, bool) {
	ia, ib := rel.ends(r.id(a), r.id(b))
	fs, ok := rel.derive(ia, ib)
	if !ok {
		fs, ok = rel.deriveEqual(ia, ib)
	}
	return rel.asAsked(fs), ok
}

// anyPath is a breadth-first search over every fact, each read from subject to object
// (and both ways for symmetric relations).
func (r *Reasoner) anyPath(from, to string) ([]network.Fact, bool) {
	type step struct {
		prev int32
		fact int
	}
	adj := map[string][]int{}
	for i, f := range r.net.Facts {
		adj[f.Subject] = append(adj[f.Subject], i)
		rt, _ := r.net.Relation(f.Relation)
		if f.Equal || (rt != nil && rt.Symmetric) {
			adj[f.Object] = append(adj[f.Object], -i-1)
		}
	}
	prev := map[string]step{from: {prev: -1, fact: -1}}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to && cur != from {
			break
		}
		for _, fi := range adj[cur] {
			_, next := r.fact(fi)
			if _, seen := prev[next]; seen {
				continue
			}
			prev[next] = step{fact: fi}
			queue = append(queue, next)
		}
	}
	if _, ok := prev[to]; !ok || from == to {
		return nil, false
	}
	var out []network.Fact
	for cur := to; cur != from; {
		f, _ := r.fact(prev[cur].fact)
		out = append(out, f)
		cur = f.Subject
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, true
}

// fact returns fact i read forwards (i >= 0) or backwards (-i-1), and where it leads.
func (r *Reasoner) fact(i int) (network.Fact, string) {
	if i >= 0 {
		f := r.net.Facts[i]
		return f, f.Object
	}
	f := r.net.Facts[-i-1]
	f.Subject, f.Object = f.Object, f.Subject
	return f, f.Object
}

// Derived returns every derived fact of a relation: the pairs its closure adds to the
// declared facts, each marked kind derived. Its size is the closure's; for one entity use
// [Reasoner.DerivedAbout].
func (r *Reasoner) Derived(rel *Relation) []network.Fact {
	return slices.Collect(r.AllDerived(rel))
}

// AllDerived yields the facts [Reasoner.Derived] returns, in the same order, one at a
// time: a caller that stops early pays only for what it took.
func (r *Reasoner) AllDerived(rel *Relation) iter.Seq[network.Fact] {
	return func(yield func(network.Fact) bool) {
		for a := range int32(len(r.ids)) {
			if !rel.domain[a] {
				continue
			}
			below := rel.Order.Below(a)
			if len(below) == 0 {
				continue
			}
			declared := rel.declaredBelow(a)
			for _, b := range below {
				if rel.domain[b] && !declared[b] && !yield(rel.derivedFact(r, a, b)) {
					return
				}
			}
		}
	}
}

// DerivedAbout returns the derived facts with e as subject or object, relation by relation
// in declaration order — what Derived holds about e, in the same order — computed from e's
// own neighbourhood in each order (the classes below and above it), never from the whole
// closure.
func (r *Reasoner) DerivedAbout(e *network.Entity) []network.Fact {
	var out []network.Fact
	for _, name := range r.names {
		out = append(out, r.derivedAbout(r.orders[name], r.id(e))...)
	}
	return out
}

func (r *Reasoner) derivedAbout(rel *Relation, v int32) []network.Fact {
	if !rel.domain[v] {
		return nil
	}
	above, below := rel.Order.Above(v), rel.Order.Below(v)
	var out []network.Fact
	// Derived lists facts by subject: those above v with a smaller id, then v's own,
	// then those above with a larger id. v itself (a contradictory class) is listed once,
	// among its own.
	split, _ := slices.BinarySearch(above, v)
	for _, a := range above[:split] {
		if rel.domain[a] && !rel.declares(a, v) {
			out = append(out, rel.derivedFact(r, a, v))
		}
	}
	if len(below) > 0 {
		declared := rel.declaredBelow(v)
		for _, b := range below {
			if rel.domain[b] && !declared[b] {
				out = append(out, rel.derivedFact(r, v, b))
			}
		}
	}
	for _, a := range above[split:] {
		if a != v && rel.domain[a] && !rel.declares(a, v) {
			out = append(out, rel.derivedFact(r, a, v))
		}
	}
	return out
}

func (rel *Relation) derivedFact(r *Reasoner, a, b int32) network.Fact {
	return network.Fact{Subject: r.ids[a], Relation: rel.Type.ID, Object: r.ids[b], Kind: network.Derived}
}

// declaredBelow returns the objects of a's declared strict facts, as a small set.
func (rel *Relation) declaredBelow(a int32) map[int32]bool {
	o := rel.Order
	var set map[int32]bool
	for e := o.nodeOff[a]; e < o.nodeOff[a+1]; e++ {
		if o.nodeCode[e]&codeEqual == 0 {
			if set == nil {
				set = map[int32]bool{}
			}
			set[o.nodeTo[e]] = true
		}
	}
	return set
}

// declares reports whether a > b is a declared strict fact, looking only at a's own facts.
func (rel *Relation) declares(a, b int32) bool {
	o := rel.Order
	for e := o.nodeOff[a]; e < o.nodeOff[a+1]; e++ {
		if o.nodeTo[e] == b && o.nodeCode[e]&codeEqual == 0 {
			return true
		}
	}
	return false
}

// FactsAbout returns the declared facts that name e as subject or object, in declaration
// order, from an index built on first use: one entity's facts cost what they are, not a
// scan of the network.
func (r *Reasoner) FactsAbout(e *network.Entity) []network.Fact {
	r.aboutOnce.Do(r.buildAbout)
	v := r.id(e)
	idx := r.about[r.aboutOff[v]:r.aboutOff[v+1]]
	out := make([]network.Fact, len(idx))
	for i, fi := range idx {
		out[i] = r.net.Facts[fi]
	}
	return out
}

func (r *Reasoner) buildAbout() {
	n := len(r.ids)
	off := make([]int32, n+1)
	each := func(fn func(v int32, i int)) {
		for i, f := range r.net.Facts {
			s, o := r.index[f.Subject], r.index[f.Object]
			fn(s, i)
			if o != s {
				fn(o, i)
			}
		}
	}
	each(func(v int32, _ int) { off[v+1]++ })
	for v := range n {
		off[v+1] += off[v]
	}
	about := make([]int32, off[n])
	pos := slices.Clone(off[:n])
	each(func(v int32, i int) { about[pos[v]] = int32(i); pos[v]++ })
	r.aboutOff, r.about = off, about
}

// Contradictions returns every contradiction in the network as problems that cite the
// source positions of both sides: a cycle in an order (a > b > c > a, or a = b together
// with a > b), a self fact a > a, and a fact against an antisymmetric or irreflexive
// relation. Only what a relation declares is checked: an order is strict when it is
// irreflexive or has a symbol (">" and "→" read strictly) and is not reflexive; a
// transitive relation that is neither strict nor antisymmetric is a preorder, whose cycles
// are no contradiction.
func (r *Reasoner) Contradictions() network.Problems {
	var ps network.Problems
	for _, name := range r.names {
		rel := r.orders[name]
		rt := rel.Type
		strict := rt.Irreflexive || (rt.Symbol != "" && !rt.Reflexive)
		for _, c := range rel.Order.Contradictions() {
			f := rel.Strict[c.Edge]
			e := Edge{From: r.index[f.Subject], To: r.index[f.Object]}
			if e.From == e.To {
				if strict {
					what := "irreflexive"
					if !rt.Irreflexive {
						what = "a strict order (" + rt.Symbol + ")"
					}
					ps = append(ps, network.Problem{Pos: f.Source, Code: network.CodeContradiction,
						Message: fmt.Sprintf("contradiction in %s: %s, but %s is %s: nothing relates to itself", name, factText(rt, f), name, what),
						Hint:    "remove this fact"})
				}
				continue
			}
			// Transitivity turns the cycle into b R a: against a strict order always (a R a
			// follows), against antisymmetry when the two ends are not declared equal, so
			// that b R a rather than b = a closes the cycle. The witness is a fact between
			// different equality classes whenever its class has one.
			if !strict && !(rt.Antisymmetric && !rel.Order.Equal(e.From, e.To)) {
				continue
			}
			back := rel.facts(c.Back)
			if len(c.Back) == 1 && c.Back[0].Equal {
				back[0] = rel.Equal[c.Back[0].Index] // one fact is cited as written: a = b, not b = a
			}
			msg := fmt.Sprintf("contradiction in %s: %s, but %s", name, factText(rt, f), backText(rt, f, back))
			if more := c.Facts - 1 - countStrict(back); more > 0 {
				msg += fmt.Sprintf("; %d more %s facts lie on cycles among the same %d entities", more, name, c.Nodes)
			}
			ps = append(ps, network.Problem{Pos: f.Source, Code: network.CodeContradiction, Message: msg,
				Hint: "remove or correct one of these facts"})
		}
	}
	// Non-transitive relations: antisymmetry and irreflexivity are checked pairwise.
	seen := map[[3]string]network.Fact{}
	for _, f := range r.net.Facts {
		rt, _ := r.net.Relation(f.Relation)
		if rt == nil || rt.Transitive {
			continue
		}
		if rt.Irreflexive && f.Subject == f.Object {
			ps = append(ps, network.Problem{Pos: f.Source, Code: network.CodeContradiction,
				Message: fmt.Sprintf("contradiction in %s: %s, but %s is irreflexive: nothing relates to itself", rt.ID, factText(rt, f), rt.ID),
				Hint:    "remove this fact"})
		}
		if rt.Antisymmetric && f.Subject != f.Object {
			if g, ok := seen[[3]string{f.Relation, f.Object, f.Subject}]; ok {
				ps = append(ps, network.Problem{Pos: f.Source, Code: network.CodeContradiction,
					Message: fmt.Sprintf("contradiction in %s: %s, but also %s (%s), and %s is antisymmetric",
						rt.ID, factText(rt, f), factText(rt, g), g.Source, rt.ID),
					Hint: "remove one of the two facts"})
			}
			seen[[3]string{f.Relation, f.Subject, f.Object}] = f
		}
	}
	ps.Sort()
	return ps
}

func countStrict(fs []network.Fact) int {
	n := 0
	for _, f := range fs {
		if !f.Equal {
			n++
		}
	}
	return n
}

// FactText renders a fact the way chains are written: "L-4 > L-1", "A1 → A5", "O1 = O2".
// A fact under the relation's inverse name reads with the mirrored symbol: "L-3 < L-2".
func FactText(rt *network.RelationType, f network.Fact) string { return factText(rt, f) }

// FactOp is the operator FactText puts between subject and object: the relation's symbol,
// its mirror for a fact under the inverse name, "=" for an equal fact, or "" when the
// relation has no symbol (FactText then writes the relation's name).
func FactOp(rt *network.RelationType, f network.Fact) string {
	if f.Equal {
		return "="
	}
	if isInverseName(rt, f.Relation) {
		return mirror(rt.Symbol)
	}
	return rt.Symbol
}

func mirror(op string) string {
	switch op {
	case ">":
		return "<"
	case "<":
		return ">"
	case "→":
		return "←"
	}
	return op
}

func factText(rt *network.RelationType, f network.Fact) string {
	if op := FactOp(rt, f); op != "" {
		return f.Subject + " " + op + " " + f.Object
	}
	name := rt.ID
	if isInverseName(rt, f.Relation) {
		name = rt.Inverse
	}
	return f.Subject + " " + name + " " + f.Object
}

// Long chains in a contradiction are shown by their ends: the first shownHead facts, a
// count, and the last shownTail, so one report line stays short however long the cycle.
const (
	shownHead = 5
	shownTail = 2
)

// backText renders the other side of a cycle that closes on f (a > b): the one fact
// that says b > a or b = a, "b > a (file:line:col)", or the chain it follows from,
// "b > a follows from b > c (file:line:col), c = a (file:line:col)". Positions carry
// the column because one chain line often declares every fact of the cycle.
func backText(rt *network.RelationType, f network.Fact, back []network.Fact) string {
	if len(back) == 1 {
		return "also " + factText(rt, back[0]) + " (" + back[0].Source.String() + ")"
	}
	cite := func(g network.Fact) string { return factText(rt, g) + " (" + g.Source.String() + ")" }
	var parts []string
	if len(back) <= shownHead+shownTail+1 {
		for _, g := range back {
			parts = append(parts, cite(g))
		}
	} else {
		for _, g := range back[:shownHead] {
			parts = append(parts, cite(g))
		}
		parts = append(parts, fmt.Sprintf("… %d more …", len(back)-shownHead-shownTail))
		for _, g := range back[len(back)-shownTail:] {
			parts = append(parts, cite(g))
		}
	}
	closing := network.Fact{Subject: f.Object, Relation: f.Relation, Object: f.Subject, Equal: countStrict(back) == 0}
	return factText(rt, closing) + " follows from " + strings.Join(parts, ", ")
}

// sortedIDs returns ids in the network's declaration order.
func (r *Reasoner) sortedIDs(vs []int32) []string {
	s := append([]int32(nil), vs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = r.ids[v]
	}
	return out
}

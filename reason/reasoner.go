package reason

import (
	"fmt"
	"sort"
	"strings"

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
}

// Relation is one transitive relation type with its order and the declared facts behind it.
type Relation struct {
	Type   *network.RelationType
	Order  *Order
	Strict []network.Fact // index i is the fact behind strict edge i
	Equal  []network.Fact // index i is the fact behind equal edge i
	domain []bool         // entities that appear in a fact of this relation
}

// New builds the reasoner for a network.
func New(n *network.Network) (*Reasoner, error) {
	r := &Reasoner{net: n, index: make(map[string]int32, len(n.Entities)), orders: map[string]*Relation{}}
	for i, e := range n.Entities {
		r.index[e.ID] = int32(i)
		r.ids = append(r.ids, e.ID)
	}
	for _, rt := range n.Relations {
		if !rt.Transitive {
			continue
		}
		rel := &Relation{Type: rt, domain: make([]bool, len(r.ids))}
		var strict, equal []Edge
		for _, f := range n.Facts {
			if f.Relation != rt.ID {
				continue
			}
			a, b := r.index[f.Subject], r.index[f.Object]
			rel.domain[a], rel.domain[b] = true, true
			if f.Equal || rt.Symmetric {
				equal = append(equal, Edge{From: a, To: b})
				rel.Equal = append(rel.Equal, f)
			} else {
				strict = append(strict, Edge{From: a, To: b})
				rel.Strict = append(rel.Strict, f)
			}
		}
		o, err := NewOrder(len(r.ids), strict, equal)
		if err != nil {
			return nil, fmt.Errorf("relation %s: %w", rt.ID, err)
		}
		rel.Order = o
		r.orders[rt.ID] = rel
		r.names = append(r.names, rt.ID)
	}
	return r, nil
}

// Involves reports whether the entity takes part in the relation (appears in one of its facts).
func (r *Reasoner) Involves(rel *Relation, e *network.Entity) bool { return rel.domain[r.id(e)] }

// Network is the network the reasoner was built from.
func (r *Reasoner) Network() *network.Network { return r.net }

// Relation returns the order of a transitive relation type, by id, name or inverse name.
func (r *Reasoner) Relation(name string) (*Relation, error) {
	rt, err := r.net.ResolveRelation(name)
	if err != nil {
		return nil, err
	}
	rel, ok := r.orders[rt.ID]
	if !ok {
		return nil, fmt.Errorf("relation %s is not transitive, so it has no order to reason over (transitive relations: %s)", rt.ID, strings.Join(r.names, ", "))
	}
	return rel, nil
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

func (rel *Relation) deriveEqual(a, b int32) ([]network.Fact, bool) {
	if !rel.Order.Equal(a, b) {
		return nil, false
	}
	steps, ok := rel.Order.Derive(a, b) // Derive answers a = b when the two are equal
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
	d := Derivation{Relation: rel.Type.ID, Subject: a.ID, Op: op, Object: b.ID}
	ia, ib := r.id(a), r.id(b)
	switch op {
	case ">", "→", "->":
		d.Facts, d.Holds = rel.derive(ia, ib)
	case "<":
		d.Facts, d.Holds = rel.derive(ib, ia)
	case "=", "==":
		if ia == ib {
			d.Holds = true
		} else if rel.Order.Equal(ia, ib) {
			d.Facts, d.Holds = rel.deriveEqual(ia, ib)
		}
	default:
		return d, fmt.Errorf("unknown operator %q: use >, <, = or →", op)
	}
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

// Rank returns the relation's entities in layers, greatest first; equal entities share a layer.
func (r *Reasoner) Rank(rel *Relation) []Layer {
	var out []Layer
	for _, l := range rel.Order.Layers() {
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

// Path finds the shortest chain of declared facts from a to b: first within one
// transitive relation (the one with the fewest facts), then, if none links them, over all
// facts of any relation followed in their direction.
func (r *Reasoner) Path(a, b *network.Entity, relation string) ([]network.Fact, bool) {
	ia, ib := r.id(a), r.id(b)
	var best []network.Fact
	for _, name := range r.names {
		if relation != "" && name != relation {
			continue
		}
		if fs, ok := r.orders[name].derive(ia, ib); ok && (best == nil || len(fs) < len(best)) {
			best = fs
		}
	}
	if best != nil || relation != "" {
		return best, best != nil
	}
	return r.anyPath(a.ID, b.ID)
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
// declared facts, each marked kind derived with its shortest derivation's first source.
func (r *Reasoner) Derived(rel *Relation) []network.Fact {
	declared := map[[2]string]bool{}
	for _, f := range rel.Strict {
		declared[[2]string{f.Subject, f.Object}] = true
	}
	var out []network.Fact
	for a := range r.ids {
		if !rel.domain[a] {
			continue
		}
		for _, b := range rel.Order.Below(int32(a)) {
			if !rel.domain[b] || declared[[2]string{r.ids[a], r.ids[b]}] {
				continue
			}
			out = append(out, network.Fact{Subject: r.ids[a], Relation: rel.Type.ID, Object: r.ids[b], Kind: network.Derived})
		}
	}
	return out
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
			back := rel.facts(c.Back)
			if len(c.Back) == 1 && c.Back[0].Equal {
				back[0] = rel.Equal[c.Back[0].Index] // one fact is cited as written: a = b, not b = a
			}
			if len(back) == 0 {
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
			// follows), against antisymmetry when a strict step makes it b R a rather than b = a.
			if !strict && !(rt.Antisymmetric && hasStrict(back)) {
				continue
			}
			msg := fmt.Sprintf("contradiction in %s: %s, but %s", name, factText(rt, f), backText(rt, f, back))
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

func hasStrict(fs []network.Fact) bool {
	for _, f := range fs {
		if !f.Equal {
			return true
		}
	}
	return false
}

// FactText renders a fact the way chains are written: "L-4 > L-1", "A1 → A5", "O1 = O2".
func FactText(rt *network.RelationType, f network.Fact) string { return factText(rt, f) }

func factText(rt *network.RelationType, f network.Fact) string {
	op := rt.Symbol
	if f.Equal {
		op = "="
	}
	if op == "" {
		return f.Subject + " " + rt.ID + " " + f.Object
	}
	return f.Subject + " " + op + " " + f.Object
}

// backText renders the other side of a cycle that closes on f (a > b): the one fact
// that says b > a or b = a, "b > a (file:line:col)", or the chain it follows from,
// "b > a follows from b > c (file:line:col), c = a (file:line:col)". Positions carry
// the column because one chain line often declares every fact of the cycle.
func backText(rt *network.RelationType, f network.Fact, back []network.Fact) string {
	if len(back) == 1 {
		return "also " + factText(rt, back[0]) + " (" + back[0].Source.String() + ")"
	}
	parts := make([]string, len(back))
	for i, g := range back {
		parts[i] = factText(rt, g) + " (" + g.Source.String() + ")"
	}
	closing := network.Fact{Subject: f.Object, Relation: f.Relation, Object: f.Subject, Equal: !hasStrict(back)}
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

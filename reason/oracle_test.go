package reason_test

// An independent oracle for the reasoner. Random networks are written as YAML the way a
// user writes them (facts and chains, the mirror symbol, inverse relation names, quoted
// unicode ids with operators inside, planted cycles and contradictions) and loaded through
// network.Load; the truth is computed from what the generator meant, by Floyd–Warshall over
// small matrices, sharing no code with package reason. Every answer of the Reasoner —
// Compare, Why, Rank, Path, Pareto, Contradictions, Derived, DerivedAbout, FactsAbout — is
// checked against it: verdicts, layers and fronts exactly, derivations for validity (each
// step a declared fact at the line that declared it, the steps chaining, the chain proving
// exactly the relation asked about) and for length (the fewest facts).

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

const oracleFile = "oracle.yaml"

// oRel is a relation type as the generator declares it.
type oRel struct {
	id, inverse string
	arrow       bool // symbol "→" (no equivalence) rather than ">" with "="
	order       bool // transitive order; otherwise uses (plain) or near (symmetric)
	reflexive   bool // an order declared reflexive, not irreflexive: antisymmetric but not strict
	symmetric   bool
}

// oFact is a fact as the generator means it: s R o, or s = o, in the relation's own direction.
type oFact struct {
	rel   int
	s, o  int
	equal bool
}

type oNet struct {
	ids   []string
	rels  []oRel
	facts []oFact
	lines map[oFact][]int // where each fact was written (line numbers in oracleFile)
	text  string
}

// idForms are the shapes of generated ids: plain, unicode, with spaces, and with the
// operators of chains inside (always quoted in chains).
var idForms = []string{"n%d", "节点%d", "Ωmega-%d", "ノード%d", "Ünï %d", "容器 %d", "café-%d", "a>b%d", "x=y%d", "p->q%d", "m<n%d", "s→t%d"}

func hasOp(id string) bool { return strings.ContainsAny(id, "=<>→") }

func genOracle(rng *rand.Rand) *oNet {
	g := &oNet{lines: map[oFact][]int{}}
	n := 2 + rng.IntN(oracleSize-1)
	for i := range n {
		g.ids = append(g.ids, fmt.Sprintf(idForms[rng.IntN(len(idForms))], i))
	}
	for r := range 1 + rng.IntN(3) {
		rel := oRel{id: fmt.Sprintf("r%d", r), arrow: rng.IntN(3) == 0, order: true}
		rel.reflexive = !rel.arrow && rng.IntN(3) == 0
		if rng.IntN(4) != 0 {
			rel.inverse = fmt.Sprintf("r%d-below", r)
		}
		g.rels = append(g.rels, rel)
	}
	g.rels = append(g.rels, oRel{id: "uses", inverse: "used-by"}, oRel{id: "near", symmetric: true})

	var b strings.Builder
	line := 0
	w := func(format string, args ...any) {
		fmt.Fprintf(&b, format+"\n", args...)
		line++
	}
	for _, rel := range g.rels {
		w("---")
		w("apiVersion: strata.dev/v1alpha1")
		w("kind: RelationType")
		w("metadata: {name: %s}", rel.id)
		w("spec:")
		switch {
		case rel.order && rel.arrow:
			w(`  symbol: "→"`)
			w("  properties: [transitive, irreflexive, antisymmetric]")
		case rel.order:
			w(`  symbol: ">"`)
			w(`  equivalence: "="`)
			if rel.reflexive {
				w("  properties: [transitive, reflexive, antisymmetric]")
			} else {
				w("  properties: [transitive, irreflexive, antisymmetric]")
			}
			w("  greater: above")
			w("  less: below")
		case rel.symmetric:
			w("  properties: [symmetric]")
		default:
			w("  properties: [irreflexive]")
		}
		if rel.inverse != "" {
			w("  inverse: %s", rel.inverse)
		}
	}
	w("---")
	w("apiVersion: strata.dev/v1alpha1")
	w("kind: Entities")
	w("metadata: {name: things}")
	w("spec:")
	w("  category: concept")
	w("  items:")
	for _, id := range g.ids {
		w("    - id: %s", strconv.Quote(id))
	}
	w("---")
	w("apiVersion: strata.dev/v1alpha1")
	w("kind: Facts")
	w("metadata: {name: claims}")
	w("spec:")

	// Each relation is either consistent (strict facts only from a lower rank group to a
	// higher one, equal facts inside a group) or random (cycles, self facts, a = b beside
	// a > b: contradictions).
	group := make([]int, n)
	var items, chains []func()
	for r, rel := range g.rels {
		dag := rng.IntN(2) == 0
		for v := range group {
			group[v] = rng.IntN(n/2 + 1)
		}
		hasEq := rel.order && !rel.arrow
		fact := func(s, o int, equal bool) oFact { return oFact{rel: r, s: s, o: o, equal: equal} }
		// Single facts.
		for range rng.IntN(2*n + 1) {
			s, o := rng.IntN(n), rng.IntN(n)
			equal := hasEq && rng.IntN(4) == 0
			switch {
			case !rel.order && s == o:
				continue // irreflexive uses; near gains nothing
			case dag && equal && group[s] != group[o], dag && !equal && group[s] >= group[o]:
				continue
			case !dag && s == o && !equal && rng.IntN(3) != 0:
				continue // keep self facts rare
			}
			f := fact(s, o, equal)
			g.facts = append(g.facts, f)
			inv := rel.inverse != "" && rng.IntN(2) == 0
			items = append(items, func() {
				subj, obj, name := g.ids[s], g.ids[o], rel.id
				if inv {
					subj, obj, name = obj, subj, rel.inverse
				}
				eq := ""
				if equal {
					eq = ", equal: true"
				}
				w("    - {subject: %s, relation: %s, object: %s%s}", strconv.Quote(subj), name, strconv.Quote(obj), eq)
				g.lines[f] = append(g.lines[f], line)
			})
		}
		if !rel.order {
			continue
		}
		// Chains: a path of facts in the relation's direction, written forwards, with the
		// mirror symbol, or under the inverse name.
		for range rng.IntN(3) {
			k := 2 + rng.IntN(4)
			terms := make([]int, k)
			for i := range terms {
				terms[i] = rng.IntN(n)
			}
			if dag {
				slices.SortFunc(terms, func(x, y int) int { return group[x] - group[y] })
			}
			var path []int
			var eq []bool // eq[i]: the link from path[i] to path[i+1] is "="
			for _, v := range terms {
				if len(path) > 0 {
					last := path[len(path)-1]
					e := hasEq && rng.IntN(4) == 0
					if dag {
						if group[last] == group[v] && !hasEq {
							continue
						}
						e = group[last] == group[v]
					}
					eq = append(eq, e)
				}
				path = append(path, v)
			}
			if len(path) < 2 {
				continue
			}
			var fs []oFact
			for i, e := range eq {
				f := fact(path[i], path[i+1], e)
				fs = append(fs, f)
				g.facts = append(g.facts, f)
			}
			style := rng.IntN(4) // 0 forwards, 1 mirror, 2 inverse name reversed, 3 inverse name mirrored
			if rel.inverse == "" {
				style &^= 2
			}
			if rel.arrow {
				style &^= 1
			}
			chains = append(chains, func() {
				order, ops := slices.Clone(path), make([]string, len(eq))
				strict := ">"
				if rel.arrow {
					strict = []string{"→", "->"}[rng.IntN(2)]
				}
				if style&1 == 1 {
					strict = "<"
				}
				for i, e := range eq {
					ops[i] = strict
					if e {
						ops[i] = "="
					}
				}
				if style == 1 || style == 2 {
					slices.Reverse(order)
					slices.Reverse(ops)
				}
				var t strings.Builder
				for i, v := range order {
					if i > 0 {
						t.WriteString(" " + ops[i-1] + " ")
					}
					id := g.ids[v]
					if hasOp(id) || rng.IntN(5) == 0 {
						id = `"` + id + `"`
					}
					t.WriteString(id)
				}
				name := rel.id
				if style >= 2 {
					name = rel.inverse
				}
				w("    - {relation: %s, chain: '%s'}", name, t.String())
				for _, f := range fs {
					g.lines[f] = append(g.lines[f], line)
				}
			})
		}
	}
	if len(items) > 0 {
		w("  facts:")
		for _, f := range items {
			f()
		}
	}
	if len(chains) > 0 {
		w("  chains:")
		for _, f := range chains {
			f()
		}
	}
	if len(items)+len(chains) == 0 {
		w("  facts: []")
	}
	g.text = b.String()
	return g
}

// truth is everything the oracle knows about one order relation, by brute force.
type truth struct {
	n       int
	domain  []bool
	same    [][]bool // one class: each reaches the other in zero or more steps
	greater [][]bool // a path with at least one strict fact
	eq      [][]bool // joined by equal facts alone, a != b
	gdist   [][]int  // fewest facts on such a path
	eqdist  [][]int  // fewest equal facts
	strict  map[[2]int]bool
}

const inf = 1 << 30

func floyd(n int, d [][]int) {
	for k := range n {
		for i := range n {
			for j := range n {
				if d[i][k]+d[k][j] < d[i][j] {
					d[i][j] = d[i][k] + d[k][j]
				}
			}
		}
	}
}

func matrix(n, fill int) [][]int {
	m := make([][]int, n)
	for i := range m {
		m[i] = make([]int, n)
		for j := range m[i] {
			m[i][j] = fill
		}
		m[i][i] = 0
	}
	return m
}

func newTruth(g *oNet, r int) *truth {
	n := len(g.ids)
	t := &truth{n: n, domain: make([]bool, n), strict: map[[2]int]bool{}}
	all, eq := matrix(n, inf), matrix(n, inf)
	var strict [][2]int
	for _, f := range g.facts {
		if f.rel != r {
			continue
		}
		t.domain[f.s], t.domain[f.o] = true, true
		if f.equal {
			all[f.s][f.o], all[f.o][f.s] = min(all[f.s][f.o], 1), min(all[f.o][f.s], 1)
			eq[f.s][f.o], eq[f.o][f.s] = min(eq[f.s][f.o], 1), min(eq[f.o][f.s], 1)
		} else {
			all[f.s][f.o] = min(all[f.s][f.o], 1)
			strict = append(strict, [2]int{f.s, f.o})
			t.strict[[2]int{f.s, f.o}] = true
		}
	}
	floyd(n, all)
	floyd(n, eq)
	t.gdist, t.eqdist = matrix(n, inf), eq
	for x := range n {
		t.gdist[x][x] = inf
		for y := range n {
			for _, e := range strict {
				t.gdist[x][y] = min(t.gdist[x][y], all[x][e[0]]+1+all[e[1]][y])
			}
		}
	}
	t.same, t.greater, t.eq = make([][]bool, n), make([][]bool, n), make([][]bool, n)
	for x := range n {
		t.same[x], t.greater[x], t.eq[x] = make([]bool, n), make([]bool, n), make([]bool, n)
		for y := range n {
			t.same[x][y] = all[x][y] < inf && all[y][x] < inf
			t.greater[x][y] = t.gdist[x][y] < inf
			t.eq[x][y] = x != y && eq[x][y] < inf
		}
	}
	return t
}

// view is the truth read under a name: by its inverse name a > b is b > a.
type view struct {
	*truth
	inv bool
}

func (v view) gt(a, b int) bool {
	if v.inv {
		a, b = b, a
	}
	return v.greater[a][b]
}

func (v view) gd(a, b int) int {
	if v.inv {
		a, b = b, a
	}
	return v.gdist[a][b]
}

// layers ranks the domain by longest path from a maximum of the view, classes together.
func (v view) layers(ids []string) [][]string {
	n := v.n
	layer := make([]int, n)
	for changed := true; changed; {
		changed = false
		for a := range n {
			for b := range n {
				if v.gt(a, b) && !v.same[a][b] && layer[b] < layer[a]+1 {
					layer[b], changed = layer[a]+1, true
				}
			}
		}
	}
	var out [][]string
	for l := 0; l < n; l++ {
		var row []string
		for x := range n {
			if v.domain[x] && layer[x] == l {
				row = append(row, ids[x])
			}
		}
		if row != nil {
			out = append(out, row)
		}
	}
	return out
}

// coverage counts what the oracle checked, so that a generator that stopped producing some
// case fails the test instead of passing it vacuously.
type coverage struct {
	strictChains, equalChains, inverseChains, contradictions, anyPaths, dominated, quoted int
}

type oracle struct {
	cov    *coverage
	t      *testing.T
	g      *oNet
	net    *network.Network
	r      *reason.Reasoner
	truths []*truth // by relation index; nil for relations that are no order
	index  map[string]int
	rel    map[string]int // relation id -> index
}

// The oracle's hunt is widened from the environment, for a long run by hand:
// STRATA_ORACLE_ITERS networks (default 800, 300 under -race, 200 with -short),
// STRATA_ORACLE_SIZE entities at most in each (default 11), STRATA_ORACLE_SEED another
// series of networks (default 0x0a11ce).
var (
	oracleSize  = envInt("STRATA_ORACLE_SIZE", 11)
	oracleIters = envInt("STRATA_ORACLE_ITERS", 0)
	oracleSeed  = uint64(envInt("STRATA_ORACLE_SEED", 0x0a11ce))
)

func envInt(name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 {
		panic(fmt.Sprintf("%s=%q: want a whole number of at least 2", name, v))
	}
	return n
}

func TestOracle(t *testing.T) {
	iters := 800
	switch {
	case oracleIters > 0:
		iters = oracleIters
	case testing.Short():
		iters = 200
	case raceEnabled:
		iters = 300
	}
	var cov coverage
	for iter := range iters {
		rng := rand.New(rand.NewPCG(oracleSeed, uint64(iter)))
		g := genOracle(rng)
		net, err := network.Load([]network.File{{Name: oracleFile, Data: []byte(g.text)}})
		if err != nil {
			t.Fatalf("iter %d: load:\n%v\n%s", iter, err, g.text)
		}
		r, err := reason.New(net)
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		o := &oracle{cov: &cov, t: t, g: g, net: net, r: r, index: map[string]int{}, rel: map[string]int{}}
		cov.quoted += strings.Count(g.text, `'"`)
		for i, id := range g.ids {
			o.index[id] = i
		}
		for i, rel := range g.rels {
			o.rel[rel.id] = i
			var tr *truth
			if rel.order {
				tr = newTruth(g, i)
			}
			o.truths = append(o.truths, tr)
		}
		if err := o.check(rng); err != nil {
			t.Fatalf("iter %d: %v\nnetwork:\n%s", iter, err, g.text)
		}
	}
	t.Logf("checked %+v", cov)
	for name, n := range map[string]int{"strict chains of 2+ facts": cov.strictChains, "equal chains of 2+ facts": cov.equalChains,
		"inverse-name chains of 2+ facts": cov.inverseChains, "contradictions": cov.contradictions, "paths over all facts": cov.anyPaths,
		"dominated values": cov.dominated, "chains opening with a quoted term": cov.quoted} {
		if n < iters/10 {
			t.Errorf("only %d %s checked in %d networks", n, name, iters)
		}
	}
}

func (o *oracle) entity(i int) *network.Entity {
	e, ok := o.net.Entity(o.g.ids[i])
	if !ok {
		o.t.Fatalf("entity %q not loaded", o.g.ids[i])
	}
	return e
}

func (o *oracle) check(rng *rand.Rand) error {
	g := o.g
	if len(o.net.Facts) != len(g.facts) {
		return fmt.Errorf("loaded %d facts, the generator wrote %d", len(o.net.Facts), len(g.facts))
	}
	n := len(g.ids)
	for a := range n {
		if err := o.checkEntity(a); err != nil {
			return err
		}
		for b := range n {
			if err := o.checkCompare(a, b); err != nil {
				return err
			}
			if err := o.checkWhy(a, b); err != nil {
				return err
			}
			if err := o.checkPath(a, b); err != nil {
				return err
			}
		}
	}
	if err := o.checkRank(); err != nil {
		return err
	}
	for range 4 {
		if err := o.checkPareto(rng); err != nil {
			return err
		}
	}
	return o.checkContradictions()
}

// chain checks that fs leads from a to b, each fact declared under rel (read inverted under
// inv, the relation's inverse name) at a line that declared it, and returns how many are
// strict.
func (o *oracle) chain(fs []network.Fact, a, b int, r int, inv bool) (int, error) {
	rel := o.g.rels[r]
	cur, nStrict := a, 0
	for i, f := range fs {
		s, ok1 := o.index[f.Subject]
		x, ok2 := o.index[f.Object]
		if !ok1 || !ok2 {
			return 0, fmt.Errorf("step %d %+v: unknown entity", i, f)
		}
		if s != cur {
			return 0, fmt.Errorf("step %d %s starts at %s, the chain is at %s", i, fact(f), f.Subject, o.g.ids[cur])
		}
		cur = x
		want := rel.id
		if inv {
			want = rel.inverse
		}
		if f.Relation != want {
			return 0, fmt.Errorf("step %d %s: relation %s, want %s", i, fact(f), f.Relation, want)
		}
		if f.Kind != network.Declared {
			return 0, fmt.Errorf("step %d %s: kind %s", i, fact(f), f.Kind)
		}
		if inv {
			s, x = x, s
		}
		decl := oFact{rel: r, s: s, o: x, equal: f.Equal}
		lines := o.g.lines[decl]
		if f.Equal || rel.symmetric {
			lines = append(slices.Clone(lines), o.g.lines[oFact{rel: r, s: x, o: s, equal: f.Equal}]...)
		}
		if len(lines) == 0 {
			return 0, fmt.Errorf("step %d %s is no declared fact", i, fact(f))
		}
		if f.Source.File != oracleFile || !slices.Contains(lines, f.Source.Line) {
			return 0, fmt.Errorf("step %d %s cites %s, declared at lines %v", i, fact(f), f.Source, lines)
		}
		if !f.Equal {
			nStrict++
		}
	}
	if cur != b {
		return 0, fmt.Errorf("chain ends at %s, want %s", o.g.ids[cur], o.g.ids[b])
	}
	return nStrict, nil
}

func fact(f network.Fact) string {
	op := " " + f.Relation + " "
	if f.Equal {
		op = " = "
	}
	return f.Subject + op + f.Object
}

func facts(fs []network.Fact) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = fact(f)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// proves checks fs against the question "a > b" (eq false) or "a = b" (eq true) in view v
// of relation r: a valid chain from a to b with the fewest facts, strict or equal as asked.
func (o *oracle) proves(fs []network.Fact, a, b, r int, v view, eq bool) error {
	nStrict, err := o.chain(fs, a, b, r, v.inv)
	if err != nil {
		return fmt.Errorf("%s: %v", facts(fs), err)
	}
	if eq {
		if nStrict != 0 || len(fs) != v.eqdist[a][b] {
			return fmt.Errorf("%s: %d strict facts, %d facts; want an equal-only chain of %d", facts(fs), nStrict, len(fs), v.eqdist[a][b])
		}
		if len(fs) > 1 {
			o.cov.equalChains++
		}
		return nil
	}
	if nStrict == 0 || len(fs) != v.gd(a, b) {
		return fmt.Errorf("%s: %d strict of %d facts; want a strict chain of %d", facts(fs), nStrict, len(fs), v.gd(a, b))
	}
	if len(fs) > 1 {
		o.cov.strictChains++
		if v.inv {
			o.cov.inverseChains++
		}
	}
	return nil
}

func (o *oracle) checkCompare(a, b int) error {
	x, y := o.entity(a), o.entity(b)
	cs := o.r.Compare(x, y)
	var want []string
	for r, tr := range o.truths {
		if tr == nil || !tr.domain[a] || !tr.domain[b] {
			continue
		}
		want = append(want, o.g.rels[r].id)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.Relation)
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("Compare(%s, %s) relations %v, want %v", x.ID, y.ID, got, want)
	}
	for _, c := range cs {
		r := o.rel[c.Relation]
		v := view{truth: o.truths[r]}
		var verdict reason.Verdict
		var err error
		switch {
		case a == b:
			verdict = reason.Same
		case v.gt(a, b) && v.gt(b, a):
			verdict = reason.Incomparable
		case v.gt(a, b):
			verdict, err = reason.Greater, o.proves(c.Derivation, a, b, r, v, false)
		case v.gt(b, a):
			verdict, err = reason.Less, o.proves(c.Derivation, b, a, r, v, false)
		case v.eq[a][b]:
			verdict, err = reason.Same, o.proves(c.Derivation, a, b, r, v, true)
		default:
			verdict = reason.Incomparable
		}
		if c.Verdict != verdict {
			return fmt.Errorf("Compare(%s, %s) under %s: %s, want %s", x.ID, y.ID, c.Relation, c.Verdict, verdict)
		}
		if err != nil {
			return fmt.Errorf("Compare(%s, %s) under %s (%s): %v", x.ID, y.ID, c.Relation, verdict, err)
		}
		if (verdict == reason.Incomparable || a == b) && len(c.Derivation) != 0 {
			return fmt.Errorf("Compare(%s, %s) under %s: %s with derivation %s", x.ID, y.ID, c.Relation, verdict, facts(c.Derivation))
		}
	}
	return nil
}

// views lists every order relation under every name it has.
func (o *oracle) views(fn func(r int, name string, v view) error) error {
	for r, tr := range o.truths {
		if tr == nil {
			continue
		}
		rel := o.g.rels[r]
		if err := fn(r, rel.id, view{truth: tr}); err != nil {
			return err
		}
		if rel.inverse != "" {
			if err := fn(r, rel.inverse, view{truth: tr, inv: true}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *oracle) checkWhy(a, b int) error {
	x, y := o.entity(a), o.entity(b)
	return o.views(func(r int, name string, v view) error {
		rel, err := o.r.Relation(name)
		if err != nil {
			return err
		}
		if rel.Name() != name || rel.Inverse() != v.inv {
			return fmt.Errorf("Relation(%s) = %s (inverse %v)", name, rel.Name(), rel.Inverse())
		}
		holds := func(op string) bool {
			switch op {
			case ">":
				return v.gt(a, b)
			case "<":
				return v.gt(b, a)
			}
			return a == b || v.eq[a][b]
		}
		for _, op := range []string{">", "<", "="} {
			d, err := o.r.Why(rel, x, op, y)
			if err != nil {
				return err
			}
			q := fmt.Sprintf("Why(%s %s %s) under %s", x.ID, op, y.ID, name)
			if d.Relation != name || d.Subject != x.ID || d.Object != y.ID || d.Op != op {
				return fmt.Errorf("%s answers %s %s %s under %s", q, d.Subject, d.Op, d.Object, d.Relation)
			}
			if d.Holds != holds(op) {
				return fmt.Errorf("%s holds = %v, want %v", q, d.Holds, holds(op))
			}
			if !d.Holds {
				if len(d.Facts) != 0 {
					return fmt.Errorf("%s does not hold but cites %s", q, facts(d.Facts))
				}
				var instead string
				for _, alt := range []string{">", "<", "="} {
					if alt != op && holds(alt) {
						instead = alt
						break
					}
				}
				switch {
				case instead == "" && d.Instead != nil:
					return fmt.Errorf("%s: instead %s %s %s, but nothing holds", q, d.Instead.Subject, d.Instead.Op, d.Instead.Object)
				case instead != "" && (d.Instead == nil || d.Instead.Op != instead || !d.Instead.Holds):
					return fmt.Errorf("%s: instead %+v, want %s", q, d.Instead, instead)
				}
				continue
			}
			switch {
			case op == ">":
				err = o.proves(d.Facts, a, b, r, v, false)
			case op == "<":
				err = o.proves(d.Facts, b, a, r, v, false)
			case a == b:
				if len(d.Facts) != 0 {
					err = fmt.Errorf("%s for one entity", facts(d.Facts))
				}
			default:
				err = o.proves(d.Facts, a, b, r, v, true)
			}
			if err != nil {
				return fmt.Errorf("%s: %v", q, err)
			}
			kind := network.Derived
			if len(d.Facts) == 1 {
				kind = network.Declared
			}
			if d.Kind != kind {
				return fmt.Errorf("%s: kind %s, want %s", q, d.Kind, kind)
			}
		}
		return nil
	})
}

func (o *oracle) checkPath(a, b int) error {
	x, y := o.entity(a), o.entity(b)
	// Within one order, under each of its names.
	best := inf
	err := o.views(func(r int, name string, v view) error {
		rel, err := o.r.Relation(name)
		if err != nil {
			return err
		}
		fs, ok := o.r.Path(x, y, rel)
		q := fmt.Sprintf("Path(%s, %s) under %s", x.ID, y.ID, name)
		switch {
		case v.gt(a, b):
			if !v.inv {
				best = min(best, v.gd(a, b))
			}
			if !ok {
				return fmt.Errorf("%s: none", q)
			}
			err = o.proves(fs, a, b, r, v, false)
		case v.eq[a][b]:
			if !v.inv {
				best = min(best, v.eqdist[a][b])
			}
			if !ok {
				return fmt.Errorf("%s: none", q)
			}
			err = o.proves(fs, a, b, r, v, true)
		case ok:
			err = fmt.Errorf("found %s, but nothing links them", facts(fs))
		}
		if err != nil {
			return fmt.Errorf("%s: %v", q, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Over every relation: the shortest within an order, else the shortest over all facts.
	fs, ok := o.r.Path(x, y, nil)
	q := fmt.Sprintf("Path(%s, %s)", x.ID, y.ID)
	want := best
	if want == inf && a != b {
		want = o.anyDist(a, b)
		if want < inf {
			o.cov.anyPaths++
		}
	}
	switch {
	case want == inf && ok:
		return fmt.Errorf("%s = %s, want none", q, facts(fs))
	case want == inf:
		return nil
	case !ok || len(fs) != want:
		return fmt.Errorf("%s = %s (%v), want %d facts", q, facts(fs), ok, want)
	}
	cur := a
	for i, f := range fs {
		r := o.rel[f.Relation]
		s, t := o.index[f.Subject], o.index[f.Object]
		if s != cur {
			return fmt.Errorf("%s = %s: step %d does not chain", q, facts(fs), i)
		}
		cur = t
		decl := o.g.lines[oFact{rel: r, s: s, o: t, equal: f.Equal}]
		if f.Equal || o.g.rels[r].symmetric {
			decl = append(slices.Clone(decl), o.g.lines[oFact{rel: r, s: t, o: s, equal: f.Equal}]...)
		}
		if !slices.Contains(decl, f.Source.Line) {
			return fmt.Errorf("%s = %s: step %d is not declared at %s", q, facts(fs), i, f.Source)
		}
	}
	if cur != b {
		return fmt.Errorf("%s = %s ends elsewhere", q, facts(fs))
	}
	return nil
}

// anyDist is the fewest facts from a to b over every fact, each followed from subject to
// object, and both ways when equal or symmetric: a breadth-first search.
func (o *oracle) anyDist(a, b int) int {
	n := len(o.g.ids)
	adj := make([][]int, n)
	for _, f := range o.g.facts {
		adj[f.s] = append(adj[f.s], f.o)
		if f.equal || o.g.rels[f.rel].symmetric {
			adj[f.o] = append(adj[f.o], f.s)
		}
	}
	dist := make([]int, n)
	for i := range dist {
		dist[i] = inf
	}
	dist[a] = 0
	queue := []int{a}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range adj[v] {
			if dist[w] == inf {
				dist[w] = dist[v] + 1
				queue = append(queue, w)
			}
		}
	}
	return dist[b]
}

func (o *oracle) checkRank() error {
	return o.views(func(r int, name string, v view) error {
		rel, err := o.r.Relation(name)
		if err != nil {
			return err
		}
		var got [][]string
		for i, l := range o.r.Rank(rel) {
			if l.Rank != i+1 {
				return fmt.Errorf("Rank(%s): layer %d numbered %d", name, i, l.Rank)
			}
			got = append(got, l.Entities)
		}
		if want := v.layers(o.g.ids); !slices.EqualFunc(got, want, slices.Equal) {
			return fmt.Errorf("Rank(%s) = %v, want %v", name, got, want)
		}
		return nil
	})
}

type criterion struct {
	name string
	v    view
	max  bool
}

// dominates is Pareto dominance by the definition: y is as good as x on every criterion
// (better, or declared equal) and better on one; a pair derivably ordered both ways is
// contradictory, so neither beats the other on that criterion.
func dominates(cs []criterion, y, x int) (better, equal []string, ok bool) {
	for _, c := range cs {
		b, w := c.v.gt(y, x), c.v.gt(x, y)
		if !c.max {
			b, w = w, b
		}
		switch {
		case b && !w:
			better = append(better, c.name)
		case !b && !w && c.v.eq[x][y]:
			equal = append(equal, c.name)
		default:
			return nil, nil, false
		}
	}
	return better, equal, len(better) > 0
}

func (o *oracle) checkPareto(rng *rand.Rand) error {
	var cs []criterion
	var args []string
	var names []string
	_ = o.views(func(r int, name string, v view) error {
		names = append(names, name)
		return nil
	})
	for range 1 + rng.IntN(3) {
		name := names[rng.IntN(len(names))]
		rel, _ := o.r.Relation(name)
		c := criterion{name: name, v: view{truth: o.truths[o.rel[rel.Type.ID]], inv: rel.Inverse()}, max: rng.IntN(2) == 0}
		dir := ":min"
		if c.max {
			dir = ":max"
		}
		cs, args = append(cs, c), append(args, name+dir)
	}
	crit, err := o.r.ParseCriteria(args)
	if err != nil {
		return fmt.Errorf("ParseCriteria(%v): %v", args, err)
	}
	n := len(o.g.ids)
	var cands []int
	var among []*network.Entity
	if rng.IntN(2) == 0 {
		for range rng.IntN(n + 3) {
			v := rng.IntN(n)
			among = append(among, o.entity(v)) // repeats allowed: each is a candidate once
			if !slices.Contains(cands, v) {
				cands = append(cands, v)
			}
		}
	}
	if len(among) == 0 { // no list: every entity that takes part in every criterion
		for v := range n {
			in := true
			for _, c := range cs {
				in = in && c.v.domain[v]
			}
			if in {
				cands = append(cands, v)
			}
		}
	}
	f := o.r.Pareto(crit, among)
	q := fmt.Sprintf("Pareto(%v, among %d)", args, len(among))
	if !slices.Equal(f.Criteria, args) {
		return fmt.Errorf("%s: criteria %v", q, f.Criteria)
	}
	var front []string
	var dominated []int
	for _, x := range cands {
		beaten := false
		for _, y := range cands {
			if _, _, ok := dominates(cs, y, x); ok && y != x {
				beaten = true
				break
			}
		}
		if beaten {
			dominated = append(dominated, x)
		} else {
			front = append(front, o.g.ids[x])
		}
	}
	if !slices.Equal(f.Front, front) && !(len(front) == 0 && len(f.Front) == 0) {
		return fmt.Errorf("%s: front %v, want %v", q, f.Front, front)
	}
	o.cov.dominated += len(dominated)
	if len(f.Dominated) != len(dominated) {
		return fmt.Errorf("%s: %d dominated, want %d", q, len(f.Dominated), len(dominated))
	}
	for i, d := range f.Dominated {
		x := dominated[i]
		y, ok := o.index[d.By]
		if d.Entity != o.g.ids[x] || !ok || !slices.Contains(cands, y) {
			return fmt.Errorf("%s: dominated %+v, want %s by a candidate", q, d, o.g.ids[x])
		}
		better, equal, ok := dominates(cs, y, x)
		if !ok || !slices.Equal(d.Better, better) || !slices.Equal(d.Equal, equal) {
			return fmt.Errorf("%s: %s dominated by %s on %v, equal on %v; the truth: %v on %v, equal on %v",
				q, d.Entity, d.By, d.Better, d.Equal, ok, better, equal)
		}
	}
	return nil
}

// checkEntity: the facts and derived facts about one entity, and (once) the whole closure.
func (o *oracle) checkEntity(a int) error {
	e := o.entity(a)
	var want []network.Fact
	for _, f := range o.net.Facts {
		if f.Subject == e.ID || f.Object == e.ID {
			want = append(want, f)
		}
	}
	if got := o.r.FactsAbout(e); !slices.Equal(got, want) {
		return fmt.Errorf("FactsAbout(%s) = %s, want %s", e.ID, facts(got), facts(want))
	}
	var derived []string
	for r, tr := range o.truths {
		if tr == nil || !tr.domain[a] {
			continue
		}
		for x := range tr.n {
			for y := range tr.n {
				if (x == a || y == a) && tr.greater[x][y] && tr.domain[x] && tr.domain[y] && !tr.strict[[2]int{x, y}] {
					derived = append(derived, o.g.ids[x]+" "+o.g.rels[r].id+" "+o.g.ids[y])
				}
			}
		}
	}
	var got []string
	for _, f := range o.r.DerivedAbout(e) {
		if f.Kind != network.Derived || f.Equal {
			return fmt.Errorf("DerivedAbout(%s): %+v", e.ID, f)
		}
		got = append(got, fact(f))
	}
	if !slices.Equal(got, derived) {
		return fmt.Errorf("DerivedAbout(%s) = %v, want %v", e.ID, got, derived)
	}
	if a != 0 {
		return nil
	}
	for _, rel := range o.r.Orders() {
		tr := o.truths[o.rel[rel.Type.ID]]
		var want, got []string
		for x := range tr.n {
			for y := range tr.n {
				if tr.greater[x][y] && tr.domain[x] && tr.domain[y] && !tr.strict[[2]int{x, y}] {
					want = append(want, o.g.ids[x]+" "+rel.Type.ID+" "+o.g.ids[y])
				}
			}
		}
		for _, f := range o.r.Derived(rel) {
			got = append(got, fact(f))
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("Derived(%s) = %v, want %v", rel.Type.ID, got, want)
		}
	}
	return nil
}

// checkContradictions: one problem per cycle of each order: every self fact of a strict
// order, and one per class that holds a strict fact between two of its members — for an
// order declared reflexive (antisymmetric, not strict) only between members not declared
// equal — each at a strict fact on the cycle, each short.
func (o *oracle) checkContradictions() error {
	ps := o.r.Contradictions()
	want := 0
	onCycle := map[int]bool{} // lines of strict facts on cycles
	for r, tr := range o.truths {
		if tr == nil {
			continue
		}
		strict := !o.g.rels[r].reflexive
		classes := map[int]bool{}
		for _, f := range o.g.facts {
			if f.rel != r || f.equal || !tr.same[f.s][f.o] {
				continue
			}
			for _, l := range o.g.lines[f] {
				onCycle[l] = true
			}
			if f.s == f.o {
				if strict {
					want++
				}
				continue
			}
			if !strict && tr.eq[f.s][f.o] {
				continue
			}
			rep := f.s
			for v := range tr.n {
				if tr.same[v][f.s] {
					rep = v
					break
				}
			}
			classes[rep] = true
		}
		want += len(classes)
	}
	if len(ps) != want {
		return fmt.Errorf("%d contradictions, want %d:\n%v", len(ps), want, ps)
	}
	o.cov.contradictions += want
	for _, p := range ps {
		if p.Code != network.CodeContradiction || p.Pos.File != oracleFile || !onCycle[p.Pos.Line] {
			return fmt.Errorf("contradiction %s is not at a strict fact on a cycle", p)
		}
		if len(p.String()) > 1500 {
			return fmt.Errorf("contradiction report of %d bytes: %s", len(p.String()), p)
		}
	}
	return nil
}

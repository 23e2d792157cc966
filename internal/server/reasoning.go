package server

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// The routes over the network and the reasoner: the network document, entity search and
// lookup, compare, why, rank, path, Pareto fronts and contradictions.

// staticJSON holds the answers that never change while the server runs.
type staticJSON struct {
	openapi body
}

// networkDoc is the network as declared, for the explorer. The facts the reasoner derives
// are another answer (DerivedFacts): they number as many as the orders' closure, which a
// network of thousands of entities makes millions, and the network document is encoded at
// start and at every reload.
type networkDoc struct {
	*network.Network
	Orders []string `json:"orders"` // transitive relations: what rank, compare and pareto use
}

// MaxDerived is the most derived facts /api/v1/network/derived answers with.
const MaxDerived = 20_000

// DerivedFacts is the answer of /api/v1/network/derived: the facts the reasoner derives,
// relation by relation, at most MaxDerived of them.
type DerivedFacts struct {
	Derived []network.Fact `json:"derived"`
	// Truncated is true when the orders' closure derives more facts than the answer holds:
	// /api/v1/entities/{name} gives every derived fact about one entity.
	Truncated bool `json:"truncated"`
}

func (st *staticJSON) build(s *Server) error {
	var err error
	st.openapi, err = s.newBlob(openAPIDocument(s))
	return err
}

// networkBlob is the network document of a state, encoded once with its ETag; the
// facts and chains of the files that did not change since the last document are c's.
func networkBlob(n *network.Network, rsn *reason.Reasoner, paths pathNames, c *listCache) (body, error) {
	doc := networkDoc{Network: n, Orders: []string{}}
	for _, rel := range rsn.Orders() {
		doc.Orders = append(doc.Orders, rel.Type.ID)
	}
	a, err := c.networkJSON(doc)
	if err != nil {
		return body{}, err
	}
	return finalBlob(a, paths), nil
}

// derivedBlob is the derived facts of a state, encoded with its ETag: the first MaxDerived
// of them, which is all the work it does however large the closure.
func derivedBlob(rsn *reason.Reasoner, paths pathNames) (body, error) {
	doc := DerivedFacts{Derived: []network.Fact{}}
	for _, rel := range rsn.Orders() {
		for f := range rsn.AllDerived(rel) {
			if len(doc.Derived) == MaxDerived {
				doc.Truncated = true
				break
			}
			doc.Derived = append(doc.Derived, f)
		}
		if doc.Truncated {
			break
		}
	}
	return blob(doc, paths)
}

func (s *Server) openapi(*request) result   { return result{data: s.static.openapi} }
func (s *Server) network(r *request) result { return lazy(r.st.network) }

// networkDerived answers the derived facts, encoded on the first request for this network
// and kept with it.
func (s *Server) networkDerived(r *request) result { return lazy(r.st.derived) }

// EntitySummary is an entity in a search answer.
type EntitySummary struct {
	ID        string       `json:"id"`
	Category  string       `json:"category"`
	Names     network.Text `json:"names"`
	Aliases   []string     `json:"aliases,omitempty"`
	Dimension string       `json:"dimension,omitempty"`
	Match     string       `json:"match,omitempty"` // what the query matched: id, en, zh or alias
}

// EntityList is the answer of an entity search.
type EntityList struct {
	Total    int             `json:"total"`
	Entities []EntitySummary `json:"entities"`
}

// entities lists the entities, or searches them: exact matches of id, English or Chinese
// name or alias first, then prefixes, then substrings, each in declaration order.
func (s *Server) entities(r *request) result {
	q := r.URL.Query()
	query := strings.ToLower(strings.TrimSpace(q.Get("q")))
	category, dimension := q.Get("category"), q.Get("dimension")
	if category != "" && !slices.Contains(network.Categories(), category) {
		return result{err: badRequest("unknown category %q: use one of %s", category, strings.Join(network.Categories(), ", "))}
	}
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return result{err: badRequest("limit must be a number from 1 to 10000, not %q", v)}
		}
		limit = n
	}
	type hit struct {
		e     EntitySummary
		score int
	}
	var hits []hit
	for _, e := range r.st.net.Entities {
		if (category != "" && e.Category != category) || (dimension != "" && !strings.EqualFold(e.Dimension, dimension)) {
			continue
		}
		score, match := 0, ""
		if query != "" {
			score, match = matchEntity(e, query)
			if score < 0 {
				continue
			}
		}
		hits = append(hits, hit{EntitySummary{e.ID, e.Category, e.Names, e.Aliases, e.Dimension, match}, score})
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].score < hits[b].score })
	out := EntityList{Total: len(hits), Entities: []EntitySummary{}}
	for i, h := range hits {
		if i == limit {
			break
		}
		out.Entities = append(out.Entities, h.e)
	}
	return result{data: out}
}

// matchEntity scores a lower-cased query against an entity: 0 exact, 1 prefix,
// 2 substring, -1 no match.
func matchEntity(e *network.Entity, q string) (int, string) {
	best, what := -1, ""
	try := func(s, kind string) {
		s = strings.ToLower(s)
		score := -1
		switch {
		case s == "":
		case s == q:
			score = 0
		case strings.HasPrefix(s, q):
			score = 1
		case strings.Contains(s, q):
			score = 2
		}
		if score >= 0 && (best < 0 || score < best) {
			best, what = score, kind
		}
	}
	try(e.ID, "id")
	try(e.Names.En, "en")
	try(e.Names.Zh, "zh")
	for _, a := range e.Aliases {
		try(a, "alias")
	}
	return best, what
}

// EntityAnswer is an entity with every fact about it, declared and derived.
type EntityAnswer struct {
	Entity  *network.Entity `json:"entity"`
	Facts   []network.Fact  `json:"facts"`
	Derived []network.Fact  `json:"derived"`
}

func (s *Server) entity(r *request) result {
	e, err := r.st.net.Resolve(r.PathValue("name"))
	if err != nil {
		return result{err: err}
	}
	a := EntityAnswer{Entity: e, Facts: r.st.rsn.FactsAbout(e), Derived: r.st.rsn.DerivedAbout(e)}
	if a.Facts == nil {
		a.Facts = []network.Fact{}
	}
	if a.Derived == nil {
		a.Derived = []network.Fact{}
	}
	return result{data: a}
}

// CompareAnswer is A compared with B under every order that relates them.
type CompareAnswer struct {
	A           string              `json:"a"`
	B           string              `json:"b"`
	Comparisons []reason.Comparison `json:"comparisons"`
}

func (s *Server) compare(r *request) result {
	es, err := s.entityParams(r, "a", "b")
	if err != nil {
		return result{err: err}
	}
	a := CompareAnswer{A: es[0].ID, B: es[1].ID}
	s.reasonStep(r.Context(), "compare", func() { a.Comparisons = r.st.rsn.Compare(es[0], es[1]) })
	if a.Comparisons == nil {
		a.Comparisons = []reason.Comparison{}
	}
	return result{data: a}
}

// WhyAnswer explains "A op B" under one relation or every order relating A and B.
type WhyAnswer struct {
	Holds       bool                `json:"holds"`
	Derivations []reason.Derivation `json:"derivations"`
}

func (s *Server) why(r *request) result {
	args, err := need(r, "a", "op", "b")
	if err != nil {
		return result{err: err}
	}
	op := args[1]
	switch op {
	case ">", "<", "=", "→", "->", "==":
	default:
		return result{err: badRequest("unknown operator %q: use >, <, = or → (URL-encode > as %%3E and < as %%3C)", op)}
	}
	es, err := r.st.resolve(args[0], args[2])
	if err != nil {
		return result{err: err}
	}
	relation := r.URL.Query().Get("relation")
	var rels []*reason.Relation
	if relation != "" {
		rel, err := r.st.rsn.Relation(relation)
		if err != nil {
			return result{err: asInput(err)}
		}
		rels = append(rels, rel)
	} else {
		rels = r.st.rsn.Orders()
	}
	a := WhyAnswer{Derivations: []reason.Derivation{}}
	s.reasonStep(r.Context(), "why", func() {
		for _, rel := range rels {
			if relation == "" && (!r.st.rsn.Involves(rel, es[0]) || !r.st.rsn.Involves(rel, es[1])) {
				continue
			}
			d, e := r.st.rsn.Why(rel, es[0], op, es[1])
			if e != nil {
				err = e
				return
			}
			if relation != "" || d.Holds {
				a.Derivations = append(a.Derivations, d)
			}
			a.Holds = a.Holds || d.Holds
		}
	})
	if err != nil {
		return result{err: badRequest("%v", err)}
	}
	return result{data: a}
}

// RankAnswer is an order's values in layers, greatest first.
type RankAnswer struct {
	Relation string         `json:"relation"`
	Greatest string         `json:"greatest"`
	Layers   []reason.Layer `json:"layers"`
}

func (s *Server) rank(r *request) result {
	rel, err := r.st.rsn.Relation(r.PathValue("relation"))
	if err != nil {
		return result{err: asInput(err)}
	}
	a := RankAnswer{Relation: rel.Name(), Greatest: rel.GreaterWord()}
	if a.Greatest == "" {
		a.Greatest = "greatest"
	}
	s.reasonStep(r.Context(), "rank", func() { a.Layers = r.st.rsn.Rank(rel) })
	if a.Layers == nil {
		a.Layers = []reason.Layer{}
	}
	return result{data: a}
}

// PathAnswer is the shortest chain of declared facts from one entity to another.
type PathAnswer struct {
	From  string         `json:"from"`
	To    string         `json:"to"`
	Found bool           `json:"found"`
	Facts []network.Fact `json:"facts"`
}

func (s *Server) path(r *request) result {
	es, err := s.entityParams(r, "from", "to")
	if err != nil {
		return result{err: err}
	}
	var relation *reason.Relation // nil: every relation
	if v := r.URL.Query().Get("relation"); v != "" {
		if relation, err = r.st.rsn.Relation(v); err != nil {
			return result{err: asInput(err)}
		}
	}
	a := PathAnswer{From: es[0].ID, To: es[1].ID}
	s.reasonStep(r.Context(), "path", func() { a.Facts, a.Found = r.st.rsn.Path(es[0], es[1], relation) })
	if a.Facts == nil {
		a.Facts = []network.Fact{}
	}
	return result{data: a}
}

func (s *Server) pareto(r *request) result {
	crit := list(r, "criteria")
	if len(crit) == 0 {
		return result{err: badRequest("missing query parameter criteria, e.g. criteria=isolation-strength:max,overhead:min")}
	}
	cs, err := r.st.rsn.ParseCriteria(crit)
	if err != nil {
		return result{err: asInput(err)}
	}
	among, err := r.st.resolve(list(r, "among")...)
	if err != nil {
		return result{err: err}
	}
	seen := map[*network.Entity]bool{}
	among = slices.DeleteFunc(among, func(e *network.Entity) bool { // two names of one entity count once
		dup := seen[e]
		seen[e] = true
		return dup
	})
	var f reason.Front
	s.reasonStep(r.Context(), "pareto", func() { f = r.st.rsn.Pareto(cs, among) })
	return result{data: f}
}

// ContradictionList is the answer of GET /api/v1/contradictions.
type ContradictionList struct {
	Contradictions network.Problems `json:"contradictions"`
}

func (s *Server) contradictions(r *request) result {
	var ps network.Problems
	s.reasonStep(r.Context(), "contradictions", func() { ps = r.st.rsn.Contradictions() })
	if ps == nil {
		ps = network.Problems{}
	}
	return result{data: ContradictionList{ps}}
}

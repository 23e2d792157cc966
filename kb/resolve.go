package kb

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/strata-dev/strata/network"
)

// Resolution across documents: every row becomes an entity (a new one, or one the base
// network or an earlier document already has), every cell that names entities, every
// chain term and formula operand is resolved by id, name or alias in either language.

// entity is an entity as the knowledge base knows it.
type entity struct {
	id       string
	category string
	names    network.Text
	aliases  []string
	attrs    []attrDecl
	dim      *dimDecl
	pos      network.Pos
	doc      *docOut         // the document that declares it; nil for the base's
	base     *network.Entity // set when the base network has it
	created  string          // why it was created, when a reference named it first
	row      *rowDecl        // the row that declared it
	out      *entityOut      // its declaration in doc's output
	// touched: a later row or a label changed it after its row declared it (then a
	// reread cannot make it again from its row alone, see Reader.renameRows)
	touched bool
}

func (e *entity) keys() []string {
	out := []string{e.id}
	if e.names.En != "" {
		out = append(out, e.names.En)
	}
	if e.names.Zh != "" {
		out = append(out, e.names.Zh)
	}
	return append(out, e.aliases...)
}

func (e *entity) hasKey(k string) bool {
	lk := strings.ToLower(strings.TrimSpace(k))
	for _, x := range e.keys() {
		if strings.ToLower(x) == lk {
			return true
		}
	}
	return false
}

// entityOut is one entity entry a document writes: a declaration, or a merge into an
// entity declared before (by the base network or an earlier document).
type entityOut struct {
	e       *entity
	merge   bool
	pos     network.Pos
	names   network.Text
	aliases []string
	attrs   []attrDecl
	rels    []relOut
}

type relOut struct {
	relation string
	objects  []*entity
	pos      network.Pos
}

func (o *entityOut) addRel(relation string, obj *entity, pos network.Pos) {
	for i := range o.rels {
		if o.rels[i].relation == relation {
			for _, x := range o.rels[i].objects {
				if x == obj {
					return
				}
			}
			o.rels[i].objects = append(o.rels[i].objects, obj)
			return
		}
	}
	o.rels = append(o.rels, relOut{relation: relation, objects: []*entity{obj}, pos: pos})
}

func (o *entityOut) addAlias(a string) {
	a = strings.TrimSpace(a)
	if a == "" || o.e.hasKey(a) {
		return
	}
	for _, x := range o.aliases {
		if strings.EqualFold(x, a) {
			return
		}
	}
	o.aliases = append(o.aliases, a)
}

// docOut is what one document contributes to the network.
type docOut struct {
	src      *parsedDoc
	rels     []*network.RelationType // made with --new-relations
	relPos   []network.Pos
	dims     []*dimOut
	entities []*entityOut // declarations of created entities and merges, in order
	chains   []chainOut
	formulas []formulaOut
	problems network.Problems
	read     []Note // what resolution made of the document (new entities and the like)
	skipped  []Note
}

func (o *docOut) note(line int, format string, args ...any) {
	o.read = append(o.read, Note{Pos: network.Pos{File: o.src.name, Line: line}, What: fmt.Sprintf(format, args...)})
}

type dimOut struct {
	d      *dimDecl
	values []*entityOut
}

type chainOut struct {
	relation string
	ops      []string
	terms    []*entity
	termPos  []network.Pos
	pos      network.Pos
	text     string
}

type formulaOut struct {
	result   *entity
	resPos   network.Pos
	op       string
	operands []*entity
	opPos    []network.Pos
	pos      network.Pos
	text     string
}

func (o *docOut) problem(pos network.Pos, code, hint, format string, args ...any) {
	o.problems = append(o.problems, network.Problem{Pos: pos, Code: code, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// relRef is what a relation label names: a relation type, read the other way round when
// the label is its inverse name.
type relRef struct {
	r       *network.RelationType
	inverse bool
}

// resolver holds the names of one read.
type resolver struct {
	base    *baseIndex
	opts    Options
	byKey   map[string][]*entity
	byID    map[string]*entity
	wrapped map[*network.Entity]*entity
	rels    map[string]relRef // norm(name) → relation
	relKeys []string          // the names as written, for did-you-mean
	newRels map[string]*network.RelationType
	dims    map[string]*dimDecl // dimension ids declared by the documents
	baseDim map[*dimDecl]*network.Dimension
	// suggestions given; each costs a pass over every name
	suggestions int
	// what run did: where each document stood before its chains, the suggestions
	// given before any chain, and whether resolving chains changed what is known
	afterRows            []rowsDone
	suggestionsAfterRows int
	inChains             bool
	chainsChanged        bool
	frozen               bool // see mutate
	// looked holds every lower-cased name that resolving looked up beyond an exact id
	// (lookup, a row keyed by a name, a label beside an id): a reread that renames a row
	// may not add or drop any of them (see Reader.renameRows).
	looked map[string]bool
}

// baseIndex is the base network's names, built once per base.
type baseIndex struct {
	n     *network.Network
	byKey map[string][]*network.Entity
}

func newBaseIndex(n *network.Network) *baseIndex {
	bi := &baseIndex{n: n, byKey: map[string][]*network.Entity{}}
	if n == nil {
		return bi
	}
	for _, e := range n.Entities {
		seen := map[string]bool{}
		for _, k := range append([]string{e.ID, e.Names.En, e.Names.Zh}, e.Aliases...) {
			lk := strings.ToLower(strings.TrimSpace(k))
			if lk == "" || seen[lk] {
				continue
			}
			seen[lk] = true
			bi.byKey[lk] = append(bi.byKey[lk], e)
		}
	}
	return bi
}

// newResolver is a resolver of names against base, sized for rows table rows.
func newResolver(base *baseIndex, opts Options, rows int) *resolver {
	r := &resolver{base: base, opts: opts, byKey: make(map[string][]*entity, 3*rows), byID: make(map[string]*entity, rows),
		wrapped: map[*network.Entity]*entity{}, rels: map[string]relRef{}, newRels: map[string]*network.RelationType{},
		dims: map[string]*dimDecl{}, baseDim: map[*dimDecl]*network.Dimension{}, looked: map[string]bool{}}
	if n := base.n; n != nil {
		for _, rt := range n.Relations {
			r.addRelName(rt.ID, rt, false)
			r.addRelName(rt.Names.En, rt, false)
			r.addRelName(rt.Names.Zh, rt, false)
			r.addRelName(rt.Inverse, rt, true)
		}
		for id, words := range vocab().Relations {
			if rt, ok := n.Relation(id); ok {
				for _, w := range words {
					r.addRelName(w, rt, false)
				}
			}
		}
	}
	return r
}

func (r *resolver) addRelName(name string, rt *network.RelationType, inverse bool) {
	k := norm(name)
	if k == "" {
		return
	}
	if _, ok := r.rels[k]; ok {
		return
	}
	r.rels[k] = relRef{rt, inverse}
	r.relKeys = append(r.relKeys, name)
}

// wrap is the entity of a base network entity, made on first use.
func (r *resolver) wrap(be *network.Entity) *entity {
	if e, ok := r.wrapped[be]; ok {
		return e
	}
	e := &entity{id: be.ID, category: be.Category, names: be.Names, aliases: append([]string{}, be.Aliases...), base: be, pos: be.Source}
	r.wrapped[be] = e
	return e
}

func (r *resolver) index(e *entity) {
	if _, ok := r.byID[e.id]; !ok {
		r.byID[e.id] = e
	}
	for _, k := range e.keys() {
		r.indexKey(k, e)
	}
}

func (r *resolver) indexKey(k string, e *entity) {
	lk := strings.ToLower(strings.TrimSpace(k))
	if lk == "" {
		return
	}
	for _, x := range r.byKey[lk] {
		if x == e {
			return
		}
	}
	r.byKey[lk] = append(r.byKey[lk], e)
}

// lookup returns the entities a name denotes exactly: an id (case-sensitive) first, then
// ids, names and aliases without case, the knowledge base's and the base network's.
func (r *resolver) lookup(name string) []*entity {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil
	}
	if e, ok := r.byID[name]; ok {
		return []*entity{e}
	}
	if r.base.n != nil {
		if be, ok := r.base.n.Entity(name); ok {
			return []*entity{r.wrap(be)}
		}
	}
	lk := strings.ToLower(name)
	r.looked[lk] = true
	out := append([]*entity{}, r.byKey[lk]...)
	for _, be := range r.base.byKey[lk] {
		e := r.wrap(be)
		dup := false
		for _, x := range out {
			dup = dup || x == e
		}
		if !dup {
			out = append(out, e)
		}
	}
	return out
}

// one picks the entity among candidates: the only one, or the only one not excluded.
func one(cands []*entity, exclude func(*entity) bool) (*entity, []*entity) {
	var keep []*entity
	for _, c := range cands {
		if exclude == nil || !exclude(c) {
			keep = append(keep, c)
		}
	}
	if len(keep) == 1 {
		return keep[0], nil
	}
	return nil, keep
}

var parenthetical = regexp.MustCompile(`^(.*?)\s*[(（]([^()（）]*)[)）]$`)

// term resolves a chain term, formula operand or cell part. Besides an exact id, name
// or alias it reads the seed's ways of writing a value with its label: "A1 technical",
// "A1技术架构", "T4Wasm化" (an id, then a label), "横坐标(O1)" (a label, then the id in
// parentheses), "X=2(边缘编排)" and "O1横向(OTLP)" (an id or an id and label, then a
// note in parentheses). It returns the entity and the label written beside the id.
func (r *resolver) term(t string, exclude func(*entity) bool) (*entity, string, []*entity) {
	t = strings.TrimSpace(t)
	if e, amb := one(r.lookup(t), exclude); e != nil || len(amb) > 1 {
		return e, "", amb
	}
	if m := parenthetical.FindStringSubmatch(t); m != nil {
		outer, inner := strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
		if outer != "" {
			if e, _ := one(r.lookup(outer), exclude); e != nil {
				return e, inner, nil // X=2(边缘编排): the parenthesis is a note
			}
			if e, label := r.idThenLabel(outer, exclude); e != nil {
				return e, label, nil // O1横向(OTLP): an id and label, then a note
			}
			if e, _ := one(r.lookup(inner), exclude); e != nil {
				return e, outer, nil // 横坐标(O1): a label, then the id
			}
		}
	}
	if e, label := r.idThenLabel(t, exclude); e != nil {
		return e, label, nil
	}
	return nil, "", nil
}

// idThenLabel reads "A1 technical" and "T4Wasm化": an id of letters and digits, then a
// label of two or more characters (or one Chinese character), with or without a space.
func (r *resolver) idThenLabel(t string, exclude func(*entity) bool) (*entity, string) {
	for i, c := range t {
		if i == 0 || i > 16 {
			continue
		}
		head, tail := t[:i], strings.TrimSpace(t[i:])
		prev, _ := utf8.DecodeLastRuneInString(head)
		// the id ends where a digit meets a non-digit, or at a space
		if !(unicode.IsDigit(prev) && !unicode.IsDigit(c)) && !unicode.IsSpace(c) {
			continue
		}
		head = strings.TrimSpace(head)
		if !idLike.MatchString(head) || tail == "" {
			continue
		}
		if utf8.RuneCountInString(tail) < 2 && !isZh(tail) {
			continue
		}
		if e, _ := one(r.lookup(head), exclude); e != nil {
			return e, tail
		}
	}
	return nil, ""
}

// suggest is the nearest name to s, for an unknown one; after a hundred of them the
// pass over every name is skipped.
func (r *resolver) suggest(s string) string {
	r.suggestions++
	if r.suggestions > 100 {
		return ""
	}
	var names []string
	for k, es := range r.byKey {
		if len(es) > 0 {
			names = append(names, es[0].id)
			if k != strings.ToLower(es[0].id) {
				names = append(names, k)
			}
		}
	}
	for k := range r.base.byKey {
		names = append(names, k)
	}
	sort.Strings(names)
	return network.Suggest(s, names)
}

func didYouMean(s string) string {
	if s == "" {
		return ""
	}
	return "did you mean " + s + "?"
}

// relation resolves a chain's relation from its label, or, without one, from the caption
// before its block or its section's heading.
func (r *resolver) relation(o *docOut, c *chainDecl) (relRef, bool) {
	if c.label != "" {
		if rr, ok := r.rels[norm(c.label)]; ok {
			return rr, true
		}
		if rt, ok := r.newRels[norm(c.label)]; ok {
			return relRef{r: rt}, true
		}
		if r.opts.NewRelations {
			if !r.mutate() {
				return relRef{}, false
			}
			rt := newRelation(c.label, c.chain)
			r.newRels[norm(c.label)] = rt
			o.rels = append(o.rels, rt)
			o.relPos = append(o.relPos, c.labelPos)
			return relRef{r: rt}, true
		}
		hint := didYouMean(network.Suggest(c.label, r.relKeys))
		if c.prose {
			// prose says "Note: a > b" too; a chain block does not
			o.skipped = append(o.skipped, Note{Pos: c.labelPos, What: fmt.Sprintf("prose %q: %q names no relation type %s", clip(c.line, 60), c.label, hint)})
			return relRef{}, false
		}
		if hint != "" {
			hint += "; "
		}
		o.problem(c.labelPos, CodeRelation, hint+"or run with --new-relations to declare it",
			"unknown relation %q: the label before the colon names no relation type", c.label)
		return relRef{}, false
	}
	for _, ctx := range []string{c.caption, c.heading} {
		if rr, ok := r.relationIn(ctx); ok {
			return rr, true
		}
	}
	o.problem(c.pos, network.CodeChain, "write the relation before the chain: RELATION: "+clip(c.text, 30),
		"chain without a relation: no label, and neither the caption %q nor the heading %q names a relation type", c.caption, c.heading)
	return relRef{}, false
}

// relationIn finds the one relation whose name a caption or heading contains: the
// longest name found; two relations with names of that length make it ambiguous.
func (r *resolver) relationIn(s string) (relRef, bool) {
	if s == "" {
		return relRef{}, false
	}
	low := " " + strings.ToLower(s) + " "
	best, bestLen, amb := relRef{}, 0, false
	for _, name := range r.relKeys {
		ln := strings.ToLower(strings.TrimSpace(name))
		if utf8.RuneCountInString(ln) < 2 {
			continue
		}
		found := false
		if isZh(ln) {
			found = strings.Contains(low, ln)
		} else {
			found = wordIn(low, ln)
		}
		if !found {
			continue
		}
		rr := r.rels[norm(name)]
		switch n := utf8.RuneCountInString(ln); {
		case n > bestLen:
			best, bestLen, amb = rr, n, false
		case n == bestLen && rr.r != best.r:
			amb = true
		}
	}
	return best, bestLen > 0 && !amb
}

// wordIn: w occurs in s as whole words.
func wordIn(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before, _ := utf8.DecodeLastRuneInString(s[:j])
		after, _ := utf8.DecodeRuneInString(s[j+len(w):])
		if !unicode.IsLetter(before) && !unicode.IsDigit(before) && !unicode.IsLetter(after) && !unicode.IsDigit(after) {
			return true
		}
		i = j + 1
	}
}

// newRelation declares a relation type for an unknown chain label (--new-relations): an
// order written with ">" or a flow written with "→", with "=" when the chain uses it.
func newRelation(label string, c network.Chain) *network.RelationType {
	rt := &network.RelationType{ID: relationID(label), Transitive: true, Irreflexive: true, Antisymmetric: true}
	setText(&rt.Names, label)
	for _, op := range c.Ops {
		switch op {
		case "→":
			rt.Symbol = "→"
		case ">", "<":
			rt.Symbol = ">"
		case "=":
			rt.Equivalence = "="
		}
	}
	if rt.Symbol == "" {
		rt.Symbol = ">"
	}
	if rt.Symbol == "→" {
		rt.Equivalence = ""
	}
	return rt
}

func relationID(label string) string {
	if isZh(label) {
		return slug(label)
	}
	return strings.ToLower(slug(label))
}

// splitParts splits a cell into the names it holds: on 、 , ， ; ； and + outside
// parentheses. Each part is tried whole before it is split again on "/".
func splitParts(s string, seps string) []cellPart {
	var out []cellPart
	depth, start := 0, 0
	for i, c := range s {
		switch {
		case c == '(' || c == '（':
			depth++
		case c == ')' || c == '）':
			depth = max(0, depth-1)
		case depth == 0 && strings.ContainsRune(seps, c):
			out = append(out, cellPart{strings.TrimSpace(s[start:i]), start + leadingSpace(s[start:i])})
			start = i + utf8.RuneLen(c)
		}
	}
	out = append(out, cellPart{strings.TrimSpace(s[start:]), start + leadingSpace(s[start:])})
	keep := out[:0]
	for _, p := range out {
		if p.text != "" {
			keep = append(keep, p)
		}
	}
	return keep
}

type cellPart struct {
	text string
	off  int
}

func leadingSpace(s string) int { return len(s) - len(strings.TrimLeft(s, " \t")) }

var axisPoint = regexp.MustCompile(`^([A-Za-z])\s*=\s*([0-9]+)$`)

// attrValue renders an attribute for comparisons.
func attrValue(a attrDecl) string {
	if a.isNum {
		return strconv.FormatInt(a.num, 10)
	}
	return a.text.En + "\x00" + a.text.Zh
}

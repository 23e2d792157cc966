package network

import (
	"bytes"
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Decls is what one document declares, given as values instead of YAML, each thing with
// its position: an importer that knows where everything it read came from (package kb,
// reading Markdown) hands its documents to [LoadDecls] this way rather than writing YAML
// for [Load] to parse again. Decls are read as the YAML documents declaring the same
// would be, in this order: a Dimension document per dimension, one Entities document,
// one Facts document. LoadDecls does not modify them, so they can be loaded again.
type Decls struct {
	Dimensions []DeclDimension
	Entities   []DeclEntity
	Chains     []DeclChain
	Facts      []DeclFact
	Formulas   []DeclFormula
}

// DeclDimension is a Dimension document: the dimension (its Values are those of Values
// that are new entities) and the category of its values.
type DeclDimension struct {
	Dimension Dimension
	Category  string
	Values    []DeclEntity
}

// DeclEntity is an entity as an item of a Dimension or Entities document.
type DeclEntity struct {
	Entity    Entity // its Category is ignored for a dimension's value
	Merge     bool
	Relations []DeclRelation
}

// DeclRelation is one object of an entity's relations: relation: [object].
type DeclRelation struct {
	Relation    string
	RelationPos Pos
	Object      string
	ObjectPos   Pos
}

// DeclChain is a chain of a Facts document. Text is read as a chain value is; TermPos,
// when it has one position per term of Text, places the terms (and so the facts),
// otherwise every term is at Source.
type DeclChain struct {
	Relation    string
	RelationPos Pos
	Text        string
	Source      Pos
	TermPos     []Pos
}

// DeclFact is a fact of a Facts document (kind declared).
type DeclFact struct {
	Subject, Relation, Object          string
	SubjectPos, RelationPos, ObjectPos Pos
	Equal                              bool
}

// DeclFormula is a formula of a Facts document. ResultPos and OperandPos place its
// result and operands (OperandPos only when it has one position per operand); otherwise
// they are at Source.
type DeclFormula struct {
	Text       string
	Source     Pos
	ResultPos  Pos
	OperandPos []Pos
}

// LoadDecls is [LoadContext] of the files, then of decls, each as the documents it
// stands for.
func LoadDecls(ctx context.Context, files []File, decls []*Decls, opts ...Options) (*Network, error) {
	return new(Loader).LoadDecls(ctx, files, decls, opts...)
}

// A Loader is [LoadDecls] that keeps what its last load built, for a load of the same
// files and declarations after some of them changed (a knowledge base edited while it is
// served). When every declaration is the last load's (the same *Decls) or declares the
// same dimensions and entities, and the last load and this one find no problem, only the
// chains, facts and formulas of the declarations that changed are resolved: the
// entities, dimensions and relation types, and the facts of everything else, are the
// last network's. The networks share their entities, dimensions and relation types,
// which a Network never changes after it is loaded. A changed declaration may also
// rename the values of its dimensions (their names, aliases and attributes: the same ids,
// relations and positions) when no declaration merges into them, the new and old names
// hold no chain operator, and every term of the last load was resolved by its id: then
// only those entities are made again (BenchmarkReloadKBRow in package kb). A Loader is
// safe for concurrent use.
type Loader struct {
	mu   sync.Mutex
	last *lastLoad
}

type lastLoad struct {
	files    []File
	opts     Options
	decls    []*Decls
	n        *Network
	relFacts int
	segments []segment
	merged   map[string]bool // ids a declaration merged into (builder.merged)
	byName   bool            // a term was resolved by a name (builder.byName)
	quick    bool            // how n was loaded (for tests)
	renamed  int             // entities made again by the quick load (for tests)
}

// segment is where the chains, facts and formulas of one Facts document went.
type segment struct {
	owner    int // the index of its Decls; -1 for a file's
	from, to position
}

type position struct{ facts, chains, formulas int }

func (b *builder) mark() position {
	return position{len(b.n.Facts), len(b.n.Chains), len(b.n.Formulas)}
}

// LoadDecls is [LoadDecls], reusing what the last load built where it can.
func (l *Loader) LoadDecls(ctx context.Context, files []File, decls []*Decls, opts ...Options) (*Network, error) {
	o := mergeOptions(opts)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last != nil {
		n, ok, err := l.again(ctx, files, decls, o)
		if err != nil || ok {
			return n, err
		}
	}
	l.last = nil
	entities := 0
	for _, d := range decls {
		entities += len(d.Entities)
		for _, dd := range d.Dimensions {
			entities += len(dd.Values)
		}
	}
	b := newBuilderFor(entities)
	b.merged = map[string]bool{}
	if err := b.read(ctx, files, o); err != nil {
		return nil, err
	}
	b.owners = make([]int, len(b.pendingFacts), len(b.pendingFacts)+len(decls))
	for i := range b.owners {
		b.owners[i] = -1
	}
	for i, d := range decls {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		b.decls(d)
		for len(b.owners) < len(b.pendingFacts) {
			b.owners = append(b.owners, i)
		}
	}
	n, err := b.finish(ctx)
	if err == nil {
		l.last = &lastLoad{files: slices.Clone(files), opts: o, decls: slices.Clone(decls), n: n, relFacts: b.relFacts, segments: b.segments,
			merged: b.merged, byName: b.byName}
	}
	return n, err
}

// again is the load when only the chains, facts and formulas of some declarations changed
// since the last load, and neither load finds a problem; false otherwise.
func (l *Loader) again(ctx context.Context, files []File, decls []*Decls, o Options) (*Network, bool, error) {
	last := l.last
	if len(files) != len(last.files) || len(decls) != len(last.decls) ||
		!slices.Equal(o.ExtraKinds, last.opts.ExtraKinds) || o.Limits != last.opts.Limits {
		return nil, false, nil
	}
	for i, f := range files {
		if g := last.files[i]; f.Name != g.Name || !bytes.Equal(f.Data, g.Data) {
			return nil, false, nil
		}
	}
	changed := make([]bool, len(decls))
	var renamed map[string]*Entity // the dimensions' values made again
	for i, d := range decls {
		old := last.decls[i]
		if d == old {
			continue
		}
		if !reflect.DeepEqual(d.Entities, old.Entities) {
			return nil, false, nil
		}
		if !reflect.DeepEqual(d.Dimensions, old.Dimensions) {
			if last.byName {
				return nil, false, nil
			}
			var ok bool
			if renamed, ok = renames(renamed, d.Dimensions, old.Dimensions, last.merged); !ok {
				return nil, false, nil
			}
		}
		changed[i] = true
	}
	// A network like the last one, of its entities, dimensions and relation types, the
	// index of names shared (it depends on the entities only) unless values were renamed.
	prev := last.n
	b := newBuilder()
	n := b.n
	n.Entities, n.Dimensions, n.Relations = prev.Entities, prev.Dimensions, prev.Relations
	n.byID, n.dims, n.rels, n.relAlias = prev.byID, prev.dims, prev.rels, prev.relAlias
	if len(renamed) == 0 {
		names := prev.nameIndex()
		n.nameOnce.Do(func() { n.byName, n.nameWords = names, prev.nameWords })
	} else {
		n.Entities = slices.Clone(prev.Entities)
		for k, e := range n.Entities {
			if r, ok := renamed[e.ID]; ok {
				n.Entities[k] = r
			}
		}
		n.byID = maps.Clone(prev.byID)
		for id, r := range renamed {
			n.byID[id] = r
		}
	}
	n.Facts = make([]Fact, 0, len(prev.Facts)+64)
	if len(prev.Chains) > 0 {
		n.Chains = make([]ChainDecl, 0, len(prev.Chains)+16)
	}
	n.Facts = append(n.Facts, prev.Facts[:last.relFacts]...)
	var segs []segment
	copySeg := func(s segment) {
		from := b.mark()
		n.Facts = append(n.Facts, prev.Facts[s.from.facts:s.to.facts]...)
		n.Chains = append(n.Chains, prev.Chains[s.from.chains:s.to.chains]...)
		n.Formulas = append(n.Formulas, prev.Formulas[s.from.formulas:s.to.formulas]...)
		segs = append(segs, segment{owner: s.owner, from: from, to: b.mark()})
	}
	j := 0 // the next of the last load's segments
	for j < len(last.segments) && last.segments[j].owner < 0 {
		copySeg(last.segments[j])
		j++
	}
	for i, d := range decls {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		var old *segment
		if j < len(last.segments) && last.segments[j].owner == i {
			old = &last.segments[j]
			j++
		}
		if !changed[i] {
			if old != nil {
				copySeg(*old)
			}
			continue
		}
		before := len(b.pendingFacts)
		b.decls(&Decls{Chains: d.Chains, Facts: d.Facts, Formulas: d.Formulas})
		if len(b.pendingFacts) == before {
			continue
		}
		from := b.mark()
		if err := b.resolveFacts(ctx, b.pendingFacts[before]); err != nil {
			return nil, false, err
		}
		if b.r.Len() > 0 {
			return nil, false, nil // the load from scratch says every problem
		}
		segs = append(segs, segment{owner: i, from: from, to: b.mark()})
	}
	// As a load from scratch leaves them when nothing declares any (see growFacts).
	if len(n.Facts) == 0 {
		n.Facts = nil
	}
	if len(n.Chains) == 0 {
		n.Chains = nil
	}
	l.last = &lastLoad{files: last.files, opts: last.opts, decls: slices.Clone(decls), n: n, relFacts: last.relFacts, segments: segs,
		merged: last.merged, byName: last.byName || b.byName, quick: true, renamed: len(renamed)}
	return n, true, nil
}

// renames adds to renamed the entities of dimension values that changed from old to
// now in what a load from scratch would build again alone — names, aliases,
// attributes — each as that load builds it (builder.addValue), and is false when they
// changed otherwise: the dimensions themselves, their values' ids, relations, positions
// or merges, a value another declaration merges into, or a name, old or new, with a
// chain operator in it (which the chains' parse looks for, see refuseSplit).
func renames(renamed map[string]*Entity, now, old []DeclDimension, merged map[string]bool) (map[string]*Entity, bool) {
	if len(now) != len(old) {
		return nil, false
	}
	for k := range now {
		a, b := &now[k], &old[k]
		if a.Category != b.Category || len(a.Values) != len(b.Values) || !reflect.DeepEqual(a.Dimension, b.Dimension) {
			return nil, false
		}
		for j := range a.Values {
			v, w := &a.Values[j], &b.Values[j]
			if reflect.DeepEqual(v, w) {
				continue
			}
			if v.Merge || w.Merge || v.Entity.ID != w.Entity.ID || v.Entity.Source != w.Entity.Source || merged[v.Entity.ID] ||
				!reflect.DeepEqual(v.Relations, w.Relations) || splitName(&v.Entity) || splitName(&w.Entity) {
				return nil, false
			}
			e := v.Entity // as addValue and addEntity make it
			e.Category = a.Category
			e.Dimension = a.Dimension.ID
			if renamed == nil {
				renamed = map[string]*Entity{}
			}
			if _, dup := renamed[e.ID]; dup {
				return nil, false
			}
			renamed[e.ID] = &e
		}
	}
	return renamed, true
}

// splitName reports whether a name of e holds what splitNames looks for.
func splitName(e *Entity) bool {
	for _, k := range append([]string{e.Names.En, e.Names.Zh}, e.Aliases...) {
		k = strings.ToLower(k)
		if strings.ContainsAny(k, "=<>→+×*") || strings.Contains(k, " x") {
			return true
		}
	}
	return false
}

func (b *builder) decls(d *Decls) {
	for _, dd := range d.Dimensions {
		dim := dd.Dimension // a copy: the builder fills its values
		dim.Values = nil
		dim.Aliases = slices.Clone(dim.Aliases)
		if b.duplicateDimension(&dim) {
			continue
		}
		for _, v := range dd.Values {
			ed := v.decl()
			ed.e.Category = dd.Category
			b.addValue(&dim, ed)
		}
		b.addDimension(&dim)
	}
	for _, e := range d.Entities {
		b.addEntity(e.decl())
	}
	if len(d.Chains) == 0 && len(d.Facts) == 0 && len(d.Formulas) == 0 {
		return
	}
	var fd factsDecl
	fd.chains = make([]chainDecl, len(d.Chains))
	for i, c := range d.Chains {
		fd.chains[i] = chainDecl{relation: c.Relation, relPos: c.RelationPos, chain: scalar{text: c.Text, pos: c.Source}, termPos: c.TermPos}
	}
	fd.facts = make([]factDecl, len(d.Facts))
	for i, f := range d.Facts {
		fd.facts[i] = factDecl{subject: f.Subject, relation: f.Relation, object: f.Object, sp: f.SubjectPos, rp: f.RelationPos, op: f.ObjectPos, equal: f.Equal, kind: Declared}
	}
	for _, f := range d.Formulas {
		rp := f.ResultPos
		fd.formulas = append(fd.formulas, formulaDecl{scalar: scalar{text: f.Text, pos: f.Source}, resPos: &rp, opPos: f.OperandPos})
	}
	b.pendingFacts = append(b.pendingFacts, fd)
}

// decl is the builder's entity declaration of e. Its lists are e's: the builder changes
// an entity's lists only as copies (addEntity), so Decls can be loaded again.
func (e DeclEntity) decl() entityDecl {
	ed := entityDecl{e: e.Entity, merge: e.Merge}
	if len(e.Relations) > 0 {
		ed.relations = make([]relDecl, len(e.Relations))
		for i, r := range e.Relations {
			ed.relations[i] = relDecl{relation: r.Relation, relPos: r.RelationPos, object: r.Object, objPos: r.ObjectPos}
		}
	}
	return ed
}

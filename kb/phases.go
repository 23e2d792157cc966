package kb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-dev/strata/network"
)

// run resolves every document's declarations against the base network and each other,
// in three passes: the rows of every table (so that a name used before its row is
// known), then the cells that name entities, then chains and formulas.
func (r *resolver) run(ctx context.Context, docs []*parsedDoc) ([]*docOut, error) {
	r.afterRows = make([]rowsDone, len(docs))
	outs := make([]*docOut, len(docs))
	rowOut := map[*rowDecl]*entityOut{}
	for i, d := range docs {
		o := &docOut{src: d}
		outs[i] = o
		for _, dd := range d.dims {
			do := r.dimension(o, dd)
			for _, row := range dd.rows {
				rowOut[row] = r.row(o, do, dd, row)
			}
		}
	}
	for i, o := range outs {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for _, dd := range o.src.dims {
			for _, row := range dd.rows {
				r.refs(o, row, rowOut[row])
			}
		}
	}
	r.suggestionsAfterRows = r.suggestions
	r.inChains = true
	for i, o := range outs {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.afterRows[i] = rowsDone{problems: len(o.problems), skipped: len(o.skipped), read: len(o.read), entities: len(o.entities)}
		before := r.suggestions
		r.chains(o)
		r.afterRows[i].suggestions = r.suggestions - before
	}
	return outs, nil
}

// rowsDone is where a document's output stood once its tables were resolved, before its
// chains and formulas, and how many did-you-mean hints its chains and formulas asked for.
type rowsDone struct {
	problems, skipped, read, entities int
	suggestions                       int
}

// chains resolves a document's chains and formulas.
func (r *resolver) chains(o *docOut) {
	o.chains = slices.Grow(o.chains, len(o.src.chains))
	for _, c := range o.src.chains {
		r.chain(o, c)
	}
	for _, f := range o.src.formulas {
		r.formula(o, f)
	}
}

// mutate is called before resolving a chain or formula changes what the resolver knows
// (a label becomes a name or alias, a formula defines a concept, a label declares a
// relation type): it notes that chains changed it, and says whether to go on. A frozen
// resolver, which resolves the chains of changed documents against the names of the last
// read (see [Reader.again]), changes nothing.
func (r *resolver) mutate() bool {
	if r.inChains {
		r.chainsChanged = true
	}
	return !r.frozen
}

// dimension matches a table's dimension to the base network's (by name) or to one an
// earlier document declared (by id), and otherwise declares it.
func (r *resolver) dimension(o *docOut, dd *dimDecl) *dimOut {
	if n := r.base.n; n != nil {
		for _, name := range []string{dd.names.En, dd.names.Zh} {
			if name == "" {
				continue
			}
			if bd, ok := n.Dimension(name); ok {
				r.baseDim[dd] = bd
				return nil
			}
		}
		if bd, ok := n.Dimension(dd.id); ok && dd.names == (network.Text{}) {
			r.baseDim[dd] = bd
			return nil
		}
	}
	if prev, ok := r.dims[dd.id]; ok {
		if prev.names != dd.names && dd.names != (network.Text{}) && prev.names != (network.Text{}) {
			o.problem(dd.pos, CodeConflict, "give one of the sections another number or name",
				"dimension %s is defined differently here (%s) and at %s (%s)", dd.id, dd.names, prev.pos, prev.names)
		}
		return nil // its rows extend the earlier one's values where they are new entities
	}
	r.dims[dd.id] = dd
	do := &dimOut{d: dd}
	o.dims = append(o.dims, do)
	return do
}

// row makes the entity a table row declares, or finds the one it describes again.
func (r *resolver) row(o *docOut, do *dimOut, dd *dimDecl, row *rowDecl) *entityOut {
	e := r.findRow(row)
	if e == nil {
		e = &entity{id: row.key, category: dd.category, names: row.names, pos: row.pos, doc: o, row: row}
		if !row.keyIsID {
			e.id = r.freeID(slug(row.key))
		}
		out := &entityOut{e: e, pos: row.pos, names: row.names, attrs: row.attrs}
		e.out = out
		for _, a := range row.aliases {
			out.addAlias(a)
		}
		e.aliases = append(e.aliases, out.aliases...)
		if do != nil {
			e.dim = dd
			do.values = append(do.values, out)
		} else {
			if bd, ok := r.baseDim[dd]; ok {
				o.note(row.pos.Line, "%s is not a value of the base network's dimension %s: declared as an entity", row.key, bd.ID)
			}
			o.entities = append(o.entities, out)
		}
		r.index(e)
		return out
	}
	out := &entityOut{e: e, merge: true, pos: row.pos}
	e.touched = true
	if e.base == nil && e.row != nil {
		r.conflicts(o, e, row)
	}
	for _, lang := range []struct{ row, have *string }{{&row.names.En, &e.names.En}, {&row.names.Zh, &e.names.Zh}} {
		if *lang.row == "" || strings.EqualFold(*lang.row, *lang.have) {
			continue
		}
		if *lang.have == "" || e.base != nil {
			// A base entity's name in the knowledge base's words; an earlier row's
			// different name was reported as a conflict above.
			if e.base != nil {
				setText(&out.names, *lang.row)
			}
			if *lang.have == "" {
				*lang.have = *lang.row
				if e.out != nil {
					setText(&e.out.names, *lang.row)
				}
			}
			r.indexKey(*lang.row, e)
		}
	}
	if row.key != e.id {
		out.addAlias(row.key)
	}
	for _, a := range row.aliases {
		out.addAlias(a)
	}
	for _, a := range out.aliases {
		r.indexKey(a, e)
	}
	e.aliases = append(e.aliases, out.aliases...)
	have := map[string]bool{}
	if e.base != nil {
		for _, a := range e.base.Attributes {
			have[a.Name+"\x00"+baseAttrValue(a)] = true
			if a.Type == network.TypeText {
				have["\x00"+a.Text.En] = a.Text.En != ""
				have["\x00"+a.Text.Zh] = a.Text.Zh != ""
			}
		}
	} else if e.out != nil {
		for _, a := range e.out.attrs {
			have[a.name+"\x00"+attrValue(a)] = true
		}
	}
	for _, a := range row.attrs {
		if a.rel {
			continue // the relations say it; the entity's own declaration keeps its words
		}
		if have[a.name+"\x00"+attrValue(a)] || !a.isNum && (have["\x00"+a.text.En] && a.text.En != "" || have["\x00"+a.text.Zh] && a.text.Zh != "") {
			continue
		}
		out.attrs = append(out.attrs, a)
	}
	o.entities = append(o.entities, out)
	return out
}

func baseAttrValue(a network.Attribute) string {
	switch a.Type {
	case network.TypeInt:
		return fmt.Sprint(a.Int)
	case network.TypeText:
		return a.Text.En + "\x00" + a.Text.Zh
	}
	return fmt.Sprint(a.Value())
}

// taken reports whether an id is declared, in the knowledge base or the base network.
func (r *resolver) taken(id string) bool {
	if _, ok := r.byID[id]; ok {
		return true
	}
	if r.base.n != nil {
		if _, ok := r.base.n.Entity(id); ok {
			return true
		}
	}
	return false
}

// freeID is id, or id-2, id-3… when it is taken.
func (r *resolver) freeID(id string) string {
	if !r.taken(id) {
		return id
	}
	for i := 2; ; i++ {
		if c := fmt.Sprintf("%s-%d", id, i); !r.taken(c) {
			return c
		}
	}
}

// findRow finds the entity a row describes again: an id declared by an earlier row, or
// an entity of the base network with that id or alias; a row keyed by a name, an earlier
// row's entity or a base entity of that name.
func (r *resolver) findRow(row *rowDecl) *entity {
	if row.keyIsID {
		if e, ok := r.byID[row.key]; ok && e.row != nil {
			return e
		}
	} else {
		r.looked[strings.ToLower(row.key)] = true
		for _, e := range r.byKey[strings.ToLower(row.key)] {
			if e.row != nil {
				return e
			}
		}
	}
	if r.base.n == nil {
		return nil
	}
	if be, ok := r.base.n.Entity(row.key); ok {
		return r.wrap(be)
	}
	if bes := r.base.byKey[strings.ToLower(row.key)]; len(bes) == 1 {
		return r.wrap(bes[0])
	}
	return nil
}

// conflicts reports where a row says otherwise than the row that declared its entity.
func (r *resolver) conflicts(o *docOut, e *entity, row *rowDecl) {
	prev := e.row
	var diffs []string
	if row.names.En != "" && prev.names.En != "" && row.names.En != prev.names.En {
		diffs = append(diffs, fmt.Sprintf("name %q there, %q here", prev.names.En, row.names.En))
	}
	if row.names.Zh != "" && prev.names.Zh != "" && row.names.Zh != prev.names.Zh {
		diffs = append(diffs, fmt.Sprintf("name %q there, %q here", prev.names.Zh, row.names.Zh))
	}
	if row.dim != nil && prev.dim != nil && row.dim.id != prev.dim.id {
		diffs = append(diffs, fmt.Sprintf("in dimension %s there, %s here", prev.dim.id, row.dim.id))
	}
	for _, a := range row.attrs {
		for _, b := range prev.attrs {
			if a.name == b.name && attrValue(a) != attrValue(b) {
				// a name column is an attribute too: say its difference once
				if d := fmt.Sprintf("%s %q there, %q here", a.name, b.String(), a.String()); !slices.Contains(diffs, d) {
					diffs = append(diffs, d)
				}
			}
		}
	}
	if len(diffs) > 0 {
		o.problem(row.pos, CodeConflict, "make the two definitions agree, or give one of them another id",
			"%s is defined differently here and at %s: %s", e.id, prev.pos, strings.Join(diffs, "; "))
	}
}

// refs resolves the cells of a row that name other entities; a name the knowledge base
// and the base network do not know declares a new entity of the column's category.
func (r *resolver) refs(o *docOut, row *rowDecl, out *entityOut) {
	if out == nil {
		return
	}
	self := out.e
	exclude := func(x *entity) bool {
		// a value is not represented by a value of its own dimension (T5's "Wasm" is not T4)
		if x == self {
			return true
		}
		if x.category != network.CategoryValue || self.category != network.CategoryValue {
			return false
		}
		return sameDimension(x, self)
	}
	for _, ref := range row.refs {
		// the whole cell first: "K8s 1.30 + Wasm" may be one technology's name
		// (of the column's category: "K3s + WasmEdge" in a stack column is two
		// technologies, even where an example stack has that name)
		if e, label, _ := r.term(ref.text, exclude); e != nil && e.category == ref.category && !strings.ContainsAny(ref.text, "、,，;；") {
			r.addLabel(o, e, label, ref.pos)
			out.addRel(ref.relation, e, ref.pos)
			continue
		}
		for _, p := range splitParts(ref.text, "、,，;；+") {
			pp := ref.pos
			pp.Col += runeCount(ref.text[:p.off])
			if e := r.part(o, p.text, ref, pp, exclude); e != nil {
				out.addRel(ref.relation, e, pp)
				continue
			}
			for _, sp := range splitParts(p.text, "/") {
				spp := pp
				spp.Col += runeCount(p.text[:sp.off])
				if e := r.part(o, sp.text, ref, spp, exclude); e != nil {
					out.addRel(ref.relation, e, spp)
				} else {
					out.addRel(ref.relation, r.create(o, sp.text, ref.category, spp, ref.header), spp)
				}
			}
		}
	}
}

func sameDimension(a, b *entity) bool {
	da, db := dimOf(a), dimOf(b)
	return da != "" && da == db
}

func dimOf(e *entity) string {
	if e.base != nil {
		return "base:" + e.base.Dimension
	}
	if e.dim != nil {
		return e.dim.id
	}
	return ""
}

// part resolves one part of a cell; nil when it names nothing known (and has a "/" to
// split on, or is new).
func (r *resolver) part(o *docOut, text string, ref refDecl, pos network.Pos, exclude func(*entity) bool) *entity {
	e, label, amb := r.term(text, exclude)
	if len(amb) > 1 {
		o.problem(pos, network.CodeUnknownEntity, "write one of the ids instead", "%q names %s", text, idList(amb))
		return amb[0]
	}
	if e != nil {
		r.addLabel(o, e, label, pos)
		return e
	}
	if strings.Contains(text, "/") {
		return nil
	}
	return r.create(o, text, ref.category, pos, ref.header)
}

func idList(es []*entity) string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.id
	}
	return strings.Join(ids, " and ")
}

func runeCount(s string) int { return len([]rune(s)) }

// create declares an entity that a cell names for the first time.
func (r *resolver) create(o *docOut, text, category string, pos network.Pos, header string) *entity {
	if es := r.lookup(text); len(es) > 0 {
		return es[0]
	}
	name, label := text, ""
	if m := parenthetical.FindStringSubmatch(text); m != nil && strings.TrimSpace(m[1]) != "" {
		name, label = strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
	}
	e := &entity{category: category, pos: pos, doc: o, created: header}
	if m := axisPoint.FindStringSubmatch(name); m != nil && category == network.CategoryAxisPoint {
		e.id = strings.ToUpper(m[1]) + m[2]
		e.aliases = []string{strings.ToUpper(m[1]) + "=" + m[2]}
		if es := r.lookup(e.id); len(es) > 0 {
			r.addLabel(o, es[0], label, pos)
			return es[0]
		}
	} else {
		e.id = slug(name)
		setText(&e.names, name)
	}
	e.id = r.freeID(e.id)
	out := &entityOut{e: e, pos: pos, names: e.names, aliases: e.aliases}
	e.out = out
	if label != "" {
		if e.names == (network.Text{}) {
			setText(&e.names, label)
			setText(&out.names, label)
		} else {
			out.addAlias(label)
			e.aliases = out.aliases
		}
	}
	o.entities = append(o.entities, out)
	r.index(e)
	hint := ""
	if s := r.suggest(name); s != "" && !strings.EqualFold(s, name) {
		hint = "; did you mean " + s + "?"
	}
	o.note(pos.Line, "new %s %s (named under %q for the first time%s)", category, e.id, header, hint)
	return e
}

// addLabel records the label written beside an entity's id as one of its names: its name
// in that language if it has none, otherwise an alias.
func (r *resolver) addLabel(o *docOut, e *entity, label string, pos network.Pos) {
	label = strings.TrimSpace(label)
	r.looked[strings.ToLower(label)] = true
	if label == "" || e.hasKey(label) || strings.ContainsAny(label, "()（）=<>→+×*\"") {
		return
	}
	if !r.mutate() {
		return
	}
	e.touched = true
	out := e.out
	if e.base != nil || out == nil {
		out = o.mergeFor(e, pos)
	}
	name := &e.names.En
	if isZh(label) {
		name = &e.names.Zh
	}
	if *name == "" && !idLike.MatchString(label) {
		*name = label
		setText(&out.names, label)
	} else {
		out.addAlias(label)
		e.aliases = append(e.aliases, label)
	}
	r.indexKey(label, e)
}

// mergeFor is the document's merge entry for an entity declared elsewhere.
func (o *docOut) mergeFor(e *entity, pos network.Pos) *entityOut {
	for _, x := range o.entities {
		if x.e == e && x.merge {
			return x
		}
	}
	out := &entityOut{e: e, merge: true, pos: pos}
	o.entities = append(o.entities, out)
	return out
}

func (r *resolver) chain(o *docOut, c *chainDecl) {
	rr, ok := r.relation(o, c)
	if !ok {
		return
	}
	co := chainOut{relation: rr.r.ID, ops: c.chain.Ops, pos: c.pos, text: c.text,
		terms: make([]*entity, 0, len(c.chain.Terms)), termPos: make([]network.Pos, 0, len(c.chain.Terms))}
	if rr.inverse {
		co.relation = rr.r.Inverse
	}
	good := true
	for _, t := range c.chain.Terms {
		p := termPos(c.lineStart, c.line, t.Offset)
		e := r.resolveTerm(o, t.Text, p)
		if e == nil {
			good = false
			continue
		}
		co.terms = append(co.terms, e)
		co.termPos = append(co.termPos, p)
	}
	if good {
		o.chains = append(o.chains, co)
	}
}

// resolveTerm resolves a chain term or formula operand, reporting an unknown or
// ambiguous one with what it may have meant.
func (r *resolver) resolveTerm(o *docOut, t string, p network.Pos) *entity {
	e, label, amb := r.term(t, nil)
	switch {
	case len(amb) > 1:
		o.problem(p, network.CodeUnknownEntity, "write one of the ids instead", "%q names %s", t, idList(amb))
		return nil
	case e == nil:
		o.problem(p, network.CodeUnknownEntity, didYouMean(r.suggest(t)), "unknown entity %s", t)
		return nil
	}
	r.addLabel(o, e, label, p)
	return e
}

func (r *resolver) formula(o *docOut, f *formulaDecl) {
	var rel *network.RelationType
	if n := r.base.n; n != nil {
		for _, rt := range n.Relations {
			if rt.Operator == f.formula.Op {
				rel = rt
				break
			}
		}
	}
	if rel == nil {
		o.problem(f.pos, network.CodeFormula, "declare a RelationType with spec.operator: \""+f.formula.Op+"\"",
			"no relation type reads the formula operator %q", f.formula.Op)
		return
	}
	fo := formulaOut{op: f.formula.Op, pos: f.pos, text: f.text}
	fo.resPos = termPos(f.lineStart, f.line, f.formula.Result.Offset)
	res, _, amb := r.term(f.formula.Result.Text, nil)
	if len(amb) > 1 {
		o.problem(fo.resPos, network.CodeUnknownEntity, "write one of the ids instead", "%q names %s", f.formula.Result.Text, idList(amb))
		return
	}
	good := true
	for _, t := range f.formula.Operands {
		p := termPos(f.lineStart, f.line, t.Offset)
		e := r.resolveTerm(o, t.Text, p)
		if e == nil {
			good = false
			continue
		}
		fo.operands = append(fo.operands, e)
		fo.opPos = append(fo.opPos, p)
	}
	if !good {
		return
	}
	if res == nil {
		if !r.mutate() {
			return
		}
		// the formula defines a concept
		res = &entity{id: r.freeID(slug(f.formula.Result.Text)), category: network.CategoryConcept, pos: fo.resPos, doc: o, created: "formula"}
		setText(&res.names, f.formula.Result.Text)
		res.out = &entityOut{e: res, pos: fo.resPos, names: res.names}
		o.entities = append(o.entities, res.out)
		r.index(res)
		o.note(f.pos.Line, "new concept %s (defined by the formula)", res.id)
	}
	fo.result = res
	o.formulas = append(o.formulas, fo)
}

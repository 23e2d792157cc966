package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/strata-dev/strata/network/yamlpos"
)

// File is one input: a name used in positions (a path, or "default/isolation.yaml" for the
// embedded network) and its bytes.
type File struct {
	Name string
	Data []byte
}

// ReadFiles reads the named files from disk, each of at most the default limit of
// [ReadFile].
func ReadFiles(paths ...string) ([]File, error) {
	out := make([]File, 0, len(paths))
	for _, p := range paths {
		b, err := ReadFile(p, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: p, Data: b})
	}
	return out, nil
}

// ReadFile reads a file of at most limit bytes (0: the default limit of a YAML file,
// [yamlpos.DefaultLimits] MaxBytes). A larger regular file is refused by its size before
// it is read; a file whose size is not known beforehand (a pipe, a device) is read up to
// the limit and refused past it, so that /dev/zero or a generator that never stops cannot
// fill memory. The refusal is a [Problem] with [CodeLimit] at the file's start; an error
// of the file system says "read network file".
func ReadFile(path string, limit int) ([]byte, error) {
	if limit <= 0 {
		limit = yamlpos.DefaultLimits().MaxBytes
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read network file: %w", err)
	}
	defer f.Close()
	tooLarge := func(what string) error {
		return Problems{{Pos: Pos{File: path, Line: 1, Col: 1}, Code: CodeLimit,
			Message: fmt.Sprintf("%s; strata reads at most %d bytes of a file", what, limit), Hint: "split it into several files"}}
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read network file: %w", err)
	}
	if fi.Mode().IsRegular() {
		if fi.Size() > int64(limit) {
			return nil, tooLarge(fmt.Sprintf("file is %d bytes", fi.Size()))
		}
		b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
		if err != nil {
			return nil, fmt.Errorf("read network file: %w", err)
		}
		if len(b) > limit { // it grew while it was read
			return nil, tooLarge(fmt.Sprintf("more than %d bytes", limit))
		}
		return b, nil
	}
	// A pipe or a device: read in pieces, and stop at a NUL byte, which no text file
	// holds (/dev/zero, /dev/urandom, a binary piped in), rather than at the limit.
	var b []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			return nil, Problems{{Pos: Pos{File: path, Line: 1, Col: 1}, Code: CodeSyntax,
				Message: fmt.Sprintf("a NUL byte at offset %d: this is not a text file", len(b)+i), Hint: "give a YAML or Markdown file"}}
		}
		if len(b)+n > limit {
			return nil, tooLarge(fmt.Sprintf("more than %d bytes", limit))
		}
		b = append(b, buf[:n]...)
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read network file: %w", err)
		}
	}
}

// Options tune Load.
type Options struct {
	// ExtraKinds are document kinds that other packages read from the same files; Load
	// skips them instead of reporting an unknown kind.
	ExtraKinds []string
	// Limits bound the work of reading each file: nesting depth, documents, values and
	// sizes. The zero value is [yamlpos.DefaultLimits]; a server reading a request body
	// sets smaller ones.
	Limits yamlpos.Limits
}

// Load reads every file and builds one network. Later files overlay earlier ones: they add
// entities, relation types and facts, and an entity declared with merge: true extends the
// entity of the same id. Every problem in every file is reported at once, as [Problems].
func Load(files []File, opts ...Options) (*Network, error) {
	return LoadContext(context.Background(), files, opts...)
}

// LoadContext is [Load] that stops when ctx is done and then returns ctx's error. It
// checks ctx between documents, every few thousand values while reading, and while facts
// are resolved, so a server stops the work of a request whose client went away.
func LoadContext(ctx context.Context, files []File, opts ...Options) (*Network, error) {
	o := mergeOptions(opts)
	b := newBuilder()
	if err := b.read(ctx, files, o); err != nil {
		return nil, err
	}
	return b.finish(ctx)
}

// mergeOptions is one Options of several: every extra kind, the last limits given.
func mergeOptions(opts []Options) Options {
	var o Options
	for _, x := range opts {
		o.ExtraKinds = append(o.ExtraKinds, x.ExtraKinds...)
		if x.Limits != (yamlpos.Limits{}) {
			o.Limits = x.Limits
		}
	}
	return o
}

// read reads every document of files into b. A problem with a file is recorded; only
// another error (ctx done) is returned.
func (b *builder) read(ctx context.Context, files []File, o Options) error {
	for _, f := range files {
		// The model keeps values, never nodes, so one document's tree can hold the next.
		err := yamlpos.Scan(ctx, f.Name, f.Data, o.Limits, func(n *yamlpos.Node) error {
			b.document(n, o.ExtraKinds)
			return nil
		})
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) {
				return err
			}
			b.r.Add(*p)
		}
	}
	return nil
}

// finish resolves the facts of everything read and returns the network, or every problem.
func (b *builder) finish(ctx context.Context) (*Network, error) {
	// Facts refer to entities and relations from any file, so they are resolved last.
	b.growFacts()
	for i, pr := range b.pendingRels {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for _, r := range pr.relations {
			b.fact(pr.id, pr.source, r.relation, r.relPos, r.object, r.objPos, false, Declared, "")
		}
	}
	b.pendingRels = nil
	b.relFacts = len(b.n.Facts)
	for i, fd := range b.pendingFacts {
		at := b.mark()
		if err := b.resolveFacts(ctx, fd); err != nil {
			return nil, err
		}
		if b.owners != nil {
			b.segments = append(b.segments, segment{owner: b.owners[i], from: at, to: b.mark()})
		}
	}
	if ps := b.problems(); len(ps) > 0 {
		return nil, ps
	}
	return b.n, nil
}

// growFacts makes room for the facts and chains about to be resolved, at least one fact
// per declaration.
func (b *builder) growFacts() {
	facts, chains := 0, 0
	for _, pr := range b.pendingRels {
		facts += len(pr.relations)
	}
	for _, fd := range b.pendingFacts {
		facts += len(fd.chains) + len(fd.facts) + 2*len(fd.formulas)
		chains += len(fd.chains)
	}
	b.n.Facts = slices.Grow(b.n.Facts, facts)
	b.n.Chains = slices.Grow(b.n.Chains, chains)
}

// document builds what one document declares.
func (b *builder) document(n *yamlpos.Node, extraKinds []string) {
	h, ok := b.header(n, extraKinds)
	if !ok {
		return
	}
	switch h.kind {
	case KindRelationType:
		if r, ok := b.relationType(h); ok {
			b.addRelation(r)
		}
	case KindDimension:
		b.dimension(h)
	case KindEntities:
		b.entities(h)
	case KindEntity:
		if ed, ok := b.entity(h.spec, "Entity spec", "", false); ok {
			ed.e.ID = h.name
			ed.e.Source = h.pos
			if ed.e.Names == (Text{}) {
				ed.e.Names = h.names
			}
			ed.e.Aliases = append(ed.e.Aliases, h.aliases...)
			b.addEntity(ed)
		}
	case KindFacts:
		b.factsDoc(h)
	}
}

type builder struct {
	decoder
	n            *Network
	pendingRels  []pendingRel
	pendingFacts []factsDecl
	suggestions  int         // "did you mean" hints given; each costs a pass over every name
	split        *splitNames // see refuseSplit
	// For a Loader: which declarations each of pendingFacts came from (-1: a file), and
	// where the facts of each went in the network.
	owners   []int
	relFacts int // the facts of entities' relations are n.Facts[:relFacts]
	segments []segment
	// merged holds the ids of the entities a later declaration merged into; byName is
	// set when a term was resolved by something other than an entity's id (Loader.again
	// may then not rename entities).
	merged map[string]bool
	byName bool
}

// pendingRel is an entity's relations, resolved once every file is read.
type pendingRel struct {
	id        string
	source    Pos
	relations []relDecl
}

// factsDecl is a Facts document as written, resolved once every file is read.
type factsDecl struct {
	chains   []chainDecl
	facts    []factDecl
	formulas []formulaDecl
}

type chainDecl struct {
	relation string
	relPos   Pos
	chain    scalar
	termPos  []Pos // given with the chain (see [DeclChain]); nil: from the scalar's offsets
}

// formulaDecl is a formula as written; resPos and opPos, when given (see
// [DeclFormula]), place its result and operands instead of the scalar's offsets.
type formulaDecl struct {
	scalar
	resPos *Pos
	opPos  []Pos
}

type factDecl struct {
	subject, relation, object string
	sp, rp, op                Pos
	equal                     bool
	kind, note                string
}

// scalar is a string value with what is needed to place offsets inside it.
type scalar struct {
	text             string
	pos              Pos
	verbatim, quoted bool
}

func scalarOf(n *yamlpos.Node) scalar {
	return scalar{text: n.Value(), pos: n.Pos(), verbatim: n.Verbatim() && n.Tag() == yamlpos.Str, quoted: n.Quoted()}
}

func newBuilder() *builder { return newBuilderFor(0) }

// newBuilderFor is a builder sized for about entities entities.
func newBuilderFor(entities int) *builder {
	b := &builder{n: &Network{
		byID:     make(map[string]*Entity, entities),
		dims:     map[string]*Dimension{},
		rels:     map[string]*RelationType{},
		relAlias: map[string]*RelationType{},
	}}
	if entities > 0 {
		b.n.Entities = make([]*Entity, 0, entities)
	}
	return b
}

func (b *builder) addRelation(r RelationType) {
	if prev, ok := b.n.rels[r.ID]; ok {
		b.add(r.Source, CodeDuplicate, "rename one of them", "relation type %s is already declared at %s", r.ID, prev.Source)
		return
	}
	rp := &r
	b.n.Relations = append(b.n.Relations, rp)
	b.n.rels[r.ID] = rp
	// A name that means two relation types would make facts written with it ambiguous.
	if other, ok := b.n.relAlias[strings.ToLower(r.ID)]; ok {
		b.add(r.Source, CodeDuplicate, "rename one of them", "relation type %s: %q already names relation type %s", r.ID, r.ID, other.ID)
	}
	for _, alias := range []string{r.Names.En, r.Names.Zh, r.Inverse} {
		if alias == "" {
			continue
		}
		other, ok := b.n.relAlias[strings.ToLower(alias)]
		if o, isID := b.n.rels[alias]; isID && !ok {
			other, ok = o, true
		}
		if ok && other != rp {
			b.add(r.Source, CodeDuplicate, "rename one of them", "relation type %s: %q already names relation type %s", r.ID, alias, other.ID)
			continue
		}
		b.n.relAlias[strings.ToLower(alias)] = rp
	}
}

func (b *builder) dimension(h docHeader) {
	if !b.fields(h.spec, "Dimension spec", "definition", "axis", "columns", "values", "category") {
		return
	}
	d := &Dimension{ID: h.name, Names: h.names, Aliases: h.aliases, Source: h.pos}
	d.Definition = b.text(h.spec.Get("definition"), "spec.definition")
	d.Axis, _, _ = b.str(h.spec.Get("axis"), "spec.axis")
	d.Columns = b.strList(h.spec.Get("columns"), "spec.columns")
	cat := CategoryValue
	if d.Axis != "" {
		cat = CategoryAxisPoint
	}
	if c := h.spec.Get("category"); c != nil {
		cat = b.category(c, "spec.category")
	}
	vals := h.spec.Get("values")
	if vals == nil || !vals.IsList() {
		p := h.pos
		if vals != nil {
			p = vals.Pos()
		}
		b.add(p, CodeSchema, "list the dimension's values under spec.values", "dimension %s needs a list of values", d.ID)
		return
	}
	if b.duplicateDimension(d) {
		return
	}
	for i, v := range vals.Items() {
		ed, ok := b.entity(v, "spec.values["+strconv.Itoa(i)+"]", cat, true)
		if !ok {
			continue
		}
		b.addValue(d, ed)
	}
	b.addDimension(d)
}

// duplicateDimension reports (and says) that a dimension of d's id is declared already.
func (b *builder) duplicateDimension(d *Dimension) bool {
	prev, ok := b.n.dims[strings.ToLower(d.ID)]
	if ok {
		b.add(d.Source, CodeDuplicate, "rename one of them", "dimension %s is already declared at %s", d.ID, prev.Source)
	}
	return ok
}

// addValue adds an entity as a value of d.
func (b *builder) addValue(d *Dimension, ed entityDecl) {
	ed.e.Dimension = d.ID
	if b.addEntity(ed) {
		d.Values = append(d.Values, ed.e.ID)
	}
}

// addDimension registers d, its values added, under its id, names, axis and aliases.
func (b *builder) addDimension(d *Dimension) {
	b.n.Dimensions = append(b.n.Dimensions, d)
	for _, k := range append([]string{d.ID, d.Names.En, d.Names.Zh, d.Axis}, d.Aliases...) {
		if k != "" {
			b.n.dims[strings.ToLower(k)] = d
		}
	}
}

func (b *builder) entities(h docHeader) {
	if !b.fields(h.spec, "Entities spec", "category", "items") {
		return
	}
	var cat string
	if c := h.spec.Get("category"); c != nil {
		cat = b.category(c, "spec.category")
	}
	items := h.spec.Get("items")
	if items == nil || !items.IsList() {
		b.add(h.pos, CodeSchema, "list the entities under spec.items", "Entities %s needs a list of items", h.name)
		return
	}
	for i, v := range items.Items() {
		if ed, ok := b.entity(v, "spec.items["+strconv.Itoa(i)+"]", cat, true); ok {
			b.addEntity(ed)
		}
	}
}

// addEntity registers an entity (or merges it into an earlier one) and reports whether it
// is new.
func (b *builder) addEntity(ed entityDecl) bool {
	if prev, ok := b.n.byID[ed.e.ID]; ok {
		if !ed.merge {
			b.add(ed.e.Source, CodeDuplicate, "rename it, or add merge: true to extend the earlier one", "duplicate id %s (first declared at %s)", ed.e.ID, prev.Source)
			return false
		}
		if b.merged != nil {
			b.merged[ed.e.ID] = true
		}
		// The earlier entity's lists may be a caller's (see Decls): changed as copies.
		prev.Attributes = slices.Clone(prev.Attributes)
		prev.Aliases = slices.Clip(prev.Aliases)
		for _, a := range ed.e.Attributes {
			replaced := false
			for i := range prev.Attributes {
				if prev.Attributes[i].Name == a.Name {
					prev.Attributes[i], replaced = a, true
				}
			}
			if !replaced {
				prev.Attributes = append(prev.Attributes, a)
			}
		}
		prev.Aliases = append(prev.Aliases, ed.e.Aliases...)
		if ed.e.Names.En != "" {
			prev.Names.En = ed.e.Names.En
		}
		if ed.e.Names.Zh != "" {
			prev.Names.Zh = ed.e.Names.Zh
		}
		// The overlay's relations are the earlier entity's, cited at the overlay.
		b.pend(ed)
		return false
	}
	if ed.merge {
		hint := b.didYouMean(ed.e.ID, b.entityIDs)
		if hint == "" {
			hint = "declare the entity before extending it, or drop merge: true"
		}
		b.add(ed.e.Source, CodeUnknownEntity, hint, "merge: true, but there is no earlier entity %s to extend", ed.e.ID)
		return false
	}
	e := ed.e
	ep := &e
	b.n.Entities = append(b.n.Entities, ep)
	b.n.byID[e.ID] = ep
	ed.e = *ep
	b.pend(ed)
	return true
}

func (b *builder) pend(ed entityDecl) {
	if len(ed.relations) > 0 {
		b.pendingRels = append(b.pendingRels, pendingRel{id: ed.e.ID, source: ed.e.Source, relations: ed.relations})
	}
}

func (b *builder) entityIDs() []string {
	out := make([]string, len(b.n.Entities))
	for i, e := range b.n.Entities {
		out[i] = e.ID
	}
	return out
}

// factsDoc checks a Facts document and keeps what it declares for resolving.
func (b *builder) factsDoc(h docHeader) {
	if !b.fields(h.spec, "Facts spec", "chains", "facts", "formulas") {
		return
	}
	var fd factsDecl
	if v := h.spec.Get("chains"); v != nil {
		if !v.IsList() {
			b.add(v.Pos(), CodeSchema, "", "spec.chains must be a list of {relation, chain}")
		} else {
			fd.chains = make([]chainDecl, 0, v.Len())
			for i, c := range v.Items() {
				where := "spec.chains[" + strconv.Itoa(i) + "]"
				if !b.fields(c, where, "relation", "chain") {
					continue
				}
				rel, rp, ok1 := b.required(c, "relation", where)
				_, _, ok2 := b.required(c, "chain", where)
				if ok1 && ok2 {
					fd.chains = append(fd.chains, chainDecl{relation: rel, relPos: rp, chain: scalarOf(c.Get("chain"))})
				}
			}
		}
	}
	if v := h.spec.Get("facts"); v != nil {
		if !v.IsList() {
			b.add(v.Pos(), CodeSchema, "", "spec.facts must be a list of {subject, relation, object}")
		} else {
			fd.facts = make([]factDecl, 0, v.Len())
			for i, f := range v.Items() {
				where := "spec.facts[" + strconv.Itoa(i) + "]"
				if !b.fields(f, where, "subject", "relation", "object", "equal", "kind", "note") {
					continue
				}
				s, sp, ok1 := b.required(f, "subject", where)
				r, rp, ok2 := b.required(f, "relation", where)
				o, op, ok3 := b.required(f, "object", where)
				kind := Declared
				if k := f.Get("kind"); k != nil {
					kk, kp, _ := b.str(k, where+".kind")
					switch kk {
					case Declared, Measured:
						kind = kk
					case Derived:
						b.add(kp, CodeSchema, "derived facts are computed by strata; declare the facts they come from", "a file cannot declare a derived fact")
					default:
						b.add(kp, CodeSchema, "use declared or measured", "unknown fact kind %q", kk)
					}
				}
				note, _, _ := b.str(f.Get("note"), where+".note")
				equal := b.boolean(f.Get("equal"), where+".equal")
				if ok1 && ok2 && ok3 {
					fd.facts = append(fd.facts, factDecl{subject: s, relation: r, object: o, sp: sp, rp: rp, op: op, equal: equal, kind: kind, note: note})
				}
			}
		}
	}
	if v := h.spec.Get("formulas"); v != nil {
		if !v.IsList() {
			b.add(v.Pos(), CodeSchema, "", "spec.formulas must be a list of strings")
		} else {
			for i, f := range v.Items() {
				if _, _, ok := b.str(f, "spec.formulas["+strconv.Itoa(i)+"]"); ok {
					fd.formulas = append(fd.formulas, formulaDecl{scalar: scalarOf(f)})
				}
			}
		}
	}
	b.pendingFacts = append(b.pendingFacts, fd)
}

// resolveFacts turns a Facts document's declarations into facts, in the order written:
// chains, facts, formulas.
func (b *builder) resolveFacts(ctx context.Context, fd factsDecl) error {
	for i, c := range fd.chains {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		b.chain(c)
	}
	for i, f := range fd.facts {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		b.fact(f.subject, f.sp, f.relation, f.rp, f.object, f.op, f.equal, f.kind, f.note)
	}
	for _, f := range fd.formulas {
		b.formula(f)
	}
	return ctx.Err()
}

// fact resolves the names of one fact and records it.
func (b *builder) fact(subj string, sp Pos, rel string, rp Pos, obj string, op Pos, equal bool, kind, note string) {
	s, ok1 := b.resolveTerm(subj, sp)
	r, ok2 := b.relation(rel, rp)
	o, ok3 := b.resolveTerm(obj, op)
	if !ok1 || !ok2 || !ok3 {
		return
	}
	if equal && r.Equivalence == "" {
		b.add(rp, CodeProperty, "declare equivalence: \"=\" on the relation type", "relation %s has no equivalence, so %s = %s cannot be stated", r.ID, s, o)
		return
	}
	if readsInverse(r, rel) {
		s, o = o, s // "weaker-isolation" read from the other side
	}
	b.n.Facts = append(b.n.Facts, Fact{Subject: s, Relation: r.ID, Object: o, Equal: equal, Kind: kind, Source: sp, Note: note})
}

// readsInverse reports whether name is r's inverse name, so that facts written with it read
// from the other side.
func readsInverse(r *RelationType, name string) bool {
	return r.Inverse != "" && strings.EqualFold(name, r.Inverse) && r.ID != name
}

func (b *builder) relation(name string, pos Pos) (*RelationType, bool) {
	if r, ok := b.n.Relation(name); ok {
		return r, true
	}
	b.add(pos, CodeUnknownRel, didYouMeanOr(name, b.n.RelationIDs()), "unknown relation type %s", name)
	return nil, false
}

func (b *builder) chain(c chainDecl) {
	rel, rp, text, tp := c.relation, c.relPos, c.chain.text, c.chain.pos
	r, ok := b.relation(rel, rp)
	if !ok {
		return
	}
	tn := c.chain
	ch, err := ParseChain(text)
	if err != nil {
		if b.refuseSplit(tn, text, nil, false) {
			return
		}
		se := err.(*SyntaxError)
		b.add(offsetPos(tn, se.Offset), CodeChain, se.Hint, "%s", se.Msg)
		return
	}
	at := termPositions(tn, ch.Terms)
	if c.termPos != nil && len(c.termPos) == len(ch.Terms) {
		at = c.termPos
	}
	for i, op := range ch.Ops {
		switch {
		case op == "=" && r.Equivalence == "":
			b.add(at[i], CodeChain, "declare equivalence: \"=\" on "+r.ID, "relation %s has no equivalence; \"=\" cannot be used in its chains", r.ID)
			return
		case op != "=" && r.Symbol == "":
			b.add(at[i], CodeChain, "list its facts under spec.facts, or declare a symbol on "+r.ID,
				"relation %s has no chain symbol, so it cannot be written as a chain", r.ID)
			return
		case op == "→" && r.Symbol != "→", (op == ">" || op == "<") && r.Symbol != ">":
			b.add(at[i], CodeChain, "write the chain with "+r.Symbol, "relation %s is written with %s, not %s", r.ID, r.Symbol, op)
			return
		}
	}
	if b.refuseSplit(tn, text, ch.Terms, false) {
		return
	}
	ids := make([]string, len(ch.Terms))
	ok = true
	for i, t := range ch.Terms {
		e, good := b.resolveTerm(t.Text, at[i])
		if !good {
			ok = false
			continue
		}
		ids[i] = e
	}
	if !ok {
		return
	}
	b.n.Chains = append(b.n.Chains, ChainDecl{Relation: r.ID, Text: text, Source: tp})
	for i, op := range ch.Ops {
		a, z := ids[i], ids[i+1]
		pos := at[i]
		f := Fact{Subject: a, Relation: r.ID, Object: z, Kind: Declared, Source: pos}
		switch op {
		case "=":
			f.Equal = true
		case "<":
			f.Subject, f.Object = z, a
		}
		if readsInverse(r, rel) {
			f.Subject, f.Object = f.Object, f.Subject
		}
		b.n.Facts = append(b.n.Facts, f)
	}
}

func (b *builder) formula(fd formulaDecl) {
	n := fd.scalar
	text, pos := n.text, n.pos
	f, err := ParseFormula(text)
	if err != nil {
		if b.refuseSplit(n, text, nil, true) {
			return
		}
		se := err.(*SyntaxError)
		b.add(offsetPos(n, se.Offset), CodeFormula, se.Hint, "%s", se.Msg)
		return
	}
	var rel *RelationType
	for _, r := range b.n.Relations {
		if r.Operator == f.Op {
			rel = r
			break
		}
	}
	if rel == nil {
		b.add(pos, CodeFormula, "declare a RelationType with spec.operator: \""+f.Op+"\"", "no relation type reads the formula operator %q", f.Op)
		return
	}
	if b.refuseSplit(n, text, append([]Term{f.Result}, f.Operands...), true) {
		return
	}
	at := termPositions(n, f.Operands)
	if fd.opPos != nil && len(fd.opPos) == len(f.Operands) {
		at = fd.opPos
	}
	resPos := offsetPos(n, f.Result.Offset)
	if fd.resPos != nil {
		resPos = *fd.resPos
	}
	res, ok := b.resolveTerm(f.Result.Text, resPos)
	ops := make([]string, 0, len(f.Operands))
	for i, t := range f.Operands {
		id, good := b.resolveTerm(t.Text, at[i])
		ok = ok && good
		ops = append(ops, id)
	}
	if !ok {
		return
	}
	b.n.Formulas = append(b.n.Formulas, FormulaDecl{Text: text, Result: res, Op: f.Op, Relation: rel.ID, Operands: ops, Source: pos})
	for i, o := range ops {
		b.n.Facts = append(b.n.Facts, Fact{Subject: res, Relation: rel.ID, Object: o, Kind: Declared, Source: at[i]})
	}
}

// offsetPos is the position of byte offset off inside scalar n. Offsets are columns only
// when the scalar is written verbatim on one line; otherwise (block scalars, escapes,
// folded lines) the scalar's start is the best we can say.
func offsetPos(n scalar, off int) Pos {
	p := n.pos
	if !n.verbatim || off < 0 || off > len(n.text) || p.Line == 0 {
		return p
	}
	p.Col += utf8.RuneCountInString(n.text[:off])
	if n.quoted {
		p.Col++
	}
	return p
}

// resolveTerm finds the entity a term names. Besides an id, name or alias it accepts the
// seed's verbatim labels: "A1 technical", "T1容器化", "O1 horizontal (OTLP)", "横坐标(O1)".
func (b *builder) resolveTerm(t string, pos Pos) (string, bool) {
	if e, ok := b.lookupTerm(t); ok {
		return e.ID, true
	}
	if e, err := b.n.Resolve(t); err != nil {
		if ae, ok := err.(*AmbiguousError); ok {
			b.add(pos, CodeUnknownEntity, "use one of the ids", "%s", ae.Error())
			return "", false
		}
	} else {
		return e.ID, true
	}
	b.add(pos, CodeUnknownEntity, b.didYouMean(t, b.n.names), "unknown entity %s", t)
	return "", false
}

func (b *builder) lookupTerm(t string) (*Entity, bool) {
	if e, ok := b.n.byID[t]; ok {
		return e, true
	}
	b.byName = true
	if e, ok := b.n.find(t); ok {
		return e, true
	}
	// "label(ID)" or "label (ID)"
	if strings.HasSuffix(t, ")") || strings.HasSuffix(t, "）") {
		open := strings.LastIndexAny(t, "(（")
		if open > 0 {
			inner := strings.TrimRight(t[open:], ")）")
			inner = strings.TrimLeft(inner, "(（")
			label := strings.TrimSpace(t[:open])
			if e, ok := b.n.find(inner); ok && b.isLabel(e, label) {
				return e, true
			}
			// "ID label (Tool)": the parenthesis names a related entity; drop it.
			if _, ok := b.n.find(inner); ok {
				if e, ok := b.idThenLabel(label); ok {
					return e, true
				}
			}
		}
	}
	return b.idThenLabel(t)
}

// idThenLabel accepts "A1 technical" and "T4Wasm化": an id, then one of its labels, with or
// without a space between them.
func (b *builder) idThenLabel(t string) (*Entity, bool) {
	for i := range t {
		if i == 0 {
			continue
		}
		e, ok := b.n.find(strings.TrimSpace(t[:i]))
		if !ok {
			continue
		}
		if b.isLabel(e, strings.TrimSpace(t[i:])) {
			return e, true
		}
	}
	return nil, false
}

func (b *builder) isLabel(e *Entity, label string) bool {
	label = strings.ToLower(strings.TrimSpace(label))
	if label == "" {
		return false
	}
	for _, k := range append([]string{e.Names.En, e.Names.Zh}, e.Aliases...) {
		if strings.ToLower(k) == label {
			return true
		}
	}
	return false
}

// maxSuggestions bounds the "did you mean" hints of one load: each compares the name with
// every name of the network, so a file of ten thousand unknown ids would otherwise cost
// minutes.
const maxSuggestions = 200

// didYouMean is the hint for an unknown name, while the budget for hints lasts.
func (b *builder) didYouMean(s string, candidates func() []string) string {
	if b.suggestions >= maxSuggestions {
		return ""
	}
	b.suggestions++
	return didYouMean(s, candidates())
}

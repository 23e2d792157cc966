package network

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DocumentText is one network document (strata.dev/v1alpha1 YAML) that [Documents] wrote.
type DocumentText struct {
	Kind string // RelationType, Dimension, Entities or Facts
	Name string // its metadata.name
	YAML string // the document, without a "---" separator
}

// Documents writes the network as network documents that [Load] reads back into the same
// network: the same relation types, dimensions (with their values in order), entities
// (ids, categories, names, aliases, typed attributes in order), facts, chains and
// formulas; only the source positions are new. Facts that a chain or formula states are
// written as that chain or formula, every other fact as itself.
//
// What documents cannot say is an error that names it, never dropped: a derived fact (a
// file cannot declare one), a fact of another kind than declared or measured, text that
// is not UTF-8, an attribute of no known type or a second attribute of the same name, an
// entity whose dimension does not list it (or a value listed twice), a chain or formula
// whose facts the network does not hold, and a formula whose relation is not the first
// relation type of its operator (a file's formula takes that one).
//
// A network that was not made by [Load] or [Default] gets its lookups built on first use.
func Documents(n *Network) ([]DocumentText, error) {
	if n.byID == nil {
		n.index()
	}
	w := &docWriter{n: n}
	w.relations()
	w.dimensions()
	w.entities()
	w.facts()
	if len(w.errs) > 0 {
		const most = 20
		msg := strings.Join(w.errs[:min(len(w.errs), most)], "\n  ")
		if len(w.errs) > most {
			msg += fmt.Sprintf("\n  … and %d more", len(w.errs)-most)
		}
		return nil, fmt.Errorf("the network cannot be written as network documents:\n  %s", msg)
	}
	return w.docs, nil
}

type docWriter struct {
	n    *Network
	docs []DocumentText
	errs []string
}

func (w *docWriter) fail(format string, args ...any) {
	w.errs = append(w.errs, fmt.Sprintf(format, args...))
}

// str is s as a YAML double-quoted scalar ([QuoteYAML]); s must be UTF-8 text.
func (w *docWriter) str(s, what string) string {
	if !utf8.ValidString(s) {
		w.fail("%s is not UTF-8 text: %q", what, s)
	}
	return QuoteYAML(s)
}

// QuoteYAML is s as a YAML double-quoted scalar. Every string is quoted, so that none is
// read as a number, a boolean or null; characters YAML would not keep (line breaks,
// controls, non-characters, invalid bytes) are escaped.
func QuoteYAML(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == utf8.RuneError:
			b.WriteString(`\uFFFD`)
		case r == '\u0085', r == '\u2028', r == '\u2029', r == '\uFEFF', r < 0x20, r == 0x7f,
			!unicode.IsPrint(r) && r != ' ':
			if r > 0xFFFF {
				fmt.Fprintf(&b, `\U%08X`, r)
			} else {
				fmt.Fprintf(&b, `\u%04X`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (w *docWriter) text(t Text, what string) string {
	var parts []string
	if t.En != "" {
		parts = append(parts, "en: "+w.str(t.En, what))
	}
	if t.Zh != "" {
		parts = append(parts, "zh: "+w.str(t.Zh, what))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (w *docWriter) list(ss []string, what string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = w.str(s, what)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// field appends ", key: value" to b when value is not empty.
func field(b *strings.Builder, key, value string) {
	if value == "" || value == "{}" || value == "[]" {
		return
	}
	if b.Len() > 0 {
		b.WriteString(", ")
	}
	b.WriteString(key + ": " + value)
}

func (w *docWriter) header(kind, name string, meta string) *strings.Builder {
	b := &strings.Builder{}
	b.WriteString("apiVersion: " + APIVersion + "\nkind: " + kind + "\nmetadata: {name: " + name)
	if meta != "" {
		b.WriteString(", " + meta)
	}
	b.WriteString("}\n")
	return b
}

func (w *docWriter) relations() {
	if len(w.n.Relations) == 0 {
		return
	}
	var all strings.Builder
	for i, r := range w.n.Relations {
		what := "relation type " + r.ID
		var meta strings.Builder
		field(&meta, "names", w.text(r.Names, what+" name"))
		b := w.header("RelationType", w.str(r.ID, what), meta.String())
		var spec strings.Builder
		if r.Symbol != "" {
			field(&spec, "symbol", w.str(r.Symbol, what+" symbol"))
		}
		if r.Equivalence != "" {
			field(&spec, "equivalence", w.str(r.Equivalence, what+" equivalence"))
		}
		if r.Operator != "" {
			field(&spec, "operator", w.str(r.Operator, what+" operator"))
		}
		props := r.Properties()
		if len(props) > 0 {
			field(&spec, "properties", "["+strings.Join(props, ", ")+"]")
		}
		for _, f := range []struct{ key, v string }{{"inverse", r.Inverse}, {"greater", r.Greater}, {"less", r.Less}} {
			if f.v != "" {
				field(&spec, f.key, w.str(f.v, what+" "+f.key))
			}
		}
		field(&spec, "description", w.text(r.Description, what+" description"))
		b.WriteString("spec: {" + spec.String() + "}\n")
		if i > 0 {
			all.WriteString("---\n")
		}
		all.WriteString(b.String())
	}
	w.docs = append(w.docs, DocumentText{Kind: KindRelationType, Name: "relations", YAML: all.String()})
}

// entity writes one entity as a flow mapping on one line.
func (w *docWriter) entity(e *Entity) string {
	what := "entity " + e.ID
	var b strings.Builder
	field(&b, "id", w.str(e.ID, what+" id"))
	if e.Category == "" {
		w.fail("%s has no category", what)
	}
	field(&b, "category", w.str(e.Category, what+" category"))
	field(&b, "names", w.text(e.Names, what+" name"))
	field(&b, "aliases", w.list(e.Aliases, what+" alias"))
	if len(e.Attributes) > 0 {
		seen := map[string]bool{}
		parts := make([]string, 0, len(e.Attributes))
		for _, a := range e.Attributes {
			aw := what + " attribute " + a.Name
			if seen[a.Name] {
				w.fail("%s: a second attribute %s (an entity's attributes are a mapping by name)", what, a.Name)
				continue
			}
			seen[a.Name] = true
			var v string
			switch a.Type {
			case TypeString:
				v = w.str(a.String, aw)
			case TypeInt:
				v = strconv.FormatInt(a.Int, 10)
			case TypeFloat:
				if math.IsNaN(a.Float) || math.IsInf(a.Float, 0) {
					w.fail("%s: %v is not a finite number", aw, a.Float)
					continue
				}
				// always with a ".", so that it is read as a float, never an integer
				v = strconv.FormatFloat(a.Float, 'f', -1, 64)
				if !strings.Contains(v, ".") {
					v += ".0"
				}
			case TypeBool:
				v = strconv.FormatBool(a.Bool)
			case TypeText:
				v = w.text(a.Text, aw)
			case TypeList:
				v = w.list(a.List, aw)
			default:
				w.fail("%s has the unknown type %q", aw, a.Type)
				continue
			}
			parts = append(parts, w.str(a.Name, what+" attribute name")+": "+v)
		}
		field(&b, "attributes", "{"+strings.Join(parts, ", ")+"}")
	}
	return "{" + b.String() + "}"
}

func (w *docWriter) dimensions() {
	placed := map[string]string{}
	for _, d := range w.n.Dimensions {
		what := "dimension " + d.ID
		var meta strings.Builder
		field(&meta, "names", w.text(d.Names, what+" name"))
		field(&meta, "aliases", w.list(d.Aliases, what+" alias"))
		b := w.header(KindDimension, w.str(d.ID, what), meta.String())
		b.WriteString("spec:\n")
		if d.Definition != (Text{}) {
			b.WriteString("  definition: " + w.text(d.Definition, what+" definition") + "\n")
		}
		if d.Axis != "" {
			b.WriteString("  axis: " + w.str(d.Axis, what+" axis") + "\n")
		}
		if len(d.Columns) > 0 {
			b.WriteString("  columns: " + w.list(d.Columns, what+" column") + "\n")
		}
		if len(d.Values) == 0 {
			b.WriteString("  values: []\n")
		} else {
			b.WriteString("  values:\n")
		}
		for _, id := range d.Values {
			e, ok := w.n.byID[id]
			switch {
			case !ok:
				w.fail("%s lists %s, which is not an entity of the network", what, id)
				continue
			case placed[id] != "":
				w.fail("%s lists %s, which %s lists too", what, id, placed[id])
				continue
			case e.Dimension != d.ID:
				w.fail("%s lists %s, whose dimension is %q", what, id, e.Dimension)
				continue
			}
			placed[id] = what
			b.WriteString("    - " + w.entity(e) + "\n")
		}
		w.docs = append(w.docs, DocumentText{Kind: KindDimension, Name: d.ID, YAML: b.String()})
	}
	for _, e := range w.n.Entities {
		if e.Dimension != "" && placed[e.ID] == "" {
			w.fail("entity %s is in dimension %s, which does not list it among its values", e.ID, e.Dimension)
		}
	}
}

func (w *docWriter) entities() {
	var b *strings.Builder
	for _, e := range w.n.Entities {
		if e.Dimension != "" {
			continue
		}
		if b == nil {
			b = w.header(KindEntities, `"entities"`, "")
			b.WriteString("spec:\n  items:\n")
		}
		b.WriteString("    - " + w.entity(e) + "\n")
	}
	if b != nil {
		w.docs = append(w.docs, DocumentText{Kind: KindEntities, Name: "entities", YAML: b.String()})
	}
}

// factKey is a fact without its position.
type factKey struct {
	subject, relation, object string
	equal                     bool
	kind, note                string
}

func keyOf(f Fact) factKey {
	return factKey{f.Subject, f.Relation, f.Object, f.Equal, f.Kind, f.Note}
}

// chainFacts returns the facts a chain states, its terms resolved as [Load] resolves
// them; inverse reads it as written with the relation's inverse name.
func (n *Network) chainFacts(c ChainDecl, inverse bool) ([]Fact, error) {
	ch, err := ParseChain(c.Text)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ch.Terms))
	b := &builder{n: n}
	for i, t := range ch.Terms {
		if e, ok := b.lookupTerm(t.Text); ok {
			ids[i] = e.ID
			continue
		}
		e, err := n.Resolve(t.Text)
		if err != nil {
			return nil, err
		}
		ids[i] = e.ID
	}
	out := make([]Fact, 0, len(ch.Ops))
	for i, op := range ch.Ops {
		f := Fact{Subject: ids[i], Relation: c.Relation, Object: ids[i+1], Kind: Declared}
		switch op {
		case "=":
			f.Equal = true
		case "<":
			f.Subject, f.Object = f.Object, f.Subject
		}
		if inverse {
			f.Subject, f.Object = f.Object, f.Subject
		}
		out = append(out, f)
	}
	return out, nil
}

func (w *docWriter) facts() {
	// Which facts a chain or formula states. The facts a file's chain states are cited at
	// its line, so those are taken first; otherwise the first ones of their kind for a
	// chain and the last ones for a formula, because a file's chains are read before its
	// facts and its formulas after them: so writing the network read back writes its facts
	// in the same order.
	at := make(map[factKey][]int, len(w.n.Facts))
	for i, f := range w.n.Facts {
		k := keyOf(f)
		at[k] = append(at[k], i)
	}
	stated := make([]bool, len(w.n.Facts))
	// pick finds a fact for each of fs, none twice; nil when one is missing. onLine says
	// whether every one is cited at the line of pos.
	pick := func(fs []Fact, pos Pos, last bool) (picked []int, onLine bool) {
		used := map[int]bool{}
		onLine = pos.Line > 0
		for _, f := range fs {
			best := -1
			for _, i := range at[keyOf(f)] {
				if stated[i] || used[i] {
					continue
				}
				if s := w.n.Facts[i].Source; pos.Line > 0 && s.File == pos.File && s.Line == pos.Line {
					best = i
					break
				}
				if best < 0 || last {
					best = i
				}
			}
			if best < 0 {
				return nil, false
			}
			if s := w.n.Facts[best].Source; s.File != pos.File || s.Line != pos.Line {
				onLine = false
			}
			used[best] = true
			picked = append(picked, best)
		}
		return picked, onLine
	}
	take := func(is []int) {
		for _, i := range is {
			stated[i] = true
		}
	}
	var b strings.Builder
	if len(w.n.Chains) > 0 {
		b.WriteString("  chains:\n")
	}
	for _, c := range w.n.Chains {
		what := fmt.Sprintf("chain %s: %s", c.Relation, c.Text)
		r, ok := w.n.rels[c.Relation]
		if !ok {
			w.fail("%s: unknown relation type %s", what, c.Relation)
			continue
		}
		rel := c.Relation
		fs, err := w.n.chainFacts(c, false)
		if err != nil {
			w.fail("%s: %v", what, err)
			continue
		}
		d, dOn := pick(fs, c.Source, false)
		var inv []int
		invOn := false
		if r.Inverse != "" {
			ifs, _ := w.n.chainFacts(c, true)
			inv, invOn = pick(ifs, c.Source, false)
		}
		switch {
		case d != nil && (dOn || !invOn):
			take(d)
		case inv != nil:
			take(inv)
			rel = r.Inverse
		default:
			w.fail("%s: the network does not hold the facts it states", what)
			continue
		}
		b.WriteString("    - {relation: " + w.str(rel, what) + ", chain: " + w.str(c.Text, what) + "}\n")
	}
	for _, f := range w.n.Formulas {
		what := "formula " + f.Text
		var first *RelationType
		for _, r := range w.n.Relations {
			if r.Operator == f.Op {
				first = r
				break
			}
		}
		if first == nil || first.ID != f.Relation {
			w.fail("%s: its relation %s is not the first relation type of operator %q, which a file's formula would take", what, f.Relation, f.Op)
			continue
		}
		fs := make([]Fact, len(f.Operands))
		for i, o := range f.Operands {
			fs[i] = Fact{Subject: f.Result, Relation: f.Relation, Object: o, Kind: Declared}
		}
		is, _ := pick(fs, f.Source, true)
		if is == nil {
			w.fail("%s: the network does not hold the facts it states", what)
		}
		take(is)
	}
	wroteFacts := false
	for i, f := range w.n.Facts {
		if stated[i] {
			continue
		}
		what := fmt.Sprintf("fact %s %s %s", f.Subject, f.Relation, f.Object)
		switch f.Kind {
		case Declared, Measured:
		case Derived:
			w.fail("%s is derived: a file cannot declare a derived fact; export the facts it comes from", what)
			continue
		default:
			w.fail("%s has the unknown kind %q", what, f.Kind)
			continue
		}
		if !wroteFacts {
			b.WriteString("  facts:\n")
			wroteFacts = true
		}
		var fb strings.Builder
		field(&fb, "subject", w.str(f.Subject, what))
		field(&fb, "relation", w.str(f.Relation, what))
		field(&fb, "object", w.str(f.Object, what))
		if f.Equal {
			field(&fb, "equal", "true")
		}
		if f.Kind != Declared {
			field(&fb, "kind", f.Kind)
		}
		if f.Note != "" {
			field(&fb, "note", w.str(f.Note, what+" note"))
		}
		b.WriteString("    - {" + fb.String() + "}\n")
	}
	if len(w.n.Formulas) > 0 {
		b.WriteString("  formulas:\n")
		for _, f := range w.n.Formulas {
			b.WriteString("    - " + w.str(f.Text, "formula "+f.Text) + "\n")
		}
	}
	if b.Len() == 0 {
		return
	}
	h := w.header(KindFacts, `"facts"`, "")
	h.WriteString("spec:\n" + b.String())
	w.docs = append(w.docs, DocumentText{Kind: KindFacts, Name: "facts", YAML: h.String()})
}

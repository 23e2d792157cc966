package network

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-dev/strata/network/yamlpos"
)

// Document kinds.
const (
	KindDimension    = "Dimension"
	KindEntities     = "Entities"
	KindEntity       = "Entity"
	KindRelationType = "RelationType"
	KindFacts        = "Facts"
)

// Kinds returns the document kinds a network file may hold. Other packages add their own
// kinds (a Workload, a probe result) and load them through [Load]'s ExtraKinds option.
func Kinds() []string {
	return []string{KindDimension, KindEntities, KindEntity, KindRelationType, KindFacts}
}

func isNetworkKind(k string) bool {
	switch k {
	case KindDimension, KindEntities, KindEntity, KindRelationType, KindFacts:
		return true
	}
	return false
}

// decoder turns YAML nodes into declarations, collecting every problem.
type decoder struct {
	r yamlpos.Reader
}

func (d *decoder) add(pos Pos, code, hint, format string, args ...any) {
	d.r.Addf(pos, code, hint, format, args...)
}

// problems returns every problem so far, sorted.
func (d *decoder) problems() Problems { return d.r.Problems() }

// fields checks a mapping's keys against the allowed set and reports unknown ones with the
// nearest allowed key.
func (d *decoder) fields(n *yamlpos.Node, where string, allowed ...string) bool {
	return d.r.Fields(n, where, allowed...)
}

func (d *decoder) str(n *yamlpos.Node, where string) (string, Pos, bool) {
	if n == nil {
		return "", Pos{}, false
	}
	s, ok := d.r.String(n, where)
	return s, n.Pos(), ok
}

func (d *decoder) required(parent *yamlpos.Node, key, where string) (string, Pos, bool) {
	return d.r.Required(parent, key, where)
}

func (d *decoder) text(n *yamlpos.Node, where string) Text {
	if n == nil {
		return Text{}
	}
	if n.IsScalar() {
		s, _, _ := d.str(n, where)
		return Text{En: s}
	}
	if !d.fields(n, where, "en", "zh") {
		return Text{}
	}
	var t Text
	if v := n.Get("en"); v != nil {
		t.En, _, _ = d.str(v, where+".en")
	}
	if v := n.Get("zh"); v != nil {
		t.Zh, _, _ = d.str(v, where+".zh")
	}
	return t
}

func (d *decoder) strList(n *yamlpos.Node, where string) []string { return d.r.Strings(n, where) }

// The ...At readers take the path of the value as prefix and field, and join them only to
// report a problem: loading 50,000 entities then builds no path at all.

func (d *decoder) textAt(n *yamlpos.Node, prefix, field string) Text {
	if s, ok := stringValue(n); ok {
		return Text{En: s}
	}
	if n != nil && n.IsMap() && n.Len() <= 2 {
		var t Text
		good := true
		for i := range n.Len() {
			s, ok := stringValue(n.ValueAt(i))
			switch k := n.Key(i).Value(); {
			case !ok:
				good = false
			case k == "en":
				t.En = s
			case k == "zh":
				t.Zh = s
			default:
				good = false
			}
		}
		if good {
			return t
		}
	}
	if n == nil {
		return Text{}
	}
	return d.text(n, prefix+field)
}

func (d *decoder) strListAt(n *yamlpos.Node, prefix, field string) []string {
	if n == nil {
		return nil
	}
	if s, ok := stringValue(n); ok {
		return []string{s}
	}
	if n.IsList() {
		out := make([]string, 0, n.Len())
		for _, it := range n.Items() {
			s, ok := stringValue(it)
			if !ok {
				return d.strList(n, prefix+field)
			}
			out = append(out, s)
		}
		return out
	}
	return d.strList(n, prefix+field)
}

// stringValue is a scalar's value where a string is expected: any scalar but null.
func stringValue(n *yamlpos.Node) (string, bool) {
	if n != nil && n.IsScalar() && !n.IsNull() {
		return n.Value(), true
	}
	return "", false
}

func (d *decoder) boolean(n *yamlpos.Node, where string) bool { return d.r.Bool(n, where) }

// docHeader is what every document has.
type docHeader struct {
	kind    string
	name    string
	names   Text
	aliases []string
	desc    Text
	pos     Pos
	spec    *yamlpos.Node
}

func (d *decoder) header(n *yamlpos.Node, extraKinds []string) (docHeader, bool) {
	h := docHeader{pos: n.Pos()}
	if !n.IsMap() {
		d.add(n.Pos(), CodeSchema, "start each document with apiVersion, kind, metadata and spec", "a document must be a mapping, not %s", n.KindName())
		return h, false
	}
	d.fields(n, "document", "apiVersion", "kind", "metadata", "spec")
	av, avPos, ok := d.required(n, "apiVersion", "document")
	if ok && av != APIVersion {
		d.add(avPos, CodeSchema, "use apiVersion: "+APIVersion, "unsupported apiVersion %q", av)
	}
	kind, kindPos, ok := d.required(n, "kind", "document")
	if !ok {
		return h, false
	}
	all := append(Kinds(), extraKinds...)
	known := false
	for _, k := range all {
		if k == kind {
			known = true
		}
	}
	if !known {
		hint := didYouMean(kind, all)
		if hint == "" {
			hint = "known kinds: " + strings.Join(all, ", ")
		}
		d.add(kindPos, CodeUnknownKind, hint, "unknown kind %q", kind)
		return h, false
	}
	h.kind = kind
	md := n.Get("metadata")
	if md == nil {
		d.add(n.Pos(), CodeSchema, "add metadata: {name: …}", "document of kind %s needs metadata", kind)
		return h, false
	}
	if !d.fields(md, "metadata", "name", "names", "aliases", "description", "labels", "annotations") {
		return h, false
	}
	h.name, h.pos, ok = d.required(md, "name", "metadata")
	if !ok {
		return h, false
	}
	h.names = d.text(md.Get("names"), "metadata.names")
	h.aliases = d.strList(md.Get("aliases"), "metadata.aliases")
	h.desc = d.text(md.Get("description"), "metadata.description")
	h.spec = n.Get("spec")
	if h.spec == nil {
		d.add(n.Pos(), CodeSchema, "add spec: …", "document %s %q needs a spec", kind, h.name)
		return h, false
	}
	return h, true
}

// entityDecl is an entity as written, before ids are resolved.
type entityDecl struct {
	e         Entity
	merge     bool
	relations []relDecl
}

type relDecl struct {
	relation string
	relPos   Pos
	object   string
	objPos   Pos
}

var entityFields = []string{"id", "category", "names", "aliases", "description", "attributes", "relations", "merge"}

func (d *decoder) entity(n *yamlpos.Node, where, defaultCategory string, withID bool) (entityDecl, bool) {
	var ed entityDecl
	allowed := entityFields
	if !withID {
		allowed = entityFields[1:]
	}
	if !d.fields(n, where, allowed...) {
		return ed, false
	}
	ed.e.Source = n.Pos()
	if withID {
		id, p, ok := d.required(n, "id", where)
		if !ok {
			return ed, false
		}
		ed.e.ID, ed.e.Source = id, p
	}
	ed.e.Category = defaultCategory
	if c := n.Get("category"); c != nil {
		if s := d.category(c, where+".category"); s != "" {
			ed.e.Category = s
		}
	}
	ed.merge = d.boolean(n.Get("merge"), where+".merge")
	// An overlay (merge: true) extends an entity that already has its category.
	if ed.e.Category == "" && !ed.merge {
		d.add(n.Pos(), CodeSchema, "one of: "+strings.Join(Categories(), ", "), "%s needs a category", where)
	}
	ed.e.Names = d.textAt(n.Get("names"), where, ".names")
	ed.e.Aliases = d.strListAt(n.Get("aliases"), where, ".aliases")
	desc, attrs := n.Get("description"), n.Get("attributes")
	if k := attrs.Len(); desc != nil || k > 0 {
		ed.e.Attributes = make([]Attribute, 0, k+1) // every entity keeps its attributes: no slack
	}
	if desc != nil {
		ed.e.Attributes = append(ed.e.Attributes, Attribute{Name: "description", Type: TypeText, Text: d.text(desc, where+".description"), Source: desc.Pos()})
	}
	if attrs != nil {
		if !attrs.IsMap() {
			d.add(attrs.Pos(), CodeSchema, "", "%s.attributes must be a mapping of name: value", where)
		} else {
			for i := range attrs.Len() {
				name := attrs.Key(i).Value()
				if a, ok := d.attribute(name, attrs.ValueAt(i), where); ok {
					ed.e.Attributes = append(ed.e.Attributes, a)
				}
			}
		}
	}
	if rels := n.Get("relations"); rels != nil {
		if !rels.IsMap() {
			d.add(rels.Pos(), CodeSchema, "", "%s.relations must be a mapping of relation: [ids]", where)
		} else {
			for i := range rels.Len() {
				k, v := rels.Key(i), rels.ValueAt(i)
				rel := k.Value()
				objs := []*yamlpos.Node{v}
				if v.IsList() {
					objs = v.Items()
				}
				ed.relations = slices.Grow(ed.relations, len(objs))
				for _, o := range objs {
					if s, ok := stringValue(o); ok {
						ed.relations = append(ed.relations, relDecl{relation: rel, relPos: k.Pos(), object: s, objPos: o.Pos()})
					} else {
						d.str(o, where+".relations."+rel) // says what is wrong
					}
				}
			}
		}
	}
	return ed, true
}

// category reads an entity category and checks that it is one of [Categories]. An unknown
// category is reported and still returned, so that the entities using it are not reported
// again for having none.
func (d *decoder) category(n *yamlpos.Node, where string) string {
	s, p, ok := d.str(n, where)
	if ok && !isCategory(s) {
		d.add(p, CodeSchema, didYouMeanOr(s, Categories()), "unknown category %q", s)
	}
	return s
}

// attribute reads the attribute name of the entity at entity (its path, for messages).
func (d *decoder) attribute(name string, v *yamlpos.Node, entity string) (Attribute, bool) {
	a := Attribute{Name: name, Source: v.Pos()}
	where := func() string { return entity + ".attributes." + name } // for problems only
	switch {
	case v.IsList():
		a.Type, a.List = TypeList, d.strListAt(v, entity, ".attributes."+name)
	case v.IsMap():
		a.Type, a.Text = TypeText, d.textAt(v, entity, ".attributes."+name)
	default:
		s := v.Value()
		switch v.Tag() {
		case yamlpos.Int:
			i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
			if err != nil {
				d.add(v.Pos(), CodeSchema, "", "%s: %q is not a 64-bit integer", where(), s)
				return a, false
			}
			a.Type, a.Int = TypeInt, i
		case yamlpos.Float:
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				d.add(v.Pos(), CodeSchema, "", "%s: %q is not a finite number", where(), s)
				return a, false
			}
			a.Type, a.Float = TypeFloat, f
		case yamlpos.Bool:
			a.Type, a.Bool = TypeBool, s == "true"
		case yamlpos.Null:
			d.add(v.Pos(), CodeSchema, "give a value or remove the attribute", "%s has no value", where())
			return a, false
		default:
			a.Type, a.String = TypeString, s
		}
	}
	return a, true
}

var relationFields = []string{"symbol", "equivalence", "operator", "properties", "inverse", "greater", "less", "description"}

// Properties returns the relation properties a RelationType may declare.
func Properties() []string {
	return []string{"transitive", "symmetric", "reflexive", "irreflexive", "antisymmetric"}
}

func (d *decoder) relationType(h docHeader) (RelationType, bool) {
	r := RelationType{ID: h.name, Names: h.names, Description: h.desc, Source: h.pos}
	if !d.fields(h.spec, "RelationType spec", relationFields...) {
		return r, false
	}
	if v := h.spec.Get("symbol"); v != nil {
		s, p, _ := d.str(v, "spec.symbol")
		switch s {
		case ">", "→", "":
			r.Symbol = s
		case "->":
			r.Symbol = "→"
		case "<":
			d.add(p, CodeSchema, `declare symbol ">" and write chains with "<" freely: "<" reads as its mirror`, "symbol must be \">\" or \"→\"")
		default:
			d.add(p, CodeSchema, `use ">" for orders or "→" for flows`, "unknown symbol %q", s)
		}
	}
	if v := h.spec.Get("equivalence"); v != nil {
		s, p, ok := d.str(v, "spec.equivalence")
		if ok && s != "=" {
			d.add(p, CodeSchema, `the paired equivalence of an order is written "="`, "unknown equivalence symbol %q", s)
		}
		r.Equivalence = s
	}
	if v := h.spec.Get("operator"); v != nil {
		s, p, ok := d.str(v, "spec.operator")
		switch {
		case !ok:
		case s == "+":
			r.Operator = "+"
		case s == "×", s == "x", s == "*":
			r.Operator = "×"
		default:
			d.add(p, CodeSchema, `use "+" (all of) or "×" (product of)`, "unknown formula operator %q", s)
		}
	}
	if v := h.spec.Get("properties"); v != nil {
		for i, p := range d.strList(v, "spec.properties") {
			pos := v.Pos()
			if v.IsList() && i < v.Len() {
				pos = v.Items()[i].Pos()
			}
			switch p {
			case "transitive":
				r.Transitive = true
			case "symmetric":
				r.Symmetric = true
			case "reflexive":
				r.Reflexive = true
			case "irreflexive":
				r.Irreflexive = true
			case "antisymmetric":
				r.Antisymmetric = true
			default:
				d.add(pos, CodeSchema, didYouMeanOr(p, Properties()), "unknown relation property %q", p)
			}
		}
	}
	if v := h.spec.Get("description"); v != nil {
		r.Description = d.text(v, "spec.description") // overrides metadata.description
	}
	r.Inverse, _, _ = d.str(h.spec.Get("inverse"), "spec.inverse")
	r.Greater, _, _ = d.str(h.spec.Get("greater"), "spec.greater")
	r.Less, _, _ = d.str(h.spec.Get("less"), "spec.less")
	if r.Symmetric && r.Antisymmetric {
		d.add(h.pos, CodeProperty, "a relation cannot be both; drop one", "relation %s is declared both symmetric and antisymmetric", r.ID)
	}
	if r.Reflexive && r.Irreflexive {
		d.add(h.pos, CodeProperty, "a relation cannot be both; drop one", "relation %s is declared both reflexive and irreflexive", r.ID)
	}
	if r.Symbol != "" && !r.Transitive {
		d.add(h.pos, CodeProperty, "add transitive to properties, or drop the symbol", "relation %s has a chain symbol but is not transitive", r.ID)
	}
	if r.Equivalence != "" && r.Symbol == "" {
		d.add(h.pos, CodeProperty, `add symbol: ">"`, "relation %s has an equivalence but no strict symbol", r.ID)
	}
	return r, true
}

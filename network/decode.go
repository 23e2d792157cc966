package network

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Document kinds.
const (
	KindDimension    = "Dimension"
	KindEntities     = "Entities"
	KindEntity       = "Entity"
	KindRelationType = "RelationType"
	KindFacts        = "Facts"
)

// Kinds lists the document kinds a network file may hold. Other packages add their own
// kinds (a Workload, a probe result) and load them through [Load]'s ExtraKinds option.
var Kinds = []string{KindDimension, KindEntities, KindEntity, KindRelationType, KindFacts}

// decoder turns YAML nodes into declarations, collecting every problem.
type decoder struct {
	problemList
}

// fields checks a mapping's keys against the allowed set and reports unknown ones with the
// nearest allowed key.
func (d *decoder) fields(n *node, where string, allowed ...string) bool {
	if n == nil {
		return false
	}
	if n.kind != mapNode {
		d.add(n.pos, CodeSchema, "", "%s must be a mapping, not %s", where, n.kindName())
		return false
	}
	for _, k := range n.keys {
		ok := false
		for _, a := range allowed {
			if k.str == a {
				ok = true
				break
			}
		}
		if !ok {
			hint := didYouMean(k.str, allowed)
			if hint == "" {
				hint = "allowed: " + strings.Join(allowed, ", ")
			}
			d.add(k.pos, CodeUnknownField, hint, "unknown field %q in %s", k.str, where)
		}
	}
	return true
}

func (d *decoder) str(n *node, where string) (string, Pos, bool) {
	if n == nil {
		return "", Pos{}, false
	}
	if n.kind != scalarNode || n.tag == "null" {
		d.add(n.pos, CodeSchema, "", "%s must be a string, not %s", where, n.kindName())
		return "", n.pos, false
	}
	return n.str, n.pos, true
}

func (d *decoder) required(parent *node, key, where string) (string, Pos, bool) {
	v := parent.get(key)
	if v == nil {
		d.add(parent.pos, CodeSchema, "add "+key+": …", "%s needs %q", where, key)
		return "", parent.pos, false
	}
	s, p, ok := d.str(v, where+"."+key)
	if ok && strings.TrimSpace(s) == "" {
		d.add(p, CodeSchema, "", "%s.%s must not be empty", where, key)
		return "", p, false
	}
	return s, p, ok
}

func (d *decoder) text(n *node, where string) Text {
	if n == nil {
		return Text{}
	}
	if n.kind == scalarNode {
		s, _, _ := d.str(n, where)
		return Text{En: s}
	}
	if !d.fields(n, where, "en", "zh") {
		return Text{}
	}
	var t Text
	if v := n.get("en"); v != nil {
		t.En, _, _ = d.str(v, where+".en")
	}
	if v := n.get("zh"); v != nil {
		t.Zh, _, _ = d.str(v, where+".zh")
	}
	return t
}

func (d *decoder) strList(n *node, where string) []string {
	if n == nil {
		return nil
	}
	if n.kind == scalarNode && n.tag != "null" {
		return []string{n.str}
	}
	if n.kind != seqNode {
		d.add(n.pos, CodeSchema, "", "%s must be a list of strings, not %s", where, n.kindName())
		return nil
	}
	out := make([]string, 0, len(n.items))
	for i, it := range n.items {
		if s, _, ok := d.str(it, fmt.Sprintf("%s[%d]", where, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

func (d *decoder) boolean(n *node, where string) bool {
	if n == nil {
		return false
	}
	if n.kind != scalarNode || n.tag != "bool" {
		d.add(n.pos, CodeSchema, "write true or false", "%s must be true or false", where)
		return false
	}
	return n.str == "true"
}

// docHeader is what every document has.
type docHeader struct {
	kind    string
	name    string
	names   Text
	aliases []string
	desc    Text
	pos     Pos
	spec    *node
}

func (d *decoder) header(n *node, extraKinds []string) (docHeader, bool) {
	h := docHeader{pos: n.pos}
	if n.kind != mapNode {
		d.add(n.pos, CodeSchema, "start each document with apiVersion, kind, metadata and spec", "a document must be a mapping, not %s", n.kindName())
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
	all := append(append([]string{}, Kinds...), extraKinds...)
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
	md := n.get("metadata")
	if md == nil {
		d.add(n.pos, CodeSchema, "add metadata: {name: …}", "document of kind %s needs metadata", kind)
		return h, false
	}
	if !d.fields(md, "metadata", "name", "names", "aliases", "description", "labels", "annotations") {
		return h, false
	}
	h.name, h.pos, ok = d.required(md, "name", "metadata")
	if !ok {
		return h, false
	}
	h.names = d.text(md.get("names"), "metadata.names")
	h.aliases = d.strList(md.get("aliases"), "metadata.aliases")
	h.desc = d.text(md.get("description"), "metadata.description")
	h.spec = n.get("spec")
	if h.spec == nil {
		d.add(n.pos, CodeSchema, "add spec: …", "document %s %q needs a spec", kind, h.name)
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

func (d *decoder) entity(n *node, where, defaultCategory string, withID bool) (entityDecl, bool) {
	var ed entityDecl
	allowed := entityFields
	if !withID {
		allowed = entityFields[1:]
	}
	if !d.fields(n, where, allowed...) {
		return ed, false
	}
	ed.e.Source = n.pos
	if withID {
		id, p, ok := d.required(n, "id", where)
		if !ok {
			return ed, false
		}
		ed.e.ID, ed.e.Source = id, p
	}
	ed.e.Category = defaultCategory
	if c := n.get("category"); c != nil {
		if s := d.category(c, where+".category"); s != "" {
			ed.e.Category = s
		}
	}
	ed.merge = d.boolean(n.get("merge"), where+".merge")
	// An overlay (merge: true) extends an entity that already has its category.
	if ed.e.Category == "" && !ed.merge {
		d.add(n.pos, CodeSchema, "one of: "+strings.Join(Categories, ", "), "%s needs a category", where)
	}
	ed.e.Names = d.text(n.get("names"), where+".names")
	ed.e.Aliases = d.strList(n.get("aliases"), where+".aliases")
	if desc := n.get("description"); desc != nil {
		ed.e.Attributes = append(ed.e.Attributes, Attribute{Name: "description", Type: TypeText, Text: d.text(desc, where+".description"), Source: desc.pos})
	}
	if attrs := n.get("attributes"); attrs != nil {
		if attrs.kind != mapNode {
			d.add(attrs.pos, CodeSchema, "", "%s.attributes must be a mapping of name: value", where)
		} else {
			for i, k := range attrs.keys {
				if a, ok := d.attribute(k.str, attrs.items[i], where+".attributes."+k.str); ok {
					ed.e.Attributes = append(ed.e.Attributes, a)
				}
			}
		}
	}
	if rels := n.get("relations"); rels != nil {
		if rels.kind != mapNode {
			d.add(rels.pos, CodeSchema, "", "%s.relations must be a mapping of relation: [ids]", where)
		} else {
			for i, k := range rels.keys {
				v := rels.items[i]
				objs := []*node{v}
				if v.kind == seqNode {
					objs = v.items
				}
				for _, o := range objs {
					if s, p, ok := d.str(o, where+".relations."+k.str); ok {
						ed.relations = append(ed.relations, relDecl{relation: k.str, relPos: k.pos, object: s, objPos: p})
					}
				}
			}
		}
	}
	return ed, true
}

// category reads an entity category and checks that it is one of Categories. An unknown
// category is reported and still returned, so that the entities using it are not reported
// again for having none.
func (d *decoder) category(n *node, where string) string {
	s, p, ok := d.str(n, where)
	if ok && !contains(Categories, s) {
		d.add(p, CodeSchema, didYouMeanOr(s, Categories), "unknown category %q", s)
	}
	return s
}

func (d *decoder) attribute(name string, v *node, where string) (Attribute, bool) {
	a := Attribute{Name: name, Source: v.pos}
	switch v.kind {
	case seqNode:
		a.Type, a.List = TypeList, d.strList(v, where)
	case mapNode:
		a.Type, a.Text = TypeText, d.text(v, where)
	default:
		switch v.tag {
		case "int":
			i, err := strconv.ParseInt(strings.ReplaceAll(v.str, "_", ""), 0, 64)
			if err != nil {
				d.add(v.pos, CodeSchema, "", "%s: %q is not a 64-bit integer", where, v.str)
				return a, false
			}
			a.Type, a.Int = TypeInt, i
		case "float":
			f, err := strconv.ParseFloat(v.str, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				d.add(v.pos, CodeSchema, "", "%s: %q is not a finite number", where, v.str)
				return a, false
			}
			a.Type, a.Float = TypeFloat, f
		case "bool":
			a.Type, a.Bool = TypeBool, v.str == "true"
		case "null":
			d.add(v.pos, CodeSchema, "give a value or remove the attribute", "%s has no value", where)
			return a, false
		default:
			a.Type, a.String = TypeString, v.str
		}
	}
	return a, true
}

var relationFields = []string{"symbol", "equivalence", "operator", "properties", "inverse", "greater", "less", "description"}

// Relation properties a RelationType may declare.
var Properties = []string{"transitive", "symmetric", "reflexive", "irreflexive", "antisymmetric"}

func (d *decoder) relationType(h docHeader) (RelationType, bool) {
	r := RelationType{ID: h.name, Names: h.names, Description: h.desc, Source: h.pos}
	if !d.fields(h.spec, "RelationType spec", relationFields...) {
		return r, false
	}
	if v := h.spec.get("symbol"); v != nil {
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
	if v := h.spec.get("equivalence"); v != nil {
		s, p, ok := d.str(v, "spec.equivalence")
		if ok && s != "=" {
			d.add(p, CodeSchema, `the paired equivalence of an order is written "="`, "unknown equivalence symbol %q", s)
		}
		r.Equivalence = s
	}
	if v := h.spec.get("operator"); v != nil {
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
	if v := h.spec.get("properties"); v != nil {
		for i, p := range d.strList(v, "spec.properties") {
			pos := v.pos
			if v.kind == seqNode && i < len(v.items) {
				pos = v.items[i].pos
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
				d.add(pos, CodeSchema, didYouMeanOr(p, Properties), "unknown relation property %q", p)
			}
		}
	}
	if v := h.spec.get("description"); v != nil {
		r.Description = d.text(v, "spec.description") // overrides metadata.description
	}
	r.Inverse, _, _ = d.str(h.spec.get("inverse"), "spec.inverse")
	r.Greater, _, _ = d.str(h.spec.get("greater"), "spec.greater")
	r.Less, _, _ = d.str(h.spec.get("less"), "spec.less")
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func didYouMeanOr(s string, list []string) string {
	if h := didYouMean(s, list); h != "" {
		return h
	}
	l := append([]string{}, list...)
	sort.Strings(l)
	return "one of: " + strings.Join(l, ", ")
}

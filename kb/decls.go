package kb

import (
	"slices"
	"strconv"
	"strings"

	"github.com/strata-dev/strata/network"
)

// decls is what emit writes for a document, as values for network.LoadDecls instead of
// YAML for network.Load: the same declarations at the positions the loader would report
// for emit's YAML once mapped back to the Markdown (posMap: a value is at the last
// position marked on its line at or before it). It is false for what only the YAML
// says exactly — relation types of --new-relations, yaml code blocks, a dimension
// without values, an unknown category, a declaration without a position — and then the
// import is loaded from its YAML.
func decls(o *docOut) (*network.Decls, bool) {
	if len(o.rels) > 0 || len(o.src.embedded) > 0 {
		return nil, false
	}
	d := &network.Decls{}
	for _, do := range o.dims {
		dd := do.d
		if dd.pos.Line == 0 || strings.TrimSpace(dd.id) == "" || len(do.values) == 0 {
			return nil, false
		}
		cat := network.CategoryValue
		if dd.axis != "" {
			cat = network.CategoryAxisPoint
		}
		if dd.category != network.CategoryValue && dd.category != "" && !(dd.axis != "" && dd.category == network.CategoryAxisPoint) {
			if !isCategory(dd.category) {
				return nil, false
			}
			cat = dd.category
		}
		dim := network.DeclDimension{Category: cat, Dimension: network.Dimension{ID: dd.id, Names: dd.names,
			Definition: dd.definition, Axis: dd.axis, Source: dd.pos}}
		if len(dd.columns) > 0 {
			dim.Dimension.Columns = dedupe(dd.columns)
		}
		dim.Values = make([]network.DeclEntity, 0, len(do.values))
		for _, v := range do.values {
			e, ok := declEntity(v, false)
			if !ok {
				return nil, false
			}
			dim.Values = append(dim.Values, e)
		}
		d.Dimensions = append(d.Dimensions, dim)
	}
	d.Entities = make([]network.DeclEntity, 0, len(o.entities))
	for _, eo := range o.entities {
		e, ok := declEntity(eo, true)
		if !ok {
			return nil, false
		}
		d.Entities = append(d.Entities, e)
	}
	d.Chains = make([]network.DeclChain, 0, len(o.chains))
	for _, c := range o.chains {
		if c.pos.Line == 0 {
			return nil, false
		}
		if !chainSafe(c.terms) {
			for i, op := range c.ops {
				p := c.termPos[i]
				if p.Line == 0 {
					return nil, false
				}
				s, ob := c.terms[i], c.terms[i+1]
				if op == "<" {
					s, ob = ob, s
				}
				d.Facts = append(d.Facts, network.DeclFact{Subject: s.id, Relation: c.relation, Object: ob.id,
					SubjectPos: p, RelationPos: p, ObjectPos: p, Equal: op == "="})
			}
			continue
		}
		var text strings.Builder
		text.Grow(8 * len(c.terms))
		verbatim := true
		for i, t := range c.terms {
			if i > 0 {
				text.WriteByte(' ')
				text.WriteString(c.ops[i-1])
				text.WriteByte(' ')
			}
			s, quoted := termText(t.id)
			verbatim = verbatim && !quoted
			text.WriteString(s)
		}
		dc := network.DeclChain{Relation: c.relation, RelationPos: c.pos, Text: text.String(), Source: c.pos}
		if verbatim {
			dc.TermPos = marked(c.pos, c.termPos)
		}
		d.Chains = append(d.Chains, dc)
	}
	for _, f := range o.formulas {
		if f.pos.Line == 0 {
			return nil, false
		}
		res, quoted := termText(f.result.id)
		verbatim := !quoted
		text := res + " ="
		for i, op := range f.operands {
			if i > 0 {
				text += " " + f.op
			}
			s, quoted := termText(op.id)
			verbatim = verbatim && !quoted
			text += " " + s
		}
		df := network.DeclFormula{Text: text, Source: f.pos, ResultPos: f.pos}
		if verbatim {
			at := marked(f.pos, append([]network.Pos{f.resPos}, f.opPos...))
			df.ResultPos, df.OperandPos = at[0], at[1:]
		} else {
			df.OperandPos = make([]network.Pos, len(f.operands))
			for i := range df.OperandPos {
				df.OperandPos[i] = f.pos
			}
		}
		d.Formulas = append(d.Formulas, df)
	}
	return d, true
}

// marked is the positions of things written one after another on a line that starts at
// start, each marked with its own position: one without a position is at the last
// position marked before it.
func marked(start network.Pos, ps []network.Pos) []network.Pos {
	out := make([]network.Pos, len(ps))
	cur := start
	for i, p := range ps {
		if p.Line != 0 {
			cur = p
		}
		out[i] = cur
	}
	return out
}

// termText is an id as a chain or formula term is read (chainTerm's text once the YAML
// scalar holding it is read), and whether it is quoted.
func termText(id string) (string, bool) {
	if plainTerm(id) {
		return id, false
	}
	if s := chainTerm(id); s != id {
		return `"` + id + `"`, true
	}
	return id, false
}

// declEntity is entityLine's entity as a value.
func declEntity(o *entityOut, withCategory bool) (network.DeclEntity, bool) {
	e := o.e
	if o.pos.Line == 0 || strings.TrimSpace(e.id) == "" {
		return network.DeclEntity{}, false
	}
	d := network.DeclEntity{Merge: o.merge, Entity: network.Entity{ID: e.id, Names: o.names, Source: o.pos}}
	if !o.merge && withCategory {
		if !isCategory(e.category) {
			return d, false
		}
		d.Entity.Category = e.category
	}
	if len(o.aliases) > 0 {
		d.Entity.Aliases = slices.Clone(o.aliases)
	}
	cur := o.pos // the position marked last on the line
	if len(o.attrs) > 0 {
		d.Entity.Attributes = make([]network.Attribute, 0, len(o.attrs))
		seen := map[string]bool{}
		for _, a := range o.attrs {
			name := a.name
			for i := 2; seen[name]; i++ {
				name = a.name + "-" + strconv.Itoa(i)
			}
			seen[name] = true
			if a.pos.Line != 0 {
				cur = a.pos
			}
			at := network.Attribute{Name: name, Source: cur}
			if a.isNum {
				at.Type, at.Int = network.TypeInt, a.num
			} else {
				at.Type, at.Text = network.TypeText, a.text
			}
			d.Entity.Attributes = append(d.Entity.Attributes, at)
		}
	}
	for _, r := range o.rels {
		for _, x := range r.objects {
			d.Relations = append(d.Relations, network.DeclRelation{Relation: r.relation, RelationPos: cur, Object: x.id, ObjectPos: cur})
		}
	}
	return d, true
}

var categories = network.Categories()

func isCategory(c string) bool { return slices.Contains(categories, c) }

// plainTerm reports quickly that chainTerm writes id as it is: it has no operator and
// no x (most ids are letters and digits).
func plainTerm(id string) bool {
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 0x80, c == '=', c == '<', c == '>', c == '+', c == '*', c == 'x', c == 'X', c == '-':
			return false
		}
	}
	return true
}

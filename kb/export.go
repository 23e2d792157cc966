package kb

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/strata-dev/strata/network"
)

// WriteMarkdown writes the network as a Markdown document in the shapes of the seed:
// tables of relation types (their names and how they read, then their comparatives and
// descriptions); per dimension a heading, its definition line and a table (the id in
// bold, names, aliases, a column per attribute named by it, and a column per relation
// whose facts the row's entity states, such as its representative technologies); a
// table of the other entities per category; the chains as "relation: a > b = c" lines,
// the other facts as a table and the formulas as lines. No table is wider than
// maxColumns: the attributes that do not fit are written as a list (entity, attribute,
// type, value) below their table. Cells and chain labels name entities and relation
// types by their names where a name finds the one meant (else by id). Each table and
// block follows an HTML comment "<!-- strata:table {…} -->" that says what its columns
// hold and which id each name written stands for, so that a [Reader] reads it exactly
// (see mdexact.go for how cells are written): reading the document with no base network
// (strata import --no-default) gives the network again, and writing that gives the same
// document. What a line of a code block cannot hold (a chain's text with a line break, a
// relation id with a colon and no name that can stand for it) is written as network
// documents in a yaml code block instead, after a comment that says why.
//
// What network documents cannot carry is an error naming it, and nothing is written.
func WriteMarkdown(w io.Writer, n *network.Network) error {
	docs, err := network.Documents(n)
	if err != nil {
		return err
	}
	mw := &mdWriter{n: n, rels: map[string]*network.RelationType{}, labels: map[string]string{}}
	for _, r := range n.Relations {
		mw.rels[r.ID] = r
	}
	// The facts, as the network's writer wrote them: which are stated by chains and
	// formulas, which by themselves.
	var facts *factsDoc
	for _, d := range docs {
		if d.Kind == network.KindFacts {
			facts = &factsDoc{}
			if err := yaml.Unmarshal([]byte(d.YAML), facts); err != nil {
				return fmt.Errorf("reading back the facts document: %w", err)
			}
			if why := facts.unwritable(mw); why != "" {
				mw.factsYAML = why
			} else {
				mw.cellFacts(facts)
			}
		}
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# strata network")
	fmt.Fprintf(bw, "\n%d entities, %d dimensions, %d relation types, %d facts. Written by strata export; `strata import` reads each table and block back by the strata:table comment before it.\n",
		len(n.Entities), len(n.Dimensions), len(n.Relations), len(n.Facts))
	for _, d := range docs {
		switch d.Kind {
		case network.KindRelationType:
			fmt.Fprintln(bw, "\n## Relation types")
			mw.relations(bw)
		case network.KindDimension:
			dim, ok := n.Dimension(d.Name)
			if !ok || dim.ID != d.Name {
				return fmt.Errorf("dimension %s: not found again", d.Name)
			}
			mw.dimension(bw, dim)
		case network.KindEntities:
			fmt.Fprintln(bw, "\n## Entities")
			// a table per category, in the order the categories first occur
			var cats []string
			byCat := map[string][]*network.Entity{}
			for _, e := range n.Entities {
				if e.Dimension == "" {
					if _, ok := byCat[e.Category]; !ok {
						cats = append(cats, e.Category)
					}
					byCat[e.Category] = append(byCat[e.Category], e)
				}
			}
			if len(cats) == 0 {
				mw.entityTable(bw, strataMark{Kind: "entities"}, nil)
			}
			for _, c := range cats {
				if len(cats) > 1 {
					fmt.Fprintf(bw, "\n### %s\n", heading(c))
				}
				mw.entityTable(bw, strataMark{Kind: "entities"}, byCat[c])
			}
		case network.KindFacts:
			fmt.Fprintln(bw, "\n## Facts")
			if mw.factsYAML != "" {
				fmt.Fprintf(bw, "\n<!-- strata: these facts are network documents: %s -->\n", mw.factsYAML)
				fmt.Fprintf(bw, "\n```yaml\n%s```\n", d.YAML)
				continue
			}
			mw.facts(bw, facts)
		}
	}
	return bw.Flush()
}

// factsDoc is the Facts document the network's writer writes.
type factsDoc struct {
	Spec struct {
		Chains []struct {
			Relation string `yaml:"relation"`
			Chain    string `yaml:"chain"`
		} `yaml:"chains"`
		Facts    []factRec `yaml:"facts"`
		Formulas []string  `yaml:"formulas"`
	} `yaml:"spec"`
}

type factRec struct {
	Subject  string `yaml:"subject"`
	Relation string `yaml:"relation"`
	Object   string `yaml:"object"`
	Equal    bool   `yaml:"equal"`
	Kind     string `yaml:"kind"`
	Note     string `yaml:"note"`
}

// unwritable says why the facts cannot be written as lines and a table, or "".
func (f *factsDoc) unwritable(mw *mdWriter) string {
	for _, c := range f.Spec.Chains {
		if !relLabelOK(mw.relLabel(c.Relation, true)) {
			return fmt.Sprintf("the relation id %q cannot stand before a chain's colon", c.Relation)
		}
		if !chainLineOK(c.Chain) {
			return fmt.Sprintf("the chain %q cannot be one line of a code block", c.Chain)
		}
	}
	for _, s := range f.Spec.Formulas {
		if !chainLineOK(s) {
			return fmt.Sprintf("the formula %q cannot be one line of a code block", s)
		}
	}
	return ""
}

type mdWriter struct {
	n         *network.Network
	rels      map[string]*network.RelationType
	labels    map[string]string // entityLabel's answers, by id
	factsYAML string            // why the facts are written as network documents
	// inCells are the facts written in their subject's row, by subject: relation ids in
	// order, and per relation the objects
	inCells map[string]*rowFacts
	rest    []factRec // the facts written in the table of facts
}

type rowFacts struct {
	rels    []string
	objects map[string][]string
}

// cellFacts picks the facts a row's relation cell states: declared, not equal, without
// a note, of a relation that has no chain symbol or operator, about an entity a table
// writes.
func (mw *mdWriter) cellFacts(f *factsDoc) {
	mw.inCells = map[string]*rowFacts{}
	for _, fr := range f.Spec.Facts {
		r, ok := mw.rels[fr.Relation]
		_, isEntity := mw.n.Entity(fr.Subject)
		if !ok || r.Symbol != "" || r.Operator != "" || fr.Equal || fr.Note != "" || fr.Kind != "" && fr.Kind != network.Declared || !isEntity {
			mw.rest = append(mw.rest, fr)
			continue
		}
		// a technology that represents a dimension's value is written in the value's
		// row, under the relation's inverse ("represented-by")
		row, key, other := fr.Subject, "rel\x00"+fr.Relation, fr.Object
		if o, ok := mw.n.Entity(fr.Object); ok && o.Dimension != "" && r.Inverse != "" {
			if s, _ := mw.n.Entity(fr.Subject); s.Dimension == "" {
				row, key, other = fr.Object, "inv\x00"+fr.Relation, fr.Subject
			}
		}
		rf := mw.inCells[row]
		if rf == nil {
			rf = &rowFacts{objects: map[string][]string{}}
			mw.inCells[row] = rf
		}
		if _, ok := rf.objects[key]; !ok {
			rf.rels = append(rf.rels, key)
		}
		rf.objects[key] = append(rf.objects[key], other)
	}
}

// heading is text for a heading or a label: escaped, on one line.
func heading(s string) string {
	return strings.ReplaceAll(cellEscape(s, false), "<br>", " ")
}

func (mw *mdWriter) writeTable(bw *bufio.Writer, m strataMark, headers []string, rows [][]string) {
	fmt.Fprintf(bw, "\n%s\n\n", markComment(m))
	hs := make([]string, len(headers))
	dash := make([]string, len(headers))
	for i, h := range headers {
		hs[i] = heading(h)
		dash[i] = "---"
	}
	fmt.Fprintln(bw, tableRow(hs))
	fmt.Fprintln(bw, tableRow(dash))
	for _, r := range rows {
		fmt.Fprintln(bw, tableRow(r))
	}
}

func cellOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return cellEscape(s, false)
}

// relations writes the relation types as two tables, each row led by its id: their
// names and how they read (symbol, equivalence, operator, properties, inverse), then
// their comparatives and descriptions; a column no row fills is left out, and so is a row
// of the second table with nothing to say.
func (mw *mdWriter) relations(bw *bufio.Writer) {
	type col struct {
		f, header string
		cell      func(r *network.RelationType) string
	}
	groups := [][]col{{
		{"name.en", "Name", func(r *network.RelationType) string { return cellOrEmpty(r.Names.En) }},
		{"name.zh", "名称", func(r *network.RelationType) string { return cellOrEmpty(r.Names.Zh) }},
		{"symbol", "Symbol", func(r *network.RelationType) string { return cellOrEmpty(r.Symbol) }},
		{"equivalence", "Equivalence", func(r *network.RelationType) string { return cellOrEmpty(r.Equivalence) }},
		{"operator", "Operator", func(r *network.RelationType) string { return cellOrEmpty(r.Operator) }},
		{"properties", "Properties", func(r *network.RelationType) string {
			if props := r.Properties(); len(props) > 0 {
				return listEscape(props)
			}
			return ""
		}},
		{"inverse", "Inverse", func(r *network.RelationType) string { return cellOrEmpty(r.Inverse) }},
	}, {
		{"greater", "Greater", func(r *network.RelationType) string { return cellOrEmpty(r.Greater) }},
		{"less", "Less", func(r *network.RelationType) string { return cellOrEmpty(r.Less) }},
		{"description.en", "Description", func(r *network.RelationType) string { return cellOrEmpty(r.Description.En) }},
		{"description.zh", "描述", func(r *network.RelationType) string { return cellOrEmpty(r.Description.Zh) }},
	}}
	for gi, g := range groups {
		var used []col
		for _, c := range g {
			for _, r := range mw.n.Relations {
				if c.cell(r) != "" {
					used = append(used, c)
					break
				}
			}
		}
		if gi > 0 && len(used) == 0 {
			continue
		}
		cols := []colSpec{{F: "id"}}
		headers := []string{"ID"}
		for _, c := range used {
			cols, headers = append(cols, colSpec{F: c.f}), append(headers, c.header)
		}
		var rows [][]string
		for _, r := range mw.n.Relations {
			row := []string{"**" + cellEscape(r.ID, false) + "**"}
			filled := false
			for _, c := range used {
				v := c.cell(r)
				filled = filled || v != ""
				row = append(row, v)
			}
			if gi == 0 || filled {
				rows = append(rows, row)
			}
		}
		if gi > 0 {
			fmt.Fprint(bw, "\n**Comparatives and descriptions**:\n")
		}
		mw.writeTable(bw, strataMark{Kind: "relations", Cols: cols}, headers, rows)
	}
}

// dimTitle is a dimension's heading as the export writes it: its names, else its id.
func dimTitle(names network.Text, id string) string {
	title := names.En
	switch {
	case title == "":
		title = names.Zh
	case names.Zh != "":
		title += " · " + names.Zh
	}
	if title == "" {
		title = id
	}
	return heading(title)
}

// dimDefinitions are a dimension's definition lines' texts as the export writes them.
func dimDefinitions(def network.Text) []string {
	var out []string
	if def.En != "" {
		out = append(out, heading(def.En))
	}
	if def.Zh != "" {
		out = append(out, heading(def.Zh))
	}
	return out
}

func (mw *mdWriter) dimension(bw *bufio.Writer, d *network.Dimension) {
	fmt.Fprintf(bw, "\n## %s\n", dimTitle(d.Names, d.ID))
	if d.Definition.En != "" {
		fmt.Fprintf(bw, "\n**Definition**: %s\n", heading(d.Definition.En))
	}
	if d.Definition.Zh != "" {
		fmt.Fprintf(bw, "\n**维度定义**：%s\n", heading(d.Definition.Zh))
	}
	es := make([]*network.Entity, 0, len(d.Values))
	for _, id := range d.Values {
		e, _ := mw.n.Entity(id)
		es = append(es, e)
	}
	meta := &dimMeta{ID: d.ID, Names: d.Names, Aliases: d.Aliases, Definition: d.Definition, Axis: d.Axis, Columns: d.Columns}
	mw.entityTable(bw, strataMark{Kind: "dimension", Dim: meta}, es)
}

// maxColumns is the most columns an entity table is written with: past it, the rows'
// attributes are written as a list (a table of entity, attribute, type and value) below
// the table instead of a column each.
const maxColumns = 8

// entityLabel is how a cell names an entity: its name where the name finds it and no
// other entity (as import resolves names: not another's id, name or alias), else its id.
// A name written is recorded in refs, so that the exact reader reads the id back.
func (mw *mdWriter) entityLabel(id string, refs map[string]string) string {
	name, ok := mw.labels[id]
	if !ok {
		name = id
		if e, ok := mw.n.Entity(id); ok && e.Names.String() != "" && e.Names.String() != id {
			// Resolve's error for an ambiguous name costs a pass over every name: once
			// per entity
			if r, err := mw.n.Resolve(e.Names.String()); err == nil && r.ID == id {
				name = e.Names.String()
			}
		}
		mw.labels[id] = name
	}
	if name != id {
		refs[name] = id
	}
	return name
}

// relLabel is how a chain label or a cell names a relation type: its name where the name
// finds it and no other relation type, and not as its inverse, else its id; a chain label
// must also stand before the chain's colon.
func (mw *mdWriter) relLabel(id string, chain bool) string {
	r, ok := mw.rels[id]
	if !ok {
		return id
	}
	name := r.Names.String()
	if name == "" || name == id || chain && !relLabelOK(name) || strings.EqualFold(name, r.Inverse) {
		return id
	}
	if rr, ok := mw.n.Relation(name); !ok || rr.ID != id {
		return id
	}
	return name
}

// relRef is relLabel, recording a name written in rels.
func (mw *mdWriter) relRef(id string, chain bool, rels map[string]string) string {
	l := mw.relLabel(id, chain)
	if l != id {
		rels[l] = id
	}
	return l
}

// entityTable writes entities as a table: the id in bold, a category column only when
// the rows differ in it, names, aliases, a column per attribute name and type, a column
// per relation of the facts the rows state, and the attributes' order where a row's
// differs from the columns'. Where that is more than maxColumns columns, the attributes
// are written as a list below the table instead (see attributeList).
func (mw *mdWriter) entityTable(bw *bufio.Writer, m strataMark, es []*network.Entity) {
	cats := map[string]bool{}
	hasEn, hasZh, hasAliases := false, false, false
	var attrCols []colSpec
	var relCols []string
	for _, e := range es {
		cats[e.Category] = true
		hasEn = hasEn || e.Names.En != ""
		hasZh = hasZh || e.Names.Zh != ""
		hasAliases = hasAliases || len(e.Aliases) > 0
		for _, a := range e.Attributes {
			ts := []string{a.Type}
			if a.Type == network.TypeText {
				ts = []string{"text.en", "text.zh"}
			}
			for _, t := range ts {
				if c := (colSpec{F: "attr", N: a.Name, T: t}); !slices.Contains(attrCols, c) {
					attrCols = append(attrCols, c)
				}
			}
		}
		if rf := mw.inCells[e.ID]; rf != nil {
			for _, r := range rf.rels {
				if !slices.Contains(relCols, r) {
					relCols = append(relCols, r)
				}
			}
		}
	}
	cols := []colSpec{{F: "id"}}
	headers := []string{"ID"}
	if len(cats) == 1 {
		for c := range cats {
			m.Category = c
		}
	} else {
		cols, headers = append(cols, colSpec{F: "category"}), append(headers, "Category")
	}
	if m.Kind == "entities" && len(es) == 0 {
		m.Category = ""
	}
	if hasEn {
		cols, headers = append(cols, colSpec{F: "name.en"}), append(headers, "Name")
	}
	if hasZh {
		cols, headers = append(cols, colSpec{F: "name.zh"}), append(headers, "名称")
	}
	if hasAliases {
		cols, headers = append(cols, colSpec{F: "aliases"}), append(headers, "Aliases")
	}
	// the attributes' order: the columns', unless a row's differs
	colOf := func(a network.Attribute) int {
		t := a.Type
		if t == network.TypeText {
			t = "text.en"
		}
		return slices.Index(attrCols, colSpec{F: "attr", N: a.Name, T: t})
	}
	inOrder := func(e *network.Entity) bool {
		return slices.IsSortedFunc(e.Attributes, func(a, b network.Attribute) int { return colOf(a) - colOf(b) })
	}
	needOrder := false
	for _, e := range es {
		needOrder = needOrder || !inOrder(e)
	}
	// too wide: the attributes most rows hold stay columns while they fit, where each
	// row's attributes are then in the columns' order followed by the others; the rest
	// are written as a list below the table
	var listed []colSpec
	if width := len(cols) + len(attrCols) + len(relCols); width > maxColumns || needOrder && width+1 > maxColumns {
		attrCols, listed = mw.splitAttrs(es, attrCols, maxColumns-len(cols)-len(relCols)), attrCols
		needOrder = false
	}
	asList := len(listed) > 0
	// an attribute's header is its name, with its type where two columns share the name
	types := map[string]int{}
	for _, c := range attrCols {
		if c.T != "text.zh" {
			types[c.N]++
		}
	}
	for _, c := range attrCols {
		h := c.N
		switch {
		case c.T == "text.zh":
			h += " (中文)"
		case types[c.N] > 1:
			h += " (" + strings.TrimSuffix(c.T, ".en") + ")"
		}
		cols, headers = append(cols, c), append(headers, h)
	}
	refs := map[string]string{}
	for _, k := range relCols {
		f, r, _ := strings.Cut(k, "\x00")
		h := r
		if rt := mw.rels[r]; f == "inv" {
			h = rt.Inverse
		} else if rt.Names.String() != "" {
			h = rt.Names.String()
		}
		cols, headers = append(cols, colSpec{F: f, N: r}), append(headers, h)
	}
	if needOrder {
		cols, headers = append(cols, colSpec{F: "order"}), append(headers, "Attribute order")
	}
	m.Cols = cols
	rows := make([][]string, 0, len(es))
	for _, e := range es {
		row := make([]string, len(cols))
		for i, c := range cols {
			switch c.F {
			case "id":
				row[i] = "**" + cellEscape(e.ID, false) + "**"
			case "category":
				row[i] = cellEscape(e.Category, false)
			case "name.en":
				row[i] = cellOrEmpty(e.Names.En)
			case "name.zh":
				row[i] = cellOrEmpty(e.Names.Zh)
			case "aliases":
				if len(e.Aliases) > 0 {
					row[i] = listEscape(e.Aliases)
				}
			case "attr":
				a, ok := e.Attr(c.N)
				if !ok || a.Type != c.T && !(a.Type == network.TypeText && strings.HasPrefix(c.T, "text.")) {
					continue
				}
				row[i] = attrCell(a, c.T)
			case "rel", "inv":
				if rf := mw.inCells[e.ID]; rf != nil && len(rf.objects[c.F+"\x00"+c.N]) > 0 {
					objs := rf.objects[c.F+"\x00"+c.N]
					labels := make([]string, len(objs))
					for j, o := range objs {
						labels[j] = mw.entityLabel(o, refs)
					}
					row[i] = listEscape(labels)
				}
			case "order":
				if !inOrder(e) {
					names := make([]string, len(e.Attributes))
					for j, a := range e.Attributes {
						names[j] = a.Name
					}
					row[i] = listEscape(names)
				}
			}
		}
		rows = append(rows, row)
	}
	if len(refs) > 0 {
		m.Refs = refs
	}
	mw.writeTable(bw, m, headers, rows)
	if asList {
		mw.attributeList(bw, es, attrCols)
	}
}

// attrCol is the column an attribute is written in (a text's English one).
func attrCol(a network.Attribute) colSpec {
	t := a.Type
	if t == network.TypeText {
		t = "text.en"
	}
	return colSpec{F: "attr", N: a.Name, T: t}
}

// splitAttrs picks the attribute columns of a table too wide to hold them all: in the
// columns' order, those that at least half the rows hold, while they fit in width
// columns; none where a row's attributes would then not read back in their order (the
// table's columns', then the list's).
func (mw *mdWriter) splitAttrs(es []*network.Entity, attrCols []colSpec, width int) []colSpec {
	var keep []colSpec
	for _, c := range attrCols {
		if c.T == "text.zh" {
			continue
		}
		w := 1
		if c.T == "text.en" {
			w = 2
		}
		held := 0
		for _, e := range es {
			if a, ok := e.Attr(c.N); ok && attrCol(a) == c {
				held++
			}
		}
		if w > width || held*2 < len(es) {
			continue
		}
		width -= w
		keep = append(keep, c)
		if c.T == "text.en" {
			keep = append(keep, colSpec{F: "attr", N: c.N, T: "text.zh"})
		}
	}
	for _, e := range es {
		last, listed := -1, false
		for _, a := range e.Attributes {
			i := slices.Index(keep, attrCol(a))
			switch {
			case i < 0:
				listed = true
			case listed || i < last:
				return nil
			default:
				last = i
			}
		}
	}
	return keep
}

// attributeList writes the attributes of the rows of the table above it as a table of
// entity, attribute, type and value: a row per attribute, in each entity's order (a
// text is a row per language written).
func (mw *mdWriter) attributeList(bw *bufio.Writer, es []*network.Entity, inTable []colSpec) {
	refs := map[string]string{}
	var rows [][]string
	for _, e := range es {
		label := ""
		for _, a := range e.Attributes {
			if slices.Contains(inTable, attrCol(a)) {
				continue
			}
			if label == "" {
				label = cellEscape(mw.entityLabel(e.ID, refs), false)
			}
			ts := []string{a.Type}
			if a.Type == network.TypeText {
				ts = nil
				if a.Text.En != "" || a.Text.Zh == "" {
					ts = append(ts, "text.en")
				}
				if a.Text.Zh != "" {
					ts = append(ts, "text.zh")
				}
			}
			for _, t := range ts {
				v := attrCell(a, t)
				if t == network.TypeString && v == "" {
					v = `""`
				}
				rows = append(rows, []string{label, cellEscape(a.Name, false), t, v})
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprint(bw, "\n**Attributes**:\n")
	m := strataMark{Kind: "attributes", Cols: []colSpec{{F: "entity"}, {F: "name"}, {F: "type"}, {F: "value"}}}
	if len(refs) > 0 {
		m.Refs = refs
	}
	mw.writeTable(bw, m, []string{"Entity", "Attribute", "Type", "Value"}, rows)
}

// attrCell writes an attribute's value in a column of type t.
func attrCell(a network.Attribute, t string) string {
	switch t {
	case network.TypeString:
		return cellEscape(a.String, false)
	case network.TypeInt:
		return strconv.FormatInt(a.Int, 10)
	case network.TypeFloat:
		v := strconv.FormatFloat(a.Float, 'f', -1, 64)
		if !strings.Contains(v, ".") {
			v += ".0"
		}
		return v
	case network.TypeBool:
		return strconv.FormatBool(a.Bool)
	case network.TypeList:
		return listEscape(a.List)
	case "text.en":
		if a.Text.En == "" && a.Text.Zh == "" {
			return `""` // present, empty
		}
		return cellOrEmpty(a.Text.En)
	case "text.zh":
		return cellOrEmpty(a.Text.Zh)
	}
	return ""
}

func (mw *mdWriter) facts(bw *bufio.Writer, f *factsDoc) {
	if len(f.Spec.Chains) > 0 {
		rels := map[string]string{}
		lines := make([]string, len(f.Spec.Chains))
		for i, c := range f.Spec.Chains {
			lines[i] = mw.relRef(c.Relation, true, rels) + ": " + c.Chain
		}
		m := strataMark{Kind: "chains"}
		if len(rels) > 0 {
			m.Rels = rels
		}
		fmt.Fprintf(bw, "\n**Chains**:\n\n%s\n\n", markComment(m))
		codeBlock(bw, lines)
	}
	if len(mw.rest) > 0 {
		refs, rels := map[string]string{}, map[string]string{}
		rows := make([][]string, len(mw.rest))
		for i, fr := range mw.rest {
			eq := ""
			if fr.Equal {
				eq = "="
			}
			rows[i] = []string{cellEscape(mw.entityLabel(fr.Subject, refs), false), cellEscape(mw.relRef(fr.Relation, false, rels), false),
				cellEscape(mw.entityLabel(fr.Object, refs), false), eq, cellOrEmpty(fr.Kind), cellOrEmpty(fr.Note)}
		}
		m := strataMark{Kind: "facts", Cols: []colSpec{{F: "subject"}, {F: "relation"}, {F: "object"}, {F: "equal"}, {F: "kind"}, {F: "note"}}}
		if len(refs) > 0 {
			m.Refs = refs
		}
		if len(rels) > 0 {
			m.Rels = rels
		}
		mw.writeTable(bw, m, []string{"Subject", "Relation", "Object", "Equal", "Kind", "Note"}, rows)
	}
	if len(f.Spec.Formulas) > 0 {
		fmt.Fprintf(bw, "\n**Formulas**:\n\n%s\n\n", markComment(strataMark{Kind: "formulas"}))
		codeBlock(bw, f.Spec.Formulas)
	}
}

// codeBlock writes lines in a fenced text block whose fence is longer than any run of
// backticks in them.
func codeBlock(bw *bufio.Writer, lines []string) {
	longest := 0
	for _, l := range lines {
		run := 0
		for _, r := range l {
			if r == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	fmt.Fprintf(bw, "%stext\n%s\n%s\n", fence, strings.Join(lines, "\n"), fence)
}

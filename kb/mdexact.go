package kb

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/strata-dev/strata/network"
)

// The exact layer of the Markdown that [WriteMarkdown] writes: tables, chain lines and
// formula lines that people read as the seed's own shapes, each after an HTML comment
// "<!-- strata:table {…} -->" that says what every column holds. The reader reads a
// marked block by that layout, not by its headers, and turns it back into the network
// documents it came from, so that export → import gives the same network.
//
// A cell is Markdown text whose rendering is the value: the characters Markdown would
// read as markup (\ | * _ ` < [ ] & ~) are escaped — "\|", "\*", …; a backslash is
// "&#92;" so that no "\" ever stands before a cell's closing pipe —, a line break is
// "<br>", and control characters, non-printing ones and white space at either end are
// numeric character references ("&#32;"). An empty string is written "" (an empty
// cell is an absent value); a list's items are separated by ", " (a comma in an item is
// "\,"), and an empty list is "[]".

const markPrefix = "strata:table "

// strataMark is the layout a marked block is read by.
type strataMark struct {
	Kind     string    `json:"kind"` // relations, dimension, entities, facts, chains, formulas
	Dim      *dimMeta  `json:"dimension,omitempty"`
	Category string    `json:"category,omitempty"` // of rows without a category column
	Cols     []colSpec `json:"cols,omitempty"`
	// Refs are the entities a block's cells name by their names, by name: the ids they
	// stand for. Rels are the relation types named by their names (chain labels, the
	// facts table's relation cells).
	Refs map[string]string `json:"refs,omitempty"`
	Rels map[string]string `json:"rels,omitempty"`
}

// ref is the id a cell's entity name stands for, or the text as written.
func (m strataMark) ref(s string) string {
	if id, ok := m.Refs[s]; ok {
		return id
	}
	return s
}

// rel is the id a relation name stands for, or the text as written.
func (m strataMark) rel(s string) string {
	if id, ok := m.Rels[s]; ok {
		return id
	}
	return s
}

type dimMeta struct {
	ID         string       `json:"id"`
	Names      network.Text `json:"names,omitzero"`
	Aliases    []string     `json:"aliases,omitempty"`
	Definition network.Text `json:"definition,omitzero"`
	Axis       string       `json:"axis,omitempty"`
	Columns    []string     `json:"columns,omitempty"`
}

// colSpec says what a column holds: F is a field (id, category, name.en, name.zh,
// aliases, order, a relation type's or a fact's field, or an attribute list's entity,
// name, type and value), "attr" an attribute named N of type T (string, int, float,
// bool, list, text.en, text.zh), "rel" the objects of the row's facts of relation N,
// "inv" the subjects of the facts of relation N whose object the row is.
type colSpec struct {
	F string `json:"f"`
	N string `json:"n,omitempty"`
	T string `json:"t,omitempty"`
}

func markComment(m strataMark) string {
	b, err := json.Marshal(m) // escapes < > &: "-->" cannot occur
	if err != nil {
		panic(err) // strings, lists and texts only
	}
	return "<!-- " + markPrefix + string(b) + " -->"
}

// parseMark reads a marking comment; ok is false for any other HTML block.
func parseMark(lines []srcLine) (strataMark, bool, error) {
	var m strataMark
	if len(lines) != 1 {
		return m, false, nil
	}
	t := strings.TrimSpace(lines[0].text)
	if !strings.HasPrefix(t, "<!-- "+markPrefix) || !strings.HasSuffix(t, " -->") {
		return m, false, nil
	}
	t = strings.TrimSuffix(strings.TrimPrefix(t, "<!-- "+markPrefix), " -->")
	if err := json.Unmarshal([]byte(t), &m); err != nil {
		return m, true, err
	}
	return m, true, nil
}

// cellEscape writes s as a cell's text; list escapes the comma too.
func cellEscape(s string, list bool) string {
	if s == "" {
		return `""`
	}
	if s == `""` {
		return `\"\"`
	}
	var b strings.Builder
	first, last := 0, len(s)
	for i, r := range s {
		if i == 0 {
			first = utf8.RuneLen(r)
		}
		last = i
	}
	for i, r := range s {
		edge := i < first || i >= last
		switch {
		case r == '\n':
			b.WriteString("<br>")
		case r == '\\':
			b.WriteString("&#92;")
		case strings.ContainsRune("|*_`<[]&~", r) || list && r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || r == '\u0085' || r == '\u2028' || r == '\u2029' || r == '\uFEFF' || r == utf8.RuneError,
			!unicode.IsPrint(r) && r != ' ', edge && unicode.IsSpace(r):
			fmt.Fprintf(&b, "&#%d;", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cellUnescape reads a cell's text back: "\X" is X for ASCII punctuation, "<br>" a line
// break, "&#N;" the character N. ok is false for text cellEscape does not write.
func cellUnescape(s string) (string, bool) {
	if s == `""` {
		return "", true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] < 0x80 && unicode.IsPunct(rune(s[i+1])) || c == '\\' && i+1 < len(s) && strings.IndexByte("$+<=>^`|~", s[i+1]) >= 0:
			b.WriteByte(s[i+1])
			i++
		case strings.HasPrefix(s[i:], "<br>"):
			b.WriteByte('\n')
			i += 3
		case strings.HasPrefix(s[i:], "&#"):
			j := strings.IndexByte(s[i:], ';')
			if j < 0 {
				return "", false
			}
			n, err := strconv.ParseUint(s[i+2:i+j], 10, 32)
			if err != nil || n > unicode.MaxRune {
				return "", false
			}
			b.WriteRune(rune(n))
			i += j
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

func listEscape(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = cellEscape(s, true)
	}
	return strings.Join(parts, ", ")
}

// listUnescape reads a list cell: items split on the commas that are not escaped.
func listUnescape(s string) ([]string, bool) {
	if s == "[]" {
		return []string{}, true
	}
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] == '\\' {
			i++
			continue
		}
		if i == len(s) || s[i] == ',' {
			item, ok := cellUnescape(strings.TrimSpace(s[start:i]))
			if !ok {
				return nil, false
			}
			out = append(out, item)
			start = i + 1
		}
	}
	return out, true
}

// splitRow splits a table row's source line on the pipes that are not escaped.
func splitRow(line string) []string {
	s := strings.TrimSpace(line)
	s = strings.TrimPrefix(s, "|")
	if strings.HasSuffix(s, "|") && !strings.HasSuffix(s, `\|`) {
		s = s[:len(s)-1]
	}
	var cells []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] == '\\' {
			i++
			continue
		}
		if i >= len(s) || s[i] == '|' {
			cells = append(cells, strings.TrimSpace(s[start:min(i, len(s))]))
			start = i + 1
		}
	}
	return cells
}

// tableRow writes a row of cells.
func tableRow(cells []string) string {
	return "| " + strings.Join(cells, " | ") + " |"
}

// chainLineOK: a chain or formula line that a code block keeps as it is.
func chainLineOK(s string) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\u0085' || r == '\u2028' || r == '\u2029' || r == '\uFEFF' || !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}

// relLabelOK: a relation id that can stand before a chain's ": ".
func relLabelOK(s string) bool {
	return chainLineOK(s) && !strings.ContainsAny(s, ":`")
}

// yq is s as a YAML double-quoted scalar.
func yq(s string) string { return network.QuoteYAML(s) }

func yText(t network.Text) string {
	var parts []string
	if t.En != "" {
		parts = append(parts, "en: "+yq(t.En))
	}
	if t.Zh != "" {
		parts = append(parts, "zh: "+yq(t.Zh))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func yList(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = yq(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func yField(b *strings.Builder, key, value string) {
	if value == "" || value == "{}" || value == "[]" {
		return
	}
	if b.Len() > 0 {
		b.WriteString(", ")
	}
	b.WriteString(key + ": " + value)
}

// exactReader turns the marked blocks of one document into network documents, each
// line citing its Markdown line.
type exactReader struct {
	d *parsedDoc
	// the document's facts: chains, the facts table and the rows' relation cells, and
	// formulas, written as one Facts document once the document is read
	chains, facts, cellFacts, formulas []srcLine
	any                                bool
	// the section's heading and definition lines before a marked table, as written: a
	// marked dimension's names and definition come from its comment, so a hand edit of
	// these must not go unread
	heading     string
	headingLine int
	defs        []string
	defLines    []int
	// the entity table read last, written out once the attribute list that may follow
	// it is read
	pending *pendingRows
	// the relation types read, written out once no relations table follows
	relRows []*relRow
}

// pendingRows are an entity table's document lines before its rows, and its rows.
type pendingRows struct {
	doc  []srcLine
	rows []*entRow
	byID map[string]*entRow
}

// entRow is an entity as a table row and an attribute list say it.
type entRow struct {
	line             int
	id, category     string
	names            network.Text
	aliases          []string
	attrOrder, order []string
	attrs            map[string]string
	texts            map[string]*network.Text
}

// addAttr records an attribute's value written as YAML; v is "\x00" for a text.
func (e *entRow) addAttr(name, v string) {
	if _, ok := e.attrs[name]; !ok {
		e.attrOrder = append(e.attrOrder, name)
	}
	e.attrs[name] = v
}

// yaml is the entity as a flow mapping.
func (e *entRow) yaml() (string, error) {
	attrOrder := e.attrOrder
	if e.order != nil {
		attrOrder = e.order
	}
	var b strings.Builder
	yField(&b, "id", yq(e.id))
	yField(&b, "category", yq(e.category))
	yField(&b, "names", yText(e.names))
	yField(&b, "aliases", yList(e.aliases))
	if len(attrOrder) > 0 {
		parts := make([]string, 0, len(attrOrder))
		for _, n := range attrOrder {
			v, ok := e.attrs[n]
			if !ok {
				return "", fmt.Errorf("the attribute order names %q, which the row does not hold", n)
			}
			if v == "\x00" {
				v = yText(*e.texts[n])
			}
			parts = append(parts, yq(n)+": "+v)
		}
		if len(parts) != len(e.attrs) {
			return "", fmt.Errorf("the attribute order names %d attributes, the row holds %d", len(parts), len(e.attrs))
		}
		b.WriteString(", attributes: {" + strings.Join(parts, ", ") + "}")
	}
	return "{" + b.String() + "}", nil
}

// flush writes out the pending entity table.
func (x *exactReader) flush() {
	p := x.pending
	if p == nil {
		return
	}
	x.pending = nil
	doc := p.doc
	for _, r := range p.rows {
		s, err := r.yaml()
		if err != nil {
			x.problem(r.line, "%v", err)
			continue
		}
		doc = append(doc, srcLine{line: r.line, col: 1, text: "    - " + s})
	}
	x.d.embedded = append(x.d.embedded, doc)
}

func (x *exactReader) problem(line int, format string, args ...any) {
	x.d.problem(x.d.pos(line, 0), CodeTable, "write the block again with strata export, or remove its strata:table comment", format, args...)
}

// table reads a marked table.
func (x *exactReader) table(m strataMark, b block, li *lineIndex) {
	if m.Kind != "attributes" {
		x.flush()
	}
	if m.Kind != "relations" {
		x.flushRelations()
	}
	t := b.table
	var docLines []srcLine
	at := func(line int, s string) { docLines = append(docLines, srcLine{line: line, col: 1, text: s}) }
	head := b.line
	if len(t.header) != len(m.Cols) {
		x.problem(head, "the table has %d columns, its strata:table comment says %d", len(t.header), len(m.Cols))
		return
	}
	switch m.Kind {
	case "relations":
	case "dimension":
		if m.Dim == nil {
			x.problem(head, "a dimension table without its dimension in its strata:table comment")
			return
		}
		if want := dimTitle(m.Dim.Names, m.Dim.ID); x.headingLine != 0 && squash(x.heading) != squash(want) {
			x.d.problem(x.d.pos(x.headingLine, 0), CodeTable, "change the names in the table's strata:table comment too, or remove the comment to have the table read as written",
				"the heading says %q, but the strata:table comment below it names the dimension %q: a marked table's dimension is read from its comment", x.heading, want)
		}
		if want := dimDefinitions(m.Dim.Definition); !slices.EqualFunc(x.defs, want, func(a, b string) bool { return squash(a) == squash(b) }) {
			line := head
			if len(x.defLines) > 0 {
				line = x.defLines[0]
			}
			x.d.problem(x.d.pos(line, 0), CodeTable, "change the definition in the table's strata:table comment too, or remove the comment to have the table read as written",
				"the definition lines say %q, but the strata:table comment below them says %q: a marked table's definition is read from its comment", x.defs, want)
		}
		var meta strings.Builder
		yField(&meta, "names", yText(m.Dim.Names))
		yField(&meta, "aliases", yList(m.Dim.Aliases))
		name := "{name: " + yq(m.Dim.ID)
		if meta.Len() > 0 {
			name += ", " + meta.String()
		}
		at(head, "apiVersion: "+network.APIVersion)
		at(head, "kind: "+network.KindDimension)
		at(head, "metadata: "+name+"}")
		at(head, "spec:")
		if m.Dim.Definition != (network.Text{}) {
			at(head, "  definition: "+yText(m.Dim.Definition))
		}
		if m.Dim.Axis != "" {
			at(head, "  axis: "+yq(m.Dim.Axis))
		}
		if len(m.Dim.Columns) > 0 {
			at(head, "  columns: "+yList(m.Dim.Columns))
		}
		if len(t.rows) == 0 {
			at(head, "  values: []")
		} else {
			at(head, "  values:")
		}
	case "entities":
		at(head, "apiVersion: "+network.APIVersion)
		at(head, "kind: "+network.KindEntities)
		at(head, `metadata: {name: "entities"}`)
		at(head, "spec:")
		at(head, "  items:")
	case "facts":
	case "attributes":
		if x.pending == nil {
			x.problem(head, "an attribute list without the entity table it belongs to right above it")
			return
		}
	default:
		x.problem(head, "a strata:table comment of the unknown kind %q", m.Kind)
		return
	}
	var pend *pendingRows
	if m.Kind == "dimension" || m.Kind == "entities" {
		pend = &pendingRows{doc: docLines, byID: map[string]*entRow{}}
		docLines = nil
	}
	for _, row := range t.rows {
		cells := splitRow(li.lineText(row.line))
		if len(cells) != len(m.Cols) {
			x.problem(row.line, "the row has %d cells, its table %d", len(cells), len(m.Cols))
			continue
		}
		var err error
		switch m.Kind {
		case "relations":
			err = x.relationRow(m, cells, row.line)
		case "dimension", "entities":
			var e *entRow
			e, err = x.entityRow(m, cells, row.line)
			if err == nil {
				pend.rows = append(pend.rows, e)
				pend.byID[e.id] = e
			}
		case "attributes":
			err = x.attributeRow(m, cells)
		case "facts":
			err = x.factRow(m, cells, row.line)
		}
		if err != nil {
			x.problem(row.line, "%v", err)
		}
	}
	if len(docLines) > 0 {
		x.d.embedded = append(x.d.embedded, docLines)
	}
	if pend != nil {
		x.pending = pend
	}
	x.d.note(head, "strata table (%s) with %d rows: read by its strata:table comment", m.Kind, len(t.rows))
}

// squash is s with its runs of white space made one space and none at either end, as a
// heading or paragraph renders.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// cellValue reads a cell: absent when empty.
func cellValue(cell string) (string, bool, error) {
	if cell == "" {
		return "", false, nil
	}
	s, ok := cellUnescape(cell)
	if !ok {
		return "", false, fmt.Errorf("cell %q is not written as strata export writes cells", cell)
	}
	return s, true, nil
}

// relRow is a relation type as the relations tables' rows say it: the fields of the
// cells written, by field.
type relRow struct {
	line int
	id   string
	vals map[string]string
}

// relationRow reads a row of a relations table; a row whose id a table above has named
// adds its fields to that relation type.
func (x *exactReader) relationRow(m strataMark, cells []string, line int) error {
	vals := map[string]string{}
	id := ""
	for i, c := range m.Cols {
		cell := cells[i]
		if c.F == "id" {
			cell = strings.TrimSuffix(strings.TrimPrefix(cell, "**"), "**")
		}
		if c.F == "properties" {
			if cell != "" {
				ps, ok := listUnescape(cell)
				if !ok {
					return fmt.Errorf("properties %q", cell)
				}
				vals["properties"] = "[" + strings.Join(ps, ", ") + "]"
			}
			continue
		}
		v, ok, err := cellValue(cell)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if c.F == "id" {
			id = v
			continue
		}
		vals[c.F] = v
	}
	if id == "" {
		return fmt.Errorf("a relation type without an id")
	}
	for _, r := range x.relRows {
		if r.id == id {
			for k, v := range vals {
				r.vals[k] = v
			}
			return nil
		}
	}
	x.relRows = append(x.relRows, &relRow{line: line, id: id, vals: vals})
	return nil
}

// flushRelations writes the relation types read as network documents.
func (x *exactReader) flushRelations() {
	if len(x.relRows) == 0 {
		return
	}
	var out []srcLine
	for _, r := range x.relRows {
		var spec strings.Builder
		// the spec's fields in the order the network's writer writes them
		for _, f := range []string{"symbol", "equivalence", "operator"} {
			if v := r.vals[f]; v != "" {
				yField(&spec, f, yq(v))
			}
		}
		if p := r.vals["properties"]; p != "" && p != "[]" {
			yField(&spec, "properties", p)
		}
		for _, f := range []string{"inverse", "greater", "less"} {
			if v := r.vals[f]; v != "" {
				yField(&spec, f, yq(v))
			}
		}
		yField(&spec, "description", yText(network.Text{En: r.vals["description.en"], Zh: r.vals["description.zh"]}))
		meta := "{name: " + yq(r.id)
		if nt := yText(network.Text{En: r.vals["name.en"], Zh: r.vals["name.zh"]}); nt != "{}" {
			meta += ", names: " + nt
		}
		if len(out) > 0 {
			out = append(out, srcLine{line: r.line, col: 1, text: "---"})
		}
		for _, s := range []string{"apiVersion: " + network.APIVersion, "kind: " + network.KindRelationType, "metadata: " + meta + "}", "spec: {" + spec.String() + "}"} {
			out = append(out, srcLine{line: r.line, col: 1, text: s})
		}
	}
	x.relRows = nil
	x.d.embedded = append(x.d.embedded, out)
}

// entityRow reads a row of a dimension or entities table as an entity, and its relation
// cells as facts.
func (x *exactReader) entityRow(m strataMark, cells []string, line int) (*entRow, error) {
	e := &entRow{line: line, category: m.Category, attrs: map[string]string{}, texts: map[string]*network.Text{}}
	type rel struct {
		relation, other string
		inverse         bool // the row is the fact's object
	}
	var rels []rel
	for i, c := range m.Cols {
		cell := cells[i]
		switch c.F {
		case "id":
			if !strings.HasPrefix(cell, "**") || !strings.HasSuffix(cell, "**") || len(cell) < 5 {
				return nil, fmt.Errorf("the id cell %q is not bold", cell)
			}
			cell = cell[2 : len(cell)-2]
		case "aliases", "order", "rel", "inv":
			if cell == "" {
				continue
			}
			l, ok := listUnescape(cell)
			if !ok {
				return nil, fmt.Errorf("list cell %q", cell)
			}
			switch c.F {
			case "aliases":
				e.aliases = l
			case "order":
				e.order = l
			case "rel", "inv":
				for _, o := range l {
					rels = append(rels, rel{c.N, m.ref(o), c.F == "inv"})
				}
			}
			continue
		case "attr":
			if cell == "" {
				continue
			}
			if err := e.attrCell(c.N, c.T, cell); err != nil {
				return nil, err
			}
			continue
		}
		v, ok, err := cellValue(cell)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		switch c.F {
		case "id":
			e.id = v
		case "category":
			e.category = v
		case "name.en":
			e.names.En = v
		case "name.zh":
			e.names.Zh = v
		}
	}
	if e.id == "" {
		return nil, fmt.Errorf("a row without an id")
	}
	for _, r := range rels {
		s, o := e.id, r.other
		if r.inverse {
			s, o = o, s
		}
		x.cellFacts = append(x.cellFacts, srcLine{line: line, col: 1, text: "    - {subject: " + yq(s) + ", relation: " + yq(r.relation) + ", object: " + yq(o) + "}"})
	}
	return e, nil
}

// attrCell reads a cell holding the value of the attribute name of type t.
func (e *entRow) attrCell(name, t, cell string) error {
	var v string
	switch t {
	case "int":
		n, err := strconv.ParseInt(cell, 10, 64)
		if err != nil {
			return fmt.Errorf("attribute %s: %q is not an integer", name, cell)
		}
		v = strconv.FormatInt(n, 10)
	case "float":
		if _, err := strconv.ParseFloat(cell, 64); err != nil || strings.ContainsAny(cell, "eEx_") {
			return fmt.Errorf("attribute %s: %q is not a number", name, cell)
		}
		v = cell
		if !strings.Contains(v, ".") {
			v += ".0"
		}
	case "bool":
		bv, err := strconv.ParseBool(cell)
		if err != nil || cell != "true" && cell != "false" {
			return fmt.Errorf("attribute %s: %q is not true or false", name, cell)
		}
		v = strconv.FormatBool(bv)
	case "list":
		l, ok := listUnescape(cell)
		if !ok {
			return fmt.Errorf("attribute %s: list cell %q", name, cell)
		}
		v = yList(l)
	case "string":
		s, _, err := cellValue(cell)
		if err != nil {
			return err
		}
		v = yq(s)
	case "text.en", "text.zh":
		s, _, err := cellValue(cell)
		if err != nil {
			return err
		}
		tx := e.texts[name]
		if tx == nil {
			tx = &network.Text{}
			e.texts[name] = tx
		}
		if t == "text.en" {
			tx.En = s
		} else {
			tx.Zh = s
		}
		v = "\x00"
	default:
		return fmt.Errorf("attribute %s of the unknown type %q", name, t)
	}
	e.addAttr(name, v)
	return nil
}

// attributeRow reads a row of an attribute list into the entity of the table above.
func (x *exactReader) attributeRow(m strataMark, cells []string) error {
	vals := map[string]string{}
	for i, c := range m.Cols {
		vals[c.F] = cells[i]
	}
	who, ok, err := cellValue(vals["entity"])
	if err != nil || !ok {
		return fmt.Errorf("an attribute without its entity")
	}
	e := x.pending.byID[m.ref(who)]
	if e == nil {
		return fmt.Errorf("the attribute list names %q, which the table above does not", who)
	}
	name, ok, err := cellValue(vals["name"])
	if err != nil || !ok {
		return fmt.Errorf("an attribute of %s without its name", e.id)
	}
	if vals["value"] == "" {
		if t := vals["type"]; t != "text.en" && t != "text.zh" {
			return fmt.Errorf("attribute %s of %s without a value", name, e.id)
		}
	}
	return e.attrCell(name, vals["type"], vals["value"])
}

func (x *exactReader) factRow(m strataMark, cells []string, line int) error {
	var b strings.Builder
	vals := map[string]string{}
	for i, c := range m.Cols {
		v, ok, err := cellValue(cells[i])
		if err != nil {
			return err
		}
		if ok {
			vals[c.F] = v
		}
	}
	for _, f := range []string{"subject", "relation", "object"} {
		v, ok := vals[f]
		if !ok {
			return fmt.Errorf("a fact without its %s", f)
		}
		if f == "relation" {
			v = m.rel(v)
		} else {
			v = m.ref(v)
		}
		yField(&b, f, yq(v))
	}
	switch vals["equal"] {
	case "":
	case "=":
		yField(&b, "equal", "true")
	default:
		return fmt.Errorf("equal is %q, not = or empty", vals["equal"])
	}
	if k := vals["kind"]; k != "" {
		yField(&b, "kind", yq(k))
	}
	if n, ok := vals["note"]; ok && n != "" {
		yField(&b, "note", yq(n))
	}
	x.facts = append(x.facts, srcLine{line: line, col: 1, text: "    - {" + b.String() + "}"})
	return nil
}

// code reads a marked code block of chain or formula lines.
func (x *exactReader) code(m strataMark, b block) {
	x.flush()
	x.flushRelations()
	for _, l := range b.lines {
		switch m.Kind {
		case "chains":
			i := strings.Index(l.text, ": ")
			if i <= 0 {
				x.problem(l.line, "a chain line without its relation: %q", clip(l.text, 60))
				continue
			}
			x.chains = append(x.chains, srcLine{line: l.line, col: l.col, text: "    - {relation: " + yq(l.text[:i]) + ", chain: " + yq(l.text[i+2:]) + "}"})
		case "formulas":
			x.formulas = append(x.formulas, srcLine{line: l.line, col: l.col, text: "    - " + yq(l.text)})
		default:
			x.problem(b.line, "a strata:table comment of kind %q before a code block", m.Kind)
			return
		}
	}
	x.d.note(b.line, "strata %s (%d lines): read by its strata:table comment", m.Kind, len(b.lines))
}

// finish writes the document's facts as one Facts document: chains, facts, then
// formulas, as the network's writer orders them.
func (x *exactReader) finish(line int) {
	x.flush()
	x.flushRelations()
	if len(x.chains)+len(x.facts)+len(x.cellFacts)+len(x.formulas) == 0 {
		return
	}
	first := line
	for _, ls := range [][]srcLine{x.chains, x.facts, x.cellFacts, x.formulas} {
		if len(ls) > 0 {
			first = ls[0].line
			break
		}
	}
	out := []srcLine{{line: first, col: 1, text: "apiVersion: " + network.APIVersion}, {line: first, col: 1, text: "kind: " + network.KindFacts},
		{line: first, col: 1, text: `metadata: {name: "facts"}`}, {line: first, col: 1, text: "spec:"}}
	if len(x.chains) > 0 {
		out = append(out, srcLine{line: x.chains[0].line, col: 1, text: "  chains:"})
		out = append(out, x.chains...)
	}
	if fs := append(append([]srcLine{}, x.facts...), x.cellFacts...); len(fs) > 0 {
		out = append(out, srcLine{line: fs[0].line, col: 1, text: "  facts:"})
		out = append(out, fs...)
	}
	if len(x.formulas) > 0 {
		out = append(out, srcLine{line: x.formulas[0].line, col: 1, text: "  formulas:"})
		out = append(out, x.formulas...)
	}
	x.d.embedded = append(x.d.embedded, out)
}

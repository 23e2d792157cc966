package kb

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/strata-dev/strata/network"
)

// What one document declares, as written, before names are resolved across documents.

type dimDecl struct {
	id         string
	axis       string // X, Y or Z for a coordinate axis
	names      network.Text
	definition network.Text
	pos        network.Pos
	category   string // of its rows
	columns    []string
	rows       []*rowDecl
}

type rowDecl struct {
	key     string
	keyIsID bool
	pos     network.Pos
	names   network.Text
	aliases []string
	attrs   []attrDecl
	refs    []refDecl
	dim     *dimDecl
}

type attrDecl struct {
	name  string
	text  network.Text // for a text attribute
	num   int64        // for a number (a year, a coordinate)
	isNum bool
	rel   bool // the raw text of a cell that names entities
	pos   network.Pos
}

func (a attrDecl) String() string {
	if a.isNum {
		return strconv.FormatInt(a.num, 10)
	}
	return a.text.String()
}

// refDecl is a table cell that names other entities.
type refDecl struct {
	relation string
	category string // of an entity named here for the first time
	header   string
	text     string
	pos      network.Pos
}

type chainDecl struct {
	prose    bool        // read in prose, not in a chain block
	label    string      // "隔离强度" in "隔离强度: L-0 > …"; empty when unlabelled
	labelPos network.Pos //
	caption  string      // the paragraph label before the code block
	heading  string      // the section's heading
	text     string
	pos      network.Pos // of the chain text
	chain    network.Chain
	// lineStart and line are the whole line; term offsets count from there
	lineStart network.Pos
	line      string
}

type formulaDecl struct {
	label     string
	text      string
	pos       network.Pos
	formula   network.Formula
	lineStart network.Pos
	line      string
}

// Note is one thing the reader read or did not read, with where.
type Note struct {
	Pos  network.Pos `json:"pos" yaml:"pos"`
	What string      `json:"what" yaml:"what"`
}

func (n Note) String() string { return n.Pos.String() + ": " + n.What }

// parsedDoc is a document as read, before names are resolved across documents.
type parsedDoc struct {
	name     string
	decoding Decoding
	dims     []*dimDecl
	chains   []*chainDecl
	formulas []*formulaDecl
	// embedded are the network documents of yaml code blocks, read as they are written.
	embedded [][]srcLine
	read     []Note
	skipped  []Note
	problems network.Problems
}

func (d *parsedDoc) pos(line, col int) network.Pos {
	return network.Pos{File: d.name, Line: line, Col: col}
}

func (d *parsedDoc) problem(pos network.Pos, code, hint, format string, args ...any) {
	d.problems = append(d.problems, network.Problem{Pos: pos, Code: code, Message: fmt.Sprintf(format, args...), Hint: hint})
}

func (d *parsedDoc) skip(line int, format string, args ...any) {
	d.skipped = append(d.skipped, Note{Pos: d.pos(line, 0), What: fmt.Sprintf(format, args...)})
}

func (d *parsedDoc) note(line int, format string, args ...any) {
	d.read = append(d.read, Note{Pos: d.pos(line, 0), What: fmt.Sprintf(format, args...)})
}

// Problem codes of the Markdown reader, besides the network's own.
const (
	CodeEncoding = "encoding"     // the bytes are not text, or were repaired
	CodeTable    = "table"        // a table row with missing or extra cells, or without a key
	CodeConflict = "conflict"     // an id defined in two places differently
	CodeUnread   = "not-read"     // a line in a chain block that is neither a chain nor a formula
	CodeLimit    = "limit"        // a document past a limit
	CodeRelation = "new-relation" // a chain label that names no relation type
)

// extract turns a document's blocks into declarations.
func extract(d *parsedDoc, src []byte) {
	v := vocab()
	blocks, defs := parseMarkdown(src)
	for _, def := range defs {
		d.skip(def.line, "link definition [%s]: %s (links are not followed)", def.label, def.dest)
	}
	var (
		heading    string // the current section's heading text
		headingPos network.Pos
		number     string
		secName    string
		definition network.Text
		defPos     network.Pos
		dim        *dimDecl // the current section's dimension, once a table declared it
		caption    string
		tables     int
		li         *lineIndex
		mark       *strataMark // a strata:table comment, for the table or code block after it
		exact      = &exactReader{d: d}
		lastLine   int
	)
	for _, b := range blocks {
		lastLine = max(lastLine, b.line)
		if mark != nil && (b.kind == blockTable || b.kind == blockCode) {
			if li == nil {
				li = newLineIndex(src)
			}
			if b.kind == blockTable {
				exact.table(*mark, b, li)
			} else {
				exact.code(*mark, b)
			}
			mark, caption = nil, ""
			continue
		}
		switch b.kind {
		case blockHeading:
			heading = joinLines(b.lines)
			headingPos = d.pos(b.line, 0)
			exact.heading, exact.headingLine, exact.defs, exact.defLines = heading, b.line, nil, nil
			number, secName = v.dimensionName(heading)
			definition, dim, caption = network.Text{}, nil, ""
			if b.level == 1 && d.dims == nil {
				d.note(b.line, "title %q", heading)
			} else {
				d.note(b.line, "section %q", heading)
			}
		case blockTable:
			tables++
			dd := &dimDecl{pos: headingPos}
			if dd.pos.Line == 0 {
				dd.pos = d.pos(b.line, 0)
			}
			switch {
			case number != "":
				dd.id = number
			case secName != "":
				dd.id = slug(secName)
			default:
				dd.id = fmt.Sprintf("%s#table%d", baseName(d.name), tables)
			}
			if secName != "" {
				setText(&dd.names, secName)
			}
			dd.definition = definition
			if axes := readMatrix(d, b); axes != nil {
				d.dims = append(d.dims, axes...)
				for _, a := range axes {
					d.note(b.line, "table row → axis %s: dimension %s (%s) with %d points", a.axis, a.id, a.names, len(a.rows))
				}
				caption = ""
				continue
			}
			readTable(d, dd, b)
			if len(dd.rows) > 0 {
				d.dims = append(d.dims, dd)
				dim = dd
				d.note(b.line, "table → dimension %s (%s) with %d values", dd.id, dd.names, len(dd.rows))
			} else {
				d.skip(b.line, "table without rows")
			}
			caption = ""
		case blockCode:
			readCode(d, b, caption, heading)
			caption = ""
		case blockPara:
			switch {
			case b.label != "" && inWords(b.label, v.DefinitionLabels):
				exact.defs, exact.defLines = append(exact.defs, b.rest), append(exact.defLines, b.line)
				setText(&definition, b.rest)
				defPos = d.pos(b.line, 0)
				if dim != nil {
					dim.definition = definition
				}
				d.note(b.line, "definition of %s: %q", orElse(secName, "the section"), b.rest)
				_ = defPos
			case b.label != "" && inWords(b.label, v.MetadataLabels):
				d.skip(b.line, "document metadata %q (not a fact)", joinLines(b.lines))
			case len(b.links) > 0 && linkLine(b):
				for _, l := range b.links {
					d.skip(b.line, "link to %s (links are not followed)", l)
				}
			case b.label != "" && b.rest == "":
				caption = b.label
				d.note(b.line, "caption %q", b.label)
			default:
				readProse(d, b, heading)
			}
		case blockHTML:
			m, ok, err := parseMark(b.lines)
			switch {
			case ok && err != nil:
				d.problem(d.pos(b.line, 0), CodeTable, "write the block again with strata export, or remove the comment",
					"a strata:table comment that does not read: %v", err)
			case ok:
				mark = &m
			default:
				d.skip(b.line, "HTML block (not read)")
			}
		}
	}
	exact.finish(lastLine)
}

func joinLines(ls []srcLine) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.text
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

func orElse(s, t string) string {
	if s != "" {
		return s
	}
	return t
}

// linkLine: a paragraph that is mostly its links (a "main document" pointer).
func linkLine(b block) bool {
	t := joinLines(b.lines)
	return len(b.links) > 0 && !strings.ContainsAny(t, "=→<>") || strings.HasPrefix(strings.TrimSpace(t), "[")
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		p = p[i+1:]
	}
	return strings.TrimSuffix(strings.TrimSuffix(p, ".md"), ".markdown")
}

// setText puts s into t in its language: Chinese when it has Han characters.
func setText(t *network.Text, s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	if isZh(s) {
		t.Zh = s
	} else {
		t.En = s
	}
}

func isZh(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// idLike: D1, A1, T1, O1, L-0, X2, v1.2 — letters then digits, as the seed's ids are.
var idLike = regexp.MustCompile(`^[A-Za-z]{1,4}-?[0-9]+(\.[0-9]+)*$`)

var yearLike = regexp.MustCompile(`^(1[89]|2[0-1])[0-9]{2}$`)

// slug makes an id of a name: spaces become "-".
func slug(s string) string {
	return strings.Join(strings.Fields(s), "-")
}

// readTable reads a table's columns and rows into the dimension.
func readTable(d *parsedDoc, dd *dimDecl, b block) {
	v := vocab()
	t := b.table
	if len(t.header) < 1 {
		return
	}
	type colKind int
	const (
		colAttr colKind = iota
		colName
		colYear
		colRef
	)
	headers := make([]string, len(t.header))
	kinds := make([]colKind, len(t.header))
	refs := make([]columnWords, len(t.header))
	for i, h := range t.header {
		headers[i] = h.text
		if i == 0 {
			continue
		}
		switch c, ok := v.column(h.text); {
		case ok:
			kinds[i], refs[i] = colRef, c
		case inWords(h.text, v.YearHeaders) || allCells(t, i, yearLike.MatchString):
			kinds[i] = colYear
		case inWords(h.text, v.NameHeaders):
			kinds[i] = colName
		}
	}
	// Without a name header, the column after an id column names the rows when it is
	// short text.
	keyIDs := allCells(t, 0, func(s string) bool { return idLike.MatchString(s) })
	hasName := false
	for _, k := range kinds {
		hasName = hasName || k == colName
	}
	if !hasName && keyIDs && len(kinds) > 1 && kinds[1] == colAttr &&
		allCells(t, 1, func(s string) bool { return utf8.RuneCountInString(s) <= 32 }) {
		kinds[1] = colName
	}
	dd.category = v.keyCategory(headers[0])
	if dd.category == "" {
		dd.category = network.CategoryValue
	}
	for i := 1; i < len(headers); i++ {
		switch kinds[i] {
		case colRef:
			dd.columns = append(dd.columns, refs[i].Relation)
		case colYear:
			dd.columns = append(dd.columns, "year")
		default:
			dd.columns = append(dd.columns, attrName(headers[i]))
		}
	}
	for _, row := range t.rows {
		for _, x := range row.extra {
			d.problem(d.pos(row.line, 0), CodeTable, "remove the extra | or add a column to the header",
				"table row has more cells than its header (%d): %q is not read", len(headers), x)
		}
		missing := 0
		for i, c := range row.cells {
			if c.missing {
				missing++
				d.problem(d.pos(row.line, 0), CodeTable, "add the cell, or an empty one: | |",
					"table row has no cell under %q (it has %d of the header's %d)", headers[i], len(row.cells)-missing, len(headers))
			}
		}
		key := row.cells[0]
		if key.missing || strings.TrimSpace(key.text) == "" {
			d.problem(d.pos(row.line, 0), CodeTable, "write the value's id or name in the first column",
				"table row without an id or name in its first column (%s): not read", headers[0])
			continue
		}
		r := &rowDecl{key: key.text, keyIsID: idLike.MatchString(key.text), pos: d.pos(row.line, key.col), dim: dd}
		if !r.keyIsID {
			setText(&r.names, key.text)
		}
		for i := 1; i < len(row.cells) && i < len(headers); i++ {
			c := row.cells[i]
			if c.missing || c.text == "" {
				continue
			}
			cp := d.pos(c.line, c.col)
			switch kinds[i] {
			case colYear:
				y, err := strconv.ParseInt(c.text, 10, 64)
				if err != nil || !yearLike.MatchString(c.text) {
					r.attrs = append(r.attrs, textAttr(attrName(headers[i]), c.text, cp))
					continue
				}
				r.attrs = append(r.attrs, attrDecl{name: "year", num: y, isNum: true, pos: cp})
			case colName:
				code, name := splitCode(c.text)
				if code != "" {
					r.aliases = append(r.aliases, code)
				}
				setText(&r.names, name)
				r.attrs = append(r.attrs, textAttr(attrName(headers[i]), c.text, cp))
			case colRef:
				r.refs = append(r.refs, refDecl{relation: refs[i].Relation, category: refs[i].Category, header: headers[i], text: c.text, pos: cp})
				a := textAttr(attrName(headers[i]), c.text, cp)
				a.rel = true
				r.attrs = append(r.attrs, a)
			default:
				r.attrs = append(r.attrs, textAttr(attrName(headers[i]), c.text, cp))
			}
		}
		dd.rows = append(dd.rows, r)
	}
}

func textAttr(name, s string, pos network.Pos) attrDecl {
	a := attrDecl{name: name, pos: pos}
	setText(&a.text, s)
	return a
}

// attrName is a header as an attribute name: English words joined by "-", lower case.
func attrName(h string) string {
	h = strings.TrimSpace(h)
	if isZh(h) {
		return strings.Join(strings.Fields(h), "")
	}
	return strings.ToLower(slug(h))
}

func allCells(t *mdTable, col int, f func(string) bool) bool {
	n := 0
	for _, r := range t.rows {
		if col >= len(r.cells) || r.cells[col].missing || r.cells[col].text == "" {
			continue
		}
		if !f(r.cells[col].text) {
			return false
		}
		n++
	}
	return n > 0
}

// splitCode reads "L-0 硬件" as the code L-0 and the name 硬件.
func splitCode(s string) (string, string) {
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i <= 0 {
		return "", s
	}
	if code := s[:i]; idLike.MatchString(code) {
		if rest := strings.TrimSpace(s[i:]); rest != "" {
			return code, rest
		}
	}
	return "", s
}

// chainBlock: code blocks the reader reads line by line. Code in a programming or data
// language is someone's code, not chains.
func chainBlock(lang string) bool {
	switch strings.ToLower(strings.Fields(lang + " x")[0]) {
	case "x", "text", "txt", "plain", "plaintext", "chain", "chains", "strata", "math":
		return true
	}
	return false
}

// networkBlock reports whether a code block holds network documents: its language is
// yaml and a line of it says "apiVersion: strata.dev/v1alpha1".
func networkBlock(b block) bool {
	switch strings.ToLower(strings.Fields(b.lang + " x")[0]) {
	case "yaml", "yml":
	default:
		return false
	}
	for _, l := range b.lines {
		if strings.TrimSpace(l.text) == "apiVersion: "+network.APIVersion {
			return true
		}
	}
	return false
}

func readCode(d *parsedDoc, b block, caption, heading string) {
	if networkBlock(b) {
		d.embedded = append(d.embedded, b.lines)
		d.note(b.line, "network documents (%d lines of YAML): read as written", len(b.lines))
		return
	}
	if !chainBlock(b.lang) {
		d.skip(b.line, "code block (%s): not read", b.lang)
		return
	}
	for _, l := range b.lines {
		if strings.TrimSpace(l.text) == "" {
			continue
		}
		if !readLine(d, l, caption, heading, true) {
			d.problem(d.pos(l.line, l.col), CodeUnread, "write LABEL: A > B > C, A → B → C, or RESULT = A + B",
				"line in a chain block is neither a chain nor a formula: %q", clip(l.text, 80))
		}
	}
}

func readProse(d *parsedDoc, b block, heading string) {
	any := false
	for _, l := range b.lines {
		if readLine(d, l, "", heading, false) {
			any = true
		}
	}
	if !any {
		d.skip(b.line, "prose (no table, chain, formula or definition): %q", clip(joinLines(b.lines), 60))
	}
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// readLine reads one line as a chain or a formula. In prose it takes a line only when
// it is plainly one: a labelled chain, an arrow chain, or a formula with its operator.
func readLine(d *parsedDoc, l srcLine, caption, heading string, block bool) bool {
	t := l.text
	label, rest, restOff := "", t, 0
	if i := strings.IndexAny(t, ":："); i > 0 && !strings.ContainsAny(t[:i], "=<>→+×*") && !strings.Contains(t[:i], "->") {
		_, w := utf8.DecodeRuneInString(t[i:])
		label = strings.TrimSpace(t[:i])
		restOff = i + w
		rest = t[restOff:]
	}
	col := func(off int) int { return l.col + utf8.RuneCountInString(t[:off]) }
	restStart := restOff + (len(rest) - len(strings.TrimLeft(rest, " \t")))
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return false
	}
	if f, err := network.ParseFormula(rest); err == nil && (block || strings.ContainsAny(rest, "+×") || label != "") {
		fd := &formulaDecl{label: label, text: rest, pos: d.pos(l.line, col(restStart)), formula: f, lineStart: d.pos(l.line, l.col), line: t}
		for i := range fd.formula.Operands {
			fd.formula.Operands[i].Offset += restStart
		}
		fd.formula.Result.Offset += restStart
		d.formulas = append(d.formulas, fd)
		d.note(l.line, "formula %q", clip(t, 60))
		return true
	}
	c, err := network.ParseChain(rest)
	if err != nil {
		return false
	}
	if !block && !hasStrict(c) || !block && label == "" && !hasArrow(c) {
		// prose: a chain of only "=" is too often an ordinary sentence
		return false
	}
	for i := range c.Terms {
		c.Terms[i].Offset += restStart
	}
	cd := &chainDecl{prose: !block, label: label, labelPos: d.pos(l.line, l.col), caption: caption, heading: heading, text: rest,
		pos: d.pos(l.line, col(restStart)), chain: c, lineStart: d.pos(l.line, l.col), line: t}
	d.chains = append(d.chains, cd)
	d.read = append(d.read, Note{Pos: d.pos(l.line, 0), What: "chain " + strconv.Quote(clip(t, 60))}) // d.note, without Sprintf: a note per chain
	return true
}

func hasStrict(c network.Chain) bool {
	for _, op := range c.Ops {
		if op != "=" {
			return true
		}
	}
	return false
}

func hasArrow(c network.Chain) bool {
	for _, op := range c.Ops {
		if op == "→" {
			return true
		}
	}
	return false
}

// termPos is the position of a term of a line that starts at line:col.
func termPos(base network.Pos, text string, off int) network.Pos {
	p := base
	if off >= 0 && off <= len(text) {
		p.Col += utf8.RuneCountInString(text[:off])
	}
	return p
}

var axisRow = regexp.MustCompile(`^([A-Za-z])(\s+(.*))?$`)

// readMatrix reads a table of coordinate axes: a header of coordinates (axis | 0 | 1 |
// 2 …) and one row per axis ("X orchestration scope | single host (Docker) | cluster
// (Kubernetes) | …"). Each row is an axis dimension; each cell is the point at its column's
// coordinate (X0, also X=0), named by its text, represented by what its parenthesis
// names. It returns nil for any other table.
func readMatrix(d *parsedDoc, b block) []*dimDecl {
	t := b.table
	if len(t.header) < 3 {
		return nil
	}
	coords := make([]int, len(t.header))
	for i, h := range t.header[1:] {
		n, err := strconv.Atoi(strings.TrimSpace(h.text))
		if err != nil || n < 0 || n > 99 {
			return nil
		}
		coords[i+1] = n
	}
	var out []*dimDecl
	for _, row := range t.rows {
		key := row.cells[0]
		m := axisRow.FindStringSubmatch(strings.TrimSpace(key.text))
		if key.missing || m == nil {
			d.problem(d.pos(row.line, 0), CodeTable, "start the row with the axis letter, e.g. X orchestration scope",
				"a table of coordinates needs an axis letter in its first column, not %q", key.text)
			continue
		}
		axis := strings.ToUpper(m[1])
		dd := &dimDecl{id: strings.ToLower(slug(key.text)), axis: axis, pos: d.pos(row.line, key.col),
			category: network.CategoryAxisPoint, columns: []string{"coordinate", "represented-by"}}
		setText(&dd.names, key.text)
		for _, x := range row.extra {
			d.problem(d.pos(row.line, 0), CodeTable, "remove the extra | or add a coordinate to the header",
				"table row has more cells than its header (%d): %q is not read", len(t.header), x)
		}
		for i := 1; i < len(row.cells) && i < len(t.header); i++ {
			c := row.cells[i]
			if c.missing || c.text == "" {
				if c.missing {
					d.problem(d.pos(row.line, 0), CodeTable, "add the cell, or an empty one: | |",
						"table row has no cell for coordinate %d", coords[i])
				}
				continue
			}
			cp := d.pos(c.line, c.col)
			n := strconv.Itoa(coords[i])
			r := &rowDecl{key: axis + n, keyIsID: true, pos: cp, dim: dd, aliases: []string{axis + "=" + n}}
			name, note := c.text, ""
			if pm := parenthetical.FindStringSubmatch(c.text); pm != nil && strings.TrimSpace(pm[1]) != "" {
				name, note = strings.TrimSpace(pm[1]), strings.TrimSpace(pm[2])
			}
			setText(&r.names, name)
			r.attrs = append(r.attrs, attrDecl{name: "coordinate", num: int64(coords[i]), isNum: true, pos: cp})
			if note != "" {
				r.refs = append(r.refs, refDecl{relation: "represented-by", category: network.CategoryTechnology, header: t.header[0].text, text: note, pos: cp})
			}
			dd.rows = append(dd.rows, r)
		}
		if len(dd.rows) > 0 {
			out = append(out, dd)
		}
	}
	if out == nil {
		return []*dimDecl{}
	}
	return out
}

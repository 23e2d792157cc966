package kb

import (
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/strata-dev/strata/network"
)

// The importer writes what each document declares as strata network documents (YAML),
// one declaration per line, each line ending with the Markdown line it came from as a
// comment. It keeps, for every line it writes, the Markdown position of each thing on it,
// so that positions the network loader reports in the YAML become Markdown positions
// again (posMap).

// anchor says that from column col of a YAML line on, the text came from pos.
type anchor struct {
	col int
	pos network.Pos
	// verbatim: the line was copied from the Markdown as it is, so a column further on
	// the line is as far from pos.
	verbatim bool
}

// posMap maps positions in a generated YAML file back to the Markdown.
type posMap struct {
	lines map[int][]anchor
	doc   string
}

func (m *posMap) pos(p network.Pos) network.Pos {
	for l := p.Line; l >= 1; l-- {
		as := m.lines[l]
		if len(as) == 0 {
			continue
		}
		if l != p.Line {
			return as[0].pos
		}
		i := sort.Search(len(as), func(i int) bool { return as[i].col > p.Col }) - 1
		if i < 0 {
			i = 0
		}
		if a := as[i]; a.verbatim && p.Col >= a.col {
			q := a.pos
			q.Col += p.Col - a.col
			return q
		}
		return as[i].pos
	}
	return network.Pos{File: m.doc}
}

type yamlWriter struct {
	b     strings.Builder
	line  int // the line being written, 1-based
	cur   strings.Builder
	col   int // runes on the current line
	marks []anchor
	m     *posMap
	src   network.Pos // the current line's Markdown position, for the trailing comment
}

func newYAMLWriter(doc string) *yamlWriter {
	return &yamlWriter{line: 1, m: &posMap{lines: map[int][]anchor{}, doc: doc}}
}

// mark records that what is written next came from pos.
func (w *yamlWriter) mark(pos network.Pos) {
	if pos.Line == 0 {
		return
	}
	w.marks = append(w.marks, anchor{col: w.col + 1, pos: pos})
	if w.src.Line == 0 {
		w.src = pos
	}
}

func (w *yamlWriter) put(s string) {
	w.cur.WriteString(s)
	w.col += utf8.RuneCountInString(s)
}

// end finishes the line, with the Markdown line it came from as a comment.
func (w *yamlWriter) end() {
	if w.src.Line > 0 {
		w.put("  # " + path.Base(filepath.ToSlash(w.src.File)) + ":" + strconv.Itoa(w.src.Line))
	}
	w.b.WriteString(w.cur.String())
	w.b.WriteByte('\n')
	if len(w.marks) > 0 {
		w.m.lines[w.line] = w.marks
	}
	w.cur.Reset()
	w.col, w.marks, w.src = 0, nil, network.Pos{}
	w.line++
}

func (w *yamlWriter) lineOf(s string) {
	w.put(s)
	w.end()
}

// plainOK reports whether s may be a plain scalar by its characters: a letter or digit,
// then letters, digits, spaces and _ . - / ( ) （ ） 、 ， 。 ·. (Written out: the regular
// expression it replaces, TestPlainScalars' judge, was a tenth of a reload's time.)
func plainOK(s string) bool {
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			continue
		}
		if i == 0 {
			return false
		}
		switch r {
		case ' ', '_', '.', '-', '/', '(', ')', '（', '）', '、', '，', '。', '·':
		default:
			return false
		}
	}
	return s != ""
}

// numberLike reports whether a plain s would start like a number: a digit, maybe after
// one of - + ., or is .inf or .nan.
func numberLike(s string) bool {
	if s == ".inf" || s == ".nan" {
		return true
	}
	if s != "" && (s[0] == '-' || s[0] == '+' || s[0] == '.') {
		s = s[1:]
	}
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// q writes a YAML scalar: plain when that cannot be read as anything else, otherwise
// double-quoted with escapes.
func q(s string) string {
	if plainOK(s) && !numberLike(s) && !strings.HasSuffix(s, " ") {
		switch strings.ToLower(s) {
		case "true", "false", "yes", "no", "on", "off", "null", "y", "n":
		default:
			return s
		}
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7F || r >= 0x80 && r < 0xA0 || r == 0x2028 || r == 0x2029 || r == 0xFEFF:
			b.WriteString(`\u`)
			b.WriteString(strconv.FormatUint(uint64(0x10000+r), 16)[1:])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func textYAML(t network.Text) string {
	var parts []string
	if t.En != "" {
		parts = append(parts, "en: "+q(t.En))
	}
	if t.Zh != "" {
		parts = append(parts, "zh: "+q(t.Zh))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func listYAML(ss []string) string {
	qs := make([]string, len(ss))
	for i, s := range ss {
		qs[i] = q(s)
	}
	return "[" + strings.Join(qs, ", ") + "]"
}

// emit writes a document's network documents.
func emit(o *docOut, dec Decoding) ([]byte, *posMap) {
	w := newYAMLWriter(o.src.name)
	w.lineOf("# " + o.src.name + ": network documents read from Markdown by strata import; each line ends with the Markdown line it came from")
	w.lineOf("# encoding: " + dec.String())
	first := true
	sep := func() {
		if !first {
			w.lineOf("---")
		}
		first = false
	}
	base := baseName(o.src.name)
	for i, rt := range o.rels {
		sep()
		w.lineOf("apiVersion: " + network.APIVersion)
		w.lineOf("kind: RelationType")
		w.mark(o.relPos[i])
		w.put("metadata: {name: " + q(rt.ID) + ", names: " + textYAML(rt.Names) + "}")
		w.end()
		spec := "spec: {symbol: " + q(rt.Symbol)
		if rt.Equivalence != "" {
			spec += ", equivalence: " + q(rt.Equivalence)
		}
		w.mark(o.relPos[i])
		w.put(spec + ", properties: [transitive, irreflexive, antisymmetric]}")
		w.end()
	}
	for _, do := range o.dims {
		d := do.d
		sep()
		w.lineOf("apiVersion: " + network.APIVersion)
		w.lineOf("kind: Dimension")
		w.mark(d.pos)
		w.put("metadata: {name: " + q(d.id))
		if d.names != (network.Text{}) {
			w.put(", names: " + textYAML(d.names))
		}
		w.put("}")
		w.end()
		w.lineOf("spec:")
		if d.axis != "" {
			w.lineOf("  axis: " + q(d.axis))
		}
		if d.definition != (network.Text{}) {
			w.mark(d.pos)
			w.put("  definition: " + textYAML(d.definition))
			w.end()
		}
		if d.category != network.CategoryValue && d.category != "" && !(d.axis != "" && d.category == network.CategoryAxisPoint) {
			w.lineOf("  category: " + q(d.category))
		}
		if len(d.columns) > 0 {
			w.lineOf("  columns: " + listYAML(dedupe(d.columns)))
		}
		w.lineOf("  values:")
		for _, v := range do.values {
			entityLine(w, v, false)
		}
	}
	if len(o.entities) > 0 {
		sep()
		w.lineOf("apiVersion: " + network.APIVersion)
		w.lineOf("kind: Entities")
		w.lineOf("metadata: {name: " + q(base+".entities") + "}")
		w.lineOf("spec:")
		w.lineOf("  items:")
		for _, e := range o.entities {
			entityLine(w, e, true)
		}
	}
	if len(o.chains) > 0 || len(o.formulas) > 0 {
		sep()
		w.lineOf("apiVersion: " + network.APIVersion)
		w.lineOf("kind: Facts")
		w.lineOf("metadata: {name: " + q(base+".facts") + "}")
		w.lineOf("spec:")
		var asFacts []chainOut
		if len(o.chains) > 0 {
			w.lineOf("  chains:")
			for _, c := range o.chains {
				if !chainSafe(c.terms) {
					asFacts = append(asFacts, c)
					continue
				}
				w.mark(c.pos)
				w.put("    - {relation: " + q(c.relation) + ", chain: \"")
				for i, t := range c.terms {
					if i > 0 {
						w.put(" " + c.ops[i-1] + " ")
					}
					w.mark(c.termPos[i])
					w.put(chainTerm(t.id))
				}
				w.put("\"}")
				w.end()
			}
		}
		if len(asFacts) > 0 {
			w.lineOf("  facts:")
			for _, c := range asFacts {
				for i, op := range c.ops {
					s, ob := c.terms[i], c.terms[i+1]
					if op == "<" {
						s, ob = ob, s
					}
					w.mark(c.termPos[i])
					f := "    - {subject: " + q(s.id) + ", relation: " + q(c.relation) + ", object: " + q(ob.id)
					if op == "=" {
						f += ", equal: true"
					}
					w.put(f + "}")
					w.end()
				}
			}
		}
		if len(o.formulas) > 0 {
			w.lineOf("  formulas:")
			for _, f := range o.formulas {
				w.mark(f.pos)
				w.put("    - \"")
				w.mark(f.resPos)
				w.put(chainTerm(f.result.id) + " =")
				for i, op := range f.operands {
					if i > 0 {
						w.put(" " + f.op)
					}
					w.put(" ")
					w.mark(f.opPos[i])
					w.put(chainTerm(op.id))
				}
				w.put("\"")
				w.end()
			}
		}
	}
	for _, lines := range o.src.embedded {
		// a block that opens with its own "---" needs none before it
		opens := false
		for _, l := range lines {
			if t := strings.TrimSpace(l.text); t != "" && !strings.HasPrefix(t, "#") {
				opens = t == "---" || strings.HasPrefix(t, "--- ")
				break
			}
		}
		if !opens {
			sep()
		}
		first = false
		for _, l := range lines {
			w.marks = append(w.marks, anchor{col: 1, pos: network.Pos{File: o.src.name, Line: l.line, Col: l.col}, verbatim: true})
			w.put(l.text)
			w.b.WriteString(w.cur.String())
			w.b.WriteByte('\n')
			w.m.lines[w.line] = w.marks
			w.cur.Reset()
			w.col, w.marks, w.src = 0, nil, network.Pos{}
			w.line++
		}
	}
	return []byte(w.b.String()), w.m
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// chainSafe: every id can be written as a chain term (quoted if it holds an operator).
func chainSafe(ts []*entity) bool {
	for _, t := range ts {
		if strings.IndexByte(t.id, '"') >= 0 || strings.IndexByte(t.id, '\\') >= 0 || strings.TrimSpace(t.id) != t.id {
			return false
		}
	}
	return true
}

// chainTerm writes an id as a chain or formula term, quoted when it holds an operator.
// The chain is itself inside a double-quoted YAML scalar, so the quotes are escaped.
func chainTerm(id string) string {
	if strings.ContainsAny(id, "=<>→+×*") || strings.Contains(id, "->") || strings.EqualFold(id, "x") || strings.Contains(strings.ToLower(" "+id+" "), " x ") {
		return `\"` + id + `\"`
	}
	return id
}

// entityLine writes one entity entry in flow style on one line.
func entityLine(w *yamlWriter, o *entityOut, withCategory bool) {
	e := o.e
	w.mark(o.pos)
	w.put("    - {id: " + q(e.id))
	if o.merge {
		w.put(", merge: true")
	} else if withCategory {
		w.put(", category: " + q(e.category))
	}
	if o.names != (network.Text{}) {
		w.put(", names: " + textYAML(o.names))
	}
	if len(o.aliases) > 0 {
		w.put(", aliases: " + listYAML(o.aliases))
	}
	if len(o.attrs) > 0 {
		w.put(", attributes: {")
		seen := map[string]bool{}
		n := 0
		for _, a := range o.attrs {
			name := a.name
			for i := 2; seen[name]; i++ {
				name = a.name + "-" + strconv.Itoa(i)
			}
			seen[name] = true
			if n > 0 {
				w.put(", ")
			}
			n++
			w.mark(a.pos)
			if a.isNum {
				w.put(q(name) + ": " + strconv.FormatInt(a.num, 10))
			} else {
				w.put(q(name) + ": " + textYAML(a.text))
			}
		}
		w.put("}")
	}
	if len(o.rels) > 0 {
		w.put(", relations: {")
		for i, r := range o.rels {
			if i > 0 {
				w.put(", ")
			}
			ids := make([]string, len(r.objects))
			for j, x := range r.objects {
				ids[j] = x.id
			}
			w.put(q(r.relation) + ": " + listYAML(ids))
		}
		w.put("}")
	}
	w.put("}")
	w.end()
}

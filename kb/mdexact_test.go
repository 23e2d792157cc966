package kb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"math/rand/v2"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	yaml "go.yaml.in/yaml/v3"

	"github.com/strata-dev/strata/network"
)

// hostileIDs are ids that Markdown and the exporter's own syntax read specially.
var hostileIDs = []string{
	"a|b", "`code`", "**bold**", "*", "_x_", `back\slash`, `\|`, "a\\", "<br>", "&amp;", "&#32;", "[link](x)", "~~s~~",
	" lead", "trail ", " both ", "a > b", "x = y", "a->b", "p → q", "a, b", "k: v", `"q"`, `""`, "[]", "中文 id", "emoji 🚀",
	"ارسال", "tab\tin", "#hash", "- dash", "1. item", "> quote", "e\u0301", "!", "|", "**", "-->", "<!--", "a+b", "a × b",
}

// hostileValues are attribute and name values: the ids' characters and line breaks.
var hostileValues = []string{"", " ", "line\nbreak", "\r\n", "two  spaces", "tab\t", "\u00a0nbsp\u00a0", "null", "true", "1e3", "- x", "a|b|c", "end\\", "&#92;", "<br>"}

// hostileYAML writes a random network with hostile ids and values as network documents
// in JSON (which YAML reads), written with encoding/json, not the network's writer.
func hostileYAML(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed*7+1))
	pick := func(ss []string) string { return ss[rng.IntN(len(ss))] }
	word := func() string {
		if rng.IntN(2) == 0 {
			return pick(hostileValues)
		}
		return pick(hostileIDs)
	}
	var docs []any
	doc := func(kind, name string, meta map[string]any, spec any) {
		m := map[string]any{"name": name}
		for k, v := range meta {
			m[k] = v
		}
		docs = append(docs, map[string]any{"apiVersion": network.APIVersion, "kind": kind, "metadata": m, "spec": spec})
	}
	rels := []string{"rank", "uses", "near|by"}
	doc("RelationType", "rank", map[string]any{"names": map[string]string{"en": "rank | order", "zh": "等级"}},
		map[string]any{"symbol": ">", "equivalence": "=", "properties": []string{"transitive", "irreflexive", "antisymmetric"}, "inverse": "rank-below"})
	doc("RelationType", "uses", nil, map[string]any{"properties": []string{"irreflexive"}, "inverse": "used by **x**"})
	doc("RelationType", "near|by", map[string]any{"names": map[string]string{"en": "near `by`"}}, map[string]any{"properties": []string{"symmetric"}})
	doc("RelationType", "all-of", nil, map[string]any{"operator": "+"})
	used := map[string]bool{}
	var ids []string
	newID := func() string {
		for {
			id := pick(hostileIDs)
			if rng.IntN(2) == 0 {
				id += fmt.Sprint(rng.IntN(100))
			}
			if !used[id] && strings.TrimSpace(id) != "" {
				used[id] = true
				ids = append(ids, id)
				return id
			}
		}
	}
	entity := func() map[string]any {
		e := map[string]any{"id": newID()}
		if rng.IntN(2) == 0 {
			e["category"] = pick(network.Categories())
		}
		names := map[string]string{}
		if rng.IntN(3) > 0 {
			names["en"] = strings.TrimSpace(word()) + "n"
		}
		if len(ids) > 1 && rng.IntN(8) == 0 {
			names["en"] = ids[rng.IntN(len(ids)-1)] // another entity's id
		}
		if rng.IntN(2) == 0 {
			names["zh"] = "名" + word()
		}
		if len(names) > 0 {
			e["names"] = names
		}
		if rng.IntN(2) == 0 {
			e["aliases"] = []string{"alias " + word(), word() + " alias"}
		}
		attrs := map[string]any{}
		for range rng.IntN(5) {
			name := pick([]string{"year", "w", "label|x", "**b**", "文本", "list", "empty"})
			switch rng.IntN(6) {
			case 0:
				attrs[name] = rng.IntN(3000) - 1000
			case 1:
				attrs[name] = float64(rng.IntN(1000)) / 8
			case 2:
				attrs[name] = rng.IntN(2) == 0
			case 3:
				attrs[name] = []string{word(), word()}[:rng.IntN(3)]
			case 4:
				attrs[name] = map[string]string{"en": word(), "zh": "中" + word()}
			default:
				attrs[name] = word()
			}
		}
		if len(attrs) > 0 {
			e["attributes"] = attrs
		}
		return e
	}
	for d := range rng.IntN(3) {
		var values []any
		for range 1 + rng.IntN(4) {
			values = append(values, entity())
		}
		spec := map[string]any{"values": values}
		if rng.IntN(2) == 0 {
			spec["definition"] = map[string]string{"en": word() + " def", "zh": "定义" + word()}
		}
		doc("Dimension", fmt.Sprintf("dim %d | %s", d, pick(hostileIDs)), map[string]any{"names": map[string]string{"en": "Dim " + word()}}, spec)
	}
	var items []any
	for range 2 + rng.IntN(6) {
		items = append(items, entity())
	}
	doc("Entities", "things", nil, map[string]any{"category": "technology", "items": items})
	var facts []any
	for range rng.IntN(10) {
		f := map[string]any{"subject": pick(ids), "relation": pick(rels), "object": pick(ids)}
		if f["relation"] == "rank" && rng.IntN(3) == 0 {
			f["equal"] = true
		}
		if rng.IntN(4) == 0 {
			f["kind"] = "measured"
			f["note"] = word()
		}
		if f["subject"] == f["object"] && f["relation"] != "near|by" {
			continue
		}
		facts = append(facts, f)
	}
	quote := func(id string) string { return `"` + id + `"` }
	var chains []any
	for range rng.IntN(3) {
		a, b := pick(ids), pick(ids)
		if a == b || strings.Contains(a+b, `"`) {
			continue
		}
		chains = append(chains, map[string]any{"relation": "rank", "chain": quote(a) + " > " + quote(b)})
	}
	spec := map[string]any{}
	if len(facts) > 0 {
		spec["facts"] = facts
	}
	if len(chains) > 0 {
		spec["chains"] = chains
	}
	if len(spec) > 0 {
		doc("Facts", "facts", nil, spec)
	}
	var out bytes.Buffer
	for i, d := range docs {
		if i > 0 {
			out.WriteString("---\n")
		}
		b, err := json.Marshal(d)
		if err != nil {
			panic(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// judge is the network as `strata export -o yaml` writes it, read back as plain values,
// without source positions, with the facts sorted: the fact set, written and compared
// without the Markdown writer or reader.
func judge(t *testing.T, n *network.Network) map[string]any {
	t.Helper()
	b, err := yaml.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(x any) any
	strip = func(x any) any {
		switch y := x.(type) {
		case map[string]any:
			delete(y, "source")
			for k, z := range y {
				y[k] = strip(z)
			}
		case []any:
			for i, z := range y {
				y[i] = strip(z)
			}
		}
		return x
	}
	strip(v)
	// facts are a multiset; entities and relation types a set by id (their order in the
	// network is the order of the files that declared them, not a fact)
	for _, k := range []string{"facts", "entities", "relations"} {
		if fs, ok := v[k].([]any); ok {
			sort.Slice(fs, func(i, j int) bool { return fmt.Sprint(fs[i]) < fmt.Sprint(fs[j]) })
		}
	}
	return v
}

// TestMarkdownFactSets: for the default network and random networks of hostile ids,
// export -o markdown then import gives the same fact set as the YAML export says:
// entities with ids, categories, names, aliases and attributes, dimensions, relation
// types, every fact, chains and formulas.
func TestMarkdownFactSets(t *testing.T) {
	check := func(t *testing.T, n *network.Network) string {
		t.Helper()
		var md bytes.Buffer
		if err := WriteMarkdown(&md, n); err != nil {
			t.Fatal(err)
		}
		back := importMarkdown(t, md.Bytes())
		want, got := judge(t, n), judge(t, back)
		for _, k := range []string{"entities", "dimensions", "relations", "facts", "chains", "formulas"} {
			if !reflect.DeepEqual(want[k], got[k]) {
				wy, _ := yaml.Marshal(want[k])
				gy, _ := yaml.Marshal(got[k])
				t.Errorf("%s differ:\n%s\n--- then ---\n%s\nMarkdown:\n%s", k, wy, gy, md.String())
			}
		}
		return md.String()
	}
	t.Run("default", func(t *testing.T) {
		n, err := network.Load(network.DefaultFiles())
		if err != nil {
			t.Fatal(err)
		}
		check(t, n)
	})
	t.Run("hostile", func(t *testing.T) {
		loaded := 0
		// the shapes the hostile networks must reach: cells naming entities by name,
		// facts tables and chain labels naming relations by name, attribute lists below
		// tables too wide for their attributes, and an entity named by its id in a cell
		// though it has a name (the name finds another entity or several)
		shapes := map[string]int{}
		for seed := range uint64(300) {
			n, err := network.Load([]network.File{{Name: "h.yaml", Data: hostileYAML(seed)}})
			if err != nil {
				continue // an id the loader refuses; counted below
			}
			loaded++
			s := check(t, n)
			for _, k := range []string{`"refs":{`, `"rels":{`, `"kind":"attributes"`} {
				if strings.Contains(s, k) {
					shapes[k]++
				}
			}
			for _, e := range n.Entities {
				if r, err := n.Resolve(e.Names.String()); e.Names.String() != "" && (err != nil || r.ID != e.ID) {
					shapes["ambiguous name"]++
				}
			}
			markdownRoundTrip(t, n)
			if t.Failed() {
				t.Fatalf("seed %d:\n%s", seed, hostileYAML(seed))
			}
		}
		if loaded < 290 {
			t.Errorf("only %d of 300 hostile networks load: the generator tests too little", loaded)
		}
		for _, k := range []string{`"refs":{`, `"rels":{`, `"kind":"attributes"`, "ambiguous name"} {
			if shapes[k] < 10 {
				t.Errorf("only %d hostile networks reach %s", shapes[k], k)
			}
		}
		t.Logf("shapes reached: %v", shapes)
		t.Logf("%d of 300 hostile networks loaded and round-tripped", loaded)
	})
}

// TestMarkdownExportRenders: the default network's export holds no network documents
// (every part is a table, a chain line or a formula line), and goldmark — CommonMark
// with GFM tables, the renderer people read it with — parses every marked table as a
// table of the columns and rows it was written with; and a hostile network's bold id
// cells render as their ids.
func TestMarkdownExportRenders(t *testing.T) {
	n, err := network.Load(network.DefaultFiles())
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, n); err != nil {
		t.Fatal(err)
	}
	s := md.String()
	if strings.Contains(s, "```yaml") || strings.Contains(s, "apiVersion") {
		t.Errorf("the default network's export holds network documents:\n%s", s)
	}
	if !strings.Contains(s, "isolation strength: L-0 = L-4 > L-1 > L-2 > L-3") {
		t.Errorf("the isolation chain is not a chain line")
	}
	checkRendered(t, md.Bytes(), 2+len(n.Dimensions))
	for seed := range uint64(40) {
		h, err := network.Load([]network.File{{Name: "h.yaml", Data: hostileYAML(seed)}})
		if err != nil {
			continue
		}
		var hm bytes.Buffer
		if err := WriteMarkdown(&hm, h); err != nil {
			t.Fatal(err)
		}
		ids := checkRendered(t, hm.Bytes(), 1)
		for _, e := range h.Entities {
			// goldmark's text drops a line break's <br>; ids hold none
			if !ids[e.ID] {
				t.Errorf("seed %d: no table's bold id cell renders as %q", seed, e.ID)
			}
		}
	}
}

// checkRendered parses md with goldmark and checks that each strata:table comment before
// a table is followed by a table of its columns, every row as wide, with as many rows as
// the source has row lines; it returns the text of the bold id cells as goldmark reads it.
func checkRendered(t *testing.T, src []byte, atLeast int) map[string]bool {
	t.Helper()
	doc := md.Parser().Parse(text.NewReader(src))
	tables := 0
	var mark *strataMark
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		switch x := c.(type) {
		case *ast.HTMLBlock:
			lines := rawLines(x.Lines(), src, newLineIndex(src))
			if m, ok, err := parseMark(lines); ok && err == nil && m.Kind != "chains" && m.Kind != "formulas" {
				mark = &m
			}
		case *extast.Table:
			if mark == nil {
				t.Errorf("a table without its strata:table comment")
				continue
			}
			tables++
			rows, srcRows := 0, 0
			for r := x.FirstChild(); r != nil; r = r.NextSibling() {
				cells := 0
				for cell := r.FirstChild(); cell != nil; cell = cell.NextSibling() {
					if cells == 0 && r.Kind() == extast.KindTableRow && (mark.Kind == "dimension" || mark.Kind == "entities") {
						if e, ok := cell.FirstChild().(*ast.Emphasis); !ok || e.Level != 2 || e.NextSibling() != nil {
							t.Errorf("an id cell is not bold: %q", cell.Text(src)) //nolint:staticcheck
						}
					}
					cells++
				}
				if cells != len(mark.Cols) {
					t.Errorf("a %s table row has %d cells, want %d", mark.Kind, cells, len(mark.Cols))
				}
				if r.Kind() == extast.KindTableRow {
					rows++
				}
			}
			start := newLineIndex(src)
			l := 0
			if hc := x.FirstChild().FirstChild(); hc != nil && hc.Lines().Len() > 0 {
				l, _ = start.pos(hc.Lines().At(0).Start)
			}
			for i := l + 2; strings.HasPrefix(start.lineText(i), "| "); i++ {
				srcRows++
			}
			if l == 0 || rows != srcRows {
				t.Errorf("a %s table: goldmark reads %d rows, the source has %d", mark.Kind, rows, srcRows)
			}
			mark = nil
		}
	}
	if tables < atLeast {
		t.Errorf("goldmark reads %d tables, want at least %d", tables, atLeast)
	}
	return strongTexts(t, src)
}

// strongTexts renders src to HTML with goldmark and returns the text of its <strong>
// elements, character references resolved: what a reader sees in bold.
func strongTexts(t *testing.T, src []byte) map[string]bool {
	t.Helper()
	var h bytes.Buffer
	if err := md.Convert(src, &h); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range strongRe.FindAllStringSubmatch(h.String(), -1) {
		out[html.UnescapeString(m[1])] = true
	}
	return out
}

var strongRe = regexp.MustCompile(`(?s)<strong>(.*?)</strong>`)

// TestCellEscape: every string is written as a cell and read back; a list too.
func TestCellEscape(t *testing.T) {
	cases := append(append([]string{}, hostileIDs...), hostileValues...)
	cases = append(cases, plainScalarCases()[:3000]...)
	for _, s := range cases {
		if !utf8.ValidString(s) {
			continue // the network's writer refuses it before a cell is written
		}
		for _, list := range []bool{false, true} {
			c := cellEscape(s, list)
			if strings.ContainsAny(c, "\n\r") || strings.TrimSpace(c) != c {
				t.Errorf("%q: cell %q is not one trimmed line", s, c)
			}
			if got, ok := cellUnescape(c); !ok || got != s {
				t.Errorf("%q: cell %q reads back as %q (%v)", s, c, got, ok)
			}
			if cells := splitRow(tableRow([]string{c, c})); len(cells) != 2 || cells[0] != c {
				t.Errorf("%q: row of cell %q splits into %q", s, c, cells)
			}
		}
		l := []string{s, s + ",", ""}
		if got, ok := listUnescape(listEscape(l)); !ok || !reflect.DeepEqual(got, l) {
			t.Errorf("list %q: %q reads back as %q", l, listEscape(l), got)
		}
	}
}

// TestMarkedTableHandEdits: a marked dimension's names and definition are read from its
// strata:table comment; a reader who edits the heading or the definition line by hand
// (and not the comment) is told where, instead of the edit being silently dropped.
func TestMarkedTableHandEdits(t *testing.T) {
	n, err := network.Load(network.DefaultFiles())
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, n); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(md.String(), "\n")
	headLine, defLine := 0, 0
	for i, l := range lines {
		if headLine == 0 && strings.HasPrefix(l, "## ") && strings.Contains(l, "四层隔离栈") {
			headLine = i + 1
			lines[i] = "## Isolation layers, renamed by hand"
		}
		if headLine != 0 && defLine == 0 && strings.HasPrefix(l, "**Definition**:") {
			defLine = i + 1
			lines[i] = "**Definition**: a definition edited by hand"
		}
	}
	if headLine == 0 || defLine == 0 {
		t.Fatalf("no isolation heading or definition in the export:\n%s", md.String())
	}
	im, err := NewReader(Options{}).Read(context.Background(), []network.File{{Name: "net.md", Data: []byte(strings.Join(lines, "\n"))}})
	if err != nil {
		t.Fatal(err)
	}
	var heading, definition bool
	for _, p := range im.Problems {
		heading = heading || p.Pos.Line == headLine && strings.Contains(p.Message, "renamed by hand")
		definition = definition || p.Pos.Line == defLine && strings.Contains(p.Message, "edited by hand")
	}
	if !heading || !definition {
		t.Errorf("the hand edits at lines %d and %d are not reported there: %v", headLine, defLine, im.Problems)
	}
}

// renderedTables renders src with goldmark (CommonMark with GFM tables) and returns each
// table as rows of cell texts, the header row first, tags stripped and character
// references resolved: what a reader sees.
func renderedTables(t *testing.T, src []byte) ([][][]string, string) {
	t.Helper()
	var h bytes.Buffer
	if err := md.Convert(src, &h); err != nil {
		t.Fatal(err)
	}
	var tables [][][]string
	for _, tm := range tableRe.FindAllStringSubmatch(h.String(), -1) {
		var rows [][]string
		for _, rm := range rowRe.FindAllStringSubmatch(tm[1], -1) {
			var cells []string
			for _, cm := range cellRe.FindAllStringSubmatch(rm[1], -1) {
				cells = append(cells, html.UnescapeString(tagRe.ReplaceAllString(cm[1], "")))
			}
			rows = append(rows, cells)
		}
		tables = append(tables, rows)
	}
	return tables, h.String()
}

var (
	tableRe = regexp.MustCompile(`(?s)<table>(.*?)</table>`)
	rowRe   = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRe  = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
	tagRe   = regexp.MustCompile(`<[^>]*>`)
)

// TestMarkdownExportReadable: the default network's export, rendered by goldmark, reads
// as a person wants it: no table is wider than 8 columns (the technologies' attributes
// were 60 columns), the relation cells name entities by their names (an id only where
// the name would find another entity or none), and the chain lines are labelled with the
// relation's name ("isolation strength: …", not "isolation-strength: …"); and the chain
// labels resolve as names on import even where the strata:table comment does not list
// them (a label edited by hand to the Chinese name).
func TestMarkdownExportReadable(t *testing.T) {
	n, err := network.Load(network.DefaultFiles())
	if err != nil {
		t.Fatal(err)
	}
	var src bytes.Buffer
	if err := WriteMarkdown(&src, n); err != nil {
		t.Fatal(err)
	}
	tables, rendered := renderedTables(t, src.Bytes())
	if len(tables) < 2+len(n.Dimensions) {
		t.Fatalf("goldmark renders %d tables", len(tables))
	}
	// a relation column's header is the relation's name or its inverse
	relHeader := map[string]bool{}
	for _, r := range n.Relations {
		relHeader[r.Names.String()] = r.Symbol == "" && r.Operator == ""
		if r.Inverse != "" {
			relHeader[r.Inverse] = true
		}
	}
	// how a person expects an entity named: its name, unless that finds another or none
	wantLabel := func(e *network.Entity) string {
		name := e.Names.String()
		if r, err := n.Resolve(name); name == "" || err != nil || r.ID != e.ID {
			return e.ID
		}
		return name
	}
	named, relCells := map[string]bool{}, 0
	for ti, tab := range tables {
		if w := len(tab[0]); w > 8 {
			t.Errorf("table %d (%v) is %d columns wide, want at most 8", ti, tab[0][:3], w)
		}
		for ci, h := range tab[0] {
			if !relHeader[h] || ci == 0 {
				continue
			}
			for _, row := range tab[1:] {
				if ci >= len(row) || row[ci] == "" {
					continue
				}
				for _, item := range strings.Split(row[ci], ", ") {
					relCells++
					e, err := n.Resolve(item)
					if err != nil {
						t.Errorf("table %d, column %q: %q finds no entity: %v", ti, h, item, err)
						continue
					}
					if want := wantLabel(e); item != want {
						t.Errorf("table %d, column %q: %s is written %q, want %q", ti, h, e.ID, item, want)
					}
					named[item] = true
				}
			}
		}
	}
	for _, want := range []string{"Intel VT-x", "Kata Containers (QEMU)", "Open Policy Agent", "WasmEdge", "Kubernetes"} {
		if !named[want] {
			t.Errorf("no relation cell names %q", want)
		}
	}
	if relCells < 50 {
		t.Errorf("only %d entities in relation cells", relCells)
	}
	for _, r := range n.Relations {
		if r.Symbol == "" {
			continue
		}
		line := r.Names.En + ": "
		if !strings.Contains(rendered, "\n"+html.EscapeString(line)) && !strings.Contains(rendered, ">"+html.EscapeString(line)) {
			t.Errorf("no chain line is labelled %q", line)
		}
		if (strings.Contains(rendered, "\n"+r.ID+": ") || strings.Contains(rendered, ">"+r.ID+": ")) && r.ID != r.Names.En {
			t.Errorf("a chain line is labelled with the id %q", r.ID)
		}
	}
	// a label the comment does not list is resolved by name, as import resolves labels
	edited := strings.Replace(src.String(), "\nisolation strength: ", "\n隔离强度: ", 1)
	if edited == src.String() {
		t.Fatal("no isolation strength chain line")
	}
	back := importMarkdown(t, []byte(edited))
	if want, got := judge(t, n), judge(t, back); !reflect.DeepEqual(want["chains"], got["chains"]) || !reflect.DeepEqual(want["facts"], got["facts"]) {
		t.Errorf("with the label 隔离强度 the chains or facts differ:\n%v\n--- then ---\n%v", want["chains"], got["chains"])
	}
}

package kb

import (
	"bytes"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// The Markdown layer: goldmark (CommonMark with the GFM table extension) parses a
// document, and this file flattens its tree into the blocks the reader looks at, each with
// its line. Nothing here knows what a dimension or a chain is.

type blockKind int

const (
	blockHeading blockKind = iota
	blockTable
	blockCode
	blockPara // a paragraph, also one inside a list item or a block quote
	blockHTML
)

// block is one Markdown block with its lines.
type block struct {
	kind  blockKind
	line  int // first line (1-based)
	level int // a heading's level
	// lines are the block's text, line by line, with inline markup removed (a paragraph,
	// a heading) or verbatim (a code block).
	lines []srcLine
	lang  string // a fenced code block's info string
	table *mdTable
	quote bool // inside a block quote
	links []string
	// label is a paragraph's leading "**label**:" or "label:" and rest what follows
	// it, when the paragraph starts that way.
	label, rest string
	restCol     int
}

// srcLine is a line of text and where it starts.
type srcLine struct {
	line, col int
	text      string
	// bold marks the byte ranges of text that were bold.
	bold [][2]int
}

type mdTable struct {
	header []mdCell
	rows   []mdRow
}

type mdRow struct {
	line  int
	cells []mdCell
	// extra are cells beyond the header's count (goldmark drops them; we report them).
	extra []string
}

type mdCell struct {
	text    string
	bold    bool // every letter of it is bold (**D1**)
	line    int
	col     int
	missing bool // the row ended before this column
}

// lineIndex maps byte offsets to lines and columns.
type lineIndex struct {
	src    []byte
	starts []int
}

func newLineIndex(src []byte) *lineIndex {
	li := &lineIndex{src: src, starts: []int{0}}
	for i, c := range src {
		if c == '\n' {
			li.starts = append(li.starts, i+1)
		}
	}
	return li
}

// pos is the 1-based line and column (in characters) of a byte offset.
func (li *lineIndex) pos(off int) (int, int) {
	off = min(max(off, 0), len(li.src))
	l := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
	return l + 1, utf8.RuneCount(li.src[li.starts[l]:off]) + 1
}

func (li *lineIndex) lineText(line int) string {
	if line < 1 || line > len(li.starts) {
		return ""
	}
	s := li.starts[line-1]
	e := len(li.src)
	if line < len(li.starts) {
		e = li.starts[line] - 1
	}
	return strings.TrimRight(string(li.src[s:e]), "\r")
}

var md = goldmark.New(goldmark.WithExtensions(extension.Table))

// parseMarkdown parses src into blocks, and says where reference-style link definitions
// are (goldmark keeps them out of the tree).
func parseMarkdown(src []byte) ([]block, []linkDef) {
	li := newLineIndex(src)
	pc := parser.NewContext()
	doc := md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	var out []block
	var walk func(n ast.Node, quote bool)
	walk = func(n ast.Node, quote bool) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch x := c.(type) {
			case *ast.Heading:
				b := block{kind: blockHeading, level: x.Level, quote: quote}
				b.lines = inlineLines(x, src, li)
				b.line = firstLine(b.lines, li, x)
				out = append(out, b)
			case *extast.Table:
				out = append(out, tableBlock(x, src, li, quote))
			case *ast.FencedCodeBlock:
				b := block{kind: blockCode, quote: quote}
				if x.Info != nil {
					b.lang = strings.TrimSpace(string(x.Info.Segment.Value(src)))
				}
				b.lines = rawLines(x.Lines(), src, li)
				b.line = codeStart(x, li, b.lines)
				out = append(out, b)
			case *ast.CodeBlock:
				b := block{kind: blockCode, quote: quote}
				b.lines = rawLines(x.Lines(), src, li)
				if len(b.lines) > 0 {
					b.line = b.lines[0].line
				}
				out = append(out, b)
			case *ast.Paragraph, *ast.TextBlock:
				b := block{kind: blockPara, quote: quote}
				b.lines = inlineLines(c, src, li)
				b.line = firstLine(b.lines, li, c)
				b.links = links(c, src)
				b.label, b.rest, b.restCol = leadingLabel(c, src, li)
				out = append(out, b)
			case *ast.HTMLBlock:
				b := block{kind: blockHTML, quote: quote}
				b.lines = rawLines(x.Lines(), src, li)
				if len(b.lines) > 0 {
					b.line = b.lines[0].line
				}
				out = append(out, b)
			case *ast.Blockquote:
				walk(c, true)
			case *ast.List, *ast.ListItem:
				walk(c, quote)
			default:
				// thematic breaks and other layout: nothing written there to read
			}
		}
	}
	walk(doc, false)
	var defs []linkDef
	for _, r := range pc.References() {
		label := string(r.Label())
		defs = append(defs, linkDef{label: label, dest: string(r.Destination()), line: findLinkDef(li, label)})
	}
	return out, defs
}

type linkDef struct {
	label, dest string
	line        int
}

func findLinkDef(li *lineIndex, label string) int {
	want := "[" + strings.ToLower(label) + "]:"
	for i := range li.starts {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(li.lineText(i+1))), want) {
			return i + 1
		}
	}
	return 0
}

func firstLine(lines []srcLine, li *lineIndex, n ast.Node) int {
	if len(lines) > 0 {
		return lines[0].line
	}
	if n.Lines().Len() > 0 {
		l, _ := li.pos(n.Lines().At(0).Start)
		return l
	}
	l, _ := li.pos(n.Pos())
	return l
}

func codeStart(x *ast.FencedCodeBlock, li *lineIndex, lines []srcLine) int {
	if x.Info != nil {
		l, _ := li.pos(x.Info.Segment.Start)
		return l
	}
	if len(lines) > 0 {
		return lines[0].line - 1
	}
	l, _ := li.pos(x.Pos())
	return l
}

// rawLines are a code block's lines as written.
func rawLines(segs *text.Segments, src []byte, li *lineIndex) []srcLine {
	out := make([]srcLine, 0, segs.Len())
	for i := 0; i < segs.Len(); i++ {
		s := segs.At(i)
		l, c := li.pos(s.Start)
		out = append(out, srcLine{line: l, col: c, text: strings.TrimRight(string(s.Value(src)), "\r\n")})
	}
	return out
}

// inlineLines is the text of a block's inline content, split where the source breaks
// lines, with the markup (emphasis markers, link brackets, backticks) left out.
func inlineLines(n ast.Node, src []byte, li *lineIndex) []srcLine {
	var out []srcLine
	var cur *srcLine
	start := func(off int) {
		if cur == nil {
			l, c := li.pos(off)
			out = append(out, srcLine{line: l, col: c})
			cur = &out[len(out)-1]
		}
	}
	var walk func(n ast.Node, bold bool)
	walk = func(n ast.Node, bold bool) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch x := c.(type) {
			case *ast.Text:
				start(x.Segment.Start)
				v := x.Value(src)
				from := len(cur.text)
				cur.text += string(v)
				if bold && len(v) > 0 {
					cur.bold = append(cur.bold, [2]int{from, len(cur.text)})
				}
				if x.SoftLineBreak() || x.HardLineBreak() {
					cur = nil
				}
			case *ast.String:
				if cur != nil {
					cur.text += string(x.Value)
				}
			case *ast.Emphasis:
				walk(c, bold || x.Level >= 2)
			case *ast.AutoLink:
				start(x.Pos())
				cur.text += string(x.URL(src))
			case *ast.RawHTML:
				// inline HTML: its text is markup, not content
			default:
				walk(c, bold)
			}
		}
	}
	walk(n, false)
	for i := range out {
		out[i].text = strings.TrimRight(out[i].text, " \t\r")
	}
	return out
}

func links(n ast.Node, src []byte) []string {
	var out []string
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch x := c.(type) {
		case *ast.Link:
			out = append(out, string(x.Destination))
		case *ast.Image:
			out = append(out, string(x.Destination))
		case *ast.AutoLink:
			out = append(out, string(x.URL(src)))
		}
		return ast.WalkContinue, nil
	})
	return out
}

// leadingLabel reads "**label**：rest", "**label**: rest" and "label: rest" at the start
// of a paragraph.
func leadingLabel(n ast.Node, src []byte, li *lineIndex) (string, string, int) {
	lines := inlineLines(n, src, li)
	if len(lines) == 0 {
		return "", "", 0
	}
	first := lines[0]
	t := first.text
	i := strings.IndexAny(t, ":：")
	if i <= 0 {
		return "", "", 0
	}
	label := strings.TrimSpace(t[:i])
	if label == "" || strings.ContainsAny(label, "=<>→") || utf8.RuneCountInString(label) > 40 {
		return "", "", 0
	}
	_, w := utf8.DecodeRuneInString(t[i:])
	rest := t[i+w:]
	col := first.col + utf8.RuneCountInString(t[:i+w])
	trimmed := strings.TrimLeft(rest, " \t")
	col += utf8.RuneCountInString(rest) - utf8.RuneCountInString(trimmed)
	parts := []string{trimmed}
	for _, l := range lines[1:] {
		parts = append(parts, l.text)
	}
	return label, strings.TrimSpace(strings.Join(parts, " ")), col
}

// tableBlock reads a GFM table. goldmark fills a short row with empty cells and drops
// cells beyond the header's count; both are told apart here so the reader can say so.
func tableBlock(t *extast.Table, src []byte, li *lineIndex, quote bool) block {
	b := block{kind: blockTable, quote: quote, table: &mdTable{}}
	b.line, _ = li.pos(t.Pos())
	for r := t.FirstChild(); r != nil; r = r.NextSibling() {
		var cells []mdCell
		rowLine := 0
		for c := r.FirstChild(); c != nil; c = c.NextSibling() {
			cell := mdCell{}
			if c.Lines().Len() == 0 {
				cell.missing = true
			} else {
				seg := c.Lines().At(0)
				cell.line, cell.col = li.pos(seg.Start)
				rowLine = cell.line
				ls := inlineLines(c, src, li)
				var parts []string
				allBold, any := true, false
				for _, l := range ls {
					parts = append(parts, l.text)
					n := 0
					for _, bb := range l.bold {
						n += bb[1] - bb[0]
					}
					if strings.TrimSpace(l.text) != "" {
						any = true
						if n < len(strings.TrimSpace(l.text)) {
							allBold = false
						}
					}
				}
				cell.text = strings.TrimSpace(strings.Join(parts, " "))
				cell.bold = any && allBold
			}
			cells = append(cells, cell)
		}
		if rowLine == 0 {
			rowLine, _ = li.pos(r.Pos())
		}
		if _, ok := r.(*extast.TableHeader); ok {
			b.table.header = cells
			if rowLine > 0 {
				b.line = rowLine
			}
			continue
		}
		row := mdRow{line: rowLine, cells: cells}
		row.extra = extraCells(li.lineText(rowLine), len(b.table.header))
		for i := range row.cells {
			if row.cells[i].missing {
				row.cells[i].line = rowLine
			}
		}
		b.table.rows = append(b.table.rows, row)
	}
	return b
}

// extraCells splits a table row's source line on the pipes that separate cells (not an
// escaped \| nor one inside a code span) and returns the cells past the header's count.
func extraCells(line string, want int) []string {
	s := strings.TrimSpace(line)
	s = strings.TrimPrefix(s, "|")
	if strings.HasSuffix(s, "|") && !strings.HasSuffix(s, `\|`) {
		s = s[:len(s)-1]
	}
	var cells []string
	var cur bytes.Buffer
	code := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '|':
			cur.WriteString(`\|`)
			i++
			continue
		case c == '`':
			code = !code
		case c == '|' && !code:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	cells = append(cells, strings.TrimSpace(cur.String()))
	if len(cells) <= want {
		return nil
	}
	return cells[want:]
}

package yamlpos

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits bound the work of reading one file. A zero field takes its default from
// [DefaultLimits]; a negative one means no limit.
type Limits struct {
	MaxBytes       int // size of the file; 256 MiB
	MaxDepth       int // nesting of lists and mappings; 64
	MaxDocuments   int // documents in the file, empty ones included; 10,000
	MaxNodes       int // values in the file, an alias counting as every value it stands for; 16 Mi
	MaxAliasNodes  int // values that aliases stand for, in all; 100,000
	MaxScalarBytes int // bytes of one scalar's value; 1 MiB
}

// DefaultLimits are the limits a zero [Limits] means: far above any network or workload
// people write (a network of 50,000 entities and 147,000 facts is 15 MB and 2 million
// values), far below what would exhaust a server.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:       256 << 20,
		MaxDepth:       64,
		MaxDocuments:   10_000,
		MaxNodes:       16 << 20,
		MaxAliasNodes:  100_000,
		MaxScalarBytes: 1 << 20,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	pick := func(v, def int) int {
		switch {
		case v == 0:
			return def
		case v < 0:
			return int(^uint(0) >> 1)
		}
		return v
	}
	return Limits{
		MaxBytes:       pick(l.MaxBytes, d.MaxBytes),
		MaxDepth:       pick(l.MaxDepth, d.MaxDepth),
		MaxDocuments:   pick(l.MaxDocuments, d.MaxDocuments),
		MaxNodes:       pick(l.MaxNodes, d.MaxNodes),
		MaxAliasNodes:  pick(l.MaxAliasNodes, d.MaxAliasNodes),
		MaxScalarBytes: pick(l.MaxScalarBytes, d.MaxScalarBytes),
	}
}

// Parse reads the YAML documents of one file and calls each with every document that has
// content, in order, as soon as it is read; empty documents (nothing, or only comments,
// between markers) are skipped, since they hold nothing. A document's tree is not used by
// the parser after each returns.
//
// It returns nil, the first error each returns, ctx's error when ctx is done (checked
// between documents and every few thousand values), or a *[Problem] saying where the
// input is not YAML strata reads or goes past a limit (then errors.Is(err, ErrLimit)).
// Documents before the problem have been handed to each.
func Parse(ctx context.Context, file string, data []byte, lim Limits, each func(doc *Node) error) error {
	return parse(ctx, file, data, lim, each, false)
}

func parse(ctx context.Context, file string, data []byte, lim Limits, each func(doc *Node) error, reuse bool) (err error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxBytes {
		return &Problem{Pos: Pos{File: file, Line: 1, Col: 1}, Code: CodeLimit,
			Message: fmt.Sprintf("file is %d bytes; strata reads at most %d", len(data), lim.MaxBytes), Hint: "split it into several files"}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := &parser{ctx: ctx, file: file, fileRef: &file, lim: lim, line: 1, each: each, reuse: reuse}
	src, perr := p.decode(data)
	if perr != nil {
		return perr
	}
	p.src = src
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	p.stream()
	return nil
}

// Scan is [Parse] for a reader that does not keep the trees: a document's tree is valid
// only until each returns, and its memory then holds the next document's. Reading a
// large file then allocates for its largest document, not for every one. Values
// (strings) stay valid.
func Scan(ctx context.Context, file string, data []byte, lim Limits, each func(doc *Node) error) error {
	return parse(ctx, file, data, lim, each, true)
}

// ParseAll is [Parse] collecting the documents.
func ParseAll(ctx context.Context, file string, data []byte, lim Limits) ([]*Node, error) {
	var docs []*Node
	err := Parse(ctx, file, data, lim, func(d *Node) error { docs = append(docs, d); return nil })
	return docs, err
}

// bailout carries an error out of the recursive descent.
type bailout struct{ err error }

type parser struct {
	ctx     context.Context
	file    string
	fileRef *string // the nodes' copy of file
	src     string
	lim     Limits
	each    func(*Node) error

	i      int // read offset
	line   int // line of i, 1-based
	lstart int // offset where that line starts
	cOff   int // a cached offset on the current line…
	cCol   int // …and its 0-based column

	// Set by nextLine: the indentation (spaces) of the line the reader is on, and whether
	// that line is the end of the document (end of input or a --- / ... marker).
	ind    int
	atEnd  bool
	tabInd bool // the line's indentation is followed by a tab

	depth      int
	nodes      int
	aliasNodes int
	docs       int
	anchors    map[string]anchor

	slab     []Node
	slabSize int
	kids     []*Node // children of the collections being read, innermost last
	ptrs     []*Node // storage that finished collections' children are carved from
	ptrSize  int

	// With reuse (Scan), the slabs of a document are kept and handed out again for the
	// next one.
	reuse    bool
	slabs    [][]Node
	nextSlab int
	ptrSlabs [][]*Node
	nextPtrs int
	fold     []byte // scratch for folded scalars
	ticks    int
}

type anchor struct {
	n    *Node
	size int
}

// fail stops reading with a syntax problem at offset off.
func (p *parser) fail(off int, hint, format string, args ...any) {
	panic(bailout{&Problem{Pos: p.posAt(off), Code: CodeSyntax, Message: "malformed YAML: " + fmt.Sprintf(format, args...), Hint: hint}})
}

func (p *parser) limit(off int, hint, format string, args ...any) {
	panic(bailout{&Problem{Pos: p.posAt(off), Code: CodeLimit, Message: fmt.Sprintf(format, args...), Hint: hint}})
}

// decode turns the file into UTF-8 text without a byte-order mark, and refuses what YAML
// does not allow in a stream (invalid UTF-8, control characters, a BOM past the start),
// with its position.
func (p *parser) decode(data []byte) (string, *Problem) {
	switch {
	case len(data) >= 4 && (data[0] == 0 && data[1] == 0 && data[2] == 0xFE && data[3] == 0xFF ||
		data[0] == 0xFF && data[1] == 0xFE && data[2] == 0 && data[3] == 0):
		return "", &Problem{Pos: Pos{File: p.file, Line: 1, Col: 1}, Code: CodeSyntax, Message: "the file is UTF-32", Hint: "save it as UTF-8"}
	case len(data) >= 2 && (data[0] == 0xFF && data[1] == 0xFE || data[0] == 0xFE && data[1] == 0xFF):
		if len(data)%2 != 0 {
			return "", &Problem{Pos: Pos{File: p.file, Line: 1, Col: 1}, Code: CodeSyntax, Message: "the file starts with a UTF-16 byte-order mark but has an odd number of bytes", Hint: "save it as UTF-8"}
		}
		u := make([]uint16, len(data)/2-1)
		for i := range u {
			a, b := uint16(data[2+2*i]), uint16(data[3+2*i])
			if data[0] == 0xFF {
				u[i] = a | b<<8
			} else {
				u[i] = a<<8 | b
			}
		}
		data = []byte(string(utf16.Decode(u)))
	case len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF:
		data = data[3:]
	}
	line, lstart := 1, 0
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n':
				line, lstart = line+1, i+1
			case c == '\r':
				if i+1 < len(data) && data[i+1] == '\n' {
					i++
				}
				line, lstart = line+1, i+1
			case c < 0x20 && c != '\t' || c == 0x7F:
				return "", p.badChar(data, line, lstart, i, fmt.Sprintf("control character U+%04X", c), "remove it; YAML files are text")
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return "", p.badChar(data, line, lstart, i, "invalid UTF-8", "save the file as UTF-8")
		case r >= 0x80 && r <= 0x9F && r != 0x85, r == 0xFFFE, r == 0xFFFF:
			return "", p.badChar(data, line, lstart, i, fmt.Sprintf("control character U+%04X", r), "remove it; YAML files are text")
		case r == 0xFEFF:
			return "", p.badChar(data, line, lstart, i, "byte-order mark (U+FEFF) inside the file", "remove it: only the very start of a file may have one")
		}
		i += size
	}
	return string(data), nil
}

func (p *parser) badChar(data []byte, line, lstart, i int, what, hint string) *Problem {
	col := 1
	for j := lstart; j < i; {
		_, n := utf8.DecodeRune(data[j:i])
		j += n
		col++
	}
	return &Problem{Pos: Pos{File: p.file, Line: line, Col: col}, Code: CodeSyntax, Message: what, Hint: hint}
}

// --- positions and characters ---

// posAt is the position of offset off, which must be on the current line or, for offsets
// before it, is found by counting back.
func (p *parser) posAt(off int) Pos {
	line, col := p.lineCol(off)
	return Pos{File: p.file, Line: line, Col: col}
}

func (p *parser) lineCol(off int) (int, int) {
	if off > len(p.src) {
		off = len(p.src)
	}
	if off >= p.lstart {
		if p.cOff < p.lstart || p.cOff > off {
			p.cOff, p.cCol = p.lstart, 0
		}
		p.cCol += utf8.RuneCountInString(p.src[p.cOff:off])
		p.cOff = off
		return p.line, p.cCol + 1
	}
	// Before the current line (a problem found after its start was passed): count.
	line := p.line - strings.Count(p.src[off:p.lstart], "\n") - strings.Count(p.src[off:p.lstart], "\r") + strings.Count(p.src[off:p.lstart], "\r\n")
	start := strings.LastIndexAny(p.src[:off], "\r\n") + 1
	return line, utf8.RuneCountInString(p.src[start:off]) + 1
}

func (p *parser) peek() byte {
	if p.i < len(p.src) {
		return p.src[p.i]
	}
	return 0
}

func (p *parser) at(off int) byte {
	if off < len(p.src) {
		return p.src[off]
	}
	return 0
}

func isBreak(c byte) bool { return c == '\n' || c == '\r' }
func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isEnd reports whether off is a blank, a line break or the end of input: what must follow
// "-", ":" and "?" for them to be indicators in block context.
func (p *parser) isEnd(off int) bool {
	return off >= len(p.src) || isBlank(p.src[off]) || isBreak(p.src[off])
}

func isFlowIndicator(c byte) bool { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}' }

// breakLen is the length of the line break at off (0 if none).
func (p *parser) breakLen(off int) int {
	switch p.at(off) {
	case '\n':
		return 1
	case '\r':
		if p.at(off+1) == '\n' {
			return 2
		}
		return 1
	}
	return 0
}

// newline moves past the line break at p.i.
func (p *parser) newline() {
	p.i += p.breakLen(p.i)
	p.line++
	p.lstart = p.i
}

func (p *parser) skipBlanks() {
	for p.i < len(p.src) && isBlank(p.src[p.i]) {
		p.i++
	}
}

// atMarker reports whether a document marker ("---" or "...") starts the line at off.
func (p *parser) atMarker(off int, c byte) bool {
	return off+3 <= len(p.src) && p.src[off] == c && p.src[off+1] == c && p.src[off+2] == c && p.isEnd(off+3)
}

// endLine requires the rest of the line to be blanks and an optional comment, and moves
// to the next line.
func (p *parser) endLine(what string) {
	p.skipBlanks()
	if p.i < len(p.src) && p.src[p.i] == '#' { // like libyaml, also right after a quote or bracket
		for p.i < len(p.src) && !isBreak(p.src[p.i]) {
			p.i++
		}
	}
	if p.i < len(p.src) && !isBreak(p.src[p.i]) {
		p.fail(p.i, "put it on its own line, or quote the value", "unexpected %s after %s", describe(p.src[p.i:]), what)
	}
	if p.i < len(p.src) {
		p.newline()
	}
}

// describe names the text at the start of s for messages.
func describe(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case ':':
		return `":"`
	case '"', '\'':
		return "quote " + string(r)
	}
	end := strings.IndexAny(s, " \t\r\n")
	if end < 0 {
		end = len(s)
	}
	if end > 20 {
		end = 20
		for end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
		return strconv.Quote(s[:end] + "…")
	}
	return strconv.Quote(s[:end])
}

// nextLine moves from the start of a line past blank and comment-only lines, to the first
// character after the indentation of the next line with content, and records its
// indentation and whether it ends the document.
func (p *parser) nextLine() {
	for {
		start := p.i
		for p.i < len(p.src) && p.src[p.i] == ' ' {
			p.i++
		}
		p.ind = p.i - start
		p.tabInd = false
		if p.i < len(p.src) && p.src[p.i] == '\t' {
			p.skipBlanks()
			p.tabInd = true
		}
		switch {
		case p.i >= len(p.src):
			p.atEnd = true
			p.ind = -1
			return
		case isBreak(p.src[p.i]):
			p.newline()
			continue
		case p.src[p.i] == '#':
			for p.i < len(p.src) && !isBreak(p.src[p.i]) {
				p.i++
			}
			if p.i < len(p.src) {
				p.newline()
			}
			continue
		}
		p.atEnd = p.ind == 0 && !p.tabInd && (p.atMarker(p.i, '-') || p.atMarker(p.i, '.'))
		if p.atEnd {
			p.ind = -1
		}
		return
	}
}

// --- the stream ---

func (p *parser) stream() {
	p.nextLine()
	for !(p.atEnd && p.i >= len(p.src)) {
		p.docs++
		if p.docs > p.lim.MaxDocuments {
			p.limit(p.i, "split the file", "more than %d documents in one file", p.lim.MaxDocuments)
		}
		if err := p.ctx.Err(); err != nil {
			panic(bailout{err})
		}
		directives := false
		for !p.atEnd && p.ind == 0 && p.peek() == '%' {
			p.directive()
			directives = true
			p.nextLine()
		}
		p.anchors = nil
		var doc *Node
		switch {
		case p.atEnd && p.atMarker(p.i, '-'):
			p.i += 3
			doc = p.valueAfter(-1, inDocument, p.i-3)
		case directives:
			p.fail(p.i, "start the document with a --- line", "a %%YAML directive must be followed by ---")
		case p.atEnd && p.atMarker(p.i, '.'):
			// A "..." with no document before it: nothing to read.
		case p.tabInd:
			p.fail(p.i, "indent with spaces", "tab character in indentation")
		default:
			doc = p.blockAt(-1)
		}
		if !p.atEnd {
			p.fail(p.i, "check the indentation of this line and the lines above it", "unexpected %s: this line belongs to no value of the document", describe(p.src[p.i:]))
		}
		if p.atMarker(p.i, '.') {
			p.i += 3
			p.endLine(`the document end marker "..."`)
			p.nextLine()
		}
		if doc != nil && !doc.Implicit() { // an empty document holds nothing
			if err := p.each(doc); err != nil {
				panic(bailout{err})
			}
		}
		p.kids = p.kids[:0]
		if p.reuse {
			// The caller is done with the tree: its memory serves the next document.
			p.nextSlab, p.nextPtrs = 0, 0
			p.slab, p.ptrs = nil, nil
		} else {
			p.slab, p.ptrs = nil, nil // the tree is the caller's now
			p.slabSize, p.ptrSize = 0, 0
		}
	}
}

// directive reads a %YAML line; other directives are refused rather than ignored.
func (p *parser) directive() {
	start := p.i
	end := p.i
	for end < len(p.src) && !isBreak(p.src[end]) && !(p.src[end] == '#' && isBlank(p.src[end-1])) {
		end++
	}
	f := strings.Fields(p.src[start:end])
	switch {
	case f[0] == "%YAML" && len(f) == 2 && (f[1] == "1.2" || f[1] == "1.1" || f[1] == "1.0"):
	case f[0] == "%YAML":
		p.fail(start, "write %YAML 1.2, or leave the directive out", "unsupported YAML version directive %q", strings.TrimSpace(p.src[start:end]))
	case f[0] == "%TAG":
		p.fail(start, "write the core tags (!!str, !!int, …) in full, or leave tags out", "%%TAG directives are not supported")
	default:
		p.fail(start, "remove it; the only directive is %YAML", "unknown directive %s", f[0])
	}
	p.i = end
	p.endLine("the directive")
}

// --- block context ---

// Where a node sits, for the rules about what may start on the same line.
const (
	inDocument = iota // after "---"
	inMapValue        // after "key:"
	inListItem        // after "- "
)

// newNode makes a node at offset off and counts it.
func (p *parser) newNode(kind Kind, off int) *Node {
	p.count(1, off)
	if len(p.slab) == 0 {
		p.slab = p.newSlab()
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	line, col := p.lineCol(off)
	*n = Node{file: p.fileRef, line: int32(line), col: int32(col), kind: kind}
	return n
}

// newSlab returns storage for nodes. Slabs grow with the document, so that many small
// documents stay small; with reuse, those of earlier documents come back first.
func (p *parser) newSlab() []Node {
	if p.reuse && p.nextSlab < len(p.slabs) {
		p.nextSlab++
		return p.slabs[p.nextSlab-1]
	}
	p.slabSize = min(max(2*p.slabSize, 2), 1024)
	s := make([]Node, p.slabSize)
	if p.reuse {
		p.slabs = append(p.slabs, s)
		p.nextSlab++
	}
	return s
}

// newPtrs returns storage for at least k children.
func (p *parser) newPtrs(k int) []*Node {
	if p.reuse {
		for p.nextPtrs < len(p.ptrSlabs) {
			p.nextPtrs++
			if s := p.ptrSlabs[p.nextPtrs-1]; len(s) >= k {
				return s
			}
		}
	}
	p.ptrSize = min(max(2*p.ptrSize, 16), 4096)
	s := make([]*Node, max(k, p.ptrSize))
	if p.reuse {
		p.ptrSlabs = append(p.ptrSlabs, s)
		p.nextPtrs++
	}
	return s
}

func (p *parser) count(n, off int) {
	p.nodes += n
	if p.nodes > p.lim.MaxNodes {
		p.limit(off, "split the input into smaller files", "more than %d YAML values in one file", p.lim.MaxNodes)
	}
	p.ticks += n
	if p.ticks >= 4096 {
		p.ticks = 0
		if err := p.ctx.Err(); err != nil {
			panic(bailout{err})
		}
	}
}

func (p *parser) enter(off int) {
	p.depth++
	if p.depth > p.lim.MaxDepth {
		p.limit(off, fmt.Sprintf("strata reads at most %d levels", p.lim.MaxDepth), "YAML nested too deeply")
	}
}

// finish gives a collection the children pushed since base.
func (p *parser) finish(n *Node, base int) {
	k := len(p.kids) - base
	if k > 0 {
		if len(p.ptrs) < k {
			p.ptrs = p.newPtrs(k)
		}
		n.kids = p.ptrs[:k:k]
		p.ptrs = p.ptrs[k:]
		copy(n.kids, p.kids[base:])
		clear(p.kids[base:])
		p.kids = p.kids[:base]
	}
	p.depth--
}

// props are a node's anchor and tag.
type props struct {
	anchor    string
	anchorOff int
	tag       string
	tagOff    int
	count     int // nodes counted when the node started, for the anchor's size
}

func (pr *props) any() bool { return pr.anchor != "" || pr.tag != "" }

// start is the offset of the first property.
func (pr *props) start() int {
	switch {
	case pr.anchor == "":
		return pr.tagOff
	case pr.tag == "":
		return pr.anchorOff
	}
	return min(pr.anchorOff, pr.tagOff)
}

// properties reads "&anchor" and "!tag" in either order, each followed by a blank, a line
// break or (in flow context) a flow indicator.
func (p *parser) properties(flow bool) props {
	pr := props{count: p.nodes}
	for {
		c := p.peek()
		if c != '&' && c != '!' {
			return pr
		}
		start := p.i
		p.i++
		if c == '&' {
			p.anchorName()
		} else {
			for p.i < len(p.src) && !isBlank(p.src[p.i]) && !isBreak(p.src[p.i]) && !(isFlowIndicator(p.src[p.i]) && flow) {
				p.i++
			}
		}
		name := p.src[start+1 : p.i]
		if c == '&' {
			if name == "" || !p.isEnd(p.i) && !(flow && isFlowIndicator(p.peek())) {
				p.fail(start, "write &name with letters, digits, - and _", "an anchor needs a name of letters, digits, - and _")
			}
			if pr.anchor != "" {
				p.fail(start, "remove one", "a value can have only one anchor")
			}
			pr.anchor, pr.anchorOff = name, start
		} else {
			if pr.tag != "" {
				p.fail(start, "remove one", "a value can have only one tag")
			}
			pr.tag, pr.tagOff = "!"+name, start
		}
		p.skipBlanks()
	}
}

// apply gives a finished node its tag and registers its anchor.
func (p *parser) apply(n *Node, pr props) *Node {
	if pr.tag != "" {
		p.applyTag(n, pr)
	}
	if pr.anchor != "" {
		if p.anchors == nil {
			p.anchors = map[string]anchor{}
		}
		p.anchors[pr.anchor] = anchor{n, p.nodes - pr.count}
	}
	return n
}

func (p *parser) applyTag(n *Node, pr props) {
	tag := pr.tag
	if strings.HasPrefix(tag, "!<tag:yaml.org,2002:") && strings.HasSuffix(tag, ">") {
		tag = "!!" + tag[len("!<tag:yaml.org,2002:"):len(tag)-1]
	}
	want := map[string]Kind{"!!map": Map, "!!seq": List}
	if k, ok := want[tag]; ok {
		if n.kind != k {
			p.fail(pr.tagOff, "remove the tag, or change the value", "tag %s on %s", pr.tag, n.KindName())
		}
		return
	}
	var t Tag
	switch tag {
	case "!!str":
		t = Str
	case "!!int":
		t = Int
	case "!!float":
		t = Float
	case "!!bool":
		t = Bool
	case "!!null":
		t = Null
	default:
		p.fail(pr.tagOff, "use the core tags !!str, !!int, !!float, !!bool, !!null, !!map, !!seq, or no tag", "unsupported tag %s", pr.tag)
	}
	if n.kind != Scalar {
		p.fail(pr.tagOff, "remove the tag, or change the value", "tag %s on %s", pr.tag, n.KindName())
	}
	if t == Str {
		n.tag = Str // the text as written is the string
		return
	}
	if rt := resolve(n.str); rt != t && !(t == Float && rt == Int) {
		p.fail(pr.tagOff, "change the value, or drop the tag", "%q is not a valid %s", n.str, pr.tag)
	}
	n.tag = t
}

// valueAfter reads the node after an indicator ("key:", "- " or "---") whose line has
// indentation n; at is the indicator's offset. The node is on the rest of the line, or on
// the lines after it when the rest is empty.
func (p *parser) valueAfter(n, where, at int) *Node {
	p.skipBlanks()
	pr := p.properties(false)
	if p.i >= len(p.src) || isBreak(p.src[p.i]) || p.src[p.i] == '#' && isBlank(p.at(p.i-1)) {
		p.endLine("the value")
		p.nextLine()
		switch {
		case !p.atEnd && p.ind > n:
			if p.tabInd {
				p.fail(p.i, "indent with spaces", "tab character in indentation")
			}
			return p.apply(p.blockAt(n), pr)
		case !p.atEnd && where == inMapValue && p.ind == n && p.peek() == '-' && p.isEnd(p.i+1):
			return p.apply(p.blockList(n), pr) // "key:" then "- item" at the key's indentation
		}
		// Nothing: a null.
		nul := p.newNode(Scalar, at)
		nul.tag = Null
		if !pr.any() {
			nul.flags = flagImplicit
		} else {
			nul.line, nul.col = p.nodeLineCol(pr)
		}
		return p.apply(nul, pr)
	}
	return p.nodeAt(n, where == inListItem, pr)
}

func (p *parser) nodeLineCol(pr props) (int32, int32) {
	l, c := p.lineCol(pr.start())
	return int32(l), int32(c)
}

// blockAt reads a node that starts a line (after indentation, at p.i) in a block whose
// parent has indentation n.
func (p *parser) blockAt(n int) *Node {
	pr := p.properties(false)
	if pr.any() && (p.i >= len(p.src) || isBreak(p.src[p.i]) || p.src[p.i] == '#') {
		// "&anchor" alone on its line: the node follows.
		ind := p.ind
		p.endLine("the anchor or tag")
		p.nextLine()
		if p.atEnd || p.ind < ind || p.ind <= n {
			nul := p.newNode(Scalar, p.i)
			nul.tag = Null
			nul.line, nul.col = p.nodeLineCol(pr)
			return p.apply(nul, pr)
		}
		if c := p.peek(); c == '&' || c == '!' {
			p.fail(p.i, "give the value one anchor and one tag, on one line", "a second line of anchors or tags")
		}
		return p.apply(p.nodeAt(n, true, props{}), pr)
	}
	return p.nodeAt(n, true, pr)
}

// nodeAt reads the node at p.i in block context and gives it the properties pr written
// before it on the same line. collection says whether a block list or mapping may start
// here (at the start of a line, or after "- "); parent indentation is n. Properties before
// a mapping's first key are the key's, as libyaml reads them.
func (p *parser) nodeAt(n int, collection bool, pr props) *Node {
	node, isMap := p.nodeAtNoProps(n, collection, pr)
	if isMap {
		return node
	}
	return p.apply(node, pr)
}

func (p *parser) nodeAtNoProps(n int, collection bool, pr props) (*Node, bool) {
	hasProps := pr.any()
	c := p.peek()
	col := p.column(p.i)
	if hasProps {
		col = p.column(pr.start())
	}
	switch {
	case c == '-' && p.isEnd(p.i+1):
		if !collection {
			p.fail(p.i, "start the list on the next line, indented", "a list cannot start on the same line as its key")
		}
		if hasProps {
			p.fail(p.i, "put the anchor or tag on the line before the list", "a list cannot start after an anchor or tag on the same line")
		}
		return p.blockList(col), false
	case c == '?' && p.isEnd(p.i+1):
		p.fail(p.i, "write key: value with a plain or quoted key", "explicit keys (?) are not supported")
	case c == '|' || c == '>':
		return p.blockScalar(n), false
	case c == '[' || c == '{':
		node := p.flowCollection(n)
		p.skipBlanks()
		if p.peek() == ':' && p.isEnd(p.i+1) {
			p.fail(p.i, "use a plain or quoted key", "mapping keys must be plain scalars")
		}
		p.endLine("the closing " + string(closing(c)))
		p.nextLine()
		return node, false
	case c == '*':
		node := p.alias(false)
		p.skipBlanks()
		if p.peek() == ':' && p.isEnd(p.i+1) {
			p.fail(p.i, "use a plain or quoted key", "an alias cannot be a mapping key")
		}
		p.endLine("the alias")
		p.nextLine()
		return node, false
	case c == '"' || c == '\'':
		start := p.i
		node := p.quoted(n, false)
		multiline := p.line != int(node.line)
		p.skipBlanks()
		if p.peek() == ':' && p.isEnd(p.i+1) {
			if multiline {
				p.fail(start, "write the key on one line", "a mapping key must fit on one line")
			}
			if !collection {
				p.fail(p.i, "put the mapping on the next line, indented, or quote the whole value", "mapping values are not allowed here")
			}
			return p.blockMap(col, p.apply(node, pr), start, pr), true
		}
		p.endLine("the closing quote")
		p.nextLine()
		return node, false
	case c == ',' || c == ']' || c == '}' || c == '%' || c == '@' || c == '`' || c == '#':
		p.fail(p.i, "quote the value", "a value cannot start with %q", c)
	case c == ':' && p.isEnd(p.i+1):
		p.fail(p.i, "write key: value", "a key is missing before \":\"")
	}
	// A plain scalar, or the first key of a mapping.
	start := p.i
	text, key := p.plainLine(false)
	if key {
		if !collection {
			p.fail(p.i, "put the mapping on the next line, indented, or quote the whole value", "mapping values are not allowed here")
		}
		key := p.plain(start, text, true)
		return p.blockMap(col, p.apply(key, pr), start, pr), true
	}
	return p.plainRest(n, start, text), false
}

func closing(c byte) byte {
	if c == '[' {
		return ']'
	}
	return '}'
}

// column is the 0-based column of off on the current line, in characters.
func (p *parser) column(off int) int {
	_, c := p.lineCol(off)
	return c - 1
}

// blockMap reads a block mapping at indentation m whose first key was just read; p.i is
// after the key, at blanks or the ":".
func (p *parser) blockMap(m int, key *Node, keyOff int, pr props) *Node {
	if pr.any() {
		keyOff = pr.start() // the properties start the mapping's first line
	}
	p.enter(keyOff)
	node := p.newNode(Map, keyOff)
	base := len(p.kids)
	var seen map[string]int
	var merges []*Node
	for {
		p.skipBlanks()
		colon := p.i // at ":"
		p.i++
		val := p.valueAfter(m, inMapValue, colon)
		if val.Implicit() {
			val.line, val.col = key.line, key.col
		}
		if !key.Quoted() && key.str == "<<" {
			merges = append(merges, val)
		} else {
			seen = p.addPair(base, seen, key, val)
		}
		if p.atEnd || p.ind < m {
			break
		}
		if p.ind > m {
			p.fail(p.i, "line the key up with the keys above it", "this line is indented more than the mapping it is in")
		}
		if p.tabInd {
			p.fail(p.i, "indent with spaces", "tab character in indentation")
		}
		if p.peek() == '-' && p.isEnd(p.i+1) {
			p.fail(p.i, "indent the list under its key, or make it the value of a key", "a list item where a key of the mapping was expected")
		}
		key = p.blockKey()
	}
	p.merge(base, seen, merges)
	p.finish(node, base)
	return node
}

// blockKey reads a key at the start of a line of a block mapping: a plain or quoted scalar
// on one line, followed by ":".
func (p *parser) blockKey() *Node {
	pr := p.properties(false)
	start := p.i
	var key *Node
	switch c := p.peek(); {
	case c == '"' || c == '\'':
		line := p.line
		key = p.quoted(0, false)
		if p.line != line {
			p.fail(start, "write the key on one line", "a mapping key must fit on one line")
		}
		p.skipBlanks()
	case c == '?' && p.isEnd(p.i+1):
		p.fail(p.i, "write key: value with a plain or quoted key", "explicit keys (?) are not supported")
	case c == '[' || c == '{' || c == '*':
		p.fail(p.i, "use a plain or quoted key", "mapping keys must be plain scalars")
	case c == '-' && p.isEnd(p.i+1), c == ':' && p.isEnd(p.i+1), c == ',' || c == ']' || c == '}' || c == '%' || c == '@' || c == '`' || c == '|' || c == '>':
		p.fail(p.i, "write key: value", "expected a key of the mapping, found %s", describe(p.src[p.i:]))
	default:
		text, isKey := p.plainLine(false)
		if !isKey {
			p.fail(start, "write key: value, or indent the line if it continues the value above", "line %q has no \":\" after a key", strings.TrimSpace(text))
		}
		key = p.plain(start, text, true)
	}
	if p.peek() != ':' || !p.isEnd(p.i+1) {
		p.fail(p.i, "write key: value", "expected \":\" after the key")
	}
	return p.apply(key, pr)
}

// addPair appends a key and its value, refusing a key written twice.
func (p *parser) addPair(base int, seen map[string]int, key, val *Node) map[string]int {
	pairs := p.kids[base:]
	prev := -1
	if seen != nil {
		if i, ok := seen[key.Value()]; ok {
			prev = i
		}
	} else {
		for i := 0; i < len(pairs); i += 2 {
			if pairs[i].Value() == key.Value() {
				prev = i
				break
			}
		}
		if len(pairs) >= 16 {
			seen = make(map[string]int, len(pairs))
			for i := 0; i < len(pairs); i += 2 {
				seen[pairs[i].Value()] = i
			}
		}
	}
	if prev >= 0 {
		first := pairs[prev]
		panic(bailout{&Problem{Pos: key.Pos(), Code: CodeSyntax, Message: fmt.Sprintf("key %q appears twice in one mapping (first at line %d)", key.Value(), first.line), Hint: "remove or merge one of them"}})
	}
	if seen != nil {
		seen[key.Value()] = len(pairs)
	}
	p.kids = append(p.kids, key, val)
	return seen
}

// merge applies "<<" keys: the pairs of the merged mappings whose keys the mapping does not
// have, the earlier merged mapping first, as YAML's merge key says.
func (p *parser) merge(base int, seen map[string]int, merges []*Node) {
	for _, m := range merges {
		srcs := []*Node{m}
		if m.kind == List {
			srcs = m.kids
		}
		for _, s := range srcs {
			if s.kind != Map {
				panic(bailout{&Problem{Pos: s.Pos(), Code: CodeSyntax, Message: "merge key << needs a mapping or a list of mappings", Hint: "write <<: *anchor where &anchor names a mapping"}})
			}
			for i := 0; i < len(s.kids); i += 2 {
				k := s.kids[i]
				dup := false
				if seen != nil {
					_, dup = seen[k.Value()]
				} else {
					for j := base; j < len(p.kids); j += 2 {
						if p.kids[j].Value() == k.Value() {
							dup = true
							break
						}
					}
				}
				if !dup {
					if seen != nil {
						seen[k.Value()] = len(p.kids) - base
					}
					p.kids = append(p.kids, k, s.kids[i+1])
				}
			}
		}
	}
}

// blockList reads a block list whose first "-" is at p.i, at indentation s.
func (p *parser) blockList(s int) *Node {
	p.enter(p.i)
	node := p.newNode(List, p.i)
	base := len(p.kids)
	for {
		dash := p.i
		dl, dc := p.lineCol(dash)
		p.i++
		val := p.valueAfter(s, inListItem, dash)
		if val.Implicit() {
			val.line, val.col = int32(dl), int32(dc)
		}
		p.kids = append(p.kids, val)
		if p.atEnd || p.ind < s {
			break
		}
		if p.ind > s {
			p.fail(p.i, "line the item up with the items above it", "this line is indented more than the list it is in")
		}
		if p.tabInd {
			p.fail(p.i, "indent with spaces", "tab character in indentation")
		}
		if p.peek() != '-' || !p.isEnd(p.i+1) {
			break // the next key of a mapping this list is the value of
		}
	}
	p.finish(node, base)
	return node
}

// --- scalars ---

// plainLine reads the rest of a plain scalar's line from p.i: up to a ": " (then key is
// true and p.i is at the ":"), a " #" comment or the end of the line. In flow context it
// also stops at , [ ] { }.
func (p *parser) plainLine(flow bool) (text string, key bool) {
	start := p.i
	end := p.i // end of text without trailing blanks
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case isBreak(c):
			return p.src[start:end], false
		case c == ':' && p.isEnd(p.i+1):
			// In flow context too only before a blank: libyaml reads [a:] as ["a:"].
			return p.src[start:end], true
		case c == '#' && p.i > start && isBlank(p.src[p.i-1]):
			return p.src[start:end], false
		case flow && isFlowIndicator(c):
			return p.src[start:end], false
		case isBlank(c):
		default:
			end = p.i + 1
		}
		p.i++
	}
	return p.src[start:end], false
}

// plain makes a scalar node of plain text at offset start.
func (p *parser) plain(start int, text string, verbatim bool) *Node {
	if len(text) > p.lim.MaxScalarBytes {
		p.limit(start, "split the value, or keep it in a file of its own", "a value of %d bytes; strata reads values of at most %d", len(text), p.lim.MaxScalarBytes)
	}
	n := p.newNode(Scalar, start)
	n.tag, n.str = resolve(text), text
	if verbatim {
		n.flags = flagVerbatim
	}
	return n
}

// plainRest finishes a plain scalar in block context whose first line was text: following
// lines indented more than n continue it, folded into spaces.
func (p *parser) plainRest(n, start int, text string) *Node {
	line, col := p.lineCol(start)
	if p.peek() == '#' || p.i >= len(p.src) {
		node := p.plain(start, text, true)
		p.endLine("the value")
		p.nextLine()
		return node
	}
	// At the line break: look for continuation lines.
	var b []byte
	breaks := 0
	for {
		save, saveLine, saveStart := p.i, p.line, p.lstart
		p.newline()
		sp := p.i
		for p.i < len(p.src) && p.src[p.i] == ' ' {
			p.i++
		}
		ind := p.i - sp
		p.skipBlanks()
		c := p.peek()
		switch {
		case p.i >= len(p.src):
		case isBreak(c):
			breaks++
			continue
		case c == '#' || ind <= n || ind == 0 && (p.atMarker(sp, '-') || p.atMarker(sp, '.')):
		default:
			more, key := p.plainLine(false)
			if key {
				p.fail(p.i, "quote the value if it contains \": \", or put the key on its own line at its mapping's indentation", "mapping values are not allowed here")
			}
			if b == nil {
				b = append(p.fold[:0], text...)
			}
			if breaks == 0 {
				b = append(b, ' ')
			}
			for ; breaks > 0; breaks-- {
				b = append(b, '\n')
			}
			b = append(b, more...)
			if len(b) > p.lim.MaxScalarBytes {
				p.limit(start, "split the value", "a value of more than %d bytes", p.lim.MaxScalarBytes)
			}
			if p.peek() == '#' || p.i >= len(p.src) {
				p.fold = b
				node := p.plainNode(start, line, col, b)
				p.endLine("the value")
				p.nextLine()
				return node
			}
			continue
		}
		// Not a continuation: the scalar ends at the break before this line.
		p.i, p.line, p.lstart = save, saveLine, saveStart
		var node *Node
		if b == nil {
			node = p.plain(start, text, true)
		} else {
			p.fold = b
			node = p.plainNode(start, line, col, b)
		}
		p.endLine("the value")
		p.nextLine()
		return node
	}
}

func (p *parser) plainNode(start, line, col int, b []byte) *Node {
	n := p.newNode(Scalar, p.lstart)
	n.line, n.col = int32(line), int32(col)
	n.str = string(b)
	n.tag = resolve(n.str)
	return n
}

// quoted reads a single- or double-quoted scalar at p.i. Lines after the first continue it
// (folded); in block context they must be indented more than n.
func (p *parser) quoted(n int, flow bool) *Node {
	q := p.src[p.i]
	start := p.i
	node := p.newNode(Scalar, start)
	node.flags = flagQuoted
	p.i++
	// The common case: one line, no escapes.
	for j := p.i; j < len(p.src); j++ {
		c := p.src[j]
		if c == q && !(q == '\'' && p.at(j+1) == '\'') {
			node.str = p.src[p.i:j]
			node.flags |= flagVerbatim
			p.i = j + 1
			p.checkScalar(start, len(node.str))
			return node
		}
		if c == '\\' && q == '"' || c == '\'' && q == '\'' || isBreak(c) {
			break
		}
	}
	var b []byte
	kept := 0 // b[:kept] ends in escaped characters, which a line break does not trim
	for {
		if p.i >= len(p.src) {
			p.fail(start, "close the quote", "unterminated quoted string")
		}
		c := p.src[p.i]
		switch {
		case c == q && q == '\'' && p.at(p.i+1) == '\'':
			b = append(b, '\'')
			p.i += 2
		case c == q:
			p.i++
			node.str = string(b)
			p.checkScalar(start, len(b))
			return node
		case q == '"' && c == '\\':
			if isBreak(p.at(p.i + 1)) {
				p.i++
				b = p.foldQuoted(b, n, flow, start, true)
				continue
			}
			b = p.escape(b)
			kept = len(b)
		case isBreak(c):
			// Trailing blanks before a break are not part of the value.
			for len(b) > kept && isBlank(b[len(b)-1]) {
				b = b[:len(b)-1]
			}
			b = p.foldQuoted(b, n, flow, start, false)
		default:
			b = append(b, c)
			p.i++
		}
		if len(b) > p.lim.MaxScalarBytes {
			p.checkScalar(start, len(b))
		}
	}
}

func (p *parser) checkScalar(start, n int) {
	if n > p.lim.MaxScalarBytes {
		p.limit(start, "split the value, or keep it in a file of its own", "a value of more than %d bytes; strata reads values of at most %d", n-1, p.lim.MaxScalarBytes)
	}
}

// foldQuoted handles a line break inside a quoted scalar (p.i at the break): empty lines
// become newlines, a single break a space (nothing after an escaped break), and the next
// line's leading blanks are dropped.
func (p *parser) foldQuoted(b []byte, n int, flow bool, start int, escaped bool) []byte {
	breaks := 0
	for {
		p.newline()
		sp := p.i
		for p.i < len(p.src) && p.src[p.i] == ' ' {
			p.i++
		}
		ind := p.i - sp
		if ind == 0 && (p.atMarker(sp, '-') || p.atMarker(sp, '.')) {
			p.fail(start, "close the quote", "unterminated quoted string")
		}
		p.skipBlanks()
		if p.i < len(p.src) && isBreak(p.src[p.i]) {
			breaks++
			continue
		}
		break // like libyaml, any indentation continues a quoted value
	}
	if breaks == 0 && !escaped {
		b = append(b, ' ')
	}
	for ; breaks > 0; breaks-- {
		b = append(b, '\n')
	}
	return b
}

// escape decodes the escape sequence at p.i in a double-quoted scalar.
func (p *parser) escape(b []byte) []byte {
	start := p.i
	c := p.at(p.i + 1)
	p.i += 2
	digits := 0
	switch c {
	case '0':
		return append(b, 0)
	case 'a':
		return append(b, '\a')
	case 'b':
		return append(b, '\b')
	case 't', '\t':
		return append(b, '\t')
	case 'n':
		return append(b, '\n')
	case 'v':
		return append(b, '\v')
	case 'f':
		return append(b, '\f')
	case 'r':
		return append(b, '\r')
	case 'e':
		return append(b, 0x1b)
	case ' ', '"', '/', '\\':
		return append(b, c)
	case 'N':
		return append(b, "\u0085"...)
	case '_':
		return append(b, "\u00a0"...)
	case 'L':
		return append(b, "\u2028"...)
	case 'P':
		return append(b, "\u2029"...)
	case 'x':
		digits = 2
	case 'u':
		digits = 4
	case 'U':
		digits = 8
	}
	if digits == 0 {
		p.fail(start, `write \\ for a backslash, or use single quotes`, "unknown escape \\%c in a double-quoted string", c)
	}
	if p.i+digits > len(p.src) {
		p.fail(start, "write the escape's hex digits", "incomplete escape")
	}
	v, err := strconv.ParseUint(p.src[p.i:p.i+digits], 16, 32)
	if err != nil || v > utf8.MaxRune || v >= 0xD800 && v <= 0xDFFF {
		p.fail(start, "write a valid Unicode code point in hex", "invalid escape %s", p.src[start:p.i+digits])
	}
	p.i += digits
	return utf8.AppendRune(b, rune(v))
}

// blockScalar reads a literal (|) or folded (>) scalar whose parent has indentation n.
func (p *parser) blockScalar(n int) *Node {
	start := p.i
	node := p.newNode(Scalar, start)
	literal := p.src[p.i] == '|'
	p.i++
	chomp, explicit := byte(0), 0
	for k := 0; k < 2; k++ {
		c := p.peek()
		switch {
		case (c == '+' || c == '-') && chomp == 0:
			chomp = c
			p.i++
		case c >= '1' && c <= '9' && explicit == 0:
			explicit = int(c - '0')
			p.i++
		}
	}
	p.endLine("the block scalar's header")
	indent := -1
	if explicit > 0 {
		indent = max(n, 0) + explicit
	} else {
		// The first non-empty line sets the indentation.
		maxEmpty := 0
		for j := p.i; j < len(p.src); {
			k := j
			for k < len(p.src) && p.src[k] == ' ' {
				k++
			}
			if p.at(k) == '\t' {
				p.fail(k, "indent with spaces", "tab character in the indentation of a block scalar")
			}
			if k < len(p.src) && !isBreak(p.src[k]) {
				// As libyaml: at least one space more than the parent, and at least as
				// much as the empty lines before (then a less indented first line ends
				// the scalar).
				indent = max(k-j, maxEmpty, n+1, 1)
				break
			}
			maxEmpty = max(maxEmpty, k-j)
			if k >= len(p.src) {
				break
			}
			j = k + p.breakLen(k)
		}
		if indent < 0 {
			indent = max(n+1, 1, maxEmpty)
		}
	}
	// Lines indented at least indent are content; blank lines are empty lines.
	b := p.fold[:0]
	breaks := 0 // line breaks not yet written
	content := false
	prevMore := false
	lastBreak := false // the last content line ended with a break
	for p.i < len(p.src) {
		ls := p.i
		k := p.i
		for k < len(p.src) && p.src[k] == ' ' && k-ls < indent {
			k++
		}
		if k-ls < indent && p.at(k) == '\t' {
			p.fail(k, "indent with spaces", "tab character in the indentation of a block scalar")
		}
		if k >= len(p.src) || isBreak(p.src[k]) {
			// An empty line (or one of spaces only).
			if k < len(p.src) {
				p.i = k
				p.newline()
				breaks++
				continue
			}
			p.i = k
			break
		}
		if k-ls < indent || indent == 0 && (p.atMarker(ls, '-') || p.atMarker(ls, '.')) {
			break // less indented: the scalar is over
		}
		e := k
		for e < len(p.src) && !isBreak(p.src[e]) {
			e++
		}
		text := p.src[k:e]
		more := len(text) > 0 && isBlank(text[0])
		switch {
		case !content:
			for ; breaks > 0; breaks-- {
				b = append(b, '\n')
			}
		case literal || more || prevMore:
			for breaks++; breaks > 0; breaks-- {
				b = append(b, '\n')
			}
		case breaks == 0:
			b = append(b, ' ')
		default:
			for ; breaks > 0; breaks-- {
				b = append(b, '\n')
			}
		}
		breaks = 0
		b = append(b, text...)
		if len(b) > p.lim.MaxScalarBytes {
			p.checkScalar(start, len(b))
		}
		content, prevMore = true, more
		p.i = e
		lastBreak = false
		if p.i < len(p.src) {
			p.newline()
			lastBreak = true
		}
	}
	switch chomp {
	case '-':
	case '+':
		if lastBreak || !content && breaks > 0 {
			b = append(b, '\n')
		}
		for ; breaks > 0 && content; breaks-- {
			b = append(b, '\n')
		}
		for ; breaks > 1 && !content; breaks-- {
			b = append(b, '\n')
		}
	default:
		if content && lastBreak {
			b = append(b, '\n')
		}
	}
	p.fold = b
	node.str = string(b)
	p.nextLine() // p.i is at the start of a line, or the end of input
	return node
}

// anchorName moves past the name of an anchor or alias: letters, digits, - and _ (what
// libyaml reads).
func (p *parser) anchorName() {
	for p.i < len(p.src) {
		c := p.src[p.i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return
		}
		p.i++
	}
}

// alias reads "*name" and returns the node its anchor names.
func (p *parser) alias(flow bool) *Node {
	start := p.i
	p.i++
	p.anchorName()
	name := p.src[start+1 : p.i]
	if name == "" || !p.isEnd(p.i) && !(flow && isFlowIndicator(p.peek())) && p.peek() != ':' {
		p.fail(start, "write *name with letters, digits, - and _", "an alias needs a name of letters, digits, - and _")
	}
	a, ok := p.anchors[name]
	if !ok {
		panic(bailout{&Problem{Pos: p.posAt(start), Code: CodeSyntax, Message: "unknown YAML alias *" + name, Hint: "define the anchor &" + name + " before using it"}})
	}
	p.aliasNodes += a.size
	if p.aliasNodes > p.lim.MaxAliasNodes {
		p.limit(start, "write the values out, or use fewer aliases", "aliases stand for more than %d YAML values in one file", p.lim.MaxAliasNodes)
	}
	p.count(a.size, start)
	return a.n
}

// --- flow context ---

// flowSpace skips blanks, line breaks and comments inside a flow collection opened at
// offset open.
func (p *parser) flowSpace(open int) {
	for {
		c := p.peek()
		switch {
		case isBlank(c):
			p.i++
		case isBreak(c):
			p.newline()
			if p.atMarker(p.i, '-') || p.atMarker(p.i, '.') {
				p.fail(open, "close it before the document ends", "unclosed %c", p.src[open])
			}
		case c == '#' && (p.i == p.lstart || isBlank(p.at(p.i-1))):
			for p.i < len(p.src) && !isBreak(p.src[p.i]) {
				p.i++
			}
		default:
			if p.i >= len(p.src) {
				p.fail(open, "close it", "unclosed %c", p.src[open])
			}
			return
		}
	}
}

// flowCollection reads [ … ] or { … } at p.i.
func (p *parser) flowCollection(n int) *Node {
	open := p.i
	p.enter(open)
	isMap := p.src[open] == '{'
	kind := List
	if isMap {
		kind = Map
	}
	node := p.newNode(kind, open)
	end := closing(p.src[open])
	p.i++
	base := len(p.kids)
	var seen map[string]int
	var merges []*Node
	for {
		p.flowSpace(open)
		if p.peek() == end {
			p.i++
			break
		}
		if p.peek() == '?' && p.isEnd(p.i+1) {
			p.fail(p.i, "write key: value with a plain or quoted key", "explicit keys (?) are not supported")
		}
		entry := p.i
		first := p.flowNode(n, open)
		p.flowSpace(open)
		var val *Node
		hasColon := false
		if p.peek() == ':' && (p.isEnd(p.i+1) || isFlowIndicator(p.at(p.i+1)) || first.Quoted() && p.i > entry) {
			hasColon = true
			colon := p.i
			p.i++
			p.flowSpace(open)
			if c := p.peek(); c == ',' || c == end {
				val = p.newNode(Scalar, colon)
				val.tag, val.flags = Null, flagImplicit
				val.line, val.col = first.line, first.col
			} else {
				val = p.flowNode(n, open)
			}
		}
		switch {
		case isMap:
			if !hasColon {
				val = p.newNode(Scalar, entry)
				val.tag, val.flags = Null, flagImplicit
				val.line, val.col = first.line, first.col
			}
			if first.kind != Scalar {
				p.fail(entry, "use a plain or quoted key", "mapping keys must be plain scalars")
			}
			if !first.Quoted() && first.str == "<<" {
				merges = append(merges, val)
			} else {
				seen = p.addPair(base, seen, first, val)
			}
		case hasColon:
			// [key: value] is a list holding a mapping of one pair.
			if first.kind != Scalar {
				p.fail(entry, "use a plain or quoted key", "mapping keys must be plain scalars")
			}
			p.enter(entry)
			pair := p.newNode(Map, entry)
			pair.line, pair.col = first.line, first.col
			pb := len(p.kids)
			p.kids = append(p.kids, first, val)
			p.finish(pair, pb)
			p.kids = append(p.kids, pair)
		default:
			p.kids = append(p.kids, first)
		}
		p.flowSpace(open)
		switch p.peek() {
		case ',':
			p.i++
			continue
		case end:
			p.i++
		default:
			p.fail(p.i, fmt.Sprintf("separate entries with \",\" and close with %q", end), "expected \",\" or %q, found %s", end, describe(p.src[p.i:]))
		}
		break
	}
	if isMap {
		p.merge(base, seen, merges)
	}
	p.finish(node, base)
	return node
}

// flowNode reads one value inside a flow collection opened at open.
func (p *parser) flowNode(n, open int) *Node {
	pr := p.properties(true)
	if pr.any() {
		p.flowSpace(open)
	}
	c := p.peek()
	switch {
	case c == '[' || c == '{':
		return p.apply(p.flowCollection(n), pr)
	case c == '*':
		if pr.any() {
			p.fail(p.i, "remove the anchor or tag", "an alias cannot have an anchor or tag")
		}
		return p.alias(true)
	case c == '"' || c == '\'':
		return p.apply(p.quoted(n, true), pr)
	case c == ',' || c == ']' || c == '}' || c == ':' && p.isEnd(p.i+1):
		if !pr.any() {
			p.fail(p.i, "remove the extra comma, or write a value", "an entry is missing before %q", c)
		}
		nul := p.newNode(Scalar, p.i)
		nul.tag = Null
		nul.line, nul.col = p.nodeLineCol(pr)
		return p.apply(nul, pr)
	case c == '|' || c == '>':
		p.fail(p.i, "use a quoted string inside [ ] and { }", "block scalars cannot be inside [ ] or { }")
	case c == '-' && p.isEnd(p.i+1):
		p.fail(p.i, "write lists inside [ ] as [a, b]", "a block list cannot be inside [ ] or { }")
	case c == '#' || c == '%' || c == '@' || c == '`' || c == '&' || c == '!' || c == ':' || c == '?':
		p.fail(p.i, "quote the value", "a value cannot start with %q", c)
	}
	// A plain scalar, possibly over several lines.
	start := p.i
	line, col := p.lineCol(start)
	text, _ := p.plainLine(true)
	if !isBreak(p.peek()) {
		return p.apply(p.plain(start, text, true), pr)
	}
	var b []byte
	for {
		save, saveLine, saveStart := p.i, p.line, p.lstart
		breaks := 0
		for isBreak(p.peek()) {
			p.newline()
			if p.atMarker(p.i, '-') || p.atMarker(p.i, '.') {
				p.fail(open, "close it before the document ends", "unclosed %c", p.src[open])
			}
			p.skipBlanks()
			if isBreak(p.peek()) {
				breaks++
			}
		}
		c := p.peek()
		if p.i >= len(p.src) || isFlowIndicator(c) || c == '#' || c == ':' && p.isEnd(p.i+1) {
			p.i, p.line, p.lstart = save, saveLine, saveStart
			break
		}
		more, _ := p.plainLine(true)
		if b == nil {
			b = append(p.fold[:0], text...)
		}
		if breaks == 0 {
			b = append(b, ' ')
		}
		for ; breaks > 0; breaks-- {
			b = append(b, '\n')
		}
		b = append(b, more...)
		if len(b) > p.lim.MaxScalarBytes {
			p.checkScalar(start, len(b))
		}
		if !isBreak(p.peek()) {
			break
		}
	}
	if b == nil {
		return p.apply(p.plain(start, text, true), pr)
	}
	p.fold = b
	return p.apply(p.plainNode(start, line, col, b), pr)
}

// --- types ---

// resolve types a plain scalar the way go-yaml does (YAML 1.2's core schema, with
// go-yaml's reading of numbers): null, booleans, .inf and .nan, integers in decimal, hex,
// octal and binary (with _ separators), floats with one ".", and strings.
func resolve(s string) Tag {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return Null
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return Bool
	case ".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
		return Float
	}
	c := s[0]
	if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') {
		return Str
	}
	return number(s)
}

// number types s as go-yaml's toNumber does.
func number(value string) Tag {
	if strings.Count(value, ".") > 1 {
		return Str
	}
	dot := strings.Contains(value, ".")
	neg := strings.HasPrefix(value, "-")
	norm := strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(value, "+"), "-"), "_", "")
	base := 10
	switch {
	case strings.HasPrefix(norm, "0x"):
		norm, base = norm[2:], 16
	case strings.HasPrefix(norm, "0o"):
		norm, base = norm[2:], 8
	case strings.HasPrefix(norm, "0b"):
		norm, base = norm[2:], 2
	case strings.HasPrefix(norm, "0") && len(norm) > 1 && !dot:
		base = 8
	case dot:
		base = 0
	}
	text := norm
	if neg {
		text = "-" + norm
	}
	var err error
	switch {
	case base == 0:
		_, err = strconv.ParseFloat(text, 64)
		if err == nil {
			return Float
		}
		return Str
	case neg:
		_, err = strconv.ParseInt(text, base, 64)
	default:
		_, err = strconv.ParseUint(text, base, 64)
	}
	if err != nil {
		return Str
	}
	return Int
}

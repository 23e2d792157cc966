package network

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Term is one operand of a chain or formula as written, with its byte offset in the text.
// A term written in double quotes ("a>b") is read verbatim: Text is what the quotes hold,
// Offset where it starts (just after the opening quote), and Quoted is set.
type Term struct {
	Text   string
	Offset int
	Quoted bool
}

// Chain is a parsed chain such as "L-0 = L-4 > L-1 > L-2 > L-3". Ops[i] joins Terms[i] and
// Terms[i+1] and is one of "=", ">", "<" or "→" ("->" is read as "→").
type Chain struct {
	Terms []Term
	Ops   []string
}

// SyntaxError is a problem in chain or formula text at a byte offset.
type SyntaxError struct {
	Offset int
	Msg    string
	Hint   string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

// ParseChain parses the seed's chain notation. Strict symbols may not be mixed: a chain
// reads in one direction ("<" with ">" is an error, and so is "→" with either), while "="
// may appear anywhere. Terms may contain spaces ("A1 technical → A5 software"). A term in
// double quotes is read verbatim, operators included: "\"a>b\" > c" relates the entity
// a>b to c. A term cannot contain a double quote.
func ParseChain(s string) (Chain, error) {
	var c Chain
	strict := ""
	sc := termScanner{s: s, op: chainOp, what: "term", hint: "write an entity id on each side of every operator, e.g. A > B"}
	for {
		t, err := sc.term()
		if err != nil {
			return Chain{}, err
		}
		c.Terms = append(c.Terms, t)
		if sc.i >= len(s) {
			break
		}
		op, n := sc.next, sc.n
		if op != "=" {
			if strict != "" && strict != op {
				return Chain{}, &SyntaxError{Offset: sc.i, Msg: fmt.Sprintf("chain mixes %q with %q", strict, op),
					Hint: "a chain reads in one direction: split it into two chains or reverse one part"}
			}
			strict = op
		}
		c.Ops = append(c.Ops, op)
		sc.i += n
	}
	if len(c.Ops) == 0 {
		return Chain{}, &SyntaxError{Offset: 0, Msg: "a chain needs at least one operator (=, >, <, → or ->)", Hint: "e.g. L-0 = L-4 > L-1"}
	}
	return c, nil
}

// termScanner reads the terms of a chain or formula one at a time; i is where the next
// term starts, and after a term it is at the operator that ends it (next, n bytes long)
// or at the end.
type termScanner struct {
	s    string
	i    int
	op   func(s string, i, termStart int) (string, int)
	next string
	n    int
	// what and hint word the "missing term" error.
	what, hint string
}

func (sc *termScanner) term() (Term, error) {
	s, start := sc.s, sc.i
	j := start
	for j < len(s) {
		r, w := utf8.DecodeRuneInString(s[j:])
		if !unicode.IsSpace(r) {
			break
		}
		j += w
	}
	if j < len(s) && s[j] == '"' {
		end := strings.IndexByte(s[j+1:], '"')
		if end < 0 {
			return Term{}, &SyntaxError{Offset: j, Msg: "unclosed quote", Hint: "close the quoted term with a second \""}
		}
		t := Term{Text: s[j+1 : j+1+end], Offset: j + 1, Quoted: true}
		if strings.TrimSpace(t.Text) == "" {
			return Term{}, &SyntaxError{Offset: j, Msg: "missing " + sc.what, Hint: sc.hint}
		}
		k := j + 1 + end + 1
		sc.next, sc.n = "", 0
		for k < len(s) {
			if sc.next, sc.n = sc.op(s, k, j); sc.n > 0 {
				break
			}
			r, w := utf8.DecodeRuneInString(s[k:])
			if !unicode.IsSpace(r) {
				return Term{}, &SyntaxError{Offset: k, Msg: "text after a quoted " + sc.what,
					Hint: "a quoted term stands alone between operators: put the whole term inside the quotes"}
			}
			k += w
		}
		sc.i = k
		return t, nil
	}
	k := start
	sc.next, sc.n = "", 0
	for k < len(s) {
		if sc.next, sc.n = sc.op(s, k, start); sc.n > 0 {
			break
		}
		_, w := utf8.DecodeRuneInString(s[k:])
		k += w
	}
	raw := s[start:k]
	t := strings.TrimSpace(raw)
	if t == "" {
		return Term{}, &SyntaxError{Offset: start, Msg: "missing " + sc.what, Hint: sc.hint}
	}
	sc.i = k
	return Term{Text: t, Offset: start + strings.Index(raw, t)}, nil
}

// chainOp reports the operator at s[i:] and its length in bytes, or n == 0.
func chainOp(s string, i, _ int) (op string, n int) {
	switch {
	case strings.HasPrefix(s[i:], "→"):
		return "→", len("→")
	case strings.HasPrefix(s[i:], "->"):
		return "→", 2
	case s[i] == '>' || s[i] == '<' || s[i] == '=':
		return s[i : i+1], 1
	}
	return "", 0
}

// Formula is a parsed formula such as "problem-location = O1 × O2": Result is defined as the
// combination of Operands with Op, which is "+" (all of) or "×" (the product, or correlation, of).
type Formula struct {
	Result   Term
	Op       string
	Operands []Term
}

// ParseFormula parses "result = a + b + …" or "result = a × b × …". The product may be
// written ×, x (as a separate word) or *. Mixing + with × in one formula is an error. As in
// chains, a term in double quotes is read verbatim, operators and "=" included.
func ParseFormula(s string) (Formula, error) {
	var f Formula
	equals := func(s string, i, _ int) (string, int) {
		if s[i] == '=' {
			return "=", 1
		}
		return "", 0
	}
	res := termScanner{s: s, op: equals, what: "result before '='", hint: "name what the formula defines, e.g. problem-location = O1 × O2"}
	r, err := res.term()
	switch {
	case err != nil && res.i < len(s) && strings.Contains(s[res.i:], "="):
		if se, ok := err.(*SyntaxError); ok && se.Msg == "missing result before '='" {
			se.Offset = 0
		}
		return f, err
	case err != nil || res.n == 0:
		if se, ok := err.(*SyntaxError); ok && se.Msg != "missing result before '='" {
			return f, err // an unclosed quote or text after one
		}
		return f, &SyntaxError{Offset: 0, Msg: "a formula needs '='", Hint: "write result = A + B or result = A × B"}
	}
	f.Result = r
	op := func(s string, i, start int) (string, int) {
		if s[i] == '=' {
			return "=", 1
		}
		return formulaOp(s, i, start)
	}
	sc := termScanner{s: s, i: res.i + 1, op: op, what: "operand", hint: "write an entity id on each side of every operator"}
	for {
		t, err := sc.term()
		if err != nil {
			return Formula{}, err
		}
		f.Operands = append(f.Operands, t)
		if sc.i >= len(s) {
			break
		}
		op, n := sc.next, sc.n
		switch {
		case op == "=":
			return Formula{}, &SyntaxError{Offset: sc.i, Msg: "a formula has exactly one '='", Hint: "write result = A + B; quote a term that contains '=': \"a=b\""}
		case f.Op != "" && f.Op != op:
			return Formula{}, &SyntaxError{Offset: sc.i, Msg: fmt.Sprintf("formula mixes %q with %q", f.Op, op),
				Hint: "use one operator per formula; define a named part for the other"}
		}
		f.Op = op
		sc.i += n
	}
	if f.Op == "" {
		return Formula{}, &SyntaxError{Offset: f.Operands[0].Offset, Msg: "a formula needs an operator (+, ×, x or *) between at least two operands",
			Hint: "write result = A + B or result = A × B"}
	}
	return f, nil
}

// formulaOp reports the formula operator at s[i:], for a term that started at termStart.
func formulaOp(s string, i, termStart int) (string, int) {
	switch {
	case strings.HasPrefix(s[i:], "×"):
		return "×", len("×")
	case s[i] == '*':
		return "×", 1
	case s[i] == '+':
		return "+", 1
	case s[i] == 'x' || s[i] == 'X':
		// x is the product only as a word of its own: "O1 x O2", never inside "nginx";
		// and with no operand before it, x is an operand: "X × Y" over the X axis.
		before := i == 0 || isSpaceByte(s[i-1])
		after := i+1 == len(s) || isSpaceByte(s[i+1])
		if before && after && strings.TrimSpace(s[termStart:i]) != "" {
			return "×", 1
		}
	}
	return "", 0
}

func isSpaceByte(b byte) bool { return b < utf8.RuneSelf && unicode.IsSpace(rune(b)) }

// splitNames holds the network's lower-cased ids, names and aliases that contain an
// operator of chains or formulas, as a trie walked rune by rune, built on first use. Only
// such a name can span two terms, since something between them is an operator.
type splitNames struct {
	nodes []trieNode
}

type trieNode struct {
	next map[rune]int32
	key  string // the name that ends here, if any
}

func (b *builder) splitNames() *splitNames {
	if b.split != nil {
		return b.split
	}
	sp := &splitNames{nodes: []trieNode{{}}}
	// From the entities rather than the index of names, which loading does not build.
	seen := map[string]bool{}
	for _, e := range b.n.Entities {
		for _, k := range append([]string{e.ID, e.Names.En, e.Names.Zh}, e.Aliases...) {
			if !strings.ContainsAny(k, "=<>→+×*xX") {
				continue
			}
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" && !seen[k] {
				seen[k] = true
				sp.add(k)
			}
		}
	}
	b.split = sp
	return sp
}

// add puts one lower-cased name into the trie if it holds an operator.
func (sp *splitNames) add(k string) {
	if !strings.ContainsAny(k, "=<>→+×*") && !strings.Contains(k, " x") {
		return
	}
	at := int32(0)
	for _, r := range k {
		nx, ok := sp.nodes[at].next[r]
		if !ok {
			nx = int32(len(sp.nodes))
			sp.nodes = append(sp.nodes, trieNode{})
			if sp.nodes[at].next == nil {
				sp.nodes[at].next = map[rune]int32{}
			}
			sp.nodes[at].next[r] = nx
		}
		at = nx
	}
	sp.nodes[at].key = k
}

// names calls fn with the end offset and key of every name that text[start:] begins with,
// shortest first, until fn returns true. Names are matched without case, as Resolve does.
func (sp *splitNames) names(text string, start int, fn func(end int, key string) bool) bool {
	at := int32(0)
	for i, r := range text[start:] {
		nx, ok := sp.nodes[at].next[unicode.ToLower(r)]
		if !ok {
			return false
		}
		at = nx
		if k := sp.nodes[at].key; k != "" && fn(start+i+utf8.RuneLen(r), k) {
			return true
		}
	}
	return false
}

// refuseSplit reports, at n, an entity name with an operator inside that a chain or
// formula would split into several terms: "a>b > c" when an entity is called a>b, which
// would otherwise be read as a > b > c without a word (or fail on an unknown a). With the
// parsed terms it looks for a run of unquoted terms that together name an entity; without
// them (the text did not parse, often because of such a name) it looks for the name in the
// text where a term could stand. It reports whether it found one. The cost is the text's
// length times the longest such name's, whatever the input.
func (b *builder) refuseSplit(n scalar, text string, terms []Term, formula bool) bool {
	sp := b.splitNames()
	if len(sp.nodes) == 1 {
		return false
	}
	code, where := CodeChain, "chain"
	if formula {
		code, where = CodeFormula, "formula"
	}
	var off int
	var run, key string
	if terms != nil {
		off, run, key = sp.splitRun(text, terms)
	} else {
		off, run, key = sp.splitText(text)
	}
	if key == "" {
		return false
	}
	id := key
	if e, ok := b.n.find(key); ok {
		id = e.ID
	}
	b.add(offsetPos(n, off), code, fmt.Sprintf("write it in double quotes to mean the entity (\"%s\"), or quote each term to mean them apart", run),
		"%q names entity %s, but unquoted in a %s it is split at its operators", run, id, where)
	return true
}

// splitRun finds a run of two or more unquoted terms that read together, with the
// operators between them, name an entity.
func (sp *splitNames) splitRun(text string, terms []Term) (int, string, string) {
	endOf := make(map[int]int, len(terms)) // end offset -> term index
	quoted := make([]int, len(terms)+1)    // quoted terms before index i
	for i, t := range terms {
		endOf[t.Offset+len(t.Text)] = i
		quoted[i+1] = quoted[i]
		if t.Quoted {
			quoted[i+1]++
		}
	}
	for i, t := range terms {
		if t.Quoted {
			continue
		}
		var end int
		var key string
		if sp.names(text, t.Offset, func(e int, k string) bool {
			j, ok := endOf[e]
			if ok && j > i && quoted[j+1] == quoted[i] {
				end, key = e, k
				return true
			}
			return false
		}) {
			return t.Offset, text[t.Offset:end], key
		}
	}
	return 0, "", ""
}

// splitText finds one of the names standing in text as a term would: outside quotes, not
// inside a longer word.
func (sp *splitNames) splitText(text string) (int, string, string) {
	edge := func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(`=<>→+×*"-`, r) }
	in := false
	prev := ' '
	for i, r := range text {
		if r == '"' {
			in = !in
		}
		if !in && edge(prev) && !edge(r) {
			var end int
			var key string
			if sp.names(text, i, func(e int, k string) bool {
				next, _ := utf8.DecodeRuneInString(text[e:])
				if e == len(text) || edge(next) {
					end, key = e, k
					return true
				}
				return false
			}) {
				return i, text[i:end], key
			}
		}
		prev = r
	}
	return 0, "", ""
}

// termPositions is offsetPos for each term, counting the scalar's runes once from term to
// term (terms come in increasing offsets), so a chain of k terms costs its length, not k
// times its length.
func termPositions(n scalar, terms []Term) []Pos {
	out := make([]Pos, len(terms))
	off, runes := 0, 0
	for i, t := range terms {
		if !n.verbatim || t.Offset < off || t.Offset > len(n.text) || n.pos.Line == 0 {
			out[i] = offsetPos(n, t.Offset)
			continue
		}
		runes += utf8.RuneCountInString(n.text[off:t.Offset])
		off = t.Offset
		p := n.pos
		p.Col += runes
		if n.quoted {
			p.Col++
		}
		out[i] = p
	}
	return out
}

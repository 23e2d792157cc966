package network

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Term is one operand of a chain or formula as written, with its byte offset in the text.
type Term struct {
	Text   string
	Offset int
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
// may appear anywhere. Terms may contain spaces ("A1 technical → A5 software").
func ParseChain(s string) (Chain, error) {
	var c Chain
	start := 0
	strict := ""
	flush := func(end int) error {
		raw := s[start:end]
		t := strings.TrimSpace(raw)
		if t == "" {
			return &SyntaxError{Offset: start, Msg: "missing term", Hint: "write an entity id on each side of every operator, e.g. A > B"}
		}
		off := start + strings.Index(raw, t)
		c.Terms = append(c.Terms, Term{Text: t, Offset: off})
		return nil
	}
	for i := 0; i < len(s); {
		op, n := chainOp(s, i)
		if n == 0 {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
			continue
		}
		if err := flush(i); err != nil {
			return Chain{}, err
		}
		if op != "=" {
			if strict != "" && strict != op {
				return Chain{}, &SyntaxError{Offset: i, Msg: fmt.Sprintf("chain mixes %q with %q", strict, op),
					Hint: "a chain reads in one direction: split it into two chains or reverse one part"}
			}
			strict = op
		}
		c.Ops = append(c.Ops, op)
		i += n
		start = i
	}
	if err := flush(len(s)); err != nil {
		return Chain{}, err
	}
	if len(c.Ops) == 0 {
		return Chain{}, &SyntaxError{Offset: 0, Msg: "a chain needs at least one operator (=, >, <, → or ->)", Hint: "e.g. L-0 = L-4 > L-1"}
	}
	return c, nil
}

// chainOp reports the operator at s[i:] and its length in bytes, or n == 0.
func chainOp(s string, i int) (op string, n int) {
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
// written ×, x (as a separate word) or *. Mixing + with × in one formula is an error.
func ParseFormula(s string) (Formula, error) {
	var f Formula
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return f, &SyntaxError{Offset: 0, Msg: "a formula needs '='", Hint: "write result = A + B or result = A × B"}
	}
	lhs := strings.TrimSpace(s[:eq])
	if lhs == "" {
		return f, &SyntaxError{Offset: 0, Msg: "missing result before '='", Hint: "name what the formula defines, e.g. problem-location = O1 × O2"}
	}
	f.Result = Term{Text: lhs, Offset: strings.Index(s, lhs)}
	rest := s[eq+1:]
	base := eq + 1
	if strings.IndexByte(rest, '=') >= 0 {
		return f, &SyntaxError{Offset: base + strings.IndexByte(rest, '='), Msg: "a formula has exactly one '='"}
	}
	start := 0
	flush := func(end int) error {
		raw := rest[start:end]
		t := strings.TrimSpace(raw)
		if t == "" {
			return &SyntaxError{Offset: base + start, Msg: "missing operand", Hint: "write an entity id on each side of every operator"}
		}
		f.Operands = append(f.Operands, Term{Text: t, Offset: base + start + strings.Index(raw, t)})
		return nil
	}
	for i := 0; i < len(rest); {
		op, n := formulaOp(rest, i)
		if n > 0 && (rest[i] == 'x' || rest[i] == 'X') && strings.TrimSpace(rest[start:i]) == "" {
			n = 0 // with no operand before it, x is an operand: "X × Y" over the X axis
		}
		if n == 0 {
			_, w := utf8.DecodeRuneInString(rest[i:])
			i += w
			continue
		}
		if err := flush(i); err != nil {
			return Formula{}, err
		}
		if f.Op != "" && f.Op != op {
			return Formula{}, &SyntaxError{Offset: base + i, Msg: fmt.Sprintf("formula mixes %q with %q", f.Op, op),
				Hint: "use one operator per formula; define a named part for the other"}
		}
		f.Op = op
		i += n
		start = i
	}
	if err := flush(len(rest)); err != nil {
		return Formula{}, err
	}
	if f.Op == "" {
		return Formula{}, &SyntaxError{Offset: f.Operands[0].Offset, Msg: "a formula needs an operator (+, ×, x or *) between at least two operands",
			Hint: "write result = A + B or result = A × B"}
	}
	return f, nil
}

func formulaOp(s string, i int) (string, int) {
	switch {
	case strings.HasPrefix(s[i:], "×"):
		return "×", len("×")
	case s[i] == '*':
		return "×", 1
	case s[i] == '+':
		return "+", 1
	case s[i] == 'x' || s[i] == 'X':
		// x is the product only as a word of its own: "O1 x O2", never inside "nginx".
		before := i == 0 || isSpaceByte(s[i-1])
		after := i+1 == len(s) || isSpaceByte(s[i+1])
		if before && after {
			return "×", 1
		}
	}
	return "", 0
}

func isSpaceByte(b byte) bool { return b < utf8.RuneSelf && unicode.IsSpace(rune(b)) }

package network_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/strata-dev/strata/network"
)

// terms builds terms from text, offset pairs; a text written in double quotes stands for a
// quoted term (its offset is where the text starts, after the quote).
func terms(pairs ...any) []network.Term {
	var out []network.Term
	for i := 0; i < len(pairs); i += 2 {
		text := pairs[i].(string)
		t := network.Term{Text: text, Offset: pairs[i+1].(int)}
		if len(text) >= 2 && text[0] == '"' && text[len(text)-1] == '"' {
			t.Text, t.Quoted = text[1:len(text)-1], true
		}
		out = append(out, t)
	}
	return out
}

func TestParseChain(t *testing.T) {
	for _, c := range []struct {
		in    string
		terms []network.Term
		ops   []string
	}{
		{"L-0 = L-4 > L-1 > L-2 > L-3", terms("L-0", 0, "L-4", 6, "L-1", 12, "L-2", 18, "L-3", 24), []string{"=", ">", ">", ">"}},
		{"L-3 < L-4 < L-2 < L-1 < L-0", terms("L-3", 0, "L-4", 6, "L-2", 12, "L-1", 18, "L-0", 24), []string{"<", "<", "<", "<"}},
		{"A1 → A5 → A6 → A7", terms("A1", 0, "A5", 7, "A6", 14, "A7", 21), []string{"→", "→", "→"}},
		{"A1 -> A5", terms("A1", 0, "A5", 6), []string{"→"}},
		{"A1->A5", terms("A1", 0, "A5", 4), []string{"→"}},
		{"a>b", terms("a", 0, "b", 2), []string{">"}},
		{"  a  =  b  ", terms("a", 2, "b", 8), []string{"="}},
		{"a = b = c", terms("a", 0, "b", 4, "c", 8), []string{"=", "="}},
		{"a < b = c < d", terms("a", 0, "b", 4, "c", 8, "d", 12), []string{"<", "=", "<"}},
		{"A1 technical → A5 software → A6 application", terms("A1 technical", 0, "A5 software", 17, "A6 application", 33), []string{"→", "→"}},
		{"T1容器化 → T2编排化 → T3边缘化", terms("T1容器化", 0, "T2编排化", 16, "T3边缘化", 32), []string{"→", "→"}},
		{"容器 < 沙箱", terms("容器", 0, "沙箱", 9), []string{"<"}},
		{"O1 horizontal (OTLP) > O2", terms("O1 horizontal (OTLP)", 0, "O2", 23), []string{">"}},
		{"a\t>\nb", terms("a", 0, "b", 4), []string{">"}},
		{"x\u00a0> y", terms("x", 0, "y", 5), []string{">"}}, // no-break space is space
		// A quoted term is read verbatim, operators and spaces included.
		{`"a>b" > c`, terms(`"a>b"`, 1, "c", 8), []string{">"}},
		{`c < "a>b"`, terms("c", 0, `"a>b"`, 5), []string{"<"}},
		{`"a" > "b"`, terms(`"a"`, 1, `"b"`, 7), []string{">"}},
		{`"x -> y"->"p = q"`, terms(`"x -> y"`, 1, `"p = q"`, 11), []string{"→"}},
		{` "a<b"  =  "→ 箭头" `, terms(`"a<b"`, 2, `"→ 箭头"`, 12), []string{"="}},
		{`"a b" > c d`, terms(`"a b"`, 1, "c d", 8), []string{">"}},
		// A quote inside an unquoted term is an ordinary character.
		{`a"b > c`, terms(`a"b`, 0, "c", 6), []string{">"}},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := network.ParseChain(c.in)
			if err != nil {
				t.Fatalf("ParseChain: %v", err)
			}
			if !reflect.DeepEqual(got.Terms, c.terms) || !reflect.DeepEqual(got.Ops, c.ops) {
				t.Errorf("ParseChain = %+v %q; want %+v %q", got.Terms, got.Ops, c.terms, c.ops)
			}
		})
	}
}

func TestParseChainErrors(t *testing.T) {
	for _, c := range []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, "missing term"},
		{"   ", 0, "missing term"},
		{"L-0", 0, "a chain needs at least one operator (=, >, <, → or ->)"},
		{"A1 A5", 0, "a chain needs at least one operator (=, >, <, → or ->)"},
		{"> a", 0, "missing term"},
		{"a >", 3, "missing term"},
		{"a > > b", 3, "missing term"},
		{"a >  ", 3, "missing term"},
		{"L-0 > L-1 < L-2", 10, `chain mixes ">" with "<"`},
		{"L-3 < L-4 = L-2 > L-1", 16, `chain mixes "<" with ">"`},
		{"A1 → A5 > A6", 10, `chain mixes "→" with ">"`},
		{"A1 -> A5 < A6", 9, `chain mixes "→" with "<"`},
		{"容器 > 沙箱 → 硬件", 16, `chain mixes ">" with "→"`},
		{`"a>b > c`, 0, "unclosed quote"},
		{`a > "b`, 4, "unclosed quote"},
		{`"" > c`, 0, "missing term"},
		{`"  " > c`, 0, "missing term"},
		{`"a" b > c`, 4, "text after a quoted term"},
		{`a > "b"c`, 7, "text after a quoted term"},
		{`"a"`, 0, "a chain needs at least one operator (=, >, <, → or ->)"},
	} {
		t.Run(c.in, func(t *testing.T) {
			_, err := network.ParseChain(c.in)
			var se *network.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseChain(%q) = %v; want a SyntaxError", c.in, err)
			}
			if se.Offset != c.offset || se.Msg != c.msg || se.Hint == "" {
				t.Errorf("ParseChain(%q) = offset %d %q (hint %q); want offset %d %q and a hint", c.in, se.Offset, se.Msg, se.Hint, c.offset, c.msg)
			}
		})
	}
}

func TestParseFormula(t *testing.T) {
	for _, c := range []struct {
		in       string
		result   network.Term
		op       string
		operands []network.Term
	}{
		{"complete-observability = O1 + O2", network.Term{Text: "complete-observability", Offset: 0}, "+", terms("O1", 25, "O2", 30)},
		{"problem-location = O1 × O2", network.Term{Text: "problem-location", Offset: 0}, "×", terms("O1", 19, "O2", 25)},
		{"p = a x b x c", network.Term{Text: "p", Offset: 0}, "×", terms("a", 4, "b", 8, "c", 12)},
		{"p = a X b", network.Term{Text: "p", Offset: 0}, "×", terms("a", 4, "b", 8)},
		{"p = a * b", network.Term{Text: "p", Offset: 0}, "×", terms("a", 4, "b", 8)},
		{"p=a*b", network.Term{Text: "p", Offset: 0}, "×", terms("a", 2, "b", 4)},
		{"p=a+b+c", network.Term{Text: "p", Offset: 0}, "+", terms("a", 2, "b", 4, "c", 6)},
		// x inside a word is a letter, not the product.
		{"proxy = nginx + xds x-ray", network.Term{Text: "proxy", Offset: 0}, "+", terms("nginx", 8, "xds x-ray", 16)},
		{"complete-observability = O1 horizontal (OTLP) + O2 vertical (eBPF)", network.Term{Text: "complete-observability", Offset: 0}, "+",
			terms("O1 horizontal (OTLP)", 25, "O2 vertical (eBPF)", 48)},
		{"problem-location = 横坐标(O1) × 纵坐标(O2)", network.Term{Text: "problem-location", Offset: 0}, "×", terms("横坐标(O1)", 19, "纵坐标(O2)", 36)},
		// X and Y are the coordinate axes: an x with no operand before it is an operand.
		{"space = X × Y × Z", network.Term{Text: "space", Offset: 0}, "×", terms("X", 8, "Y", 13, "Z", 18)},
		{"space = X x Y x Z", network.Term{Text: "space", Offset: 0}, "×", terms("X", 8, "Y", 12, "Z", 16)},
		{"space = x + y", network.Term{Text: "space", Offset: 0}, "+", terms("x", 8, "y", 12)},
		{"  问题定位 =横坐标×纵坐标", network.Term{Text: "问题定位", Offset: 2}, "×", terms("横坐标", 16, "纵坐标", 27)},
		// Quoted terms: operators, x and = inside are part of the term.
		{`p = "C++" + "a x b"`, network.Term{Text: "p", Offset: 0}, "+", terms(`"C++"`, 5, `"a x b"`, 13)},
		{`"a=b" = c * "d*e"`, network.Term{Text: "a=b", Offset: 1, Quoted: true}, "×", terms("c", 8, `"d*e"`, 13)},
		{`p = "x" x y`, network.Term{Text: "p", Offset: 0}, "×", terms(`"x"`, 5, "y", 10)},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := network.ParseFormula(c.in)
			if err != nil {
				t.Fatalf("ParseFormula: %v", err)
			}
			want := network.Formula{Result: c.result, Op: c.op, Operands: c.operands}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseFormula = %+v; want %+v", got, want)
			}
		})
	}
}

func TestParseFormulaErrors(t *testing.T) {
	for _, c := range []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, "a formula needs '='"},
		{"O1 + O2", 0, "a formula needs '='"},
		{" = O1 + O2", 0, "missing result before '='"},
		{"a = b = c + d", 6, "a formula has exactly one '='"},
		{"a = b", 4, "a formula needs an operator (+, ×, x or *) between at least two operands"},
		{"a =", 3, "missing operand"},
		{"a = + b", 3, "missing operand"},
		{"a = b +", 7, "missing operand"},
		{"a = b + + c", 7, "missing operand"},
		{"a = b + c × d", 10, `formula mixes "+" with "×"`},
		{"a = b * c + d", 10, `formula mixes "×" with "+"`},
		{"问题 = 横 × 纵 + 深", 20, `formula mixes "×" with "+"`},
		{`p = "a + b`, 4, "unclosed quote"},
		{`"p = a + b`, 0, "unclosed quote"},
		{`"p" q = a + b`, 4, "text after a quoted result before '='"},
		{`p = "a" b + c`, 8, "text after a quoted operand"},
		{`p = "" + c`, 4, "missing operand"},
		{`"a=b" + c`, 6, "text after a quoted result before '='"},
	} {
		t.Run(c.in, func(t *testing.T) {
			_, err := network.ParseFormula(c.in)
			var se *network.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseFormula(%q) = %v; want a SyntaxError", c.in, err)
			}
			if se.Offset != c.offset || se.Msg != c.msg {
				t.Errorf("ParseFormula(%q) = offset %d %q; want offset %d %q", c.in, se.Offset, se.Msg, c.offset, c.msg)
			}
		})
	}
}

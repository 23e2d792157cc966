package network_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/strata-dev/strata/network"
)

// seedChains are the seed's own chain and formula lines, and some near misses.
var seedChains = []string{
	"L-0 = L-4 > L-1 > L-2 > L-3",
	"L-3 < L-4 < L-2 < L-1 < L-0",
	"A1 technical → A5 software → A6 application → A7 scenario",
	"A2 conceptual → A3 data → A4 business",
	"T1 containerisation → T2 orchestration → T3 edge → T4 Wasm → T5 native Wasm",
	"T1容器化 → T2编排化 → T3边缘化 → T4Wasm化 → T5原生Wasm",
	"A1 -> A5 -> A6",
	"complete-observability = O1 horizontal (OTLP) + O2 vertical (eBPF)",
	"problem-location = 横坐标(O1) × 纵坐标(O2)",
	"problem location = horizontal coordinate (O1) × vertical coordinate (O2)",
	"p = a x b * c",
	"L-0 > L-1 < L-2",
	"a -> > b",
	"-",
	"=",
	"x",
	"\xff→\x80",
	`"a>b" > c`,
	`p = "C++" + "a=b"`,
	`"unclosed > b`,
	`"a" b > c`,
}

func FuzzParseChain(f *testing.F) {
	for _, s := range seedChains {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := network.ParseChain(s)
		if err != nil {
			checkSyntaxError(t, s, err)
			return
		}
		if len(c.Terms) != len(c.Ops)+1 || len(c.Ops) == 0 {
			t.Fatalf("ParseChain(%q): %d terms and %d operators", s, len(c.Terms), len(c.Ops))
		}
		for _, op := range c.Ops {
			if !slices.Contains([]string{"=", ">", "<", "→"}, op) {
				t.Errorf("ParseChain(%q): operator %q", s, op)
			}
		}
		checkTerms(t, s, c.Terms...)
	})
}

func FuzzParseFormula(f *testing.F) {
	for _, s := range seedChains {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := network.ParseFormula(s)
		if err != nil {
			checkSyntaxError(t, s, err)
			return
		}
		if fm.Op != "+" && fm.Op != "×" {
			t.Errorf("ParseFormula(%q): operator %q", s, fm.Op)
		}
		if len(fm.Operands) < 2 {
			t.Errorf("ParseFormula(%q): %d operands", s, len(fm.Operands))
		}
		checkTerms(t, s, append([]network.Term{fm.Result}, fm.Operands...)...)
	})
}

func checkSyntaxError(t *testing.T, s string, err error) {
	t.Helper()
	var se *network.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("%q: error %v is not a SyntaxError", s, err)
	}
	if se.Offset < 0 || se.Offset > len(s) || se.Msg == "" {
		t.Errorf("%q: SyntaxError %+v", s, se)
	}
}

// checkTerms: each term is non-empty, and is the text at its offset; an unquoted term is
// trimmed, a quoted one sits between quotes and holds none.
func checkTerms(t *testing.T, s string, ts ...network.Term) {
	t.Helper()
	for _, tm := range ts {
		if strings.TrimSpace(tm.Text) == "" || (!tm.Quoted && strings.TrimSpace(tm.Text) != tm.Text) {
			t.Errorf("%q: term %q is empty or not trimmed", s, tm.Text)
		}
		if tm.Quoted && (tm.Offset < 1 || s[tm.Offset-1] != '"' || strings.Contains(tm.Text, `"`) ||
			!strings.HasPrefix(s[tm.Offset+len(tm.Text):], `"`)) {
			t.Errorf("%q: quoted term %q at %d is not between quotes", s, tm.Text, tm.Offset)
		}
		if tm.Offset < 0 || tm.Offset >= len(s) || !strings.HasPrefix(s[tm.Offset:], tm.Text) {
			t.Errorf("%q: term %q is not at offset %d", s, tm.Text, tm.Offset)
		}
	}
}

// FuzzLoad feeds arbitrary bytes to Load, alone and on top of a small network. Load must
// not panic, and must return either a network or Problems that say where each one is.
// Interesting inputs here are kilobytes long and Go minimizes each for up to a minute by
// default, so fuzz with a short minimization time:
//
//	go test -run '^$' -fuzz '^FuzzLoad$' -fuzztime 5m -fuzzminimizetime 5s ./network/
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*.yaml", "testdata/invalid-schema/*.yaml"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, file := range network.DefaultFiles() {
		f.Add(file.Data)
	}
	for _, s := range seedChains {
		f.Add([]byte("apiVersion: strata.dev/v1alpha1\nkind: Facts\nmetadata: {name: f}\nspec:\n  chains:\n    - relation: isolation-strength\n      chain: " + s + "\n  formulas: [\"" + s + "\"]\n"))
	}
	baseFile := network.File{Name: "base.yaml", Data: []byte(base)}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := network.File{Name: "fuzz.yaml", Data: data}
		checkLoad(t, data, file)
		// On top of a network, so that names resolve and facts are built.
		checkLoad(t, data, baseFile, file)
	})
}

func checkLoad(t *testing.T, data []byte, files ...network.File) {
	t.Helper()
	n, err := network.Load(files)
	if err == nil {
		if n == nil {
			t.Fatal("Load returned neither a network nor problems")
		}
		for _, f := range n.Facts {
			checkPos(t, data, f.Source, "fact "+f.Subject+" "+f.Relation+" "+f.Object)
		}
		for _, e := range n.Entities {
			checkPos(t, data, e.Source, "entity "+e.ID)
		}
		return
	}
	if n != nil {
		t.Errorf("Load returned a network and %v", err)
	}
	ps, ok := network.AsProblems(err)
	if !ok || len(ps) == 0 {
		t.Fatalf("Load returned %v (%T); want Problems", err, err)
	}
	for i, p := range ps {
		if p.Message == "" || p.Code == "" {
			t.Errorf("problem %+v has no message or code", p)
		}
		checkPos(t, data, p.Pos, p.String())
		if i > 0 && less(p.Pos, ps[i-1].Pos) {
			t.Errorf("problems not sorted: %v before %v", ps[i-1], p)
		}
	}
}

func less(a, b network.Pos) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Col < b.Col
}

// checkPos: a position names its file, and lies inside it.
func checkPos(t *testing.T, data []byte, p network.Pos, what string) {
	t.Helper()
	switch p.File {
	case "base.yaml":
		return
	case "fuzz.yaml":
	default:
		t.Fatalf("%s: position %+v names no input file", what, p)
	}
	if p.Line < 0 || p.Col < 0 || (p.Line == 0 && p.Col != 0) {
		t.Errorf("%s: position %+v", what, p)
	}
	// YAML breaks lines at \r\n, \r and \n.
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n"), "\n")
	if p.Line > len(lines)+1 {
		t.Errorf("%s: line %d of a file of %d lines", what, p.Line, len(lines))
	}
	if p.Line > 0 && p.Line <= len(lines) && p.Col > utf8.RuneCountInString(lines[p.Line-1])+1 {
		t.Errorf("%s: column %d of line %d %q", what, p.Col, p.Line, lines[p.Line-1])
	}
}

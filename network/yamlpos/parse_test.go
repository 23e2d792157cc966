package yamlpos

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// yamlCases are inputs covering what the parser reads, written to catch it out: every
// scalar style and block scalar header, folding, escapes, flow collections over lines,
// comments everywhere, anchors, aliases and merges, documents and markers, odd line ends.
var yamlCases = []string{
	"a: 1\nb: [x, 'y', \"z\"]\nc: {d: e, f: [g]}\n",
	"key: value # comment\n# full-line comment\nother: 'single # not a comment'\n",
	"a:\n- 1\n- 2\nb:\n  - 3\n  -\n  - ~\n",
	"- a\n- - b\n  - c\n- k: v\n  k2: v2\n-\n  k3: v3\n",
	"- - - deep\n    - x\n  - y\n- z\n",
	"plain: multi\n  line\n\n  with blank\nnext: x\n",
	"top level\nplain scalar\n",
	"s: 'it''s'\nd: \"tab\\there\\u00e9\\x41\\U0001F600\\\\\\\"\"\n",
	"q: \"folded\n  over\n\n  lines\"\nr: 'single\n  folded'\n",
	"q: \"escaped \\\n  break\"\n",
	"q: \"ends in escaped tab\\t\n  next\"\n",
	"lit: |\n  line 1\n   indented\n\n  line 3\nnext: x\n",
	"lit: |-\n  strip\n\n\nnext: x\n",
	"lit: |+\n  keep\n\n\nnext: x\n",
	"fold: >\n  a\n  b\n\n  c\n    more\n  d\nnext: x\n",
	"fold: >2-\n   lead\n  x\nnext: 1\n",
	"- |\n  in list\n- >\n  folded\n  in list\n",
	"empty: |\nnext: x\n",
	"lit: |\n  text\n  # not a comment\n# a comment\nnext: 1\n",
	"flow: [a, b,\n  c, d]\nmap: {a: 1,\n  b: 2, }\n",
	"flow: [a\n  b, c]\n",
	"nested: [[1, 2], [3, [4, 5]], {a: [b]}]\n",
	"pairs: [a: 1, b: 2]\n",
	"json: {\"a\":1, \"b\":[true,false,null]}\n",
	"set: {a, b}\n",
	"types: [1, -2, +3, 0x1F, 0o17, 017, 0b101, 1_000, 1.5, .5, 1., -.inf, .NaN, true, False, NULL, ~, null, yes, no, on, 1e5, 1.5e3, 12:30, 2001-12-14]\n",
	"quoted-types: ['1', \"true\", 'null']\n",
	"anchors:\n  base: &b {x: 1, y: 2}\n  use: *b\n  merged:\n    <<: *b\n    y: 3\n  many:\n    <<: [*b, {z: 4}]\n",
	"- &a scalar\n- *a\n- &l [1, 2]\n- *l\n",
	"a: &x\n  b: 1\nc: *x\n",
	"---\na: 1\n---\nb: 2\n...\n---\nc: 3\n",
	"--- # comment\na: 1\n",
	"--- {a: 1}\n--- [b]\n--- text\n--- |\n  lit\n",
	"%YAML 1.2\n---\na: 1\n",
	"a: 1\r\nb:\r\n  - 2\r\n",
	"\uFEFFa: 1\n",
	"key with spaces: v\n'quoted key': v\n\"dq key\": v\n",
	"url: http://example.com:8080/path\ncolon: a:b\n",
	"a: -1\nb: - x\n",
	"a: b: c\n",
	"a: 1\n b: 2\n",
	"a: [1, 2\n",
	"a: {b: 1\n",
	"a: 'unterminated\n",
	"a: \"x\" y\n",
	"[1, 2]: x\n",
	"? complex\n: key\n",
	"a: *undefined\n",
	"a: 1\na: 2\n",
	"a:\n\tb: 1\n",
	"- a\n  - b\n",
	"k: v\n- x\n",
	"a: !!str 123\nb: !!int \"42\"\nc: !!float 1\n",
	"a: !custom x\n",
	"a: [1,,2]\n",
	"a: |\n    more\n  less\n",
	"  indented: doc\n  second: key\n",
	"a:\n  - b\n  c: d\n",
	"a: [b, c]]\n",
	"- a\n-b\n",
	"'a': 1\n\"b\" : 2\n",
	"a: b # c\n  d\n",
	"a:    \n  b\n",
	"k: 'multi\n\n\n  line'\n",
	"k: >\n\n  leading blank\n",
	"k: |\n  \n  after spaces\n",
	"- [a, b]\n- {c: d}\n- 'e'\n",
	"a: {b: [c, {d: e}], f: g}\n",
	"é: ü\n中文: 值\nk: 'é中'\n",
	"k: v\n...\n",
	"...\n",
	"---\n---\n",
	"a: 1 # c\n\n\n# c\nb: 2\n",
	"a: >-\n  x\n\n\n  y\n",
	"a: '  spaced  '\n",
	"a: \"\\x00\"\n",
	"a: [ ]\nb: { }\n",
	"- ? a\n",
	"a: &anchor\nb: *anchor\n",
}

// repoYAML is every YAML file of the repository's data and tests.
func repoYAML(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "fuzz") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[path] = b
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// agree checks our reading of data against the two judges. When both judges read the
// input and agree with each other, ours must read it to the same trees (positions as
// goccy's; values and types as both say). When both refuse it, ours must refuse it too.
// Where the judges disagree there is no verdict; the input is returned as undecided.
//
// strict says whether reading what both judges refuse, or refusing what both read, is an
// error: it is for the cases and files here, which people write. The fuzzer finds corners
// where the judges are stricter than the YAML spec (a line of a tab only) or more lenient
// (a block scalar indicator at a key's indentation); there only reading a document
// differently from both judges is an error.
func agree(t *testing.T, name string, data []byte, strict bool) (decided bool) {
	t.Helper()
	ours, err := ParseAll(context.Background(), name, data, Limits{})
	if strings.HasPrefix(string(data), "%") || strings.Contains(string(data), "\n%") ||
		strings.HasPrefix(string(data), "...") || strings.Contains(string(data), "\n...") {
		// Neither judge reads %YAML 1.2 (goccy refuses directives, yaml.v3 all but
		// %YAML 1.1), nor a document after "..." without "---"; the YAML 1.2 spec allows
		// both, and the tests of documents decide.
		return false
	}
	g, gerr := goccyDocs(data)
	y, yerr := yaml3Docs(data)
	switch {
	case gerr != nil && yerr != nil:
		if err == nil && strict {
			t.Errorf("%s: both judges refuse %q (goccy: %v; yaml.v3: %v) but it was read", name, data, gerr, yerr)
		}
		return true
	case gerr != nil || yerr != nil:
		return false
	case len(g) != len(y):
		return false
	}
	for i := range g {
		if diffTrees("", g[i], y[i], false, false, false) != "" {
			return false
		}
		reconcile(g[i], y[i], map[*Node]bool{}, strings.ContainsRune(string(data), '\r'))
	}
	if err != nil {
		if deliberate(err) || !strict {
			return true
		}
		t.Errorf("%s: %q is refused (%v) but both judges read it", name, data, err)
		return true
	}
	if len(ours) != len(g) {
		t.Errorf("%s: %q gives %d documents, the judges %d", name, data, len(ours), len(g))
		return true
	}
	for i := range ours {
		if d := diffTrees("doc"+string(rune('0'+i)), ours[i], g[i], true, true, true); d != "" {
			t.Errorf("%s: %q against goccy: %s", name, data, d)
		}
		if d := diffTrees("doc"+string(rune('0'+i)), ours[i], y[i], true, false, false); d != "" {
			t.Errorf("%s: %q against yaml.v3: %s", name, data, d)
		}
	}
	return true
}

func TestJudgesAgree(t *testing.T) {
	undecided := 0
	for i, c := range yamlCases {
		if !agree(t, "case"+string(rune('A'+i%26))+string(rune('0'+i/26)), []byte(c), true) {
			undecided++
			t.Logf("judges disagree on %q", c)
		}
	}
	files := repoYAML(t)
	for path, data := range files {
		if !agree(t, path, data, true) {
			t.Errorf("%s: the judges disagree on a file of the repository", path)
		}
	}
	t.Logf("%d cases (%d undecided), %d repository files", len(yamlCases), undecided, len(files))
}

func FuzzParse(f *testing.F) {
	for _, c := range yamlCases {
		f.Add([]byte(c))
	}
	for _, b := range repoYAML(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := ParseAll(context.Background(), "fuzz.yaml", data, Limits{})
		if err != nil {
			p, ok := err.(*Problem)
			if !ok || p.Pos.Line < 1 || p.Pos.Col < 1 || p.Message == "" {
				t.Fatalf("%q: error %#v has no position", data, err)
			}
		}
		for _, d := range docs {
			checkTree(t, data, d, 0)
		}
		agree(t, "fuzz", data, false)
	})
}

// checkTree: positions inside the input, no nesting past the limit.
func checkTree(t *testing.T, data []byte, n *Node, depth int) {
	if depth > DefaultLimits().MaxDepth {
		t.Fatalf("%q: tree deeper than the limit", data)
	}
	lines := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") + 1
	if n.line < 1 || int(n.line) > lines || n.col < 1 {
		t.Fatalf("%q: node at %d:%d outside the input", data, n.line, n.col)
	}
	for _, k := range n.kids {
		checkTree(t, data, k, depth+1)
	}
}

// Plain scalars are typed as goccy/go-yaml types them (yaml.v3 reads YAML 1.1's numbers
// and is no judge here).
func TestPlainScalarTypes(t *testing.T) {
	words := []string{"1", "-2", "+3", "0x1F", "-0x1f", "0o17", "017", "09", "0b101", "1_000", "_1", "1.5", ".5", "1.", "-1.5",
		"1.2.3", "-.inf", ".Inf", "+.inf", ".NaN", ".nan", "true", "True", "TRUE", "tRUE", "False", "NULL", "Null", "~", "null",
		"yes", "no", "on", "off", "y", "1e5", "1.5e3", "1.5E-3", "12:30", "2001-12-14", "0x", "0", "-0", "+", "-", ".",
		"99999999999999999999", "-9223372036854775808", "18446744073709551615", "1_0.5", "0.1_5", "0b2", "0o8", "Infinity", "NaN"}
	data := []byte("[" + strings.Join(words, ", ") + "]")
	ours, err := ParseAll(context.Background(), "types.yaml", data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := goccyDocs(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range words {
		o, j := ours[0].kids[i], g[0].kids[i]
		if o.tag != j.tag || o.Value() != j.Value() {
			t.Errorf("%s: %s %q; goccy %s %q", w, o.tag, o.Value(), j.tag, j.Value())
		}
	}
}

// deliberate reports whether err refuses YAML that strata chooses not to read (see the
// package documentation): tags beyond the core ones, explicit and non-scalar keys, %TAG,
// a key written twice, and the limits.
func deliberate(err error) bool {
	p, ok := err.(*Problem)
	if !ok {
		return false
	}
	if p.Code == CodeLimit {
		return true
	}
	for _, m := range []string{"unsupported tag", "not supported", "mapping keys must be plain scalars", "alias cannot be a mapping key", "appears twice", "tag !!"} {
		if strings.Contains(p.Message, m) {
			return true
		}
	}
	return false
}

// reconcile forgets goccy's position of a value where yaml.v3 places it elsewhere: the
// judges then disagree, and neither decides. With carriage returns in the input goccy
// miscounts lines, so only the positions yaml.v3 confirms are kept.
func reconcile(g, y *Node, seen map[*Node]bool, cr bool) {
	if seen[g] {
		return
	}
	seen[g] = true
	if y.line != 0 && (g.line != y.line || g.col != y.col) || y.line == 0 && cr {
		g.line, g.col = 0, 0
	}
	for i := range g.kids {
		reconcile(g.kids[i], y.kids[i], seen, cr)
		if g.kind == Map && i%2 == 1 && g.kids[i].Implicit() && g.kids[i-1].line == 0 {
			g.kids[i].line, g.kids[i].col = 0, 0 // placed at its key, which the judges place apart
		}
	}
}

// Scan, which reuses one document's memory for the next, hands out the same trees as Parse.
func TestScanReadsAsParse(t *testing.T) {
	inputs := map[string][]byte{}
	for i, c := range yamlCases {
		inputs["case"+strings.Repeat("I", i)] = []byte(c)
	}
	for path, b := range repoYAML(t) {
		inputs[path] = b
	}
	var many strings.Builder
	for i := range 300 {
		many.WriteString("---\n" + strings.Repeat("- [a, {b: c}]\n", i%17))
	}
	inputs["many documents"] = []byte(many.String())
	for name, data := range inputs {
		want, werr := ParseAll(context.Background(), name, data, Limits{})
		i := 0
		err := Scan(context.Background(), name, data, Limits{}, func(d *Node) error {
			if i >= len(want) {
				t.Fatalf("%s: Scan gives more documents than Parse", name)
			}
			if diff := diffTrees("", d, want[i], true, true, true); diff != "" {
				t.Errorf("%s: document %d: %s", name, i, diff)
			}
			i++
			return nil
		})
		if (err == nil) != (werr == nil) || i != len(want) {
			t.Errorf("%s: Scan: %d documents, %v; Parse: %d, %v", name, i, err, len(want), werr)
		}
	}
}

// Each limit stops reading at the place it is passed, with a problem errors.Is matches to
// ErrLimit; a negative limit is none.
func TestLimits(t *testing.T) {
	for _, c := range []struct {
		name string
		lim  Limits
		data string
		want string // position and message
	}{
		{"depth", Limits{MaxDepth: 2}, "a: [b, [c, [d]]]", "f.yaml:1:8: YAML nested too deeply"},
		{"documents", Limits{MaxDocuments: 2}, "a: 1\n---\nb: 2\n---\nc: 3\n", "f.yaml:4:1: more than 2 documents in one file"},
		{"values", Limits{MaxNodes: 5}, "[1, 2, 3, 4, 5, 6]", "f.yaml:1:14: more than 5 YAML values in one file"},
		{"aliases", Limits{MaxAliasNodes: 9}, "a: &a [1, 2, 3, 4]\nb: [*a, *a]\n", "f.yaml:2:9: aliases stand for more than 9 YAML values in one file"},
		{"scalar", Limits{MaxScalarBytes: 4}, "a: hello", "f.yaml:1:4: a value of 5 bytes; strata reads values of at most 4"},
		{"quoted scalar", Limits{MaxScalarBytes: 4}, `a: "hello"`, "f.yaml:1:4: a value of more than 4 bytes"},
		{"file", Limits{MaxBytes: 4}, "a: hello", "f.yaml:1:1: file is 8 bytes; strata reads at most 4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseAll(context.Background(), "f.yaml", []byte(c.data), c.lim)
			p, ok := err.(*Problem)
			if !ok || !errors.Is(err, ErrLimit) || !strings.HasPrefix(p.Pos.String()+": "+p.Message, c.want) {
				t.Fatalf("got %v; want a limit problem %s…", err, c.want)
			}
			none := Limits{MaxDepth: -1, MaxDocuments: -1, MaxNodes: -1, MaxAliasNodes: -1, MaxScalarBytes: -1, MaxBytes: -1}
			if _, err := ParseAll(context.Background(), "f.yaml", []byte(c.data), none); err != nil {
				t.Errorf("without limits: %v", err)
			}
		})
	}
}

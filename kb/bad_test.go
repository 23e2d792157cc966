package kb

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
)

// badKB is a knowledge base with one of each kind of bad input, in several documents.
// want lists, per problem the reader must report, its file:line and code and a piece of
// its message; every one must be in a single read, which must not panic.
func badKB() ([]network.File, []struct{ pos, code, says string }) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa")
	tables := `# Runtimes

## 1 Runtime levels

| id | name | speed |
| -- | ---- | ----- |
| **R1** | fast |
| **R2** | slow | 2 | 9 |
| **R3** | steady | 3 |

` + "```text\n隔离强度: R1 > R2 > R4\n```\n"
	other := `# Other

## 2 More levels

| id | name | speed |
| -- | ---- | ----- |
| **R1** | quick | 1 |
| **R5** | calm | 5 |
`
	files := []network.File{
		{Name: "kb/logo.md", Data: png},
		{Name: "kb/tables.md", Data: []byte(tables)},
		{Name: "kb/other.md", Data: []byte(other)},
	}
	want := []struct{ pos, code, says string }{
		{"kb/logo.md:1", CodeEncoding, "not read"},
		{"kb/tables.md:7", CodeTable, `no cell under "speed"`},
		{"kb/tables.md:8", CodeTable, `more cells than its header`},
		{"kb/tables.md:12", network.CodeUnknownEntity, "R4"},
		{"kb/other.md:7", CodeConflict, "R1 is defined differently"},
	}
	return files, want
}

func TestBadInputAllAtOnce(t *testing.T) {
	base, bf := relationsOnly(t)
	files, want := badKB()
	im, err := NewReader(Options{Base: base}).Read(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range im.Problems {
		t.Logf("%s", p)
	}
	for _, w := range want {
		found := false
		for _, p := range im.Problems {
			at := fmt.Sprintf("%s:%d", p.Pos.File, p.Pos.Line)
			if at == w.pos && p.Code == w.code && strings.Contains(p.Message+" "+p.Hint, w.says) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s problem at %s saying %q", w.code, w.pos, w.says)
		}
	}
	for _, p := range im.Problems {
		if p.Code == CodeConflict && strings.Count(p.Message, `"quick" here`) != 1 {
			t.Errorf("the conflict says a difference other than once: %s", p)
		}
	}
	// what could be read still loads, and loading cites the Markdown
	if _, err := im.Load(bf); err != nil {
		ps, ok := network.AsProblems(err)
		if !ok {
			t.Fatal(err)
		}
		for _, p := range ps {
			if !strings.HasPrefix(p.Pos.File, "kb/") || p.Pos.Line < 1 {
				t.Errorf("a loader problem not at a Markdown line: %s", p)
			}
		}
	}
}

// FuzzRead reads any bytes as a document of a knowledge base beside the seed: it must
// not panic, every problem must be at a line of a document, and what it declares must
// load or say why at a line.
func FuzzRead(f *testing.F) {
	for _, lang := range []string{"zh", "en"} {
		f.Add(readSeed(f, lang))
	}
	files, _ := badKB()
	for _, fl := range files {
		f.Add(fl.Data)
	}
	f.Add([]byte("| a | b |\n|---|\n| **X1** | | | |\n\n```text\nx: A = B > C -> D → E\nR = A × B + C\n```\n"))
	f.Add([]byte("---\ntitle: x\n---\n# T\n\n| 0 | 1 | 2 |\n|--|--|--|\n| X a | b (c) | d |\n"))
	f.Add([]byte("\xef\xbb\xbf## 1.2 名\n**维度定义**：定义\n| 维度值 | 层级 |\n|---|---|\n| **D1** | L-0 硬件 |\n"))
	// strata export -o markdown's tables, chain lines and strata:table comments, of the
	// default network and of networks of hostile ids, whole and cut short
	if n, err := network.Load(network.DefaultFiles()); err == nil {
		var b bytes.Buffer
		if WriteMarkdown(&b, n) == nil {
			f.Add(b.Bytes())
		}
	}
	for seed := range uint64(6) {
		if n, err := network.Load([]network.File{{Name: "h.yaml", Data: hostileYAML(seed)}}); err == nil {
			var b bytes.Buffer
			if WriteMarkdown(&b, n) == nil {
				f.Add(b.Bytes())
				f.Add(b.Bytes()[:b.Len()*2/3])
			}
		}
	}
	f.Add([]byte("<!-- strata:table {\"kind\":\"dimension\",\"cols\":[{\"f\":\"id\"},{\"f\":\"attr\",\"n\":\"y\",\"t\":\"int\"}]} -->\n\n| ID | y |\n|---|---|\n| **a\\|b** | 1x |\n| a | &#99999999; |\n"))
	f.Add([]byte("<!-- strata:table {\"kind\":\"chains\"} -->\n\n```text\nrank: \"a>b\" > c\nno colon\n```\n<!-- strata:table {bad json -->\n"))
	base, bf := relationsOnly(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(Options{Base: base, Limits: Limits{MaxFileBytes: 1 << 16}})
		im, err := r.Read(context.Background(), []network.File{{Name: "f.md", Data: data}})
		if err != nil {
			return // a limit
		}
		for _, p := range im.Problems {
			if p.Pos.File != "f.md" || p.Pos.Line < 1 {
				t.Fatalf("a problem not at a line of the document: %s", p)
			}
		}
		n, err := im.Load(bf)
		if err != nil {
			if _, ok := network.AsProblems(err); !ok {
				t.Fatalf("load: %v", err)
			}
		} else if len(im.Problems) == 0 {
			// what was read comes back the same from its own export
			markdownRoundTrip(t, n)
		}
		// reading the same bytes again gives the same documents
		again, err := r.Read(context.Background(), []network.File{{Name: "f.md", Data: data}})
		if err != nil || string(again.Documents[0].YAML()) != string(im.Documents[0].YAML()) {
			t.Fatalf("a second read differs: %v", err)
		}
	})
}

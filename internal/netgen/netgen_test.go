package netgen

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-dev/strata/reason"
)

func TestGenerateStructure(t *testing.T) {
	for _, size := range []Size{Small, Medium} {
		t.Run(size.String(), func(t *testing.T) {
			n, m := size.Nodes(), size.Facts()
			strict, equal := Generate(n, m, DefaultSeed)
			if len(strict)+len(equal) != m || len(equal) != max(1, m/100) {
				t.Fatalf("%d strict + %d equal, want %d facts with %d equal", len(strict), len(equal), m, max(1, m/100))
			}
			s2, e2 := Generate(n, m, DefaultSeed)
			if !slices.Equal(strict, s2) || !slices.Equal(equal, e2) {
				t.Fatal("not deterministic")
			}
			seen := map[reason.Edge]bool{}
			for _, e := range strict {
				if seen[e] || e.From == e.To {
					t.Fatalf("repeated or self strict fact %v", e)
				}
				seen[e] = true
			}
			o, err := reason.NewOrder(n, strict, equal)
			if err != nil {
				t.Fatal(err)
			}
			if o.ContradictionCount() != 0 {
				t.Fatalf("%d contradictions in a contradiction-free network", o.ContradictionCount())
			}
			for _, e := range equal {
				if o.Class(e.From) != o.Class(e.To) {
					t.Fatalf("equal fact %v across classes", e)
				}
			}
		})
	}
}

func TestWithBackEdge(t *testing.T) {
	for _, size := range []Size{Small, Medium} {
		n, m := size.Nodes(), size.Facts()
		strict, equal, back := WithBackEdge(n, m, DefaultSeed)
		if back != len(strict)-1 {
			t.Fatalf("back = %d of %d", back, len(strict))
		}
		o, err := reason.NewOrder(n, strict, equal)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Contradictions()) == 0 || o.ContradictionCount() == 0 {
			t.Fatalf("%s: back edge closes no cycle", size)
		}
		e := strict[back]
		if o.Class(e.From) != o.Class(e.To) {
			t.Fatalf("%s: back edge %v is on no cycle", size, e)
		}
		// The shortest way from the back edge's head round to its tail is the
		// walk it was made from, or shorter, but never under 3 facts.
		if d, ok := o.Derive(e.To, e.From); !ok || len(d) < 3 {
			t.Fatalf("%s: cycle back path %v (ok %v) shorter than 3", size, d, ok)
		}
	}
}

func TestLoadPeerDir(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"nodes.csv": "0\n1\n2\n3\n4\n",
		"gt.csv":    "4,1\n1,2\n2,3\n",
		"eq.csv":    "0,4\n",
		"pairs.csv": "0,1\n3,0\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n, strict, equal, pairs, err := LoadPeerDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 || !slices.Equal(strict, []reason.Edge{{From: 4, To: 1}, {From: 1, To: 2}, {From: 2, To: 3}}) ||
		!slices.Equal(equal, []reason.Edge{{From: 0, To: 4}}) || !slices.Equal(pairs, [][2]int32{{0, 1}, {3, 0}}) {
		t.Fatalf("got n=%d strict=%v equal=%v pairs=%v", n, strict, equal, pairs)
	}
	for _, bad := range []string{"5,1\n", "1;2\n", "1,\n", "-1,2\n", "1,2,3\n"} {
		if err := os.WriteFile(filepath.Join(dir, "gt.csv"), []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, _, _, err := LoadPeerDir(dir); err == nil {
			t.Errorf("gt.csv %q accepted", bad)
		}
	}
	if _, _, _, _, err := LoadPeerDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing folder accepted")
	}
}

func TestParseSize(t *testing.T) {
	for _, s := range []Size{Small, Medium, Large} {
		got, err := ParseSize(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSize(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseSize("huge"); err == nil {
		t.Error("huge accepted")
	}
}

func TestTinyNetworks(t *testing.T) {
	for n := 0; n < 5; n++ {
		strict, equal := Generate(n, 50, 1)
		if _, err := reason.NewOrder(n, strict, equal); err != nil {
			t.Fatal(err)
		}
		s, e, back := WithBackEdge(n, 50, 1)
		if back >= 0 && back != len(s)-1 {
			t.Fatalf("n=%d back=%d len=%d", n, back, len(s))
		}
		if _, err := reason.NewOrder(n, s, e); err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzReadPairs(f *testing.F) {
	f.Add([]byte("0,1\n2,3\n"))
	f.Add([]byte("4,1\r\n\n1,2"))
	f.Add([]byte("9999999999999,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "gt.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		edges, err := readPairs(path, 100)
		if err != nil {
			return
		}
		for _, e := range edges {
			if e.From < 0 || e.From >= 100 || e.To < 0 || e.To >= 100 {
				t.Fatalf("edge %v out of range accepted", e)
			}
		}
	})
}

// TestWritePeerDir: gt_cyc.csv is gt.csv plus the one back edge, which closes a cycle, and
// sources.csv holds SourceCount ids below n.
func TestWritePeerDir(t *testing.T) {
	dir := t.TempDir()
	if err := WritePeerDir(dir, Small, DefaultSeed); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	gt, cyc, back := read("gt.csv"), read("gt_cyc.csv"), read("backedge.csv")
	if cyc != gt+back || strings.Count(back, "\n") != 1 {
		t.Fatalf("gt_cyc.csv is not gt.csv plus one back edge (%q)", back)
	}
	strict, _, bi := WithBackEdge(Small.Nodes(), Small.Facts(), DefaultSeed)
	if want := fmt.Sprintf("%d,%d\n", strict[bi].From, strict[bi].To); back != want {
		t.Errorf("backedge.csv %q, want %q", back, want)
	}
	sources := strings.Fields(read("sources.csv"))
	if len(sources) != SourceCount {
		t.Errorf("%d sources, want %d", len(sources), SourceCount)
	}
	for _, s := range sources {
		if v, err := strconv.Atoi(s); err != nil || v < 0 || v >= Small.Nodes() {
			t.Fatalf("source %q is no id below %d", s, Small.Nodes())
		}
	}
}

package netgen

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestGenerateKB: the documents hold the facts and entities asked for, each planted side
// is written at the line the generator says, the two sides in different documents, and
// the same seed gives the same bytes.
func TestGenerateKB(t *testing.T) {
	g := GenerateKB(40, 400, 2000, 5, 3)
	if len(g.Files) != 40 {
		t.Fatalf("%d files", len(g.Files))
	}
	chains, rows := 0, 0
	for _, f := range g.Files {
		for _, l := range strings.Split(string(f.Data), "\n") {
			switch {
			case strings.HasPrefix(l, "rank: ") || strings.HasPrefix(l, "等级: "):
				chains++
			case strings.HasPrefix(l, "| **"):
				rows++
			}
		}
	}
	if chains != g.Facts || g.Facts != 2000+2*5 {
		t.Errorf("%d chain lines, %d facts said", chains, g.Facts)
	}
	if rows != 400+2*5 {
		t.Errorf("%d table rows", rows)
	}
	byName := map[string][]string{}
	for _, f := range g.Files {
		byName[f.Name] = strings.Split(string(f.Data), "\n")
	}
	for _, p := range g.Planted {
		if p.Sides[0].File == p.Sides[1].File {
			t.Errorf("%s: both sides in %s", p.A, p.Sides[0].File)
		}
		for i, want := range []string{fmt.Sprintf("rank: %s > %s", p.A, p.B), fmt.Sprintf("等级: %s > %s", p.B, p.A)} {
			s := p.Sides[i]
			if got := byName[s.File][s.Line-1]; got != want {
				t.Errorf("%s: %q, want %q", s, got, want)
			}
		}
	}
	again := GenerateKB(40, 400, 2000, 5, 3)
	for i := range g.Files {
		if !bytes.Equal(g.Files[i].Data, again.Files[i].Data) {
			t.Fatalf("%s differs between two runs with one seed", g.Files[i].Name)
		}
	}
}

package kb

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/strata-dev/strata/network"
)

// The mis-decodings the tests make of a file, the way tools really produce them.
//
// lossless: every byte read as Windows-1252, the five bytes it leaves undefined kept as
// the C1 controls (what Windows' own converter does); latin1: every byte read as
// Latin-1; dropped: the undefined bytes dropped; replaced: the undefined bytes written
// as U+FFFD (golang.org/x/text's Windows-1252 decoder).
func mojibake(b []byte, kind string) []byte {
	var s strings.Builder
	for _, c := range b {
		switch {
		case kind == "latin1":
			s.WriteRune(rune(c))
		case isLost(c):
			switch kind {
			case "lossless":
				s.WriteRune(rune(c))
			case "replaced":
				s.WriteRune(utf8.RuneError)
			}
		default:
			s.WriteRune(charmap.Windows1252.DecodeByte(c))
		}
	}
	return []byte(s.String())
}

func isLost(c byte) bool {
	for _, b := range lostBytes {
		if b == c {
			return true
		}
	}
	return false
}

func readSeed(t testing.TB, lang string) []byte {
	b, err := os.ReadFile("testdata/multi-dimensional-network." + lang + ".md")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMojibakeLossless(t *testing.T) {
	want := readSeed(t, "zh")
	for _, kind := range []string{"lossless", "latin1"} {
		t.Run(kind, func(t *testing.T) {
			m := mojibake(want, kind)
			if utf8.Valid(m) && string(m) == string(want) {
				t.Fatal("the mojibake copy is the original")
			}
			got, d, holes, err := decodeBytes(m)
			if err != nil {
				t.Fatal(err)
			}
			if len(holes) != 0 {
				t.Fatalf("%d holes in lossless mojibake", len(holes))
			}
			if got != string(want) {
				t.Fatalf("not restored: %s\n%.300s", d, got)
			}
			if d.Mojibake == nil || d.Mojibake.Layers != 1 {
				t.Fatalf("mojibake not reported: %s", d)
			}
			t.Log(d)
		})
	}
}

func TestMojibakeLossy(t *testing.T) {
	want := readSeed(t, "zh")
	for _, kind := range []string{"dropped", "replaced"} {
		t.Run(kind, func(t *testing.T) {
			got, d, holes, err := decodeBytes(mojibake(want, kind))
			if err != nil {
				t.Fatal(err)
			}
			if len(holes) != 81 {
				t.Errorf("%d holes, want 81 (the characters with a byte Windows-1252 leaves undefined)", len(holes))
			}
			def, err := network.Default()
			if err != nil {
				t.Fatal(err)
			}
			l := NewReader(Options{Base: def}).lex.withCounts()
			l.addText(got)
			fixed := l.fillHoles(got, holes)
			wrong := 0
			wr := []rune(string(want))
			fr := []rune(fixed)
			if len(wr) != len(fr) {
				t.Fatalf("%d runes, want %d", len(fr), len(wr))
			}
			for i := range wr {
				if wr[i] != fr[i] {
					wrong++
				}
			}
			if wrong > 0 {
				for _, h := range holes {
					t.Log(h.choice)
				}
				t.Errorf("%d characters chosen wrong", wrong)
			}
			if d.Mojibake == nil {
				t.Errorf("mojibake not reported: %s", d)
			}
		})
	}
}

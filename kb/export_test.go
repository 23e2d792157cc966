package kb

import (
	"bytes"
	"context"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/network"
)

// markdownRoundTrip writes n as Markdown, reads it with no base network, and reports
// every difference between the network read and n (netgen.Diff compares what they hold,
// written apart from the writer and the reader) and between the Markdown written from
// each: export → import → export is a fixed point.
func markdownRoundTrip(t *testing.T, n *network.Network) {
	t.Helper()
	var md bytes.Buffer
	if err := WriteMarkdown(&md, n); err != nil {
		t.Fatal(err)
	}
	back := importMarkdown(t, md.Bytes())
	for _, d := range netgen.Diff(n, back) {
		t.Error(d)
	}
	var again bytes.Buffer
	if err := WriteMarkdown(&again, back); err != nil {
		t.Fatal(err)
	}
	if again.String() != md.String() {
		t.Errorf("exported again, the Markdown differs:\n%s\n--- then ---\n%s", md.String(), again.String())
	}
}

// importMarkdown reads data as the file net.md with no base network, reports each of its
// problems as an error, and loads it.
func importMarkdown(t *testing.T, data []byte) *network.Network {
	t.Helper()
	im, err := NewReader(Options{}).Read(context.Background(), []network.File{{Name: "net.md", Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range im.Problems {
		t.Errorf("problem: %s", p)
	}
	back, err := im.Load(nil)
	if err != nil {
		t.Fatalf("the import does not load: %v\n%s", err, data)
	}
	return back
}

// TestMarkdownRoundTrip: import(export(N)) holds every fact, entity, name, attribute,
// dimension and relation type of N, and exporting it again gives the same Markdown, for
// the default network, the network imported from the seed document, netgen's generated
// networks and random networks of every shape.
func TestMarkdownRoundTrip(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		n, err := network.Load(network.DefaultFiles())
		if err != nil {
			t.Fatal(err)
		}
		markdownRoundTrip(t, n)
	})
	for _, lang := range []string{"zh", "en"} {
		t.Run("seed-"+lang, func(t *testing.T) {
			base, bf := relationsOnly(t)
			im, err := NewReader(Options{Base: base}).Read(context.Background(), []network.File{{Name: "kb/seed.md", Data: readSeed(t, lang)}})
			if err != nil {
				t.Fatal(err)
			}
			n, err := im.Load(bf)
			if err != nil {
				t.Fatal(err)
			}
			markdownRoundTrip(t, n)
		})
	}
	t.Run("generated", func(t *testing.T) {
		for seed := range uint64(3) {
			n, err := netgen.LoadGenerated(60, 200, seed)
			if err != nil {
				t.Fatal(err)
			}
			markdownRoundTrip(t, n)
		}
	})
	t.Run("random", func(t *testing.T) {
		for seed := range uint64(150) {
			markdownRoundTrip(t, randomNetwork(t, seed))
			if t.Failed() {
				t.Fatalf("seed %d", seed)
			}
		}
	})
}

func randomNetwork(t *testing.T, seed uint64) *network.Network {
	t.Helper()
	n, err := netgen.LoadRandom(seed)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func FuzzMarkdownRoundTrip(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		markdownRoundTrip(t, randomNetwork(t, seed))
	})
}

// TestEmbeddedDocumentPositions: a problem in network documents embedded in Markdown is
// cited at its Markdown line and column.
func TestEmbeddedDocumentPositions(t *testing.T) {
	md := "# net\n\nprose\n\n```yaml\napiVersion: strata.dev/v1alpha1\nkind: Facts\nmetadata: {name: f}\nspec:\n  facts:\n    - {subject: a, relation: nope, object: b}\n```\n"
	im, err := NewReader(Options{}).Read(context.Background(), []network.File{{Name: "x.md", Data: []byte(md)}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = im.Load(nil)
	ps, ok := network.AsProblems(err)
	if !ok {
		t.Fatalf("load: %v, want problems", err)
	}
	found := false
	for _, p := range ps {
		// "a" is at line 11, column 17 of the Markdown
		if p.Pos == (network.Pos{File: "x.md", Line: 11, Col: 17}) && strings.Contains(p.Message, "unknown entity a") {
			found = true
		}
	}
	if !found {
		t.Errorf("no problem for entity a at x.md:11:17: %v", ps)
	}
}

// The regular expressions plainOK and numberLike replace: the judges of TestPlainScalars.
var (
	plainOKRegexp    = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} _.\-/()（）、，。·]*$`)
	numberLikeRegexp = regexp.MustCompile(`^[-+.]?[0-9]|^\.(inf|nan)$`)
)

func plainScalarCases() []string {
	cases := []string{"", " ", "a", "1", "-1", "+1", ".5", "-", "+", ".", "--1", ".inf", ".nan", ".Inf", "x.inf", "a b", "a b ",
		"K3s", "L-0", "A1技术架构", "容器（runc）", "a:b", "a#b", "·a", "a·", "\xff", "a\xff", "\uFFFD", "٣", "Ⅻ", "a\tb", "true", "Yes"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("aZ09 _.-/()（）、，。·:#\"'\\\t\n容器-+٣Ⅻ\uFFFD\u00a0")
	for range 20000 {
		r := make([]rune, rng.IntN(6))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(r))
	}
	return cases
}

// TestPlainScalars: the written-out plainOK and numberLike agree with the regular
// expressions they replace.
func TestPlainScalars(t *testing.T) {
	for _, s := range plainScalarCases() {
		if got, want := plainOK(s), plainOKRegexp.MatchString(s); got != want {
			t.Errorf("plainOK(%q) = %v, the regexp says %v", s, got, want)
		}
		if got, want := numberLike(s), numberLikeRegexp.MatchString(s); got != want {
			t.Errorf("numberLike(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}

func FuzzPlainScalars(f *testing.F) {
	for _, s := range plainScalarCases()[:40] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainOK(s) != plainOKRegexp.MatchString(s) || numberLike(s) != numberLikeRegexp.MatchString(s) {
			t.Errorf("%q: plainOK %v (regexp %v), numberLike %v (regexp %v)", s, plainOK(s), plainOKRegexp.MatchString(s), numberLike(s), numberLikeRegexp.MatchString(s))
		}
	})
}

package kb

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/strata-dev/strata/network"
)

// The oracle of the importer is the embedded default network, which was written by hand
// from the seed document: importing the seed must yield every seed fact it holds. The
// comparison maps each imported entity to the default entity that has one of its ids,
// names or aliases (of the same category), and compares facts as (subject, relation,
// object, equal) over the relations the seed states.

// seedRelations are the relations the seed document states.
var seedRelations = map[string]bool{
	"isolation-strength": true, "overhead": true, "leads-to": true, "evolves-to": true,
	"represents": true, "uses": true, "requires": true, "placed-at": true,
	"all-of": true, "product-of": true,
}

// seedDims are the default network's dimensions the seed document's tables declare.
var seedDims = []string{"isolation", "architecture", "timeline", "scenarios", "observability"}

// notInDocument are facts of the default network that the seed document does not state,
// with why; the comparison expects the import not to have them. Everything else of the
// default within the seed's scope must be imported.
var notInDocument = map[string]string{
	"runc represents A5":             "the A5 row lists containerd, crun and WasmEdge; runc is the default network's addition",
	"Gatekeeper uses OPA":            "the default network's knowledge of technologies, not the document's",
	"OPA-Wasm uses OPA":              "the default network's knowledge of technologies, not the document's",
	"business-rules uses OPA":        "the default network's knowledge of technologies, not the document's",
	"k8s-1.30-wasm uses Kubernetes":  "the default network's knowledge of technologies, not the document's",
	"k3s-wasmedge uses K3s":          "coordinate examples: prose in the English rendering's context section",
	"k3s-wasmedge uses WasmEdge":     "coordinate examples",
	"k8s-gvisor uses Kubernetes":     "coordinate examples",
	"k8s-gvisor uses gVisor":         "coordinate examples",
	"k3s-opa uses K3s":               "coordinate examples",
	"k3s-opa uses OPA":               "coordinate examples",
	"karmada-wasmedge uses Karmada":  "coordinate examples",
	"karmada-wasmedge uses WasmEdge": "coordinate examples",
	"k3s-wasmedge placed-at X2":      "coordinate examples",
	"k3s-wasmedge placed-at Y4":      "coordinate examples",
	"k3s-wasmedge placed-at Z3":      "coordinate examples",
	"k8s-gvisor placed-at X1":        "coordinate examples",
	"k8s-gvisor placed-at Y4":        "coordinate examples",
	"k8s-gvisor placed-at Z2":        "coordinate examples",
	"k3s-opa placed-at X2":           "coordinate examples",
	"k3s-opa placed-at Y3":           "coordinate examples",
	"k3s-opa placed-at Z3":           "coordinate examples",
	"karmada-wasmedge placed-at X3":  "coordinate examples",
	"karmada-wasmedge placed-at Y4":  "coordinate examples",
	"karmada-wasmedge placed-at Z3":  "coordinate examples",
	"OPA represents Z2":              "axis points",
	"NetworkPolicy represents Z1":    "axis points",
	"Gatekeeper represents Z3":       "axis points",
	"business-rules represents Z4":   "axis points",
	"Docker represents X0":           "axis points",
	"Kubernetes represents X1":       "axis points",
	"K3s represents X2":              "axis points",
	"Karmada represents X3":          "axis points",
	"Fleet represents X3":            "axis points",
	"KubeEdge represents X4":         "axis points",
}

type fact struct {
	s, rel, o string
	eq        bool
}

func (f fact) String() string {
	if f.eq {
		return f.s + " " + f.rel + " = " + f.o
	}
	return f.s + " " + f.rel + " " + f.o
}

// seedScope is the default network's entities and facts that come from the seed: the
// values of its dimensions, and the facts of the seed's relations among them, their
// technologies, the scenarios' requirements and coordinates, and the two concepts.
func seedScope(t testing.TB, axes bool) (*network.Network, map[string]bool, map[fact]bool) {
	def, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	inDims := map[string]bool{}
	dims := append([]string{}, seedDims...)
	if axes {
		dims = append(dims, "x-orchestration", "y-isolation", "z-policy")
	}
	for _, id := range dims {
		d, ok := def.Dimension(id)
		if !ok {
			t.Fatalf("the default network has no dimension %s", id)
		}
		for _, v := range d.Values {
			inDims[v] = true
		}
	}
	facts := map[fact]bool{}
	for _, f := range def.Facts {
		if !seedRelations[f.Relation] || !strings.HasPrefix(f.Source.File, "default/") || strings.HasPrefix(f.Source.File, "default/8") {
			continue
		}
		s, _ := def.Entity(f.Subject)
		o, _ := def.Entity(f.Object)
		switch f.Relation {
		case "represents":
			if !inDims[f.Object] {
				continue
			}
		case "uses", "requires", "placed-at":
			if s.Category != network.CategoryScenario {
				continue
			}
		}
		_ = o
		k := fact{f.Subject, f.Relation, f.Object, f.Equal}
		if why, ok := notInDocument[fmt.Sprintf("%s %s %s", f.Subject, f.Relation, f.Object)]; ok && !(axes && why == "axis points") {
			continue
		}
		facts[k] = true
	}
	return def, inDims, facts
}

// mapping maps an imported entity to the default entity of its category that shares an
// id, name or alias with it.
func mapping(def *network.Network, e *network.Entity) (string, bool) {
	keys := append([]string{e.ID, e.Names.En, e.Names.Zh}, e.Aliases...)
	var found []*network.Entity
	for _, d := range def.Entities {
		dk := map[string]bool{}
		for _, k := range append([]string{d.ID, d.Names.En, d.Names.Zh}, d.Aliases...) {
			if k != "" {
				dk[strings.ToLower(k)] = true
			}
		}
		for _, k := range keys {
			if k != "" && dk[strings.ToLower(k)] {
				found = append(found, d)
				break
			}
		}
	}
	var same []*network.Entity
	for _, d := range found {
		if d.Category == e.Category {
			same = append(same, d)
		}
	}
	found = same
	if len(found) != 1 {
		return "", false
	}
	return found[0].ID, true
}

// compareSeed compares an imported network's facts with the default network's seed
// facts and returns every difference, one line each.
func compareSeed(t testing.TB, n *network.Network, source string, axes bool, known map[string]string) []string {
	def, inDims, want := seedScope(t, axes)
	var diffs []string
	ids := map[string]string{} // imported id → default id
	for _, e := range n.Entities {
		if d, ok := mapping(def, e); ok {
			ids[e.ID] = d
		}
	}
	// every seed entity is there, with the document's names among the default's
	mapped := map[string]bool{}
	for imp, d := range ids {
		mapped[d] = true
		e, _ := n.Entity(imp)
		de, _ := def.Entity(d)
		if e.Source.File != source && !strings.HasPrefix(e.Source.File, source) {
			continue
		}
		for _, name := range []string{e.Names.En, e.Names.Zh} {
			if name != "" && !hasKey(de, name) {
				diffs = append(diffs, fmt.Sprintf("entity %s (%s): name %q is not one of the default's names of %s", imp, e.Source, name, d))
			}
		}
		if y, ok := de.Attr("year"); ok {
			if iy, ok := e.Attr("year"); !ok || iy.Int != y.Int {
				diffs = append(diffs, fmt.Sprintf("entity %s: year %v, want %d", imp, iy.Value(), y.Int))
			}
		}
	}
	for v := range inDims {
		if !mapped[v] {
			diffs = append(diffs, "missing entity "+v)
		}
	}
	got := map[fact]network.Pos{}
	for _, f := range n.Facts {
		if !seedRelations[f.Relation] || f.Source.File != source {
			continue
		}
		s, ok1 := ids[f.Subject]
		o, ok2 := ids[f.Object]
		if !ok1 {
			s = "?" + f.Subject
		}
		if !ok2 {
			o = "?" + f.Object
		}
		k := fact{s, f.Relation, o, f.Equal}
		if f.Equal && !want[k] {
			k = fact{o, f.Relation, s, true}
		}
		got[k] = f.Source
	}
	for f := range want {
		if _, ok := got[f]; !ok {
			if !f.eq {
				if _, ok := got[fact{f.o, f.rel, f.s, true}]; ok {
					continue
				}
			}
			diffs = append(diffs, "missing "+f.String())
		}
	}
	for f, pos := range got {
		if want[f] {
			continue
		}
		diffs = append(diffs, fmt.Sprintf("extra %s (%s)", f, pos))
	}
	keep := diffs[:0]
	for _, d := range diffs {
		if why, ok := known[strings.SplitN(d, " (", 2)[0]]; !ok || why == "" {
			keep = append(keep, d)
		}
	}
	diffs = keep
	keep = nil
	for _, d := range diffs {
		if _, ok := known[strings.SplitN(d, ":", 2)[0]]; !ok {
			keep = append(keep, d)
		}
	}
	sort.Strings(keep)
	return keep
}

func hasKey(e *network.Entity, k string) bool {
	for _, x := range append([]string{e.ID, e.Names.En, e.Names.Zh}, e.Aliases...) {
		if strings.EqualFold(x, k) {
			return true
		}
	}
	return false
}

// extraInDocument are facts the document states that the default network does not hold,
// with why.
var extraInDocument = map[string]string{
	"extra ?Wasm represents T5":           "the document's T5 row names \"K8s 1.30 + Wasm\", which splits on + into K8s 1.30 (an alias of the default's k8s-1.30-wasm) and Wasm; the default network keeps one technology",
	"extra ?CSI-interfaces represents A2": "the English rendering writes \"CSI interfaces\"; the default network reads CSI",
	"missing CSI represents A2":           "the same: the English rendering's \"CSI interfaces\"",
	"extra OPA represents Z4":             "the English context table's \"business (OPA + business rules)\" splits on +; the default network keeps one technology",
	"entity business-rules":               "the same split: business rules",
}

func encodings(t testing.TB, raw []byte) map[string][]byte {
	enc := func(e transform.Transformer) []byte {
		b, _, err := transform.Bytes(e, raw)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return map[string][]byte{
		"utf-8":           raw,
		"utf-8 BOM":       append([]byte{0xEF, 0xBB, 0xBF}, raw...),
		"utf-16le BOM":    enc(xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder()),
		"utf-16be BOM":    enc(xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM).NewEncoder()),
		"utf-16le noBOM":  enc(xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM).NewEncoder()),
		"gb18030":         enc(simplifiedchinese.GB18030.NewEncoder()),
		"mojibake cp1252": mojibake(raw, "lossless"),
		"mojibake latin1": mojibake(raw, "latin1"),
		"mojibake twice":  mojibake(mojibake(raw, "lossless"), "lossless"),
	}
}

// TestImportSeedStandalone imports the seed documents against the default network's
// relation types only, so every entity comes from the document, and compares.
func TestImportSeedStandalone(t *testing.T) {
	base, bf := relationsOnly(t)
	for _, lang := range []string{"zh", "en"} {
		for name, data := range encodings(t, readSeed(t, lang)) {
			if lang == "en" && strings.HasPrefix(name, "gb") {
				continue
			}
			t.Run(lang+"/"+name, func(t *testing.T) {
				src := "kb/seed." + lang + ".md"
				im, err := NewReader(Options{Base: base}).Read(context.Background(), []network.File{{Name: src, Data: data}})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range im.Problems {
					t.Errorf("problem: %s", p)
				}
				n, err := im.Load(bf)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range compareSeed(t, n, src, lang == "en", extraInDocument) {
					t.Error(d)
				}
				if t.Failed() {
					t.Logf("decoding: %s", im.Documents[0].Decoding)
				}
			})
		}
	}
}

// TestImportSeedOverlay imports the seed documents on top of the whole default network,
// as strata import and --network do, in every encoding and mojibake, lossy included:
// the names the network knows decide the characters that lost bytes. Every seed fact
// must come out of the document (cited at its lines), every choice must be right, and
// the document must add no entity the default network already has.
func TestImportSeedOverlay(t *testing.T) {
	def, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"zh", "en"} {
		raw := readSeed(t, lang)
		variants := encodings(t, raw)
		variants["mojibake lossy dropped"] = mojibake(raw, "dropped")
		variants["mojibake lossy replaced"] = mojibake(raw, "replaced")
		for name, data := range variants {
			if lang == "en" && strings.HasPrefix(name, "gb") {
				continue
			}
			t.Run(lang+"/"+name, func(t *testing.T) {
				src := "kb/seed." + lang + ".md"
				im, err := NewReader(Options{Base: def}).Read(context.Background(), []network.File{{Name: src, Data: data}})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range im.Problems {
					t.Errorf("problem: %s", p)
				}
				d := im.Documents[0]
				if m := d.Decoding.Mojibake; m != nil {
					lines := strings.Split(string(raw), "\n")
					for _, c := range m.Choices {
						if want := string([]rune(lines[c.Line-1])[c.Col-1]); c.Chosen != want {
							t.Errorf("wrong choice, want %s: %s", want, c)
						}
					}
					if want := damaged(raw); strings.Contains(name, "lossy") && len(m.Choices) != want {
						t.Errorf("%d choices, want %d (the characters with a byte Windows-1252 leaves undefined)", len(m.Choices), want)
					}
				}
				n, err := im.Load(network.DefaultFiles())
				if err != nil {
					t.Fatal(err)
				}
				known := map[string]string{}
				if lang == "en" {
					known = extraInDocument
				}
				for _, diff := range compareSeed(t, n, src, lang == "en", known) {
					t.Error(diff)
				}
				var added []string
				for _, e := range n.Entities {
					if e.Source.File == src {
						added = append(added, e.ID)
					}
				}
				wantAdded := map[string][]string{"zh": nil, "en": {"CSI-interfaces"}}[lang]
				if strings.Join(added, " ") != strings.Join(wantAdded, " ") {
					t.Errorf("the document added entities %v to the default network, want %v", added, wantAdded)
				}
				if t.Failed() {
					t.Logf("decoding: %s\n%s", d.Decoding, d.YAML())
				}
			})
		}
	}
}

// damaged counts the characters with a byte Windows-1252 leaves undefined (81 in the
// Chinese seed).
func damaged(raw []byte) int {
	n := 0
	for _, r := range string(raw) {
		var buf [4]byte
		for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
			if isLost(c) {
				n++
				break
			}
		}
	}
	return n
}

// relationsOnly is the default network's relation types without any entity.
func relationsOnly(t testing.TB) (*network.Network, []network.File) {
	var fs []network.File
	for _, f := range network.DefaultFiles() {
		if f.Name == "default/00-relations.yaml" {
			fs = append(fs, f)
		}
	}
	n, err := network.Load(fs)
	if err != nil {
		t.Fatal(err)
	}
	return n, fs
}

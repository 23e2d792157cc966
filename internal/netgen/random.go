package netgen

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/strata-dev/strata/network"
)

// RandomYAML writes a small random network as strata network documents, for the tests
// that write a network out and read it back: relation types of every shape (an order
// with an equivalence and an inverse name, a flow, a symmetric relation, formula
// operators), dimensions (an axis among them) with definitions and columns, entities of
// every category with names in both languages, aliases and attributes of every type, and
// facts as chains (some written with the inverse name), single facts (equal, measured,
// with notes, some twice), entity relations, overlays (merge: true) and formulas. Its
// text is written with characters YAML and Markdown treat specially: quotes, colons, #,
// |, backslashes, line breaks, tabs, CJK, emoji. It is deterministic in seed, and written
// without the network package's writer, so that it can judge it.
func RandomYAML(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	var b strings.Builder
	doc := func(kind, name string) {
		if b.Len() > 0 {
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n", network.APIVersion, kind, sq(name))
	}
	names := func(indent, suffix string) {
		en, zh := randText(rng, false), randText(rng, true)
		if en != "" {
			en += suffix
		}
		if zh != "" {
			zh += suffix
		}
		if en == "" && zh == "" {
			return
		}
		b.WriteString(indent + "names:\n")
		if en != "" {
			b.WriteString(indent + "  en: " + sq(en) + "\n")
		}
		if zh != "" {
			b.WriteString(indent + "  zh: " + sq(zh) + "\n")
		}
	}
	// relation types
	doc("RelationType", "rank")
	names("  ", " (rank)") // a relation type's names are its own
	b.WriteString("spec:\n  symbol: '>'\n  equivalence: '='\n  properties: [transitive, irreflexive, antisymmetric]\n  inverse: rank-below\n")
	b.WriteString("  greater: " + sq(randText(rng, false)+"x") + "\n  less: lower\n")
	b.WriteString("  description: {en: " + sq(randText(rng, false)) + "}\n")
	doc("RelationType", "flows-to")
	b.WriteString("spec: {symbol: '→', properties: [transitive]}\n")
	doc("RelationType", "near")
	names("  ", " (near)")
	b.WriteString("spec:\n  properties: [symmetric, reflexive]\n")
	doc("RelationType", "composed-of")
	b.WriteString("spec: {operator: '+'}\n")
	doc("RelationType", "product-of")
	b.WriteString("spec: {operator: 'x'}\n")
	rels := []string{"rank", "flows-to", "near"}

	var ids []string
	entity := func(indent, id string, withCategory bool) {
		b.WriteString(indent + "- id: " + sq(id) + "\n")
		in := indent + "  "
		if withCategory {
			b.WriteString(in + "category: " + network.Categories()[rng.IntN(len(network.Categories()))] + "\n")
		}
		names(in, "")
		if k := rng.IntN(3); k > 0 {
			b.WriteString(in + "aliases:\n")
			for j := range k {
				b.WriteString(in + "  - " + sq(fmt.Sprintf("%s-alias%d %s", id, j, randText(rng, rng.IntN(2) == 0))) + "\n")
			}
		}
		if rng.IntN(4) == 0 {
			b.WriteString(in + "description:\n" + in + "  en: " + sq(randText(rng, false)) + "\n" + in + "  zh: " + sq(randText(rng, true)) + "\n")
		}
		if k := rng.IntN(5); k > 0 {
			b.WriteString(in + "attributes:\n")
			attrs := []string{"year", "weight", "flag", "label", "tags", "text", "x y", "名称: 值"}
			rng.Shuffle(len(attrs), func(i, j int) { attrs[i], attrs[j] = attrs[j], attrs[i] })
			for _, name := range attrs[:k] {
				b.WriteString(in + "  " + sq(name) + ": " + randValue(rng) + "\n")
			}
		}
		if len(ids) > 0 && rng.IntN(3) == 0 {
			b.WriteString(in + "relations:\n" + in + "  " + rels[rng.IntN(len(rels))] + ": [" + sq(ids[rng.IntN(len(ids))]) + "]\n")
		}
	}
	// dimensions
	axes := []string{"X", "Y", "Z"}
	for d := range rng.IntN(4) {
		doc("Dimension", fmt.Sprintf("dim%d", d))
		names("  ", fmt.Sprintf(" (%d)", d))
		if rng.IntN(2) == 0 {
			b.WriteString("  aliases: [" + sq(fmt.Sprintf("dimension %d", d)) + "]\n")
		}
		b.WriteString("spec:\n")
		if rng.IntN(2) == 0 {
			b.WriteString("  definition:\n    zh: " + sq(randText(rng, true)) + "\n")
		}
		if d < len(axes) && rng.IntN(3) == 0 {
			b.WriteString("  axis: " + axes[d] + "\n")
		}
		if rng.IntN(2) == 0 {
			b.WriteString("  columns: [label, year]\n")
		}
		b.WriteString("  values:\n")
		for v := range 1 + rng.IntN(5) {
			id := fmt.Sprintf("D%d-%d", d, v)
			entity("    ", id, rng.IntN(2) == 0)
			ids = append(ids, id)
		}
	}
	// entities, in one or two documents
	for k := range 1 + rng.IntN(2) {
		doc("Entities", fmt.Sprintf("things-%d", k))
		b.WriteString("spec:\n  category: technology\n  items:\n")
		for range 3 + rng.IntN(12) {
			id := fmt.Sprintf("e%d", len(ids))
			entity("    ", id, rng.IntN(2) == 0)
			ids = append(ids, id)
		}
	}
	// an overlay
	if rng.IntN(2) == 0 {
		doc("Entities", "overlay")
		b.WriteString("spec:\n  items:\n")
		b.WriteString("    - id: " + sq(ids[rng.IntN(len(ids))]) + "\n      merge: true\n      aliases: [" + sq("overlaid "+randText(rng, false)) + "]\n      attributes: {weight: 7.25}\n")
	}
	// facts
	doc("Facts", "facts")
	b.WriteString("spec:\n  chains:\n")
	pick := func() string { return ids[rng.IntN(len(ids))] }
	for range 1 + rng.IntN(6) {
		ops := []string{">", "="} // a chain reads in one direction
		if rng.IntN(3) == 0 {
			ops[0] = "<"
		}
		rel := "rank"
		if rng.IntN(4) == 0 {
			rel = "rank-below"
		}
		terms := pick()
		if rng.IntN(4) == 0 {
			rel, ops = "flows-to", []string{"→", "->"}
		}
		for range 1 + rng.IntN(4) {
			terms += " " + ops[rng.IntN(len(ops))] + " " + pick()
		}
		b.WriteString("    - {relation: " + rel + ", chain: " + sq(terms) + "}\n")
	}
	for i := range rng.IntN(8) {
		if i == 0 {
			b.WriteString("  facts:\n")
		}
		rel := rels[rng.IntN(len(rels))]
		line := "    - {subject: " + sq(pick()) + ", relation: " + rel + ", object: " + sq(pick())
		if rel == "rank" && rng.IntN(3) == 0 {
			line += ", equal: true"
		}
		if rng.IntN(3) == 0 {
			line += ", kind: measured, note: " + sq(randText(rng, rng.IntN(2) == 0))
		}
		line += "}\n"
		b.WriteString(line)
		if rng.IntN(5) == 0 {
			b.WriteString(line) // the same fact twice
		}
	}
	for i := range rng.IntN(3) {
		if i == 0 {
			b.WriteString("  formulas:\n")
		}
		op := " + "
		if rng.IntN(2) == 0 {
			op = " × "
		}
		f := pick() + " = " + pick()
		for range 1 + rng.IntN(2) {
			f += op + pick()
		}
		b.WriteString("    - " + sq(f) + "\n")
	}
	return []byte(b.String())
}

// randText is a short random text: English-like words, or Chinese ones, mixed with the
// characters YAML and Markdown read specially. It is empty one time in eight.
func randText(rng *rand.Rand, zh bool) string {
	if rng.IntN(8) == 0 {
		return ""
	}
	words := []string{"edge", "cloud", "sandbox", "Wasm", "K3s + WasmEdge", "L-0", "a: b", "#tag", "x|y", `back\slash`,
		`"quoted"`, "it's", "A > B", "1.5", "true", "null", "[list]", "{map}", "&anchor", "*star", "!bang", "%pct", "@at",
		"`code`", "line\nbreak", "tab\there", "émigré", "😀", "a → b", "---", "- item", "? q", "~", "0x1F"}
	zhWords := []string{"容器", "沙盒", "隔离强度", "边缘：计算", "硬件、软件", "（括号）", "全虚拟化", "半虚拟", "可观测性 = 指标 + 日志"}
	var parts []string
	for range 1 + rng.IntN(3) {
		if zh {
			parts = append(parts, zhWords[rng.IntN(len(zhWords))])
		} else {
			parts = append(parts, words[rng.IntN(len(words))])
		}
	}
	return strings.Join(parts, " ")
}

// randValue is an attribute value of a random type, as YAML.
func randValue(rng *rand.Rand) string {
	switch rng.IntN(7) {
	case 0:
		return strconv.Itoa(rng.IntN(4000) - 1000)
	case 1:
		f := float64(rng.IntN(100000)-50000) / 64
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	case 2:
		return strconv.FormatBool(rng.IntN(2) == 0)
	case 3:
		return "{en: " + sq(randText(rng, false)) + ", zh: " + sq(randText(rng, true)) + "}"
	case 4:
		var items []string
		for range rng.IntN(4) {
			items = append(items, sq(randText(rng, rng.IntN(2) == 0)))
		}
		return "[" + strings.Join(items, ", ") + "]"
	default:
		return sq(randText(rng, rng.IntN(2) == 0))
	}
}

// sq is s as a YAML scalar: single-quoted, or double-quoted with Go's escapes (which YAML
// reads the same) when it holds a control character.
func sq(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }) {
		return strconv.Quote(s)
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Diff lists how two networks differ in what they hold — relation types, dimensions,
// entities, facts (as a multiset), chains and formulas — leaving out where each was
// declared (source positions) and the order of entities and facts. It is empty when they
// hold the same. An empty list and no list are the same.
func Diff(a, b *network.Network) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	// relation types, by id
	ra, rb := map[string]network.RelationType{}, map[string]network.RelationType{}
	for _, r := range a.Relations {
		c := *r
		c.Source = network.Pos{}
		ra[r.ID] = c
	}
	for _, r := range b.Relations {
		c := *r
		c.Source = network.Pos{}
		rb[r.ID] = c
	}
	for id, r := range ra {
		if s, ok := rb[id]; !ok {
			add("relation type %s: only in the first", id)
		} else if r != s {
			add("relation type %s: %+v, then %+v", id, r, s)
		}
	}
	for id := range rb {
		if _, ok := ra[id]; !ok {
			add("relation type %s: only in the second", id)
		}
	}
	// dimensions, in order
	if len(a.Dimensions) != len(b.Dimensions) {
		add("%d dimensions, then %d", len(a.Dimensions), len(b.Dimensions))
	}
	for i := range min(len(a.Dimensions), len(b.Dimensions)) {
		da, db := dimKey(a.Dimensions[i]), dimKey(b.Dimensions[i])
		if !reflect.DeepEqual(da, db) {
			add("dimension %d: %+v, then %+v", i, da, db)
		}
	}
	// entities, by id
	ea, eb := map[string]*network.Entity{}, map[string]*network.Entity{}
	for _, e := range a.Entities {
		ea[e.ID] = e
	}
	for _, e := range b.Entities {
		eb[e.ID] = e
	}
	if len(ea) != len(a.Entities) || len(eb) != len(b.Entities) {
		add("an id twice: %d entities with %d ids, then %d with %d", len(a.Entities), len(ea), len(b.Entities), len(eb))
	}
	for _, id := range sortedKeys(ea) {
		x, ok := eb[id]
		if !ok {
			add("entity %s: only in the first", id)
			continue
		}
		if ka, kb := entityKey(ea[id]), entityKey(x); !reflect.DeepEqual(ka, kb) {
			add("entity %s: %+v, then %+v", id, ka, kb)
		}
	}
	for _, id := range sortedKeys(eb) {
		if _, ok := ea[id]; !ok {
			add("entity %s: only in the second", id)
		}
	}
	// facts, as a multiset
	fa, fb := factCounts(a.Facts), factCounts(b.Facts)
	for _, k := range sortedKeys(fa) {
		if fa[k] != fb[k] {
			add("fact %s: %d times, then %d", k, fa[k], fb[k])
		}
	}
	for _, k := range sortedKeys(fb) {
		if fa[k] == 0 {
			add("fact %s: 0 times, then %d", k, fb[k])
		}
	}
	// chains and formulas, in order
	ca, cb := chainKeys(a.Chains), chainKeys(b.Chains)
	if !slices.Equal(ca, cb) {
		add("chains %q, then %q", ca, cb)
	}
	if fa, fb := formulaKeys(a.Formulas), formulaKeys(b.Formulas); !slices.Equal(fa, fb) {
		add("formulas %q, then %q", fa, fb)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

type dimensionKey struct {
	ID, Axis                 string
	Names, Definition        network.Text
	Aliases, Values, Columns []string
}

func dimKey(d *network.Dimension) dimensionKey {
	return dimensionKey{ID: d.ID, Axis: d.Axis, Names: d.Names, Definition: d.Definition,
		Aliases: orNil(d.Aliases), Values: orNil(d.Values), Columns: orNil(d.Columns)}
}

type entKey struct {
	Category, Dimension string
	Names               network.Text
	Aliases             []string
	Attributes          []network.Attribute
}

func entityKey(e *network.Entity) entKey {
	k := entKey{Category: e.Category, Dimension: e.Dimension, Names: e.Names, Aliases: orNil(e.Aliases)}
	for _, a := range e.Attributes {
		a.Source = network.Pos{}
		a.List = orNil(a.List)
		k.Attributes = append(k.Attributes, a)
	}
	return k
}

func orNil(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return ss
}

func factCounts(fs []network.Fact) map[string]int {
	m := make(map[string]int, len(fs))
	for _, f := range fs {
		m[fmt.Sprintf("%q %q %q equal=%v kind=%q note=%q", f.Subject, f.Relation, f.Object, f.Equal, f.Kind, f.Note)]++
	}
	return m
}

func chainKeys(cs []network.ChainDecl) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Relation + ": " + c.Text
	}
	return out
}

func formulaKeys(fs []network.FormulaDecl) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s [%s %s %s %q]", f.Text, f.Result, f.Relation, f.Op, f.Operands)
	}
	return out
}

// LoadRandom loads [RandomYAML] of seed, saying which seed and text when it does not load.
func LoadRandom(seed uint64) (*network.Network, error) {
	text := RandomYAML(seed)
	n, err := network.Load([]network.File{{Name: "random.yaml", Data: text}})
	if err != nil {
		return nil, fmt.Errorf("netgen.RandomYAML(%d) does not load: %w\n%s", seed, err, text)
	}
	return n, nil
}

// LoadGenerated loads [WriteYAML]'s network of n entities and m facts of seed.
func LoadGenerated(n, m int, seed uint64) (*network.Network, error) {
	var b strings.Builder
	if err := WriteYAML(&b, n, m, seed); err != nil {
		return nil, err
	}
	return network.Load([]network.File{{Name: "gen.yaml", Data: []byte(b.String())}})
}

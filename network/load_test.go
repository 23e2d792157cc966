package network_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
)

// base declares the relation types and entities the cases below refer to, so that the
// tests do not depend on the embedded network.
const base = `apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: isolation-strength, names: {en: isolation strength}}
spec: {symbol: ">", equivalence: "=", properties: [transitive, antisymmetric, irreflexive], inverse: weaker-isolation}
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: overhead}
spec: {symbol: ">", properties: [transitive, antisymmetric, irreflexive]}
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: leads-to}
spec: {symbol: →, properties: [transitive], inverse: follows}
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: depends-on}
spec: {properties: [transitive, irreflexive], inverse: required-by}
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: consists-of}
spec: {operator: "+"}
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: correlates}
spec: {operator: ×}
---
apiVersion: strata.dev/v1alpha1
kind: Dimension
metadata: {name: isolation}
spec:
  values:
    - {id: D1, names: {en: hardware, zh: 硬件}, aliases: [L-0]}
    - {id: D2, names: {en: full virtualization}, aliases: [L-1]}
    - {id: D3, names: {en: paravirtualization}, aliases: [L-2]}
    - {id: D4, names: {en: container, zh: 容器}, aliases: [L-3]}
    - {id: D5, names: {en: sandbox, zh: 沙箱}, aliases: [L-4]}
---
apiVersion: strata.dev/v1alpha1
kind: Dimension
metadata: {name: architecture}
spec:
  values:
    - {id: A1, names: {en: technical, zh: 技术架构}}
    - {id: A2, names: {en: conceptual}}
    - {id: A3, names: {en: data}}
    - {id: A4, names: {en: business}}
    - {id: A5, names: {en: software, zh: 软件架构}}
    - {id: A6, names: {en: application}}
    - {id: A7, names: {en: scenario}}
---
apiVersion: strata.dev/v1alpha1
kind: Dimension
metadata: {name: evolution}
spec:
  values:
    - {id: T1, names: {en: containerisation, zh: 容器化}}
    - {id: T2, names: {en: orchestration, zh: 编排化}}
    - {id: T3, names: {en: edge, zh: 边缘化}}
---
apiVersion: strata.dev/v1alpha1
kind: Dimension
metadata: {name: observability}
spec:
  values:
    - {id: O1, names: {en: horizontal, zh: 横坐标}, aliases: [OTLP]}
    - {id: O2, names: {en: vertical, zh: 纵坐标}, aliases: [eBPF]}
    - {id: O3, names: {en: metrics}, aliases: [Prometheus]}
---
apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: things}
spec:
  category: technology
  items:
    - {id: runc, attributes: {startup-ms: 50}}
    - {id: crun}
    - {id: complete-observability, category: concept}
    - {id: problem-location, category: concept}
`

func load(t *testing.T, src string) (*network.Network, error) {
	t.Helper()
	return network.Load([]network.File{
		{Name: "base.yaml", Data: []byte(base)},
		{Name: "case.yaml", Data: []byte(src)},
	})
}

func mustLoad(t *testing.T, src string) *network.Network {
	t.Helper()
	n, err := load(t, src)
	if err != nil {
		t.Fatalf("Load:\n%v", err)
	}
	return n
}

// doc is a document header for the cases.
func doc(kind, name string) string {
	return "apiVersion: strata.dev/v1alpha1\nkind: " + kind + "\nmetadata: {name: " + name + "}\n"
}

func TestLoadProblems(t *testing.T) {
	for _, c := range []struct {
		name string
		src  string
		want []string
	}{
		{"malformed YAML", "apiVersion: strata.dev/v1alpha1\nkind: [Entity\n", []string{
			"case.yaml:2:7: malformed YAML: unclosed [ (close it)",
		}},
		{"unknown kind", doc("Entites", "x") + "spec: {}\n", []string{
			`case.yaml:2:7: unknown kind "Entites" (did you mean Entities?)`,
		}},
		{"unknown fields", doc("Entity", "runc2") + "spec:\n  category: technology\n  nmaes: {en: runc}\n  atributes: {a: 1}\n  colour: red\n", []string{
			`case.yaml:6:3: unknown field "nmaes" in Entity spec (did you mean names?)`,
			`case.yaml:7:3: unknown field "atributes" in Entity spec (did you mean attributes?)`,
			`case.yaml:8:3: unknown field "colour" in Entity spec (allowed: category, names, aliases, description, attributes, relations, merge)`,
		}},
		{"missing apiVersion, metadata, spec",
			"kind: Entity\nmetadata: {name: a}\nspec: {category: concept}\n---\n" +
				"apiVersion: strata.dev/v1alpha1\nkind: Entity\nspec: {category: concept}\n---\n" +
				"apiVersion: strata.dev/v1alpha1\nkind: Entity\nmetadata: {name: b}\n", []string{
				`case.yaml:1:1: document needs "apiVersion" (add apiVersion: …)`,
				"case.yaml:5:1: document of kind Entity needs metadata (add metadata: {name: …})",
				`case.yaml:9:1: document Entity "b" needs a spec (add spec: …)`,
			}},
		{"unknown entity", doc("Facts", "f") + "spec:\n  chains:\n    - {relation: isolation-strength, chain: L-0 > L3}\n", []string{
			"case.yaml:6:51: unknown entity L3 (did you mean L-3?)",
		}},
		{"unknown relation type", doc("Facts", "f") + "spec:\n  facts:\n    - {subject: runc, relation: depend-on, object: crun}\n", []string{
			"case.yaml:6:33: unknown relation type depend-on (did you mean depends-on?)",
		}},
		{"duplicate ids", doc("Entity", "runc") + "spec: {category: technology}\n---\n" + doc("RelationType", "overhead") + "spec: {}\n---\n" + doc("Dimension", "isolation") + "spec: {values: [{id: D9}]}\n", []string{
			"case.yaml:3:18: duplicate id runc (first declared at base.yaml:79:12) (rename it, or add merge: true to extend the earlier one)",
			"case.yaml:8:18: relation type overhead is already declared at base.yaml:8:18 (rename one of them)",
			"case.yaml:13:18: dimension isolation is already declared at base.yaml:33:18 (rename one of them)",
		}},
		{"chain mixes < and >", doc("Facts", "f") + "spec:\n  chains:\n    - relation: overhead\n      chain: L-3 < L-4 > L-2\n", []string{
			`case.yaml:7:24: chain mixes "<" with ">" (a chain reads in one direction: split it into two chains or reverse one part)`,
		}},
		{"chain mixes → and >", doc("Facts", "f") + "spec:\n  chains:\n    - relation: leads-to\n      chain: A1 → A5 > A6\n", []string{
			`case.yaml:7:22: chain mixes "→" with ">" (a chain reads in one direction: split it into two chains or reverse one part)`,
		}},
		{"→ in an order", doc("Facts", "f") + "spec:\n  chains:\n    - relation: isolation-strength\n      chain: L-0 → L-1\n", []string{
			"case.yaml:7:14: relation isolation-strength is written with >, not → (write the chain with >)",
		}},
		{"> in a flow", doc("Facts", "f") + "spec:\n  chains:\n    - relation: leads-to\n      chain: A1 > A5\n", []string{
			"case.yaml:7:14: relation leads-to is written with →, not > (write the chain with →)",
		}},
		{"= without equivalence", doc("Facts", "f") + "spec:\n  chains:\n    - relation: leads-to\n      chain: A1 → A5 = A6\n  facts:\n    - {subject: A1, relation: leads-to, object: A2, equal: true}\n", []string{
			`case.yaml:7:19: relation leads-to has no equivalence; "=" cannot be used in its chains (declare equivalence: "=" on leads-to)`,
			`case.yaml:9:31: relation leads-to has no equivalence, so A1 = A2 cannot be stated (declare equivalence: "=" on the relation type)`,
		}},
		{"formula mixes + and ×", doc("Facts", "f") + "spec:\n  formulas:\n    - complete-observability = O1 + O2 × O3\n", []string{
			`case.yaml:6:40: formula mixes "+" with "×" (use one operator per formula; define a named part for the other)`,
		}},
		{"attributes with nulls", doc("Entity", "kata") + "spec:\n  category: technology\n  attributes:\n    startup-ms:\n    rootless: ~\n    platforms: [linux, null]\n", []string{
			"case.yaml:7:5: Entity spec.attributes.startup-ms has no value (give a value or remove the attribute)",
			"case.yaml:8:15: Entity spec.attributes.rootless has no value (give a value or remove the attribute)",
			"case.yaml:9:24: Entity spec.attributes.platforms[1] must be a string, not null",
		}},
		{"merge with no earlier entity", doc("Entity", "kata") + "spec:\n  merge: true\n  aliases: [Kata]\n---\n" + doc("Entities", "more") + "spec:\n  items:\n    - {id: crn, merge: true}\n", []string{
			"case.yaml:3:18: merge: true, but there is no earlier entity kata to extend (declare the entity before extending it, or drop merge: true)",
			"case.yaml:13:12: merge: true, but there is no earlier entity crn to extend (did you mean crun?)",
		}},
		{"derived fact", doc("Facts", "f") + "spec:\n  facts:\n    - {subject: runc, relation: depends-on, object: crun, kind: derived}\n    - {subject: runc, relation: depends-on, object: crun, kind: guessed}\n", []string{
			"case.yaml:6:65: a file cannot declare a derived fact (derived facts are computed by strata; declare the facts they come from)",
			`case.yaml:7:65: unknown fact kind "guessed" (use declared or measured)`,
		}},
		{"chain of a relation without symbol", doc("Facts", "f") + "spec:\n  chains:\n    - {relation: depends-on, chain: crun > runc}\n", []string{
			"case.yaml:6:37: relation depends-on has no chain symbol, so it cannot be written as a chain (list its facts under spec.facts, or declare a symbol on depends-on)",
		}},
		{"unknown names in a formula", doc("Facts", "f") + "spec:\n  formulas:\n    - complete-observabilty = O1 + 0TLP + O9\n", []string{
			"case.yaml:6:7: unknown entity complete-observabilty (did you mean complete-observability?)",
			"case.yaml:6:36: unknown entity 0TLP (did you mean OTLP?)",
			"case.yaml:6:43: unknown entity O9 (did you mean O1?)",
		}},
		{"relation names that mean two relation types",
			"apiVersion: strata.dev/v1alpha1\nkind: RelationType\nmetadata: {name: requires, names: {en: Isolation Strength}}\nspec: {inverse: depends-on}\n---\n" +
				doc("RelationType", "weaker-isolation") + "spec: {}\n", []string{
				`case.yaml:3:18: relation type requires: "Isolation Strength" already names relation type isolation-strength (rename one of them)`,
				`case.yaml:3:18: relation type requires: "depends-on" already names relation type depends-on (rename one of them)`,
				`case.yaml:8:18: relation type weaker-isolation: "weaker-isolation" already names relation type isolation-strength (rename one of them)`,
			}},
		{"every problem of a file at once",
			doc("Entity", "kata") + "spec:\n  category: technolgy\n  attributes: {startup-ms: }\n---\n" +
				doc("Facts", "f") + "spec:\n  chains:\n    - {relation: isolation-strenght, chain: L-0 > L-1}\n    - {relation: overhead, chain: L-3 < L-4 > L-2}\n" +
				"  facts:\n    - {subject: runc, relation: depends-on, object: crunn, kind: derived}\n" +
				"  formulas:\n    - problem-location = O1 × O2 + O3\n", []string{
				`case.yaml:5:13: unknown category "technolgy" (did you mean technology?)`,
				"case.yaml:6:16: Entity spec.attributes.startup-ms has no value (give a value or remove the attribute)",
				"case.yaml:13:18: unknown relation type isolation-strenght (did you mean isolation-strength?)",
				`case.yaml:14:45: chain mixes "<" with ">" (a chain reads in one direction: split it into two chains or reverse one part)`,
				"case.yaml:16:53: unknown entity crunn (did you mean crun?)",
				"case.yaml:16:66: a file cannot declare a derived fact (derived facts are computed by strata; declare the facts they come from)",
				`case.yaml:18:34: formula mixes "×" with "+" (use one operator per formula; define a named part for the other)`,
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.src)
			ps, ok := network.AsProblems(err)
			if !ok {
				t.Fatalf("Load returned %v; want problems", err)
			}
			got := strings.Split(ps.Error(), "\n")
			if !slices.Equal(got, c.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// Every problem says where it is and carries a stable code.
func TestLoadProblemsArePositioned(t *testing.T) {
	codes := []string{network.CodeSyntax, network.CodeSchema, network.CodeUnknownField, network.CodeUnknownKind,
		network.CodeUnknownEntity, network.CodeUnknownRel, network.CodeDuplicate, network.CodeChain,
		network.CodeFormula, network.CodeContradiction, network.CodeProperty}
	src := doc("Entity", "kata") + "spec:\n  category: technolgy\n  attributes: {startup-ms: }\n---\n" +
		doc("Facts", "f") + "spec:\n  chains:\n    - {relation: isolation-strenght, chain: L-0 > L-1}\n" +
		"  facts:\n    - {subject: runc, relation: depends-on, object: crunn, kind: derived}\n" +
		"  formulas:\n    - problem-location = O1 × O2 + O3\n  chain: []\n"
	_, err := load(t, src)
	ps, ok := network.AsProblems(err)
	if !ok || len(ps) < 5 {
		t.Fatalf("Load returned %v; want at least 5 problems", err)
	}
	for _, p := range ps {
		if p.Pos.File != "case.yaml" || p.Pos.Line == 0 || p.Pos.Col == 0 {
			t.Errorf("%v: position %+v is incomplete", p, p.Pos)
		}
		if !slices.Contains(codes, p.Code) {
			t.Errorf("%v: unknown code %q", p, p.Code)
		}
	}
}

// factsIn lists the facts declared in case.yaml as "subject relation op object".
func factsIn(n *network.Network) []string {
	var out []string
	for _, f := range n.Facts {
		if f.Source.File != "case.yaml" {
			continue
		}
		op := ">"
		if f.Equal {
			op = "="
		}
		out = append(out, f.Subject+" "+f.Relation+" "+op+" "+f.Object)
	}
	return out
}

func TestLoadChains(t *testing.T) {
	for _, c := range []struct {
		relation, chain string
		want            []string
	}{
		{"isolation-strength", "L-0 = L-4 > L-1 > L-2 > L-3", []string{
			"D1 isolation-strength = D5", "D5 isolation-strength > D2", "D2 isolation-strength > D3", "D3 isolation-strength > D4"}},
		// "<" reads as the mirror of ">": the facts are stated in the ">" direction.
		{"overhead", "L-3 < L-4 < L-2 < L-1 < L-0", []string{
			"D5 overhead > D4", "D3 overhead > D5", "D2 overhead > D3", "D1 overhead > D2"}},
		{"overhead", "L-3 < L-4 = L-2", nil}, // overhead has no equivalence: see TestLoadProblems
		{"leads-to", "A1 → A5 → A6 → A7", []string{"A1 leads-to > A5", "A5 leads-to > A6", "A6 leads-to > A7"}},
		{"leads-to", "A1 -> A5", []string{"A1 leads-to > A5"}},
		{"leads-to", "A1->A5->A6", []string{"A1 leads-to > A5", "A5 leads-to > A6"}},
		{"leads-to", "A1 technical → A5 software", []string{"A1 leads-to > A5"}},
		{"leads-to", "T1容器化 → T2编排化", []string{"T1 leads-to > T2"}},
		{"leads-to", "A1技术架构 → A5软件架构", []string{"A1 leads-to > A5"}},
		{"leads-to", "technical → software", []string{"A1 leads-to > A5"}},
		// A relation's inverse name reads the chain from the other side.
		{"follows", "T3 → T2 → T1", []string{"T2 leads-to > T3", "T1 leads-to > T2"}},
		{"weaker-isolation", "L-3 > L-4", []string{"D5 isolation-strength > D4"}},
		// Names, Chinese names and aliases resolve, case-insensitively.
		{"isolation strength", "容器 < 沙箱 = HARDWARE", []string{"D5 isolation-strength > D4", "D5 isolation-strength = D1"}},
	} {
		t.Run(c.relation+": "+c.chain, func(t *testing.T) {
			src := doc("Facts", "f") + "spec:\n  chains:\n    - relation: " + c.relation + "\n      chain: " + c.chain + "\n"
			n, err := load(t, src)
			if c.want == nil {
				if err == nil {
					t.Fatal("Load succeeded; want a problem")
				}
				return
			}
			if err != nil {
				t.Fatalf("Load:\n%v", err)
			}
			if got := factsIn(n); !slices.Equal(got, c.want) {
				t.Errorf("facts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if len(n.Chains) == 0 || n.Chains[len(n.Chains)-1].Text != c.chain {
				t.Errorf("the chain %q is not kept as written", c.chain)
			}
		})
	}
}

func TestLoadFormulas(t *testing.T) {
	for _, c := range []struct {
		formula  string
		result   string
		op       string
		relation string
		operands []string
	}{
		{"complete-observability = O1 + O2", "complete-observability", "+", "consists-of", []string{"O1", "O2"}},
		{"problem-location = O1 × O2", "problem-location", "×", "correlates", []string{"O1", "O2"}},
		{"problem-location = O1 x O2", "problem-location", "×", "correlates", []string{"O1", "O2"}},
		{"problem-location = O1 X O2 X O3", "problem-location", "×", "correlates", []string{"O1", "O2", "O3"}},
		{"problem-location = O1 * O2", "problem-location", "×", "correlates", []string{"O1", "O2"}},
		{"problem-location = O1*O2", "problem-location", "×", "correlates", []string{"O1", "O2"}},
		{"complete-observability = O1 horizontal (OTLP) + O2 vertical (eBPF)", "complete-observability", "+", "consists-of", []string{"O1", "O2"}},
		{"problem-location = 横坐标(O1) × 纵坐标(O2)", "problem-location", "×", "correlates", []string{"O1", "O2"}},
		{"problem-location = 横坐标（O1） × 纵坐标（O2）", "problem-location", "×", "correlates", []string{"O1", "O2"}},
		{"complete-observability = OTLP + eBPF + Prometheus", "complete-observability", "+", "consists-of", []string{"O1", "O2", "O3"}},
	} {
		t.Run(c.formula, func(t *testing.T) {
			n := mustLoad(t, doc("Facts", "f")+"spec:\n  formulas:\n    - "+c.formula+"\n")
			if len(n.Formulas) != 1 {
				t.Fatalf("got %d formulas; want 1", len(n.Formulas))
			}
			f := n.Formulas[0]
			if f.Text != c.formula || f.Result != c.result || f.Op != c.op || f.Relation != c.relation || !slices.Equal(f.Operands, c.operands) {
				t.Errorf("formula = %+v; want %s %s %s %v", f, c.result, c.relation, c.op, c.operands)
			}
			var want []string
			for _, o := range c.operands {
				want = append(want, c.result+" "+c.relation+" > "+o)
			}
			if got := factsIn(n); !slices.Equal(got, want) {
				t.Errorf("facts %q; want %q", got, want)
			}
		})
	}
}

func TestLoadMerge(t *testing.T) {
	overlay := doc("Entity", "runc") + `spec:
  merge: true
  names: {zh: 运行时}
  aliases: [runC-runtime]
  attributes: {startup-ms: 40, rootless: true}
  relations: {depends-on: crun}
---
` + doc("Entities", "more") + `spec:
  items:
    - {id: D4, merge: true, attributes: {level: 3}}
    - {id: kata, category: technology, relations: {required-by: runc}}
`
	n := mustLoad(t, overlay)
	runc, ok := n.Entity("runc")
	if !ok {
		t.Fatal("runc is missing")
	}
	if runc.Category != network.CategoryTechnology || runc.Source.File != "base.yaml" {
		t.Errorf("the overlay replaced runc's category or source: %+v", runc)
	}
	if a, _ := runc.Attr("startup-ms"); a.Int != 40 {
		t.Errorf("startup-ms = %v; want 40, the overlay's", a.Value())
	}
	if a, ok := runc.Attr("rootless"); !ok || !a.Bool {
		t.Errorf("rootless = %v, %v; want true, added by the overlay", a.Value(), ok)
	}
	if runc.Names.Zh != "运行时" {
		t.Errorf("zh name = %q", runc.Names.Zh)
	}
	for _, name := range []string{"runC-runtime", "运行时"} {
		if e, err := n.Resolve(name); err != nil || e.ID != "runc" {
			t.Errorf("Resolve(%q) = %v, %v; want runc", name, e, err)
		}
	}
	if d4, _ := n.Entity("D4"); d4.Dimension != "isolation" || len(n.Dimensions[0].Values) != 5 {
		t.Errorf("merging into D4 changed its dimension: %+v", d4)
	}
	want := []string{"runc depends-on > crun", "runc depends-on > kata"}
	if got := factsIn(n); !slices.Equal(got, want) {
		t.Errorf("facts %q; want %q", got, want)
	}
	// The overlay's relations are cited where the overlay writes them.
	for _, f := range n.FactsOf("runc", "depends-on") {
		if f.Object == "crun" && f.Source.Line != 3 {
			t.Errorf("runc depends-on crun cited at %v; want case.yaml:3", f.Source)
		}
	}
}

func TestLoadYAMLAnchors(t *testing.T) {
	src := doc("Entities", "runtimes") + `spec:
  category: technology
  items:
    - id: kata
      attributes: &vm
        sandbox: true
        startup-ms: &slow 500
        platforms: &linux [linux]
    - id: firecracker
      attributes:
        <<: *vm
        startup-ms: 125
    - id: gvisor
      attributes:
        <<: [{startup-ms: 150, written-in: Go}, *vm]
        platforms: *linux
    - id: qemu
      attributes: {startup-ms: *slow}
---
` + doc("Facts", "f") + `spec:
  chains:
    - &chain {relation: overhead, chain: kata > gvisor}
  facts:
    - {subject: kata, relation: overhead, object: firecracker}
`
	n := mustLoad(t, src)
	for _, c := range []struct {
		id, attr string
		want     any
	}{
		{"kata", "startup-ms", int64(500)},
		{"firecracker", "startup-ms", int64(125)}, // a written key overrides a merged one
		{"firecracker", "sandbox", true},
		{"gvisor", "startup-ms", int64(150)}, // the first merged mapping wins
		{"gvisor", "written-in", "Go"},
		{"gvisor", "sandbox", true},
		{"qemu", "startup-ms", int64(500)},
	} {
		e, ok := n.Entity(c.id)
		if !ok {
			t.Fatalf("%s is missing", c.id)
		}
		if a, ok := e.Attr(c.attr); !ok || a.Value() != c.want {
			t.Errorf("%s.%s = %v; want %v", c.id, c.attr, a.Value(), c.want)
		}
	}
	g, _ := n.Entity("gvisor")
	if a, _ := g.Attr("platforms"); !slices.Equal(a.List, []string{"linux"}) {
		t.Errorf("gvisor.platforms = %v; want [linux]", a.List)
	}
	want := []string{"kata overhead > gvisor", "kata overhead > firecracker"}
	if got := factsIn(n); !slices.Equal(got, want) {
		t.Errorf("facts %q; want %q", got, want)
	}
}

func TestLoadYAMLAnchorProblems(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"undefined alias", doc("Entity", "a") + "spec: {category: *cat}\n", "case.yaml:4:18: unknown YAML alias *cat (define the anchor &cat before using it)"},
		{"merge of a scalar", doc("Entity", "a") + "spec:\n  <<: technology\n", "case.yaml:5:7: merge key << needs a mapping or a list of mappings (write <<: *anchor where &anchor names a mapping)"},
		{"key twice", doc("Entity", "a") + "spec:\n  category: concept\n  category: technology\n", `case.yaml:6:3: key "category" appears twice in one mapping (first at line 5) (remove or merge one of them)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.src)
			ps, ok := network.AsProblems(err)
			if !ok || len(ps) != 1 || ps[0].String() != c.want {
				t.Errorf("Load returned %v; want one problem %s", err, c.want)
			}
		})
	}
}

// Facts from chains and formulas cite the column of their first term, however the scalar is
// quoted; where the value is not the source text (escapes, folded lines, block scalars)
// they cite the scalar's start.
func TestLoadTermPositions(t *testing.T) {
	for _, c := range []struct {
		name  string
		chain string // written after "      chain: " on line 7 (column 14)
		want  []string
	}{
		{"plain", `L-0 = L-4 > L-1`, []string{"7:14", "7:20"}},
		{"double quoted", `"L-0 = L-4 > L-1"`, []string{"7:15", "7:21"}},
		{"single quoted", `'L-0 = L-4 > L-1'`, []string{"7:15", "7:21"}},
		{"extra spaces", `  "  L-0   =  L-4 > L-1"`, []string{"7:19", "7:28"}},
		{"Unicode", `容器 < 沙箱 = 硬件`, []string{"7:14", "7:19"}},
		{"comment", `L-0 = L-4 > L-1 # seed 30.6.1`, []string{"7:14", "7:20"}},
		{"escapes", `"L-0 = L-4 \u003e L-1"`, []string{"7:14", "7:14"}},
		{"folded plain", "L-0 = L-4\n        > L-1", []string{"7:14", "7:14"}},
		{"literal block", "|\n        L-0 = L-4 > L-1", []string{"7:14", "7:14"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := doc("Facts", "f") + "spec:\n  chains:\n    - relation: isolation-strength\n      chain: " + c.chain + "\n"
			n := mustLoad(t, src)
			var got []string
			for _, f := range n.Facts {
				if f.Source.File == "case.yaml" {
					got = append(got, strings.TrimPrefix(f.Source.String(), "case.yaml:"))
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("positions %q; want %q", got, c.want)
			}
		})
	}
	// A problem in a term points at the term.
	for _, c := range []struct{ chain, want string }{
		{`L-0 = L-4 > L9`, "case.yaml:7:26: unknown entity L9 (did you mean L-0?)"},
		{`"L-0 = L-4 > L9"`, "case.yaml:7:27: unknown entity L9 (did you mean L-0?)"},
		{`'容器 < 沙箱 < 硬件 < 磁盘'`, "case.yaml:7:30: unknown entity 磁盘"},
	} {
		src := doc("Facts", "f") + "spec:\n  chains:\n    - relation: isolation-strength\n      chain: " + c.chain + "\n"
		_, err := load(t, src)
		if err == nil || err.Error() != c.want {
			t.Errorf("chain %s: Load returned %v; want %s", c.chain, err, c.want)
		}
	}
}

func TestResolveList(t *testing.T) {
	n, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		"K3s + WasmEdge":                   "K3s WasmEdge",
		"K3s,WasmEdge":                     "K3s WasmEdge",
		"K3s WasmEdge":                     "K3s WasmEdge",
		"K8s+gVisor":                       "Kubernetes gVisor",
		"Kata Containers (QEMU) + K3s":     "kata-qemu K3s",
		"  Karmada ,, + WasmEdge  ":        "Karmada WasmEdge",
		"K3s Open Policy Agent Gatekeeper": "K3s OPA Gatekeeper",
	} {
		es, err := n.ResolveList(text)
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		var ids []string
		for _, e := range es {
			ids = append(ids, e.ID)
		}
		if got := strings.Join(ids, " "); got != want {
			t.Errorf("%q resolves to %s, want %s", text, got, want)
		}
	}
	_, err = n.ResolveList("K3s + WasmEdg")
	var ue *network.UnknownError
	if !errors.As(err, &ue) || ue.Suggest != "WasmEdge" {
		t.Errorf("unknown word: %v", err)
	}
}

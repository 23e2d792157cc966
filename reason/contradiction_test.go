package reason_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// contradictionDecls declares the relation types and entities the contradiction cases use.
// Each case puts its Facts document first, so the positions in the expected messages are
// easy to count: line 1 is apiVersion, line 6 spec's list key, line 7 the first item.
const contradictionDecls = `
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata:
  name: stronger
spec:
  symbol: ">"
  equivalence: "="
  properties: [transitive, irreflexive, antisymmetric]
  greater: stronger
  less: weaker
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata:
  name: leads-to
spec:
  symbol: "→"
  properties: [transitive, irreflexive, antisymmetric]
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata:
  name: depends-on
spec:
  properties: [transitive, irreflexive]
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata:
  name: reaches
spec:
  properties: [transitive]
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata:
  name: at-least
spec:
  properties: [transitive, reflexive, antisymmetric]
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata:
  name: covers
spec:
  symbol: ">"
  equivalence: "="
  properties: [transitive, reflexive, antisymmetric]
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata:
  name: outranks
spec:
  symbol: ">"
  properties: [transitive]
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata:
  name: beats
spec:
  properties: [antisymmetric]
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata:
  name: differs-from
spec:
  properties: [irreflexive]
---
apiVersion: strata.dev/v1alpha1
kind: Entities
metadata:
  name: letters
spec:
  category: concept
  items:
    - id: a
    - id: b
    - id: c
    - id: d
`

// factsDoc starts a Facts document; the body begins on line 6.
const factsDoc = `apiVersion: strata.dev/v1alpha1
kind: Facts
metadata:
  name: facts
spec:
`

func TestContradictions(t *testing.T) {
	tests := []struct {
		name  string
		files []network.File
		want  []string
	}{
		{
			name: "strict cycle in one chain",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  chains:
    - relation: stronger
      chain: a > b > c > a
` + contradictionDecls)}},
			// One problem per cycle: its first fact, with the two others that close it.
			want: []string{
				"c.yaml:8:14: contradiction in stronger: a > b, but b > a follows from b > c (c.yaml:8:18), c > a (c.yaml:8:22) (remove or correct one of these facts)",
			},
		},
		{
			name: "chain written with the mirror symbol",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  chains:
    - relation: stronger
      chain: a < b < a
` + contradictionDecls)}},
			// "a < b" is the fact b > a; a chain's fact sits where its link starts.
			want: []string{
				"c.yaml:8:14: contradiction in stronger: b > a, but also a > b (c.yaml:8:18) (remove or correct one of these facts)",
			},
		},
		{
			name: "a = b together with a > b",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - {subject: a, relation: stronger, object: b, equal: true}
    - {subject: a, relation: stronger, object: b}
` + contradictionDecls)}},
			want: []string{
				"c.yaml:8:17: contradiction in stronger: a > b, but also a = b (c.yaml:7:17) (remove or correct one of these facts)",
			},
		},
		{
			name: "derivation through equalities",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - {subject: a, relation: stronger, object: b, equal: true}
    - {subject: b, relation: stronger, object: c, equal: true}
    - {subject: c, relation: stronger, object: a}
` + contradictionDecls)}},
			want: []string{
				"c.yaml:9:17: contradiction in stronger: c > a, but a = c follows from a = b (c.yaml:7:17), b = c (c.yaml:8:17) (remove or correct one of these facts)",
			},
		},
		{
			name: "self fact in an order",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - subject: a
      relation: stronger
      object: a
` + contradictionDecls)}},
			want: []string{
				"c.yaml:7:16: contradiction in stronger: a > a, but stronger is irreflexive: nothing relates to itself (remove this fact)",
			},
		},
		{
			name: "flow relation cycle",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  chains:
    - relation: leads-to
      chain: a → b
    - relation: leads-to
      chain: b → c → a
` + contradictionDecls)}},
			want: []string{
				"c.yaml:8:14: contradiction in leads-to: a → b, but b → a follows from b → c (c.yaml:10:14), c → a (c.yaml:10:18) (remove or correct one of these facts)",
			},
		},
		{
			name: "order without a symbol",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - {subject: a, relation: depends-on, object: b}
    - {subject: b, relation: depends-on, object: a}
` + contradictionDecls)}},
			want: []string{
				"c.yaml:7:17: contradiction in depends-on: a depends-on b, but also b depends-on a (c.yaml:8:17) (remove or correct one of these facts)",
			},
		},
		{
			name: "antisymmetric non-transitive relation both ways",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - {subject: a, relation: beats, object: b}
    - {subject: b, relation: beats, object: c}
    - {subject: b, relation: beats, object: a}
` + contradictionDecls)}},
			// Reported once, at the second fact; a beats b, b beats c is fine (not transitive).
			want: []string{
				"c.yaml:9:17: contradiction in beats: b beats a, but also a beats b (c.yaml:7:17), and beats is antisymmetric (remove one of the two facts)",
			},
		},
		{
			name: "irreflexive relation on itself",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - {subject: c, relation: differs-from, object: c}
` + contradictionDecls)}},
			want: []string{
				"c.yaml:7:17: contradiction in differs-from: c differs-from c, but differs-from is irreflexive: nothing relates to itself (remove this fact)",
			},
		},
		{
			name: "two independent contradictions sorted by position",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - {subject: a, relation: beats, object: b}
    - {subject: b, relation: beats, object: a}
  chains:
    - relation: stronger
      chain: d > d
` + contradictionDecls)}},
			// The reasoner finds the order's contradiction first; sorting puts it last.
			want: []string{
				"c.yaml:8:17: contradiction in beats: b beats a, but also a beats b (c.yaml:7:17), and beats is antisymmetric (remove one of the two facts)",
				"c.yaml:11:14: contradiction in stronger: d > d, but stronger is irreflexive: nothing relates to itself (remove this fact)",
			},
		},
		{
			name: "contradiction across files sorted by file name",
			files: []network.File{
				{Name: "z.yaml", Data: []byte(factsDoc + `  chains:
    - relation: stronger
      chain: a > b
` + contradictionDecls)},
				{Name: "a.yaml", Data: []byte(factsDoc + `  chains:
    - relation: stronger
      chain: b > a
`)},
			},
			// The cycle is reported at the fact declared first (files load in the order given).
			want: []string{
				"z.yaml:8:14: contradiction in stronger: a > b, but also b > a (a.yaml:8:14) (remove or correct one of these facts)",
			},
		},
		{
			// A transitive relation declared neither irreflexive nor antisymmetric is a
			// preorder: a cycle says its members are equivalent, which is no contradiction.
			name: "preorder cycle is no contradiction",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - {subject: a, relation: reaches, object: b}
    - {subject: b, relation: reaches, object: a}
    - {subject: c, relation: reaches, object: c}
` + contradictionDecls)}},
		},
		{
			name: "reflexive order relates an entity to itself",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - {subject: a, relation: at-least, object: a}
    - {subject: a, relation: at-least, object: b}
` + contradictionDecls)}},
		},
		{
			name: "antisymmetric order through two entities",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - {subject: a, relation: at-least, object: b}
    - {subject: b, relation: at-least, object: a}
` + contradictionDecls)}},
			want: []string{
				"c.yaml:7:17: contradiction in at-least: a at-least b, but also b at-least a (c.yaml:8:17) (remove or correct one of these facts)",
			},
		},
		{
			// A symbol reads strictly even when irreflexive is not declared.
			name: "order with a symbol is strict",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  chains:
    - relation: outranks
      chain: a > a
    - relation: outranks
      chain: b > c > b
` + contradictionDecls)}},
			want: []string{
				"c.yaml:8:14: contradiction in outranks: a > a, but outranks is a strict order (>): nothing relates to itself (remove this fact)",
				"c.yaml:10:14: contradiction in outranks: b > c, but also c > b (c.yaml:10:18) (remove or correct one of these facts)",
			},
		},
		{
			// Two cycles share entities: one problem for the knot, with its shortest
			// witness and a count of the facts it does not show.
			name: "two cycles through one entity",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  chains:
    - relation: stronger
      chain: a > b > a
    - relation: stronger
      chain: a > c > d > a
` + contradictionDecls)}},
			want: []string{
				"c.yaml:8:14: contradiction in stronger: a > b, but also b > a (c.yaml:8:18); 3 more stronger facts lie on cycles among the same 4 entities (remove or correct one of these facts)",
			},
		},
		{
			// covers is antisymmetric but reflexive, so not strict: a at-least b with a = b declared
			// is consistent, so the witness is the fact between entities not declared
			// equal, even though another fact comes first.
			name: "non-strict antisymmetric order: witness between unequal entities",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - {subject: a, relation: covers, object: b}
    - {subject: b, relation: covers, object: c}
    - {subject: c, relation: covers, object: a}
    - {subject: a, relation: covers, object: b, equal: true}
` + contradictionDecls)}},
			want: []string{
				"c.yaml:8:17: contradiction in covers: b > c, but c > b follows from c > a (c.yaml:9:17), a > b (c.yaml:7:17) (remove or correct one of these facts)",
			},
		},
		{
			name: "non-strict antisymmetric order: a cycle among declared equals is consistent",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  facts:
    - {subject: a, relation: covers, object: b}
    - {subject: b, relation: covers, object: a}
    - {subject: a, relation: covers, object: b, equal: true}
` + contradictionDecls)}},
		},
		{
			name: "consistent network",
			files: []network.File{{Name: "c.yaml", Data: []byte(factsDoc + `  chains:
    - relation: stronger
      chain: a = d > b > c
    - relation: leads-to
      chain: a → b → c
` + contradictionDecls)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := network.Load(tc.files)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			r, err := reason.New(n)
			if err != nil {
				t.Fatal(err)
			}
			ps := r.Contradictions()
			got := make([]string, len(ps))
			for i, p := range ps {
				got[i] = p.String()
				if p.Code != network.CodeContradiction {
					t.Errorf("problem %d has code %q, want %q", i, p.Code, network.CodeContradiction)
				}
				if p.Pos.File == "" || p.Pos.Line == 0 || p.Pos.Col == 0 {
					t.Errorf("problem %d has no full position: %+v", i, p.Pos)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("contradictions:\ngot:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
			}
		})
	}
}

// TestContradictionsDefault checks that the embedded network is consistent.
func TestContradictionsDefault(t *testing.T) {
	n, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	r, err := reason.New(n)
	if err != nil {
		t.Fatal(err)
	}
	if ps := r.Contradictions(); len(ps) > 0 {
		t.Errorf("the default network contradicts itself:\n%v", ps)
	}
}

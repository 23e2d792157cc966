package network_test

import (
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
)

// operatorIDs declares entities whose ids and names contain the operators of chains and
// formulas, beside entities named by the parts they split into.
const operatorIDs = `apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: s}
spec:
  symbol: ">"
  equivalence: "="
  properties: [transitive, irreflexive, antisymmetric]
  inverse: s-inv
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: consists-of}
spec: {operator: "+"}
---
apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: e}
spec:
  category: concept
  items:
    - id: a
    - id: b
    - id: c
    - id: C
    - id: "a>b"
    - id: "C++"
    - {id: pq, names: {en: "p = q"}}
    - id: p
    - id: q
---
apiVersion: strata.dev/v1alpha1
kind: Facts
metadata: {name: f}
spec:
`

// TestChainsRefuseSplitIDs: an id or name with an operator inside, written unquoted in a
// chain or formula, is refused where it stands instead of being read as several terms;
// quoted, it is one term, and quoting the parts means the parts.
func TestChainsRefuseSplitIDs(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		problem    string // empty: loads
		facts      []string
	}{
		{name: "split id in a chain", body: `  chains: [{relation: s, chain: "a>b > c"}]`,
			problem: `x.yaml:35:34: "a>b" names entity a>b, but unquoted in a chain it is split at its operators (write it in double quotes to mean the entity ("a>b"), or quote each term to mean them apart)`},
		{name: "split id after the first term", body: `  chains: [{relation: s, chain: "c < a>b"}]`,
			problem: `x.yaml:35:38: "a>b" names entity a>b`},
		{name: "split name with spaces", body: `  chains: [{relation: s, chain: "p = q > c"}]`,
			problem: `x.yaml:35:34: "p = q" names entity pq`},
		{name: "split id in a formula", body: `  formulas: ["C = C++ + a"]`,
			problem: `x.yaml:35:19: "C++" names entity C++`},
		{name: "quoted id in a chain", body: `  chains: [{relation: s, chain: '"a>b" > c'}]`,
			facts: []string{"a>b s c"}},
		{name: "quoted parts in a chain", body: `  chains: [{relation: s, chain: '"a" > "b" = c'}]`,
			facts: []string{"a s b", "b = c"}},
		{name: "quoted id under the inverse name", body: `  chains: [{relation: s-inv, chain: 'c > "a>b"'}]`,
			facts: []string{"a>b s c"}},
		{name: "quoted ids in a formula", body: `  formulas: ['C = "C++" + "p = q"']`,
			facts: []string{"C consists-of C++", "C consists-of pq"}},
		{name: "no operator ids involved", body: `  chains: [{relation: s, chain: "a > b > c"}]`,
			facts: []string{"a s b", "b s c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := network.Load([]network.File{{Name: "x.yaml", Data: []byte(operatorIDs + tc.body + "\n")}})
			if tc.problem != "" {
				ps, ok := network.AsProblems(err)
				if !ok || len(ps) != 1 || !strings.HasPrefix(ps[0].String(), tc.problem) {
					t.Fatalf("Load = %v; want one problem starting %q", err, tc.problem)
				}
				if ps[0].Code != network.CodeChain && ps[0].Code != network.CodeFormula {
					t.Errorf("problem code %q", ps[0].Code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range n.Facts {
				op := " " + f.Relation + " "
				if f.Equal {
					op = " = "
				}
				got = append(got, f.Subject+op+f.Object)
			}
			if strings.Join(got, "; ") != strings.Join(tc.facts, "; ") {
				t.Errorf("facts %q, want %q", got, tc.facts)
			}
		})
	}
}

// TestSplitIDsHostile: a name made of thousands of operators beside a chain of thousands of
// terms written without spaces costs the text's length times the name's, and is found.
func TestSplitIDsHostile(t *testing.T) {
	k := 3000
	name := strings.Repeat("a>", k-1) + "a"
	var b strings.Builder
	b.WriteString(`apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: s}
spec:
  symbol: ">"
  properties: [transitive, irreflexive, antisymmetric]
---
apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: e}
spec:
  category: concept
  items:
    - id: a
    - id: "` + name + `"
---
apiVersion: strata.dev/v1alpha1
kind: Facts
metadata: {name: f}
spec:
  chains:
    - {relation: s, chain: "` + name + `"}
    - {relation: s, chain: "` + strings.Repeat("a >", k) + `"}
`)
	_, err := network.Load([]network.File{{Name: "h.yaml", Data: []byte(b.String())}})
	ps, ok := network.AsProblems(err)
	if !ok || len(ps) != 2 || !strings.Contains(ps[0].Message, "names entity a>a>") || ps[1].Code != network.CodeChain {
		t.Fatalf("Load = %.500v", err)
	}
}

package network

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestLoaderIsFromScratch: a Loader given declarations again after random changes to
// their chains and facts (unknown ids and "=" on a relation without an equivalence
// among them), and sometimes to their entities, builds what LoadDecls builds from
// scratch: the same network or the same problems.
func TestLoaderIsFromScratch(t *testing.T) {
	files := []File{{Name: "rel.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: rank}
spec: {symbol: ">", equivalence: "=", properties: [transitive, irreflexive, antisymmetric]}
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: flow}
spec: {symbol: "→", properties: [transitive]}
`)}}
	canon := func(n *Network, err error) string {
		if err != nil {
			return "error: " + err.Error()
		}
		b, _ := json.Marshal(n)
		return string(b)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	pos := func(doc, line int) Pos {
		return Pos{File: fmt.Sprintf("d%d.md", doc), Line: line, Col: 1 + rng.IntN(9)}
	}
	const docs, per = 12, 6
	id := func() string {
		if rng.IntN(150) == 0 {
			return "nobody"
		}
		return fmt.Sprintf("E%d", rng.IntN(docs*per))
	}
	chains := func(doc int) []DeclChain {
		var cs []DeclChain
		for k := range rng.IntN(4) {
			rel, op := "rank", []string{" > ", " = ", " < "}[rng.IntN(3)]
			if rng.IntN(40) == 0 {
				rel, op = "flow", []string{" → ", " = "}[rng.IntN(2)]
			}
			p := pos(doc, 20+k)
			cs = append(cs, DeclChain{Relation: rel, RelationPos: p, Text: id() + op + id(), Source: p, TermPos: []Pos{p, pos(doc, 20+k)}})
		}
		return cs
	}
	facts := func(doc int) []DeclFact {
		var fs []DeclFact
		for k := range rng.IntN(3) {
			p := pos(doc, 30+k)
			fs = append(fs, DeclFact{Subject: id(), Relation: "rank", Object: id(), SubjectPos: p, RelationPos: p, ObjectPos: p, Equal: rng.IntN(3) == 0})
		}
		return fs
	}
	entities := func(doc int) []DeclEntity {
		var es []DeclEntity
		for k := range per {
			i := doc*per + k
			e := DeclEntity{Entity: Entity{ID: fmt.Sprintf("E%d", i), Category: CategoryTechnology, Names: Text{En: fmt.Sprintf("thing %d", i)}, Source: pos(doc, 5+k)}}
			if rng.IntN(5) == 0 {
				e.Relations = []DeclRelation{{Relation: "rank", Object: id(), RelationPos: e.Entity.Source, ObjectPos: e.Entity.Source}}
			}
			es = append(es, e)
		}
		return es
	}
	quick, bad := 0, 0
	for s := range 8 {
		ds := make([]*Decls, docs)
		for i := range ds {
			ds[i] = &Decls{Entities: entities(i), Chains: chains(i), Facts: facts(i)}
		}
		var l Loader
		l.LoadDecls(context.Background(), files, ds)
		for step := range 30 {
			ds = slices.Clone(ds)
			i := rng.IntN(docs)
			d := *ds[i]
			switch rng.IntN(6) {
			case 0:
				d.Entities = entities(i)
			case 1:
				d.Facts = facts(i)
			default:
				d.Chains = chains(i)
			}
			ds[i] = &d
			got, want := canon(l.LoadDecls(context.Background(), files, ds)), canon(LoadDecls(context.Background(), files, ds))
			if got != want {
				t.Fatalf("seed %d step %d: the Loader's network differs from a load from scratch:\n%s\n%s", s, step, got, want)
			}
			if strings.HasPrefix(want, "error") {
				bad++
			}
			if l.last != nil && l.last.quick {
				quick++
			}
			if strings.Contains(want, "error") && l.last != nil {
				t.Fatalf("seed %d step %d: a load with problems kept as the last", s, step)
			}
		}
	}
	t.Logf("%d of %d loads resolved only the changed facts; %d found problems", quick, 8*30, bad)
	if bad < 10 {
		t.Errorf("only %d loads found problems: the test judges too little of them", bad)
	}
	if quick < 30 {
		t.Errorf("only %d loads took the Loader's quick path: the test judges too little of it", quick)
	}
}

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
	byName := false // whether chains may name values by name (then no load renames)
	id := func() string {
		if byName && rng.IntN(20) == 0 {
			return fmt.Sprintf("value %d", rng.IntN(40)) // a value's name, maybe ambiguous or unknown
		}
		switch rng.IntN(300) {
		case 0:
			if rng.IntN(3) == 0 {
				return "nobody"
			}
		case 2, 3:
			return fmt.Sprintf("V%d_%d", rng.IntN(docs), rng.IntN(3))
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
	// A dimension per document whose values are renamed at random: names (some with a
	// chain operator, some shared), aliases and attributes; now and then an id, a relation
	// or a position changes too, or a later document merges into a value.
	dims := func(doc int) []DeclDimension {
		d := DeclDimension{Category: CategoryValue, Dimension: Dimension{ID: fmt.Sprintf("D%d", doc), Source: Pos{File: fmt.Sprintf("d%d.md", doc), Line: 1, Col: 1}}}
		for k := range 3 {
			v := DeclEntity{Entity: Entity{ID: fmt.Sprintf("V%d_%d", doc, k), Names: Text{En: fmt.Sprintf("value %d", rng.IntN(40))},
				Source: Pos{File: fmt.Sprintf("d%d.md", doc), Line: 2 + k, Col: 1}}}
			switch rng.IntN(36) {
			case 0:
				v.Entity.Names.En = "a > b"
			case 1, 9, 10:
				v.Entity.Aliases = []string{fmt.Sprintf("alias %d", rng.IntN(3))}
			case 2, 11, 12:
				v.Entity.Attributes = []Attribute{{Name: "year", Type: TypeInt, Int: int64(rng.IntN(3)), Source: v.Entity.Source}}
			case 3:
				v.Entity.ID = fmt.Sprintf("V%d_%d", doc, 3+rng.IntN(3))
			case 4:
				v.Entity.Source.Col = 2
			case 5:
				v.Relations = []DeclRelation{{Relation: "rank", Object: id(), RelationPos: v.Entity.Source, ObjectPos: v.Entity.Source}}
			case 6, 7, 8:
				v.Entity.Names.Zh = fmt.Sprintf("值%d", rng.IntN(3))
			}
			d.Values = append(d.Values, v)
		}
		return []DeclDimension{d}
	}
	merges := func(doc int) []DeclEntity {
		if doc == 0 || rng.IntN(6) > 0 {
			return nil
		}
		m := DeclEntity{Merge: true, Entity: Entity{ID: fmt.Sprintf("V%d_%d", rng.IntN(doc), rng.IntN(3)), Names: Text{Zh: "合并"}, Source: Pos{File: fmt.Sprintf("d%d.md", doc), Line: 9, Col: 1}}}
		return []DeclEntity{m}
	}
	quick, bad, renamed := 0, 0, 0
	for s := range 16 {
		byName = s%4 == 3
		ds := make([]*Decls, docs)
		for i := range ds {
			ds[i] = &Decls{Dimensions: dims(i), Entities: append(entities(i), merges(i)...), Chains: chains(i), Facts: facts(i)}
		}
		var l Loader
		l.LoadDecls(context.Background(), files, ds)
		for step := range 30 {
			ds = slices.Clone(ds)
			i := rng.IntN(docs)
			d := *ds[i]
			switch rng.IntN(8) {
			case 0:
				d.Entities = append(entities(i), merges(i)...)
			case 1:
				d.Facts = facts(i)
			case 2, 3:
				d.Dimensions = dims(i)
				if rng.IntN(2) == 0 {
					d.Chains = chains(i)
				}
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
				if l.last.renamed > 0 {
					renamed++
				}
			}
			if strings.Contains(want, "error") && l.last != nil {
				t.Fatalf("seed %d step %d: a load with problems kept as the last", s, step)
			}
		}
	}
	t.Logf("%d of %d loads resolved only the changed facts (%d of them renaming values); %d found problems", quick, 16*30, renamed, bad)
	if renamed < 15 {
		t.Errorf("only %d loads renamed values: the test judges too little of it", renamed)
	}
	if bad < 10 {
		t.Errorf("only %d loads found problems: the test judges too little of them", bad)
	}
	if quick < 30 {
		t.Errorf("only %d loads took the Loader's quick path: the test judges too little of it", quick)
	}
}

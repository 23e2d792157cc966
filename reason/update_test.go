package reason_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/internal/golden"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// uFact is a fact of an edited network: s rel o (or s = o), with an optional note.
type uFact struct {
	rel   string
	s, o  int
	equal bool
	note  string
}

// uNet is a network as a sequence of edits sees it: entity ids, facts in order, and
// blank lines before the facts (which move every fact's line).
type uNet struct {
	ids   []string
	facts []uFact
	blank int
}

var uRels = []string{"rank", "flows-to", "same", "uses"}

func (u *uNet) yaml() []byte {
	var b strings.Builder
	b.WriteString(`apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: rank}
spec: {symbol: '>', equivalence: '=', properties: [transitive, irreflexive, antisymmetric], inverse: rank-below}
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: flows-to}
spec: {symbol: '→', properties: [transitive]}
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: same}
spec: {properties: [transitive, symmetric]}
---
apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: uses}
spec: {properties: [irreflexive, antisymmetric]}
---
apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: things}
spec:
  category: technology
  items:
`)
	for _, id := range u.ids {
		fmt.Fprintf(&b, "    - id: %q\n", id)
	}
	b.WriteString("---\n" + strings.Repeat("\n", u.blank))
	b.WriteString("apiVersion: strata.dev/v1alpha1\nkind: Facts\nmetadata: {name: facts}\nspec:\n  facts:\n")
	if len(u.facts) == 0 {
		b.WriteString("    []\n")
	}
	for _, f := range u.facts {
		fmt.Fprintf(&b, "    - {subject: %q, relation: %s, object: %q", u.ids[f.s], f.rel, u.ids[f.o])
		if f.equal {
			b.WriteString(", equal: true")
		}
		if f.note != "" {
			fmt.Fprintf(&b, ", kind: measured, note: %q", f.note)
		}
		b.WriteString("}\n")
	}
	return []byte(b.String())
}

func (u *uNet) randFact(rng *rand.Rand) uFact {
	f := uFact{rel: uRels[rng.IntN(len(uRels))], s: rng.IntN(len(u.ids)), o: rng.IntN(len(u.ids))}
	if f.rel == "rank" && rng.IntN(5) == 0 {
		f.equal = true
	}
	return f
}

// edit changes u in one random way: a fact added, removed, changed, moved or given a
// note; every line moved; an entity renamed, added or removed (with its facts); or
// nothing.
func (u *uNet) edit(rng *rand.Rand) string {
	n := len(u.facts)
	switch k := rng.IntN(12); {
	case k < 2:
		u.facts = slices.Insert(u.facts, rng.IntN(n+1), u.randFact(rng))
		return "fact added"
	case k < 3 && n > 0:
		i := rng.IntN(n)
		u.facts = slices.Delete(u.facts, i, i+1)
		return "fact removed"
	case k < 4 && n > 0:
		u.facts[rng.IntN(n)] = u.randFact(rng)
		return "fact changed"
	case k < 5 && n > 1:
		i, j := rng.IntN(n), rng.IntN(n)
		u.facts[i], u.facts[j] = u.facts[j], u.facts[i]
		return "facts swapped"
	case k < 6 && n > 0:
		u.facts[rng.IntN(n)].note = fmt.Sprintf("measured %d", rng.IntN(100))
		return "note"
	case k < 8:
		u.blank = rng.IntN(4)
		return "lines moved"
	case k < 9:
		u.ids[rng.IntN(len(u.ids))] = fmt.Sprintf("r%d", rng.IntN(1000))
		for i := range u.ids { // ids stay unique
			for slices.Contains(u.ids[:i], u.ids[i]) {
				u.ids[i] += "x"
			}
		}
		return "entity renamed"
	case k < 10:
		at := rng.IntN(len(u.ids) + 1)
		u.ids = slices.Insert(u.ids, at, fmt.Sprintf("new%d", rng.IntN(1000)))
		for i := range u.ids {
			for slices.Contains(u.ids[:i], u.ids[i]) {
				u.ids[i] += "x"
			}
		}
		for i := range u.facts {
			if u.facts[i].s >= at {
				u.facts[i].s++
			}
			if u.facts[i].o >= at {
				u.facts[i].o++
			}
		}
		return "entity added"
	case k < 11 && len(u.ids) > 2:
		at := rng.IntN(len(u.ids))
		u.ids = slices.Delete(u.ids, at, at+1)
		var fs []uFact
		for _, f := range u.facts {
			if f.s == at || f.o == at {
				continue
			}
			if f.s > at {
				f.s--
			}
			if f.o > at {
				f.o--
			}
			fs = append(fs, f)
		}
		u.facts = fs
		return "entity removed"
	}
	return "nothing"
}

// answers is everything a reasoner says of its network, as text: contradictions, every
// order's layers, derived facts and contradiction count, and for every pair of entities
// its comparison, path, and why under each relation and inverse name.
func answers(t *testing.T, r *reason.Reasoner) string {
	t.Helper()
	n := r.Network()
	var b strings.Builder
	for _, p := range r.Contradictions() {
		fmt.Fprintf(&b, "contradiction %s [%s]\n", p, p.Code)
	}
	for _, rel := range r.Orders() {
		fmt.Fprintf(&b, "order %s: %d contradictions, rank %v\nderived %v\n", rel.Name(), rel.Order.ContradictionCount(), r.Rank(rel), r.Derived(rel))
	}
	var rels []*reason.Relation
	for _, name := range []string{"rank", "rank-below", "flows-to", "same"} {
		rel, err := r.Relation(name)
		if err != nil {
			t.Fatal(err)
		}
		rels = append(rels, rel)
	}
	for _, a := range n.Entities {
		fmt.Fprintf(&b, "%s: facts %v derived %v\n", a.ID, r.FactsAbout(a), r.DerivedAbout(a))
		for _, c := range n.Entities {
			fmt.Fprintf(&b, "%s ? %s: %v\n", a.ID, c.ID, r.Compare(a, c))
			fs, ok := r.Path(a, c, nil)
			fmt.Fprintf(&b, " path %v %v\n", ok, fs)
			for _, rel := range rels {
				for _, op := range []string{">", "="} {
					d, err := r.Why(rel, a, op, c)
					j, _ := json.Marshal(d)
					fmt.Fprintf(&b, " why %s %s: %s %v; involved %v\n", rel.Name(), op, j, err, r.Involves(rel, a))
				}
			}
		}
	}
	return b.String()
}

// TestUpdateIsNew: over random sequences of edits of a network (facts added, removed,
// changed, moved, given notes; lines moved; entities renamed, added, removed), the
// reasoner updated from the last one (reason.Update) answers every question as a
// reasoner built anew for the same network (reason.New), which shares none of what
// Update reuses. The test checks that it reused orders and index lookups often enough to
// judge that.
func TestUpdateIsNew(t *testing.T) {
	seeds, steps := 8, 40
	if testing.Short() || raceEnabled {
		seeds, steps = 4, 25
	}
	reused, kept, total := 0, 0, 0
	for s := range seeds {
		rng := rand.New(rand.NewPCG(uint64(s), 77))
		u := &uNet{}
		for i := range 4 + rng.IntN(8) {
			u.ids = append(u.ids, fmt.Sprintf("e%d", i))
		}
		for range rng.IntN(3 * len(u.ids)) {
			u.facts = append(u.facts, u.randFact(rng))
		}
		var prev *reason.Reasoner
		var what []string
		for step := range steps {
			n, err := network.Load([]network.File{{Name: "u.yaml", Data: u.yaml()}})
			if err != nil {
				t.Fatalf("seed %d step %d: %v\n%s", s, step, err, u.yaml())
			}
			got, err := reason.Update(prev, n)
			if err != nil {
				t.Fatal(err)
			}
			want, err := reason.New(n)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := answers(t, got), answers(t, want); g != w {
				t.Fatalf("seed %d step %d (after %v): the updated reasoner answers otherwise than a new one:\n%s",
					s, step, what, golden.Diff("updated", []byte(g), "new", []byte(w)))
			}
			if prev != nil {
				total++
				for _, rel := range got.Orders() {
					if p, err := prev.Relation(rel.Name()); err == nil && p.Order == rel.Order {
						reused++
					}
				}
				if len(n.Facts) > 0 && len(prev.Network().Facts) > 0 && !slices.Equal(n.Facts, prev.Network().Facts) {
					kept++ // facts changed and lookups may have been kept
				}
			}
			prev = got
			what = what[:0]
			for range 1 + rng.IntN(2) {
				what = append(what, u.edit(rng))
			}
		}
	}
	t.Logf("%d updates, %d orders reused, %d with changed facts", total, reused, kept)
	if reused < total {
		t.Errorf("only %d orders reused in %d updates: the test judges too little of it", reused, total)
	}
}

package netgen

import (
	"bufio"
	"fmt"
	"io"
)

// The large YAML network of the loading benchmarks: 50,000 entities and 147,000 facts, the
// size at which loading was measured at 5–7 s before the YAML reader was rewritten.
const (
	LargeYAMLEntities = 50_000
	LargeYAMLFacts    = 147_000
)

// WriteYAML writes a network of n entities and m facts as strata network documents, the
// way people write them: a RelationType, Entities documents of 1,000 items each (names in
// both languages, an alias, typed attributes, and a third of the facts as the entities'
// relations), and Facts documents holding a third of the facts as the seed's chain notation
// ("n1 > n2", equal facts as "n3 = n4") and the rest as subject/relation/object entries.
// The facts are [Generate]'s, so the network has no contradiction; it is deterministic in
// seed. Entity i has id "n<i>".
func WriteYAML(w io.Writer, n, m int, seed uint64) error {
	strict, equal := Generate(n, m, seed)
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprint(bw, KBRelations)
	// Strict facts whose index is 0 mod 3 are written as the subject's relations.
	rels := make([][]int32, n)
	for i, e := range strict {
		if i%3 == 0 {
			rels[e.From] = append(rels[e.From], e.To)
		}
	}
	const perDoc = 1000
	for i := range n {
		if i%perDoc == 0 {
			fmt.Fprintf(bw, "---\napiVersion: strata.dev/v1alpha1\nkind: Entities\nmetadata: {name: entities-%d}\nspec:\n  category: technology\n  items:\n", i/perDoc)
		}
		fmt.Fprintf(bw, "    - id: n%d\n      names: {en: Entity %d, zh: 实体%d}\n      aliases: [entity-%d]\n", i, i, i, i)
		fmt.Fprintf(bw, "      attributes: {year: %d, weight: %d.5, handler: \"h-%d\"}\n", 1990+i%36, i%100, i%17)
		if len(rels[i]) > 0 {
			bw.WriteString("      relations:\n        rank: [")
			for j, o := range rels[i] {
				if j > 0 {
					bw.WriteString(", ")
				}
				fmt.Fprintf(bw, "n%d", o)
			}
			bw.WriteString("]\n")
		}
	}
	const factsPerDoc = 10_000
	k := 0
	doc := func() {
		if k%factsPerDoc == 0 {
			fmt.Fprintf(bw, "---\napiVersion: strata.dev/v1alpha1\nkind: Facts\nmetadata: {name: facts-%d}\nspec:\n", k/factsPerDoc)
		}
	}
	// Chains: every equal fact, and strict facts 1 mod 3.
	var chains [][3]any
	for _, e := range equal {
		chains = append(chains, [3]any{e.From, "=", e.To})
	}
	for i, e := range strict {
		if i%3 == 1 {
			chains = append(chains, [3]any{e.From, ">", e.To})
		}
	}
	for i, c := range chains {
		if i == 0 || k%factsPerDoc == 0 {
			doc()
			bw.WriteString("  chains:\n")
		}
		fmt.Fprintf(bw, "    - {relation: rank, chain: \"n%d %s n%d\"}\n", c[0], c[1], c[2])
		k++
	}
	first := true
	for i, e := range strict {
		if i%3 != 2 {
			continue
		}
		if first || k%factsPerDoc == 0 {
			doc()
			bw.WriteString("  facts:\n")
			first = false
		}
		fmt.Fprintf(bw, "    - subject: n%d\n      relation: rank\n      object: n%d\n", e.From, e.To)
		k++
	}
	return bw.Flush()
}

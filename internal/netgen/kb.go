package netgen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/strata-dev/strata/network"
)

// The knowledge base of the import benchmarks: 1,000 Markdown documents stating 50,000
// facts of 10,000 entities.
const (
	KBFiles    = 1_000
	KBEntities = 10_000
	KBFacts    = 50_000
	KBPlanted  = 25
)

// KBRelations is the relation type a generated knowledge base's chains name (rank, 等级):
// a strict order with "=" as its equivalence, as the network document the knowledge base
// is read against.
const KBRelations = `apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: rank, names: {en: rank, zh: 等级}}
spec:
  symbol: ">"
  equivalence: "="
  properties: [transitive, irreflexive, antisymmetric]
  inverse: rank-below
  greater: higher
  less: lower
`

// Side is where one side of a planted contradiction is written: a Markdown document and
// its line.
type Side struct {
	File string
	Line int
}

func (s Side) String() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// Planted is a contradiction planted across documents: "a > b" in one, "b > a" in another.
type Planted struct {
	A, B   string // the entities
	Sides  [2]Side
	Reason string
}

// KB is a generated knowledge base.
type KB struct {
	// Files are the Markdown documents, named kb/part-NNNN.md.
	Files []network.File
	// Facts is the number of facts the chains state (planted ones included).
	Facts   int
	Planted []Planted
}

// GenerateKB writes a knowledge base of files Markdown documents stating facts facts
// about entities entities, the way the seed is written: each document has a section
// whose table declares its share of the entities (id, name, 名称, year, note), and a chain
// block of "rank: A > B" and "等级: A = B" lines — [Generate]'s facts, so without
// contradiction, each in a document chosen at random, so most name entities of other
// documents. Then planted contradictions are added, each between two entities of their
// own (declared in a third document) whose "a > b" and "b > a" are written in two
// different documents, so that each is found alone and both its lines are known. It is
// deterministic in seed. Entity i has id "N<i>". It needs files ≥ 3.
func GenerateKB(files, entities, facts, planted int, seed uint64) *KB {
	rng := rand.New(rand.NewPCG(seed, seed^0x6a09e667f3bcc908))
	strict, equal := Generate(entities, facts, seed)
	chains := make([][]string, files)
	label := func(i int) string {
		if i%2 == 0 {
			return "rank"
		}
		return "等级"
	}
	for i, e := range equal {
		f := rng.IntN(files)
		chains[f] = append(chains[f], fmt.Sprintf("%s: N%d = N%d", label(i), e.From, e.To))
	}
	for i, e := range strict {
		f := rng.IntN(files)
		chains[f] = append(chains[f], fmt.Sprintf("%s: N%d > N%d", label(i), e.From, e.To))
	}
	// the planted pairs: entities P<k>a and P<k>b, declared in document k%files
	type plant struct {
		k          int
		decl, x, y int // documents
	}
	plants := make([]plant, planted)
	extra := make([][]int, files) // plants declared per document
	for k := range plants {
		p := plant{k: k, decl: rng.IntN(files)}
		p.x = rng.IntN(files)
		for p.x == p.decl {
			p.x = rng.IntN(files)
		}
		p.y = rng.IntN(files)
		for p.y == p.decl || p.y == p.x {
			p.y = rng.IntN(files)
		}
		plants[k] = p
		extra[p.decl] = append(extra[p.decl], k)
	}
	kb := &KB{Files: make([]network.File, files), Planted: make([]Planted, planted), Facts: len(strict) + len(equal) + 2*planted}
	// each planted fact goes at a random place among its document's chains
	type at struct{ k, side int }
	insert := make([]map[int][]at, files)
	for k, p := range plants {
		for side, f := range []int{p.x, p.y} {
			if insert[f] == nil {
				insert[f] = map[int][]at{}
			}
			i := rng.IntN(len(chains[f]) + 1)
			insert[f][i] = append(insert[f][i], at{k, side})
		}
		kb.Planted[k] = Planted{A: fmt.Sprintf("P%da", k), B: fmt.Sprintf("P%db", k), Reason: "planted"}
	}
	var b bytes.Buffer
	for f := range files {
		b.Reset()
		name := fmt.Sprintf("kb/part-%04d.md", f)
		ln := 1
		w := func(format string, args ...any) {
			s := fmt.Sprintf(format, args...)
			b.WriteString(s)
			ln += strings.Count(s, "\n")
		}
		w("# Part %d\n\n", f)
		w("[Index](index.md#part-%d)\n\n", f)
		w("## %d.1 Group %d\n\n", f+1, f)
		w("**Definition**: the entities of group %d, ranked against every other group.\n\n", f)
		w("| id | name | 名称 | year | note |\n|----|------|------|------|------|\n")
		lo, hi := f*entities/files, (f+1)*entities/files
		for i := lo; i < hi; i++ {
			w("| **N%d** | Entity %d | 实体%d | %d | group %d, item %d |\n", i, i, i, 1990+i%36, f, i-lo)
		}
		for _, k := range extra[f] {
			w("| **P%da** | Planted %d a | 矛盾%d甲 | 2001 | planted |\n", k, k, k)
			w("| **P%db** | Planted %d b | 矛盾%d乙 | 2002 | planted |\n", k, k, k)
		}
		w("\n**Ranking**:\n\n```text\n")
		put := func(i int) {
			for _, a := range insert[f][i] {
				p := &kb.Planted[a.k]
				if a.side == 0 {
					p.Sides[0] = Side{File: name, Line: ln}
					w("rank: %s > %s\n", p.A, p.B)
				} else {
					p.Sides[1] = Side{File: name, Line: ln}
					w("等级: %s > %s\n", p.B, p.A)
				}
			}
		}
		for i, c := range chains[f] {
			put(i)
			w("%s\n", c)
		}
		put(len(chains[f]))
		w("```\n")
		kb.Files[f] = network.File{Name: name, Data: bytes.Clone(b.Bytes())}
	}
	return kb
}

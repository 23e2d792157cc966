package reason_test

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// benchNetwork loads a network of one order, s, over entities e0…e(n-1): the given strict
// facts (a > b) and equal facts, plus chains, as a user would write them.
func benchNetwork(tb testing.TB, n int, strict, equal []reason.Edge, chains []string) (*network.Network, *reason.Reasoner) {
	tb.Helper()
	var b strings.Builder
	b.WriteString(`apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: s}
spec:
  symbol: ">"
  equivalence: "="
  properties: [transitive, irreflexive, antisymmetric]
---
apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: e}
spec:
  category: concept
  items:
`)
	for i := range n {
		fmt.Fprintf(&b, "    - id: e%d\n", i)
	}
	b.WriteString("---\napiVersion: strata.dev/v1alpha1\nkind: Facts\nmetadata: {name: f}\nspec:\n  facts:\n")
	for _, e := range strict {
		fmt.Fprintf(&b, "    - {subject: e%d, relation: s, object: e%d}\n", e.From, e.To)
	}
	for _, e := range equal {
		fmt.Fprintf(&b, "    - {subject: e%d, relation: s, object: e%d, equal: true}\n", e.From, e.To)
	}
	if len(strict)+len(equal) == 0 {
		b.WriteString("    []\n")
	}
	if len(chains) > 0 {
		b.WriteString("  chains:\n")
		for _, c := range chains {
			fmt.Fprintf(&b, "    - {relation: s, chain: %q}\n", c)
		}
	}
	net, err := network.Load([]network.File{{Name: "bench.yaml", Data: []byte(b.String())}})
	if err != nil {
		tb.Fatal(err)
	}
	r, err := reason.New(net)
	if err != nil {
		tb.Fatal(err)
	}
	return net, r
}

func chainText(from, to int, op string) string {
	ids := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		ids = append(ids, fmt.Sprintf("e%d", i))
	}
	return strings.Join(ids, " "+op+" ")
}

// BenchmarkEntityFacts is what `strata show ENTITY` and GET /api/v1/entities/{name} cost:
// one entity's declared and derived facts. "neighbourhood" is the reasoner's way (the
// entity's own facts from an index, its derived facts from the classes above and below
// it); "closure-then-filter" is the way it was done before, run beside it: every derived
// fact of every order, then those naming the entity. The entity is the middle of a chain
// (its answer is the whole chain: n derived facts out of a closure of n²/2), or a random
// node of a random 10,000-node network, or one of a small chain beside a long one (its
// answer has one derived fact). The 50,000-entity cases run when large ones are selected
// (-bench with "large" or STRATA_BENCH_LARGE=1); the peer beyond 300 entities when
// selected by name (-bench 'EntityFacts/.*/closure-then-filter') or with the large ones.
func BenchmarkEntityFacts(b *testing.B) {
	strict, equal := netgen.Generate(10_000, 50_000, netgen.DefaultSeed)
	cases := []struct {
		name   string
		n      int
		strict []reason.Edge
		equal  []reason.Edge
		chains []string
		entity string
		peer   bool // run closure-then-filter too (it does not fit in memory at 50,000)
		large  bool // seconds to minutes: run when selected (see wantLarge)
	}{
		{"chain-300", 300, nil, nil, []string{chainText(0, 300, ">")}, "e150", true, false},
		{"chain-3000", 3000, nil, nil, []string{chainText(0, 3000, ">")}, "e1500", true, false},
		{"beside-chain-3000", 3003, nil, nil, []string{chainText(0, 3000, ">"), chainText(3000, 3003, ">")}, "e3000", true, false},
		{"random-10000", 10_000, strict, equal, nil, "e4242", true, false},
		{"chain-50000", 50_000, nil, nil, []string{chainText(0, 50_000, ">")}, "e25000", false, true},
		{"beside-chain-50000", 50_003, nil, nil, []string{chainText(0, 50_000, ">"), chainText(50_000, 50_003, ">")}, "e50000", false, true},
	}
	for _, tc := range cases {
		if tc.large && !wantLarge() {
			continue
		}
		var net *network.Network
		var r *reason.Reasoner
		setup := func(b *testing.B) *network.Entity {
			if net == nil {
				net, r = benchNetwork(b, tc.n, tc.strict, tc.equal, tc.chains)
			}
			e, ok := net.Entity(tc.entity)
			if !ok {
				b.Fatalf("no entity %s", tc.entity)
			}
			return e
		}
		b.Run(tc.name+"/neighbourhood", func(b *testing.B) {
			e := setup(b)
			facts := 0
			for b.Loop() {
				facts = len(r.FactsAbout(e)) + len(r.DerivedAbout(e))
			}
			b.ReportMetric(float64(facts), "facts")
		})
		// The peer costs tens of seconds from 3,000 entities on; it runs on the small
		// chain always, on the others when selected.
		if !tc.peer || (tc.n > 300 && !wantLarge() && !wantPeer()) {
			continue
		}
		b.Run(tc.name+"/closure-then-filter", func(b *testing.B) {
			e := setup(b)
			facts := 0
			for b.Loop() {
				facts = len(net.FactsAbout(e.ID))
				for _, rel := range r.Orders() {
					for _, f := range r.Derived(rel) {
						if f.Subject == e.ID || f.Object == e.ID {
							facts++
						}
					}
				}
			}
			b.ReportMetric(float64(facts), "facts")
		})
	}
}

// wantPeer reports whether the -bench pattern names the closure-then-filter peer.
func wantPeer() bool {
	f := flag.Lookup("test.bench")
	return f != nil && strings.Contains(f.Value.String(), "closure-then-filter")
}

// BenchmarkCheckCycle is what `strata check` pays for one cycle through n entities (a
// 1,001-term cycle used to print 75 MB): building the reasoner and rendering every
// contradiction it reports.
func BenchmarkCheckCycle(b *testing.B) {
	for _, n := range []int{1001, 10_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			net, _ := benchNetwork(b, n, nil, nil, []string{chainText(0, n, ">") + " > e0"})
			bytes := 0
			for b.Loop() {
				r, err := reason.New(net)
				if err != nil {
					b.Fatal(err)
				}
				bytes = len(r.Contradictions().Error())
			}
			b.ReportMetric(float64(bytes), "report-bytes")
		})
	}
}

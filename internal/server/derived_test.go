package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/internal/server"
	"github.com/strata-dev/strata/kb"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/reason"
)

// chainOverlay is the default network with a chain c0 > c1 > … > c(n-1) in an order of its
// own: its closure derives (n-1)(n-2)/2 facts, every ci > cj with j > i+1.
func chainOverlay(n int) network.File {
	var b strings.Builder
	b.WriteString("apiVersion: strata.dev/v1alpha1\nkind: RelationType\nmetadata: {name: test-above}\nspec:\n  symbol: \">\"\n  properties: [transitive, irreflexive, antisymmetric]\n")
	b.WriteString("---\napiVersion: strata.dev/v1alpha1\nkind: Entities\nmetadata: {name: chain}\nspec:\n  category: concept\n  items:\n")
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("c%d", i)
		fmt.Fprintf(&b, "    - id: %s\n", ids[i])
	}
	fmt.Fprintf(&b, "---\napiVersion: strata.dev/v1alpha1\nkind: Facts\nmetadata: {name: chain}\nspec:\n  chains:\n    - relation: test-above\n      chain: %s\n", strings.Join(ids, " > "))
	return network.File{Name: "chain.yaml", Data: []byte(b.String())}
}

// TestDerivedFacts: /api/v1/network carries no derived facts (it is encoded at start and at
// every reload, and a closure can be millions of facts); /api/v1/network/derived answers
// them, checked here against the pairs a chain's closure holds by counting (every ci > cj
// with j > i+1, each once), and stops at MaxDerived, saying so.
func TestDerivedFacts(t *testing.T) {
	for _, tc := range []struct {
		n         int
		truncated bool
	}{{100, false}, {300, true}} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			raw := overlayServer(t, chainOverlay(tc.n))
			s := server.CheckedHandler(t, raw)
			netDoc := do(t, s, "GET", "/api/v1/network", "", nil).json(t)
			if _, ok := netDoc["derived"]; ok {
				t.Error("/api/v1/network carries the derived facts")
			}
			a := do(t, s, "GET", "/api/v1/network/derived", "", nil)
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			var got server.DerivedFacts
			if err := json.Unmarshal(a.body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Truncated != tc.truncated {
				t.Errorf("truncated %v, want %v", got.Truncated, tc.truncated)
			}
			seen := map[[2]int]bool{}
			for _, f := range got.Derived {
				if f.Relation != "test-above" {
					continue
				}
				var i, j int
				if _, err := fmt.Sscanf(f.Subject+" "+f.Object, "c%d c%d", &i, &j); err != nil {
					t.Fatalf("derived %s %s %s: %v", f.Subject, f.Relation, f.Object, err)
				}
				if j <= i+1 || seen[[2]int{i, j}] || f.Kind != "derived" {
					t.Errorf("derived %s > %s (kind %s): not a derived pair of the chain, or twice", f.Subject, f.Object, f.Kind)
				}
				seen[[2]int{i, j}] = true
			}
			all := (tc.n - 1) * (tc.n - 2) / 2
			switch {
			case tc.truncated && len(got.Derived) != server.MaxDerived:
				t.Errorf("%d derived facts, want the first %d", len(got.Derived), server.MaxDerived)
			case !tc.truncated && len(seen) != all:
				t.Errorf("%d derived facts of the chain, want all %d", len(seen), all)
			}
			// The second request is the same answer, by its ETag.
			etag := a.header.Get("ETag")
			r := do(t, s, "GET", "/api/v1/network/derived", "", nil)
			if r.header.Get("ETag") != etag || etag == "" {
				t.Errorf("ETag %q, then %q", etag, r.header.Get("ETag"))
			}
		})
	}
}

// BenchmarkUpdateKB: what a --watch reload of the generated knowledge base (1,000
// documents, 10,000 entities, 50,000 facts) costs the server once kb has read it: Update,
// the swap, which encodes nothing. The network document, the status and the derived
// facts are encoded on the first request for them after a reload
// (BenchmarkUpdateKB/status, /network and /derived: the swap and that first request).
func BenchmarkUpdateKB(b *testing.B) {
	g := netgen.GenerateKB(netgen.KBFiles, netgen.KBEntities, netgen.KBFacts, netgen.KBPlanted, 7)
	// Over the default network, as serve --network kb/ reads it.
	bf := append(network.DefaultFiles(), network.File{Name: "kb/relations.yaml", Data: []byte(netgen.KBRelations)})
	base, err := network.Load(bf)
	if err != nil {
		b.Fatal(err)
	}
	im, err := kb.NewReader(kb.Options{Base: base}).Read(context.Background(), g.Files)
	if err != nil {
		b.Fatal(err)
	}
	n, err := im.Load(bf)
	if err != nil {
		b.Fatal(err)
	}
	rsn, err := reason.New(n)
	if err != nil {
		b.Fatal(err)
	}
	pl, err := plan.New(rsn)
	if err != nil {
		b.Fatal(err)
	}
	s, err := server.New(server.Config{Reasoner: rsn, Planner: pl})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("update", func(b *testing.B) {
		for b.Loop() {
			if err := s.Update(rsn, pl, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, route := range []string{"status", "network", "derived"} {
		path := "/api/v1/network/" + route
		if route == "network" {
			path = "/api/v1/network"
		}
		b.Run(route, func(b *testing.B) {
			for b.Loop() {
				if err := s.Update(rsn, pl, nil); err != nil {
					b.Fatal(err)
				}
				if a := do(b, s, "GET", path, "", nil); a.status != 200 {
					b.Fatalf("status %d", a.status)
				}
			}
		})
	}
}

// BenchmarkReloadNetworkKB: the first request for the network document after a --watch
// reload in which one document of the generated knowledge base (1,000 documents, 10,000
// entities, 50,000 facts) changed — a chain added, as BenchmarkReloadKB in kb — with the
// swap (Update). The facts and chains of the other documents are the last document's
// JSON (listCache); the entities, dimensions and relations are encoded again.
func BenchmarkReloadNetworkKB(b *testing.B) {
	g := netgen.GenerateKB(netgen.KBFiles, netgen.KBEntities, netgen.KBFacts, netgen.KBPlanted, 7)
	bf := append(network.DefaultFiles(), network.File{Name: "kb/relations.yaml", Data: []byte(netgen.KBRelations)})
	base, err := network.Load(bf)
	if err != nil {
		b.Fatal(err)
	}
	r := kb.NewReader(kb.Options{Base: base})
	var rsns [2]*reason.Reasoner
	files := slices.Clone(g.Files)
	for i := range rsns {
		if i == 1 {
			files[500].Data = []byte(strings.Replace(string(files[500].Data), "```text\n", "```text\nrank: N1 > N2\n", 1))
		}
		im, err := r.Read(context.Background(), files)
		if err != nil {
			b.Fatal(err)
		}
		n, err := im.Load(bf)
		if err != nil {
			b.Fatal(err)
		}
		if rsns[i], err = reason.New(n); err != nil {
			b.Fatal(err)
		}
	}
	pl, err := plan.New(rsns[0])
	if err != nil {
		b.Fatal(err)
	}
	s, err := server.New(server.Config{Reasoner: rsns[0], Planner: pl})
	if err != nil {
		b.Fatal(err)
	}
	do(b, s, "GET", "/api/v1/network", "", nil)
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	i := 0
	for b.Loop() {
		i++
		if err := s.Update(rsns[i%2], pl, nil); err != nil {
			b.Fatal(err)
		}
		if a := do(b, s, "GET", "/api/v1/network", "", nil); a.status != 200 {
			b.Fatalf("status %d", a.status)
		}
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms/op")
}

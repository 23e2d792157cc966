package network_test

import (
	"math"
	"strings"
	"testing"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/network"
)

// joined is the documents as one file.
func joined(docs []network.DocumentText) []byte {
	parts := make([]string, len(docs))
	for i, d := range docs {
		parts[i] = d.YAML
	}
	return []byte(strings.Join(parts, "---\n"))
}

// roundTrip writes n as documents, loads them, and reports every difference between the
// two networks (netgen.Diff, written apart from the writer) and between the documents
// written from each: the second writing must be the first.
func roundTrip(t *testing.T, n *network.Network) {
	t.Helper()
	docs, err := network.Documents(n)
	if err != nil {
		t.Fatal(err)
	}
	back, err := network.Load([]network.File{{Name: "out.yaml", Data: joined(docs)}})
	if err != nil {
		t.Fatalf("the documents do not load: %v\n%s", err, joined(docs))
	}
	for _, d := range netgen.Diff(n, back) {
		t.Error(d)
	}
	again, err := network.Documents(back)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := string(joined(docs)), string(joined(again)); a != b {
		t.Errorf("written again, the documents differ:\n%s\n--- then ---\n%s", a, b)
	}
}

func loadRandom(t *testing.T, seed uint64) *network.Network {
	t.Helper()
	n, err := netgen.LoadRandom(seed)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDocumentsRoundTrip: the default network, netgen's generated networks and random
// networks of every shape come back from their documents the same.
func TestDocumentsRoundTrip(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		n, err := network.Load(network.DefaultFiles())
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, n)
	})
	t.Run("generated", func(t *testing.T) {
		for seed := range uint64(4) {
			n, err := netgen.LoadGenerated(60, 200, seed)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, n)
		}
	})
	t.Run("random", func(t *testing.T) {
		for seed := range uint64(300) {
			roundTrip(t, loadRandom(t, seed))
			if t.Failed() {
				t.Fatalf("seed %d", seed)
			}
		}
	})
}

func FuzzDocumentsRoundTrip(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		roundTrip(t, loadRandom(t, seed))
	})
}

// TestDocumentsRefuses: what documents cannot say is an error naming it.
func TestDocumentsRefuses(t *testing.T) {
	for _, c := range []struct {
		name  string
		spoil func(n *network.Network)
		says  string
	}{
		{"derived fact", func(n *network.Network) {
			n.Facts = append(n.Facts, network.Fact{Subject: "L-0", Relation: "isolation-strength", Object: "L-3", Kind: network.Derived})
		}, "fact L-0 isolation-strength L-3 is derived"},
		{"unknown kind", func(n *network.Network) { n.Facts[len(n.Facts)-1].Kind = "guessed" }, `unknown kind "guessed"`},
		{"not a number", func(n *network.Network) {
			n.Entities[0].Attributes = append(n.Entities[0].Attributes, network.Attribute{Name: "w", Type: network.TypeFloat, Float: math.NaN()})
		}, "attribute w: NaN is not a finite number"},
		{"attribute twice", func(n *network.Network) {
			n.Entities[0].Attributes = append(n.Entities[0].Attributes, n.Entities[0].Attributes[0])
		}, "a second attribute"},
		{"not UTF-8", func(n *network.Network) { n.Entities[1].Names.En = "bad \xff" }, "is not UTF-8 text"},
		{"dimension does not list it", func(n *network.Network) { n.Dimensions[0].Values = n.Dimensions[0].Values[1:] }, "which does not list it"},
		{"no category", func(n *network.Network) { n.Entities[len(n.Entities)-1].Category = "" }, "has no category"},
		{"chain without its facts", func(n *network.Network) { n.Chains[0].Text = "L-3 > L-0" }, "does not hold the facts it states"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := network.Load(network.DefaultFiles())
			if err != nil {
				t.Fatal(err)
			}
			c.spoil(n)
			_, err = network.Documents(n)
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %v, want one saying %q", err, c.says)
			}
		})
	}
}

package locate

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestDominantBruteForce checks Breakdown.Dominant against its doc comment, computed
// here independently over random breakdowns: small times, so that labels tie, every
// confidence, children parts (never dominant), zero times.
func TestDominantBruteForce(t *testing.T) {
	labels := []struct {
		cat   Category
		cause string
	}{{CatUser, ""}, {CatBlocked, "disk"}, {CatBlocked, "io"}, {CatRunQueue, ""}, {CatChildren, ""}, {CatUnexplained, ""}, {CatKernel, "file"}}
	confs := []Confidence{Exact, Learned, Process, Share, None} // strongest first
	rank := func(c Confidence) int { return slices.Index(confs, c) }
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 50000 {
		parts := make([]Part, r.IntN(7))
		for j := range parts {
			l := labels[r.IntN(len(labels))]
			parts[j] = Part{Category: l.cat, Cause: l.cause, Time: time.Duration(r.IntN(6)) * time.Millisecond,
				Confidence: confs[r.IntN(len(confs))], Evidence: []string{string(rune('a' + j))}}
		}
		got := Breakdown{Parts: parts}.Dominant()

		// The documented answer, by brute force.
		var order []string
		sum := map[string]time.Duration{}
		for _, p := range parts {
			if p.Category == CatChildren {
				continue
			}
			if _, ok := sum[p.Label()]; !ok {
				order = append(order, p.Label())
			}
			sum[p.Label()] += p.Time
		}
		var most time.Duration
		for _, l := range order {
			most = max(most, sum[l])
		}
		if most == 0 {
			if got.Label() != "" || got.Time != 0 || got.Confidence != "" || got.Evidence != nil {
				t.Fatalf("%d: %+v: %+v, want a zero Part", i, parts, got)
			}
			continue
		}
		best := order[slices.IndexFunc(order, func(l string) bool { return sum[l] == most })] // first seen of the largest
		var other time.Duration                                                               // the largest other label
		for _, l := range order {
			if l != best {
				other = max(other, sum[l])
			}
		}
		var mine []Part
		for _, p := range parts {
			if p.Category != CatChildren && p.Label() == best {
				mine = append(mine, p)
			}
		}
		want := Confidence("")
		for _, c := range confs {
			var sure time.Duration
			for _, p := range mine {
				if rank(p.Confidence) <= rank(c) {
					sure += p.Time
				}
			}
			if sure > other {
				want = c
				break
			}
		}
		if want == "" { // tied with another label: the weakest of its parts that hold time
			for _, p := range mine {
				if p.Time > 0 && (want == "" || rank(p.Confidence) > rank(want)) {
					want = p.Confidence
				}
			}
		}
		largest := mine[0]
		for _, p := range mine {
			if p.Time > largest.Time {
				largest = p
			}
		}
		if got.Label() != best || got.Time != most || got.Confidence != want || !slices.Equal(got.Evidence, largest.Evidence) {
			t.Fatalf("%d: %+v:\n got %s %v %s %v\nwant %s %v %s %v", i, parts, got.Label(), got.Time, got.Confidence, got.Evidence, best, most, want, largest.Evidence)
		}
	}
}

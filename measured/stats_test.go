package measured

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

// exactCoverage counts, over all 2^n equally likely patterns of which samples fall below
// the true median, those where the l-th smallest sample is below it and the l-th largest
// above it: the coverage of [x(l), x(n+1-l)], by enumeration rather than the binomial
// formula MedianCI uses.
func exactCoverage(n, l int) float64 {
	hit := 0
	for mask := uint32(0); mask < 1<<n; mask++ {
		below := bits.OnesCount32(mask)
		if below >= l && below <= n-l {
			hit++
		}
	}
	return float64(hit) / float64(uint32(1)<<n)
}

func TestMedianCIAgainstEnumeration(t *testing.T) {
	for n := 1; n <= 20; n++ {
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(i + 1) // x(i) = i, so the interval names its ranks
		}
		lo, hi, cov := MedianCI(s, 0.95)
		l := int(lo)
		if int(hi) != n+1-l {
			t.Fatalf("n=%d: interval [x(%d), x(%d)] is not symmetric", n, l, int(hi))
		}
		if want := exactCoverage(n, l); math.Abs(cov-want) > 1e-12 {
			t.Errorf("n=%d l=%d: coverage %v, enumeration %v", n, l, cov, want)
		}
		// The largest l with coverage ≥ 95%, or 1 (the range) when there is none.
		want := 1
		for k := 1; 2*k <= n+1; k++ {
			if exactCoverage(n, k) >= 0.95 {
				want = k
			}
		}
		if l != want {
			t.Errorf("n=%d: l=%d, want %d (coverage %v vs %v)", n, l, want, cov, exactCoverage(n, want))
		}
	}
}

// TestMedianCICoverage draws samples from skewed and heavy-tailed distributions with a
// known median and checks that the 95% interval holds it about 95% of the time or more.
func TestMedianCICoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	dists := map[string]struct {
		draw   func() float64
		median float64
	}{
		"exponential": {func() float64 { return rng.ExpFloat64() }, math.Ln2},
		"lognormal":   {func() float64 { return math.Exp(rng.NormFloat64()) }, 1},
		"cauchy":      {func() float64 { return math.Tan(math.Pi * (rng.Float64() - 0.5)) }, 0},
	}
	trials := 4000
	if testing.Short() {
		trials = 1000
	}
	for name, d := range dists {
		for _, n := range []int{6, 10, 30, 101} {
			hit := 0
			var cov float64
			for range trials {
				s := make([]float64, n)
				for i := range s {
					s[i] = d.draw()
				}
				slices.Sort(s)
				lo, hi, c := MedianCI(s, 0.95)
				cov = c
				if lo <= d.median && d.median <= hi {
					hit++
				}
			}
			got := float64(hit) / float64(trials)
			sd := math.Sqrt(cov * (1 - cov) / float64(trials))
			if math.Abs(got-cov) > 4*sd+1e-3 {
				t.Errorf("%s n=%d: held the median %.3f of the time, coverage says %.3f", name, n, got, cov)
			}
			if cov < 0.95 {
				t.Errorf("%s n=%d: coverage %v below 95%%", name, n, cov)
			}
		}
	}
}

func TestMedianCILarge(t *testing.T) {
	n := 200_001
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i)
	}
	lo, hi, cov := MedianCI(s, 0.95)
	// Normal approximation: half-width ≈ 1.96·√n/2 ranks around the middle.
	half := 1.96 * math.Sqrt(float64(n)) / 2
	mid := float64(n-1) / 2
	if cov < 0.95 || cov > 0.955 || math.Abs((mid-lo)-half) > 3 || math.Abs((hi-mid)-half) > 3 {
		t.Errorf("n=%d: [%v, %v] coverage %v; want about ±%.1f ranks around %v at 95%%", n, lo, hi, cov, half, mid)
	}
}

func TestMedian(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := 1 + rng.IntN(40)
		s := make([]float64, n)
		for i := range s {
			s[i] = rng.Float64()
		}
		slices.Sort(s)
		// The median by definition: at least half the samples on each side.
		m := Median(s)
		le, ge := 0, 0
		for _, x := range s {
			if x <= m {
				le++
			}
			if x >= m {
				ge++
			}
		}
		if 2*le < n || 2*ge < n {
			t.Fatalf("median %v of %v: %d ≤, %d ≥", m, s, le, ge)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("median of nothing is a number")
	}
}

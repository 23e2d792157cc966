package bench

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Summary describes one series of samples.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Mean   float64 `json:"mean"`
	// P99 is the 99th percentile (nearest rank); only set when n ≥ 20, below which it
	// would just repeat the maximum.
	P99 float64 `json:"p99,omitempty"`
	// MAD is the median absolute deviation, a spread that ignores outliers.
	MAD float64 `json:"mad"`
	// Outliers are the indexes of samples outside Tukey's fences (1.5 IQR beyond the
	// quartiles); they are kept in every statistic, only flagged.
	Outliers []int `json:"outliers,omitempty"`
}

// Summarize computes the summary of xs; the zero Summary for no samples.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	out := Summary{N: len(s), Median: quantile(s, 0.5), Min: s[0], Max: s[len(s)-1], Mean: sum / float64(len(s))}
	if len(s) >= 20 {
		out.P99 = s[nearestRank(len(s), 0.99)]
	}
	dev := make([]float64, len(s))
	for i, x := range s {
		dev[i] = math.Abs(x - out.Median)
	}
	slices.Sort(dev)
	out.MAD = quantile(dev, 0.5)
	if len(s) >= 4 {
		q1, q3 := quantile(s, 0.25), quantile(s, 0.75)
		lo, hi := q1-1.5*(q3-q1), q3+1.5*(q3-q1)
		for i, x := range xs {
			if x < lo || x > hi {
				out.Outliers = append(out.Outliers, i)
			}
		}
	}
	return out
}

// quantile interpolates linearly between the closest ranks of sorted s.
func quantile(s []float64, q float64) float64 {
	if len(s) == 1 {
		return s[0]
	}
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	f := pos - float64(i)
	return s[i]*(1-f) + s[i+1]*f
}

func nearestRank(n int, q float64) int {
	r := int(math.Ceil(q*float64(n))) - 1
	return min(max(r, 0), n-1)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantile(s, 0.5)
}

// Ratio is median(a)/median(b) with a bootstrap confidence interval.
type Ratio struct {
	Value float64 `json:"value"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Level float64 `json:"level"` // e.g. 0.95
}

// Significant reports whether the interval excludes 1: a and b differ beyond the noise.
func (r Ratio) Significant() bool { return r.Lo > 1 || r.Hi < 1 }

// RatioCI estimates median(a)/median(b) and its percentile bootstrap interval at the given
// level from iters resamples. The generator is seeded, so the same samples give the same
// interval. Zero or empty inputs give a zero Ratio.
func RatioCI(a, b []float64, level float64, iters int, seed uint64) Ratio {
	if len(a) == 0 || len(b) == 0 {
		return Ratio{}
	}
	mb := median(b)
	if mb == 0 {
		return Ratio{}
	}
	r := Ratio{Value: median(a) / mb, Level: level}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	ratios := make([]float64, 0, iters)
	ra, rb := make([]float64, len(a)), make([]float64, len(b))
	for range iters {
		for i := range ra {
			ra[i] = a[rng.IntN(len(a))]
		}
		for i := range rb {
			rb[i] = b[rng.IntN(len(b))]
		}
		slices.Sort(ra)
		slices.Sort(rb)
		if d := quantile(rb, 0.5); d != 0 {
			ratios = append(ratios, quantile(ra, 0.5)/d)
		}
	}
	if len(ratios) == 0 {
		return r
	}
	slices.Sort(ratios)
	tail := (1 - level) / 2
	r.Lo, r.Hi = quantile(ratios, tail), quantile(ratios, 1-tail)
	return r
}

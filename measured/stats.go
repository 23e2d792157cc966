package measured

import "math"

// Median is the median of sorted samples (the mean of the middle two for an even count),
// as strata bench summarises them.
func Median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// MedianCI is a distribution-free confidence interval of the median of sorted samples:
// the order statistics x(l) and x(n+1-l) for the largest l whose coverage,
// 1 − 2·P(B ≤ l−1) with B ~ Binomial(n, ½), is at least level. It assumes only independent
// samples of a continuous distribution. It returns the interval's own coverage, which is
// below level when n is too small for any such l (five samples give at most 93.75%); the
// interval is then the samples' range.
func MedianCI(sorted []float64, level float64) (lo, hi, coverage float64) {
	n := len(sorted)
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	best := 1
	cdf := 0.0 // P(B ≤ l−1)
	for l := 1; l <= (n+1)/2; l++ {
		cdf += binomialHalf(n, l-1)
		c := 1 - 2*cdf
		if l > 1 && c < level {
			break
		}
		best, coverage = l, c
	}
	return sorted[best-1], sorted[n-best], coverage
}

// binomialHalf is P(B = k) for B ~ Binomial(n, ½), computed in logarithms so that large n
// does not underflow.
func binomialHalf(n, k int) float64 {
	ln, _ := math.Lgamma(float64(n + 1))
	lk, _ := math.Lgamma(float64(k + 1))
	lnk, _ := math.Lgamma(float64(n - k + 1))
	return math.Exp(ln - lk - lnk - float64(n)*math.Ln2)
}

package bench

import (
	"math"
	"slices"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name     string
		in       []float64
		want     Summary
		outliers []int
	}{
		{"empty", nil, Summary{}, nil},
		{"one", []float64{3}, Summary{N: 1, Median: 3, Min: 3, Max: 3, Mean: 3}, nil},
		{"even", []float64{4, 1, 3, 2}, Summary{N: 4, Median: 2.5, Min: 1, Max: 4, Mean: 2.5, MAD: 1}, nil},
		{"outlier", []float64{10, 11, 10, 12, 11, 10, 100}, Summary{N: 7, Median: 11, Min: 10, Max: 100, Mean: 164.0 / 7, MAD: 1}, []int{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summarize(tt.in)
			if !slices.Equal(got.Outliers, tt.outliers) {
				t.Errorf("outliers = %v, want %v", got.Outliers, tt.outliers)
			}
			got.Outliers = nil
			if math.Abs(got.Mean-tt.want.Mean) < 1e-9 {
				got.Mean = tt.want.Mean
			}
			if !equalSummary(got, tt.want) {
				t.Errorf("Summarize(%v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func equalSummary(a, b Summary) bool {
	return a.N == b.N && a.Median == b.Median && a.Min == b.Min && a.Max == b.Max && a.Mean == b.Mean && a.P99 == b.P99 && a.MAD == b.MAD
}

func TestSummarizeP99(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	s := Summarize(xs)
	if s.P99 != 99 {
		t.Errorf("p99 of 1..100 = %v, want 99", s.P99)
	}
	if s.Median != 50.5 {
		t.Errorf("median = %v, want 50.5", s.Median)
	}
	if s := Summarize(xs[:19]); s.P99 != 0 {
		t.Errorf("p99 with n=19 = %v, want unset", s.P99)
	}
}

func TestRatioCI(t *testing.T) {
	a := []float64{20, 21, 19, 22, 20, 20, 21, 19, 20, 23}
	b := []float64{10, 10.5, 9.5, 10, 11, 10, 9.8, 10.2, 10, 10}
	r := RatioCI(a, b, 0.95, 2000, 1)
	if r.Value != 2 {
		t.Errorf("ratio = %v, want 2", r.Value)
	}
	if !(r.Lo <= r.Value && r.Value <= r.Hi) || r.Lo < 1.7 || r.Hi > 2.4 {
		t.Errorf("interval [%v, %v] does not bracket 2 tightly", r.Lo, r.Hi)
	}
	if !r.Significant() {
		t.Error("a clear 2x difference is not significant")
	}
	if again := RatioCI(a, b, 0.95, 2000, 1); again != r {
		t.Errorf("same seed, different interval: %+v vs %+v", again, r)
	}
	same := RatioCI(b, b, 0.95, 2000, 1)
	if same.Significant() {
		t.Errorf("a series against itself is significant: %+v", same)
	}
	if z := RatioCI(nil, b, 0.95, 10, 1); z != (Ratio{}) {
		t.Errorf("empty input gave %+v", z)
	}
	if z := RatioCI(a, []float64{0, 0}, 0.95, 10, 1); z != (Ratio{}) {
		t.Errorf("zero denominator gave %+v", z)
	}
}

func BenchmarkRatioCI(b *testing.B) {
	xs := make([]float64, 50)
	for i := range xs {
		xs[i] = float64(i%7) + 10
	}
	for b.Loop() {
		RatioCI(xs, xs, 0.95, 1000, 1)
	}
}

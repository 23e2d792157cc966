package unionfind

import (
	"math/rand/v2"
	"testing"
)

// TestAgainstLabels checks the forest against a naive relabelling: every
// union rewrites one label to the other across the whole slice.
func TestAgainstLabels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		n := 1 + rng.IntN(40)
		f := New(n)
		label := make([]int, n)
		for i := range label {
			label[i] = i
		}
		for range rng.IntN(2 * n) {
			a, b := rng.Int32N(int32(n)), rng.Int32N(int32(n))
			apart := label[a] != label[b]
			if got := f.Union(a, b); got != apart {
				t.Fatalf("iter %d: Union(%d,%d) = %v, want %v", iter, a, b, got, apart)
			}
			la, lb := label[a], label[b]
			for i := range label {
				if label[i] == lb {
					label[i] = la
				}
			}
			x, y := rng.Int32N(int32(n)), rng.Int32N(int32(n))
			if f.Same(x, y) != (label[x] == label[y]) {
				t.Fatalf("iter %d: Same(%d,%d) wrong", iter, x, y)
			}
		}
		roots := f.Roots()
		for v := range n {
			// The representative is the smallest id with the same label.
			want := v
			for u := range n {
				if label[u] == label[v] {
					want = u
					break
				}
			}
			if int(roots[v]) != want {
				t.Fatalf("iter %d: root of %d = %d, want %d", iter, v, roots[v], want)
			}
		}
	}
}

func TestEmpty(t *testing.T) {
	if f := New(0); f.Len() != 0 || len(f.Roots()) != 0 {
		t.Fatal("empty forest not empty")
	}
	if f := New(-3); f.Len() != 0 {
		t.Fatal("negative size not empty")
	}
}

// TestDeep joins a long path one way and finds its far end without recursion.
func TestDeep(t *testing.T) {
	n := 1 << 20
	f := New(n)
	for i := n - 1; i > 0; i-- {
		f.Union(int32(i), int32(i-1))
	}
	if f.Find(int32(n-1)) != 0 {
		t.Fatal("deep path root wrong")
	}
}

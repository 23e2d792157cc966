package reason

import "testing"

// TestClosureOnFirstUse: a check (contradictions and their chains, layers) builds no full
// closure; the first question that needs one builds it, and it is the closure of the
// order's DAG.
func TestClosureOnFirstUse(t *testing.T) {
	// 0 > 1 > 2 > 3, 3 > 1 (a cycle), 4 = 5, 5 > 0
	o, err := NewOrder(6, []Edge{{0, 1}, {1, 2}, {2, 3}, {3, 1}, {5, 0}}, []Edge{{4, 5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Contradictions()) != 1 || len(o.Layers()) == 0 {
		t.Fatalf("contradictions %v, layers %v", o.Contradictions(), o.Layers())
	}
	if !o.full || o.closure != nil {
		t.Fatalf("full %v, closure %v: a check built the closure", o.full, o.closure)
	}
	if !o.Greater(4, 2) || o.Greater(2, 4) {
		t.Error("4 > 2 and not 2 > 4")
	}
	if o.closure == nil {
		t.Fatal("Greater did not build the closure")
	}
	want := newClosure(o.nClass, o.succOff, o.succ)
	for u := range int32(o.nClass) {
		for v := range int32(o.nClass) {
			if o.closure.has(u, v) != want.has(u, v) {
				t.Errorf("class %d reaches %d: %v, a closure built now says %v", u, v, o.closure.has(u, v), want.has(u, v))
			}
		}
	}
}

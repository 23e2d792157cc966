package reason_test

import (
	"fmt"

	"github.com/strata-dev/strata/reason"
)

// The seed's isolation strength, "L-0 = L-4 > L-1 > L-2 > L-3", with nodes
// 0..4 standing for L-0..L-4.
func isolationStrength() *reason.Order {
	strict := []reason.Edge{{From: 4, To: 1}, {From: 1, To: 2}, {From: 2, To: 3}}
	equal := []reason.Edge{{From: 0, To: 4}}
	o, err := reason.NewOrder(5, strict, equal)
	if err != nil {
		panic(err)
	}
	return o
}

func Example() {
	o := isolationStrength()
	fmt.Println("L-0 > L-1:", o.Greater(0, 1))
	fmt.Println("L-0 > L-4:", o.Greater(0, 4))
	fmt.Println("L-0 = L-4:", o.Equal(0, 4))
	fmt.Println("layers:", o.Layers())
	// Output:
	// L-0 > L-1: true
	// L-0 > L-4: false
	// L-0 = L-4: true
	// layers: [[0 4] [1] [2] [3]]
}

func ExampleOrder_Derive() {
	o := isolationStrength()
	steps, ok := o.Derive(0, 2) // why is L-0 > L-2?
	fmt.Println(ok)
	for _, s := range steps {
		fmt.Printf("%+v\n", s)
	}
	// Output:
	// true
	// {Index:0 Equal:true Reversed:false}
	// {Index:0 Equal:false Reversed:false}
	// {Index:1 Equal:false Reversed:false}
}

func ExampleOrder_Contradictions() {
	// a > b, b > c, c = a: both strict facts lie on one cycle, reported once,
	// at its first fact, with the shortest chain that closes it.
	o, err := reason.NewOrder(3, []reason.Edge{{From: 0, To: 1}, {From: 1, To: 2}}, []reason.Edge{{From: 2, To: 0}})
	if err != nil {
		panic(err)
	}
	for _, c := range o.Contradictions() {
		fmt.Printf("strict fact %d, closed by %+v; %d strict facts among %d nodes\n", c.Edge, c.Back, c.Facts, c.Nodes)
	}
	// Output:
	// strict fact 0, closed by [{Index:1 Equal:false Reversed:false} {Index:0 Equal:true Reversed:false}]; 2 strict facts among 3 nodes
}

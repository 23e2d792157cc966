package network_test

import (
	"fmt"

	"github.com/strata-dev/strata/network"
)

func ExampleParseChain() {
	c, err := network.ParseChain("L-0 = L-4 > L-1 > L-2 > L-3")
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, op := range c.Ops {
		fmt.Printf("%s %s %s\n", c.Terms[i].Text, op, c.Terms[i+1].Text)
	}

	// Terms keep the seed's labels; "->" reads as "→".
	c, _ = network.ParseChain("A1 technical -> A5 software")
	fmt.Printf("%q %s %q\n", c.Terms[0].Text, c.Ops[0], c.Terms[1].Text)

	// A chain reads in one direction.
	_, err = network.ParseChain("L-0 > L-1 < L-2")
	fmt.Println(err)
	// Output:
	// L-0 = L-4
	// L-4 > L-1
	// L-1 > L-2
	// L-2 > L-3
	// "A1 technical" → "A5 software"
	// offset 10: chain mixes ">" with "<"
}

func ExampleParseFormula() {
	f, err := network.ParseFormula("problem-location = 横坐标(O1) × 纵坐标(O2)")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Result.Text, f.Op, f.Operands[0].Text, f.Operands[1].Text)

	// x (as a word of its own) and * are read as ×.
	f, _ = network.ParseFormula("problem-location = O1 x O2")
	fmt.Println(f.Result.Text, f.Op, f.Operands[0].Text, f.Operands[1].Text)

	f, _ = network.ParseFormula("complete-observability = O1 horizontal (OTLP) + O2 vertical (eBPF)")
	fmt.Printf("%s %s %q\n", f.Result.Text, f.Op, []string{f.Operands[0].Text, f.Operands[1].Text})

	_, err = network.ParseFormula("a = b + c × d")
	fmt.Println(err)
	// Output:
	// problem-location × 横坐标(O1) 纵坐标(O2)
	// problem-location × O1 O2
	// complete-observability + ["O1 horizontal (OTLP)" "O2 vertical (eBPF)"]
	// offset 10: formula mixes "+" with "×"
}

package reason_test

import (
	"fmt"
	"strings"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// defaultReasoner builds the reasoner over the embedded default network.
func defaultReasoner() (*network.Network, *reason.Reasoner) {
	n, err := network.Default()
	if err != nil {
		panic(err)
	}
	r, err := reason.New(n)
	if err != nil {
		panic(err)
	}
	return n, r
}

// Compare the sandbox with paravirtualization under every order that relates them: the
// sandbox isolates more strongly and costs less. Each verdict comes with the declared
// facts it is derived from.
func ExampleReasoner_Compare() {
	n, r := defaultReasoner()
	sandbox, _ := n.Resolve("sandbox") // names, Chinese names and aliases resolve too
	paravirt, _ := n.Resolve("L-2")
	for _, c := range r.Compare(sandbox, paravirt) {
		rt, _ := n.Relation(c.Relation)
		steps := make([]string, len(c.Derivation))
		for i, f := range c.Derivation {
			steps[i] = reason.FactText(rt, f)
		}
		fmt.Printf("%s: %s is %s (%s) by %s\n", c.Relation, sandbox.ID, c.Word, c.Verdict, strings.Join(steps, ", "))
	}
	// Output:
	// isolation-strength: L-4 is stronger (greater) by L-4 > L-1, L-1 > L-2
	// overhead: L-4 is lower overhead (less) by L-2 > L-4
}

// Which isolation layers are worth considering when isolation should be strong and
// overhead low? Those no other layer beats on both: the container and the sandbox.
func ExampleReasoner_Pareto() {
	_, r := defaultReasoner()
	crit, err := r.ParseCriteria([]string{"isolation-strength:max", "overhead:min"})
	if err != nil {
		panic(err)
	}
	f := r.Pareto(crit, nil)
	fmt.Println("front:", strings.Join(f.Front, ", "))
	for _, d := range f.Dominated {
		fmt.Printf("%s is beaten by %s on %s\n", d.Entity, d.By, strings.Join(d.Better, " and "))
	}
	// Output:
	// front: L-3, L-4
	// L-0 is beaten by L-4 on overhead
	// L-1 is beaten by L-4 on isolation-strength and overhead
	// L-2 is beaten by L-4 on isolation-strength and overhead
}

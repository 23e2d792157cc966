// Package plantest builds the planner the tests of several packages start from: the
// embedded default network with overlay files laid over it, its reasoner and its planner.
// It keeps that construction in one place so a change to how a planner is made is made once.
package plantest

import (
	"testing"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/reason"
)

// Network loads the default network with extra files laid over it, failing t on a problem.
func Network(t testing.TB, extra ...network.File) *network.Network {
	t.Helper()
	n, err := network.Load(append(network.DefaultFiles(), extra...))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Planner builds the reasoner and the planner of n, failing t on a problem.
func Planner(t testing.TB, n *network.Network) (*reason.Reasoner, *plan.Planner) {
	t.Helper()
	r, err := reason.New(n)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.New(r)
	if err != nil {
		t.Fatal(err)
	}
	return r, p
}

//go:build race

package network_test

// raceEnabled: the race detector makes code several times slower; CPU budgets scale.
const raceEnabled = true

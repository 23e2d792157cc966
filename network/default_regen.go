//go:build strata_regen

package network

// compiledDefault is absent while default_gen.go is being made (go generate ./network
// builds with -tags strata_regen), so that a stale or broken generated file never stops
// its own repair; Default then loads the YAML files.
var compiledDefault *Network

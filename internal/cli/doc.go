// Package cli is the strata command line: it wires flags to the network, reason and other
// library packages and renders their answers as tables, JSON or YAML. [Run] is the whole
// program, so tests drive it without a process.
//
// Each command's code is in the file named for it, over the library package that does the
// work:
//
//	root.go           strata itself: global flags, exit codes, loading the network
//	show.go           show                                  network
//	query.go          compare, why, rank, path, pareto      reason
//	check.go          check                                 network
//	export.go         export                                network
//	import.go         import                                kb
//	plan.go           plan, scenarios, coordinates          plan, plan/manifest
//	plan_measured.go  plan --measured, --host               measured
//	probe.go          probe                                 probe
//	bench.go          bench, verify                         bench
//	serve.go          serve (watch.go: --watch)             internal/server
//	locate.go         locate                                locate, locate/ebpf, locate/procfs
//	fleet.go          fleet, fleet plan                     fleet
//
// output.go is the one -o switch every command shares; inputs.go reads the files commands
// take.
package cli

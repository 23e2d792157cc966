// Command strata turns the multi-dimensional relation network of the cloud-native stack
// into answers: show, compare, why, rank, path, pareto, check and export. Run
// "strata --help" for the tour.
package main

import (
	"context"
	"os"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/internal/cli"
)

func main() {
	// strata bench starts this executable again to run its workloads: such a process runs
	// the workload and ends here.
	if code, ok := bench.ReexecInit(); ok {
		os.Exit(code)
	}
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

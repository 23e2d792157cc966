// Command strata turns the multi-dimensional relation network of the cloud-native stack
// into answers: show, compare, why, rank, path, pareto, check and export. Run
// "strata --help" for the tour.
package main

import (
	"context"
	"os"

	"github.com/strata-dev/strata/internal/cli"
)

func main() { os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }

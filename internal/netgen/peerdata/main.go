// Command peerdata writes the synthetic networks the reasoner's peer benchmarks read
// (BENCHMARKS.md), from internal/netgen:
//
//	go run ./internal/netgen/peerdata [-o DIR] [-seed N] [small|medium|large ...]
//
// Each size goes to DIR/<size>/ (DIR defaults to $PEERS_DATA, else
// /tmp/strata-peers-data); see netgen.WritePeerDir for the files.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/strata-dev/strata/internal/netgen"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the command: 0 when every size was written, 1 when writing failed, 2 for a usage
// error.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("peerdata", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("o", "", "output folder (default $PEERS_DATA, else /tmp/strata-peers-data)")
	seed := fs.Uint64("seed", netgen.DefaultSeed, "random seed")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		*dir = os.Getenv("PEERS_DATA")
	}
	if *dir == "" {
		*dir = "/tmp/strata-peers-data"
	}
	names := fs.Args()
	if len(names) == 0 {
		names = []string{"small", "medium", "large"}
	}
	var sizes []netgen.Size
	for _, name := range names {
		s, err := netgen.ParseSize(name)
		if err != nil {
			fmt.Fprintln(stderr, "peerdata:", err)
			return 2
		}
		sizes = append(sizes, s)
	}
	for _, s := range sizes {
		out := filepath.Join(*dir, s.String())
		if err := netgen.WritePeerDir(out, s, *seed); err != nil {
			fmt.Fprintln(stderr, "peerdata:", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: %d nodes, %d facts, seed %d\n", out, s.Nodes(), s.Facts(), *seed)
	}
	return 0
}

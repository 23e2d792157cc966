package netgen

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/strata-dev/strata/reason"
)

// SourceCount is how many random sources the peers' sources.csv holds.
const SourceCount = 1_000

// WritePeerDir writes a network of size s, deterministic in seed, as the peers' benchmark
// scripts read it, into dir (created if needed): nodes.csv (one id a line), gt.csv ("a,b":
// a > b; [Generate]'s strict facts), eq.csv ("a,b": a = b), gt_cyc.csv (gt.csv plus the
// back edge of [WithBackEdge]) and backedge.csv, pairs.csv ([Pairs]: PairCount point
// queries) and sources.csv (SourceCount random sources). [LoadPeerDir] reads it back as
// the benchmarks generate it when no folder is given.
func WritePeerDir(dir string, s Size, seed uint64) error {
	n := s.Nodes()
	strict, equal, back := WithBackEdge(n, s.Facts(), seed)
	gt := strict
	var backEdge []reason.Edge
	if back >= 0 {
		gt, backEdge = strict[:back], strict[back:]
	}
	var pairs []reason.Edge
	for _, p := range Pairs(n, PairCount, seed) {
		pairs = append(pairs, reason.Edge{From: p[0], To: p[1]})
	}
	rng := rand.New(rand.NewPCG(seed, 0x736f7572636573))
	sources := make([]int32, SourceCount)
	for i := range sources {
		sources[i] = rng.Int32N(int32(n))
	}
	nodes := make([]int32, n)
	for i := range nodes {
		nodes[i] = int32(i)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write peer data: %w", err)
	}
	for _, f := range []struct {
		name  string
		edges []reason.Edge
		ids   []int32
	}{
		{name: "nodes.csv", ids: nodes},
		{name: "gt.csv", edges: gt},
		{name: "eq.csv", edges: equal},
		{name: "gt_cyc.csv", edges: strict},
		{name: "backedge.csv", edges: backEdge},
		{name: "pairs.csv", edges: pairs},
		{name: "sources.csv", ids: sources},
	} {
		if err := writeCSV(filepath.Join(dir, f.name), f.edges, f.ids); err != nil {
			return err
		}
	}
	return nil
}

// writeCSV writes edges as "a,b" lines, then ids one a line.
func writeCSV(path string, edges []reason.Edge, ids []int32) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write peer data: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	var b []byte
	for _, e := range edges {
		b = strconv.AppendInt(b[:0], int64(e.From), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(e.To), 10)
		w.Write(append(b, '\n'))
	}
	for _, id := range ids {
		b = strconv.AppendInt(b[:0], int64(id), 10)
		w.Write(append(b, '\n'))
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write peer data: %w", err)
	}
	return nil
}

// Package netgen makes synthetic relation networks for the reason package's
// tests and benchmarks, writes them as the CSV files the peer benchmarks
// (SQLite, networkx) read ([WritePeerDir]; go run ./internal/netgen/peerdata),
// and reads such files back ([LoadPeerDir]) so that strata and its peers are
// measured on identical data.
//
// Structure: max(1, m/100) equal facts join random nodes into classes; each
// class gets a random rank; the remaining facts are distinct strict facts
// from a node of lower rank to one of higher rank, so the network has no
// contradiction. WithBackEdge adds one strict fact that closes a cycle.
//
// The structure is that of the Python generator the peers' figures in
// BENCHMARKS.md were first measured on; its random streams differ from Go's,
// so the files are alike in structure and size, not edge for edge.
package netgen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/strata-dev/strata/internal/unionfind"
	"github.com/strata-dev/strata/reason"
)

// Size names one of the peers' three network sizes.
type Size int

// The peers' sizes: small 100 nodes / 300 facts, medium 10,000 / 50,000,
// large 200,000 / 1,000,000.
const (
	Small Size = iota
	Medium
	Large
)

// DefaultSeed is the seed of the benchmarks and of the peers' data.
const DefaultSeed = 42

// PairCount is how many point queries the peers' pairs.csv holds.
const PairCount = 10_000

var sizes = [...]struct {
	name         string
	nodes, facts int
}{
	Small:  {"small", 100, 300},
	Medium: {"medium", 10_000, 50_000},
	Large:  {"large", 200_000, 1_000_000},
}

// String returns the size's folder name: small, medium or large.
func (s Size) String() string {
	if s < 0 || int(s) >= len(sizes) {
		return fmt.Sprintf("Size(%d)", int(s))
	}
	return sizes[s].name
}

// Nodes returns the number of nodes of a network of this size.
func (s Size) Nodes() int { return sizes[s].nodes }

// Facts returns the number of facts (strict plus equal) of this size.
func (s Size) Facts() int { return sizes[s].facts }

// ParseSize returns the size named small, medium or large.
func ParseSize(name string) (Size, error) {
	for i, s := range sizes {
		if s.name == name {
			return Size(i), nil
		}
	}
	return 0, fmt.Errorf("unknown network size %q: want small, medium or large", name)
}

// Generate returns a contradiction-free network of n nodes and m facts,
// deterministic in seed. When n is too small to hold m distinct facts it
// returns as many as fit.
func Generate(n, m int, seed uint64) (strict, equal []reason.Edge) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	strict, equal, _ = generate(rng, n, m)
	return strict, equal
}

func generate(rng *rand.Rand, n, m int) (strict, equal []reason.Edge, rank []int32) {
	if n <= 0 {
		return nil, nil, nil
	}
	nEq := max(1, m/100)
	if n < 2 {
		nEq = 0
	}
	nEq = min(nEq, n*(n-1)/2)
	classes := unionfind.New(n)
	seenEq := make(map[uint64]struct{}, nEq)
	for len(equal) < nEq {
		a, b := rng.Int32N(int32(n)), rng.Int32N(int32(n))
		if a == b {
			continue
		}
		if _, dup := seenEq[key(min(a, b), max(a, b))]; dup {
			continue
		}
		seenEq[key(min(a, b), max(a, b))] = struct{}{}
		equal = append(equal, reason.Edge{From: a, To: b})
		classes.Union(a, b)
	}
	// Rank each class by a random permutation of its representative.
	perm := rng.Perm(n)
	rank = make([]int32, n)
	classSize := make([]int64, n)
	for v := range n {
		r := classes.Find(int32(v))
		rank[v] = int32(perm[r])
		classSize[r]++
	}
	// Facts that can exist: ordered pairs in different classes, one
	// direction each.
	possible := int64(n) * int64(n)
	for _, s := range classSize {
		possible -= s * s
	}
	nGt := min(int64(max(0, m-nEq)), possible/2)
	strict = make([]reason.Edge, 0, nGt)
	seen := make(map[uint64]struct{}, nGt)
	for int64(len(strict)) < nGt {
		a, b := rng.Int32N(int32(n)), rng.Int32N(int32(n))
		if rank[a] == rank[b] {
			continue
		}
		if rank[a] > rank[b] {
			a, b = b, a
		}
		k := key(a, b)
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		strict = append(strict, reason.Edge{From: a, To: b})
	}
	return strict, equal, rank
}

func key(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// WithBackEdge is Generate plus one strict fact v > u appended to strict,
// where a random walk of 3 to 6 strict facts leads from u down to v, so the
// new fact closes a cycle of at least 4 facts: a contradiction. back is its
// index in strict. When no walk of 3 facts exists (tiny networks) it uses the
// longest walk found, and when there is no strict fact at all back is -1.
func WithBackEdge(n, m int, seed uint64) (strict, equal []reason.Edge, back int) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	strict, equal, _ = generate(rng, n, m)
	if len(strict) == 0 {
		return strict, equal, -1
	}
	off := make([]int32, n+1)
	for _, e := range strict {
		off[e.From+1]++
	}
	for i := range n {
		off[i+1] += off[i]
	}
	adj := make([]int32, len(strict))
	pos := append([]int32(nil), off[:n]...)
	for _, e := range strict {
		adj[pos[e.From]] = e.To
		pos[e.From]++
	}
	best, bestHops := reason.Edge{}, 0
	for try := 0; try < 100*n && bestHops < 3; try++ {
		u := rng.Int32N(int32(n))
		v, hops := u, 0
		for hops < 6 && off[v+1] > off[v] {
			v = adj[off[v]+rng.Int32N(off[v+1]-off[v])]
			hops++
		}
		if hops > bestHops {
			best, bestHops = reason.Edge{From: v, To: u}, hops
		}
	}
	return append(strict, best), equal, len(strict)
}

// Pairs returns count random (a, b) query pairs over n nodes.
func Pairs(n, count int, seed uint64) [][2]int32 {
	if n <= 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x7061697273))
	out := make([][2]int32, count)
	for i := range out {
		out[i] = [2]int32{rng.Int32N(int32(n)), rng.Int32N(int32(n))}
	}
	return out
}

// LoadPeerDir reads one size folder as [WritePeerDir] writes it: nodes.csv (one id a
// line; n is the line count), gt.csv ("a,b" means a > b), eq.csv ("a,b"
// means a = b) and pairs.csv (query pairs).
func LoadPeerDir(dir string) (n int, strict, equal []reason.Edge, pairs [][2]int32, err error) {
	nodes, err := os.ReadFile(filepath.Join(dir, "nodes.csv"))
	if err != nil {
		return 0, nil, nil, nil, fmt.Errorf("load peer data: %w", err)
	}
	n = bytes.Count(nodes, []byte("\n"))
	if len(nodes) > 0 && nodes[len(nodes)-1] != '\n' {
		n++
	}
	if strict, err = readPairs(filepath.Join(dir, "gt.csv"), n); err != nil {
		return 0, nil, nil, nil, err
	}
	if equal, err = readPairs(filepath.Join(dir, "eq.csv"), n); err != nil {
		return 0, nil, nil, nil, err
	}
	q, err := readPairs(filepath.Join(dir, "pairs.csv"), n)
	if err != nil {
		return 0, nil, nil, nil, err
	}
	pairs = make([][2]int32, len(q))
	for i, e := range q {
		pairs[i] = [2]int32{e.From, e.To}
	}
	return n, strict, equal, pairs, nil
}

// readPairs parses "a,b" lines of non-negative ids below n. A hand-written
// parser because the large gt.csv has a million lines and encoding/csv
// allocates a slice per record.
func readPairs(path string, n int) ([]reason.Edge, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load peer data: %w", err)
	}
	out := make([]reason.Edge, 0, bytes.Count(data, []byte("\n"))+1)
	line := 0
	for len(data) > 0 {
		line++
		end := bytes.IndexByte(data, '\n')
		var row []byte
		if end < 0 {
			row, data = data, nil
		} else {
			row, data = data[:end], data[end+1:]
		}
		row = bytes.TrimRight(row, "\r")
		if len(row) == 0 {
			continue
		}
		a, rest, ok := parseID(row, n)
		if !ok || len(rest) == 0 || rest[0] != ',' {
			return nil, fmt.Errorf("%s:%d: want \"a,b\" with ids in [0,%d), got %q", path, line, n, row)
		}
		b, rest, ok := parseID(rest[1:], n)
		if !ok || len(rest) != 0 {
			return nil, fmt.Errorf("%s:%d: want \"a,b\" with ids in [0,%d), got %q", path, line, n, row)
		}
		out = append(out, reason.Edge{From: a, To: b})
	}
	return out, nil
}

func parseID(s []byte, n int) (int32, []byte, bool) {
	v, i := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		v = v*10 + int(s[i]-'0')
		if v >= n {
			return 0, nil, false
		}
		i++
	}
	return int32(v), s[i:], i > 0
}

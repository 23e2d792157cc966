// Package reason answers order questions over a network of declared facts
// between dense integer node ids: which node is greater than which, which are
// equal, where the contradictions are, how the nodes rank into layers, and the
// shortest chain of declared facts behind any derived fact.
//
// A network is two lists of [Edge]: strict facts (From > To) and equal facts
// (From = To). [NewOrder] builds everything once:
//
//   - equality classes with union-find (for [Order.Equal]);
//   - strongly connected components of the step graph, in which a strict fact
//     is a step From → To and an equal fact is a step both ways. Each
//     component is a class ([Order.Class]); a class that contains a strict
//     fact is a contradiction (a > b and b >= a), reported by
//     [Order.Contradictions] once per class (and once per self fact a > a),
//     with the shortest chain that closes the cycle through its first fact,
//     so a report grows with the number of cycles, not with their product;
//   - the condensed DAG of classes, numbered in topological order, so that
//     a class can only reach classes with a larger number;
//   - layers ([Order.Layers]): the longest path from a maximum;
//   - a reachability structure for [Order.Greater]. When the classes are few
//     enough that a bitset per class fits in about 256 MB, it is the full
//     transitive closure (one bit test per query), built on the first question
//     that needs it: contradictions do not, so checking a network never builds
//     it. Otherwise it is an index
//     of cuts: longest-path levels from both ends, two more topological
//     orders built to disagree with the first (FELINE), three random DFS
//     interval labels (GRAIL), a spanning-tree interval, and reachability to
//     and from 256 hub classes. The cuts answer most queries in O(1); the
//     rest run a bidirectional search that applies the cuts at every class,
//     with visited marks reused across queries instead of allocated.
//
// Derivations ([Order.Derive], [Order.DeriveEqual] for equal facts alone)
// are breadth-first searches over the declared facts (from both ends when they
// can be), pruned to the nodes that can lie between the two ends, so they
// return a chain with the fewest facts.
//
// [Reasoner] maps a loaded network onto one Order per transitive relation. A
// relation asked for by its inverse name is the same order read the other way
// round in every question (why, path, rank, Pareto), and one entity's facts
// ([Reasoner.FactsAbout], [Reasoner.DerivedAbout]) cost its own neighbourhood,
// never the closure.
//
// An [Order] is immutable once built and every method is safe for concurrent
// use by multiple goroutines: per-query scratch space comes from a sync.Pool
// and lazily computed results (the full closure, contradiction chains,
// closure size) are guarded by sync.Once.
package reason

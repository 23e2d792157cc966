// Package network is strata's model of the multi-dimensional relation network of the
// cloud-native stack: entities (dimension values, axis points, technologies, scenarios,
// requirements, concepts), dimensions (some of them the X/Y/Z coordinate axes), relation
// types with declared algebraic properties, and facts with their source and kind.
//
// Networks are written as YAML documents in the Kubernetes style
// (apiVersion strata.dev/v1alpha1, kind, metadata, spec), several per file. The seed's own
// chain notation is data: "L-0 = L-4 > L-1 > L-2 > L-3", "A1 → A5 → A6 → A7", and formulas
// such as "problem-location = O1 × O2" are parsed by [ParseChain] and [ParseFormula].
//
// [Load] turns files into a [Network] and reports every problem it finds at once as
// [Problems], each with file:line:col and a hint; [LoadContext] stops when its context is
// done. The YAML underneath is read by package [yamlpos], with bounded work. [Default] returns the embedded network
// that holds every fact of the seed. A loaded Network is immutable and safe for concurrent
// readers.
package network

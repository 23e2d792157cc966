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
//
// An importer that knows where everything it read came from (package kb, reading
// Markdown) hands [LoadDecls] its declarations as values ([Decls]) instead of writing
// YAML; a [Loader] keeps its last network and, when only chains and facts changed,
// resolves only those, the new network sharing the last one's entities.
//
// # Where the seed lives
//
// The embedded default network is network/default/*.yaml, one file per part of the seed
// (compiled into default_gen.go by go generate; see [Default]):
//
//	00-relations.yaml      the relation types: isolation-strength, overhead, leads-to, …
//	10-isolation.yaml      30.6.1 the four-layer isolation stack, L-0 … L-4
//	20-architecture.yaml   30.6.2 the seven-view architecture framework, A1 … A7
//	30-timeline.yaml       30.6.3 evolution over time
//	40-scenarios.yaml      30.6.4 application scenarios, with their X/Y/Z coordinates
//	50-observability.yaml  30.6.5 observability, O1 × O2
//	60-axes.yaml           the coordinate axes X, Y, Z (section 30.5)
//	70-technologies.yaml   the technologies the seed names, linked to what they represent
//	80-planning.yaml       what the planner knows beyond the seed (figures, needs, files)
//	85-measured.yaml       how strata bench's measurements stand for the planner's figures
//
// Reasoning over the network is package reason; planning, package plan; the commands that
// show and query it are in internal/cli.
package network

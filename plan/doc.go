// Package plan turns a workload's requirements into coordinates (X, Y, Z), a stack of
// technologies, and the reasons for each choice, all derived from the relation network:
//
//	Workload (YAML, kind: Workload) → requirement entities → constraints and preferences
//	(their attributes in the network) → candidates per role (orchestrator, isolation
//	runtime, policy engine, observability) → the best candidate of each role → coordinates.
//
// Nothing here tabulates answers. Requirements are entities such as fast-startup whose
// attributes bound the attributes of technologies (max-startup-ms: 50 against startup-ms),
// ask for capabilities (runtime-needs: [gpu]) or for a layer at least as strong as another
// under the isolation-strength order. Among the candidates that remain, the engine prefers
// the layer with the lowest overhead (the seed's order, cited with its source), then the
// smallest footprint, then the longest-established technology. The seed's scenario table
// is the test oracle: planning each seed scenario from its key requirements reproduces its
// stack and coordinates.
//
// [Planner.Measuring] plans with figures measured on a host (package measured makes them
// from strata bench results) in place of the declared ones they cover; such a plan lists
// every measurable figure it read with its source and says which choices the measurements
// changed. [Planner.Excluding] rejects technologies for reasons outside the workload, such
// as a host or a fleet that cannot serve them.
//
// A [Planner] is immutable and safe for concurrent use.
package plan

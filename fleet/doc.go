// Package fleet reads a Kubernetes cluster the way strata's probe labelled it and plans
// against it.
//
// Every node runs `strata probe -o nfd` (the Helm chart's DaemonSet): Node Feature
// Discovery, or the probe itself in direct mode ([LabelNode]), turns its lines into node
// labels under feature.node.kubernetes.io/strata-: one per isolation layer and containerd
// runtime handler the node offers, and strata-probed-at, the Unix time of the probe, so
// stale labels can be seen. [ParseNode] reads them back, reporting malformed ones per node
// instead of failing; [Read] lists the nodes and RuntimeClasses page by page as kubectl
// does; [Summarize] groups the nodes by what they offer, says which RuntimeClasses no
// node can serve and which labels are older than the probe interval.
//
// For planning, [Fleet.Exclusion] tells the planner which runtimes no node offers,
// [Fleet.Eligible] counts the nodes a runtime's pods may be scheduled on, and [Fleet.X]
// places the cluster (or several) on the X axis so a plan's X can be checked against it.
// [Apply] server-side applies emitted objects with the field manager "strata".
//
// Errors from the API server are turned into ones that say what to do: [Unreachable]
// names the server and the kubeconfig, [Forbidden] the verb and resource RBAC denied, and
// [ApplyConflict] the fields and the manager that owns them.
package fleet

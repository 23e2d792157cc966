// Package manifest turns a planner's decision for one workload into the files that make a
// cluster enforce it: Kubernetes objects built from k8s.io/api types, a Gatekeeper policy,
// containerd runtime configuration for the node, and the observability wiring.
//
// The input is a [Choice]: the workload, the orchestrator, the coordinates (X, Y, Z), the
// isolation [Runtime] that was chosen and the runtime classes at least as strong as it. [Build]
// validates the Choice and returns the [Object]s in the order they are applied:
//
//	00-containerd-<handler>.toml[.tmpl]   node file: registers the runtime with containerd
//	                                      (K3s config template, or a /etc/containerd drop-in)
//	10-runtimeclass-<class>.yaml          RuntimeClass: real handler, overhead.podFixed,
//	                                      scheduling on the label the host probe publishes
//	20-constrainttemplate-….yaml          Gatekeeper ConstraintTemplate (Z ≥ 2): Rego that
//	30-constraint-<workload>….yaml        denies labelled pods whose runtimeClassName is not
//	                                      among the allowed classes, and its Constraint
//	40-configmap-<workload>-otel-….yaml   OTel Collector configuration (OTLP chosen)
//	41-configmap-<workload>-prom….yaml    Prometheus scrape job for the workload (Prometheus)
//	42-deployment-<workload>-otel-….yaml  the Collector running that configuration, and
//	43-service-<workload>-otel-….yaml     its Service (OTLP chosen, no OTLPEndpoint given)
//	50-networkpolicy-<workload>.yaml      default-deny NetworkPolicy (Z ≥ 1)
//	60-<kind>-<workload>.yaml             the Deployment, Pod or Job itself
//
// The numeric prefixes keep `kubectl apply -f DIR` in that order; kubectl skips the .toml
// files, which belong on the nodes (see [Object].Target). Gatekeeper creates the Constraint's
// kind asynchronously after the template, so a first apply may need a retry for file 30.
//
// K3s reads one containerd template per node, and every K3s node file targets that one path
// and starts by rendering K3s's own configuration ("base"), so two such files overwrite each
// other rather than add up: if the node needs several strata runtimes, keep one base line and
// append each runtime table. The header of each file says so.
//
// The Collector Build deploys runs under the cluster's default runtime and does not carry the
// workload's strata.dev/workload label, so the workload's NetworkPolicy and Gatekeeper
// constraint do not select it, and its traffic to OTLPUpstream is not restricted. The
// workload's own egress to an OTLPEndpoint elsewhere is opened in the NetworkPolicy (see
// [Choice].OTLPEndpoint).
//
// Node selection uses Node Feature Discovery labels: the host probe publishes local features
// strata-runtime-<handler> and strata-layer-<L-n>, which NFD prefixes with
// feature.node.kubernetes.io/. GPU workloads also select feature.node.kubernetes.io/
// pci-10de.present, the NVIDIA vendor label the GPU Operator configures NFD to publish.
//
// Output is deterministic: the same Choice gives byte-identical YAML, so the files can be
// kept under version control and compared. [WriteDir] writes them atomically and refuses to
// replace a different existing file unless told to.
//
// All functions are safe for concurrent use; an [Object] is not modified after Build returns.
package manifest

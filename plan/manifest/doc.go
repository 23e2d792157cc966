// Package manifest turns a planner's decision for one workload into the files that make a
// cluster enforce it: Kubernetes objects built from k8s.io/api types, a Gatekeeper policy,
// containerd runtime configuration for the node, and the observability wiring.
//
// The input is a [Choice]: the workload, the coordinates (X, Y, Z), and every fact about
// the technologies the plan chose — the [Orchestrator]'s files and node configuration, the
// isolation [Runtime]'s handler, shim and options with the runtime classes at least as
// strong, and the [Policy] objects that enforce Z. The planner reads them from the network's
// data; Build knows file formats (Kubernetes, Karmada, Docker; containerd, K3s templates,
// daemon.json; the policy object sets), never technology names, so a technology the network
// adds needs no change here. [Build] validates the Choice, one section at a time, and
// returns the [Object]s in the order they are applied:
//
//	00-containerd-<handler>.toml[.tmpl]   node file: registers the runtime with containerd
//	                                      (K3s config template, or a configuration to merge)
//	01-edgecore-<handler>.yaml.merge      node file of a KubeEdge edge node (the orchestrator's
//	                                      node-agent-config): edgecore.yaml keys pointing edged
//	                                      at that containerd, and the labels the node registers
//	10-runtimeclass-<class>.yaml          RuntimeClass: real handler, overhead.podFixed,
//	                                      scheduling on the label the host probe publishes
//	20-constrainttemplate-….yaml          Gatekeeper ConstraintTemplate (gatekeeper-runtime-
//	30-constraint-<workload>….yaml        classes): Rego that denies the workload's pods a
//	                                      class not allowed, and its Constraint
//	21-/31-… stratarequiredlabels         business rules (Z=4): the labels the pods must carry
//	22-validatingadmissionpolicy-<w>-…    the runtime-class pin kube-apiserver enforces itself
//	32-validatingadmissionpolicybinding-… (validating-admission-policy-runtime-classes): CEL
//	                                      that denies the workload's pods a class not allowed,
//	                                      bound to its namespace; no policy engine needed
//	25-configmap-<workload>-opa-admission OPA as admission controller (kube-mgmt loads it)
//	26-configmap-<workload>-opa-wasm-…    the invocation policy OPA-Wasm evaluates
//	40-configmap-<workload>-otel-….yaml   OTel Collector configuration (OTLP chosen)
//	41-configmap-<workload>-prom….yaml    Prometheus scrape job for the workload (Prometheus)
//	42-deployment-<workload>-otel-….yaml  the Collector running that configuration, and
//	43-service-<workload>-otel-….yaml     its Service (OTLP chosen, no OTLPEndpoint given)
//	50-networkpolicy-<workload>.yaml      default-deny NetworkPolicy (network-policy, kept
//	                                      below every Z ≥ 1)
//	60-<kind>-<workload>.yaml             the Deployment, Pod or Job itself
//	70-clusterpropagationpolicy-….yaml    Karmada (X=3): the cluster-scoped objects (the
//	71-propagationpolicy-….yaml           per-cluster RuntimeClass, Gatekeeper policy) and the
//	                                      namespaced ones, placed on member clusters labelled
//	                                      with the layer and handler ([ClusterLayerLabel])
//
// On a single Docker host (X=0) the files are instead: 00-docker-daemon-<handler>.json (the
// daemon.json runtimes entry), 25-opa-docker-authz-<workload>.rego (OPA's Docker
// authorization policy, at Z=2), 60-compose-<workload>.yaml and 61-docker-run-<workload>.sh,
// both running the workload with --runtime <handler>. KubeEdge (X=4) is Kubernetes files whose
// pods select the edge nodes (the orchestrator's node-selector) and whose node files are the
// edge node's containerd and the edgecore.yaml keys that make edged use it and register the
// node with the runtime and layer labels the pods and RuntimeClass select ([EdgeCoreConfig]).
//
// Admission policies select the workload's pods by the strata.dev/workload label of the pod
// template, which the Deployment's selector, the NetworkPolicy and the scrape job also use:
// a pod cannot drop it and stay the workload's, so no other label can be dropped to escape.
//
// The numeric prefixes keep `kubectl apply -f DIR` in that order; kubectl skips the .toml,
// .tmpl and .merge files, which belong on the nodes (see [Object].Target). Gatekeeper creates the Constraint's
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

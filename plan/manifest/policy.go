package manifest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Gatekeeper names of the runtime-class policy.
const (
	// TemplateName is the ConstraintTemplate's metadata.name: its kind in lowercase, as
	// Gatekeeper requires.
	TemplateName = "strataallowedruntimeclasses"
	// ConstraintKind is the kind of the constraints the template defines.
	ConstraintKind = "StrataAllowedRuntimeClasses"
	// RegoPackage is the package of the template's Rego; Gatekeeper queries
	// data.<package>.violation.
	RegoPackage = "strataallowedruntimeclasses"
	// GatekeeperTarget is the admission target the template's Rego is written for.
	GatekeeperTarget = "admission.k8s.gatekeeper.sh"
)

// Gatekeeper names of the business-rules policy (Z=4).
const (
	LabelsTemplateName   = "stratarequiredlabels"
	LabelsConstraintKind = "StrataRequiredLabels"
)

// constraintSuffixes name each workload's constraints: the workload's name and the suffix.
var constraintSuffixes = map[string]string{
	PolicyGatekeeperRuntimeClasses: "-runtime-classes",
	PolicyGatekeeperBusinessRules:  "-business-rules",
}

// LabelPolicyEngine is the annotation on every policy object that names the engine (or,
// for the floor every higher level keeps, the technology) whose objects they are.
const LabelPolicyEngine = "strata.dev/policy-engine"

// Rego is the runtime-class ConstraintTemplate's policy. It is Rego v0 without imports,
// which every Gatekeeper release accepts: Gatekeeper evaluates templates as v0 and rejects
// imports other than data.lib.
//
//go:embed policy/strataallowedruntimeclasses.rego
var Rego string

// LabelsRego is the business-rules ConstraintTemplate's policy, Rego v0 like [Rego].
//
//go:embed policy/stratarequiredlabels.rego
var LabelsRego string

// constrainedKinds are the kinds the Constraint matches: pods and the workload controllers
// whose pod templates the Rego inspects.
func constrainedKinds() []any {
	return []any{
		map[string]any{"apiGroups": []any{""}, "kinds": []any{"Pod", "ReplicationController"}},
		map[string]any{"apiGroups": []any{"apps"}, "kinds": []any{"DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"}},
		map[string]any{"apiGroups": []any{"batch"}, "kinds": []any{"CronJob", "Job"}},
	}
}

// handlersSuffix names the constraint that keeps the allowed RuntimeClasses' handlers: the
// workload's name and the suffix, shorter than the runtime-classes constraint's so that
// Gatekeeper's 63-character limit on names binds no sooner.
const handlersSuffix = "-class-handlers"

// handlersMatch is what the handlers constraint matches: RuntimeClasses, which are
// cluster-scoped. It names neither namespaces nor a scope: the live webhook matches a
// cluster-scoped object whatever namespaces say, but gator reviews it with an empty
// Namespace, which no namespace list and no "Cluster" scope match (gator v3.23.1).
func handlersMatch() map[string]any {
	return map[string]any{
		"kinds": []any{map[string]any{"apiGroups": []any{"node.k8s.io"}, "kinds": []any{"RuntimeClass"}}},
	}
}

// gatekeeperTemplate is a Gatekeeper ConstraintTemplate (templates.gatekeeper.sh/v1) as an
// unstructured object, which keeps Gatekeeper's Go module out of the build.
func gatekeeperTemplate(name, kind, description, rego string, params map[string]any) map[string]any {
	return map[string]any{
		"apiVersion": "templates.gatekeeper.sh/v1",
		"kind":       "ConstraintTemplate",
		"metadata": map[string]any{
			"name":        name,
			"labels":      map[string]any{LabelManagedBy: "strata"},
			"annotations": map[string]any{"description": description},
		},
		"spec": map[string]any{
			"crd": map[string]any{
				"spec": map[string]any{
					"names": map[string]any{"kind": kind},
					"validation": map[string]any{
						"openAPIV3Schema": map[string]any{"type": "object", "properties": params},
					},
				},
			},
			"targets": []any{
				map[string]any{"target": GatekeeperTarget, "rego": rego},
			},
		},
	}
}

func constraintTemplate() map[string]any {
	str := map[string]any{"type": "string"}
	return gatekeeperTemplate(TemplateName, ConstraintKind,
		"Pods of a workload (selected by their pod template's labels) must run under one of the allowed RuntimeClasses, "+
			"so a workload planned for an isolation layer cannot run under a weaker one.",
		Rego, map[string]any{
			"allowed": map[string]any{
				"type":        "array",
				"description": "RuntimeClass names the selected pods may use.",
				"items":       str,
			},
			"handlers": map[string]any{
				"type":                 "object",
				"description":          "The handler each allowed RuntimeClass must have (by class name): a class deleted and created again with another handler would run the selected pods under it.",
				"additionalProperties": str,
			},
			"matchLabels": map[string]any{
				"type":                 "object",
				"description":          "A pod is selected when its (template's) labels include all of these.",
				"additionalProperties": str,
			},
		})
}

func labelsTemplate() map[string]any {
	str := map[string]any{"type": "string"}
	return gatekeeperTemplate(LabelsTemplateName, LabelsConstraintKind,
		"Pods of a workload (selected by their pod template's labels) must carry the labels the workload names: its business rules.",
		LabelsRego, map[string]any{
			"required": map[string]any{
				"type":                 "object",
				"description":          "Labels, with their values, every selected pod must carry.",
				"additionalProperties": str,
			},
			"matchLabels": map[string]any{
				"type":                 "object",
				"description":          "A pod is selected when its (template's) labels include all of these.",
				"additionalProperties": str,
			},
		})
}

// selector is what selects the workload's pods: the label its Deployment selector, its
// NetworkPolicy and its scrape job select by, which a pod cannot drop and stay the
// workload's.
func (s *spec) selector() map[string]string { return map[string]string{LabelWorkload: s.Workload} }

// policyMeta is the metadata of a policy object: the workload's labels and the engine.
func (s *spec) policyMeta(name string, namespaced bool) map[string]any {
	labels := map[string]any{}
	for k, v := range s.objectLabels() {
		labels[k] = v
	}
	m := map[string]any{
		"name":        name,
		"labels":      labels,
		"annotations": map[string]any{LabelPolicyEngine: s.policyEngine()},
	}
	if namespaced {
		m["namespace"] = s.Namespace
	}
	return m
}

// policyEngine names what the policy objects belong to.
func (s *spec) policyEngine() string {
	if s.Policy.Engine != "" {
		return s.Policy.Engine
	}
	return "none: " + s.Policy.EnforcedBy
}

// constraint is a constraint of the template kind for the workload's pods: matched by
// namespace and kind only, and selected in the Rego by the pod template's workload label,
// so neither dropping another label from the pods nor leaving the label off the controller
// escapes it.
func constraint(s *spec, kind, name string, match, params map[string]any) map[string]any {
	sel := map[string]any{}
	for k, v := range s.selector() {
		sel[k] = v
	}
	params["matchLabels"] = sel
	return map[string]any{
		"apiVersion": "constraints.gatekeeper.sh/v1beta1",
		"kind":       kind,
		"metadata":   s.policyMeta(name, false),
		"spec": map[string]any{
			"enforcementAction": "deny",
			"match":             match,
			"parameters":        params,
		},
	}
}

func runtimeClassConstraint(s *spec) map[string]any {
	allowed := make([]any, len(s.allowed))
	for i, a := range s.allowed {
		allowed[i] = a
	}
	return constraint(s, ConstraintKind, s.Workload+constraintSuffixes[PolicyGatekeeperRuntimeClasses], s.podMatch(),
		map[string]any{"allowed": allowed})
}

// handlersConstraint denies a RuntimeClass named as an allowed class whose handler is not
// the one the plan gave it: deleting the class and creating it again under runc would
// otherwise run the workload's pods under runc, with every pod-level check passing.
func handlersConstraint(s *spec) map[string]any {
	handlers := map[string]any{}
	for class, h := range s.handlers {
		handlers[class] = h
	}
	return constraint(s, ConstraintKind, s.Workload+handlersSuffix, handlersMatch(), map[string]any{"handlers": handlers})
}

// podMatch is what the pod-level constraints match: the pod kinds in the workload's
// namespace.
func (s *spec) podMatch() map[string]any {
	return map[string]any{"kinds": constrainedKinds(), "namespaces": []any{s.Namespace}}
}

func labelsConstraint(s *spec) map[string]any {
	req := map[string]any{}
	for k, v := range s.Labels {
		req[k] = v
	}
	return constraint(s, LabelsConstraintKind, s.Workload+constraintSuffixes[PolicyGatekeeperBusinessRules], s.podMatch(), map[string]any{"required": req})
}

// regoLiteral writes v as a Rego term: JSON is valid Rego.
func regoLiteral(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings and string slices always marshal
	}
	return string(b)
}

// podPaths is, in Rego, where each kind keeps its pod template.
const podPaths = `{
		"Pod": [],
		"ReplicationController": ["spec", "template"],
		"DaemonSet": ["spec", "template"],
		"Deployment": ["spec", "template"],
		"ReplicaSet": ["spec", "template"],
		"StatefulSet": ["spec", "template"],
		"CronJob": ["spec", "jobTemplate", "spec", "template"],
		"Job": ["spec", "template"],
	}`

// OPAAdmissionPackage is the package of the OPA admission policy: OPA's admission-control
// setup (kube-mgmt) collects data.kubernetes.admission.deny.
const OPAAdmissionPackage = "kubernetes.admission"

// opaAdmissionRego is the admission policy OPA enforces for the workload inside a cluster
// (Rego v1, as OPA 1.x reads it): the workload's pods, selected by their template's
// workload label, must use an allowed runtime class. Every rule is a contribution to the
// deny set, so the policies of several workloads load side by side.
func opaAdmissionRego(s *spec) string {
	return fmt.Sprintf(`# strata: admission policy for workload %[1]s in namespace %[2]s (Z=%[5]d, enforced by %[6]s).
# kube-mgmt loads it from this ConfigMap (label openpolicyagent.org/policy=rego) into the OPA
# that serves the cluster's validating webhook, whose main policy answers with
# data.kubernetes.admission.deny. Start kube-mgmt with --policies=%[2]s (or copy it to a
# namespace kube-mgmt watches).
package kubernetes.admission

deny contains msg if {
	input.request.namespace == %[3]s
	path := %[7]s[input.request.kind.kind]
	template := object.get(input.request.object, path, null)
	object.get(template, ["metadata", "labels", %[8]s], "") == %[4]s
	class := object.get(template, ["spec", "runtimeClassName"], "")
	not class in %[9]s
	msg := sprintf("%%s %%s/%%s: runtimeClassName %%q is not allowed; the pods of workload %%s must use one of %%v", [input.request.kind.kind, input.request.namespace, object.get(input.request.object, ["metadata", "name"], ""), class, %[4]s, %[9]s])
}

# The allowed classes keep the handlers they were planned with: one deleted and created
# again with another handler would run the pods above under it.
deny contains msg if {
	input.request.kind.group == "node.k8s.io"
	input.request.kind.kind == "RuntimeClass"
	name := object.get(input.request.object, ["metadata", "name"], "")
	want := %[10]s[name]
	handler := object.get(input.request.object, "handler", "")
	handler != want
	msg := sprintf("RuntimeClass %%s: handler %%q is not the handler %%q that the pods of workload %%s were planned with", [name, handler, want, %[4]s])
}
`, s.Workload, s.Namespace, regoLiteral(s.Namespace), regoLiteral(s.Workload), s.Coordinates.Z, s.policyEngine(),
		podPaths, regoLiteral(LabelWorkload), regoSet(s.allowed), regoLiteral(s.handlers))
}

func regoSet(items []string) string {
	if len(items) == 0 {
		return "set()"
	}
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = regoLiteral(it)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// OPAWasmEntrypoint is the entrypoint of the OPA-Wasm policy: opa build -t wasm -e it.
const OPAWasmEntrypoint = "strata/invoke/allow"

// opaWasmRego is the policy the workload's platform compiles to Wasm and evaluates on every
// invocation: the function runs only as the workload it was planned as, under an allowed
// runtime class. Input: {"workload", "namespace", "runtimeClassName"}.
func opaWasmRego(s *spec) string {
	return fmt.Sprintf(`# strata: invocation policy for workload %[1]s (Z=%[4]d, enforced by %[5]s), for OPA-Wasm:
#   opa build -t wasm -e %[6]s policy.rego
# and evaluate the bundle's policy.wasm on every invocation with the input
# {"workload": ..., "namespace": ..., "runtimeClassName": ...}; run it only when allow is true.
package strata.invoke

default allow := false

allow if {
	input.workload == %[2]s
	input.namespace == %[3]s
	input.runtimeClassName in %[7]s
}
`, s.Workload, regoLiteral(s.Workload), regoLiteral(s.Namespace), s.Coordinates.Z, s.policyEngine(), OPAWasmEntrypoint, regoSet(s.allowed))
}

// opaDockerAuthzRego is a policy for Docker's OPA authorization plugin (opa-docker-authz,
// which asks data.docker.authz.allow): Docker refuses to create the workload's containers
// (labelled strata.dev/workload) under any other runtime than the allowed ones.
func opaDockerAuthzRego(s *spec) string {
	return fmt.Sprintf(`# strata: Docker authorization policy for workload %[1]s (Z=%[3]d, enforced by %[4]s).
# Run Docker with the opa-docker-authz plugin reading this file (one policy file per daemon:
# merge the deny rules of several workloads into one).
package docker.authz

default allow := false

allow if count(deny) == 0

deny contains msg if {
	input.Method == "POST"
	regex.match("^(/v[0-9.]+)?/containers/create$", split(input.Path, "?")[0])
	object.get(input.Body, ["Labels", %[5]s], "") == %[2]s
	runtime := object.get(input.Body, ["HostConfig", "Runtime"], "")
	not runtime in %[6]s
	msg := sprintf("the containers of workload %%s must run under one of the runtimes %%v, not %%q", [%[2]s, %[6]s, runtime])
}
`, s.Workload, regoLiteral(s.Workload), s.Coordinates.Z, s.policyEngine(), regoLiteral(LabelWorkload), regoSet(s.dockerRuntimes()))
}

// dockerRuntimes are the Docker runtime names (the handlers) the workload may run under.
func (s *spec) dockerRuntimes() []string {
	set := map[string]bool{s.Runtime.Handler: true}
	for _, r := range s.Allowed {
		set[r.Handler] = true
	}
	return sortedKeys(set)
}

// policyConfigMap carries a policy file, with the engine's annotation.
func (s *spec) policyConfigMap(name, key, rego string, labels map[string]string) *corev1.ConfigMap {
	l := s.objectLabels()
	maps.Copy(l, labels)
	cm := configMap(s, name, key, []byte(rego))
	cm.Labels = l
	cm.Annotations = map[string]string{LabelPolicyEngine: s.policyEngine()}
	return cm
}

// OPAPolicyLabel is the label kube-mgmt loads policies from.
const OPAPolicyLabel = "openpolicyagent.org/policy"

package manifest

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Kubernetes-native runtime-class pin: a ValidatingAdmissionPolicy and its binding
// (admissionregistration.k8s.io/v1), which kube-apiserver enforces itself with CEL, with no
// policy engine installed.
const (
	KindValidatingAdmissionPolicy        = "ValidatingAdmissionPolicy"
	KindValidatingAdmissionPolicyBinding = "ValidatingAdmissionPolicyBinding"
	// pinSuffix names each workload's policy and binding: the workload's name and the suffix.
	pinSuffix = "-runtime-class-pin"
)

// PinName is the name of the ValidatingAdmissionPolicy (and of its binding) that pins the
// workload's pods to their runtime classes.
func PinName(workload string) string { return workload + pinSuffix }

// pinnedResources are the resources the pin matches: pods and the workload controllers whose
// pod templates its CEL inspects, the kinds the Gatekeeper constraint matches. Ephemeral
// containers need no rule of their own: they are added to a Pod that exists (the
// pods/ephemeralcontainers subresource), whose runtimeClassName is immutable and was pinned
// when the Pod was created.
func pinnedResources() []admissionregistrationv1.NamedRuleWithOperations {
	rule := func(scope admissionregistrationv1.ScopeType, group string, resources ...string) admissionregistrationv1.NamedRuleWithOperations {
		return admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule: admissionregistrationv1.Rule{
				APIGroups: []string{group}, APIVersions: []string{"*"}, Resources: resources, Scope: &scope,
			},
		}}
	}
	ns, cluster := admissionregistrationv1.NamespacedScope, admissionregistrationv1.ClusterScope
	return []admissionregistrationv1.NamedRuleWithOperations{
		rule(ns, "", "pods", "replicationcontrollers"),
		rule(ns, "apps", "daemonsets", "deployments", "replicasets", "statefulsets"),
		rule(ns, "batch", "cronjobs", "jobs"),
		// The RuntimeClasses the pods may use: deleting one and creating it again with
		// another handler (runc, say) would run the pinned pods under that handler.
		rule(cluster, "node.k8s.io", "runtimeclasses"),
	}
}

// celString writes s as a CEL string literal: a JSON string is one.
func celString(s string) string { return regoLiteral(s) }

// celMap writes m as a CEL map of strings, its keys in order.
func celMap(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, celString(k)+": "+celString(m[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// celList writes items as a CEL list of strings.
func celList(items []string) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = celString(it)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// pinMeta is the metadata of the pin's objects: the workload's labels, and the technology
// that enforces them as their engine.
func (s *spec) pinMeta() metav1.ObjectMeta {
	engine := s.Policy.Pin
	if engine == "" {
		engine = s.policyEngine()
	}
	return metav1.ObjectMeta{
		Name:        PinName(s.Workload),
		Labels:      s.objectLabels(),
		Annotations: map[string]string{LabelPolicyEngine: engine},
	}
}

// runtimeClassPin is the ValidatingAdmissionPolicy that denies the workload's pods (selected,
// as by the Gatekeeper constraint, by the strata.dev/workload label of the pod or of the
// controller's pod template, so that neither dropping another label nor leaving the label
// off the controller escapes it) any runtime class but the allowed ones: a class not
// allowed, none at all, or an empty one. It also denies a RuntimeClass named as an allowed
// class whose handler is not the one the plan gave it. Its binding restricts it to the
// workload's namespace, which leaves RuntimeClasses (cluster-scoped) matched: a binding's
// namespaceSelector never skips a cluster-scoped object other than a Namespace.
func runtimeClassPin(s *spec) *admissionregistrationv1.ValidatingAdmissionPolicy {
	fail := admissionregistrationv1.Fail
	// The pod template: the Pod itself, a CronJob's job template's, every other kind's
	// spec.template (validation, which runs before admission, requires it).
	template := `request.kind.kind == "Pod" ? object : request.kind.kind == "CronJob" ? object.spec.jobTemplate.spec.template : object.spec.template`
	selected := fmt.Sprintf(`has(variables.template.metadata) && has(variables.template.metadata.labels) && %[1]s in variables.template.metadata.labels && variables.template.metadata.labels[%[1]s] == %[2]s`,
		celString(LabelWorkload), celString(s.Workload))
	class := `has(variables.template.spec.runtimeClassName) ? variables.template.spec.runtimeClassName : ""`
	allowed := celList(s.allowed)
	handlers := celMap(s.handlers)
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: KindValidatingAdmissionPolicy},
		ObjectMeta: s.pinMeta(),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{
				ResourceRules: pinnedResources(),
			},
			Variables: []admissionregistrationv1.Variable{
				{Name: "template", Expression: template},
				{Name: "selected", Expression: selected},
				{Name: "runtimeClass", Expression: class},
			},
			Validations: []admissionregistrationv1.Validation{{
				// Variables are evaluated lazily: a RuntimeClass never reaches the template.
				Expression: fmt.Sprintf(`request.resource.resource == "runtimeclasses" || !variables.selected || variables.runtimeClass in %s`, allowed),
				Message: fmt.Sprintf("the pods of workload %s (Z=%d, isolation %s) must run under one of the runtime classes %s",
					s.Workload, s.Coordinates.Z, s.Runtime.Layer, strings.Join(s.allowed, ", ")),
				MessageExpression: fmt.Sprintf(`request.kind.kind + " " + request.namespace + "/" + request.name + ": runtimeClassName \"" + variables.runtimeClass + "\" is not allowed; the pods of workload %s must use one of %s"`,
					s.Workload, strings.Join(s.allowed, ", ")),
				Reason: new(metav1.StatusReasonForbidden),
			}, {
				Expression: fmt.Sprintf(`request.resource.resource != "runtimeclasses" || !(object.metadata.name in %[1]s) || object.handler == %[1]s[object.metadata.name]`, handlers),
				Message: fmt.Sprintf("the runtime classes of workload %s must keep the handlers it was planned with: %s",
					s.Workload, handlerList(s.handlers)),
				MessageExpression: fmt.Sprintf(`"RuntimeClass " + object.metadata.name + ": handler \"" + object.handler + "\" is not the handler \"" + %[1]s[object.metadata.name] + "\" that the pods of workload %[2]s were planned with"`,
					handlers, s.Workload),
				Reason: new(metav1.StatusReasonForbidden),
			}},
		},
	}
}

// runtimeClassPinBinding binds the pin to the workload's namespace, denying what it rejects.
func runtimeClassPinBinding(s *spec) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: KindValidatingAdmissionPolicyBinding},
		ObjectMeta: s.pinMeta(),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        PinName(s.Workload),
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources: &admissionregistrationv1.MatchResources{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": s.Namespace}},
			},
		},
	}
}

// handlerList writes class → handler pairs for a message, in class order.
func handlerList(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+" → "+m[k])
	}
	return strings.Join(parts, ", ")
}

package manifest

import (
	_ "embed"
	"maps"
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

// Rego is the ConstraintTemplate's policy. It is Rego v0 without imports, which every
// Gatekeeper release accepts: Gatekeeper evaluates templates as v0 and rejects imports
// other than data.lib.
//
//go:embed policy/strataallowedruntimeclasses.rego
var Rego string

// constrainedKinds are the kinds the Constraint matches: pods and the workload controllers
// whose pod templates the Rego inspects.
func constrainedKinds() []any {
	return []any{
		map[string]any{"apiGroups": []any{""}, "kinds": []any{"Pod", "ReplicationController"}},
		map[string]any{"apiGroups": []any{"apps"}, "kinds": []any{"DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"}},
		map[string]any{"apiGroups": []any{"batch"}, "kinds": []any{"CronJob", "Job"}},
	}
}

// constraintTemplate is the Gatekeeper ConstraintTemplate (templates.gatekeeper.sh/v1) as an
// unstructured object, which keeps Gatekeeper's Go module out of the build.
func constraintTemplate() map[string]any {
	str := map[string]any{"type": "string"}
	return map[string]any{
		"apiVersion": "templates.gatekeeper.sh/v1",
		"kind":       "ConstraintTemplate",
		"metadata": map[string]any{
			"name":   TemplateName,
			"labels": map[string]any{LabelManagedBy: "strata"},
			"annotations": map[string]any{
				"description": "Pods that carry the selecting label must run under one of the allowed RuntimeClasses, " +
					"so a workload planned for an isolation layer cannot run under a weaker one.",
			},
		},
		"spec": map[string]any{
			"crd": map[string]any{
				"spec": map[string]any{
					"names": map[string]any{"kind": ConstraintKind},
					"validation": map[string]any{
						"openAPIV3Schema": map[string]any{
							"type": "object",
							"properties": map[string]any{
								"allowed": map[string]any{
									"type":        "array",
									"description": "RuntimeClass names the selected pods may use.",
									"items":       str,
								},
								"labelKey": map[string]any{
									"type":        "string",
									"description": "A pod is selected when it carries this label (default strata.dev/isolation); empty selects by matchLabels alone.",
								},
								"matchLabels": map[string]any{
									"type":                 "object",
									"description":          "A pod is selected only when it carries all of these labels too.",
									"additionalProperties": str,
								},
							},
						},
					},
				},
			},
			"targets": []any{
				map[string]any{"target": GatekeeperTarget, "rego": Rego},
			},
		},
	}
}

// constraint is the workload's instance of the template: pods of this workload, in its
// namespace, must use one of the allowed classes.
func constraint(s *spec) map[string]any {
	allowed := make([]any, len(s.allowed))
	for i, a := range s.allowed {
		allowed[i] = a
	}
	labels := map[string]any{}
	for k, v := range s.objectLabels() {
		labels[k] = v
	}
	selector := map[string]any{LabelWorkload: s.Workload}
	return map[string]any{
		"apiVersion": "constraints.gatekeeper.sh/v1beta1",
		"kind":       ConstraintKind,
		"metadata": map[string]any{
			"name":   s.Workload + "-runtime-classes",
			"labels": labels,
		},
		"spec": map[string]any{
			"enforcementAction": "deny",
			"match": map[string]any{
				"kinds":         constrainedKinds(),
				"namespaces":    []any{s.Namespace},
				"labelSelector": map[string]any{"matchLabels": maps.Clone(selector)},
			},
			"parameters": map[string]any{
				"allowed":     allowed,
				"labelKey":    LabelIsolation,
				"matchLabels": maps.Clone(selector),
			},
		},
	}
}

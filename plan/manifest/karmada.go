package manifest

import (
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Kinds of Karmada's propagation policies (policy.karmada.io/v1alpha1).
const (
	KindPropagationPolicy        = "PropagationPolicy"
	KindClusterPropagationPolicy = "ClusterPropagationPolicy"
	KarmadaPolicyAPIVersion      = "policy.karmada.io/v1alpha1"
)

// ClusterLayerLabel is the label of a Karmada member Cluster object whose nodes offer an
// isolation layer, e.g. strata.dev/layer-L-4=true; the propagation policies place the
// workload only on clusters that carry it and ClusterRuntimeLabel for the handler.
func ClusterLayerLabel(layer string) string { return "strata.dev/layer-" + layer }

// ClusterRuntimeLabel is the label of a Karmada member Cluster whose nodes run the handler.
func ClusterRuntimeLabel(handler string) string { return "strata.dev/runtime-" + handler }

type propagation struct {
	file, kind, name string
	obj              map[string]any
}

// propagationPolicies place the emitted objects on the member clusters that offer the
// workload's layer and handler: a PropagationPolicy for the namespaced objects (the
// workload, its NetworkPolicy, ConfigMaps and Collector) and a ClusterPropagationPolicy for
// the cluster-scoped ones (the RuntimeClass, which each member cluster gets, and the
// Gatekeeper templates and constraints).
func propagationPolicies(s *spec, objs []Object) ([]propagation, error) {
	var namespaced, clusterScoped []any
	for _, o := range objs {
		if !o.ClusterObject() {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(o.YAML, &head); err != nil {
			return nil, err
		}
		sel := map[string]any{"apiVersion": head.APIVersion, "kind": head.Kind, "name": head.Metadata.Name}
		if head.Metadata.Namespace != "" {
			namespaced = append(namespaced, sel)
		} else {
			clusterScoped = append(clusterScoped, sel)
		}
	}
	placement := func() map[string]any {
		return map[string]any{
			"clusterAffinity": map[string]any{
				"labelSelector": map[string]any{"matchLabels": map[string]any{
					ClusterLayerLabel(s.Runtime.Layer):     "true",
					ClusterRuntimeLabel(s.Runtime.Handler): "true",
				}},
			},
		}
	}
	name := s.Workload
	var out []propagation
	if len(clusterScoped) > 0 {
		// Cluster-scoped objects of several workloads share names (the ConstraintTemplate),
		// so the policy is named after the workload.
		out = append(out, propagation{"70-clusterpropagationpolicy-" + name + ".yaml", KindClusterPropagationPolicy, name, map[string]any{
			"apiVersion": KarmadaPolicyAPIVersion,
			"kind":       KindClusterPropagationPolicy,
			"metadata":   map[string]any{"name": name, "labels": toAny(s.objectLabels())},
			"spec": map[string]any{
				"resourceSelectors": sortSelectors(clusterScoped),
				"placement":         placement(),
			},
		}})
	}
	out = append(out, propagation{"71-propagationpolicy-" + name + ".yaml", KindPropagationPolicy, name, map[string]any{
		"apiVersion": KarmadaPolicyAPIVersion,
		"kind":       KindPropagationPolicy,
		"metadata":   map[string]any{"name": name, "namespace": s.Namespace, "labels": toAny(s.objectLabels())},
		"spec": map[string]any{
			"resourceSelectors": sortSelectors(namespaced),
			"placement":         placement(),
			// The workload and the objects it needs go to the same clusters together.
			"propagateDeps": true,
		},
	}})
	return out, nil
}

// sortSelectors orders resource selectors by kind and name, so output is stable.
func sortSelectors(sels []any) []any {
	key := func(v any) string {
		m := v.(map[string]any)
		return m["kind"].(string) + "/" + m["name"].(string)
	}
	slices.SortFunc(sels, func(a, b any) int { return strings.Compare(key(a), key(b)) })
	return sels
}

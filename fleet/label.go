package fleet

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// LabelNode makes the node's strata labels exactly labels (what [LabelsFromNFD] made of
// the probe's output), as Node Feature Discovery would: new and changed labels are set,
// strata labels the probe no longer writes — a capability the node lost — are removed,
// other labels are left alone. It needs RBAC get and patch on nodes, nothing more, and
// returns the keys it changed.
func (c *Cluster) LabelNode(ctx context.Context, node string, labels map[string]string) ([]string, error) {
	for k := range labels {
		if !strings.HasPrefix(k, LabelPrefix) {
			return nil, &labelError{key: k}
		}
	}
	n, err := c.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return nil, c.wrap(err, "get", "nodes", "")
	}
	patch := map[string]any{}
	for k, v := range labels {
		if n.Labels[k] != v {
			patch[k] = v
		}
	}
	for k := range n.Labels {
		if _, keep := labels[k]; !keep && strings.HasPrefix(k, LabelPrefix) {
			patch[k] = nil // JSON merge patch: remove
		}
	}
	if len(patch) == 0 {
		return nil, nil
	}
	body, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": patch}})
	if err != nil {
		return nil, err
	}
	if _, err := c.Client.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, body, metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
		return nil, c.wrap(err, "patch", "nodes", "")
	}
	return slices.Sorted(maps.Keys(patch)), nil
}

type labelError struct{ key string }

func (e *labelError) Error() string {
	return "label " + e.key + " is not a strata label (" + LabelPrefix + "…); strata labels nothing else"
}

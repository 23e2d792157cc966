package manifest

import (
	"fmt"
	"maps"
	"strings"

	"sigs.k8s.io/yaml"
)

// KindEdgeCoreConfig is the [Object].Kind of a node file for KubeEdge's edge agent: the keys
// of edgecore.yaml that make edged use the node's containerd and register the node with the
// labels the workload's pods and RuntimeClass select.
const KindEdgeCoreConfig = "EdgeCoreConfig"

// Node agent configuration formats (Orchestrator.NodeAgentConfig).
const (
	// NodeAgentEdgeCore: KubeEdge's edgecore.yaml (edgecore.config.kubeedge.io/v1alpha2,
	// kind EdgeCore), whose modules.edged is the kubelet of an edge node.
	NodeAgentEdgeCore = "edgecore"
)

// nodeAgentConfigs are the formats Orchestrator.NodeAgentConfig accepts ("" for none).
var nodeAgentConfigs = []string{NodeAgentEdgeCore}

// EdgeCoreAPIVersion and EdgeCoreKind head KubeEdge's edgecore configuration.
const (
	EdgeCoreAPIVersion = "edgecore.config.kubeedge.io/v1alpha2"
	EdgeCoreKind       = "EdgeCore"
)

// EdgeCoreConfig is what an edge node's edgecore needs to run the workload's pods under the
// chosen handler: edged (KubeEdge's kubelet) talks CRI to the containerd that registers the
// handler, and the node registers with the labels the RuntimeClass's scheduling and the pods'
// nodeSelector use, which on an edge node no Node Feature Discovery may publish. [Build]
// renders it as a node file to merge into edgecore.yaml.
type EdgeCoreConfig struct {
	Handler string // the containerd handler the node runs the workload with
	Target  string // where edgecore.yaml is on the node

	// RuntimeEndpoint is modules.edged.tailoredKubeletConfig.containerRuntimeEndpoint: the
	// CRI socket of the containerd the node file 00-containerd-<handler> configures.
	RuntimeEndpoint string
	// NodeLabels is modules.edged.nodeLabels: the labels the node registers with.
	NodeLabels map[string]string
}

// edgeCoreConfig is the edge agent's configuration the workload needs, or nil when the
// orchestrator has no node agent configuration strata writes.
func edgeCoreConfig(s *spec) *EdgeCoreConfig {
	if s.Orchestrator.NodeAgentConfig != NodeAgentEdgeCore {
		return nil
	}
	labels := map[string]string{RuntimeLabel(s.Runtime.Handler): "true", LayerLabel(s.Runtime.Layer): "true"}
	return &EdgeCoreConfig{
		Handler:         s.Runtime.Handler,
		Target:          s.Orchestrator.NodeAgentConfigPath,
		RuntimeEndpoint: s.Orchestrator.RuntimeEndpoint,
		NodeLabels:      labels,
	}
}

// object renders c as a node file. Its name does not end in .yaml, so that kubectl apply -f
// DIR, which reads .yaml, .yml and .json files, leaves it to the nodes.
func (c *EdgeCoreConfig) object() (Object, error) {
	doc := map[string]any{
		"apiVersion": EdgeCoreAPIVersion,
		"kind":       EdgeCoreKind,
		"modules": map[string]any{
			"edged": map[string]any{
				"nodeLabels":            maps.Clone(c.NodeLabels),
				"tailoredKubeletConfig": map[string]any{"containerRuntimeEndpoint": c.RuntimeEndpoint},
			},
		},
	}
	body, err := yaml.Marshal(doc)
	if err != nil {
		return Object{}, fmt.Errorf("manifest: encode the edgecore configuration for %s: %w", c.Handler, err)
	}
	var b strings.Builder
	comment := func(format string, args ...any) { fmt.Fprintf(&b, "# "+format+"\n", args...) }
	comment("strata: KubeEdge edgecore configuration for the edge nodes that run the %q runtime handler.", c.Handler)
	comment("Merge these keys into %s on each such node (keep the rest as keadm join wrote it)", c.Target)
	comment("and restart edgecore. edged then runs pods through the containerd at %s,", c.RuntimeEndpoint)
	comment("which 00-containerd-%s configures, and the node registers with the labels the workload's", c.Handler)
	comment("pods and RuntimeClass select. nodeLabels apply when the node registers: label a node that")
	comment("is already registered with kubectl label node NODE KEY=true for each of them.")
	comment("tailoredKubeletConfig.cgroupDriver (edgecore's default cgroupfs) must match containerd's")
	comment("runc option SystemdCgroup: systemd when it is true.")
	b.WriteString("\n")
	b.Write(body)
	return Object{
		File:   "01-edgecore-" + c.Handler + ".yaml.merge",
		Kind:   KindEdgeCoreConfig,
		Name:   c.Handler,
		Target: c.Target,
		Obj:    c,
		YAML:   []byte(b.String()),
	}, nil
}

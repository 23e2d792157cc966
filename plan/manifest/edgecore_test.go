package manifest

import (
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var kubeEdge = Orchestrator{Name: "KubeEdge", X: 4, Manifests: ManifestsKubernetes, RuntimeConfig: RuntimeConfigContainerd,
	RuntimeConfigPath: "/etc/containerd/config.toml", NodeSelector: map[string]string{"node-role.kubernetes.io/edge": ""},
	NodeAgentConfig: NodeAgentEdgeCore, NodeAgentConfigPath: "/etc/kubeedge/config/edgecore.yaml",
	RuntimeEndpoint: "unix:///run/containerd/containerd.sock"}

func edgeChoice(o Orchestrator) Choice {
	return Choice{Workload: "meter", Kind: KindDeployment, Image: "ghcr.io/example/meter:1", Orchestrator: o,
		Coordinates: Coordinates{4, 4, 3}, Runtime: runsc, Policy: gatekeeper}
}

// TestEdgeCoreFile: a KubeEdge workload gets the edgecore keys for its handler, which name
// the node's containerd and the labels its pods and RuntimeClass select; an orchestrator
// without a node agent gets none.
func TestEdgeCoreFile(t *testing.T) {
	objs := buildCase(t, edgeChoice(kubeEdge))
	o := find(t, objs, KindEdgeCoreConfig)
	if o.File != "01-edgecore-runsc.yaml.merge" || o.Target != "/etc/kubeedge/config/edgecore.yaml" || o.ClusterObject() {
		t.Errorf("file %s target %s cluster object %v", o.File, o.Target, o.ClusterObject())
	}
	var doc struct {
		Modules struct {
			Edged struct {
				NodeLabels            map[string]string
				TailoredKubeletConfig struct{ ContainerRuntimeEndpoint string }
			}
		}
	}
	if err := yaml.Unmarshal(o.YAML, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Modules.Edged.TailoredKubeletConfig.ContainerRuntimeEndpoint; got != kubeEdge.RuntimeEndpoint {
		t.Errorf("containerRuntimeEndpoint %q", got)
	}
	want := map[string]string{RuntimeLabel("runsc"): "true", LayerLabel("L-4"): "true"}
	if got := doc.Modules.Edged.NodeLabels; len(got) != len(want) || got[RuntimeLabel("runsc")] != "true" || got[LayerLabel("L-4")] != "true" {
		t.Errorf("nodeLabels %v, want %v", got, want)
	}
	for _, o := range buildCase(t, func() Choice { c := edgeChoice(kubernetes); c.Coordinates.X = 1; return c }()) {
		if o.Kind == KindEdgeCoreConfig {
			t.Errorf("Kubernetes got %s", o.File)
		}
	}
}

// TestEdgeCoreRefused: what an overlay could give a node agent that no file can hold.
func TestEdgeCoreRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		edit  func(*Orchestrator)
		field string
	}{
		"unknown format":        {func(o *Orchestrator) { o.NodeAgentConfig = "openyurt" }, "Orchestrator.NodeAgentConfig"},
		"docker files":          {func(o *Orchestrator) { o.Manifests, o.RuntimeConfig = ManifestsDocker, RuntimeConfigDocker }, "Orchestrator.NodeAgentConfig"},
		"relative path":         {func(o *Orchestrator) { o.NodeAgentConfigPath = "edgecore.yaml" }, "Orchestrator.NodeAgentConfigPath"},
		"path with a newline":   {func(o *Orchestrator) { o.NodeAgentConfigPath = "/etc/x\n# y" }, "Orchestrator.NodeAgentConfigPath"},
		"no endpoint":           {func(o *Orchestrator) { o.RuntimeEndpoint = "" }, "Orchestrator.RuntimeEndpoint"},
		"tcp endpoint":          {func(o *Orchestrator) { o.RuntimeEndpoint = "tcp://10.0.0.1:2375" }, "Orchestrator.RuntimeEndpoint"},
		"relative socket":       {func(o *Orchestrator) { o.RuntimeEndpoint = "unix://run/containerd.sock" }, "Orchestrator.RuntimeEndpoint"},
		"endpoint with a quote": {func(o *Orchestrator) { o.RuntimeEndpoint = `unix:///run/c"d.sock` }, "Orchestrator.RuntimeEndpoint"},
		"endpoint, no format":   {func(o *Orchestrator) { o.NodeAgentConfig = "" }, "Orchestrator.NodeAgentConfig"},
	} {
		t.Run(name, func(t *testing.T) {
			o := kubeEdge
			tc.edit(&o)
			c := edgeChoice(o)
			if o.Manifests == ManifestsDocker {
				c.Policy = Policy{}
				c.Coordinates.Z = 0
			}
			_, err := Build(c)
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidChoice) || !strings.Contains(err.Error(), tc.field+":") {
				t.Errorf("want a %s error, got %v", tc.field, err)
			}
		})
	}
}

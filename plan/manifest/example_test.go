package manifest_test

import (
	"fmt"
	"log"

	"github.com/strata-dev/strata/plan/manifest"
)

// The seed's edge scenario: K3s + WasmEdge at (2, 4, 3).
func ExampleBuild() {
	objs, err := manifest.Build(manifest.Choice{
		Workload: "edge-sensor",
		Kind:     manifest.KindDeployment,
		Image:    "ghcr.io/example/edge-sensor:1.0",
		CPU:      "100m",
		Memory:   "64Mi",
		Orchestrator: manifest.Orchestrator{
			Name: "K3s", X: 2, Manifests: manifest.ManifestsKubernetes, RuntimeConfig: manifest.RuntimeConfigK3s,
			RuntimeConfigPath: "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl",
		},
		Coordinates: manifest.Coordinates{X: 2, Y: 4, Z: 3},
		Runtime:     manifest.Runtime{Handler: "wasmedge", Layer: "L-4", RuntimeType: "io.containerd.wasmedge.v1"},
		Allowed:     []manifest.Runtime{{Handler: "runsc", Class: "gvisor", Layer: "L-4"}},
		Policy: manifest.Policy{Engine: "Gatekeeper",
			Objects: []string{manifest.PolicyGatekeeperRuntimeClasses, manifest.PolicyNetworkPolicy}},
		Observability: []string{"OTLP"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range objs {
		if o.Target != "" {
			fmt.Println(o.File, "→", o.Target)
			continue
		}
		fmt.Println(o.File)
	}
	// Output:
	// 00-containerd-wasmedge.toml.tmpl → /var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl
	// 10-runtimeclass-wasmedge.yaml
	// 20-constrainttemplate-strataallowedruntimeclasses.yaml
	// 30-constraint-edge-sensor-runtime-classes.yaml
	// 33-constraint-edge-sensor-class-handlers.yaml
	// 40-configmap-edge-sensor-otel-collector.yaml
	// 42-deployment-edge-sensor-otel-collector.yaml
	// 43-service-edge-sensor-otel-collector.yaml
	// 50-networkpolicy-edge-sensor.yaml
	// 60-deployment-edge-sensor.yaml
}

// A GPU with a runtime that cannot reach one, and an orchestrator whose files strata does
// not write, are refused with the reasons.
func ExampleBuild_invalid() {
	_, err := manifest.Build(manifest.Choice{
		Workload: "llm", Kind: manifest.KindPod, Image: "example/llm:1", GPU: 1,
		Orchestrator: manifest.Orchestrator{Name: "Nomad", X: 1, Manifests: "nomad", RuntimeConfig: manifest.RuntimeConfigContainerd,
			RuntimeConfigPath: "/etc/containerd/config.toml"},
		Coordinates: manifest.Coordinates{X: 1, Y: 4, Z: 0},
		Runtime:     manifest.Runtime{Name: "spin", Handler: "spin", Layer: "L-4", RuntimeType: "io.containerd.spin.v2"},
	})
	fmt.Println(err)
	// Output:
	// manifest for workload "llm": GPU: runtime spin (handler spin) cannot use a GPU: it lacks the gpu capability
	// Orchestrator.Manifests: Nomad's manifests "nomad" is not a format strata writes; use one of docker, karmada, kubernetes (the orchestrator's manifests attribute)
}

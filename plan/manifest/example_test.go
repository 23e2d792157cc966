package manifest_test

import (
	"fmt"
	"log"

	"github.com/strata-dev/strata/plan/manifest"
)

// The seed's edge scenario: K3s + WasmEdge at (2, 4, 3).
func ExampleBuild() {
	objs, err := manifest.Build(manifest.Choice{
		Workload:      "edge-sensor",
		Kind:          manifest.KindDeployment,
		Image:         "ghcr.io/example/edge-sensor:1.0",
		CPU:           "100m",
		Memory:        "64Mi",
		Orchestrator:  "K3s",
		Coordinates:   manifest.Coordinates{X: 2, Y: 4, Z: 3},
		Runtime:       manifest.Runtime{Handler: "wasmedge", Layer: "L-4"},
		Allowed:       []manifest.Runtime{{Handler: "runsc", Class: "gvisor", Layer: "L-4"}},
		Policy:        "Gatekeeper",
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
	// 40-configmap-edge-sensor-otel-collector.yaml
	// 42-deployment-edge-sensor-otel-collector.yaml
	// 43-service-edge-sensor-otel-collector.yaml
	// 50-networkpolicy-edge-sensor.yaml
	// 60-deployment-edge-sensor.yaml
}

// A GPU with a Wasm runtime that cannot reach one is refused with the reason.
func ExampleBuild_invalid() {
	_, err := manifest.Build(manifest.Choice{
		Workload: "llm", Kind: manifest.KindPod, Image: "example/llm:1", GPU: 1,
		Orchestrator: "Kubernetes", Coordinates: manifest.Coordinates{X: 1, Y: 4, Z: 0},
		Runtime: manifest.Runtime{Handler: "spin", Layer: "L-4"}, Policy: "none",
	})
	fmt.Println(err)
	// Output:
	// manifest for workload "llm": GPU: Wasm handler "spin" cannot use a GPU: the Spin shim exposes no devices to Spin apps (Spin's AI inferencing is a host service, not nvidia.com/gpu); use wasmedge with WASI-NN
}

package plan

import (
	"errors"
	"fmt"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan/manifest"
)

// EmitOptions fills what a plan leaves open when it becomes Kubernetes objects.
type EmitOptions struct {
	// Image is the container image (or Wasm OCI artifact) to run when the workload's
	// spec.image is empty. One of the two is required.
	Image string
	// Namespace of the emitted objects; default "default".
	Namespace string
	// ContainerdConfigVersion is the nodes' containerd configuration schema: 2 for
	// containerd 1.x (the default), 3 for containerd 2.x.
	ContainerdConfigVersion int
}

// ErrNoImage is returned by [Planner.Choice] when neither the workload nor the options
// name an image.
var ErrNoImage = errors.New("no image to run")

// Choice turns a plan of w into what [manifest.Build] needs: the orchestrator, the chosen
// runtime's handler with its RuntimeClass name and pod overhead, the runtimes the admission
// policy admits (pl.Allowed), the policy engine, and the observability tools. Everything
// about a technology is read from its attributes in the network (handler, runtime-class,
// binary, workload-footprint-mb, overhead-cpu), so an overlay changes the manifests too.
func (p *Planner) Choice(pl *Plan, w Workload, o EmitOptions) (manifest.Choice, error) {
	c := manifest.Choice{
		Workload: w.Name, Namespace: o.Namespace, Kind: w.Kind, Image: w.Image, Replicas: w.Replicas,
		CPU: w.CPU, Memory: w.Memory, GPU: w.GPU, Port: w.Port,
		Coordinates:             manifest.Coordinates{X: pl.Coordinates.X, Y: pl.Coordinates.Y, Z: pl.Coordinates.Z},
		Orchestrator:            pl.Technology(RoleOrchestrator),
		ContainerdConfigVersion: o.ContainerdConfigVersion,
	}
	if c.Image == "" {
		c.Image = o.Image
	}
	if c.Image == "" {
		return c, fmt.Errorf("workload %s (%s): %w; set spec.image in the workload or pass an image (strata plan --image REF)", w.Name, w.Source.Short(), ErrNoImage)
	}
	if c.Replicas == 0 && w.Availability == "high" && w.Kind == manifest.KindDeployment {
		c.Replicas = 2 // high availability needs a second replica; the workload reader refuses 1
	}
	if c.GPU == 0 && pl.Technology(RoleAccelerator) != "" {
		c.GPU = 1
	}
	for i, id := range pl.Allowed {
		e, ok := p.net.Entity(id)
		if !ok {
			return c, fmt.Errorf("plan of %s allows %s, which the network does not have", w.Name, id)
		}
		rt := runtimeOf(e)
		if layer := p.layerOf(e); layer != nil {
			rt.Layer = layer.ID
		}
		if i == 0 {
			c.Runtime = rt
			continue
		}
		c.Allowed = append(c.Allowed, rt)
	}
	c.Policy = pl.Technology(RolePolicy)
	if c.Policy == "" {
		// No engine was asked for, so the level comes from the stack itself (a sandbox
		// implies runtime or application policy): Gatekeeper enforces its runtime classes.
		switch {
		case pl.Coordinates.Z >= 2:
			c.Policy = "Gatekeeper"
		case pl.Coordinates.Z == 1:
			c.Policy = "NetworkPolicy"
		default:
			c.Policy = "none"
		}
	}
	for _, ch := range pl.Stack {
		if ch.Role == RoleObservability {
			c.Observability = append(c.Observability, ch.Technology)
		}
	}
	return c, nil
}

// runtimeOf describes an isolation runtime as a RuntimeClass from its attributes.
func runtimeOf(e *network.Entity) manifest.Runtime {
	text := func(name string) string {
		if a, ok := e.Attr(name); ok {
			return attrText(a)
		}
		return ""
	}
	rt := manifest.Runtime{Handler: text("handler"), Class: text("runtime-class"), OverheadCPU: text("overhead-cpu")}
	if b := text("binary"); b != "" && b != rt.Handler {
		rt.BinaryName = b
	}
	if mb, ok := number(e, "workload-footprint-mb"); ok && mb > 0 {
		rt.OverheadMemory = fmtNum(mb) + "Mi"
	}
	return rt
}

// Emit plans nothing new: it builds the Kubernetes objects that enforce pl (see
// [Planner.Choice] and [manifest.Build]).
func (p *Planner) Emit(pl *Plan, w Workload, o EmitOptions) ([]manifest.Object, error) {
	c, err := p.Choice(pl, w, o)
	if err != nil {
		return nil, err
	}
	objs, err := manifest.Build(c)
	if err != nil {
		return nil, err
	}
	return objs, nil
}

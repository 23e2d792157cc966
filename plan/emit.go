package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"

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

// ErrNoImage is wrapped by the error [Planner.Choice] returns when neither the workload
// nor the options name an image. The message says to set spec.image; a front end that has
// its own way to pass an image (a flag, a query parameter) adds it by wrapping the error.
var ErrNoImage = errors.New("no image to run")

// Choice turns a plan of w into what [manifest.Build] needs. Everything about a technology
// is read from the network through the same model the planner reads: the orchestrator's X
// and its files (manifests, runtime-config, runtime-config-path, configures-runtimes,
// node-selector, node-agent-config, node-agent-config-path, runtime-endpoint), the
// runtime's handler, shim, options, layer, GPU capability and node needs, and the policy engine's objects (policy-objects) for the Z the plan chose, with
// those of the weaker levels every higher one keeps. So an overlay changes the files as it
// changes the plan, and a technology the network adds needs no change here.
func (p *Planner) Choice(pl *Plan, w Workload, o EmitOptions) (manifest.Choice, error) {
	c := manifest.Choice{
		Workload: w.Name, Namespace: o.Namespace, Kind: w.Kind, Image: w.Image, Replicas: w.Replicas,
		CPU: w.CPU, Memory: w.Memory, GPU: w.GPU, Port: w.Port, Labels: w.Labels,
		ContainerdConfigVersion: o.ContainerdConfigVersion,
	}
	if c.Image == "" {
		c.Image = o.Image
	}
	if c.Image == "" {
		return c, fmt.Errorf("workload %s (%s): %w; set spec.image in the workload", w.Name, w.Source.Short(), ErrNoImage)
	}
	if c.Replicas == 0 && w.Availability == "high" && w.Kind == manifest.KindDeployment {
		c.Replicas = 2 // high availability needs a second replica; the workload reader refuses 1
	}
	if c.GPU == 0 && pl.Technology(RoleAccelerator) != "" {
		c.GPU = 1
	}
	stack, err := p.stackOf(pl)
	if err != nil {
		return c, err
	}
	placed, err := p.place(stack)
	if err != nil {
		return c, fmt.Errorf("plan of %s: %w", w.Name, err)
	}
	c.Coordinates = manifest.Coordinates{X: placed.coords.X, Y: placed.coords.Y, Z: placed.coords.Z}
	var errs []error
	c.Orchestrator = p.orchestratorOf(placed.orchestrator, placed.coords.X, &errs)
	for i, id := range pl.Allowed {
		e, ok := p.net.Entity(id)
		if !ok {
			return c, fmt.Errorf("plan of %s allows %s, which the network does not have", w.Name, id)
		}
		rt := p.runtimeOf(e, &errs)
		if i == 0 {
			c.Runtime = rt
			continue
		}
		c.Allowed = append(c.Allowed, rt)
	}
	if len(pl.Allowed) == 0 {
		c.Runtime = p.runtimeOf(placed.runtime, &errs)
	}
	if rt, ok := p.net.Entity(c.Runtime.Name); ok {
		checkConfiguredRuntime(placed.orchestrator, rt, &errs)
	}
	if len(errs) == 0 {
		c.Policy = p.policyOf(pl, w, placed, c, &errs)
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("plan of %s: %w", w.Name, errors.Join(errs...))
	}
	for _, ch := range pl.Stack {
		if ch.Role == RoleObservability {
			c.Observability = append(c.Observability, ch.Technology)
		}
	}
	return c, nil
}

// text reads an attribute as text, or "".
func text(e *network.Entity, name string) string {
	if a, ok := e.Attr(name); ok {
		return attrText(a)
	}
	return ""
}

// keyValues reads a list attribute of KEY=VALUE items; an item without "=" is an error
// naming where it was declared.
func keyValues(e *network.Entity, name string, errs *[]error) map[string]string {
	list := listAttr(e, name)
	if len(list) == 0 {
		return nil
	}
	out := make(map[string]string, len(list))
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			*errs = append(*errs, fmt.Errorf("%s's %s item %q is not KEY=VALUE (%s)", e.ID, name, kv, attrSource(e, name)))
			continue
		}
		out[k] = v
	}
	return out
}

// orchestratorOf describes an orchestrator from its attributes.
func (p *Planner) orchestratorOf(e *network.Entity, x int, errs *[]error) manifest.Orchestrator {
	return manifest.Orchestrator{
		Name: e.ID, X: x,
		Manifests:           text(e, "manifests"),
		RuntimeConfig:       text(e, "runtime-config"),
		RuntimeConfigPath:   text(e, "runtime-config-path"),
		RuntimeConfigPathV3: text(e, "runtime-config-path-v3"),
		ConfiguresRuntimes:  configuredHandlers(e),
		NodeSelector:        keyValues(e, "node-selector", errs),
		NodeNeeds:           listAttr(e, "node-needs"),
		NodeAgentConfig:     text(e, "node-agent-config"),
		NodeAgentConfigPath: text(e, "node-agent-config-path"),
		RuntimeEndpoint:     text(e, "runtime-endpoint"),
	}
}

// configuredHandlers are the handlers of an orchestrator's configures-runtimes items
// (HANDLER or HANDLER=RUNTIME_TYPE).
func configuredHandlers(e *network.Entity) []string {
	var out []string
	for _, item := range listAttr(e, "configures-runtimes") {
		h, _, _ := strings.Cut(item, "=")
		out = append(out, h)
	}
	return out
}

// checkConfiguredRuntime refuses a runtime whose handler the orchestrator's own
// configuration declares with another runtime type (configures-runtimes HANDLER=TYPE): no
// node file is written for such a handler, so the node would run the orchestrator's shim,
// not the one the plan and the files name.
func checkConfiguredRuntime(orch, rt *network.Entity, errs *[]error) {
	handler, shim := text(rt, "handler"), text(rt, "runtime-type")
	for _, item := range listAttr(orch, "configures-runtimes") {
		h, declared, typed := strings.Cut(item, "=")
		if h == handler && typed && declared != shim {
			*errs = append(*errs, fmt.Errorf("%s declares the handler %s itself, with runtime type %s (%s), so strata writes no node file for it and the node would run that shim, not %s's %s (%s); give %s its own handler",
				orch.ID, h, declared, attrSource(orch, "configures-runtimes"), rt.ID, shim, attrSource(rt, "runtime-type"), rt.ID))
		}
	}
}

// runtimeOf describes an isolation runtime from its attributes.
func (p *Planner) runtimeOf(e *network.Entity, errs *[]error) manifest.Runtime {
	rt := manifest.Runtime{
		Name: e.ID, Handler: text(e, "handler"), Class: text(e, "runtime-class"),
		RuntimeType:                  text(e, "runtime-type"),
		Options:                      keyValues(e, "containerd-options", errs),
		PodAnnotations:               listAttr(e, "containerd-pod-annotations"),
		GPU:                          slices.Contains(listAttr(e, "capabilities"), "gpu"),
		GPUOptions:                   keyValues(e, "gpu-containerd-options", errs),
		NodeNeeds:                    listAttr(e, "node-needs"),
		GPUNodeNeeds:                 listAttr(e, "gpu-node-needs"),
		OverheadCPU:                  text(e, "overhead-cpu"),
		PrivilegedWithoutHostDevices: boolAttr(e, "privileged-without-host-devices"),
	}
	if err := manifest.CheckHandler(rt.Handler); err != nil {
		*errs = append(*errs, fmt.Errorf("%s's handler %q (%s) is not a RuntimeClass handler: %v; change the handler attribute", e.ID, rt.Handler, attrSource(e, "handler"), err))
	}
	if layer := p.layerOf(e); layer != nil {
		rt.Layer = layer.ID
	}
	if mb, ok := number(e, "workload-footprint-mb"); ok && mb > 0 {
		rt.OverheadMemory = fmtNum(mb) + "Mi"
	}
	return rt
}

func boolAttr(e *network.Entity, name string) bool {
	a, ok := e.Attr(name)
	return ok && a.Type == network.TypeBool && a.Bool
}

// policyOf is what enforces the plan's Z: the policy objects of the engine the plan chose
// (policy-objects, or policy-objects-in-cluster at X ≥ 1), and those of each weaker level
// kept below it (kept-below). Without an engine, only the kept levels: Z then comes from
// the stack itself (a sandbox's policy-level), which the files say.
//
// When the plan rests on the runtime class and none of those objects pins it at admission,
// the objects of the technology that pins it (see [Planner.runtimePin]) are added, e.g.
// kube-apiserver's ValidatingAdmissionPolicy beside WasmEdge's sandbox.
//
// It refuses what would leave Z or the isolation unenforced: an engine with no objects
// strata writes; an engine at Z ≥ 3 (admission) whose objects do not keep the pods on their
// runtime classes; an engine at Z=4 whose objects enforce no business rules; and a workload that needs a minimum isolation (untrusted code) with no
// object that keeps it there.
func (p *Planner) policyOf(pl *Plan, w Workload, placed placement, c manifest.Choice, errs *[]error) manifest.Policy {
	var pol manifest.Policy
	clustered := placed.coords.X > 0
	objectsOf := func(e *network.Entity) []string {
		sets, _ := objectSets(e, clustered)
		return sets
	}
	attrOf := func(e *network.Entity) string {
		_, attr := objectSets(e, clustered)
		return attr
	}
	level := placed.coords.Z
	if id := pl.Technology(RolePolicy); id != "" {
		e, _ := p.net.Entity(id)
		pol.Engine = id
		objs := objectsOf(e)
		level, _ = p.zOf(e, clustered)
		if len(objs) == 0 {
			*errs = append(*errs, fmt.Errorf("%s, the plan's policy engine for Z=%d (%s), declares no %s: strata would write nothing that enforces it; give %s a %s attribute (the object sets strata writes are listed in network/default/80-planning.yaml)",
				id, placed.coords.Z, e.Source.Short(), attrOf(e), id, attrOf(e)))
		}
		pol.Objects = append(pol.Objects, objs...)
	} else if placed.zBy != nil {
		_, why := p.zOf(placed.zBy, clustered)
		pol.EnforcedBy = placed.zBy.ID + ": " + why
	}
	reqs, err := p.requirements(w)
	if err != nil {
		*errs = append(*errs, err)
		return pol
	}
	for _, k := range p.keptBelow(w, reqs, level, placed.orchestrator) {
		pol.Objects = append(pol.Objects, objectsOf(k.engine)...)
	}
	if e, _ := p.net.Entity(pol.Engine); e != nil && level >= 3 && len(pol.Objects) > 0 && !slices.ContainsFunc(pol.Objects, manifest.KeepsRuntimeClass) {
		*errs = append(*errs, fmt.Errorf("%s stands for Z=%d, admission, but neither its %s (%s, %s) nor a level kept below it keeps the pods on their runtime classes: add an object set that does, e.g. gatekeeper-runtime-classes",
			e.ID, level, attrOf(e), strings.Join(objectsOf(e), ", "), attrSource(e, attrOf(e))))
		return pol
	}
	if e, _ := p.net.Entity(pol.Engine); e != nil && level >= 4 && !slices.ContainsFunc(pol.Objects, manifest.EnforcesBusinessRules) {
		*errs = append(*errs, fmt.Errorf("%s stands for Z=%d, business rules, but none of its %s (%s, %s) enforces the rules the workload names: add an object set that does, e.g. gatekeeper-business-rules",
			e.ID, level, attrOf(e), strings.Join(objectsOf(e), ", "), attrSource(e, attrOf(e))))
		return pol
	}
	if pin, _, _ := p.runtimePin(w, reqs, placed, pol.Objects); pin != nil {
		pol.Objects = append(pol.Objects, objectsOf(pin)...)
		pol.Pin = pin.ID
	}
	for _, r := range reqs {
		if a, ok := r.e.Attr("min-isolation-strength"); ok && !slices.ContainsFunc(pol.Objects, manifest.KeepsRuntimeClass) {
			*errs = append(*errs, fmt.Errorf("%s needs isolation-strength ≥ %s (%s), but none of the policy objects (%s) keeps the pods on the runtime classes that give it; give the policy engine an object set that does, e.g. gatekeeper-runtime-classes",
				r.e.ID, a.String, a.Source.Short(), strings.Join(pol.Objects, ", ")))
			break
		}
	}
	return pol
}

// Emit plans nothing new: it builds the objects that enforce pl (see [Planner.Choice] and
// [manifest.Build]).
func (p *Planner) Emit(pl *Plan, w Workload, o EmitOptions) ([]manifest.Object, error) {
	c, err := p.Choice(pl, w, o)
	if err != nil {
		return nil, err
	}
	objs, err := manifest.Build(c)
	if err != nil {
		return nil, p.located(c, pl.Coordinates.X > 0, err)
	}
	return objs, nil
}

// runtimeAttrs names the network attribute each Runtime field of a Choice is read from
// (see [Planner.runtimeOf]).
var runtimeAttrs = map[string]string{
	"Handler": "handler", "Class": "runtime-class", "RuntimeType": "runtime-type",
	"Options": "containerd-options", "GPUOptions": "gpu-containerd-options",
	"PodAnnotations": "containerd-pod-annotations", "NodeNeeds": "node-needs",
	"OverheadCPU": "overhead-cpu", "OverheadMemory": "workload-footprint-mb",
}

// located adds to a Build error where in the network each field it names was written:
// the messages are the manifest package's, which knows a Choice, not the files its values
// came from.
func (p *Planner) located(c manifest.Choice, clustered bool, err error) error {
	var where []string
	seen := map[string]bool{}
	note := func(field string, e *network.Entity, attr string) {
		if e == nil || seen[field] {
			return
		}
		if a, ok := e.Attr(attr); ok {
			seen[field] = true
			where = append(where, fmt.Sprintf("%s is %s's %s (%s)", field, e.ID, attr, a.Source.Short()))
		}
	}
	for _, fe := range fieldErrors(err) {
		head, rest, _ := strings.Cut(fe.Field, ".")
		var rt *manifest.Runtime
		switch {
		case head == "Runtime":
			rt = &c.Runtime
		case strings.HasPrefix(head, "Allowed["):
			var i int
			if _, err := fmt.Sscanf(head, "Allowed[%d]", &i); err == nil && i >= 0 && i < len(c.Allowed) {
				rt = &c.Allowed[i]
			}
		case fe.Field == "Policy.Objects":
			for _, id := range []string{c.Policy.Engine, c.Policy.Pin} {
				if e, ok := p.net.Entity(id); ok && id != "" {
					_, attr := objectSets(e, clustered)
					note(fe.Field+" ("+id+")", e, attr)
				}
			}
		}
		if attr, ok := runtimeAttrs[rest]; ok && rt != nil {
			e, _ := p.net.Entity(rt.Name)
			note(fe.Field, e, attr)
		}
	}
	if len(where) == 0 {
		return err
	}
	return fmt.Errorf("%w\nwhere: %s", err, strings.Join(where, "; "))
}

// fieldErrors are the *manifest.FieldError values in err's tree.
func fieldErrors(err error) []*manifest.FieldError {
	var out []*manifest.FieldError
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*manifest.FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

package fleet

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/plan/manifest"
)

// FieldManager is the field manager strata applies with.
const FieldManager = "strata"

// ApplyOptions tune [Cluster.Apply].
type ApplyOptions struct {
	// DryRun asks the server to validate and admit without persisting (--dry-run=server).
	DryRun bool
	// Force takes over fields another manager owns (kubectl's --force-conflicts).
	Force bool
	// Concurrency bounds the objects of one tier applied at once; 0 means
	// [DefaultApplyConcurrency], 1 one at a time.
	Concurrency int
}

// Applied is one object the server accepted.
type Applied struct {
	Kind      string `json:"kind" yaml:"kind"`
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Name      string `json:"name" yaml:"name"`
	// Result is "created", "configured" or "unchanged"; with a dry run "(server dry run)"
	// follows.
	Result string `json:"result" yaml:"result"`
}

// ApplyConflict is a server-side apply refused because other managers own fields.
type ApplyConflict struct {
	Kind, Namespace, Name string
	// Fields maps each conflicting field to the manager that owns it.
	Fields []FieldOwner
	Err    error
}

// FieldOwner is a field and its manager.
type FieldOwner struct{ Field, Manager string }

func (e *ApplyConflict) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apply %s %s: conflict: ", e.Kind, objectName(e.Namespace, e.Name))
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s is managed by %q", f.Field, f.Manager)
	}
	b.WriteString("; pass --force-conflicts to take these fields over, or change them with that manager")
	return b.String()
}

func (e *ApplyConflict) Unwrap() error { return e.Err }

func objectName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// DefaultApplyConcurrency is how many objects [Cluster.Apply] has in flight at once when
// [ApplyOptions] leaves Concurrency 0.
const DefaultApplyConcurrency = 16

// Apply server-side applies the cluster objects among objs (node files such as the
// containerd configuration are skipped) with the field manager "strata" and strict field
// validation: an unknown or duplicate field is an error, not dropped.
//
// Objects are applied tier by tier (see [ApplyTier]): namespaces and CRDs, then what
// admission and pods look up (RuntimeClasses, ConstraintTemplates, ConfigMaps …), then
// the rest, then the workloads, each tier only once every object of the tiers before was
// accepted. Within a tier, up to o.Concurrency objects are applied at once; an object
// given again as it was given just before is applied once, and with other content after
// its earlier version, so the content given last stays. The result lists the objects
// applied, tier by tier, in the order given within a tier. A kind the cluster does not
// serve stops the apply before its tier is applied.
//
// After the first object the server refuses, no further object is started: the objects
// already in flight finish, and the error joins each refused object's error (each names
// the object) in the order given.
func (c *Cluster) Apply(ctx context.Context, objs []manifest.Object, o ApplyOptions) ([]Applied, error) {
	mapper, err := c.restMapper()
	if err != nil {
		return nil, err
	}
	// Every object is read before any is applied: a malformed one stops the apply before it
	// began.
	var todo []*applyItem
	for _, obj := range objs {
		if obj.Target != "" || obj.Kind == manifest.KindContainerdConfig {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(obj.YAML, &u.Object); err != nil {
			return nil, fmt.Errorf("%s: %w", obj.File, err)
		}
		todo = append(todo, &applyItem{file: obj.File, u: u, gvk: u.GroupVersionKind()})
	}
	slices.SortStableFunc(todo, func(a, b *applyItem) int {
		return cmp.Compare(ApplyTier(a.gvk.GroupKind()), ApplyTier(b.gvk.GroupKind()))
	})
	workers := o.Concurrency
	if workers <= 0 {
		workers = DefaultApplyConcurrency
	}
	var out []Applied
	for len(todo) > 0 {
		tier := ApplyTier(todo[0].gvk.GroupKind())
		n := 1
		for n < len(todo) && ApplyTier(todo[n].gvk.GroupKind()) == tier {
			n++
		}
		items := todo[:n]
		todo = todo[n:]
		// Kinds are mapped to resources here, one object after another, and only now: a kind
		// whose CRD an earlier tier created is served only after it. The first kind the
		// cluster does not serve stops the apply (every other object of that kind would
		// say the same, each after a discovery of its own).
		for _, it := range items {
			if err := c.mapItem(mapper, it); err != nil {
				return out, err
			}
		}
		var errs []error
		for _, wave := range applyWaves(items) {
			if !c.applyWave(ctx, wave, o, workers) {
				break
			}
		}
		for _, it := range items {
			switch {
			case it.err != nil:
				errs = append(errs, it.err)
			case it.done:
				out = append(out, it.applied)
			}
		}
		if len(errs) > 0 {
			return out, errors.Join(errs...)
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
	}
	return out, nil
}

// ApplyTier is the tier [Cluster.Apply] applies a kind in:
//
//   - 0: namespaces and CustomResourceDefinitions, which other objects live in or are of;
//   - 1: what admission and pods look up: RuntimeClasses, Gatekeeper's
//     ConstraintTemplates (Gatekeeper makes the constraint kinds of them),
//     ValidatingAdmissionPolicies, ConfigMaps, Secrets, ServiceAccounts, roles,
//     PriorityClasses, StorageClasses;
//   - 2: every other kind: constraints, policy bindings, Services, NetworkPolicies …;
//   - 3: workloads (Pods and what makes them), once the policies that admit their pods
//     and what they mount are there.
func ApplyTier(gk schema.GroupKind) int {
	switch gk {
	case schema.GroupKind{Kind: "Namespace"}, schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:
		return 0
	case schema.GroupKind{Group: "node.k8s.io", Kind: "RuntimeClass"},
		schema.GroupKind{Group: "templates.gatekeeper.sh", Kind: "ConstraintTemplate"},
		schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: manifest.KindValidatingAdmissionPolicy},
		schema.GroupKind{Kind: "ConfigMap"}, schema.GroupKind{Kind: "Secret"}, schema.GroupKind{Kind: "ServiceAccount"},
		schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "Role"}, schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"},
		schema.GroupKind{Group: "scheduling.k8s.io", Kind: "PriorityClass"}, schema.GroupKind{Group: "storage.k8s.io", Kind: "StorageClass"}:
		return 1
	case schema.GroupKind{Kind: "Pod"}, schema.GroupKind{Kind: "ReplicationController"},
		schema.GroupKind{Group: "apps", Kind: "Deployment"}, schema.GroupKind{Group: "apps", Kind: "ReplicaSet"},
		schema.GroupKind{Group: "apps", Kind: "StatefulSet"}, schema.GroupKind{Group: "apps", Kind: "DaemonSet"},
		schema.GroupKind{Group: "batch", Kind: "Job"}, schema.GroupKind{Group: "batch", Kind: "CronJob"}:
		return 3
	}
	return 2
}

// applyItem is one object on its way through [Cluster.Apply].
type applyItem struct {
	file string
	u    *unstructured.Unstructured
	gvk  schema.GroupVersionKind
	// Set by mapItem.
	mapping *meta.RESTMapping
	ns      string
	body    []byte
	// Set once applied (done) or refused (err).
	applied Applied
	done    bool
	err     error
}

// mapItem finds the resource of the item's kind and its namespace, and encodes its body.
func (c *Cluster) mapItem(mapper *restmapper.DeferredDiscoveryRESTMapper, it *applyItem) error {
	gvk := it.gvk
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		// A kind created a moment ago (a CRD applied earlier in this run) is not in the
		// cached discovery yet.
		mapper.Reset()
		m, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		if meta.IsNoMatchError(err) {
			return fmt.Errorf("%s: the cluster does not serve %s (%s)%s", it.file, gvk.Kind, gvk.GroupVersion(), hintFor(gvk))
		}
		return c.wrap(err, "get", "the API discovery", "")
	}
	it.mapping = m
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		it.ns = it.u.GetNamespace()
		if it.ns == "" {
			it.ns = "default"
			it.u.SetNamespace(it.ns)
		}
	}
	it.body, err = it.u.MarshalJSON()
	return err
}

// applyWaves splits one tier's items into waves applied one after another: an object
// given again with other content than just before goes into the wave after its earlier
// versions, so the one given last is the one that stays; one given again with the same
// content as just before is applied once (the repeat is dropped).
func applyWaves(items []*applyItem) [][]*applyItem {
	type id struct {
		gr       schema.GroupResource
		ns, name string
	}
	versions := map[id][][]byte{}
	var waves [][]*applyItem
	for _, it := range items {
		k := id{it.mapping.Resource.GroupResource(), it.ns, it.u.GetName()}
		seen := versions[k]
		if len(seen) > 0 && bytes.Equal(seen[len(seen)-1], it.body) {
			continue
		}
		w := len(seen)
		versions[k] = append(seen, it.body)
		if w == len(waves) {
			waves = append(waves, nil)
		}
		waves[w] = append(waves[w], it)
	}
	return waves
}

// applyWave applies the items, up to workers at once, until one is refused; those not
// started then are left undone. It says whether every item was applied.
func (c *Cluster) applyWave(ctx context.Context, items []*applyItem, o ApplyOptions, workers int) bool {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed bool
	)
	sem := make(chan struct{}, workers)
	for _, it := range items {
		sem <- struct{}{}
		mu.Lock()
		stop := failed
		mu.Unlock()
		if stop || ctx.Err() != nil {
			<-sem
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			it.applied, it.err = c.applyOne(ctx, it, o)
			it.done = it.err == nil
			if it.err != nil {
				mu.Lock()
				failed = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return !failed && ctx.Err() == nil
}

// applyOne server-side applies one mapped object: a GET to tell created, configured and
// unchanged apart, then the apply.
func (c *Cluster) applyOne(ctx context.Context, it *applyItem, o ApplyOptions) (Applied, error) {
	m, ns, name, kind := it.mapping, it.ns, it.u.GetName(), it.gvk.Kind
	res := c.Dynamic.Resource(m.Resource)
	var ri interface {
		Get(context.Context, string, metav1.GetOptions, ...string) (*unstructured.Unstructured, error)
		Patch(context.Context, string, types.PatchType, []byte, metav1.PatchOptions, ...string) (*unstructured.Unstructured, error)
	} = res
	if ns != "" {
		ri = res.Namespace(ns)
	}
	before, err := ri.Get(ctx, name, metav1.GetOptions{})
	existed := err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		return Applied{}, c.wrap(err, "get", m.Resource.Resource, ns)
	}
	opts := metav1.PatchOptions{FieldManager: FieldManager, FieldValidation: "Strict", Force: &o.Force}
	if o.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	after, err := ri.Patch(ctx, name, types.ApplyPatchType, it.body, opts)
	if err != nil {
		if apierrors.IsConflict(err) {
			if conf := conflict(err, kind, ns, name); conf != nil {
				return Applied{}, conf
			}
		}
		if apierrors.IsForbidden(err) {
			return Applied{}, c.wrap(err, "patch", m.Resource.Resource, ns)
		}
		var status apierrors.APIStatus
		if errors.As(err, &status) {
			return Applied{}, fmt.Errorf("%s: the API server refused %s %s: %w", it.file, kind, objectName(ns, name), err)
		}
		return Applied{}, c.wrap(err, "patch", m.Resource.Resource, ns)
	}
	a := Applied{Kind: kind, Namespace: ns, Name: name, Result: "configured"}
	switch {
	case !existed:
		a.Result = "created"
	case before.GetResourceVersion() == after.GetResourceVersion():
		a.Result = "unchanged"
	}
	if o.DryRun {
		a.Result += " (server dry run)"
	}
	return a, nil
}

// conflict reads the fields and managers out of a 409 answer to a server-side apply.
func conflict(err error, kind, ns, name string) *ApplyConflict {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return nil
	}
	c := &ApplyConflict{Kind: kind, Namespace: ns, Name: name, Err: err}
	for _, cause := range status.Status().Details.Causes {
		if cause.Type != metav1.CauseTypeFieldManagerConflict {
			continue
		}
		// The message reads: conflict with "kubectl" using apps/v1: .spec.replicas
		manager := cause.Message
		if i := strings.Index(manager, `"`); i >= 0 {
			if j := strings.Index(manager[i+1:], `"`); j >= 0 {
				manager = manager[i+1 : i+1+j]
			}
		}
		c.Fields = append(c.Fields, FieldOwner{Field: cause.Field, Manager: manager})
	}
	if len(c.Fields) == 0 {
		return nil
	}
	return c
}

func hintFor(gvk schema.GroupVersionKind) string {
	if strings.HasSuffix(gvk.Group, "gatekeeper.sh") {
		return "; install Gatekeeper first (its ConstraintTemplate CRD, and for a constraint the template's own CRD that Gatekeeper makes from it)"
	}
	return ""
}

// restMapper maps kinds to resources from the cluster's discovery, read once and again
// when a kind is missing.
func (c *Cluster) restMapper() (*restmapper.DeferredDiscoveryRESTMapper, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mapper == nil {
		dc, err := c.discovery()
		if err != nil {
			return nil, err
		}
		c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	}
	return c.mapper, nil
}

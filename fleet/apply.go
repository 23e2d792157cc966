package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"

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

// Apply server-side applies the cluster objects among objs (node files such as the
// containerd configuration are skipped), in order, with the field manager "strata" and
// strict field validation: an unknown or duplicate field is an error, not dropped. It
// stops at the first object the server refuses.
func (c *Cluster) Apply(ctx context.Context, objs []manifest.Object, o ApplyOptions) ([]Applied, error) {
	mapper, err := c.restMapper()
	if err != nil {
		return nil, err
	}
	var out []Applied
	for _, obj := range objs {
		if obj.Target != "" || obj.Kind == manifest.KindContainerdConfig {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(obj.YAML, &u.Object); err != nil {
			return out, fmt.Errorf("%s: %w", obj.File, err)
		}
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			// A kind created a moment ago (a CRD applied earlier in this run) is not in the
			// cached discovery yet.
			mapper.Reset()
			m, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		}
		if err != nil {
			if meta.IsNoMatchError(err) {
				return out, fmt.Errorf("%s: the cluster does not serve %s (%s)%s", obj.File, gvk.Kind, gvk.GroupVersion(), hintFor(gvk))
			}
			return out, c.wrap(err, "get", "the API discovery", "")
		}
		res := c.Dynamic.Resource(m.Resource)
		var ri interface {
			Get(context.Context, string, metav1.GetOptions, ...string) (*unstructured.Unstructured, error)
			Patch(context.Context, string, types.PatchType, []byte, metav1.PatchOptions, ...string) (*unstructured.Unstructured, error)
		} = res
		ns := ""
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ns = u.GetNamespace()
			if ns == "" {
				ns = "default"
				u.SetNamespace(ns)
			}
			ri = res.Namespace(ns)
		}
		before, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
		existed := err == nil
		if err != nil && !apierrors.IsNotFound(err) {
			return out, c.wrap(err, "get", m.Resource.Resource, ns)
		}
		body, err := u.MarshalJSON()
		if err != nil {
			return out, err
		}
		opts := metav1.PatchOptions{FieldManager: FieldManager, FieldValidation: "Strict", Force: &o.Force}
		if o.DryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		after, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, body, opts)
		if err != nil {
			if apierrors.IsConflict(err) {
				if conf := conflict(err, gvk.Kind, ns, u.GetName()); conf != nil {
					return out, conf
				}
			}
			if apierrors.IsForbidden(err) {
				return out, c.wrap(err, "patch", m.Resource.Resource, ns)
			}
			var status apierrors.APIStatus
			if errors.As(err, &status) {
				return out, fmt.Errorf("%s: the API server refused %s %s: %w", obj.File, gvk.Kind, objectName(ns, u.GetName()), err)
			}
			return out, c.wrap(err, "patch", m.Resource.Resource, ns)
		}
		a := Applied{Kind: gvk.Kind, Namespace: ns, Name: u.GetName(), Result: "configured"}
		switch {
		case !existed:
			a.Result = "created"
		case before.GetResourceVersion() == after.GetResourceVersion():
			a.Result = "unchanged"
		}
		if o.DryRun {
			a.Result += " (server dry run)"
		}
		out = append(out, a)
	}
	return out, nil
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

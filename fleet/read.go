package fleet

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/pager"
)

// PageSize is how many objects one LIST request asks for, as kubectl's --chunk-size.
const PageSize = 500

// Snapshot is what one cluster holds that strata reads: its nodes, its RuntimeClasses,
// and the pods bound to nodes that ask for a RuntimeClass.
type Snapshot struct {
	Context string `json:"context" yaml:"context"`
	Server  string `json:"server" yaml:"server"`
	// Version is the API server's gitVersion (v1.30.4+k3s1 for K3s).
	Version        string         `json:"version" yaml:"version"`
	Nodes          []Node         `json:"nodes" yaml:"nodes"`
	RuntimeClasses []RuntimeClass `json:"runtimeClasses" yaml:"runtimeClasses"`
	// Pods are the bound pods that name a RuntimeClass.
	Pods  []Pod     `json:"-" yaml:"-"`
	Taken time.Time `json:"taken" yaml:"taken"`
}

// RuntimeClass is a RuntimeClass's handler and the scheduling it adds to its pods.
type RuntimeClass struct {
	Name         string              `json:"name" yaml:"name"`
	Handler      string              `json:"handler" yaml:"handler"`
	NodeSelector map[string]string   `json:"nodeSelector,omitempty" yaml:"nodeSelector,omitempty"`
	Tolerations  []corev1.Toleration `json:"-" yaml:"-"`
}

// Pod is a bound pod that runs with a RuntimeClass.
type Pod struct {
	Namespace, Name, Node, RuntimeClass string
}

// Read lists the cluster's nodes, RuntimeClasses and the pods that name a RuntimeClass,
// [PageSize] objects per request as kubectl does, so a cluster of thousands of nodes
// never needs one huge response.
func (c *Cluster) Read(ctx context.Context) (*Snapshot, error) {
	s, err := c.ReadNodes(ctx)
	if err != nil {
		return nil, err
	}
	if err := each(ctx, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return c.Client.NodeV1().RuntimeClasses().List(ctx, o)
	}, metav1.ListOptions{}, func(o runtime.Object) {
		rc := o.(*nodev1.RuntimeClass)
		r := RuntimeClass{Name: rc.Name, Handler: rc.Handler}
		if rc.Scheduling != nil {
			r.NodeSelector, r.Tolerations = rc.Scheduling.NodeSelector, rc.Scheduling.Tolerations
		}
		s.RuntimeClasses = append(s.RuntimeClasses, r)
	}); err != nil {
		return nil, c.wrap(err, "list", "runtimeclasses.node.k8s.io", "")
	}
	if len(s.RuntimeClasses) > 0 {
		if err := each(ctx, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return c.Client.CoreV1().Pods("").List(ctx, o)
		}, metav1.ListOptions{FieldSelector: "spec.nodeName!="}, func(o runtime.Object) {
			p := o.(*corev1.Pod)
			// Terminating pods are on their way out, whatever their node offers now.
			if p.Spec.RuntimeClassName != nil && p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				s.Pods = append(s.Pods, Pod{Namespace: p.Namespace, Name: p.Name, Node: p.Spec.NodeName, RuntimeClass: *p.Spec.RuntimeClassName})
			}
		}); err != nil {
			return nil, c.wrap(err, "list", "pods", "")
		}
	}
	s.Taken = time.Now().UTC()
	return s, nil
}

// ReadNodes is the part of [Cluster.Read] a plan needs: the API server's version and the
// nodes, without the RuntimeClasses and the pods (a cluster running thousands of pods
// would make every plan wait for them).
func (c *Cluster) ReadNodes(ctx context.Context) (*Snapshot, error) {
	s := &Snapshot{Context: c.Context, Server: c.Server}
	v, err := c.Client.Discovery().ServerVersion()
	if err != nil {
		return nil, c.wrap(err, "get", "version", "")
	}
	s.Version = v.GitVersion
	if err := each(ctx, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return c.Client.CoreV1().Nodes().List(ctx, o)
	}, metav1.ListOptions{}, func(o runtime.Object) {
		s.Nodes = append(s.Nodes, ParseNode(o.(*corev1.Node)))
	}); err != nil {
		return nil, c.wrap(err, "list", "nodes", "")
	}
	s.Taken = time.Now().UTC()
	return s, nil
}

// each lists page by page and calls fn for every item.
func each(ctx context.Context, list pager.ListPageFunc, opts metav1.ListOptions, fn func(runtime.Object)) error {
	p := pager.New(list)
	p.PageSize = PageSize
	return p.EachListItem(ctx, opts, func(o runtime.Object) error {
		fn(o)
		return nil
	})
}

package fleet

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
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
	s, err := c.ReadNodes(ctx, Consistent)
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

// Freshness is how current a read of the nodes must be.
type Freshness int

const (
	// Consistent reads the nodes as etcd holds them now (a LIST without resourceVersion,
	// as kubectl get): a change made before the read is in it. On etcd older than 3.4.31
	// or 3.5.13 the API server reads every page from etcd; on newer, from its watch cache
	// once that cache has caught up with etcd.
	Consistent Freshness = iota
	// Cached reads the nodes from the API server's watch cache (resourceVersion=0, as
	// client-go's informers and so the scheduler start from), in one response. The cache
	// follows etcd's watch and is usually milliseconds behind it, but nothing bounds that:
	// a label changed a moment before may not be in it yet. It is the view the scheduler
	// places pods by, and several times cheaper for the API server than reading etcd.
	Cached
)

// ReadNodes is the part of [Cluster.Read] a plan needs: the API server's version and the
// nodes, without the RuntimeClasses and the pods (a cluster running thousands of pods
// would make every plan wait for them), read as fresh as f says.
func (c *Cluster) ReadNodes(ctx context.Context, f Freshness) (*Snapshot, error) {
	s := &Snapshot{Context: c.Context, Server: c.Server}
	v, err := c.Client.Discovery().ServerVersion()
	if err != nil {
		return nil, c.wrap(err, "get", "version", "")
	}
	s.Version = v.GitVersion
	var opts metav1.ListOptions
	if f == Cached {
		opts.ResourceVersion = "0"
	}
	if err := c.listNodes(ctx, opts, func(n *corev1.Node) {
		s.Nodes = append(s.Nodes, ParseNode(n))
	}); err != nil {
		return nil, c.wrap(err, "list", "nodes", "")
	}
	s.Taken = time.Now().UTC()
	return s, nil
}

// listNodes lists the nodes [PageSize] per request (the watch cache answers a
// resourceVersion=0 LIST in one response whatever the limit) and calls fn with each. A
// protobuf page (what [Connect] asks for) is read by [nodeDecoder] as it arrives, keeping
// only what [ParseNode] reads; any other answer is read whole and decoded. A continue
// token that expired between pages (the API server compacted its history) restarts the
// list without pages, as client-go's pager does.
func (c *Cluster) listNodes(ctx context.Context, opts metav1.ListOptions, fn func(*corev1.Node)) error {
	first := opts
	opts.Limit = PageSize
	var d nodeDecoder
	var nodes []*corev1.Node // the pages so far, handed to fn only once the list is whole
	var br *bufio.Reader
	for {
		// Stream, not Do: Do reads the whole body (12 MB for 5,000 nodes) before anything
		// is decoded. Its errors are Do's: the Status the server sent, decoded.
		body, err := c.Client.CoreV1().RESTClient().Get().Resource("nodes").VersionedParams(&opts, scheme.ParameterCodec).Stream(ctx)
		if apierrors.IsResourceExpired(err) && opts.Continue != "" {
			opts, nodes = first, nodes[:0]
			continue
		}
		if err != nil {
			return err
		}
		cont, err := readNodePage(&d, &br, body, func(n *corev1.Node) { nodes = append(nodes, n) })
		body.Close()
		if err != nil {
			return fmt.Errorf("list nodes: %w", err)
		}
		if cont == "" {
			break
		}
		opts.Continue, opts.ResourceVersion, opts.ResourceVersionMatch = cont, "", ""
	}
	for _, n := range nodes {
		fn(n)
	}
	return nil
}

// MaxListBytes bounds a page of nodes that is not protobuf, read whole before it is
// decoded: 500 nodes of JSON are a few megabytes.
const MaxListBytes = 512 << 20

// readNodePage reads one page of nodes from body: protobuf (it starts with the magic)
// node by node, anything else whole, decoded by Kubernetes' codecs. br is reused from
// page to page.
func readNodePage(d *nodeDecoder, br **bufio.Reader, body io.Reader, fn func(*corev1.Node)) (cont string, err error) {
	if *br == nil {
		*br = bufio.NewReaderSize(body, 64<<10)
	} else {
		(*br).Reset(body)
	}
	r := *br
	if head, _ := r.Peek(len(protobufMagic)); bytes.Equal(head, protobufMagic) {
		return d.decodeNodeStream(r, fn)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxListBytes+1))
	if err != nil {
		return "", err
	}
	if len(data) > MaxListBytes {
		return "", fmt.Errorf("a page of more than %d MiB", MaxListBytes>>20)
	}
	var list corev1.NodeList
	if _, _, err := scheme.Codecs.UniversalDeserializer().Decode(data, nil, &list); err != nil {
		return "", err
	}
	for i := range list.Items {
		fn(&list.Items[i])
	}
	return list.Continue, nil
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

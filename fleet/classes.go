package fleet

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/measured"
)

// What the Helm chart's bench Jobs and strata share about node classes. The chart
// computes the same class IDs in its template (templates/bench.yaml); a test installs it
// on the control plane and compares.
const (
	// ClassLabel, on a bench ConfigMap and Job, holds the node class's [ClassID].
	ClassLabel = "strata.dev/node-class"
	// ClassLabelsAnnotation, on a bench ConfigMap, holds the class's [ClassKey].
	ClassLabelsAnnotation = "strata.dev/node-class-labels"
	// BenchComponent is the app.kubernetes.io/component of the bench ConfigMaps and Jobs.
	BenchComponent = "bench"
	// BenchKey is the ConfigMap data key that holds strata bench -o json.
	BenchKey = "bench.json"
	// BenchFieldManager is the field manager the bench Job writes its results with.
	BenchFieldManager = "strata-bench"
)

// Class is a node class: the nodes whose strata labels offer the same isolation layers and
// runtime handlers. The chart benchmarks one node of each class.
type Class struct {
	// ID is the first 10 hex digits of the SHA-256 of Key: short enough for object names.
	ID string `json:"id" yaml:"id"`
	// Key is the class's strata layer and runtime labels set to "true", sorted, joined
	// by commas.
	Key   string   `json:"labels" yaml:"labels"`
	Nodes []string `json:"nodes" yaml:"nodes"`
	// Kernels are the kernel versions its nodes report (status.nodeInfo), sorted.
	Kernels  []string `json:"kernels" yaml:"kernels"`
	kernelOf map[string]string
}

// ClassKey is the class key of a node's labels: every label under [LayerPrefix] or
// [RuntimePrefix] whose value is "true", sorted and joined by commas; "" for a node the
// probe did not label.
func ClassKey(labels map[string]string) string {
	var keys []string
	for k, v := range labels {
		if v == "true" && (strings.HasPrefix(k, LayerPrefix) || strings.HasPrefix(k, RuntimePrefix)) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// ClassID is the ID of a class key (what the chart's template computes with sha256sum).
func ClassID(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:])[:10]
}

// Classes groups a snapshot's probed nodes by [ClassKey], the largest class first.
func Classes(s *Snapshot) []Class {
	byKey := map[string]*Class{}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		key := ClassKey(n.Labels)
		if key == "" {
			continue
		}
		c := byKey[key]
		if c == nil {
			c = &Class{ID: ClassID(key), Key: key, kernelOf: map[string]string{}}
			byKey[key] = c
		}
		c.Nodes = append(c.Nodes, n.Name)
		c.kernelOf[n.Name] = n.KernelVersion
		if n.KernelVersion != "" && !slices.Contains(c.Kernels, n.KernelVersion) {
			c.Kernels = append(c.Kernels, n.KernelVersion)
		}
	}
	out := make([]Class, 0, len(byKey))
	for _, c := range byKey {
		slices.Sort(c.Nodes)
		slices.Sort(c.Kernels)
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Class) int { return cmp.Or(cmp.Compare(len(b.Nodes), len(a.Nodes)), cmp.Compare(a.ID, b.ID)) })
	return out
}

// Offers says whether the class's labels offer the runtime handler.
func (c Class) Offers(handler string) bool {
	return slices.Contains(strings.Split(c.Key, ","), RuntimePrefix+handler)
}

// ClassResults is one bench ConfigMap: the node class it measured and what it holds.
type ClassResults struct {
	// Class is the ConfigMap's [ClassLabel]; Key its [ClassLabelsAnnotation].
	Class string `json:"class" yaml:"class"`
	Key   string `json:"labels" yaml:"labels"`
	// ConfigMap is namespace/name.
	ConfigMap string         `json:"configMap" yaml:"configMap"`
	Results   *bench.Results `json:"-" yaml:"-"`
	// Problem says why the ConfigMap holds no usable results (none written yet, or not
	// what strata bench writes).
	Problem string `json:"problem,omitempty" yaml:"problem,omitempty"`
}

// ReadBench reads the bench ConfigMaps in the namespace (those labelled
// app.kubernetes.io/component=bench with a [ClassLabel]), page by page. Results are
// decoded strictly and bounded as strata plan --measured reads a file; a ConfigMap
// without results, or with something else, is returned with its Problem.
func (c *Cluster) ReadBench(ctx context.Context, namespace string) ([]ClassResults, error) {
	var out []ClassResults
	sel := "app.kubernetes.io/component=" + BenchComponent + "," + ClassLabel
	err := each(ctx, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return c.Client.CoreV1().ConfigMaps(namespace).List(ctx, o)
	}, metav1.ListOptions{LabelSelector: sel}, func(o runtime.Object) {
		out = append(out, benchOf(o.(*corev1.ConfigMap)))
	})
	if err != nil {
		return nil, c.wrap(err, "list", "configmaps", namespace)
	}
	slices.SortFunc(out, func(a, b ClassResults) int { return cmp.Compare(a.ConfigMap, b.ConfigMap) })
	return out, nil
}

func benchOf(cm *corev1.ConfigMap) ClassResults {
	r := ClassResults{Class: cm.Labels[ClassLabel], Key: cm.Annotations[ClassLabelsAnnotation], ConfigMap: cm.Namespace + "/" + cm.Name}
	data := cm.Data[BenchKey]
	switch {
	case data == "":
		r.Problem = fmt.Sprintf("no %s in it yet: the bench Job has not written its results (kubectl -n %s get jobs -l %s=%s)", BenchKey, cm.Namespace, ClassLabel, r.Class)
	case len(data) > measured.MaxFileBytes:
		r.Problem = fmt.Sprintf("%s is %d bytes, more than %d", BenchKey, len(data), measured.MaxFileBytes)
	default:
		res, err := measured.ReadBench(r.ConfigMap+":"+BenchKey, []byte(data))
		if err != nil {
			r.Problem = err.Error()
		} else {
			r.Results = res
		}
	}
	if r.Key != "" && ClassID(r.Key) != r.Class {
		r.Problem = strings.TrimPrefix(r.Problem+"; ", "; ") + fmt.Sprintf("its %s %s is not the class of its %s %q (%s)", ClassLabel, r.Class, ClassLabelsAnnotation, r.Key, ClassID(r.Key))
		r.Results = nil
	}
	return r
}

// StoreBench writes strata bench -o json output into the ConfigMap's [BenchKey] with
// server-side apply (field manager [BenchFieldManager]), leaving its labels and
// annotations to whoever owns them: the chart creates the ConfigMap, the Job needs only
// patch on it.
func (c *Cluster) StoreBench(ctx context.Context, namespace, name string, data []byte) error {
	if len(data) > measured.MaxFileBytes {
		return fmt.Errorf("results of %d bytes: more than %d", len(data), measured.MaxFileBytes)
	}
	ac := corev1ac.ConfigMap(name, namespace).WithData(map[string]string{BenchKey: string(data)})
	_, err := c.Client.CoreV1().ConfigMaps(namespace).Apply(ctx, ac, metav1.ApplyOptions{FieldManager: BenchFieldManager, Force: true})
	return c.wrap(err, "patch", "configmaps", namespace)
}

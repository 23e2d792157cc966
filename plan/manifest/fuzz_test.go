package manifest

import (
	"testing"

	"github.com/strata-dev/strata/internal/admissiontest"

	"k8s.io/apimachinery/pkg/runtime"
)

// FuzzBuild varies the free-text fields of a Choice: Build must either refuse it with
// ErrInvalidChoice or emit objects that decode strictly.
func FuzzBuild(f *testing.F) {
	f.Add("edge-sensor", "edge", "Deployment", "wasmedge", "gvisor", "L-4", "100m", "tier", "edge")
	f.Add("orders", "", "Job", "runc", "", "L-3", "", "", "")
	f.Add("A", "kube-system", "Pod", "kata-fc", "kata", "L-1", "1e3", "strata.dev/x", "y")
	f.Add("x", "default", "Pod", "spin", "spin", "L-4", "-1", "a/b/c", "")
	f.Fuzz(func(t *testing.T, workload, namespace, kind, handler, class, layer, cpu, labelKey, labelValue string) {
		c := cases[0].choice
		c.Workload, c.Namespace, c.Kind, c.CPU = workload, namespace, kind, cpu
		c.Runtime.Handler, c.Runtime.Class, c.Runtime.Layer = handler, class, layer
		c.Labels = map[string]string{labelKey: labelValue}
		if len(layer) == 3 {
			c.Coordinates.Y = int(layer[2] - '0')
		}
		objs, err := Build(c)
		if err != nil {
			return
		}
		for _, o := range objs {
			if _, ok := o.Obj.(runtime.Object); !ok {
				continue
			}
			if _, _, err := admissiontest.Decoder.Decode(o.YAML, nil, nil); err != nil {
				t.Fatalf("%s: %v\n%s", o.File, err, o.YAML)
			}
		}
	})
}

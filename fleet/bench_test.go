package fleet_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/pager"

	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/internal/controlplane"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
	"github.com/strata-dev/strata/plan/plantest"
	"sigs.k8s.io/yaml"
)

const (
	benchNodes     = 5000
	benchWorkloads = 500
)

// BenchmarkFleet measures strata fleet on a real control plane with 5,000 simulated nodes
// labelled by the probe's five fake host trees in turn: the summary including the paged
// LIST (target ≤ 1 s), planning one workload against the fleet (target ≤ 200 ms), and
// server-side applying the objects of 500 workloads (objects/s), after which every pod the
// scheduler bound is checked to be on a node that offers its handler and layer.
func BenchmarkFleet(b *testing.B) {
	cp := controlplane.ForTest(b)
	ctx := b.Context()
	start := time.Now()
	trees := []string{"kvm-host", "amd-no-kvm", "pvm-guest", "gvisor-sandbox", "empty-container"}
	labels := make([]map[string]string, len(trees))
	for i, tree := range trees {
		l, err := controlplane.ProbedLabels(ctx, filepath.Join("..", "probe", "testdata", tree), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		labels[i] = l
	}
	work := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for range 32 {
		wg.Go(func() {
			for i := range work {
				n := controlplane.Node{Name: fmt.Sprintf("node-%05d", i), Labels: labels[i%len(labels)], Pods: 250}
				if err := cp.AddNode(ctx, n); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range benchNodes {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	b.Logf("%d nodes registered and made Ready in %s", benchNodes, time.Since(start).Round(time.Millisecond))

	c, err := fleet.Connect(cp.Kubeconfig, "", time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	net := plantest.Network(b)
	_, p := plantest.Planner(b, net)

	b.Run("summary", func(b *testing.B) {
		self0, api0 := cpu(b, cp)
		for b.Loop() {
			s, err := c.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			sum := fleet.Summarize(s, time.Now(), time.Hour)
			if sum.Nodes != benchNodes {
				b.Fatalf("%d nodes", sum.Nodes)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/summary")
		reportCPU(b, cp, self0, api0)
	})

	w, err := p.ScenarioWorkload("edge")
	if err != nil {
		b.Fatal(err)
	}
	// planOn is one fleet plan of the edge scenario on the nodes read reads.
	planOn := func(b *testing.B, read func(context.Context) (*fleet.Snapshot, error)) {
		s, err := read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Nodes) != benchNodes {
			b.Fatalf("%d nodes", len(s.Nodes))
		}
		f := &fleet.Fleet{Clusters: []*fleet.Snapshot{s}}
		pl, err := p.Excluding(f.Exclusion(net, false)).Plan(w)
		if err != nil {
			b.Fatal(err)
		}
		place, err := f.X(p, net)
		if err != nil {
			b.Fatal(err)
		}
		f.Check(pl, net, place)
	}
	// plan is what strata fleet plan does; the other two read the nodes as it did before,
	// to tell the parts apart in one run: plan-consistent reads etcd's current state (no
	// resourceVersion: every page from etcd, whose 3.4 cannot serve the watch cache's
	// consistent reads) with the same lean decoding, plan-typed also decodes every page
	// whole with client-go's typed client and pager (what ReadNodes did before).
	for _, v := range []struct {
		name string
		read func(context.Context) (*fleet.Snapshot, error)
	}{
		{"plan", func(ctx context.Context) (*fleet.Snapshot, error) { return c.ReadNodes(ctx, fleet.Cached) }},
		{"plan-consistent", func(ctx context.Context) (*fleet.Snapshot, error) { return c.ReadNodes(ctx, fleet.Consistent) }},
		{"plan-typed", func(ctx context.Context) (*fleet.Snapshot, error) { return readNodesTyped(ctx, c) }},
	} {
		b.Run(v.name, func(b *testing.B) {
			self0, api0 := cpu(b, cp)
			for b.Loop() {
				planOn(b, v.read)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/plan")
			reportCPU(b, cp, self0, api0)
		})
	}

	// plan-stream-vs-do alternates ReadNodes(Cached), which decodes the nodes as they
	// arrive, with the read it replaced (Do reads the whole body, then it is decoded),
	// plan by plan, so that both see the same load.
	b.Run("plan-stream-vs-do", func(b *testing.B) {
		var wall, used [2]time.Duration
		var n [2]int
		i := 0
		for b.Loop() {
			read := func(ctx context.Context) (*fleet.Snapshot, error) { return c.ReadNodes(ctx, fleet.Cached) }
			if i%2 == 1 {
				read = func(ctx context.Context) (*fleet.Snapshot, error) { return readNodesDo(ctx, c) }
			}
			self0, _ := cpu(b, cp)
			start := time.Now()
			planOn(b, read)
			self, _ := cpu(b, cp)
			wall[i%2] += time.Since(start)
			used[i%2] += self - self0
			n[i%2]++
			i++
		}
		for k, name := range []string{"stream", "do"} {
			if n[k] > 0 {
				b.ReportMetric(float64(wall[k].Microseconds())/1000/float64(n[k]), name+"-ms/plan")
				b.ReportMetric(float64(used[k].Microseconds())/1000/float64(n[k]), name+"-client-cpu-ms/plan")
			}
		}
	})

	s, err := c.Read(ctx)
	if err != nil {
		b.Fatal(err)
	}
	fl := &fleet.Fleet{Clusters: []*fleet.Snapshot{s}}
	b.Run("plan-given-snapshot", func(b *testing.B) {
		for b.Loop() {
			// A new Fleet each time: a Fleet remembers the counts it made.
			fl := &fleet.Fleet{Clusters: []*fleet.Snapshot{s}}
			pl, err := p.Excluding(fl.Exclusion(net, false)).Plan(w)
			if err != nil {
				b.Fatal(err)
			}
			place, _ := fl.X(p, net)
			fl.Check(pl, net, place)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/plan")
	})

	// Each apply runs once (a second round would find every object applied already); the
	// sub-benchmarks report that one round's objects/s whatever b.N the framework picks.
	// apply-sequential is how Apply went before it applied a tier's objects in parallel:
	// one call per workload, one object at a time, for 100 other workloads.
	var seqRate, seqObjects float64
	var seqOnce sync.Once
	b.Run("apply-sequential-100", func(b *testing.B) {
		seqOnce.Do(func() { seqRate, seqObjects = applySequential(b, ctx, cp, c, p, net, fl) })
		for b.Loop() {
		}
		b.ReportMetric(seqRate, "objects/s")
		b.ReportMetric(seqObjects, "objects")
	})
	var applyRate, applyObjects float64
	var applyOnce sync.Once
	b.Run("apply-500", func(b *testing.B) {
		applyOnce.Do(func() { applyRate, applyObjects = applyAll(b, ctx, cp, c, p, net, fl, s) })
		for b.Loop() {
		}
		b.ReportMetric(applyRate, "objects/s")
		b.ReportMetric(applyObjects, "objects")
	})
}

// benchKinds are the benchmark's workloads' needs, in turn.
var benchKinds = []struct{ trust, artifact, footprint string }{
	{"trusted", "wasm", "normal"}, {"trusted", "oci", "normal"}, {"untrusted", "oci", "normal"}, {"untrusted", "wasm", "normal"},
}

// benchObjects plans and emits n workloads named prefix-NNN into the namespace, and
// installs the Gatekeeper CRDs their objects need.
func benchObjects(b *testing.B, ctx context.Context, cp *controlplane.ControlPlane, p *plan.Planner, net *network.Network, fl *fleet.Fleet, prefix, ns string, n int) (objs [][]manifest.Object, wants map[string][2]string) {
	wants = map[string][2]string{}
	for i := range n {
		k := benchKinds[i%len(benchKinds)]
		wl := plan.Workload{Name: fmt.Sprintf("%s-%03d", prefix, i), Kind: "Deployment", Image: "registry.example/w:1.0", Replicas: 1,
			Trust: k.trust, Artifact: k.artifact, Footprint: k.footprint, Availability: "standard", Policy: "none"}
		pl, err := p.Excluding(fl.Exclusion(net, false)).Plan(wl)
		if err != nil {
			b.Fatal(err)
		}
		o, err := p.Emit(pl, wl, plan.EmitOptions{Namespace: ns})
		if err != nil {
			b.Fatal(err)
		}
		r, _ := fleet.RuntimeOf(net, pl.Technology(plan.RoleRuntime))
		wants[wl.Name] = [2]string{r.Handler, r.Layer}
		objs = append(objs, o)
	}
	// Untrusted workloads get Gatekeeper's objects: its ConstraintTemplate CRD, and the
	// constraint kind of strata's template.
	if err := cp.InstallGatekeeper(ctx); err != nil {
		b.Fatal(err)
	}
	for _, o := range objs {
		for _, obj := range o {
			if obj.Kind == "ConstraintTemplate" {
				var tmpl map[string]any
				if err := yaml.Unmarshal(obj.YAML, &tmpl); err != nil {
					b.Fatal(err)
				}
				if err := cp.InstallConstraintCRD(ctx, tmpl); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	if _, err := cp.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	return objs, wants
}

// applySequential applies 100 workloads' objects as Apply did before its tiers ran in
// parallel: one call per workload, one object at a time.
func applySequential(b *testing.B, ctx context.Context, cp *controlplane.ControlPlane, c *fleet.Cluster, p *plan.Planner, net *network.Network, fl *fleet.Fleet) (rate, objects float64) {
	objs, _ := benchObjects(b, ctx, cp, p, net, fl, "s", "bench-sequential", 100)
	n := 0
	_, api0 := cpu(b, cp)
	start := time.Now()
	for _, o := range objs {
		applied, err := c.Apply(ctx, o, fleet.ApplyOptions{Concurrency: 1})
		if err != nil {
			b.Fatal(err)
		}
		n += len(applied)
	}
	rate = float64(n) / time.Since(start).Seconds()
	_, api := cpu(b, cp)
	b.Logf("%d objects applied one at a time at %.0f/s; the API server's processor time %.1f ms per object", n, rate, float64((api-api0).Microseconds())/1000/float64(n))
	return rate, float64(n)
}

// applyAll plans, emits and applies 500 workloads in one Apply, then checks every
// placement.
func applyAll(b *testing.B, ctx context.Context, cp *controlplane.ControlPlane, c *fleet.Cluster, p *plan.Planner, net *network.Network, fl *fleet.Fleet, s *fleet.Snapshot) (rate, objects float64) {
	objs, wants := benchObjects(b, ctx, cp, p, net, fl, "w", "bench", benchWorkloads)
	var all []manifest.Object
	for _, o := range objs {
		all = append(all, o...)
	}
	_, api0 := cpu(b, cp)
	start := time.Now()
	applied, err := c.Apply(ctx, all, fleet.ApplyOptions{})
	if err != nil {
		b.Fatal(err)
	}
	n := len(applied)
	rate, objects = float64(n)/time.Since(start).Seconds(), float64(n)
	_, api := cpu(b, cp)
	b.Logf("the API server's processor time %.1f ms per object", float64((api-api0).Microseconds())/1000/float64(n))
	// Every workload pod bound, each on a node offering its handler and layer.
	nodeLabels := map[string]map[string]string{}
	for _, n := range s.Nodes {
		nodeLabels[n.Name] = n.Labels
	}
	var bad []string
	err = wait.PollUntilContextTimeout(ctx, time.Second, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		bound := 0
		bad = bad[:0]
		err := eachPod(ctx, cp, func(pod *corev1.Pod) {
			wt, ok := wants[pod.Labels[manifest.LabelWorkload]]
			if !ok || pod.Spec.RuntimeClassName == nil || pod.Spec.NodeName == "" {
				return
			}
			bound++
			l := nodeLabels[pod.Spec.NodeName]
			if l[manifest.RuntimeLabel(wt[0])] != "true" || l[manifest.LayerLabel(wt[1])] != "true" {
				bad = append(bad, fmt.Sprintf("%s on %s", pod.Name, pod.Spec.NodeName))
			}
		})
		return bound == benchWorkloads, err
	})
	if err != nil {
		b.Fatalf("not every workload pod was bound: %v", err)
	}
	if len(bad) > 0 {
		b.Fatalf("%d pods on nodes without their runtime: %v", len(bad), bad[:min(5, len(bad))])
	}
	b.Logf("%d objects (of %d given) applied in one Apply at %.0f/s; all %d workload pods bound, each on a node offering its handler and layer", n, len(all), rate, benchWorkloads)
	return rate, objects
}

// readNodesTyped is how ReadNodes read the nodes before it decoded protobuf pages itself:
// client-go's typed client and pager, every page decoded whole, no resourceVersion.
func readNodesTyped(ctx context.Context, c *fleet.Cluster) (*fleet.Snapshot, error) {
	s := &fleet.Snapshot{Context: c.Context, Server: c.Server}
	v, err := c.Client.Discovery().ServerVersion()
	if err != nil {
		return nil, err
	}
	s.Version = v.GitVersion
	p := pager.New(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return c.Client.CoreV1().Nodes().List(ctx, o)
	})
	p.PageSize = fleet.PageSize
	err = p.EachListItem(ctx, metav1.ListOptions{}, func(o runtime.Object) error {
		s.Nodes = append(s.Nodes, fleet.ParseNode(o.(*corev1.Node)))
		return nil
	})
	return s, err
}

// readNodesDo is how ReadNodes(Cached) read the nodes before it decoded them as they
// arrived: Do read the whole body, then fleet's decoder read it.
func readNodesDo(ctx context.Context, c *fleet.Cluster) (*fleet.Snapshot, error) {
	s := &fleet.Snapshot{Context: c.Context, Server: c.Server}
	v, err := c.Client.Discovery().ServerVersion()
	if err != nil {
		return nil, err
	}
	s.Version = v.GitVersion
	body, err := c.Client.CoreV1().RESTClient().Get().Resource("nodes").
		VersionedParams(&metav1.ListOptions{ResourceVersion: "0", Limit: fleet.PageSize}, scheme.ParameterCodec).Do(ctx).Raw()
	if err != nil {
		return nil, err
	}
	cont, err := fleet.DecodeNodeList(body, func(n *corev1.Node) { s.Nodes = append(s.Nodes, fleet.ParseNode(n)) })
	if err == nil && cont != "" {
		err = fmt.Errorf("the watch cache answered in pages")
	}
	return s, err
}

// cpu is the processor time this process and the API server have used so far.
func cpu(b *testing.B, cp *controlplane.ControlPlane) (self, apiserver time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	api, err := cp.CPUTime("kube-apiserver")
	if err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), api
}

// reportCPU reports the processor time per operation since self0 and api0: wall time on
// a machine others load too counts their time; this does not.
func reportCPU(b *testing.B, cp *controlplane.ControlPlane, self0, api0 time.Duration) {
	self, api := cpu(b, cp)
	b.ReportMetric(float64((self-self0).Microseconds())/1000/float64(b.N), "client-cpu-ms/op")
	b.ReportMetric(float64((api-api0).Microseconds())/1000/float64(b.N), "apiserver-cpu-ms/op")
}

func eachPod(ctx context.Context, cp *controlplane.ControlPlane, fn func(*corev1.Pod)) error {
	opts := metav1.ListOptions{Limit: 500}
	for {
		list, err := cp.Client.CoreV1().Pods("bench").List(ctx, opts)
		if err != nil {
			return err
		}
		for i := range list.Items {
			fn(&list.Items[i])
		}
		if list.Continue == "" {
			return nil
		}
		opts.Continue = list.Continue
	}
}

package charttest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/internal/controlplane"
)

const chartDir = "../strata"

func load(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLint runs Helm's own linter (helm lint) on the chart with each labeler mode.
func TestLint(t *testing.T) {
	for _, mode := range []string{"nfd", "direct"} {
		vals := map[string]any{"labeler": map[string]any{"mode": mode}, "serviceMonitor": map[string]any{"enabled": true}}
		l := lint.All(chartDir, vals, "strata", false)
		for _, m := range l.Messages {
			if m.Severity >= support.WarningSev { // INFO "icon is recommended" is advice, not a lint failure
				t.Errorf("mode %s: helm lint: %s", mode, m)
			}
		}
	}
}

// render renders the chart with the values and returns every object, strictly decoded
// with the Kubernetes scheme (unknown or duplicate fields fail); kinds the scheme does
// not know are returned as unstructured.
func render(t *testing.T, vals map[string]any) ([]runtime.Object, string) {
	t.Helper()
	c := load(t)
	rv, err := chartutil.ToRenderValues(c, vals, chartutil.ReleaseOptions{Name: "strata", Namespace: "strata", IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	files, err := engine.Render(c, rv)
	if err != nil {
		t.Fatal(err)
	}
	strict := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	var objs []runtime.Object
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasSuffix(name, "NOTES.txt") || strings.HasSuffix(name, ".tpl") {
			continue
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(files[name])))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(bytes.TrimSpace(doc)) == 0 || string(bytes.TrimSpace(doc)) == "---" {
				continue
			}
			obj, gvk, err := strict.Decode(doc, nil, nil)
			if runtime.IsNotRegisteredError(err) {
				u := &unstructured.Unstructured{}
				if err := utilyaml.Unmarshal(doc, &u.Object); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				objs = append(objs, u)
				continue
			}
			if err != nil {
				t.Fatalf("%s (%v): %v\n%s", name, gvk, err, doc)
			}
			objs = append(objs, obj)
		}
	}
	return objs, files["strata/templates/NOTES.txt"]
}

func TestRender(t *testing.T) {
	for _, mode := range []string{"nfd", "direct"} {
		t.Run(mode, func(t *testing.T) {
			objs, notes := render(t, map[string]any{"labeler": map[string]any{"mode": mode}, "serviceMonitor": map[string]any{"enabled": true}})
			kinds := map[string]int{}
			var ds *appsv1.DaemonSet
			var dep *appsv1.Deployment
			for _, o := range objs {
				kind := o.GetObjectKind().GroupVersionKind().Kind
				kinds[kind]++
				switch v := o.(type) {
				case *appsv1.DaemonSet:
					ds = v
				case *appsv1.Deployment:
					dep = v
				}
				m, err := metaOf(o)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
					if m.GetLabels()[l] == "" {
						t.Errorf("%s %s lacks label %s", kind, m.GetName(), l)
					}
				}
			}
			want := map[string]int{"DaemonSet": 1, "Deployment": 1, "Service": 1, "PodDisruptionBudget": 1, "ServiceAccount": 2, "ConfigMap": 1, "ServiceMonitor": 1}
			if mode == "direct" {
				want["ClusterRole"], want["ClusterRoleBinding"] = 1, 1
			}
			for k, n := range want {
				if kinds[k] != n {
					t.Errorf("%d %s, want %d (all: %v)", kinds[k], k, n, kinds)
				}
			}
			args := strings.Join(ds.Spec.Template.Spec.Containers[0].Args, " ")
			if mode == "direct" && !strings.Contains(args, "--label-node=$(NODE_NAME)") || mode == "nfd" && !strings.Contains(args, "--write=/features.d/strata") {
				t.Errorf("probe args %q", args)
			}
			c := dep.Spec.Template.Spec.Containers[0]
			sc := c.SecurityContext
			psc := dep.Spec.Template.Spec.SecurityContext
			if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" ||
				sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot ||
				psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault || !slices.Contains(c.Args, "--web.shutdown-delay=5s") {
				t.Errorf("serve container: %+v / %+v", c, psc)
			}
			if !strings.Contains(notes, "strata fleet") {
				t.Errorf("NOTES.txt: %s", notes)
			}
		})
	}
	// A mode the chart does not know is refused, not rendered into something odd.
	c := load(t)
	rv, _ := chartutil.ToRenderValues(c, map[string]any{"labeler": map[string]any{"mode": "magic"}}, chartutil.ReleaseOptions{Name: "s", Namespace: "s"}, chartutil.DefaultCapabilities)
	if _, err := engine.Render(c, rv); err == nil || !strings.Contains(err.Error(), "labeler.mode must be nfd or direct") {
		t.Errorf("labeler.mode magic: %v", err)
	}
}

func metaOf(o runtime.Object) (metav1.Object, error) {
	if u, ok := o.(*unstructured.Unstructured); ok {
		return u, nil
	}
	m, ok := o.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%T has no metadata", o)
	}
	return m, nil
}

// TestInstall installs the chart with Helm's install action on a real control plane
// whose six simulated nodes carry the probe's labels, and waits until the DaemonSet
// controller and the scheduler have bound a probe pod to every node.
func TestInstall(t *testing.T) {
	cp := controlplane.ForTest(t)
	ctx := t.Context()
	trees := []string{"kvm-host", "kvm-host", "kvm-host", "amd-no-kvm", "pvm-guest", "gvisor-sandbox"}
	var nodes []string
	for i, tree := range trees {
		labels, err := controlplane.ProbedLabels(ctx, filepath.Join("..", "..", "..", "probe", "testdata", tree), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%s-%d", tree, i)
		nodes = append(nodes, name)
		if err := cp.AddNode(ctx, controlplane.Node{Name: name, Labels: labels}); err != nil {
			t.Fatal(err)
		}
	}
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig = &cp.Kubeconfig
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, "strata", "secret", t.Logf); err != nil {
		t.Fatal(err)
	}
	inst := action.NewInstall(cfg)
	inst.ReleaseName, inst.Namespace, inst.CreateNamespace = "strata", "strata", true
	inst.Timeout = 2 * time.Minute
	rel, err := inst.RunWithContext(ctx, load(t), map[string]any{"labeler": map[string]any{"mode": "direct"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rel.Info.Notes, "strata fleet") {
		t.Errorf("notes: %s", rel.Info.Notes)
	}
	var bound map[string]bool
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := cp.Client.CoreV1().Pods("strata").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=probe"})
		if err != nil {
			return false, err
		}
		bound = map[string]bool{}
		for _, p := range pods.Items {
			if p.Spec.NodeName != "" {
				bound[p.Spec.NodeName] = true
			}
		}
		return len(bound) == len(nodes), nil
	})
	if err != nil {
		t.Fatalf("probe pods bound to %v of %v: %v", bound, nodes, err)
	}
	for _, n := range nodes {
		if !bound[n] {
			t.Errorf("no probe pod on %s", n)
		}
	}
	// serve: both replicas scheduled.
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := cp.Client.CoreV1().Pods("strata").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=serve"})
		if err != nil {
			return false, err
		}
		n := 0
		for _, p := range pods.Items {
			if p.Spec.NodeName != "" {
				n++
			}
		}
		return n == 2, nil
	})
	if err != nil {
		t.Errorf("serve pods: %v", err)
	}
	// The Service the cluster made is one of the names serve answers to.
	svcs, err := cp.Client.CoreV1().Services("strata").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=serve"})
	if err != nil || len(svcs.Items) != 1 {
		t.Fatalf("serve Service: %v (%d)", err, len(svcs.Items))
	}
	deps, err := cp.Client.AppsV1().Deployments("strata").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=serve"})
	if err != nil || len(deps.Items) != 1 {
		t.Fatalf("serve Deployment: %v (%d)", err, len(deps.Items))
	}
	svc := svcs.Items[0]
	want := fmt.Sprintf("%s.%s.svc.cluster.local", svc.Name, svc.Namespace)
	var hosts []string
	for _, a := range deps.Items[0].Spec.Template.Spec.Containers[0].Args {
		if h, ok := strings.CutPrefix(a, "--web.allowed-hosts="); ok {
			hosts = strings.Split(h, ",")
		}
	}
	if !slices.Contains(hosts, want) || !slices.Contains(hosts, svc.Name+"."+svc.Namespace) {
		t.Errorf("serve answers to %q, not to its Service %s", hosts, want)
	}
}

// TestServeAnswersToServiceNames runs the strata binary with the serve container's
// arguments as the chart renders them (the downward API's $(POD_IPS) expanded as the
// kubelet would, only the listen address moved to a free loopback port) and asks it with
// the Host headers clients in the cluster send: the Service's DNS names, the pod's IPs
// (kubelet probes, Prometheus), loopback (kubectl port-forward) and a name from
// serve.allowedHosts get answers; a name it was not given gets 421.
func TestServeAnswersToServiceNames(t *testing.T) {
	objs, _ := render(t, map[string]any{"serve": map[string]any{"allowedHosts": []any{"strata.example.com"}, "clusterDomain": "corp.internal."}})
	var dep *appsv1.Deployment
	var svc *corev1.Service
	for _, o := range objs {
		switch v := o.(type) {
		case *appsv1.Deployment:
			dep = v
		case *corev1.Service:
			svc = v
		}
	}
	if dep == nil || svc == nil {
		t.Fatalf("no serve Deployment or Service among %d objects", len(objs))
	}
	c := dep.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil {
			t.Fatalf("env %s: only downward API values expected", e.Name)
		}
		switch e.ValueFrom.FieldRef.FieldPath {
		case "status.podIPs": // a dual-stack pod, as the kubelet writes it
			env[e.Name] = "10.244.3.7,fd00:10:244::7"
		default:
			t.Fatalf("env %s: unexpected field %s", e.Name, e.ValueFrom.FieldRef.FieldPath)
		}
	}
	var args []string
	listen := false
	for _, a := range c.Args {
		// The kubelet's $(VAR) expansion, for the variables the container defines.
		for k, v := range env {
			a = strings.ReplaceAll(a, "$("+k+")", v)
		}
		if strings.Contains(a, "$(") {
			t.Fatalf("argument %q names a variable the container does not define", a)
		}
		if strings.HasPrefix(a, "--web.listen-address=") {
			a, listen = "--web.listen-address=127.0.0.1:0", true
		}
		args = append(args, a)
	}
	if !listen || args[0] != "serve" {
		t.Fatalf("serve args %q", c.Args)
	}

	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "strata")
	build := exec.Command("go", "build", "-o", bin, "./cmd/strata")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // the chart's shutdown delay is for Services, not for tests
		_ = cmd.Wait()
	})
	// The first line says where it listens; the rest is drained so it never blocks.
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if err != nil {
		t.Fatalf("strata %s: no address: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "strata serve: "))
	port := fmt.Sprint(svc.Spec.Ports[0].Port)
	name, ns := svc.Name, svc.Namespace
	for host, want := range map[string]int{
		name:                                   200,
		name + "." + ns:                        200,
		name + "." + ns + ".svc":               200,
		name + "." + ns + ".svc:" + port:       200,
		name + "." + ns + ".svc.corp.internal": 200,
		"10.244.3.7:8080":                      200, // the kubelet's readiness probe
		"[fd00:10:244::7]:8080":                200,
		"127.0.0.1:8080":                       200, // kubectl port-forward
		"localhost:8080":                       200,
		"strata.example.com":                   200, // serve.allowedHosts
		"10.244.3.8:8080":                      421, // another pod's address
		name + ".other.svc":                    421,
		"rebind.attacker.example":              421,
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, addr+"/readyz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

// TestRenderBench renders the bench with classes listed in values (as helm template
// must: it cannot read the nodes): per class a ConfigMap carrying the class ID strata
// computes (fleet.ClassID) and a Job whose node selector is the class's labels and whose
// affinity keeps it off nodes with another class's labels; one Role that may get and patch
// exactly those ConfigMaps. Without any class nothing of the bench renders: a Role with
// no resourceNames would grant every ConfigMap.
func TestRenderBench(t *testing.T) {
	const p = "feature.node.kubernetes.io/strata-"
	classes := [][]any{{p + "layer-L-3", p + "runtime-runc", p + "runtime-crun"}, {p + "layer-L-3", p + "runtime-runc"}}
	objs, _ := render(t, map[string]any{"bench": map[string]any{"classes": classes}})
	var cms []*corev1.ConfigMap
	var jobs []*batchv1.Job
	var roles []*rbacv1.Role
	for _, o := range objs {
		switch v := o.(type) {
		case *corev1.ConfigMap:
			if v.Labels["app.kubernetes.io/component"] == fleet.BenchComponent {
				cms = append(cms, v)
			}
		case *batchv1.Job:
			jobs = append(jobs, v)
		case *rbacv1.Role:
			roles = append(roles, v)
		}
	}
	if len(cms) != 2 || len(jobs) != 2 || len(roles) != 1 {
		t.Fatalf("%d ConfigMaps, %d Jobs, %d Roles; want 2, 2, 1", len(cms), len(jobs), len(roles))
	}
	var names []string
	for _, cm := range cms {
		key := cm.Annotations[fleet.ClassLabelsAnnotation]
		if cm.Labels[fleet.ClassLabel] != fleet.ClassID(key) || cm.Name != "strata-bench-"+fleet.ClassID(key) {
			t.Errorf("ConfigMap %s: class %s, strata computes %s for %q", cm.Name, cm.Labels[fleet.ClassLabel], fleet.ClassID(key), key)
		}
		names = append(names, cm.Name)
	}
	r := roles[0].Rules
	if len(r) != 1 || !slices.Equal(r[0].Verbs, []string{"get", "patch"}) || !slices.Equal(r[0].Resources, []string{"configmaps"}) || !slices.Equal(r[0].ResourceNames, names) {
		t.Errorf("Role rules %+v, want get and patch on %v", r, names)
	}
	for _, j := range jobs {
		id := j.Labels[fleet.ClassLabel]
		spec := j.Spec.Template.Spec
		c := spec.Containers[0]
		if !slices.Contains(c.Args, "--configmap=$(POD_NAMESPACE)/strata-bench-"+id) || !slices.Contains(c.Args, "--quick") || spec.ServiceAccountName != "strata-bench" {
			t.Errorf("Job %s: args %v, account %s", j.Name, c.Args, spec.ServiceAccountName)
		}
		// The node selector and affinity select exactly the nodes of the class.
		for _, labels := range []map[string]string{
			{p + "layer-L-3": "true", p + "runtime-runc": "true", p + "runtime-crun": "true"},
			{p + "layer-L-3": "true", p + "runtime-runc": "true"},
			{p + "layer-L-3": "true", p + "runtime-runc": "true", p + "runtime-crun": "false"},
			{p + "layer-L-3": "true"},
		} {
			want := fleet.ClassKey(labels) != "" && fleet.ClassID(fleet.ClassKey(labels)) == id
			if got := selects(t, spec, labels); got != want {
				t.Errorf("Job %s on a node labelled %v: scheduled %v, want %v", j.Name, labels, got, want)
			}
		}
	}
	objs, _ = render(t, map[string]any{})
	for _, o := range objs {
		m, _ := metaOf(o)
		if m.GetLabels()["app.kubernetes.io/component"] == fleet.BenchComponent {
			t.Errorf("without a node class the chart renders %T %s", o, m.GetName())
		}
	}
	c := load(t)
	rv, _ := chartutil.ToRenderValues(c, map[string]any{"bench": map[string]any{"classes": [][]any{{"zone=a"}}}}, chartutil.ReleaseOptions{Name: "s", Namespace: "s"}, chartutil.DefaultCapabilities)
	if _, err := engine.Render(c, rv); err == nil || !strings.Contains(err.Error(), "is no strata layer or runtime label") {
		t.Errorf("a class of other labels: %v", err)
	}
}

// selects says whether a pod with the spec may be scheduled on a node with the labels, by
// the kube-scheduler NodeAffinity plugin's own matcher (its nodeSelector and required node
// affinity together).
func selects(t *testing.T, spec corev1.PodSpec, labels map[string]string) bool {
	t.Helper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: labels}}
	ok, err := nodeaffinity.GetRequiredNodeAffinity(&corev1.Pod{Spec: spec}).Match(node)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestInstallBench installs the chart on a control plane whose nodes the probe labelled:
// the chart reads the nodes (Helm's lookup) and makes one bench Job per node class, the
// class IDs strata computes from the same nodes; the scheduler binds each Job's pod to a
// node of its class; the Job's ServiceAccount may patch its ConfigMaps and nothing else,
// and what it writes is what strata reads back.
func TestInstallBench(t *testing.T) {
	cp := controlplane.ForTest(t)
	ctx := t.Context()
	for i, tree := range []string{"kvm-host", "kvm-host", "amd-no-kvm", "pvm-guest", "gvisor-sandbox"} {
		labels, err := controlplane.ProbedLabels(ctx, filepath.Join("..", "..", "..", "probe", "testdata", tree), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := cp.AddNode(ctx, controlplane.Node{Name: fmt.Sprintf("%s-%d", tree, i), Labels: labels}); err != nil {
			t.Fatal(err)
		}
	}
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig = &cp.Kubeconfig
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, "strata", "secret", t.Logf); err != nil {
		t.Fatal(err)
	}
	inst := action.NewInstall(cfg)
	inst.ReleaseName, inst.Namespace, inst.CreateNamespace = "strata", "strata", true
	inst.Timeout = 2 * time.Minute
	if _, err := inst.RunWithContext(ctx, load(t), map[string]any{"labeler": map[string]any{"mode": "direct"}}); err != nil {
		t.Fatal(err)
	}
	c, err := fleet.Connect(cp.Kubeconfig, "", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	classes := fleet.Classes(snap)
	classOf := map[string]string{}
	for _, cl := range classes {
		for _, n := range cl.Nodes {
			classOf[n] = cl.ID
		}
	}
	rs, err := c.ReadBench(ctx, "strata")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(classes) || len(classes) < 3 {
		t.Fatalf("%d bench ConfigMaps for %d node classes: %+v", len(rs), len(classes), rs)
	}
	for i, r := range rs {
		if !slices.ContainsFunc(classes, func(cl fleet.Class) bool { return cl.ID == r.Class && cl.Key == r.Key }) || r.Results != nil || !strings.Contains(r.Problem, "has not written its results") {
			t.Errorf("ConfigMap %d: %+v; classes %+v", i, r, classes)
		}
	}
	// Each class's Job runs on a node of that class: the scheduler judges the selector.
	var bound map[string]string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := cp.Client.CoreV1().Pods("strata").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=bench"})
		if err != nil {
			return false, err
		}
		bound = map[string]string{}
		for _, p := range pods.Items {
			if p.Spec.NodeName != "" {
				bound[p.Labels[fleet.ClassLabel]] = p.Spec.NodeName
			}
		}
		return len(bound) == len(classes), nil
	})
	if err != nil {
		t.Fatalf("bench pods bound %v for classes %+v: %v", bound, classes, err)
	}
	for id, node := range bound {
		if classOf[node] != id {
			t.Errorf("class %s's bench pod is on %s, of class %s", id, node, classOf[node])
		}
	}
	// The Job's ServiceAccount writes its results; it can write nothing else.
	kc, err := cp.UserKubeconfig("system:serviceaccount:strata:strata-bench", "system:serviceaccounts", "system:serviceaccounts:strata")
	if err != nil {
		t.Fatal(err)
	}
	sa, err := fleet.Connect(kc, "", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	results, err := os.ReadFile(filepath.Join("..", "..", "..", "measured", "testdata", "bench-quick.json"))
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(rs[0].ConfigMap, "strata/")
	if err := sa.StoreBench(ctx, "strata", name, results); err != nil {
		t.Fatalf("the bench Job's own write: %v", err)
	}
	for _, other := range []string{"strata-bench-0000000000", "strata-dashboard"} {
		var fb *fleet.Forbidden
		if err := sa.StoreBench(ctx, "strata", other, results); !errors.As(err, &fb) {
			t.Errorf("write to %s: %v, want forbidden", other, err)
		}
	}
	if _, err := sa.Client.CoreV1().ConfigMaps("strata").List(ctx, metav1.ListOptions{}); err == nil {
		t.Error("the bench account may list ConfigMaps")
	}
	rs, err = c.ReadBench(ctx, "strata")
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Results == nil || rs[0].Results.Host.Kernel == "" || rs[0].Problem != "" {
		t.Errorf("read back: %+v", rs[0])
	}
}

package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/internal/controlplane"
	"github.com/strata-dev/strata/measured"
)

// TestFleetMeasuredControlPlane: the bench results of each node class, in ConfigMaps as
// the chart's bench Jobs write them (recorded results here: the control plane has no
// kubelet to run a Job), are what strata verify --fleet and strata fleet plan --measured
// read, on a real API server. strata bench --configmap writes through RBAC that allows
// patch on its own ConfigMap only.
func TestFleetMeasuredControlPlane(t *testing.T) {
	cp := controlplane.ForTest(t)
	ctx := t.Context()
	rec, err := os.ReadFile(filepath.Join("..", "..", "measured", "testdata", "bench-quick.json"))
	if err != nil {
		t.Fatal(err)
	}
	fast, err := measured.ReadBench("bench-quick.json", rec)
	if err != nil {
		t.Fatal(err)
	}
	kernel := fast.Host.Kernel
	now := time.Now()
	for _, n := range []struct{ name, tree, kernel string }{
		{"kvm-1", "kvm-host", kernel}, {"kvm-2", "kvm-host", kernel}, {"amd-1", "amd-no-kvm", kernel},
		{"sandbox-1", "gvisor-sandbox", "7.0.0-other"}, {"pvm-1", "pvm-guest", kernel},
	} {
		labels, err := controlplane.ProbedLabels(ctx, filepath.Join("..", "..", "probe", "testdata", n.tree), now)
		if err != nil {
			t.Fatal(err)
		}
		if err := cp.AddNode(ctx, controlplane.Node{Name: n.name, Labels: labels, KernelVersion: n.kernel}); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("KUBECONFIG", cp.Kubeconfig)
	// The recorded results are this VM's; the bench's clock for them is an hour later.
	fleetNow = func() time.Time { return fast.Started.Add(time.Hour) }
	t.Cleanup(func() { fleetNow = time.Now })

	c, err := fleet.Connect(cp.Kubeconfig, "", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	classes := fleet.Classes(snap)
	classOf := map[string]fleet.Class{}
	for _, cl := range classes {
		for _, n := range cl.Nodes {
			classOf[n] = cl
		}
	}
	kvm, amd, sandbox, pvm := classOf["kvm-1"], classOf["amd-1"], classOf["sandbox-1"], classOf["pvm-1"]
	if kvm.ID == amd.ID || !kvm.Offers("runc") || !amd.Offers("runc") || len(kvm.Nodes) != 2 {
		t.Fatalf("the trees' classes are not what this test needs: %+v", classes)
	}
	// The ConfigMaps as the chart makes them, and the Role it gives the bench Job.
	const ns = "strata"
	if _, err := cp.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cmName := func(cl fleet.Class) string { return "strata-bench-" + cl.ID }
	var names []string
	for _, cl := range classes {
		names = append(names, cmName(cl))
		_, err := cp.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: cmName(cl),
			Labels:      map[string]string{"app.kubernetes.io/component": fleet.BenchComponent, fleet.ClassLabel: cl.ID},
			Annotations: map[string]string{fleet.ClassLabelsAnnotation: cl.Key}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cp.Client.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "bench"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "patch"}, ResourceNames: []string{cmName(kvm), cmName(amd), cmName(sandbox)}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.Client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "bench"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "bench"},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: "bench-job"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The RBAC authorizer sees the binding through its informers: wait until the API
	// server's own access review says the Job may patch its class's ConfigMap.
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		r, err := cp.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: "bench-job", ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "patch", Resource: "configmaps", Name: cmName(kvm)}}}, metav1.CreateOptions{})
		return err == nil && r.Status.Allowed, err
	})
	if err != nil {
		t.Fatalf("the bench Job's binding never took effect: %v", err)
	}
	jobConfig, err := cp.UserKubeconfig("bench-job")
	if err != nil {
		t.Fatal(err)
	}
	job, err := fleet.Connect(jobConfig, "", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	slow := *fast
	slow.Drivers = nil
	for _, d := range fast.Drivers {
		if d.Name == "runc" {
			d.Results = append(d.Results[:0:0], d.Results...)
			for i := range d.Results {
				d.Results[i].Samples = append([]float64(nil), d.Results[i].Samples...)
				for j := range d.Results[i].Samples {
					d.Results[i].Samples[j] *= 3
				}
				d.Results[i].Summary = bench.Summarize(d.Results[i].Samples)
			}
		}
		slow.Drivers = append(slow.Drivers, d)
	}
	slowJSON, err := json.Marshal(&slow)
	if err != nil {
		t.Fatal(err)
	}
	for cl, data := range map[string][]byte{kvm.ID: rec, amd.ID: slowJSON, sandbox.ID: rec} {
		if err := job.StoreBench(ctx, ns, "strata-bench-"+cl, data); err != nil {
			t.Fatalf("the bench Job's write: %v", err)
		}
	}
	// The Job may write its own class's ConfigMaps only: pvm's is outside its Role.
	if err := job.StoreBench(ctx, ns, cmName(pvm), rec); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("a write outside the Role: %v", err)
	}

	t.Run("verify --fleet", func(t *testing.T) {
		r := strata(t, "verify", "--fleet", "--bench-namespace", ns, "-o", "json")
		if r.code != exitNo {
			t.Fatalf("exit %d (want 1: the recorded results disagree with L-3 < L-4)\n%s%s", r.code, r.stdout, r.stderr)
		}
		var out []struct {
			Class     string `json:"class"`
			ConfigMap string `json:"configMap"`
			Problem   string `json:"problem"`
			Checks    []struct {
				Verdict string `json:"verdict"`
			} `json:"checks"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, c := range out {
			got[c.Class] = len(c.Checks)
			if (c.Class == pvm.ID) != (c.Problem != "") {
				t.Errorf("class %s: problem %q", c.Class, c.Problem)
			}
		}
		if len(out) != len(classes) || got[kvm.ID] == 0 || got[amd.ID] != got[kvm.ID] || got[pvm.ID] != 0 {
			t.Errorf("classes %v, want %d with checks for all but %s", got, len(classes), pvm.ID)
		}
		for _, line := range strings.Split((&app{}).verifyCommand().Example, "\n") {
			if args := strings.Fields(line); slices.Contains(args, "--fleet") {
				if r := strata(t, args[1:]...); r.code != exitNo || !strings.Contains(r.stdout, "node classes") {
					t.Errorf("help example %s: exit %d\n%s%s", line, r.code, r.stdout, r.stderr)
				}
			}
		}
		r = strata(t, "verify", "--fleet", "--bench-namespace", ns)
		header, _, _ := strings.Cut(r.stdout, "\n")
		for _, cl := range classes {
			if !strings.Contains(header, cl.ID) {
				t.Errorf("table header lacks class %s: %s", cl.ID, header)
			}
		}
		for _, want := range []string{"disagrees", "not measured: no " + fleet.BenchKey + " in it yet"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("table lacks %q:\n%s", want, r.stdout)
			}
		}
		t.Logf("verify --fleet:\n%s", r.stdout)
	})

	t.Run("fleet plan --measured", func(t *testing.T) {
		fastRunc, slowRunc := medianOf(t, fast, "runc"), medianOf(t, &slow, "runc")
		budget := time.Duration((fastRunc + slowRunc) / 2 * float64(time.Millisecond)).Round(time.Millisecond)
		w := filepath.Join(t.TempDir(), "w.yaml")
		if err := os.WriteFile(w, []byte("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: api}\nspec:\n  trust: trusted\n  artifact: oci\n  startupBudget: "+budget.String()+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := strata(t, "fleet", "plan", w, "--measured", "--bench-namespace", ns)
		for _, want := range []string{
			"measured by node class", "DECIDED BY",
			"node class " + amd.ID + ", " + ns + "/" + cmName(amd) + ", runc",
			"runc startup-ms: ", "start-up budget is met on " + kvm.ID + ", not on " + amd.ID + ", so " + amd.ID + " decides",
			pvm.ID + ": 1 nodes (pvm-1), not measured: no " + fleet.BenchKey + " in it yet",
			"measured on kernel " + kernel + "; a node of class " + sandbox.ID + " runs 7.0.0-other now",
		} {
			if !strings.Contains(r.stdout+r.stderr, want) {
				t.Errorf("fleet plan --measured lacks %q\nexit %d\n%s%s", want, r.code, r.stdout, r.stderr)
			}
		}
		t.Logf("fleet plan --measured (budget %s):\n%s%s", budget, r.stdout, r.stderr)
		// Without --measured the same plan reads no measurement.
		if r := strata(t, "fleet", "plan", w); strings.Contains(r.stdout, "measured by node class") || strings.Contains(r.stdout, "node class") {
			t.Errorf("a plan without --measured speaks of node classes:\n%s", r.stdout)
		}
		if r := strata(t, "fleet", "plan", w, "--max-age", "1h"); r.code != exitUsage {
			t.Errorf("--max-age without --measured: exit %d", r.code)
		}
	})

	t.Run("bench --configmap", func(t *testing.T) {
		// A real bench of the in-process drivers, written where the chart's Job writes.
		t.Setenv("KUBECONFIG", jobConfig)
		r := strata(t, "bench", "--quick", "--layer", "wazero", "-o", "json", "--configmap", ns+"/"+cmName(pvm))
		if r.code == 0 || !strings.Contains(r.stderr, "forbidden") {
			t.Errorf("a ConfigMap outside the Role: exit %d\n%s", r.code, r.stderr)
		}
		r = strata(t, "bench", "--quick", "--layer", "wazero", "-o", "json", "--configmap", ns+"/"+cmName(kvm))
		if r.code != 0 || !strings.Contains(r.stderr, "results written to ConfigMap "+ns+"/"+cmName(kvm)) {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		cm, err := cp.Client.CoreV1().ConfigMaps(ns).Get(ctx, cmName(kvm), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := measured.ReadBench("cm", []byte(cm.Data[fleet.BenchKey]))
		if err != nil {
			t.Fatal(err)
		}
		var printed map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &printed); err != nil || !got.Started.After(fast.Started) || cm.Labels[fleet.ClassLabel] != kvm.ID {
			t.Errorf("stored %v (labels %v); printed: %v", got.Started, cm.Labels, err)
		}
		if r := strata(t, "bench", "--configmap", "nope"); r.code != exitUsage || !strings.Contains(r.stderr, "NAMESPACE/NAME") {
			t.Errorf("--configmap nope: exit %d %s", r.code, r.stderr)
		}
	})
}

// medianOf is the median of a driver's start-up samples.
func medianOf(t *testing.T, r *bench.Results, name string) float64 {
	t.Helper()
	for _, d := range r.Drivers {
		if d.Name != name {
			continue
		}
		if w, ok := d.Result(bench.Start); ok {
			return measured.Median(slices.Sorted(slices.Values(w.Samples)))
		}
	}
	t.Fatalf("no %s start-up result", name)
	return 0
}

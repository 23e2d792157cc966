package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/internal/controlplane"
	"github.com/strata-dev/strata/internal/probetest"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
	"github.com/strata-dev/strata/probe"
	"github.com/strata-dev/strata/reason"
)

// simNode is a simulated node: a name and the fake host tree strata probe ran on.
type simNode struct{ name, tree string }

var simNodes = []simNode{
	{"kvm-1", "kvm-host"}, {"kvm-2", "kvm-host"}, {"kvm-3", "kvm-host"},
	{"amd-1", "amd-no-kvm"}, {"pvm-1", "pvm-guest"}, {"sandbox-1", "gvisor-sandbox"},
}

// TestFleetControlPlane runs strata fleet against a real control plane (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler) whose nodes carry the labels
// strata probe -o nfd gives the probe's fake host trees. The judges are the API server
// (strict field validation, RBAC, server-side apply) and the scheduler (where pods land).
func TestFleetControlPlane(t *testing.T) {
	cp := controlplane.ForTest(t)
	ctx := t.Context()
	now := time.Now()
	for _, n := range simNodes {
		labels, err := controlplane.ProbedLabels(ctx, filepath.Join("..", "..", "probe", "testdata", n.tree), now)
		if err != nil {
			t.Fatal(err)
		}
		node := controlplane.Node{Name: n.name, Labels: labels}
		if n.tree == "kvm-host" {
			// The tree has /dev/nvidia0: NFD's PCI source would label the vendor, and the
			// NVIDIA device plugin announce the GPUs.
			labels[manifest.NFDNvidiaGPU] = "true"
			node.Extended = map[string]string{"nvidia.com/gpu": "4"}
		}
		if err := cp.AddNode(ctx, node); err != nil {
			t.Fatal(err)
		}
	}
	// Three contexts on the one cluster: strata (current), and east and west for a fleet
	// of "several clusters".
	cfg, err := clientcmd.LoadFromFile(cp.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"east", "west"} {
		cfg.Contexts[name] = cfg.Contexts["strata"].DeepCopy()
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kubeconfig)
	client := cp.Client
	// describe says what the namespace holds, for a failure message.
	describe := func(c kubernetes.Interface, ns string) string {
		ctx := context.Background()
		var b strings.Builder
		if l, err := c.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{}); err == nil {
			for _, r := range l.Items {
				fmt.Fprintf(&b, "replicaset %s: %d/%d %+v\n", r.Name, r.Status.Replicas, *r.Spec.Replicas, r.Status.Conditions)
			}
		}
		if l, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err == nil {
			for _, p := range l.Items {
				fmt.Fprintf(&b, "pod %s node=%q %+v\n", p.Name, p.Spec.NodeName, p.Status.Conditions)
			}
		}
		if l, err := c.CoreV1().Events(ns).List(ctx, metav1.ListOptions{}); err == nil {
			for _, e := range l.Items {
				fmt.Fprintf(&b, "event %s %s: %s %s\n", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
			}
		}
		return b.String()
	}
	offers := func(node, handler string) bool {
		n, err := client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return n.Labels[fleet.RuntimePrefix+handler] == "true"
	}

	t.Run("summary", func(t *testing.T) {
		r := strata(t, "fleet", "-o", "json")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		var s fleetSummary
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
			t.Fatal(err)
		}
		c := s.Clusters[0]
		if c.Nodes != 6 || c.Ready != 6 || c.Schedulable != 6 || c.Probed != 6 {
			t.Errorf("nodes/ready/schedulable/probed = %d/%d/%d/%d, want 6/6/6/6\n%s", c.Nodes, c.Ready, c.Schedulable, c.Probed, r.stdout)
		}
		count := map[string]int{}
		for _, o := range c.Runtimes {
			count[o.Name] = o.Nodes
		}
		if count["wasmedge"] != 3 || count["runc"] != 5 || count["runsc"] != 3 {
			t.Errorf("runtime offers %v, want wasmedge 3, runc 5, runsc 3", count)
		}
		if s.Place.X != 1 || s.Place.Orchestrator != "Kubernetes" {
			t.Errorf("place %+v, want X=1 Kubernetes", s.Place)
		}
		if len(c.Stale) != 0 || len(c.Problems) != 0 {
			t.Errorf("stale %v problems %v, want none", c.Stale, c.Problems)
		}
		table := strata(t, "fleet")
		if table.code != 0 || !strings.Contains(table.stdout, "fleet: X=1: Kubernetes") {
			t.Errorf("table:\n%s%s", table.stdout, table.stderr)
		}
	})

	t.Run("help examples", func(t *testing.T) {
		for _, line := range strings.Split((&app{}).fleetCommand().Example, "\n") {
			args := strings.Fields(strings.TrimSpace(line))
			if len(args) < 2 || strings.HasSuffix(args[len(args)-1], ".yaml") || slices.Contains(args, "--apply") {
				continue // a reader's own file; applying waits for the Gatekeeper CRDs below
			}
			if r := strata(t, args[1:]...); r.code != 0 {
				t.Errorf("%s: exit %d\n%s%s", line, r.code, r.stdout, r.stderr)
			}
		}
	})

	t.Run("several contexts are X=3", func(t *testing.T) {
		r := strata(t, "fleet", "--context", "east,west", "-o", "json")
		var s fleetSummary
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || r.code != 0 {
			t.Fatalf("exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		if s.Place.X != 3 || len(s.Clusters) != 2 {
			t.Errorf("place %+v over %d clusters, want X=3 over 2", s.Place, len(s.Clusters))
		}
		// The same from --kubeconfig <(cat FILE): a pipe, read once for both contexts.
		cfg, err := os.ReadFile(kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		go func() { pw.Write(cfg); pw.Close() }()
		r = strata(t, "fleet", "--kubeconfig", fmt.Sprintf("/dev/fd/%d", pr.Fd()), "--context", "east,west", "-o", "json")
		var sp fleetSummary
		if err := json.Unmarshal([]byte(r.stdout), &sp); err != nil || r.code != 0 {
			t.Fatalf("--kubeconfig <(cat kubeconfig): exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		if sp.Place.X != 3 || len(sp.Clusters) != 2 || sp.Clusters[1].Nodes != 6 {
			t.Errorf("--kubeconfig <(cat kubeconfig): place %+v over %d clusters, want X=3 over 2 of 6 nodes each", sp.Place, len(sp.Clusters))
		}
		// The scenarios are planned for K3s (X=2): the mismatch is said.
		r = strata(t, "fleet", "plan", "--scenario", "edge")
		if r.code != 0 || !strings.Contains(r.stdout, "X mismatch: the plan's X=2 (K3s) differs from the fleet's X=1: Kubernetes") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	// Gatekeeper's ConstraintTemplate CRD from Gatekeeper's own file, and the constraint
	// kind strata's template declares.
	if err := cp.InstallGatekeeper(ctx); err != nil {
		t.Fatal(err)
	}
	// vault asks for application-level policy: Gatekeeper enforces its runtime classes.
	vault := filepath.Join(t.TempDir(), "vault.yaml")
	if err := os.WriteFile(vault, []byte("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: vault}\nspec:\n  trust: untrusted\n  artifact: oci\n  kind: Deployment\n  replicas: 4\n  policy: application\n  image: registry.example/vault:1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if r := strata(t, "plan", vault, "--emit", dir); r.code != 0 {
		t.Fatalf("plan --emit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	tmplFile, _ := filepath.Glob(filepath.Join(dir, "20-constrainttemplate-*.yaml"))
	if len(tmplFile) != 1 {
		t.Fatalf("no ConstraintTemplate emitted in %s", dir)
	}
	data, err := os.ReadFile(tmplFile[0])
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := yaml.Unmarshal(data, &tmpl); err != nil {
		t.Fatal(err)
	}
	if err := cp.InstallConstraintCRD(ctx, tmpl); err != nil {
		t.Fatal(err)
	}

	t.Run("README's fleet commands", func(t *testing.T) {
		ran := 0
		for _, b := range readmeBlocks(t, "sh") {
			for line := range strings.Lines(b) {
				line, _, _ = strings.Cut(line, "#")
				args := strings.Fields(line)
				if len(args) < 2 || args[0] != "strata" || args[1] != "fleet" {
					continue
				}
				ran++
				if r := strata(t, args[1:]...); r.code != 0 {
					t.Errorf("%s: exit %d\n%s%s", strings.TrimSpace(line), r.code, r.stdout, r.stderr)
				}
			}
		}
		if ran < 3 {
			t.Errorf("ran %d of the README's strata fleet commands, want 3", ran)
		}
	})

	// placed waits until the scheduler has bound every pod of the workload's RuntimeClass in
	// the namespace, then checks each is on a node whose labels offer the handler and the
	// layer, and that the nodes strata counted as eligible are exactly the nodes with those
	// labels.
	placed := func(t *testing.T, ns string, want int, elig fleet.Eligibility) map[string]int {
		t.Helper()
		var pods []corev1.Pod
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			pods = pods[:0]
			for _, p := range list.Items {
				// Deleted pods stay bound and terminating: there is no kubelet to confirm.
				if p.Spec.RuntimeClassName != nil && p.Spec.NodeName != "" && p.DeletionTimestamp == nil {
					pods = append(pods, p)
				}
			}
			return len(pods) == want, nil
		})
		if err != nil {
			t.Fatalf("namespace %s: %d of %d pods bound: %v\n%s", ns, len(pods), want, err, describe(client, ns))
		}
		eligible := map[string]bool{}
		nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes.Items {
			if n.Labels[manifest.RuntimeLabel(elig.Handler)] == "true" && n.Labels[manifest.LayerLabel(elig.Layer)] == "true" {
				eligible[n.Name] = true
			}
		}
		if len(eligible) != elig.Nodes {
			t.Errorf("strata counted %d eligible nodes for %s; %d nodes carry its labels", elig.Nodes, elig.Handler, len(eligible))
		}
		on := map[string]int{}
		for _, p := range pods {
			on[p.Spec.NodeName]++
			if !eligible[p.Spec.NodeName] {
				t.Errorf("pod %s/%s of runtime class %s was bound to %s, which does not offer %s on %s", ns, p.Name, *p.Spec.RuntimeClassName, p.Spec.NodeName, elig.Handler, elig.Layer)
			}
		}
		return on
	}
	chosen := func(t *testing.T, r fleetPlanResult) fleet.Eligibility {
		for _, e := range r.Fleet.Runtimes {
			if e.Chosen {
				return e
			}
		}
		t.Fatalf("no chosen runtime in %+v", r.Fleet)
		return fleet.Eligibility{}
	}
	apply := func(t *testing.T, ns string, args ...string) fleetPlanResult {
		t.Helper()
		if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		r := strata(t, append([]string{"fleet", "plan", "--namespace", ns, "--apply", "-o", "json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("fleet plan %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		var out fleetPlanResult
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Applied) == 0 {
			t.Fatalf("nothing applied:\n%s", r.stderr)
		}
		return out
	}

	t.Run("seed scenarios applied strictly and placed", func(t *testing.T) {
		for _, sc := range []string{"edge", "ai-inference", "serverless", "microservices"} {
			t.Run(sc, func(t *testing.T) {
				// A server dry run first: admitted, nothing stored.
				dry := apply(t, sc, "--scenario", sc, "--image", "registry.example/"+sc+":1.0", "--dry-run=server")
				for _, a := range dry.Applied {
					if !strings.HasSuffix(a.Result, "(server dry run)") {
						t.Errorf("dry run: %+v", a)
					}
				}
				if _, err := client.AppsV1().Deployments(sc).Get(ctx, sc, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
					t.Errorf("the dry run stored Deployment %s/%s (err %v)", sc, sc, err)
				}
				r := apply(t, sc, "--scenario", sc, "--image", "registry.example/"+sc+":1.0")
				kinds := map[string]bool{}
				for _, a := range r.Applied {
					kinds[a.Kind] = true
				}
				for _, k := range []string{"RuntimeClass", "Deployment"} {
					if !kinds[k] {
						t.Errorf("%s not applied: %+v", k, r.Applied)
					}
				}
				if r.Plan.Technology(plan.RolePolicy) == "Gatekeeper" && (!kinds["ConstraintTemplate"] || !kinds[manifest.ConstraintKind]) {
					t.Errorf("Gatekeeper planned but no Gatekeeper objects applied: %+v", r.Applied)
				}
				d, err := client.AppsV1().Deployments(sc).Get(ctx, sc, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				placed(t, sc, int(*d.Spec.Replicas), chosen(t, r))
			})
		}
	})

	t.Run("two workloads of one file in one apply", func(t *testing.T) {
		ns := "pair"
		if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "pair.yaml")
		var doc strings.Builder
		for _, name := range []string{"pair-a", "pair-b"} {
			fmt.Fprintf(&doc, "---\napiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: %s}\nspec:\n  kind: Deployment\n  image: registry.example/%s:1.0\n  trust: trusted\n  artifact: wasm\n  footprint: constrained\n", name, name)
		}
		if err := os.WriteFile(path, []byte(doc.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		r := strata(t, "fleet", "plan", "--namespace", ns, "--apply", "-o", "json", path)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		var out []fleetPlanResult
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatal(err)
		}
		if len(out) != 2 {
			t.Fatalf("%d results, want 2", len(out))
		}
		for i, name := range []string{"pair-a", "pair-b"} {
			kinds := map[string]string{}
			for _, a := range out[i].Applied {
				kinds[a.Kind] = a.Name
			}
			if kinds["Deployment"] != name || kinds["RuntimeClass"] == "" {
				t.Errorf("%s: applied %+v, want its Deployment and its RuntimeClass", name, out[i].Applied)
			}
			if _, err := client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		// Each object applied once (one line "kind name result"), the shared RuntimeClass too.
		var objects []string
		for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
			if f := strings.Fields(l); len(f) >= 2 {
				objects = append(objects, f[0]+" "+f[1])
			}
		}
		if len(objects) != len(slices.Compact(slices.Sorted(slices.Values(objects)))) {
			t.Errorf("an object applied twice:\n%s", r.stderr)
		}
	})

	t.Run("own workloads: 30 wasm pods on the 3 wasmedge nodes, 30 runc pods over 5", func(t *testing.T) {
		dir := t.TempDir()
		for name, spec := range map[string]string{
			"thumbs": "trust: trusted\n  artifact: wasm\n  footprint: constrained\n  replicas: 30",
			"web":    "trust: trusted\n  artifact: oci\n  replicas: 30\n  sites: [cluster]",
		} {
			path := filepath.Join(dir, name+".yaml")
			doc := fmt.Sprintf("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: %s}\nspec:\n  kind: Deployment\n  image: registry.example/%s:1.0\n  %s\n", name, name, spec)
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			r := apply(t, name, path)
			e := chosen(t, r)
			on := placed(t, name, 30, e)
			t.Logf("%s: %s (%s) on %v", name, e.Technology, e.Handler, on)
			switch name {
			case "thumbs":
				if e.Handler != "wasmedge" || e.Nodes != 3 || len(on) > 3 {
					t.Errorf("thumbs: %+v on %v, want wasmedge on the 3 kvm nodes", e, on)
				}
			case "web":
				if e.Nodes != 5 {
					t.Errorf("web: %+v, want 5 eligible nodes", e)
				}
			}
		}
	})

	t.Run("apply conflict names the field and its manager", func(t *testing.T) {
		r := apply(t, "vault", vault)
		if e := chosen(t, r); e.Handler != "runsc" {
			t.Fatalf("vault runs on %+v, want runsc", e)
		}
		kinds := map[string]bool{}
		for _, a := range r.Applied {
			kinds[a.Kind] = true
		}
		if !kinds["ConstraintTemplate"] || !kinds[manifest.ConstraintKind] {
			t.Errorf("Gatekeeper's objects were not applied: %+v", r.Applied)
		}
		placed(t, "vault", 4, chosen(t, r))
		// Someone else takes spec.replicas over.
		patch := []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"vault","namespace":"vault"},"spec":{"replicas":6}}`)
		force := true
		if _, err := client.AppsV1().Deployments("vault").Patch(ctx, "vault", types.ApplyPatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-scale", Force: &force}); err != nil {
			t.Fatal(err)
		}
		c := strata(t, "fleet", "plan", vault, "--namespace", "vault", "--apply")
		if c.code != 1 || !strings.Contains(c.stderr, `.spec.replicas is managed by "kubectl-scale"`) || !strings.Contains(c.stderr, "--force-conflicts") {
			t.Errorf("exit %d, want 1 naming .spec.replicas and kubectl-scale\n%s", c.code, c.stderr)
		}
		f := strata(t, "fleet", "plan", vault, "--namespace", "vault", "--apply", "--force-conflicts")
		if f.code != 0 {
			t.Errorf("--force-conflicts: exit %d\n%s", f.code, f.stderr)
		}
		d, err := client.AppsV1().Deployments("vault").Get(ctx, "vault", metav1.GetOptions{})
		if err != nil || *d.Spec.Replicas != 4 {
			t.Errorf("replicas after --force-conflicts: %v %v, want 4", d.Spec.Replicas, err)
		}
		placed(t, "vault", 4, chosen(t, r))
	})

	t.Run("a node that loses a capability is reported; a runtime no node offers stays Pending", func(t *testing.T) {
		old := probeEnv
		t.Cleanup(func() { probeEnv = old })
		probeEnv.host = func() (probe.Host, error) {
			return probetest.Host(filepath.Join("..", "..", "probe", "testdata", "amd-no-kvm"))
		}
		probeEnv.now = time.Now
		probeEnv.embedded = func() string { return "" }
		// The kvm nodes are reprobed and now look like the AMD host without KVM: gVisor,
		// kata, wasmedge, spin and crun are gone. The probe relabels them itself (direct mode).
		for _, n := range []string{"kvm-1", "kvm-2", "kvm-3"} {
			r := strata(t, "probe", "-o", "nfd", "--label-node", n)
			if r.code != 0 || !strings.Contains(r.stderr, fleet.RuntimePrefix+"runsc") {
				t.Fatalf("probe --label-node %s: exit %d\n%s", n, r.code, r.stderr)
			}
			if offers(n, "runsc") || !offers(n, "runc") {
				t.Fatalf("%s still offers runsc, or lost runc", n)
			}
		}
		r := strata(t, "fleet", "-o", "json")
		var s fleetSummary
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
			t.Fatalf("%v\n%s%s", err, r.stdout, r.stderr)
		}
		c := s.Clusters[0]
		misplaced := map[string]int{}
		for _, m := range c.Misplaced {
			misplaced[m.Handler]++
		}
		if misplaced["runsc"] != 4 || misplaced["wasmedge"] < 30 {
			t.Errorf("misplaced pods by handler %v, want the 4 vault pods (runsc) and at least the 30 thumbs pods (wasmedge)", misplaced)
		}
		unservable := map[string]bool{}
		for _, rc := range c.RuntimeClasses {
			if rc.Nodes == 0 {
				unservable[rc.Handler] = true
			}
		}
		if !unservable["runsc"] || !unservable["wasmedge"] || unservable["runc"] {
			t.Errorf("RuntimeClasses no node serves: %v, want runsc and wasmedge, not runc", unservable)
		}
		table := strata(t, "fleet")
		if !strings.Contains(table.stdout, "which the node's labels no longer offer") {
			t.Errorf("the table does not report the lost capability:\n%s", table.stdout)
		}

		// strata fleet plan says beforehand that no node can run it ...
		p := strata(t, "fleet", "plan", vault)
		if p.code != 1 || !strings.Contains(p.stderr, "no schedulable node of the fleet offers handler runsc") || !strings.Contains(p.stderr, "fleet") {
			t.Errorf("fleet plan of vault: exit %d, want 1 saying no node offers runsc\n%s%s", p.code, p.stdout, p.stderr)
		}
		// ... and the plan made without the fleet, applied anyway, stays Pending.
		ns := "vault-anyway"
		if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		n, err := network.Load(network.DefaultFiles())
		if err != nil {
			t.Fatal(err)
		}
		rsn, err := reason.New(n)
		if err != nil {
			t.Fatal(err)
		}
		planner, err := plan.New(rsn)
		if err != nil {
			t.Fatal(err)
		}
		files, err := network.ReadFiles(vault)
		if err != nil {
			t.Fatal(err)
		}
		ws, err := plan.ReadWorkloads(files)
		if err != nil {
			t.Fatal(err)
		}
		pl, err := planner.Plan(ws[0])
		if err != nil {
			t.Fatal(err)
		}
		objs, err := planner.Emit(pl, ws[0], plan.EmitOptions{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		cl, err := fleet.Connect(kubeconfig, "", 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Apply(ctx, objs, fleet.ApplyOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
			list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			unschedulable := 0
			for _, p := range list.Items {
				if p.Spec.RuntimeClassName == nil {
					continue // the OpenTelemetry Collector runs anywhere
				}
				if p.Spec.NodeName != "" {
					return false, fmt.Errorf("pod %s was bound to %s", p.Name, p.Spec.NodeName)
				}
				for _, c := range p.Status.Conditions {
					if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
						unschedulable++
					}
				}
			}
			return unschedulable == 4, nil
		})
		if err != nil {
			t.Errorf("vault without the fleet: %v", err)
		}
	})

	t.Run("stale and malformed labels are reported per node", func(t *testing.T) {
		old := fmt.Sprint(time.Now().Add(-3 * time.Hour).Unix())
		labels := map[string]string{
			fleet.ProbedAtLabel:          "not-a-time",
			fleet.LayerPrefix + "L-9":    "true",
			fleet.RuntimePrefix + "runc": "yes",
			fleet.LabelPrefix + "colour": "blue",
			fleet.LayerPrefix + "L-3":    "true",
		}
		if err := cp.AddNode(ctx, controlplane.Node{Name: "odd-1", Labels: labels}); err != nil {
			t.Fatal(err)
		}
		if err := cp.AddNode(ctx, controlplane.Node{Name: "old-1", Labels: map[string]string{fleet.ProbedAtLabel: old, fleet.LayerPrefix + "L-3": "true"}}); err != nil {
			t.Fatal(err)
		}
		r := strata(t, "fleet", "-o", "json")
		var s fleetSummary
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || r.code != 0 {
			t.Fatalf("exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		c := s.Clusters[0]
		var odd []string
		for _, p := range c.Problems {
			if p.Node == "odd-1" {
				odd = append(odd, p.Problem)
			} else {
				t.Errorf("problem on %s: %s", p.Node, p.Problem)
			}
		}
		if len(odd) != 4 {
			t.Errorf("odd-1's problems: %q, want 4 (probed-at, L-9, runc=yes, colour)", odd)
		}
		var stale []string
		for _, st := range c.Stale {
			stale = append(stale, st.Node)
		}
		slices.Sort(stale)
		if !slices.Equal(stale, []string{"odd-1", "old-1"}) {
			t.Errorf("stale %v, want odd-1 (no valid time) and old-1 (3h)", stale)
		}
	})

	t.Run("forbidden names the verb and resource", func(t *testing.T) {
		kc, err := cp.UserKubeconfig("nobody")
		if err != nil {
			t.Fatal(err)
		}
		r := strata(t, "fleet", "--kubeconfig", kc)
		if r.code != 1 || !strings.Contains(r.stderr, "may not list nodes cluster-wide") {
			t.Errorf("exit %d, want 1 naming list nodes\n%s", r.code, r.stderr)
		}

		// A user RBAC lets list nodes and get RuntimeClasses, nothing more: strata fleet
		// stops at the RuntimeClasses' list, fleet plan (which reads only the nodes) plans,
		// and its --apply stops at the first patch.
		kc, err = cp.UserKubeconfig("planner")
		if err != nil {
			t.Fatal(err)
		}
		role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "strata-planner"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"list"}},
			{APIGroups: []string{"node.k8s.io"}, Resources: []string{"runtimeclasses"}, Verbs: []string{"get"}},
		}}
		if _, err := client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "strata-planner"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "planner"}}}
		if _, err := client.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// The RBAC authorizer sees the binding through its informers: wait until the API
		// server's own access review says the planner may list nodes.
		err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			r, err := client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: "planner", ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Group: "node.k8s.io", Resource: "runtimeclasses"}}}, metav1.CreateOptions{})
			return err == nil && r.Status.Allowed, err
		})
		if err != nil {
			t.Fatalf("the planner's binding never took effect: %v", err)
		}
		r = strata(t, "fleet", "--kubeconfig", kc)
		if r.code != 1 || !strings.Contains(r.stderr, "may not list runtimeclasses.node.k8s.io cluster-wide") || !strings.Contains(r.stderr, "context strata") {
			t.Errorf("strata fleet as planner: exit %d, want 1 naming list runtimeclasses.node.k8s.io\n%s", r.code, r.stderr)
		}
		w := filepath.Join(t.TempDir(), "api.yaml")
		doc := "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: api}\nspec:\n  kind: Deployment\n  image: registry.example/api:1.0\n  trust: trusted\n  artifact: oci\n"
		if err := os.WriteFile(w, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		r = strata(t, "fleet", "plan", w, "--kubeconfig", kc)
		if r.code != 0 {
			t.Errorf("strata fleet plan as planner: exit %d, want 0 (it lists only nodes)\n%s", r.code, r.stderr)
		}
		r = strata(t, "fleet", "plan", w, "--namespace", "api", "--apply", "--dry-run=server", "--kubeconfig", kc)
		// The first object the planner may not write: its GET (only RuntimeClasses may be
		// read) or its patch.
		m := regexp.MustCompile(`may not (get|patch) ([a-z.]+) (cluster-wide|in namespace api) .*grant the verb "(get|patch)" on "([a-z.]+)"`).FindStringSubmatch(r.stderr)
		if r.code != 1 || m == nil || m[1] != m[4] || m[2] != m[5] || m[1] == "get" && m[2] == "runtimeclasses" {
			t.Errorf("strata fleet plan --apply as planner: exit %d, want 1 naming the verb and the resource\n%s", r.code, r.stderr)
		}
	})
}

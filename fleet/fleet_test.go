package fleet_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/strata-dev/strata/fleet"
)

func node(name string, lbl map[string]string, ready bool, taints ...corev1.Taint) *corev1.Node {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbl},
		Spec:       corev1.NodeSpec{Taints: taints},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}}},
	}
}

func TestLabelsFromNFD(t *testing.T) {
	got, err := fleet.LabelsFromNFD([]byte("# comment\n\nstrata-layer-L-3=true\nstrata-runtime-runc\nstrata-probed-at=1748779200\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		fleet.LayerPrefix + "L-3":    "true",
		fleet.RuntimePrefix + "runc": "true",
		fleet.ProbedAtLabel:          "1748779200",
	}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []struct{ in, want string }{
		{"other=1\n", `line 1: "other" is not a strata feature`},
		{"strata-layer-L-3=true\nstrata-layer-L-3=true\n", "line 2: strata-layer-L-3 repeated"},
		{"strata-x=" + strings.Repeat("a", 64) + "\n", "line 1: label"},
		{"strata-" + strings.Repeat("a", 70) + "\n", "line 1: label"},
		{"strata-a b=true\n", "line 1: label"},
		{strings.Repeat("#", fleet.MaxNFDSize+1), "at most"},
	} {
		if _, err := fleet.LabelsFromNFD([]byte(bad.in)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("LabelsFromNFD(%.40q) = %v, want an error with %q", bad.in, err, bad.want)
		}
	}
}

func FuzzLabelsFromNFD(f *testing.F) {
	f.Add([]byte("strata-layer-L-3=true\nstrata-runtime-runc=true\n"))
	f.Add([]byte("# x\nstrata-probed-at=1\n\r\n"))
	f.Add([]byte("strata-\xff=\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := fleet.LabelsFromNFD(data)
		if err != nil {
			return
		}
		// Whatever it accepts, the API server would accept as labels, and ParseNode reads
		// without panicking.
		for k, v := range got {
			if !strings.HasPrefix(k, fleet.LabelPrefix) {
				t.Errorf("key %q outside %s", k, fleet.LabelPrefix)
			}
			if _, err := labels.ValidatedSelectorFromSet(map[string]string{k: v}); err != nil {
				t.Errorf("invalid label %q=%q: %v", k, v, err)
			}
		}
		fleet.ParseNode(node("n", got, true))
	})
}

func TestParseNodeReportsMalformedLabels(t *testing.T) {
	n := fleet.ParseNode(node("n1", map[string]string{
		fleet.LayerPrefix + "L-3":    "true",
		fleet.LayerPrefix + "L-9":    "true",
		fleet.LayerPrefix + "L-4":    "false",
		fleet.RuntimePrefix + "runc": "true",
		fleet.RuntimePrefix + "Bad_": "true",
		fleet.ProbedAtLabel:          "yesterday",
		fleet.LabelPrefix + "colour": "blue",
		"kubernetes.io/hostname":     "n1",
	}, true))
	if !slices.Equal(n.Layers, []string{"L-3"}) || !slices.Equal(n.Runtimes, []string{"runc"}) {
		t.Errorf("layers %v runtimes %v", n.Layers, n.Runtimes)
	}
	if len(n.Problems) != 5 {
		t.Errorf("problems %q, want 5", n.Problems)
	}
	if !n.ProbedAt.IsZero() || !n.Probed || !n.Schedulable {
		t.Errorf("%+v", n)
	}
}

func TestSummarize(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	fresh := func(extra ...string) map[string]string {
		m := map[string]string{fleet.ProbedAtLabel: "1767268800"} // 11:00
		for _, h := range extra {
			m[h] = "true"
		}
		return m
	}
	w, l4, r := fleet.RuntimePrefix+"wasmedge", fleet.LayerPrefix+"L-4", fleet.RuntimePrefix+"runc"
	s := &fleet.Snapshot{Context: "c", Nodes: []fleet.Node{
		fleet.ParseNode(node("a", fresh(w, l4), true)),
		fleet.ParseNode(node("b", fresh(w, l4), true)),
		fleet.ParseNode(node("c", fresh(r), true)),
		fleet.ParseNode(node("d", fresh(w, l4), false)), // not ready
		fleet.ParseNode(node("e", fresh(w, l4), true, corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule})),
		fleet.ParseNode(node("f", map[string]string{fleet.ProbedAtLabel: "1767258000", r: "true"}, true)), // 09:00
		fleet.ParseNode(node("g", nil, true)),
	}, RuntimeClasses: []fleet.RuntimeClass{
		{Name: "wasmedge", Handler: "wasmedge"},
		{Name: "wasmedge-gpu", Handler: "wasmedge", Tolerations: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}},
		{Name: "kata", Handler: "kata-qemu"},
	}, Pods: []fleet.Pod{{Namespace: "x", Name: "p1", Node: "c", RuntimeClass: "wasmedge"}, {Namespace: "x", Name: "p2", Node: "a", RuntimeClass: "wasmedge"}}}
	sum := fleet.Summarize(s, now, time.Hour)
	if sum.Nodes != 7 || sum.Ready != 6 || sum.Schedulable != 5 || sum.Probed != 6 {
		t.Errorf("counts %d/%d/%d/%d", sum.Nodes, sum.Ready, sum.Schedulable, sum.Probed)
	}
	nodes := map[string]int{}
	for _, rc := range sum.RuntimeClasses {
		nodes[rc.Name] = rc.Nodes
		if rc.Nodes == 0 && !strings.Contains(rc.Why, "kata-qemu") {
			t.Errorf("%s: why %q", rc.Name, rc.Why)
		}
	}
	if want := map[string]int{"wasmedge": 2, "wasmedge-gpu": 3, "kata": 0}; !maps.Equal(nodes, want) {
		t.Errorf("RuntimeClass nodes %v, want %v", nodes, want)
	}
	if len(sum.Stale) != 1 || sum.Stale[0].Node != "f" || sum.Stale[0].Age != "3h0m0s" {
		t.Errorf("stale %+v", sum.Stale)
	}
	if !slices.Equal(sum.Unprobed, []string{"g"}) {
		t.Errorf("unprobed %v", sum.Unprobed)
	}
	if len(sum.Misplaced) != 1 || sum.Misplaced[0].Pod != "x/p1" {
		t.Errorf("misplaced %+v", sum.Misplaced)
	}
	if len(sum.Groups) == 0 || len(sum.Groups[0].Nodes) != 2 {
		t.Errorf("groups %+v", sum.Groups)
	}
}

// TestEligibleMatchesBruteForce checks Eligible against a direct reading of random label
// sets: a node counts when it is ready, not cordoned, untainted, and carries every label.
func TestEligibleMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	handlers := []string{"runc", "crun", "wasmedge", "runsc"}
	for round := range 200 {
		var nodes []*corev1.Node
		s := &fleet.Snapshot{}
		for i := range 1 + rng.IntN(30) {
			lbl := map[string]string{}
			for _, h := range handlers {
				if rng.IntN(2) == 0 {
					lbl[fleet.RuntimePrefix+h] = "true"
				}
			}
			for _, l := range fleet.Layers {
				if rng.IntN(2) == 0 {
					lbl[fleet.LayerPrefix+l] = "true"
				}
			}
			if rng.IntN(3) == 0 {
				lbl["feature.node.kubernetes.io/pci-10de.present"] = "true"
			}
			var taints []corev1.Taint
			if rng.IntN(5) == 0 {
				taints = append(taints, corev1.Taint{Key: "k", Effect: corev1.TaintEffectNoSchedule})
			}
			n := node(string(rune('a'+i%26))+strings.Repeat("x", i/26), lbl, rng.IntN(6) != 0, taints...)
			n.Spec.Unschedulable = rng.IntN(8) == 0
			nodes = append(nodes, n)
			s.Nodes = append(s.Nodes, fleet.ParseNode(n))
		}
		f := &fleet.Fleet{Clusters: []*fleet.Snapshot{s}}
		h, l, gpu := handlers[rng.IntN(len(handlers))], fleet.Layers[rng.IntN(5)], rng.IntN(2) == 0
		want := 0
		for _, n := range nodes {
			ready := n.Status.Conditions[0].Status == corev1.ConditionTrue
			ok := ready && !n.Spec.Unschedulable && len(n.Spec.Taints) == 0 &&
				n.Labels[fleet.RuntimePrefix+h] == "true" && n.Labels[fleet.LayerPrefix+l] == "true" &&
				(!gpu || n.Labels["feature.node.kubernetes.io/pci-10de.present"] == "true")
			if ok {
				want++
			}
		}
		if got := f.Eligible(fleet.Selector(h, l, gpu)); got != want {
			t.Fatalf("round %d: Eligible(%s, %s, gpu %v) = %d, brute force %d", round, h, l, gpu, got, want)
		}
	}
}

// TestConnectRefusesHostileKubeconfig: a kubeconfig that is a device or larger than any
// kubeconfig is refused before client-go reads it whole (it read /dev/zero without end),
// named by --kubeconfig or by $KUBECONFIG, and the error says what to give instead.
func TestConnectRefusesHostileKubeconfig(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	huge := filepath.Join(t.TempDir(), "config")
	if f, err := os.Create(huge); err != nil {
		t.Fatal(err)
	} else {
		f.Truncate(fleet.MaxKubeconfigBytes + 1)
		f.Close()
	}
	for _, tc := range []struct{ flag, env, want string }{
		{"/dev/zero", "", "kubeconfig /dev/zero is not a regular file"},
		{"", "/dev/zero", "kubeconfig /dev/zero is not a regular file"},
		{huge, "", "more than the 16 MiB strata reads"},
	} {
		t.Setenv("KUBECONFIG", tc.env)
		done := make(chan error, 1)
		go func() { _, err := fleet.Connect(tc.flag, "", time.Second); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "give the file kubectl reads") {
				t.Errorf("--kubeconfig %q KUBECONFIG=%q: %v", tc.flag, tc.env, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("--kubeconfig %q KUBECONFIG=%q: still reading after 30 s", tc.flag, tc.env)
		}
	}
}

// TestConnectPipeKubeconfig: a kubeconfig from a pipe (--kubeconfig <(command)) is read
// within the bound (what one of no end costs is measured by the CLI's TestHostileFiles)
// and used as a file would be, context by name included; read once with LoadKubeconfig,
// it serves every context (a second reading finds it empty); a pipe among several
// $KUBECONFIG files, which client-go would read without a bound, is refused.
func TestConnectPipeKubeconfig(t *testing.T) {
	const cfg = `apiVersion: v1
kind: Config
current-context: east
clusters:
- name: east
  cluster: {server: "https://east.example:6443"}
- name: west
  cluster: {server: "https://west.example:6443"}
users:
- name: u
  user: {token: t}
contexts:
- name: east
  context: {cluster: east, user: u}
- name: west
  context: {cluster: west, user: u}
`
	dir := t.TempDir()
	fifo := filepath.Join(dir, "kubeconfig")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ context, server string }{{"", "https://east.example:6443"}, {"west", "https://west.example:6443"}} {
		t.Setenv("KUBECONFIG", "")
		go func() {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for Connect to open it
			if err != nil {
				return
			}
			f.WriteString(cfg)
			f.Close()
		}()
		c, err := fleet.Connect(fifo, tc.context, time.Second)
		if err != nil {
			t.Fatalf("--kubeconfig FIFO --context %q: %v", tc.context, err)
		}
		if c.Server != tc.server || c.Kubeconfig != fifo {
			t.Errorf("--kubeconfig FIFO --context %q: server %s, kubeconfig %s; want %s, %s", tc.context, c.Server, c.Kubeconfig, tc.server, fifo)
		}
	}
	// As bash's <(command) gives it: /dev/fd/N of a pipe whose writer has closed. Read
	// once, it serves every context; a second reading finds it empty, and says so.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.WriteString(cfg)
	w.Close()
	devfd := fmt.Sprintf("/dev/fd/%d", r.Fd())
	k, err := fleet.LoadKubeconfig(devfd)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ context, server string }{{"", "https://east.example:6443"}, {"west", "https://west.example:6443"}, {"east", "https://east.example:6443"}} {
		c, err := k.Connect(tc.context, time.Second)
		if err != nil {
			t.Fatalf("%s --context %q: %v", devfd, tc.context, err)
		}
		if c.Server != tc.server || c.Kubeconfig != devfd {
			t.Errorf("%s --context %q: server %s, kubeconfig %s; want %s, %s", devfd, tc.context, c.Server, c.Kubeconfig, tc.server, devfd)
		}
	}
	if _, err := k.Connect("north", time.Second); err == nil || !strings.Contains(err.Error(), `has no context "north" (it has: east, west)`) {
		t.Errorf("--context north: %v", err)
	}
	if _, err := fleet.LoadKubeconfig(devfd); err == nil || !strings.Contains(err.Error(), "the pipe gave nothing") {
		t.Errorf("%s read again: %v, want it said empty", devfd, err)
	}
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", other+string(filepath.ListSeparator)+fifo)
	if _, err := fleet.Connect("", "", time.Second); err == nil || !strings.Contains(err.Error(), "is a pipe among 2 $KUBECONFIG files") {
		t.Errorf("KUBECONFIG=file:FIFO: %v, want the pipe refused", err)
	}
}

package fleet_test

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/internal/controlplane"
	"github.com/strata-dev/strata/plan/plantest"
)

// BenchmarkPlanSnapshot is the part of strata fleet plan after the LIST, without a
// cluster: 5,000 nodes labelled by the probe's five fake host trees in turn (as in
// BenchmarkFleet), read with ParseNode, then one workload planned against them, its X
// placed and every alternative's eligible nodes counted.
func BenchmarkPlanSnapshot(b *testing.B) {
	trees := []string{"kvm-host", "amd-no-kvm", "pvm-guest", "gvisor-sandbox", "empty-container"}
	s := &fleet.Snapshot{Version: "v1.37.2"}
	var labels []map[string]string
	for _, tree := range trees {
		l, err := controlplane.ProbedLabels(b.Context(), filepath.Join("..", "probe", "testdata", tree), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		labels = append(labels, l)
	}
	for i := range benchNodes {
		name := fmt.Sprintf("node-%05d", i)
		l := map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
		for k, v := range labels[i%len(labels)] {
			l[k] = v
		}
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
		s.Nodes = append(s.Nodes, fleet.ParseNode(n))
	}
	net := plantest.Network(b)
	_, p := plantest.Planner(b, net)
	w, err := p.ScenarioWorkload("edge")
	if err != nil {
		b.Fatal(err)
	}
	var ru0 syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru0); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		fl := &fleet.Fleet{Clusters: []*fleet.Snapshot{s}}
		pl, err := p.Excluding(fl.Exclusion(net, false)).Plan(w)
		if err != nil {
			b.Fatal(err)
		}
		place, err := fl.X(p, net)
		if err != nil {
			b.Fatal(err)
		}
		c := fl.Check(pl, net, place)
		if len(c.Runtimes) == 0 || c.Runtimes[0].Nodes == 0 {
			b.Fatalf("%+v", c.Runtimes)
		}
	}
	// Processor time per plan: wall time on a machine others load too counts their time.
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	used := ru.Utime.Nano() + ru.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(used)/1e6/float64(b.N), "cpu-ms/op")
}

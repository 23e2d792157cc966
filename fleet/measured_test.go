package fleet

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/measured"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/reason"
)

const recorded = "../measured/testdata/bench-quick.json" // strata bench --quick -o json on this VM

func readRecorded(t *testing.T, scale map[string]float64) *bench.Results {
	t.Helper()
	b, err := os.ReadFile(recorded)
	if err != nil {
		t.Fatal(err)
	}
	r, err := measured.ReadBench(recorded, b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.Drivers {
		d := &r.Drivers[i]
		if f, ok := scale[d.Name]; ok {
			for j := range d.Results {
				w := &d.Results[j]
				for k := range w.Samples {
					w.Samples[k] *= f
				}
			}
		}
	}
	return r
}

func classNode(name, kernel string, layers, handlers []string) Node {
	l := map[string]string{ProbedAtLabel: "1", "kubernetes.io/hostname": name}
	for _, x := range layers {
		l[LayerPrefix+x] = "true"
	}
	for _, h := range handlers {
		l[RuntimePrefix+h] = "true"
	}
	return Node{Name: name, Labels: l, KernelVersion: kernel, Probed: true, Ready: true, Schedulable: true,
		Layers: layers, Runtimes: slices.Sorted(slices.Values(handlers))}
}

// TestClassID: the class ID is the SHA-256 of the sorted strata labels as sha256sum(1)
// computes it (what the chart's template calls), and labels other than layer and runtime
// ones set to "true" do not change the class.
func TestClassID(t *testing.T) {
	a := classNode("a", "", []string{"L-3"}, []string{"runc", "crun"})
	b := classNode("b", "", []string{"L-3"}, []string{"crun", "runc"})
	b.Labels["feature.node.kubernetes.io/strata-probed-at"] = "99"
	b.Labels[RuntimePrefix+"kata"] = "false"
	b.Labels["zone"] = "x"
	key := ClassKey(a.Labels)
	if key != LayerPrefix+"L-3,"+RuntimePrefix+"crun,"+RuntimePrefix+"runc" || ClassKey(b.Labels) != key {
		t.Errorf("keys %q / %q", key, ClassKey(b.Labels))
	}
	if ClassKey(map[string]string{"zone": "x"}) != "" {
		t.Error("an unprobed node has a class")
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sha256sum")
		cmd.Stdin = strings.NewReader(key)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if want := string(out[:10]); ClassID(key) != want {
			t.Errorf("ClassID %s, sha256sum says %s", ClassID(key), want)
		}
	}
	cs := Classes(&Snapshot{Nodes: []Node{a, b, classNode("c", "", []string{"L-4"}, []string{"runsc"}), {Name: "bare", Labels: map[string]string{}}}})
	if len(cs) != 2 || !slices.Equal(cs[0].Nodes, []string{"a", "b"}) || !cs[0].Offers("runc") || cs[0].Offers("runsc") || cs[1].ID != ClassID(LayerPrefix+"L-4,"+RuntimePrefix+"runsc") {
		t.Errorf("classes %+v", cs)
	}
}

// TestMeasure: a runtime's figure is the slowest of the classes that offer it, the plan
// says which class, and where classes disagree; a class measured on another kernel than
// its nodes run is stale; a class without results and results of a class no node has are
// said.
func TestMeasure(t *testing.T) {
	net, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	r, err := reason.New(net)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.New(r)
	if err != nil {
		t.Fatal(err)
	}
	fast := readRecorded(t, nil)
	slow := readRecorded(t, map[string]float64{"runc": 3})
	kernel := fast.Host.Kernel
	s := &Snapshot{Context: "c", Nodes: []Node{
		classNode("fast-1", kernel, []string{"L-3"}, []string{"runc", "crun"}),
		classNode("fast-2", kernel, []string{"L-3"}, []string{"runc", "crun"}),
		classNode("slow-1", kernel, []string{"L-3"}, []string{"runc"}),
		classNode("sandbox-1", "7.0.0", []string{"L-4"}, []string{"runsc"}),
		classNode("wasm-1", kernel, []string{"L-4"}, []string{"wasmedge"}),
	}}
	fastID, slowID := ClassID(ClassKey(s.Nodes[0].Labels)), ClassID(ClassKey(s.Nodes[2].Labels))
	sandboxID, wasmID := ClassID(ClassKey(s.Nodes[3].Labels)), ClassID(ClassKey(s.Nodes[4].Labels))
	rs := []ClassResults{
		{Class: fastID, ConfigMap: "strata/fast", Results: fast},
		{Class: slowID, ConfigMap: "strata/slow", Results: slow},
		{Class: sandboxID, ConfigMap: "strata/sandbox", Results: fast},
		{Class: "0123456789", Key: "gone", ConfigMap: "strata/gone", Results: fast},
	}
	f := &Fleet{Clusters: []*Snapshot{s}}
	now := fast.Started.Add(time.Hour)
	for _, allow := range []bool{false, true} {
		fm, err := f.Measure(net, [][]ClassResults{rs}, measured.Options{Now: now, MaxAge: 30 * 24 * time.Hour, AllowStale: allow})
		if err != nil {
			t.Fatal(err)
		}
		spread := func(tech string) Spread {
			for _, sp := range fm.Spreads {
				if sp.Technology == tech {
					return sp
				}
			}
			return Spread{}
		}
		fig := func(tech string) (plan.Figure, bool) {
			for _, f := range fm.Plan.Figures {
				if f.Technology == tech {
					return f, true
				}
			}
			return plan.Figure{}, false
		}
		runc := spread("runc")
		if len(runc.Classes) != 2 || runc.Decided != slowID || !runc.Disagree {
			t.Errorf("runc across classes: %+v", runc)
		}
		if f, _ := fig("runc"); !strings.Contains(f.Source, "node class "+slowID+", strata/slow") || f.Value != slices.MaxFunc(runc.Classes, func(a, b ClassValue) int { return int(a.Figure.Value - b.Figure.Value) }).Figure.Value ||
			!strings.Contains(f.Note, "the slowest of 2 node classes that offer it") {
			t.Errorf("runc's figure: %s", f)
		}
		if crun := spread("crun"); len(crun.Classes) != 1 || crun.Decided != fastID {
			t.Errorf("crun is measured only where offered: %+v", crun)
		}
		g, ok := fig("gVisor")
		switch {
		case !allow && ok:
			t.Errorf("gVisor's stale figure used: %s", g)
		case !allow && !slices.ContainsFunc(fm.Plan.Gaps, func(g plan.Gap) bool {
			return g.Technology == "gVisor" && strings.Contains(g.Why, "measured on kernel "+kernel+"; a node of class "+sandboxID+" runs 7.0.0 now (status.nodeInfo.kernelVersion of 1 of its 1 nodes)")
		}):
			t.Errorf("gVisor's gap does not say its nodes run another kernel: %+v", fm.Plan.Gaps)
		case allow && (!ok || !strings.Contains(g.Stale, "7.0.0")):
			t.Errorf("gVisor with --allow-stale: %+v", g)
		}
		notes := strings.Join(fm.Plan.Notes, "\n")
		for _, want := range []string{
			"strata/gone measured node class 0123456789 (gone), which no node has now: not used",
			"node class " + wasmID + " (1 nodes: wasm-1; " + LayerPrefix + "L-4," + RuntimePrefix + "wasmedge) not measured: no bench ConfigMap for this class",
		} {
			if !strings.Contains(notes, want) {
				t.Errorf("notes lack %q:\n%s", want, notes)
			}
		}
		// The planner reads them: a budget between the classes' runc figures is met on the
		// fast class only, so the fleet plan does not count on runc.
		if len(runc.Classes) != 2 {
			continue
		}
		lo, hi := runc.Classes[0].Figure.Value, runc.Classes[1].Figure.Value
		budget := time.Duration((lo + hi) / 2 * float64(time.Millisecond))
		pl, err := p.Measuring(fm.Plan).Plan(plan.Workload{Name: "w", Trust: "trusted", Artifact: "oci", StartupBudget: budget})
		if err == nil && pl.Technology(plan.RoleRuntime) == "runc" {
			t.Errorf("runc chosen with a %s budget its slowest class misses", budget)
		}
	}
}

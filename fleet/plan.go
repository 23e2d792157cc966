package fleet

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

// Fleet is the clusters a plan will run on: one, or several kubeconfig contexts.
//
// A Fleet is what was read at one moment: [Fleet.Exclusion] and [Fleet.Check] remember
// the count of each node selector they asked for (each is a pass over every node), so
// its Clusters must not change once it has been asked; read the clusters again into a
// new Fleet.
type Fleet struct {
	Clusters []*Snapshot

	mu     sync.Mutex
	counts map[string]int // by selectorString
}

// Selector is the node selector a runtime's pods get from the emitted objects: the
// RuntimeClass's scheduling.nodeSelector on the handler's label, the workload's on the
// layer's, and the GPU label when the workload needs a GPU.
func Selector(handler, layer string, gpu bool) map[string]string {
	sel := map[string]string{manifest.RuntimeLabel(handler): "true", manifest.LayerLabel(layer): "true"}
	if gpu {
		sel[manifest.NFDNvidiaGPU] = "true"
	}
	return sel
}

// Eligible counts the nodes, over every cluster, that the scheduler may place a pod with
// the selector on.
func (f *Fleet) Eligible(selector map[string]string) int {
	n := 0
	for _, s := range f.Clusters {
		for i := range s.Nodes {
			if Admits(&s.Nodes[i], selector, nil) {
				n++
			}
		}
	}
	return n
}

// eligible is [Fleet.Eligible], remembered per selector.
func (f *Fleet) eligible(selector map[string]string) int {
	key := selectorString(selector)
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.counts[key]
	if !ok {
		n = f.Eligible(selector)
		if f.counts == nil {
			f.counts = map[string]int{}
		}
		f.counts[key] = n
	}
	return n
}

// Runtime is what the network says a runtime technology needs of a node.
type Runtime struct {
	Technology string `json:"technology" yaml:"technology"`
	Handler    string `json:"handler" yaml:"handler"`
	Layer      string `json:"layer" yaml:"layer"`
}

// RuntimeOf reads a runtime technology's containerd handler and the isolation layer it
// represents from the network, the same attributes the planner and the emitter read.
func RuntimeOf(net *network.Network, technology string) (Runtime, bool) {
	e, ok := net.Entity(technology)
	if !ok {
		return Runtime{}, false
	}
	h, ok := e.Attr("handler")
	if !ok || h.String == "" {
		return Runtime{}, false
	}
	r := Runtime{Technology: technology, Handler: h.String}
	if iso, ok := net.Dimension("isolation"); ok {
		for _, f := range net.FactsOf(technology, "represents") {
			if slices.Contains(iso.Values, f.Object) {
				r.Layer = f.Object
				break
			}
		}
	}
	return r, r.Layer != ""
}

// Exclusion is the fleet as a constraint for the planner: a runtime no schedulable node
// offers (its handler's and its layer's labels, and a GPU when the workload needs one) is
// excluded with that reason.
func (f *Fleet) Exclusion(net *network.Network, gpu bool) plan.Exclusion {
	return plan.Exclusion{Name: "fleet", Why: func(role, technology string) string {
		if role != plan.RoleRuntime {
			return ""
		}
		r, ok := RuntimeOf(net, technology)
		if !ok {
			return ""
		}
		n := f.eligible(Selector(r.Handler, r.Layer, gpu))
		if n > 0 {
			return ""
		}
		what := fmt.Sprintf("handler %s on layer %s", r.Handler, r.Layer)
		if gpu {
			what += " with a GPU"
		}
		return fmt.Sprintf("no schedulable node of the fleet offers %s (no node labelled %s)", what, selectorString(Selector(r.Handler, r.Layer, gpu)))
	}}
}

func selectorString(sel map[string]string) string {
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		keys[i] = k + "=" + sel[k]
	}
	return strings.Join(keys, ",")
}

// Place is where the fleet sits on the X axis.
type Place struct {
	// Orchestrator is the technology the cluster runs (Kubernetes, K3s, KubeEdge); empty
	// for several clusters.
	Orchestrator string `json:"orchestrator,omitempty" yaml:"orchestrator,omitempty"`
	X            int    `json:"x" yaml:"x"`
	Reason       string `json:"reason" yaml:"reason"`
}

// X places the fleet on the X axis through the network: one cluster is the X point its
// orchestrator represents (K3s is X=2: an API server version with +k3s says K3s; a
// kubelet version naming kubeedge says KubeEdge; anything else is Kubernetes); several
// clusters are the X point whose site is multi-cluster.
func (f *Fleet) X(p *plan.Planner, net *network.Network) (Place, error) {
	if len(f.Clusters) > 1 {
		var names []string
		for _, s := range f.Clusters {
			names = append(names, s.Context)
		}
		x, ok := net.Dimension("X")
		if ok {
			for _, id := range x.Values {
				pt, _ := net.Entity(id)
				if site, ok := pt.Attr("site"); ok && site.String == "multi-cluster" {
					c, _ := pt.Attr("coordinate")
					return Place{X: int(c.Int), Reason: fmt.Sprintf("X=%d: %d clusters (contexts %s) are %s", c.Int, len(f.Clusters), strings.Join(names, ", "), pt.Label())}, nil
				}
			}
		}
		return Place{}, fmt.Errorf("the network has no X point with site multi-cluster")
	}
	if len(f.Clusters) == 0 {
		return Place{}, fmt.Errorf("no cluster")
	}
	s := f.Clusters[0]
	tech, why := "Kubernetes", "the API server is "+s.Version
	switch {
	case strings.Contains(s.Version, "+k3s"):
		tech, why = "K3s", "the API server is "+s.Version
	default:
		for _, n := range s.Nodes {
			if strings.Contains(strings.ToLower(n.KubeletVersion), "kubeedge") {
				tech, why = "KubeEdge", fmt.Sprintf("node %s runs %s", n.Name, n.KubeletVersion)
				break
			}
		}
	}
	pl, err := p.Coordinates([]string{tech})
	if err != nil {
		return Place{}, err
	}
	return Place{Orchestrator: tech, X: pl.Coordinates.X, Reason: fmt.Sprintf("X=%d: %s (%s)", pl.Coordinates.X, tech, why)}, nil
}

// Check is a plan beside the fleet it will run on.
type Check struct {
	Fleet Place `json:"fleet" yaml:"fleet"`
	PlanX int   `json:"planX" yaml:"planX"`
	// Mismatch says how the plan's X differs from the fleet's; empty when they agree.
	Mismatch string `json:"mismatch,omitempty" yaml:"mismatch,omitempty"`
	// Runtimes are the chosen runtime first, then every alternative, each with the number
	// of nodes its pods may be scheduled on.
	Runtimes []Eligibility `json:"runtimes" yaml:"runtimes"`
}

// Eligibility is a runtime alternative and the nodes that can run it.
type Eligibility struct {
	Runtime  `yaml:",inline"`
	Chosen   bool   `json:"chosen" yaml:"chosen"`
	Excluded bool   `json:"excluded" yaml:"excluded"`
	Reason   string `json:"reason,omitempty" yaml:"reason,omitempty"`
	Nodes    int    `json:"eligibleNodes" yaml:"eligibleNodes"`
}

// Check puts a plan beside the fleet: the X mismatch, if any, and the eligible nodes of
// the chosen runtime and of every alternative.
// A plan with an accelerator in its stack counts only nodes with a GPU.
func (f *Fleet) Check(pl *plan.Plan, net *network.Network, place Place) Check {
	c := Check{Fleet: place, PlanX: pl.Coordinates.X, Runtimes: []Eligibility{}}
	if c.PlanX != place.X {
		c.Mismatch = fmt.Sprintf("the plan's X=%d (%s) differs from the fleet's %s", c.PlanX, pl.Technology(plan.RoleOrchestrator), place.Reason)
	}
	gpu := pl.Technology(plan.RoleAccelerator) != ""
	add := func(tech string, chosen, excluded bool, reason string) {
		r, ok := RuntimeOf(net, tech)
		if !ok {
			return
		}
		c.Runtimes = append(c.Runtimes, Eligibility{Runtime: r, Chosen: chosen, Excluded: excluded, Reason: reason,
			Nodes: f.eligible(Selector(r.Handler, r.Layer, gpu))})
	}
	for _, ch := range pl.Stack {
		if ch.Role != plan.RoleRuntime {
			continue
		}
		add(ch.Technology, true, false, "")
		for _, a := range ch.Alternatives {
			add(a.Technology, false, a.Excluded, a.Reason)
		}
	}
	return c
}

package fleet

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
)

// Summary is one cluster's nodes by what they offer.
type Summary struct {
	Context string `json:"context" yaml:"context"`
	Server  string `json:"server" yaml:"server"`
	Version string `json:"version" yaml:"version"`
	// Nodes counts every node; Ready those whose Ready condition is true; Schedulable
	// those ready, not cordoned and without NoSchedule/NoExecute taints; Probed those with
	// strata labels.
	Nodes       int `json:"nodes" yaml:"nodes"`
	Ready       int `json:"ready" yaml:"ready"`
	Schedulable int `json:"schedulable" yaml:"schedulable"`
	Probed      int `json:"probed" yaml:"probed"`
	// Layers and Runtimes count the schedulable nodes offering each layer and handler.
	Layers   []Offer `json:"layers" yaml:"layers"`
	Runtimes []Offer `json:"runtimes" yaml:"runtimes"`
	// Groups are the nodes by what their labels offer, the largest group first.
	Groups         []Group              `json:"groups" yaml:"groups"`
	RuntimeClasses []RuntimeClassStatus `json:"runtimeClasses" yaml:"runtimeClasses"`
	// Stale are the nodes whose labels are older than the probe interval.
	Stale []StaleNode `json:"stale" yaml:"stale"`
	// Unprobed are nodes without any strata label.
	Unprobed []string `json:"unprobed" yaml:"unprobed"`
	// Problems are malformed labels, node by node.
	Problems []NodeProblem `json:"problems" yaml:"problems"`
	// Misplaced are bound pods whose node no longer offers their RuntimeClass's handler.
	Misplaced []Misplaced `json:"misplaced" yaml:"misplaced"`
}

// Offer is how many schedulable nodes offer a layer or a handler.
type Offer struct {
	Name  string `json:"name" yaml:"name"`
	Nodes int    `json:"nodes" yaml:"nodes"`
}

// Group is the nodes that offer the same layers and handlers.
type Group struct {
	Layers   []string `json:"layers" yaml:"layers"`
	Runtimes []string `json:"runtimes" yaml:"runtimes"`
	Nodes    []string `json:"nodes" yaml:"nodes"`
}

// RuntimeClassStatus says how many nodes can serve a RuntimeClass: schedulable nodes that
// match its scheduling.nodeSelector, tolerate nothing it does not, and whose labels offer
// its handler.
type RuntimeClassStatus struct {
	RuntimeClass `yaml:",inline"`
	Nodes        int `json:"nodes" yaml:"nodes"`
	// Why, when Nodes is 0: what no node has.
	Why string `json:"why,omitempty" yaml:"why,omitempty"`
}

// StaleNode is a node whose labels are older than the probe interval.
type StaleNode struct {
	Node     string    `json:"node" yaml:"node"`
	ProbedAt time.Time `json:"probedAt,omitzero" yaml:"probedAt,omitempty"`
	// Age is how old the labels are, or "unknown" without a strata-probed-at label.
	Age string `json:"age" yaml:"age"`
}

// NodeProblem is one malformed label on one node.
type NodeProblem struct {
	Node    string `json:"node" yaml:"node"`
	Problem string `json:"problem" yaml:"problem"`
}

// Misplaced is a pod bound to a node that no longer offers its runtime handler: the node
// lost a capability after the pod was scheduled.
type Misplaced struct {
	Pod          string `json:"pod" yaml:"pod"` // namespace/name
	Node         string `json:"node" yaml:"node"`
	RuntimeClass string `json:"runtimeClass" yaml:"runtimeClass"`
	Handler      string `json:"handler" yaml:"handler"`
}

// StaleGrace is added to the probe interval before labels count as stale: the probe's own
// run and clock skew between nodes.
const StaleGrace = time.Minute

// Summarize groups a snapshot's nodes by what they offer and finds what is wrong: stale
// labels (older than interval plus [StaleGrace] at now), malformed ones, RuntimeClasses no
// node can serve, and pods on nodes that no longer offer their handler.
func Summarize(s *Snapshot, now time.Time, interval time.Duration) Summary {
	sum := Summary{Context: s.Context, Server: s.Server, Version: s.Version, Nodes: len(s.Nodes),
		Layers: []Offer{}, Runtimes: []Offer{}, Groups: []Group{}, RuntimeClasses: []RuntimeClassStatus{},
		Stale: []StaleNode{}, Unprobed: []string{}, Problems: []NodeProblem{}, Misplaced: []Misplaced{}}
	layers, runtimes := map[string]int{}, map[string]int{}
	groups := map[string]*Group{}
	byName := make(map[string]*Node, len(s.Nodes))
	for i := range s.Nodes {
		n := &s.Nodes[i]
		byName[n.Name] = n
		if n.Ready {
			sum.Ready++
		}
		for _, p := range n.Problems {
			sum.Problems = append(sum.Problems, NodeProblem{Node: n.Name, Problem: p})
		}
		if !n.Probed {
			sum.Unprobed = append(sum.Unprobed, n.Name)
		} else {
			sum.Probed++
			switch {
			case n.ProbedAt.IsZero():
				sum.Stale = append(sum.Stale, StaleNode{Node: n.Name, Age: "unknown"})
			case now.Sub(n.ProbedAt) > interval+StaleGrace:
				sum.Stale = append(sum.Stale, StaleNode{Node: n.Name, ProbedAt: n.ProbedAt, Age: now.Sub(n.ProbedAt).Round(time.Second).String()})
			}
		}
		if !n.Schedulable {
			continue
		}
		sum.Schedulable++
		for _, l := range n.Layers {
			layers[l]++
		}
		for _, h := range n.Runtimes {
			runtimes[h]++
		}
		key := strings.Join(n.Layers, ",") + "|" + strings.Join(n.Runtimes, ",")
		g := groups[key]
		if g == nil {
			g = &Group{Layers: n.Layers, Runtimes: n.Runtimes}
			groups[key] = g
		}
		g.Nodes = append(g.Nodes, n.Name)
	}
	sum.Layers = offers(layers)
	sum.Runtimes = offers(runtimes)
	for _, g := range groups {
		slices.Sort(g.Nodes)
		sum.Groups = append(sum.Groups, *g)
	}
	slices.SortFunc(sum.Groups, func(a, b Group) int {
		return cmp.Or(cmp.Compare(len(b.Nodes), len(a.Nodes)), cmp.Compare(a.Nodes[0], b.Nodes[0]))
	})
	handlerOf := map[string]string{}
	for _, rc := range s.RuntimeClasses {
		handlerOf[rc.Name] = rc.Handler
		st := RuntimeClassStatus{RuntimeClass: rc}
		for i := range s.Nodes {
			if CanServe(&s.Nodes[i], rc) {
				st.Nodes++
			}
		}
		if st.Nodes == 0 {
			st.Why = fmt.Sprintf("no schedulable node is labelled %s%s=true", RuntimePrefix, rc.Handler)
			if len(rc.NodeSelector) > 0 {
				st.Why += " and matches " + labels.SelectorFromSet(rc.NodeSelector).String()
			}
		}
		sum.RuntimeClasses = append(sum.RuntimeClasses, st)
	}
	slices.SortFunc(sum.RuntimeClasses, func(a, b RuntimeClassStatus) int { return cmp.Compare(a.Name, b.Name) })
	for _, p := range s.Pods {
		h, ok := handlerOf[p.RuntimeClass]
		n := byName[p.Node]
		if !ok || n == nil || !n.Probed || n.Offers(h) {
			continue
		}
		sum.Misplaced = append(sum.Misplaced, Misplaced{Pod: p.Namespace + "/" + p.Name, Node: p.Node, RuntimeClass: p.RuntimeClass, Handler: h})
	}
	slices.SortFunc(sum.Misplaced, func(a, b Misplaced) int { return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Pod, b.Pod)) })
	return sum
}

func offers(m map[string]int) []Offer {
	out := make([]Offer, 0, len(m))
	for k, v := range m {
		out = append(out, Offer{Name: k, Nodes: v})
	}
	slices.SortFunc(out, func(a, b Offer) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// CanServe says whether the scheduler may place a pod of the RuntimeClass on the node and
// the node's labels say it has the handler: Ready, not cordoned, every NoSchedule and
// NoExecute taint tolerated by the RuntimeClass, its nodeSelector matched, and the
// handler's label set.
func CanServe(n *Node, rc RuntimeClass) bool {
	return Admits(n, rc.NodeSelector, rc.Tolerations) && n.Offers(rc.Handler)
}

// Admits says whether a pod with the node selector and tolerations may be scheduled on
// the node, as far as labels, taints, readiness and cordoning go.
func Admits(n *Node, selector map[string]string, tolerations []corev1.Toleration) bool {
	if !n.Ready {
		return false
	}
	for k, v := range selector {
		if got, ok := n.Labels[k]; !ok || got != v {
			return false
		}
	}
	if n.Schedulable {
		return true
	}
	taints := n.Taints
	if n.Cordoned {
		taints = append(slices.Clone(taints), corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	}
	for i := range taints {
		t := &taints[i]
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		if !slices.ContainsFunc(tolerations, func(tol corev1.Toleration) bool { return tol.ToleratesTaint(klog.Background(), t, false) }) {
			return false
		}
	}
	return true
}

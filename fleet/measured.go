package fleet

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-dev/strata/measured"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/probe"
)

// MeasuredClass is one node class with what its bench ConfigMap measured.
type MeasuredClass struct {
	Class `yaml:",inline"`
	// Context is the cluster's kubeconfig context.
	Context   string `json:"context" yaml:"context"`
	ConfigMap string `json:"configMap,omitempty" yaml:"configMap,omitempty"`
	// Figures are the class's figures (measured.Figures on its results, their kernel
	// compared with the one its nodes report now); nil when Problem says why there are none.
	Figures *plan.Measurements `json:"-" yaml:"-"`
	Problem string             `json:"problem,omitempty" yaml:"problem,omitempty"`
}

// Name is how plans name the class: its ID, with the context when the fleet has several.
func (m MeasuredClass) Name() string {
	if m.Context == "" {
		return m.ID
	}
	return m.Context + "/" + m.ID
}

// Spread is one technology's figure across the node classes that measured it and can run
// it.
type Spread struct {
	Technology string `json:"technology" yaml:"technology"`
	Attribute  string `json:"attribute" yaml:"attribute"`
	// Decided is the class whose figure the plan used: the worst (highest) of them, since
	// the scheduler may place the pods on a node of any class that offers the runtime.
	Decided string       `json:"decidedBy" yaml:"decidedBy"`
	Classes []ClassValue `json:"classes" yaml:"classes"`
	// Disagree says the classes' figures differ beyond their confidence intervals.
	Disagree bool `json:"disagree" yaml:"disagree"`
}

// ClassValue is one class's figure.
type ClassValue struct {
	Class  string      `json:"class" yaml:"class"`
	Nodes  int         `json:"nodes" yaml:"nodes"`
	Figure plan.Figure `json:"figure" yaml:"figure"`
}

// FleetMeasurements are the fleet's bench results as the planner's figures.
type FleetMeasurements struct {
	Classes []MeasuredClass `json:"classes" yaml:"classes"`
	Spreads []Spread        `json:"spreads" yaml:"spreads"`
	// Plan is what the planner reads: for each technology the worst figure of the classes
	// that offer it (see Spread.Decided).
	Plan plan.Measurements `json:"-" yaml:"-"`
}

// Measure reads the bench results of each cluster's node classes (results[i] are what
// [Cluster.ReadBench] returned for f.Clusters[i]) against the network's measurement data
// (package measured). A class's results are stale when older than opt.MaxAge or taken on
// another kernel than one of its nodes reports now; opt.Host is ignored. A ConfigMap whose
// class no node has now, and a class without results, are noted.
func (f *Fleet) Measure(net *network.Network, results [][]ClassResults, opt measured.Options) (*FleetMeasurements, error) {
	out := &FleetMeasurements{Plan: plan.Measurements{Sources: []string{}}}
	several := len(f.Clusters) > 1
	for i, s := range f.Clusters {
		var rs []ClassResults
		if i < len(results) {
			rs = results[i]
		}
		byClass := map[string]ClassResults{}
		for _, r := range rs {
			byClass[r.Class] = r
		}
		classes := Classes(s)
		have := map[string]bool{}
		for _, c := range classes {
			have[c.ID] = true
			mc := MeasuredClass{Class: c}
			if several {
				mc.Context = s.Context
			}
			r, ok := byClass[c.ID]
			switch {
			case !ok:
				mc.Problem = "no bench ConfigMap for this class: install or upgrade the chart with bench.enabled so its Job measures it"
			case r.Results == nil:
				mc.ConfigMap, mc.Problem = r.ConfigMap, r.Problem
			default:
				mc.ConfigMap = r.ConfigMap
				o := opt
				o.Host, o.HostSource = classHost(c, r)
				m, err := measured.Figures(net, []measured.Bench{{Name: r.ConfigMap, Results: r.Results}}, o)
				if err != nil {
					return nil, err
				}
				mc.Figures = &m
			}
			out.Classes = append(out.Classes, mc)
		}
		for _, r := range rs {
			if !have[r.Class] {
				out.Plan.Notes = append(out.Plan.Notes, fmt.Sprintf("%s measured node class %s (%s), which no node has now: not used", r.ConfigMap, r.Class, r.Key))
			}
		}
	}
	out.combine(net)
	return out, nil
}

// classHost is the host a class's results are judged against: the node's kernel that
// differs from the one measured, if any node's does.
func classHost(c Class, r ClassResults) (*probe.Report, string) {
	kernel := r.Results.Host.Kernel
	for _, k := range c.Kernels {
		if k != kernel {
			return &probe.Report{Host: probe.HostInfo{Hostname: "a node of class " + c.ID, Kernel: k}},
				fmt.Sprintf("status.nodeInfo.kernelVersion of %d of its %d nodes", countKernel(c, k), len(c.Nodes))
		}
	}
	return &probe.Report{Host: probe.HostInfo{Hostname: "class " + c.ID, Kernel: kernel}}, ""
}

func countKernel(c Class, k string) int {
	n := 0
	for _, v := range c.kernelOf {
		if v == k {
			n++
		}
	}
	return n
}

// combine makes the planner's figures: per technology and attribute, the worst of the
// classes that can run the technology.
func (out *FleetMeasurements) combine(net *network.Network) {
	type key [2]string
	values := map[key][]ClassValue{}
	gaps := map[key][]string{}
	var order []key
	for _, mc := range out.Classes {
		name := mc.Name()
		if mc.Figures == nil {
			out.Plan.Notes = append(out.Plan.Notes, fmt.Sprintf("node class %s (%d nodes: %s; %s) not measured: %s", name, len(mc.Nodes), few(mc.Nodes), mc.Key, mc.Problem))
			continue
		}
		m := mc.Figures
		if out.Plan.Attributes == nil {
			out.Plan.Attributes = m.Attributes
		}
		for _, s := range m.Sources {
			out.Plan.Sources = append(out.Plan.Sources, fmt.Sprintf("node class %s (%d nodes: %s): %s", name, len(mc.Nodes), few(mc.Nodes), s))
		}
		for _, n := range m.Notes {
			if !strings.HasPrefix(n, "kernel and runtime versions not compared") {
				out.Plan.Notes = append(out.Plan.Notes, "node class "+name+": "+n)
			}
		}
		for _, fig := range m.Figures {
			if !runs(net, mc.Class, fig.Technology) {
				continue
			}
			k := key{fig.Technology, fig.Attribute}
			if _, ok := values[k]; !ok {
				order = append(order, k)
			}
			values[k] = append(values[k], ClassValue{Class: name, Nodes: len(mc.Nodes), Figure: fig})
		}
		for _, g := range m.Gaps {
			k := key{g.Technology, g.Attribute}
			gaps[k] = append(gaps[k], "node class "+name+": "+g.Why)
		}
	}
	out.Plan.Notes = append(out.Plan.Notes, "runtime versions are not compared across the fleet: nodes report only their kernel and container runtime; kernels are compared with each class's nodes")
	for _, k := range order {
		vs := values[k]
		worst := slices.MaxFunc(vs, func(a, b ClassValue) int { return cmp.Compare(a.Figure.Value, b.Figure.Value) })
		best := slices.MinFunc(vs, func(a, b ClassValue) int { return cmp.Compare(a.Figure.Value, b.Figure.Value) })
		sp := Spread{Technology: k[0], Attribute: k[1], Decided: worst.Class, Classes: vs}
		if worst.Figure.CI != nil && best.Figure.CI != nil && worst.Figure.CI.Lo > best.Figure.CI.Hi {
			sp.Disagree = true
		}
		out.Spreads = append(out.Spreads, sp)
		fig := worst.Figure
		fig.Source = fmt.Sprintf("node class %s, %s", worst.Class, fig.Source)
		if len(vs) > 1 {
			fig.Note = strings.TrimPrefix(fig.Note+fmt.Sprintf("; the slowest of %d node classes that offer it", len(vs)), "; ")
		}
		out.Plan.Figures = append(out.Plan.Figures, fig)
	}
	for k, why := range gaps {
		if _, ok := values[k]; ok {
			continue
		}
		out.Plan.Gaps = append(out.Plan.Gaps, plan.Gap{Technology: k[0], Attribute: k[1], Why: strings.Join(why, "; ")})
	}
	slices.SortFunc(out.Plan.Gaps, func(a, b plan.Gap) int {
		return cmp.Or(cmp.Compare(a.Technology, b.Technology), cmp.Compare(a.Attribute, b.Attribute))
	})
}

// runs says whether a technology's measured figure speaks for a class: a runtime with a
// containerd handler only where the class's labels offer the handler; anything else
// (KVM, the in-process Wasm layer) wherever it was measured.
func runs(net *network.Network, c Class, tech string) bool {
	e, ok := net.Entity(tech)
	if !ok {
		return false
	}
	h, ok := e.Attr("handler")
	if !ok || h.String == "" {
		return true
	}
	return c.Offers(h.String)
}

// few names up to three nodes and how many more there are.
func few(names []string) string {
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, … (%d more)", strings.Join(names[:3], ", "), len(names)-3)
}

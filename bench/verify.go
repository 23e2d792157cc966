package bench

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// Verdicts of a check.
const (
	Agrees        = "agrees"
	Disagrees     = "disagrees"
	NotMeasurable = "not measurable"
)

// Side is one layer of a claim as measured: its fastest driver on the workload.
type Side struct {
	Layer  string  `json:"layer" yaml:"layer"`
	Driver string  `json:"driver,omitempty" yaml:"driver,omitempty"`
	Median float64 `json:"median,omitempty" yaml:"median,omitempty"`
	Unit   string  `json:"unit,omitempty" yaml:"unit,omitempty"`
}

// Check is one claim "lower < higher" of an order, for one workload, against the results.
type Check struct {
	Relation string `json:"relation" yaml:"relation"`
	Claim    string `json:"claim" yaml:"claim"` // "L-3 < L-4"
	Workload string `json:"workload" yaml:"workload"`
	Lower    Side   `json:"lower" yaml:"lower"`
	Higher   Side   `json:"higher" yaml:"higher"`
	Verdict  string `json:"verdict" yaml:"verdict"`
	// Ratio is the higher layer's median over the lower's with its 95% bootstrap
	// interval; above 1 agrees with the claim. Significant: the interval excludes 1.
	Ratio       *Ratio `json:"ratio,omitempty" yaml:"ratio,omitempty"`
	Significant bool   `json:"significant" yaml:"significant"`
	Reason      string `json:"reason,omitempty" yaml:"reason,omitempty"` // why not measurable
	// Claimed is the derivation of the claim in the network, each fact with its source.
	Claimed []network.Fact `json:"claimed,omitempty" yaml:"claimed,omitempty"`
}

// Verify checks every pair the relation orders among the entities the results measure
// (and the network's other layers, which come out "not measurable") against each
// workload of the results. A pair "a < b" of the order says a costs less than b.
func Verify(r *reason.Reasoner, relation string, res *Results) ([]Check, error) {
	rel, err := r.Relation(relation)
	if err != nil {
		return nil, err
	}
	n := r.Network()
	// The layers the network ranks in this order, lowest cost first.
	var ids []string
	rank := r.Rank(rel)
	for i := len(rank) - 1; i >= 0; i-- {
		ids = append(ids, rank[i].Entities...)
	}
	// Entity id of each measured layer ("L-3" may be an alias of the id).
	layerOf := map[string]string{}
	for _, d := range res.Drivers {
		if d.Layer == Native {
			continue
		}
		if e, err := n.Resolve(d.Layer); err == nil {
			layerOf[d.Name] = e.ID
		}
	}
	var out []Check
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			ea, _ := n.Entity(a)
			eb, _ := n.Entity(b)
			lo, hi := ea, eb
			d, err := r.Why(rel, lo, "<", hi)
			if err != nil {
				return nil, err
			}
			if !d.Holds {
				lo, hi = eb, ea
				if d, err = r.Why(rel, lo, "<", hi); err != nil {
					return nil, err
				}
				if !d.Holds {
					continue // equal or incomparable: no order to check
				}
			}
			for _, w := range res.Workloads {
				c := Check{Relation: rel.Type.ID, Claim: lo.ID + " < " + hi.ID, Workload: w.Name, Claimed: d.Facts}
				var ls, hs []float64
				c.Lower, ls = best(res, layerOf, lo.ID, w.Name)
				c.Higher, hs = best(res, layerOf, hi.ID, w.Name)
				switch {
				case ls == nil && hs == nil:
					c.Verdict, c.Reason = NotMeasurable, fmt.Sprintf("no driver here measures %s or %s", lo.ID, hi.ID)
				case ls == nil:
					c.Verdict, c.Reason = NotMeasurable, fmt.Sprintf("no driver here measures %s", lo.ID)
				case hs == nil:
					c.Verdict, c.Reason = NotMeasurable, fmt.Sprintf("no driver here measures %s", hi.ID)
				default:
					ratio := RatioCI(hs, ls, 0.95, 2000, 1)
					c.Ratio, c.Significant = &ratio, ratio.Significant()
					c.Verdict = Disagrees
					if c.Higher.Median > c.Lower.Median {
						c.Verdict = Agrees
					}
				}
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// best is the layer's fastest measured driver on the workload, with its samples.
func best(res *Results, layerOf map[string]string, layer, workload string) (Side, []float64) {
	s := Side{Layer: layer}
	var samples []float64
	for _, d := range res.Drivers {
		if layerOf[d.Name] != layer || !d.Available || d.Floor {
			continue
		}
		w, ok := d.Result(workload)
		if !ok || !w.Measured() {
			continue
		}
		if samples == nil || w.Summary.Median < s.Median {
			s.Driver, s.Median, s.Unit, samples = d.Name, w.Summary.Median, w.Unit, w.Samples
		}
	}
	return s, samples
}

// MeasuredFacts turns the significant, measurable checks of one workload into facts of
// kind measured — "higher cost > lower cost" as measured, whichever way the claim went —
// each with a note naming the numbers, the host and the time.
func MeasuredFacts(checks []Check, res *Results, workload string) []network.Fact {
	var out []network.Fact
	seen := map[[2]string]bool{}
	for _, c := range checks {
		if c.Workload != workload || c.Verdict == NotMeasurable || !c.Significant {
			continue
		}
		hi, lo := c.Higher, c.Lower
		if c.Verdict == Disagrees {
			hi, lo = lo, hi
		}
		key := [2]string{hi.Layer, lo.Layer}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, network.Fact{
			Subject: hi.Layer, Relation: c.Relation, Object: lo.Layer, Kind: network.Measured,
			Note: fmt.Sprintf("%s: %s %s %s vs %s %s %s (%.3g×, 95%% CI %.3g–%.3g); measured by strata bench on %s (%s, %s) at %s",
				workload, hi.Layer, hi.Driver, num(hi.Median, hi.Unit), lo.Layer, lo.Driver, num(lo.Median, lo.Unit),
				hiOverLo(c), ciLo(c), ciHi(c), res.Host.Hostname, res.Host.Kernel, res.Host.CPU, res.Started.Format(time.RFC3339)),
		})
	}
	return out
}

func hiOverLo(c Check) float64 {
	if c.Verdict == Disagrees {
		return 1 / c.Ratio.Value
	}
	return c.Ratio.Value
}
func ciLo(c Check) float64 {
	if c.Verdict == Disagrees {
		return 1 / c.Ratio.Hi
	}
	return c.Ratio.Lo
}
func ciHi(c Check) float64 {
	if c.Verdict == Disagrees {
		return 1 / c.Ratio.Lo
	}
	return c.Ratio.Hi
}

// num renders a measurement with its unit and three significant digits.
func num(v float64, unit string) string {
	switch {
	case v == 0:
		return "0 " + unit
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}

// Num renders a measurement for people: three significant digits and the unit.
func Num(v float64, unit string) string { return num(v, unit) }

// Tally counts the verdicts of checks.
func Tally(checks []Check) map[string]int {
	m := map[string]int{}
	for _, c := range checks {
		m[c.Verdict]++
	}
	return m
}

// Layers lists the layers results measured, in the order of the drivers.
func (r *Results) Layers() []string {
	var out []string
	for _, d := range r.Drivers {
		if d.Available && !slices.Contains(out, d.Layer) {
			out = append(out, d.Layer)
		}
	}
	return out
}

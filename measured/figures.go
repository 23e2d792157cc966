package measured

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/probe"
)

// Bench is one results file: its name as the user gave it, and what it holds.
type Bench struct {
	Name    string
	Results *bench.Results
}

// Options tune [Figures].
type Options struct {
	// Now is the time results are aged against (zero: time.Now).
	Now time.Time
	// MaxAge is how old results may be (0: any age).
	MaxAge time.Duration
	// AllowStale uses stale results (marked stale) instead of leaving them out.
	AllowStale bool
	// Host is the host as it is now, to compare the results' kernel and runtime versions
	// with; nil: not compared, and the plan says so.
	Host *probe.Report
	// HostSource names where Host comes from, e.g. probe.json or "the local probe".
	HostSource string
}

// Figures reads bench results against the network's measurement data (see the package
// documentation) and returns the figures they measured, why each figure the network would
// measure was not, and notes on stale results and drivers that measure no technology of
// the network. Results are tried newest first; a technology's drivers in the order it
// lists them.
func Figures(n *network.Network, benches []Bench, opt Options) (plan.Measurements, error) {
	d, err := readData(n)
	if err != nil {
		return plan.Measurements{}, err
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	m := plan.Measurements{Sources: []string{}, Attributes: slices.Clone(d.attrs)}
	order := slices.Clone(benches)
	slices.SortStableFunc(order, func(a, b Bench) int { return b.Results.Started.Compare(a.Results.Started) })
	for _, b := range benches {
		r := b.Results
		m.Sources = append(m.Sources, fmt.Sprintf("%s (strata bench on %s, kernel %s, %s, %d runs per workload)", b.Name, r.Host.Hostname, r.Host.Kernel, r.Started.UTC().Format(time.RFC3339), r.Runs))
		for _, dr := range r.Drivers {
			if _, ok := d.byDriver[dr.Name]; !ok && dr.Layer != bench.Native {
				m.Notes = append(m.Notes, fmt.Sprintf("%s: driver %s measures no technology of the network (no technology lists it in bench-drivers)", b.Name, dr.Name))
			}
		}
	}
	if opt.Host == nil {
		m.Notes = append(m.Notes, "kernel and runtime versions not compared with the host's: no probe of it")
	} else if opt.HostSource != "" {
		m.Sources = append(m.Sources, fmt.Sprintf("%s (strata probe on %s, kernel %s, %s)", opt.HostSource, opt.Host.Host.Hostname, opt.Host.Host.Kernel, opt.Host.Host.Time.UTC().Format(time.RFC3339)))
	}
	staleNoted := map[[2]string]bool{}
	known := knownDrivers()
	for _, t := range d.techs {
		for _, attr := range t.covers {
			def := d.defs[attr]
			var why []string
			var fig *plan.Figure
		drivers:
			for _, drv := range t.drivers {
				found := false
				for _, b := range order {
					dr := driver(b.Results, drv)
					if dr == nil {
						continue
					}
					found = true
					f, reason := figure(def, t, b, dr)
					if reason != "" {
						why = append(why, reason)
						continue
					}
					if s := staleness(t, b, dr, opt); s != "" {
						key := [2]string{b.Name, drv}
						if !staleNoted[key] {
							staleNoted[key] = true
							verdict := "not used (--allow-stale uses it)"
							if opt.AllowStale {
								verdict = "used, as --allow-stale asks"
							}
							m.Notes = append(m.Notes, fmt.Sprintf("%s: %s is stale: %s; %s", b.Name, drv, s, verdict))
						}
						if !opt.AllowStale {
							why = append(why, fmt.Sprintf("%s in %s is stale: %s", drv, b.Name, s))
							continue
						}
						f.Stale = s
					}
					fig = &f
					break drivers
				}
				if !found {
					if known[drv] {
						why = append(why, fmt.Sprintf("no %s result in %s", drv, names(benches)))
					} else {
						why = append(why, fmt.Sprintf("strata bench has no %s driver", drv))
					}
				}
			}
			if fig != nil {
				m.Figures = append(m.Figures, *fig)
			} else {
				m.Gaps = append(m.Gaps, plan.Gap{Technology: t.e.ID, Attribute: attr, Why: strings.Join(why, "; ")})
			}
		}
	}
	// Technologies that have a measurable attribute but no driver to measure it.
	for _, e := range n.Entities {
		if _, ok := e.Attr("bench-drivers"); ok {
			continue
		}
		for _, attr := range d.attrs {
			if _, ok := e.Attr(attr); ok {
				m.Gaps = append(m.Gaps, plan.Gap{Technology: e.ID, Attribute: attr,
					Why: fmt.Sprintf("the network names no strata bench driver for %s (bench-drivers)", e.ID)})
			}
		}
	}
	return m, nil
}

func names(bs []Bench) string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Name
	}
	return strings.Join(out, ", ")
}

// knownDrivers are the drivers this strata's bench has.
func knownDrivers() map[string]bool {
	out := map[string]bool{}
	for _, d := range bench.Drivers() {
		out[d.Name()] = true
	}
	return out
}

func driver(r *bench.Results, name string) *bench.DriverResult {
	for i := range r.Drivers {
		if r.Drivers[i].Name == name {
			return &r.Drivers[i]
		}
	}
	return nil
}

// figure makes the measured figure of one driver's result, or says why the result is not
// a comparable measurement of the attribute.
func figure(def *definition, t *technology, b Bench, dr *bench.DriverResult) (plan.Figure, string) {
	if !dr.Available {
		return plan.Figure{}, fmt.Sprintf("%s was not available on %s: %s", dr.Name, b.Results.Host.Hostname, dr.Reason)
	}
	w, ok := dr.Result(def.workload)
	switch {
	case !ok:
		return plan.Figure{}, fmt.Sprintf("%s in %s has no %s result", dr.Name, b.Name, def.workload)
	case !w.Measured():
		return plan.Figure{}, fmt.Sprintf("%s did not measure %s: %s", dr.Name, def.workload, w.Error)
	case clockName(w.Clock) != def.clock:
		return plan.Figure{}, fmt.Sprintf("%s's %s was timed by the %s clock; %s needs the %s clock (%s): not comparable", dr.Name, def.workload, clockName(w.Clock), def.attr, def.clock, attrPos(def.e, "bench-clock"))
	case w.Unit != def.benchUnit:
		return plan.Figure{}, fmt.Sprintf("%s's %s is in %s; %s needs %s (%s): not comparable", dr.Name, def.workload, w.Unit, def.attr, def.benchUnit, attrPos(def.e, "bench-unit"))
	case len(w.Samples) < def.minSamples:
		return plan.Figure{}, fmt.Sprintf("%s measured %s %d times, fewer than bench-min-samples %d (%s)", dr.Name, def.workload, len(w.Samples), def.minSamples, attrPos(def.e, "bench-min-samples"))
	}
	s := slices.Sorted(slices.Values(w.Samples))
	lo, hi, cover := MedianCI(s, 0.95)
	conv := func(v float64) float64 { return convert(v, def.benchUnit, def.unit) }
	note := t.notes[dr.Name]
	if dr.Accel != "" {
		note = strings.TrimPrefix(note+"; accelerator "+dr.Accel, "; ")
	}
	return plan.Figure{
		Technology: t.e.ID, Attribute: def.attr, Value: conv(Median(s)), Kind: network.Measured,
		Source: b.Name, Driver: dr.Name, Note: note, Statistic: def.statistic, N: len(s),
		CI:   &plan.Interval{Lo: conv(lo), Hi: conv(hi), Level: cover},
		Host: b.Results.Host.Hostname, Time: b.Results.Started.UTC(),
	}, ""
}

func clockName(c string) string {
	if c == bench.ClockHost {
		return "host"
	}
	return c
}

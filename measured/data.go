package measured

import (
	"fmt"
	"slices"
	"strings"

	"github.com/strata-dev/strata/network"
)

// definition is a concept with measures: ATTRIBUTE: what a comparable bench result of
// that attribute is.
type definition struct {
	e          *network.Entity
	attr       string // the technology attribute, e.g. startup-ms
	unit       string // its unit
	workload   string // the bench workload
	clock      string // the clock that timed it: host, workload, guest
	statistic  string // median
	benchUnit  string // the unit the workload reports
	minSamples int
}

// technology is what the network says about measuring one entity.
type technology struct {
	e          *network.Entity
	drivers    []string
	notes      map[string]string
	covers     []string
	probeCheck string
}

// data is the network's measurement data, checked.
type data struct {
	defs     map[string]*definition // by attribute
	attrs    []string               // the measurable attributes, in network order
	techs    []*technology
	byDriver map[string]*technology
}

// units the conversions know; each maps to its dimension and its size in that
// dimension's base unit.
var units = map[string]struct {
	dim  string
	size float64
}{
	"ms":  {"time", 1},
	"s":   {"time", 1000},
	"KiB": {"memory", 1},
	"MiB": {"memory", 1024},
}

var clocks = []string{"host", "workload", "guest"}

// readData reads and checks the measurement data of a network; every problem is
// reported at once, at the attribute's file:line.
func readData(n *network.Network) (*data, error) {
	d := &data{defs: map[string]*definition{}, byDriver: map[string]*technology{}}
	var ps network.Problems
	bad := func(a network.Attribute, e *network.Entity, hint, format string, args ...any) {
		pos := a.Source
		if pos.File == "" {
			pos = e.Source
		}
		ps = append(ps, network.Problem{Pos: pos, Code: network.CodeSchema, Message: fmt.Sprintf("%s: ", e.ID) + fmt.Sprintf(format, args...), Hint: hint})
	}
	str := func(e *network.Entity, name string, allowed ...string) string {
		a, ok := e.Attr(name)
		if !ok {
			bad(network.Attribute{}, e, "see network/default/85-measured.yaml", "a measurement needs %s", name)
			return ""
		}
		if a.Type != network.TypeString || a.String == "" {
			bad(a, e, "write a word", "%s is not a string", name)
			return ""
		}
		if len(allowed) > 0 && !slices.Contains(allowed, a.String) {
			bad(a, e, "use one of "+strings.Join(allowed, ", "), "%s %q is not one of them", name, a.String)
			return ""
		}
		return a.String
	}
	unitNames := []string{"ms", "s", "KiB", "MiB"}
	for _, e := range n.Entities {
		if _, ok := e.Attr("measures"); !ok {
			continue
		}
		def := &definition{e: e, attr: str(e, "measures"), unit: str(e, "unit", unitNames...),
			workload: str(e, "bench-workload"), clock: str(e, "bench-clock", clocks...),
			statistic: str(e, "bench-statistic", "median"), benchUnit: str(e, "bench-unit", unitNames...), minSamples: 1}
		if a, ok := e.Attr("bench-min-samples"); ok {
			if a.Type != network.TypeInt || a.Int < 1 {
				bad(a, e, "write a whole number of at least 1", "bench-min-samples is not a positive integer")
			} else {
				def.minSamples = int(a.Int)
			}
		}
		if def.unit != "" && def.benchUnit != "" && units[def.unit].dim != units[def.benchUnit].dim {
			a, _ := e.Attr("bench-unit")
			bad(a, e, "measure a time attribute by a time and a memory attribute by a size", "bench-unit %s cannot be converted to %s", def.benchUnit, def.unit)
		}
		if prev, ok := d.defs[def.attr]; ok && def.attr != "" {
			a, _ := e.Attr("measures")
			bad(a, e, "keep one measurement per attribute", "%s is already measured by %s (%s)", def.attr, prev.e.ID, prev.e.Source.Short())
			continue
		}
		if def.attr != "" {
			d.defs[def.attr] = def
			d.attrs = append(d.attrs, def.attr)
		}
	}
	for _, e := range n.Entities {
		da, ok := e.Attr("bench-drivers")
		if !ok {
			for _, name := range []string{"bench-notes", "bench-covers"} {
				if a, ok := e.Attr(name); ok {
					bad(a, e, "add bench-drivers: the drivers that measure it", "%s without bench-drivers", name)
				}
			}
			continue
		}
		t := &technology{e: e, notes: map[string]string{}}
		if da.Type != network.TypeList || len(da.List) == 0 {
			bad(da, e, "write a list of strata bench driver names", "bench-drivers is not a list of names")
			continue
		}
		t.drivers = da.List
		for _, drv := range t.drivers {
			if other, ok := d.byDriver[drv]; ok {
				bad(da, e, "a driver measures one technology", "driver %s is already listed by %s (%s)", drv, other.e.ID, attrPos(other.e, "bench-drivers"))
				continue
			}
			d.byDriver[drv] = t
		}
		if a, ok := e.Attr("bench-notes"); ok {
			for _, s := range a.List {
				k, v, ok := strings.Cut(s, "=")
				if !ok || k == "" || v == "" {
					bad(a, e, "write DRIVER=NOTE", "bench-notes entry %q is not DRIVER=NOTE", s)
					continue
				}
				if !slices.Contains(t.drivers, k) {
					bad(a, e, "note a driver listed in bench-drivers", "bench-notes names %s, which bench-drivers does not list", k)
				}
				t.notes[k] = v
			}
		}
		if a, ok := e.Attr("bench-covers"); ok {
			for _, attr := range a.List {
				if _, ok := d.defs[attr]; !ok {
					bad(a, e, "add a concept with measures: "+attr+", or cover one of: "+strings.Join(d.attrs, ", "), "bench-covers names %s, which no measurement defines", attr)
					continue
				}
				t.covers = append(t.covers, attr)
			}
		}
		if a, ok := e.Attr("probe-check"); ok {
			t.probeCheck = a.String
		}
		d.techs = append(d.techs, t)
	}
	if len(ps) > 0 {
		ps.Sort()
		return nil, ps
	}
	return d, nil
}

func attrPos(e *network.Entity, name string) string {
	a, _ := e.Attr(name)
	return a.Source.Short()
}

// convert turns v in unit from into unit to (both checked by readData).
func convert(v float64, from, to string) float64 {
	return v * units[from].size / units[to].size
}

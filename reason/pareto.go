package reason

import (
	"fmt"
	"strings"

	"github.com/strata-dev/strata/network"
)

// Criterion is one order to optimise: its relation and whether greater is better (max)
// or worse (min). A relation named by its inverse name is read inverted, so
// isolation-weaker:max means isolation-strength:min.
type Criterion struct {
	Relation *Relation
	Max      bool
}

// ParseCriteria reads "isolation-strength:max overhead:min".
func (r *Reasoner) ParseCriteria(args []string) ([]Criterion, error) {
	var out []Criterion
	for _, a := range args {
		name, dir, ok := strings.Cut(a, ":")
		if !ok {
			return nil, fmt.Errorf("criterion %q needs a direction: write %s:max or %s:min", a, a, a)
		}
		rel, err := r.Relation(name)
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(dir) {
		case "max", "maximize", "maximise", "high":
			out = append(out, Criterion{Relation: rel, Max: true})
		case "min", "minimize", "minimise", "low":
			out = append(out, Criterion{Relation: rel})
		default:
			return nil, fmt.Errorf("criterion %q: direction must be max or min, not %q", a, dir)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("give at least one criterion, e.g. isolation-strength:max overhead:min")
	}
	return out, nil
}

// Dominated says why a value is off the front: Other beats it on every criterion (equal
// or better) and strictly on Better.
type Dominated struct {
	Entity string   `json:"entity" yaml:"entity"`
	By     string   `json:"by" yaml:"by"`
	Better []string `json:"better" yaml:"better"` // relations on which By is strictly better
	Equal  []string `json:"equal,omitempty" yaml:"equal,omitempty"`
}

// Front is the answer of a Pareto query.
type Front struct {
	Criteria  []string    `json:"criteria" yaml:"criteria"`
	Front     []string    `json:"front" yaml:"front"`
	Dominated []Dominated `json:"dominated" yaml:"dominated"`
}

// Pareto returns the values that no other value beats on every criterion. Candidates are
// the entities that take part in every criterion's relation, unless among is given (each
// entity once, however often it is named). Incomparable values do not beat each other.
func (r *Reasoner) Pareto(crit []Criterion, among []*network.Entity) Front {
	var cands []int32
	if len(among) > 0 {
		seen := make(map[int32]bool, len(among))
		for _, e := range among {
			if v := r.id(e); !seen[v] {
				seen[v] = true
				cands = append(cands, v)
			}
		}
	} else {
		for v := range r.ids {
			in := true
			for _, c := range crit {
				in = in && c.Relation.domain[v]
			}
			if in {
				cands = append(cands, int32(v))
			}
		}
	}
	// Empty, not nil, so that JSON writes [] as YAML does.
	f := Front{Front: []string{}, Dominated: []Dominated{}}
	for _, c := range crit {
		dir := ":min"
		if c.Max {
			dir = ":max"
		}
		f.Criteria = append(f.Criteria, c.Relation.Name()+dir)
	}
	for _, x := range cands {
		var dom *Dominated
		for _, y := range cands {
			if x == y {
				continue
			}
			if d, ok := dominates(crit, y, x); ok {
				d.Entity, d.By = r.ids[x], r.ids[y]
				dom = &d
				break
			}
		}
		if dom == nil {
			f.Front = append(f.Front, r.ids[x])
		} else {
			f.Dominated = append(f.Dominated, *dom)
		}
	}
	return f
}

// dominates reports whether y is at least as good as x on every criterion and strictly
// better on one.
func dominates(crit []Criterion, y, x int32) (Dominated, bool) {
	var d Dominated
	for _, c := range crit {
		o := c.Relation.Order
		better := o.Greater(y, x)
		worse := o.Greater(x, y)
		if c.Relation.inverse != !c.Max {
			better, worse = worse, better
		}
		switch {
		case better && worse:
			return d, false // contradictory: each is derivably greater, as Compare says
		case better:
			d.Better = append(d.Better, c.Relation.Name())
		case worse:
			return d, false
		case o.Equal(x, y) || x == y:
			d.Equal = append(d.Equal, c.Relation.Name())
		default:
			return d, false // incomparable
		}
	}
	return d, len(d.Better) > 0
}

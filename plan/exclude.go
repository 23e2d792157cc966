package plan

// Exclusion rejects technologies for a reason that lies outside the workload, such as
// what the nodes of a cluster offer.
type Exclusion struct {
	// Name is what a rejection is attributed to in [Unsatisfiable.Conflicts], e.g. "fleet".
	Name string
	// Why returns why the technology (an entity id) cannot fill the role, or "".
	Why func(role, technology string) string
}

// Excluding returns a planner that rejects, beside what each workload's requirements
// reject, every technology an exclusion gives a reason for; the reason appears with the
// excluded alternative. p itself is not changed.
func (p *Planner) Excluding(e ...Exclusion) *Planner {
	q := *p
	q.exclusions = append(append([]Exclusion(nil), p.exclusions...), e...)
	return &q
}

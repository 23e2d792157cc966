package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/strata-dev/strata/network"
)

// Figure is one numeric attribute of a technology as the planner read it: declared in the
// network, or measured on a host.
type Figure struct {
	Technology string  `json:"technology" yaml:"technology"`
	Attribute  string  `json:"attribute" yaml:"attribute"`
	Value      float64 `json:"value" yaml:"value"`
	Kind       string  `json:"kind" yaml:"kind"` // network.Declared or network.Measured
	// Source is where the figure comes from: a declared one's file:line, a measured one's
	// results file.
	Source string `json:"source" yaml:"source"`
	// Driver, Note, Statistic, N and CI describe a measured figure: the bench driver that
	// measured it, what to know about that driver (gVisor's platform), the statistic of its
	// N samples, and that statistic's confidence interval.
	Driver    string    `json:"driver,omitempty" yaml:"driver,omitempty"`
	Note      string    `json:"note,omitempty" yaml:"note,omitempty"`
	Statistic string    `json:"statistic,omitempty" yaml:"statistic,omitempty"`
	N         int       `json:"n,omitempty" yaml:"n,omitempty"`
	CI        *Interval `json:"ci,omitempty" yaml:"ci,omitempty"`
	Host      string    `json:"host,omitempty" yaml:"host,omitempty"`
	Time      time.Time `json:"time,omitzero" yaml:"time,omitempty"`
	// Stale says why a measured figure is out of date (used only with --allow-stale).
	Stale string `json:"stale,omitempty" yaml:"stale,omitempty"`
	// NotMeasured says, for a declared figure planned with measurements, why no
	// measurement stands for it.
	NotMeasured string `json:"notMeasured,omitempty" yaml:"notMeasured,omitempty"`
}

// Interval is a confidence interval at Level (0.95 or more: its coverage; below 0.95 when
// too few samples allow no 95% interval, the widest one there is).
type Interval struct {
	Lo    float64 `json:"lo" yaml:"lo"`
	Hi    float64 `json:"hi" yaml:"hi"`
	Level float64 `json:"level" yaml:"level"`
}

// String is the figure with where it comes from:
//
//	startup-ms 20.1 measured (bench.json, runc, median of 30, 95% CI 19.6–20.8)
//	startup-ms 120 declared (default/80-planning.yaml:41)
func (f Figure) String() string {
	v := fmtNum(f.Value)
	if f.Kind == network.Measured {
		v = fmtFig(f.Value)
	}
	s := fmt.Sprintf("%s %s %s (%s)", f.Attribute, v, f.Kind, f.provenance())
	if f.NotMeasured != "" {
		s += "; not measured here: " + f.NotMeasured
	}
	return s
}

func (f Figure) provenance() string {
	if f.Kind != network.Measured {
		return f.Source
	}
	parts := []string{f.Source, f.Driver}
	if f.Note != "" {
		parts[1] += ": " + f.Note
	}
	if f.Statistic != "" {
		parts = append(parts, fmt.Sprintf("%s of %d", f.Statistic, f.N))
	}
	if f.CI != nil {
		parts = append(parts, f.CI.String())
	}
	if f.Stale != "" {
		parts = append(parts, "stale: "+f.Stale)
	}
	return strings.Join(parts, ", ")
}

func (i Interval) String() string {
	if i.Level >= 0.95 {
		return fmt.Sprintf("95%% CI %s–%s", fmtFig(i.Lo), fmtFig(i.Hi))
	}
	return fmt.Sprintf("range %s–%s (a %.3g%% CI: too few runs for 95%%)", fmtFig(i.Lo), fmtFig(i.Hi), 100*i.Level)
}

// fmtFig rounds a measured figure to three significant digits for people.
func fmtFig(v float64) string {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return fmtNum(r)
}

// Gap says why no measurement stands for a technology's attribute.
type Gap struct {
	Technology string `json:"technology" yaml:"technology"`
	Attribute  string `json:"attribute" yaml:"attribute"`
	Why        string `json:"why" yaml:"why"`
}

// Measurements are figures measured on a host that take the place of the declared ones
// (package measured makes them from strata bench results and the network's data).
type Measurements struct {
	// Sources name the results the figures come from, for the plan.
	Sources []string
	// Attributes are the attributes a measurement can stand for (startup-ms); the plan
	// lists every figure of these it read.
	Attributes []string
	// Figures are the measured figures to use, at most one per technology and attribute.
	Figures []Figure
	// Gaps say why a technology's attribute has no measured figure.
	Gaps []Gap
	// Notes are remarks on the inputs every plan repeats (stale results, drivers that
	// measure no technology of the network).
	Notes []string
}

// measurements is Measurements indexed for the planner.
type measurements struct {
	Measurements
	figures map[[2]string]*Figure
	gaps    map[[2]string]string
}

// Measuring returns a planner that reads the measured figures in place of the declared
// ones of the same technology and attribute, and whose plans say which figures they read
// and which decisions the measurements changed (Plan.Measured). p itself is not changed.
func (p *Planner) Measuring(m Measurements) *Planner {
	q := *p
	mm := &measurements{Measurements: m, figures: map[[2]string]*Figure{}, gaps: map[[2]string]string{}}
	for i := range m.Figures {
		f := &mm.Figures[i]
		mm.figures[[2]string{f.Technology, f.Attribute}] = f
		if !slices.Contains(mm.Attributes, f.Attribute) {
			mm.Attributes = append(mm.Attributes, f.Attribute)
		}
	}
	for _, g := range m.Gaps {
		mm.gaps[[2]string{g.Technology, g.Attribute}] = g.Why
	}
	q.meas = mm
	return &q
}

// Measured is what a plan made with measurements says about them.
type Measured struct {
	Sources []string `json:"sources" yaml:"sources"`
	// Figures are the figures of measurable attributes the decision read, declared or
	// measured, in the order it read them.
	Figures []Figure `json:"figures" yaml:"figures"`
	// Flips are the choices the measurements changed.
	Flips []Flip `json:"flips,omitempty" yaml:"flips,omitempty"`
	// DeclaredCoordinates are the coordinates of the plan from declared figures alone,
	// when they differ.
	DeclaredCoordinates *Coordinates `json:"declaredCoordinates,omitempty" yaml:"declaredCoordinates,omitempty"`
	Notes               []string     `json:"notes,omitempty" yaml:"notes,omitempty"`
}

// Flip is a choice that measured figures changed: what the declared figures alone would
// have chosen for the role, what was chosen, and why ("" for none: unsatisfiable).
type Flip struct {
	Role     string `json:"role" yaml:"role"`
	Declared string `json:"declared" yaml:"declared"`
	Measured string `json:"measured" yaml:"measured"`
	Because  string `json:"because" yaml:"because"`
}

// recorder collects the figures one plan read.
type recorder struct {
	seen  map[[2]string]bool
	order [][2]string
}

// num reads a numeric attribute of a technology: the measured figure where there is one,
// the declared one otherwise.
func (p *Planner) num(e *network.Entity, attr string) (float64, bool) {
	if p.meas != nil {
		key := [2]string{e.ID, attr}
		f, measured := p.meas.figures[key]
		v, ok := number(e, attr)
		if measured {
			v, ok = f.Value, true
		}
		if ok && p.rec != nil && slices.Contains(p.meas.Attributes, attr) && !p.rec.seen[key] {
			p.rec.seen[key] = true
			p.rec.order = append(p.rec.order, key)
		}
		return v, ok
	}
	return number(e, attr)
}

// numText is a figure as the reasons write it: with its kind when the plan has
// measurements and the attribute is measurable ("120 (declared)", "20.1 (measured)").
func (p *Planner) numText(e *network.Entity, attr string, v float64) string {
	if p.meas == nil || !slices.Contains(p.meas.Attributes, attr) {
		return fmtNum(v)
	}
	if f, ok := p.meas.figures[[2]string{e.ID, attr}]; ok {
		return fmtFig(f.Value) + " (measured)"
	}
	return fmtNum(v) + " (declared)"
}

// within says, for a measured figure compared with a bound, that the bound lies inside
// the figure's confidence interval: the measurement cannot tell which side it is on.
func (p *Planner) within(e *network.Entity, attr string, bound float64) string {
	if p.meas == nil {
		return ""
	}
	f, ok := p.meas.figures[[2]string{e.ID, attr}]
	if !ok || f.CI == nil || bound < f.CI.Lo || bound > f.CI.Hi {
		return ""
	}
	return fmt.Sprintf("; %s lies within its %s", fmtNum(bound), f.CI)
}

// figures lists the figures a plan read, each with its source.
func (p *Planner) figures(rec *recorder) []Figure {
	out := []Figure{}
	for _, key := range rec.order {
		if f, ok := p.meas.figures[key]; ok {
			out = append(out, *f)
			continue
		}
		e, _ := p.net.Entity(key[0])
		a, _ := e.Attr(key[1])
		v, _ := attrNumber(a)
		f := Figure{Technology: key[0], Attribute: key[1], Value: v, Kind: network.Declared, Source: a.Source.Short()}
		f.NotMeasured = p.meas.gaps[key]
		if f.NotMeasured == "" {
			f.NotMeasured = p.meas.gaps[[2]string{key[0], ""}]
		}
		if f.NotMeasured == "" {
			f.NotMeasured = "no measurement of " + key[0] + " in the results"
		}
		out = append(out, f)
	}
	return out
}

// planMeasured plans with the measured figures and again with the declared ones alone,
// and says which figures the plan read and which choices the measurements changed.
func (p *Planner) planMeasured(w Workload) (*Plan, error) {
	q := *p
	q.rec = &recorder{seen: map[[2]string]bool{}}
	pl, err := q.plan(w)
	// The same plan from declared figures alone; its reasons still mark figures declared.
	base := *p
	base.meas = &measurements{Measurements: Measurements{Attributes: p.meas.Attributes}}
	declared, derr := base.plan(w)
	flips := p.flips(declared, derr, pl, err)
	if err != nil {
		if u, ok := err.(*Unsatisfiable); ok {
			u.Flips, u.Notes = flips, slices.Clone(p.meas.Notes)
		}
		return nil, err
	}
	pl.Measured = &Measured{Sources: slices.Clone(p.meas.Sources), Figures: p.figures(q.rec), Flips: flips, Notes: slices.Clone(p.meas.Notes)}
	if pl.Measured.Sources == nil {
		pl.Measured.Sources = []string{}
	}
	if declared != nil && declared.Coordinates != pl.Coordinates {
		c := declared.Coordinates
		pl.Measured.DeclaredCoordinates = &c
	}
	return pl, nil
}

// chosenRoles are the roles the planner chooses among candidates, in plan order.
var chosenRoles = []string{RoleOrchestrator, RoleRuntime, RolePolicy}

// flips compares the plan from declared figures with the one from measured figures, role
// by role, and explains each difference from the two plans' own reasons.
func (p *Planner) flips(declared *Plan, derr error, measured *Plan, merr error) []Flip {
	var du, mu *Unsatisfiable
	if u, ok := derr.(*Unsatisfiable); ok {
		du = u
	}
	if u, ok := merr.(*Unsatisfiable); ok {
		mu = u
	}
	if (declared == nil && du == nil) || (measured == nil && mu == nil) {
		return nil
	}
	var out []Flip
	for _, role := range chosenRoles {
		d, m := chosen(declared, role), chosen(measured, role)
		if d == m || (d == "" && du != nil && du.Role != role) || (m == "" && mu != nil && mu.Role != role) {
			continue // the same, or a role neither plan got to
		}
		out = append(out, Flip{Role: role, Declared: d, Measured: m, Because: p.flipReason(role, d, m, declared, du, measured, mu)})
	}
	return out
}

// chosen is the technology a plan chose for a role, "" when it has none.
func chosen(pl *Plan, role string) string {
	if pl == nil {
		return ""
	}
	return pl.Technology(role)
}

func (p *Planner) flipReason(role, d, m string, declared *Plan, du *Unsatisfiable, measured *Plan, mu *Unsatisfiable) string {
	var b strings.Builder
	if d != "" {
		fmt.Fprintf(&b, "declared figures would have chosen %s", d)
		if m != "" {
			if why := lostBecause(declared, du, role, m); why != "" {
				fmt.Fprintf(&b, ", where %s lost: %s", m, why)
			}
		}
	} else {
		fmt.Fprintf(&b, "declared figures leave no %s", role)
		if why := lostBecause(declared, du, role, m); why != "" {
			fmt.Fprintf(&b, ", %s among them: %s", m, why)
		}
	}
	b.WriteString("; measured, ")
	if m == "" {
		fmt.Fprintf(&b, "no %s meets the requirements: %s", role, rejections(mu))
		return b.String()
	}
	fmt.Fprintf(&b, "%s is chosen", m)
	if ch := choiceOf(measured, role); ch != nil && len(ch.Reasons) > 0 {
		// The reasons that rest on a measured figure, or all of them when none does.
		var rs []string
		for _, r := range ch.Reasons {
			if strings.Contains(r, "(measured)") {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			rs = ch.Reasons
		}
		fmt.Fprintf(&b, ": %s", strings.Join(rs, "; "))
	}
	if d != "" {
		if why := lostBecause(measured, mu, role, d); why != "" {
			fmt.Fprintf(&b, " and %s loses: %s", d, why)
		}
	}
	return b.String()
}

func choiceOf(pl *Plan, role string) *Choice {
	if pl == nil {
		return nil
	}
	for i := range pl.Stack {
		if pl.Stack[i].Role == role {
			return &pl.Stack[i]
		}
	}
	return nil
}

// lostBecause is why a technology was not chosen for the role in a plan.
func lostBecause(pl *Plan, u *Unsatisfiable, role, tech string) string {
	if ch := choiceOf(pl, role); ch != nil {
		for _, a := range ch.Alternatives {
			if a.Technology == tech {
				if a.Excluded {
					return "excluded: " + a.Reason
				}
				return a.Reason
			}
		}
	}
	if u != nil && u.Role == role {
		for _, r := range u.Rejected {
			if r.Technology == tech {
				return "excluded: " + r.Reason
			}
		}
	}
	return ""
}

func rejections(u *Unsatisfiable) string {
	if u == nil {
		return ""
	}
	parts := make([]string, len(u.Rejected))
	for i, r := range u.Rejected {
		parts[i] = r.Technology + ": " + r.Reason
	}
	return strings.Join(parts, "; ")
}

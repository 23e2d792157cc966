package plan

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// Roles of the technologies in a stack.
const (
	RoleOrchestrator  = "orchestrator"
	RoleCRI           = "container-runtime"
	RoleRuntime       = "isolation-runtime"
	RolePolicy        = "policy-engine"
	RoleObservability = "observability"
	RoleAccelerator   = "accelerator"
)

// Coordinates is a point in the seed's X/Y/Z space.
type Coordinates struct {
	X int `json:"x" yaml:"x"`
	Y int `json:"y" yaml:"y"`
	Z int `json:"z" yaml:"z"`
}

func (c Coordinates) String() string { return fmt.Sprintf("(%d, %d, %d)", c.X, c.Y, c.Z) }

// Plan is the planner's answer for one workload.
type Plan struct {
	Workload     string      `json:"workload" yaml:"workload"`
	Coordinates  Coordinates `json:"coordinates" yaml:"coordinates"`
	Layer        string      `json:"layer" yaml:"layer"` // the isolation layer, e.g. L-4
	Stack        []Choice    `json:"stack" yaml:"stack"`
	Requirements []string    `json:"requirements" yaml:"requirements"`
	AsOf         int         `json:"asOf,omitempty" yaml:"asOf,omitempty"`
	Reasons      []string    `json:"reasons" yaml:"reasons"` // X=…, Y=…, Z=… with their derivations
	// Allowed are the isolation runtimes an admission policy may admit for the workload: the
	// chosen one and every other that meets all requirements and isolates at least as
	// strongly (isolation-strength), best first.
	Allowed []string `json:"allowedRuntimes" yaml:"allowedRuntimes"`
	// Measured says, for a plan made with measurements (Planner.Measuring), which figures
	// the decision read and where each came from, and what the measurements changed.
	Measured *Measured `json:"measured,omitempty" yaml:"measured,omitempty"`
}

// Technology returns the chosen technology of a role, or "".
func (p *Plan) Technology(role string) string {
	for _, c := range p.Stack {
		if c.Role == role {
			return c.Technology
		}
	}
	return ""
}

// Technologies lists every chosen technology.
func (p *Plan) Technologies() []string {
	var out []string
	for _, c := range p.Stack {
		out = append(out, c.Technology)
	}
	return out
}

// Choice is the technology chosen for one role, why, and what lost.
type Choice struct {
	Role         string        `json:"role" yaml:"role"`
	Technology   string        `json:"technology" yaml:"technology"`
	Name         string        `json:"name" yaml:"name"`
	Reasons      []string      `json:"reasons" yaml:"reasons"`
	Alternatives []Alternative `json:"alternatives,omitempty" yaml:"alternatives,omitempty"`
}

// Alternative is a candidate that lost: ranked lower, or excluded by a requirement.
type Alternative struct {
	Technology string `json:"technology" yaml:"technology"`
	Excluded   bool   `json:"excluded" yaml:"excluded"`
	Reason     string `json:"reason" yaml:"reason"`
}

// Unsatisfiable explains why no technology can fill a role: every candidate and the
// requirements that excluded it.
type Unsatisfiable struct {
	Workload  string        `json:"workload" yaml:"workload"`
	Role      string        `json:"role" yaml:"role"`
	Rejected  []Alternative `json:"rejected" yaml:"rejected"`
	Conflicts []string      `json:"conflicts" yaml:"conflicts"` // the requirements that together leave nothing
	// Flips are the choices measured figures changed (Planner.Measuring), this one among them.
	Flips []Flip `json:"flips,omitempty" yaml:"flips,omitempty"`
	// Notes are the measurements' remarks on their inputs (Measurements.Notes), as a plan
	// has them: stale results not used are why a figure is declared.
	Notes []string `json:"notes,omitempty" yaml:"notes,omitempty"`
}

func (e *Unsatisfiable) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "workload %s cannot be planned: no %s meets all its requirements\n", e.Workload, e.Role)
	for _, r := range e.Rejected {
		fmt.Fprintf(&b, "  %s: %s\n", r.Technology, r.Reason)
	}
	fmt.Fprintf(&b, "requirements in conflict: %s; relax one of them", strings.Join(e.Conflicts, ", "))
	for _, f := range e.Flips {
		fmt.Fprintf(&b, "\n%s: %s", f.Role, f.Because)
	}
	for _, n := range e.Notes {
		fmt.Fprintf(&b, "\nnote: %s", n)
	}
	return b.String()
}

// ErrUnsatisfiable is wrapped by every *Unsatisfiable, for errors.Is.
var ErrUnsatisfiable = errors.New("unsatisfiable workload")

func (e *Unsatisfiable) Is(target error) bool { return target == ErrUnsatisfiable }

// Planner plans workloads against one network.
type Planner struct {
	net      *network.Network
	rsn      *reason.Reasoner
	strength *reason.Relation
	overhead *reason.Relation

	exclusions []Exclusion   // see Excluding
	meas       *measurements // see Measuring
	rec        *recorder     // the figures one plan read (a copy per Plan call)
}

// New prepares a planner. The network must have the isolation-strength and overhead
// orders and the X, Y and Z axes.
func New(r *reason.Reasoner) (*Planner, error) {
	p := &Planner{net: r.Network(), rsn: r}
	var err error
	if p.strength, err = r.Relation("isolation-strength"); err != nil {
		return nil, fmt.Errorf("planner needs the isolation-strength order: %w", err)
	}
	if p.overhead, err = r.Relation("overhead"); err != nil {
		return nil, fmt.Errorf("planner needs the overhead order: %w", err)
	}
	for _, axis := range []string{"X", "Y", "Z"} {
		if d, ok := p.net.Dimension(axis); !ok || d.Axis != axis {
			return nil, fmt.Errorf("planner needs the %s axis (a Dimension with axis: %s)", axis, axis)
		}
	}
	if err := p.checkHandlers(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkHandlers refuses two runtimes on one containerd handler or one RuntimeClass name:
// containerd keeps one table per handler and Kubernetes one RuntimeClass per name, so the
// files could not say which of the two runs (a VM runtime overlaid onto runc's handler ran
// untrusted code under runc while the plan said L-1).
func (p *Planner) checkHandlers() error {
	var errs []error
	handlers, classes := map[string]*network.Entity{}, map[string]*network.Entity{}
	for _, e := range p.net.Entities {
		h, ok := e.Attr("handler")
		if !ok {
			continue
		}
		if prev, dup := handlers[h.String]; dup {
			errs = append(errs, fmt.Errorf("%s (%s) and %s (%s) both declare the containerd handler %q: containerd keeps one runtime table per handler, so the files could not say which runs; give one of them its own handler",
				prev.ID, attrSource(prev, "handler"), e.ID, attrSource(e, "handler"), h.String))
		} else {
			handlers[h.String] = e
		}
		class, attr := h.String, "handler"
		if c, ok := e.Attr("runtime-class"); ok {
			class, attr = c.String, "runtime-class"
		}
		prev, dup := classes[class]
		switch {
		case !dup:
			classes[class] = e
		case attr == "handler" && handlers[h.String] != e:
			// the same handler, said above
		default:
			prevAttr := "handler"
			if _, ok := prev.Attr("runtime-class"); ok {
				prevAttr = "runtime-class"
			}
			errs = append(errs, fmt.Errorf("%s (%s) and %s (%s) both name the RuntimeClass %q: a pod under it runs whichever handler the class names, so a policy admitting one admits both; give one of them its own runtime-class",
				prev.ID, attrSource(prev, prevAttr), e.ID, attrSource(e, attr), class))
		}
	}
	return errors.Join(errs...)
}

// requirement is a requirement entity the workload has, and why it has it.
type requirement struct {
	e   *network.Entity
	why string
}

// candidate is a technology being considered for a role.
type candidate struct {
	e        *network.Entity
	layer    *network.Entity // isolation runtimes: the L value it represents
	point    *network.Entity // orchestrators: the axis point it represents
	z        int             // policy engines: the level it stands for in the stack (zOf)
	declared bool            // policy engines: z is the Z point it represents, not a level raised in a cluster
	rejected []string
	by       []string // requirement ids behind the rejections
}

// Plan plans one workload.
func (p *Planner) Plan(w Workload) (*Plan, error) {
	if p.meas != nil {
		return p.planMeasured(w)
	}
	return p.plan(w)
}

func (p *Planner) plan(w Workload) (*Plan, error) {
	reqs, err := p.requirements(w)
	if err != nil {
		return nil, err
	}
	pl := &Plan{Workload: w.Name, AsOf: w.AsOf, Requirements: []string{}}
	for _, r := range reqs {
		pl.Requirements = append(pl.Requirements, r.e.ID)
	}

	// X: the orchestrator.
	orch, err := p.choose(w, reqs, RoleOrchestrator, p.orchestrators(w), p.preferOrchestrator, nil)
	if err != nil {
		return nil, err
	}
	pl.Stack = append(pl.Stack, orch.choice)

	// Y: the isolation runtime.
	runtimes := p.runtimes()
	rt, err := p.choose(w, reqs, RoleRuntime, runtimes, p.preferRuntime, orch.best.e)
	if err != nil {
		return nil, err
	}
	pl.Allowed = p.allowed(rt, runtimes)
	pl.Layer = rt.best.layer.ID
	if shim, ok := rt.best.e.Attr("runtime-type"); ok && strings.HasPrefix(shim.String, "io.containerd.") {
		if cri, ok := p.net.Entity("containerd"); ok && p.available(w, cri) == "" {
			pl.Stack = append(pl.Stack, Choice{Role: RoleCRI, Technology: cri.ID, Name: cri.Names.String(),
				Reasons: []string{fmt.Sprintf("%s runs as the containerd shim %s", rt.best.e.ID, shim.String)}})
		}
	}
	pl.Stack = append(pl.Stack, rt.choice)
	if w.GPU > 0 || hasReq(reqs, "gpu-acceleration") {
		if gpu, ok := p.net.Entity("GPU"); ok {
			pl.Stack = append(pl.Stack, Choice{Role: RoleAccelerator, Technology: gpu.ID, Name: gpu.Names.String(),
				Reasons: []string{"gpu-acceleration asks for it; " + rt.best.e.ID + " has the gpu capability"}})
		}
	}

	// Z: the policy level the stack implies, raised by a policy engine where required. A
	// requirement for policy gets an engine that enforces it, even where the runtime's own
	// sandbox implies that level: the sandbox is no place to state the workload's rules.
	clustered := p.coordinate(orch.best.point) > 0
	required, requiredBy := p.requiredZ(w, reqs)
	var pol *picked
	if required > 0 {
		engine, err := p.choose(w, reqs, RolePolicy, p.policyEngines(required, clustered), p.preferPolicy, orch.best.e)
		if err != nil {
			return nil, err
		}
		_, why := p.zOf(engine.best.e, clustered)
		engine.choice.Reasons = append(engine.choice.Reasons, fmt.Sprintf("%s asks for Z ≥ %d; %s", requiredBy, required, why))
		pl.Stack = append(pl.Stack, engine.choice)
		pol = &engine
	}

	// The coordinates, computed from the stack as `strata coordinates` computes them.
	stack, err := p.stackOf(pl)
	if err != nil {
		return nil, err
	}
	placed, err := p.place(stack)
	if err != nil {
		return nil, err
	}
	pl.Coordinates = placed.coords
	pl.Reasons = append(pl.Reasons,
		fmt.Sprintf("X=%d: %s represents %s (%s)", pl.Coordinates.X, orch.best.e.ID, orch.best.point.Label(), p.factSource(orch.best.e.ID, "represents", orch.best.point.ID)),
		p.yReason(pl.Coordinates.Y, rt, reqs),
		p.zReason(pl, w, reqs, placed, pol, required, requiredBy, orch.best.e))

	// Observability: the tools of complete observability (O1 + O2).
	pl.Stack = append(pl.Stack, p.observability(w)...)
	return pl, nil
}

// zReason says what Z is and what enforces it: the engine the workload asked for, or the
// technology whose own level Z is, and the weaker levels every higher one keeps.
func (p *Planner) zReason(pl *Plan, w Workload, reqs []requirement, placed placement, pol *picked, required int, requiredBy string, orch *network.Entity) string {
	z := pl.Coordinates.Z
	if z == 0 {
		return "Z=0: no requirement asks for policy and the stack implies none"
	}
	var s string
	switch {
	case pol != nil && (placed.zBy == pol.best.e || pol.best.z == z):
		_, why := p.zOf(pol.best.e, pl.Coordinates.X > 0)
		s = fmt.Sprintf("Z=%d: %s asks for policy at Z ≥ %d, so %s enforces it (%s)", z, requiredBy, required, pol.best.e.ID, why)
	case pol != nil:
		s = fmt.Sprintf("Z=%d: %s; %s asks for Z ≥ %d, which %s enforces", z, strings.TrimPrefix(placed.reasons[len(placed.reasons)-1], fmt.Sprintf("Z=%d: ", z)), requiredBy, required, pol.best.e.ID)
	default:
		s = fmt.Sprintf("Z=%d: %s; no policy engine was asked for, so %s itself enforces it", z, strings.TrimPrefix(placed.reasons[len(placed.reasons)-1], fmt.Sprintf("Z=%d: ", z)), placed.zBy.ID)
	}
	level := z
	var objects []string
	if pol != nil {
		level = pol.best.z
		objects, _ = objectSets(pol.best.e, pl.Coordinates.X > 0)
	}
	for _, k := range p.keptBelow(w, reqs, level, orch) {
		kept, _ := objectSets(k.engine, pl.Coordinates.X > 0)
		objects = append(objects, kept...)
		if pol == nil || k.engine != pol.best.e {
			s += fmt.Sprintf("; %s (Z=%d) is kept below it (kept-below, %s)", k.engine.ID, k.z, attrSource(k.point, "kept-below"))
		}
	}
	return s + pinReason(p.runtimePin(w, reqs, placed, objects))
}

// keptLevel is a weaker policy level every higher one keeps, and the engine that enforces it.
type keptLevel struct {
	z             int
	point, engine *network.Entity
}

// keptBelow are the levels marked kept-below that lie strictly below level (the chosen
// engine's own level, or Z when no engine was chosen), each with the first technology that
// represents it, meets the workload's requirements and suits the orchestrator
// (orchestrator-needs). A level no technology can keep for this workload is left out: the
// emitter then refuses a workload whose isolation would go unenforced.
func (p *Planner) keptBelow(w Workload, reqs []requirement, level int, orch *network.Entity) []keptLevel {
	zd, _ := p.net.Dimension("Z")
	var out []keptLevel
	for _, pid := range zd.Values {
		pt, _ := p.net.Entity(pid)
		kept, ok := pt.Attr("kept-below")
		if c := p.coordinate(pt); !ok || kept.Type != network.TypeBool || !kept.Bool || c < 1 || c >= level {
			continue
		}
		for _, f := range p.net.Facts {
			if f.Relation != "represents" || f.Object != pid {
				continue
			}
			e, _ := p.net.Entity(f.Subject)
			// The workload's bounds and year apply; the capabilities it asks of its engine
			// (policy-needs) are the chosen engine's to have, not each kept level's.
			c := &candidate{e: e}
			p.check(w, reqs, "", c)
			if len(c.rejected) == 0 && p.suits(e, orch) == "" {
				out = append(out, keptLevel{p.coordinate(pt), pt, e})
				break
			}
		}
	}
	return out
}

// suits says why a technology cannot run with the orchestrator (its orchestrator-needs
// attribute asks for a capability the orchestrator lacks), or "".
func (p *Planner) suits(e, orch *network.Entity) string {
	if orch == nil {
		return ""
	}
	caps := listAttr(orch, "capabilities")
	var lacks []string
	for _, need := range listAttr(e, "orchestrator-needs") {
		if !slices.Contains(caps, need) {
			lacks = append(lacks, need)
		}
	}
	if len(lacks) == 0 {
		return ""
	}
	return fmt.Sprintf("needs an orchestrator with %s (orchestrator-needs, %s); %s lacks it", strings.Join(lacks, ", "), attrSource(e, "orchestrator-needs"), orch.ID)
}

// allowed lists the chosen runtime and, in the order choose ranked them, the other
// runtimes that met every requirement and whose layer is at least as strong as the chosen
// one's under isolation-strength.
func (p *Planner) allowed(rt picked, cands []*candidate) []string {
	out := []string{rt.best.e.ID}
	rel, err := p.orderRelation(isolationStrength)
	for _, alt := range rt.choice.Alternatives {
		if alt.Excluded {
			continue
		}
		for _, c := range cands {
			if c.e.ID != alt.Technology {
				continue
			}
			if c.layer == rt.best.layer || (err == nil && p.atLeast(rel, c.layer, rt.best.layer.ID) == "") {
				out = append(out, c.e.ID)
			}
		}
	}
	return out
}

// isolationStrength is the relation that orders isolation layers by how strongly they
// isolate; the admission policy admits no runtime below the chosen one in it.
const isolationStrength = "isolation-strength"

func hasReq(reqs []requirement, id string) bool {
	for _, r := range reqs {
		if r.e.ID == id {
			return true
		}
	}
	return false
}

// requirements resolves the workload's requirement entities: those its fields imply and
// those it names.
func (p *Planner) requirements(w Workload) ([]requirement, error) {
	var out []requirement
	seen := map[string]bool{}
	add := func(name, why string) error {
		e, err := p.net.Resolve(name)
		if err != nil {
			return fmt.Errorf("workload %s: requirement %w", w.Name, err)
		}
		if e.Category != network.CategoryRequirement {
			return fmt.Errorf("workload %s: %s is a %s, not a requirement", w.Name, e.ID, e.Category)
		}
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, requirement{e, why})
		}
		return nil
	}
	for _, id := range w.implied() {
		if err := add(id, "spec"); err != nil {
			return nil, err
		}
	}
	for _, name := range w.Requirements {
		if err := add(name, "requirements"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// picked is the outcome of choosing one role.
type picked struct {
	best   *candidate
	choice Choice
}

// choose filters candidates by the requirements, ranks the rest with prefer, and
// explains the outcome.
func (p *Planner) choose(w Workload, reqs []requirement, role string, cands []*candidate, prefer func(a, b *candidate) (bool, string), orch *network.Entity) (picked, error) {
	var ok []*candidate
	for _, c := range cands {
		p.check(w, reqs, role, c)
		if why := p.suits(c.e, orch); why != "" {
			c.rejected = append(c.rejected, why)
			c.by = append(c.by, orch.ID)
		}
		if len(c.rejected) == 0 {
			ok = append(ok, c)
		}
	}
	if len(ok) == 0 {
		return picked{}, p.unsatisfiable(w, role, cands)
	}
	sort.SliceStable(ok, func(i, j int) bool { better, _ := prefer(ok[i], ok[j]); return better })
	best := ok[0]
	ch := Choice{Role: role, Technology: best.e.ID, Name: best.e.Names.String()}
	for _, c := range ok[1:] {
		_, why := prefer(best, c)
		ch.Alternatives = append(ch.Alternatives, Alternative{Technology: c.e.ID, Reason: why})
	}
	for _, c := range cands {
		if len(c.rejected) > 0 {
			ch.Alternatives = append(ch.Alternatives, Alternative{Technology: c.e.ID, Excluded: true, Reason: strings.Join(c.rejected, "; ")})
		}
	}
	ch.Reasons = p.satisfies(w, reqs, role, best)
	return picked{best, ch}, nil
}

func (p *Planner) unsatisfiable(w Workload, role string, cands []*candidate) error {
	e := &Unsatisfiable{Workload: w.Name, Role: role, Rejected: []Alternative{}, Conflicts: []string{}}
	seen := map[string]bool{}
	for _, c := range cands {
		e.Rejected = append(e.Rejected, Alternative{Technology: c.e.ID, Excluded: true, Reason: strings.Join(c.rejected, "; ")})
		for _, b := range c.by {
			if !seen[b] {
				seen[b] = true
				e.Conflicts = append(e.Conflicts, b)
			}
		}
	}
	sort.Strings(e.Conflicts)
	if len(cands) == 0 {
		e.Conflicts = append(e.Conflicts, "the network has no candidate "+role)
	}
	return e
}

// check applies every requirement to a candidate and records why it is excluded.
func (p *Planner) check(w Workload, reqs []requirement, role string, c *candidate) {
	c.rejected, c.by = nil, nil
	reject := func(by, format string, args ...any) {
		c.rejected = append(c.rejected, fmt.Sprintf(format, args...))
		c.by = append(c.by, by)
	}
	if why := p.available(w, c.e); why != "" {
		reject(fmt.Sprintf("as-of %d", w.AsOf), "%s", why)
	}
	for _, x := range p.exclusions {
		if why := x.Why(role, c.e.ID); why != "" {
			reject(x.Name, "%s", why)
		}
	}
	if w.StartupBudget > 0 {
		budget := float64(w.StartupBudget.Milliseconds())
		if v, ok := p.num(c.e, "startup-ms"); ok && v > budget {
			reject("startupBudget "+w.StartupBudget.String(), "startup-ms %s > %s (spec.startupBudget%s)", p.numText(c.e, "startup-ms", v), w.StartupBudget, p.within(c.e, "startup-ms", budget))
		}
	}
	for _, r := range reqs {
		for _, a := range r.e.Attributes {
			switch {
			case a.Name == "min-z":
			case strings.HasSuffix(a.Name, "-needs"):
				if strings.TrimSuffix(a.Name, "-needs") != roleWord(role) {
					continue
				}
				caps := listAttr(c.e, "capabilities")
				for _, need := range a.List {
					if !slices.Contains(caps, need) {
						reject(r.e.ID, "lacks %s (%s needs it)", need, r.e.ID)
					}
				}
			case strings.HasPrefix(a.Name, "max-") || strings.HasPrefix(a.Name, "min-"):
				attr := a.Name[4:]
				if rel, err := p.orderRelation(attr); err == nil {
					if role == RoleRuntime && c.layer != nil {
						if msg := p.atLeast(rel, c.layer, a.String); msg != "" {
							reject(r.e.ID, "%s (%s needs %s ≥ %s)", msg, r.e.ID, rel.Type.ID, a.String)
						}
					}
					continue
				}
				bound, ok := attrNumber(a)
				v, has := p.num(c.e, attr)
				if !ok || !has {
					continue
				}
				if strings.HasPrefix(a.Name, "max-") && v > bound {
					reject(r.e.ID, "%s %s > %s (%s%s)", attr, p.numText(c.e, attr, v), fmtNum(bound), r.e.ID, p.within(c.e, attr, bound))
				}
				if strings.HasPrefix(a.Name, "min-") && v < bound {
					reject(r.e.ID, "%s %s < %s (%s%s)", attr, p.numText(c.e, attr, v), fmtNum(bound), r.e.ID, p.within(c.e, attr, bound))
				}
			}
		}
	}
}

// orderRelation returns the order named attr, checking cheaply first: most attribute
// names are not relations, and the reasoner's error would compute a suggestion.
func (p *Planner) orderRelation(attr string) (*reason.Relation, error) {
	if _, ok := p.net.Relation(attr); !ok {
		return nil, errNotRelation
	}
	return p.rsn.Relation(attr)
}

var errNotRelation = errors.New("not a relation")

// roleWord is the prefix requirement attributes use for a role: runtime-needs, orchestrator-needs.
func roleWord(role string) string {
	switch role {
	case RoleRuntime:
		return "runtime"
	case RoleOrchestrator:
		return "orchestrator"
	case RolePolicy:
		return "policy"
	}
	return role
}

// atLeast says why layer is not at least as strong as the named bound, or "".
func (p *Planner) atLeast(rel *reason.Relation, layer *network.Entity, bound string) string {
	b, err := p.net.Resolve(bound)
	if err != nil {
		return "unknown bound " + bound
	}
	if layer == b {
		return ""
	}
	for _, op := range []string{">", "="} {
		if d, err := p.rsn.Why(rel, layer, op, b); err == nil && d.Holds {
			return ""
		}
	}
	d, _ := p.rsn.Why(rel, b, ">", layer)
	if d.Holds {
		return fmt.Sprintf("%s is below %s: %s", layer.ID, b.ID, p.cite(d))
	}
	return fmt.Sprintf("%s is not known to be at least %s", layer.ID, b.ID)
}

// cite renders a derivation as a chain with sources.
func (p *Planner) cite(d reason.Derivation) string {
	rt, _ := p.net.Relation(d.Relation)
	parts := make([]string, len(d.Facts))
	for i, f := range d.Facts {
		parts[i] = reason.FactText(rt, f)
	}
	src := ""
	if len(d.Facts) > 0 {
		src = " (" + d.Facts[0].Kind + ", " + d.Facts[0].Source.Short() + ")"
	}
	return strings.Join(parts, ", ") + src
}

// satisfies lists, for the chosen candidate, each requirement it meets and how.
func (p *Planner) satisfies(w Workload, reqs []requirement, role string, c *candidate) []string {
	var out []string
	if w.StartupBudget > 0 {
		budget := float64(w.StartupBudget.Milliseconds())
		if v, ok := p.num(c.e, "startup-ms"); ok {
			out = append(out, fmt.Sprintf("spec.startupBudget %s: startup-ms %s within it%s", w.StartupBudget, p.numText(c.e, "startup-ms", v), p.within(c.e, "startup-ms", budget)))
		}
	}
	for _, r := range reqs {
		for _, a := range r.e.Attributes {
			switch {
			case strings.HasSuffix(a.Name, "-needs") && strings.TrimSuffix(a.Name, "-needs") == roleWord(role):
				out = append(out, fmt.Sprintf("%s: has %s", r.e.ID, strings.Join(a.List, ", ")))
			case strings.HasPrefix(a.Name, "max-") || (strings.HasPrefix(a.Name, "min-") && a.Name != "min-z"):
				attr := a.Name[4:]
				if rel, err := p.orderRelation(attr); err == nil {
					if role == RoleRuntime && c.layer != nil {
						b, _ := p.net.Resolve(a.String)
						if b != nil {
							for _, op := range []string{"=", ">"} {
								if d, err := p.rsn.Why(rel, c.layer, op, b); err == nil && d.Holds {
									out = append(out, fmt.Sprintf("%s needs %s ≥ %s: %s", r.e.ID, rel.Type.ID, b.ID, p.cite(d)))
									break
								}
							}
							if c.layer == b {
								out = append(out, fmt.Sprintf("%s needs %s ≥ %s: it is %s", r.e.ID, rel.Type.ID, b.ID, b.ID))
							}
						}
					}
					continue
				}
				if v, ok := p.num(c.e, attr); ok {
					bound, _ := attrNumber(a)
					out = append(out, fmt.Sprintf("%s: %s %s within %s %s%s", r.e.ID, attr, p.numText(c.e, attr, v), a.Name, attrText(a), p.within(c.e, attr, bound)))
				}
			}
		}
	}
	return out
}

// available says why a technology did not exist yet in the workload's as-of year, or "".
func (p *Planner) available(w Workload, e *network.Entity) string {
	if w.AsOf == 0 {
		return ""
	}
	if since, ok := number(e, "since"); ok && int(since) > w.AsOf {
		return fmt.Sprintf("not available as of %d (since %d)", w.AsOf, int(since))
	}
	return ""
}

// orchestrators are the technologies that represent an X point at one of the workload's
// sites (by default a single cluster: cluster or edge).
func (p *Planner) orchestrators(w Workload) []*candidate {
	sites := w.Sites
	if len(sites) == 0 {
		sites = []string{"cluster", "edge"}
	}
	x, _ := p.net.Dimension("X")
	var out []*candidate
	for _, pid := range x.Values {
		pt, _ := p.net.Entity(pid)
		site, _ := pt.Attr("site")
		if !slices.Contains(sites, site.String) {
			continue
		}
		for _, f := range p.net.Facts {
			if f.Relation == "represents" && f.Object == pid {
				e, _ := p.net.Entity(f.Subject)
				out = append(out, &candidate{e: e, point: pt})
			}
		}
	}
	return out
}

// runtimes are the technologies with a containerd handler, each with the layer it represents.
func (p *Planner) runtimes() []*candidate {
	var out []*candidate
	for _, e := range p.net.Entities {
		if _, ok := e.Attr("handler"); !ok {
			continue
		}
		if layer := p.layerOf(e); layer != nil {
			out = append(out, &candidate{e: e, layer: layer})
		}
	}
	return out
}

// layerOf is the isolation layer a runtime represents, or nil.
func (p *Planner) layerOf(e *network.Entity) *network.Entity {
	iso, _ := p.net.Dimension("isolation")
	for _, f := range p.net.FactsOf(e.ID, "represents") {
		if slices.Contains(iso.Values, f.Object) {
			layer, _ := p.net.Entity(f.Object)
			return layer
		}
	}
	return nil
}

// policyEngines are the technologies whose policy level in the stack (see zOf: the Z point
// they represent, raised inside a cluster by policy-level-in-cluster) is at least z.
func (p *Planner) policyEngines(z int, clustered bool) []*candidate {
	zd, _ := p.net.Dimension("Z")
	var out []*candidate
	seen := map[string]bool{}
	for _, pid := range zd.Values {
		for _, f := range p.net.Facts {
			if f.Relation != "represents" || f.Object != pid || seen[f.Subject] {
				continue
			}
			e, _ := p.net.Entity(f.Subject)
			seen[e.ID] = true
			if level, _ := p.zOf(e, clustered); level >= z {
				out = append(out, &candidate{e: e, z: level, declared: p.declaredZ(e) == level})
			}
		}
	}
	return out
}

// preferRuntime: lower overhead layer first (the seed's order), then the longer
// established, then the faster start.
func (p *Planner) preferRuntime(a, b *candidate) (bool, string) {
	if a.layer != b.layer {
		if d, err := p.rsn.Why(p.overhead, b.layer, ">", a.layer); err == nil && d.Holds {
			return true, fmt.Sprintf("%s has more overhead than %s: %s", b.layer.ID, a.layer.ID, p.cite(d))
		}
		if d, err := p.rsn.Why(p.overhead, a.layer, ">", b.layer); err == nil && d.Holds {
			return false, fmt.Sprintf("%s has more overhead than %s: %s", a.layer.ID, b.layer.ID, p.cite(d))
		}
	}
	return p.preferBy(a, b, "since", "startup-ms")
}

// preferOrchestrator: smaller per-node footprint first, then the longer established.
func (p *Planner) preferOrchestrator(a, b *candidate) (bool, string) {
	return p.preferBy(a, b, "node-footprint-mb", "since")
}

// preferPolicy: the lowest Z that meets the requirement, then an engine that stands for
// that level by itself (it represents the Z point) over one that reaches it only inside a
// cluster, then the longer established, then the faster.
func (p *Planner) preferPolicy(a, b *candidate) (bool, string) {
	if a.z != b.z {
		if a.z < b.z {
			return true, fmt.Sprintf("Z=%d is more policy than needed", b.z)
		}
		return false, fmt.Sprintf("Z=%d is more policy than needed", a.z)
	}
	if a.declared != b.declared {
		if a.declared {
			return true, fmt.Sprintf("%s reaches Z=%d only inside a cluster; %s represents it", b.e.ID, b.z, a.e.ID)
		}
		return false, fmt.Sprintf("%s reaches Z=%d only inside a cluster; %s represents it", a.e.ID, a.z, b.e.ID)
	}
	return p.preferBy(a, b, "since", "startup-ms")
}

// preferBy compares numeric attributes in turn, smaller first; a missing value loses.
func (p *Planner) preferBy(a, b *candidate, attrs ...string) (bool, string) {
	for _, attr := range attrs {
		va, oka := p.num(a.e, attr)
		vb, okb := p.num(b.e, attr)
		if !oka {
			va = math.Inf(1)
		}
		if !okb {
			vb = math.Inf(1)
		}
		if va < vb {
			return true, fmt.Sprintf("%s %s > %s's %s", attr, p.orNone(b.e, attr, vb, okb), a.e.ID, p.numText(a.e, attr, va))
		}
		if vb < va {
			return false, fmt.Sprintf("%s %s > %s's %s", attr, p.orNone(a.e, attr, va, oka), b.e.ID, p.numText(b.e, attr, vb))
		}
	}
	return a.e.ID < b.e.ID, "ties; ordered by id"
}

func (p *Planner) orNone(e *network.Entity, attr string, v float64, ok bool) string {
	if !ok {
		return "unknown"
	}
	return p.numText(e, attr, v)
}

// yPoint is the Y axis point that corresponds to an isolation layer.
func (p *Planner) yPoint(layer *network.Entity) *network.Entity {
	y, _ := p.net.Dimension("Y")
	for _, pid := range y.Values {
		for _, f := range p.net.FactsOf(pid, "corresponds-to") {
			if f.Object == layer.ID {
				e, _ := p.net.Entity(pid)
				return e
			}
		}
	}
	return nil
}

func (p *Planner) yReason(y int, rt picked, reqs []requirement) string {
	var parts []string
	for _, r := range rt.choice.Reasons {
		parts = append(parts, r)
	}
	lost := map[string]bool{}
	var overheads []string
	for _, alt := range rt.choice.Alternatives {
		if !alt.Excluded && strings.Contains(alt.Reason, "overhead") && !lost[alt.Reason] {
			lost[alt.Reason] = true
			overheads = append(overheads, alt.Reason)
		}
	}
	s := fmt.Sprintf("Y=%d: %s runs at %s", y, rt.best.e.ID, rt.best.layer.Label())
	if len(parts) > 0 {
		s += "; " + strings.Join(parts, "; ")
	}
	if len(overheads) > 0 {
		s += "; among the candidates left, " + rt.best.layer.ID + " has the lowest overhead: " + strings.Join(overheads, "; ")
	}
	return s
}

// requiredZ is the policy level the workload asks for.
func (p *Planner) requiredZ(w Workload, reqs []requirement) (int, string) {
	z, by := 0, ""
	if pz := w.policyZ(); pz > 0 {
		z, by = pz, "spec.policy: "+w.Policy
	}
	for _, r := range reqs {
		if a, ok := r.e.Attr("min-z"); ok {
			if v, ok := attrNumber(a); ok && int(v) > z {
				z, by = int(v), fmt.Sprintf("%s (min-z %d, %s)", r.e.ID, int(v), a.Source.Short())
			}
		}
	}
	return z, by
}

func (p *Planner) isAxisPoint(e *network.Entity, axis string) bool {
	d, ok := p.net.Dimension(axis)
	return ok && d.Axis == axis && slices.Contains(d.Values, e.ID)
}

// observability chooses the tools of complete observability: the technologies that
// represent the operands of the complete-observability formula.
func (p *Planner) observability(w Workload) []Choice {
	var out []Choice
	for _, f := range p.net.Formulas {
		if f.Result != "complete-observability" {
			continue
		}
		for _, o := range f.Operands {
			for _, fact := range p.net.Facts {
				if fact.Relation != "represents" || fact.Object != o {
					continue
				}
				e, _ := p.net.Entity(fact.Subject)
				if p.available(w, e) != "" {
					continue
				}
				out = append(out, Choice{Role: RoleObservability, Technology: e.ID, Name: e.Names.String(),
					Reasons: []string{fmt.Sprintf("complete-observability = %s (%s); %s represents %s", strings.Join(f.Operands, " "+f.Op+" "), f.Source.Short(), e.ID, o)}})
			}
		}
		break // the formula is stated in several languages; one is enough
	}
	return out
}

func (p *Planner) coordinate(pt *network.Entity) int {
	if pt == nil {
		return -1
	}
	v, _ := number(pt, "coordinate")
	return int(v)
}

func (p *Planner) factSource(s, rel, o string) string {
	for _, f := range p.net.FactsOf(s, rel) {
		if f.Object == o {
			return f.Kind + ", " + f.Source.Short()
		}
	}
	return "derived"
}

func attrSource(e *network.Entity, name string) string {
	a, _ := e.Attr(name)
	return a.Source.Short()
}

// number reads a numeric attribute.
func number(e *network.Entity, name string) (float64, bool) {
	a, ok := e.Attr(name)
	if !ok {
		return 0, false
	}
	return attrNumber(a)
}

func attrNumber(a network.Attribute) (float64, bool) {
	switch a.Type {
	case network.TypeInt:
		return float64(a.Int), true
	case network.TypeFloat:
		return a.Float, true
	case network.TypeString:
		f, err := strconv.ParseFloat(a.String, 64)
		return f, err == nil
	}
	return 0, false
}

func attrText(a network.Attribute) string {
	if v, ok := attrNumber(a); ok {
		return fmtNum(v)
	}
	return a.String
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func listAttr(e *network.Entity, name string) []string {
	a, _ := e.Attr(name)
	return a.List
}

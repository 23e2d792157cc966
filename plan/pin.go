package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan/manifest"
)

// objectSets are a policy technology's object sets in the stack: policy-objects-in-cluster
// inside an orchestrated cluster (X ≥ 1) where it declares them, else policy-objects; and
// the attribute they were read from.
func objectSets(e *network.Entity, clustered bool) ([]string, string) {
	if clustered {
		if in := listAttr(e, "policy-objects-in-cluster"); len(in) > 0 {
			return in, "policy-objects-in-cluster"
		}
	}
	return listAttr(e, "policy-objects"), "policy-objects"
}

// runtimePin is what pins the workload's pods to their runtime classes at admission when
// the plan rests on the runtime class and none of the object sets chosen for it pins the
// class when the pods are created ([manifest.PinsRuntimeClass]). The plan rests on the
// runtime class when its Z is the runtime's own level (a sandbox's policy-level), when Z
// stands for admission (Z ≥ 3) whatever enforces it, or when a requirement bounds the
// isolation (min-isolation-strength): a pod of the workload under runc, or with no class,
// would lose what the plan claims. The pin is the first technology of the network marked
// pins-runtime-class that meets the workload's requirements and year and suits the
// orchestrator (orchestrator-needs), e.g. kube-apiserver's ValidatingAdmissionPolicy.
//
// need says why the plan needs a pin, "" when it needs none (or the chosen objects pin
// already); pin is nil when it needs none or when nothing can pin it, and then why says
// what stopped each candidate.
func (p *Planner) runtimePin(w Workload, reqs []requirement, placed placement, objects []string) (pin *network.Entity, need, why string) {
	if slices.ContainsFunc(objects, manifest.PinsRuntimeClass) {
		return nil, "", ""
	}
	z := placed.coords.Z
	switch {
	case placed.zBy != nil && placed.zBy == placed.runtime:
		need = fmt.Sprintf("Z=%d is %s's own level, which a pod of the workload under another runtime class would lose", z, placed.runtime.ID)
	case z >= 3:
		sets := "none"
		if len(objects) > 0 {
			sets = strings.Join(objects, ", ")
		}
		need = fmt.Sprintf("Z=%d stands for admission, but none of the chosen object sets (%s) keeps the pods off a weaker runtime class when they are created", z, sets)
	default:
		for _, r := range reqs {
			if a, ok := r.e.Attr("min-isolation-strength"); ok {
				need = fmt.Sprintf("%s needs isolation-strength ≥ %s (%s), which a pod under a weaker runtime class would not have", r.e.ID, a.String, a.Source.Short())
				break
			}
		}
	}
	if need == "" {
		return nil, "", ""
	}
	clustered := placed.coords.X > 0
	var stopped []string
	for _, e := range p.net.Entities {
		a, ok := e.Attr("pins-runtime-class")
		if !ok || a.Type != network.TypeBool || !a.Bool {
			continue
		}
		c := &candidate{e: e}
		p.check(w, reqs, "", c)
		if s := p.suits(e, placed.orchestrator); s != "" {
			c.rejected = append(c.rejected, s)
		}
		if sets, attr := objectSets(e, clustered); !slices.ContainsFunc(sets, manifest.PinsRuntimeClass) {
			c.rejected = append(c.rejected, fmt.Sprintf("its %s (%s) pin no runtime class at admission", attr, strings.Join(sets, ", ")))
		}
		if len(c.rejected) == 0 {
			return e, need, fmt.Sprintf("pins-runtime-class, %s", attrSource(e, "pins-runtime-class"))
		}
		stopped = append(stopped, e.ID+": "+strings.Join(c.rejected, "; "))
	}
	if len(stopped) == 0 {
		return nil, need, "the network marks no technology pins-runtime-class"
	}
	return nil, need, strings.Join(stopped, "; ")
}

// pinReason is the plan's sentence on the runtime-class pin, or "" when it needs none.
func pinReason(pin *network.Entity, need, why string) string {
	switch {
	case need == "":
		return ""
	case pin != nil:
		return fmt.Sprintf("; %s pins the runtime class at admission (%s), because %s", pin.ID, why, need)
	}
	return fmt.Sprintf("; nothing pins the runtime class at admission (%s), although %s", why, need)
}

package measured

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
)

func TestHostExclusionRecorded(t *testing.T) {
	n := loadNet(t)
	host := readProbe(t, probeFile)
	x := HostExclusion(n, "probe.json", host)
	if x.Name != "host probe.json" {
		t.Errorf("name %q", x.Name)
	}
	for tech, want := range map[string]string{
		"runc":      "",
		"crun":      "",
		"WasmEdge":  "vm cannot serve handler wasmedge (probe.json): containerd-shim-wasmedge-v1 SKIP: not on PATH",
		"gVisor":    "vm cannot serve handler runsc (probe.json): containerd-shim-runsc-v1 SKIP: not on PATH",
		"kata-fc":   "containerd-shim-kata-v2 SKIP: not on PATH (12 directories searched); firecracker SKIP",
		"kata-qemu": "cannot serve handler kata-qemu",
		"spin":      "cannot serve handler spin",
	} {
		got := x.Why(plan.RoleRuntime, tech)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", tech, got, want)
		}
		if x.Why(plan.RoleOrchestrator, tech) != "" {
			t.Errorf("%s excluded as an orchestrator", tech)
		}
	}
	if notes := HostNotes(n, "probe.json", host); len(notes) != 0 {
		t.Errorf("every handler of the default network is probed: %v", notes)
	}
	n2 := loadNet(t, network.File{Name: "youki.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: youki}
spec:
  category: technology
  items:
    - {id: youki, attributes: {handler: youki, startup-ms: 30, capabilities: [oci], since: 2021}, relations: {represents: L-3}}
`)})
	notes := HostNotes(n2, "probe.json", host)
	if len(notes) != 1 || !strings.Contains(notes[0], "says nothing of handler youki (strata probe has no rule for it): youki is not constrained by the host") {
		t.Errorf("notes %v", notes)
	}
}

// TestHostNeverServesExcluded plans random workloads against random probe reports: the
// plan never gets a runtime whose handler the report says the host cannot serve, lists
// each such runtime as excluded with the probe's reason, and where the unconstrained
// plan's runtime is served, chooses the same one (excluding losers changes no winner).
func TestHostNeverServesExcluded(t *testing.T) {
	n := loadNet(t)
	p := planner(t, n)
	recorded := readProbe(t, probeFile)
	b := readBench(t, quickFile)
	ms, err := Figures(n, []Bench{b}, Options{Now: fresh(b)})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(15, 3))
	iters := 400
	if testing.Short() {
		iters = 100
	}
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	planned, unsat, changed := 0, 0, 0
	defer func() {
		t.Logf("%d planned, %d unsatisfiable, %d moved off the free plan's runtime by the host", planned, unsat, changed)
		if planned < iters/5 || unsat < iters/20 || changed < iters/20 {
			t.Errorf("the random cases exercise too little: %d planned, %d unsatisfiable, %d changed", planned, unsat, changed)
		}
	}()
	for i := range iters {
		w := plan.Workload{Name: fmt.Sprintf("w%d", i), Kind: "Deployment", Trust: pick("trusted", "untrusted"), Artifact: pick("any", "oci", "wasm"),
			Footprint: pick("normal", "constrained"), Availability: pick("standard", "high"), ScaleOnDemand: rng.IntN(3) == 0,
			Policy: pick("", "none", "runtime", "application", "business")}
		if rng.IntN(2) == 0 {
			w.StartupBudget = time.Duration(1+rng.IntN(400)) * time.Millisecond
		}
		if rng.IntN(4) == 0 {
			w.GPU = 1
		}
		host := *recorded
		host.Handlers = slices.Clone(recorded.Handlers)
		offered := map[string]bool{}
		for j := range host.Handlers {
			h := &host.Handlers[j]
			h.Offered = rng.IntN(2) == 0
			offered[h.Name] = h.Offered
			if !h.Offered {
				h.Because = "missing: " + h.Checks[0] + " FAIL"
			}
		}
		base := p
		if rng.IntN(2) == 0 {
			base = p.Measuring(ms)
		}
		free, ferr := base.Plan(w)
		pl, err := base.Excluding(HostExclusion(n, "h.json", &host)).Plan(w)
		var u *plan.Unsatisfiable
		if errors.As(err, &u) {
			unsat++
			// Nothing left: every runtime was refused by the workload or the host.
			if u.Role == plan.RoleRuntime {
				for _, r := range u.Rejected {
					if r.Reason == "" {
						t.Fatalf("%+v: %s rejected without a reason", w, r.Technology)
					}
				}
			}
			if ferr == nil && handlerOffered(n, free.Technology(plan.RoleRuntime), offered) {
				t.Fatalf("%+v: unsatisfiable on the host, yet the free plan's %s is served there", w, free.Technology(plan.RoleRuntime))
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		planned++
		rt := pl.Technology(plan.RoleRuntime)
		if ferr == nil && free.Technology(plan.RoleRuntime) != rt {
			changed++
		}
		if !handlerOffered(n, rt, offered) {
			t.Fatalf("%+v: got %s, whose handler the host cannot serve", w, rt)
		}
		for _, c := range pl.Stack {
			if c.Role != plan.RoleRuntime {
				continue
			}
			for _, a := range c.Alternatives {
				if !handlerOffered(n, a.Technology, offered) && (!a.Excluded || !strings.Contains(a.Reason, "cannot serve handler")) {
					t.Fatalf("%+v: %s not excluded with the probe's reason: %+v", w, a.Technology, a)
				}
			}
		}
		if ferr == nil && handlerOffered(n, free.Technology(plan.RoleRuntime), offered) && free.Technology(plan.RoleRuntime) != rt {
			t.Fatalf("%+v: free plan %s is served on the host, but the host plan chose %s", w, free.Technology(plan.RoleRuntime), rt)
		}
	}
}

func handlerOffered(n *network.Network, tech string, offered map[string]bool) bool {
	e, ok := n.Entity(tech)
	if !ok {
		return false
	}
	h, _ := e.Attr("handler")
	o, probed := offered[h.String]
	return o || !probed
}

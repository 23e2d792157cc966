package plan_test

import (
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
	"github.com/strata-dev/strata/reason"
)

// TestOddHandlers: an outsider's overlays with runtime handlers the other tests had not
// seen. containerd keeps one table per handler and Kubernetes one RuntimeClass per name, so
// two runtimes on one handler or class cannot both be what the files say. Before: a "VM"
// runtime overlaid onto runc's handler (or naming its class runc) was counted as L-1, so the
// Gatekeeper constraint of an untrusted workload planned on kata-qemu at (2, 1, 3) allowed
// [kata-qemu, runc], and its pods ran under plain runc; and runc's shim overlaid with Kata's
// was planned and emitted under K3s, which declares runc itself, with no node file, so the
// node ran K3s's runc.
func TestOddHandlers(t *testing.T) {
	for _, tc := range []struct {
		name, items, spec string
		want              string // in the error; "" means it plans and emits
	}{
		{name: "a VM runtime on runc's handler",
			items: `    - {id: fake-vm, names: {en: fake VM}, attributes: {handler: runc, runtime-type: io.containerd.kata.v2, capabilities: [oci], since: 2020, startup-ms: 1, workload-footprint-mb: 1}, relations: {represents: L-1}}
    - {id: gVisor, merge: true, attributes: {since: 2030}}
`,
			spec: `{artifact: oci, trust: untrusted, sites: [edge], asOf: 2026}`, want: `handler "runc"`},
		{name: "a runtime class named as another runtime's handler",
			items: `    - {id: fake-vm, names: {en: fake VM}, attributes: {handler: fakevm, runtime-class: runc, runtime-type: io.containerd.kata.v2, capabilities: [oci], since: 2020, startup-ms: 1, workload-footprint-mb: 1}, relations: {represents: L-1}}
    - {id: gVisor, merge: true, attributes: {since: 2030}}
`,
			spec: `{artifact: oci, trust: untrusted, sites: [edge], asOf: 2026}`, want: `RuntimeClass "runc"`},
		{name: "runc's shim changed where K3s declares runc itself",
			items: `    - {id: runc, merge: true, attributes: {runtime-type: io.containerd.kata.v2}}
`,
			spec: `{artifact: oci, sites: [edge]}`, want: `K3s declares the handler runc itself`},
		// A handler that only differs from another in length or digits is its own.
		{name: "a handler with digits and dashes",
			items: `    - {id: kata-clh, names: {en: Kata with Cloud Hypervisor}, attributes: {handler: kata-clh-2, runtime-type: io.containerd.kata-clh.v2, capabilities: [oci], since: 2021, startup-ms: 1, workload-footprint-mb: 1}, relations: {represents: L-1}}
`,
			spec: `{artifact: oci, trust: untrusted, sites: [edge]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := plannerErr(overlay("odd.yaml", tc.items))
			if err != nil {
				t.Log(err)
			}
			if err == nil {
				var pl *plan.Plan
				var objs []manifest.Object
				pl, objs, err = planEmit(t, p, workload(t, tc.spec))
				if err == nil && tc.want != "" {
					t.Fatalf("planned %v at %v and emitted %d files; want an error naming %s", pl.Technologies(), pl.Coordinates, len(objs), tc.want)
				}
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "odd.yaml:")):
				t.Fatalf("error %v; want one naming %s and where (odd.yaml:LINE)", err, tc.want)
			}
		})
	}
}

// plannerErr is planner's network with extra files, or the error that refuses it.
func plannerErr(extra ...network.File) (*plan.Planner, error) {
	n, err := network.Load(append(network.DefaultFiles(), extra...))
	if err != nil {
		return nil, err
	}
	r, err := reason.New(n)
	if err != nil {
		return nil, err
	}
	return plan.New(r)
}

// TestBusinessEngineWithoutRules: a policy engine an overlay adds at Z=4 must write the
// business rules the workload names; one whose objects hold none cannot stand for Z=4.
// Before, an engine with policy-objects [network-policy] was planned at (1, 3, 4) and
// emitted a NetworkPolicy and the runtime-class constraint kept below: no business rule.
func TestBusinessEngineWithoutRules(t *testing.T) {
	p := planner(t, overlay("corp.yaml", `    - {id: business-rules, merge: true, attributes: {since: 2030}}
    - {id: corp-rules, names: {en: Corp rules}, attributes: {since: 2018, capabilities: [admission], orchestrator-needs: [kubernetes-api], policy-objects: [network-policy]}, relations: {represents: Z4}}
`))
	pl, objs, err := planEmit(t, p, workload(t, `{artifact: oci, policy: business, sites: [cluster], labels: {team: a}, asOf: 2026}`))
	if err == nil {
		t.Fatalf("planned %v at %v and emitted %v; want corp-rules refused for writing no business rules", pl.Technologies(), pl.Coordinates, policyKinds(objs))
	}
	if !strings.Contains(err.Error(), "corp-rules stands for Z=4, business rules") || !strings.Contains(err.Error(), "corp.yaml:") {
		t.Errorf("the error does not say which engine and where: %v", err)
	}
}

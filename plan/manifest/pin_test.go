package manifest

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/strata-dev/strata/internal/admissiontest"
)

// pinned is the edge case with its Z resting on WasmEdge's sandbox and pinned by
// kube-apiserver's ValidatingAdmissionPolicy instead of Gatekeeper.
func pinned() Choice {
	c := cases[0].choice
	c.Policy = Policy{EnforcedBy: "WasmEdge: WasmEdge implies policy level 3", Pin: "ValidatingAdmissionPolicy",
		Objects: []string{PolicyNetworkPolicy, PolicyValidatingAdmissionPolicy}}
	return c
}

// TestRuntimeClassPinObjects decodes the pin strictly with k8s.io/api's
// admissionregistration/v1 types (an unknown or misspelled field fails), and checks what
// kube-apiserver reads from it: the binding names the policy, denies, and selects the
// workload's namespace (and no other) by the label the API server sets on every namespace;
// the policy fails closed, and matches on create and update exactly the kinds the
// Gatekeeper constraint matches (its match.kinds, as resources); its CEL names the
// workload's label and every allowed class; both name the pin's technology as their engine.
// kube-apiserver itself compiles and evaluates the CEL in TestRuntimeClassPinAPIServer (plan).
func TestRuntimeClassPinObjects(t *testing.T) {
	c := pinned()
	objs := buildCase(t, c)
	pol, bind := find(t, objs, KindValidatingAdmissionPolicy), find(t, objs, KindValidatingAdmissionPolicyBinding)
	if !strings.HasPrefix(pol.File, "22-") || !strings.HasPrefix(bind.File, "32-") {
		t.Errorf("files %s, %s: the policy goes before its binding, beside Gatekeeper's 2x/3x", pol.File, bind.File)
	}
	obj, kind, err := admissiontest.Decode(pol.YAML)
	if err != nil || kind != KindValidatingAdmissionPolicy {
		t.Fatalf("policy: %v (%s)", err, kind)
	}
	p := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy)
	obj, kind, err = admissiontest.Decode(bind.YAML)
	if err != nil || kind != KindValidatingAdmissionPolicyBinding {
		t.Fatalf("binding: %v (%s)", err, kind)
	}
	b := obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
	var strict admissionregistrationv1.ValidatingAdmissionPolicy
	if err := admissiontest.StrictYAML(pol.YAML, &strict); err != nil {
		t.Errorf("policy, decoded as the API server decodes JSON: %v", err)
	}

	if b.Spec.PolicyName != p.Name || p.Name != PinName(c.Workload) {
		t.Errorf("binding %s binds %q; policy %q", b.Name, b.Spec.PolicyName, p.Name)
	}
	if !slices.Equal(b.Spec.ValidationActions, []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}) {
		t.Errorf("validation actions %v, want Deny", b.Spec.ValidationActions)
	}
	sel, err := labels.Parse("")
	if ns := b.Spec.MatchResources.NamespaceSelector; ns != nil {
		sel = labels.SelectorFromSet(ns.MatchLabels)
	}
	if err != nil || !sel.Matches(labels.Set{"kubernetes.io/metadata.name": c.Namespace}) || sel.Matches(labels.Set{"kubernetes.io/metadata.name": "other"}) {
		t.Errorf("binding selects namespaces by %v; want %s only", sel, c.Namespace)
	}
	if p.Spec.FailurePolicy == nil || *p.Spec.FailurePolicy != admissionregistrationv1.Fail {
		t.Errorf("failure policy %v, want Fail", p.Spec.FailurePolicy)
	}
	// The Gatekeeper runtime-class constraints' kinds, as resources kube-apiserver matches.
	want := map[string]bool{}
	for _, k := range append(constrainedKinds(), handlersMatch()["kinds"].([]any)...) {
		m := k.(map[string]any)
		for _, kind := range m["kinds"].([]any) {
			res := strings.ToLower(kind.(string))
			if strings.HasSuffix(res, "s") { // runtimeclass → runtimeclasses
				res += "es"
			} else {
				res += "s"
			}
			want[m["apiGroups"].([]any)[0].(string)+"/"+res] = true
		}
	}
	got := map[string]bool{}
	for _, r := range p.Spec.MatchConstraints.ResourceRules {
		if !slices.Contains(r.Operations, admissionregistrationv1.Create) || !slices.Contains(r.Operations, admissionregistrationv1.Update) {
			t.Errorf("rule %v does not match create and update", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				got[g+"/"+res] = true
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("the pin matches %v; the Gatekeeper constraint %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("the pin does not match %s, which the Gatekeeper constraint matches", k)
		}
	}
	var cel strings.Builder
	for _, v := range p.Spec.Variables {
		cel.WriteString(v.Expression + "\n")
	}
	for _, v := range p.Spec.Validations {
		cel.WriteString(v.Expression + "\n")
	}
	for _, s := range []string{`"` + LabelWorkload + `"`, `"` + c.Workload + `"`, "spec.jobTemplate.spec.template", "runtimeClassName"} {
		if !strings.Contains(cel.String(), s) {
			t.Errorf("the CEL does not name %s:\n%s", s, cel.String())
		}
	}
	for _, class := range append([]string{c.Runtime.Class}, classes(c.Allowed)...) {
		if !strings.Contains(cel.String(), `"`+class+`"`) {
			t.Errorf("the CEL does not allow %s:\n%s", class, cel.String())
		}
	}
	// Each allowed class is pinned to its handler (kube-apiserver judges the CEL in
	// plan's TestRuntimeClassPinAPIServer).
	handlers := map[string]string{cmp.Or(c.Runtime.Class, c.Runtime.Handler): c.Runtime.Handler}
	for _, r := range c.Allowed {
		handlers[cmp.Or(r.Class, r.Handler)] = r.Handler
	}
	for class, h := range handlers {
		if !strings.Contains(cel.String(), strconv.Quote(class)+": "+strconv.Quote(h)) {
			t.Errorf("the CEL does not pin class %s to handler %s:\n%s", class, h, cel.String())
		}
	}
	for _, o := range []Object{pol, bind} {
		if !strings.Contains(string(o.YAML), LabelPolicyEngine+": ValidatingAdmissionPolicy") {
			t.Errorf("%s does not name its engine:\n%s", o.File, o.YAML)
		}
	}
	// Docker has no API server: the pin is refused there, not silently dropped.
	c.Orchestrator = docker
	c.Coordinates.X = 0
	if _, err := Build(c); !errors.Is(err, ErrInvalidChoice) || !strings.Contains(err.Error(), PolicyValidatingAdmissionPolicy) {
		t.Errorf("the pin for a Docker host: %v", err)
	}
}

// classes are the runtimes' class names (the handler when no class is given).
func classes(rs []Runtime) []string {
	var out []string
	for _, r := range rs {
		if r.Class == "" {
			r.Class = r.Handler
		}
		out = append(out, r.Class)
	}
	return out
}

// TestPinsRuntimeClass: the object sets that deny a weaker runtime class when the pods or
// containers are created pin it; the invocation policy and the others do not.
func TestPinsRuntimeClass(t *testing.T) {
	for set, want := range map[string]bool{
		PolicyGatekeeperRuntimeClasses: true, PolicyOPAAdmission: true, PolicyOPADockerAuthz: true, PolicyValidatingAdmissionPolicy: true,
		PolicyOPAWasm: false, PolicyNetworkPolicy: false, PolicyGatekeeperBusinessRules: false,
	} {
		if PinsRuntimeClass(set) != want {
			t.Errorf("PinsRuntimeClass(%s) = %v", set, !want)
		}
		if want && !KeepsRuntimeClass(set) {
			t.Errorf("%s pins the runtime class but does not keep it", set)
		}
	}
}

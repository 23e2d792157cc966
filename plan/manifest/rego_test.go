package manifest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/strata-dev/strata/internal/admissiontest"

	"github.com/open-policy-agent/opa/v1/ast"
	"sigs.k8s.io/yaml"
)

// policy and handlersPolicy are the edge case's template with its pod-level constraint and
// with its handlers constraint, compiled once per test binary as Gatekeeper compiles them.
// The Rego is taken from the emitted file, not the Go constant.
var (
	policy = sync.OnceValues(func() (*admissiontest.Policy, error) {
		return edgePolicy(constraintSuffixes[PolicyGatekeeperRuntimeClasses])
	})
	handlersPolicy = sync.OnceValues(func() (*admissiontest.Policy, error) { return edgePolicy(handlersSuffix) })
)

// edgePolicy compiles the edge case's template with its constraint of the given suffix.
func edgePolicy(suffix string) (*admissiontest.Policy, error) {
	objs, err := Build(cases[0].choice)
	if err != nil {
		return nil, err
	}
	var tmpl, cons []byte
	for _, o := range objs {
		switch {
		case o.Kind == "ConstraintTemplate" && o.Name == TemplateName:
			tmpl = o.YAML
		case o.Kind == ConstraintKind && o.Name == cases[0].choice.Workload+suffix:
			cons = o.YAML
		}
	}
	return admissiontest.NewPolicy(tmpl, cons)
}

// violations evaluates the policy on a review of obj with the given parameters.
func violations(t *testing.T, obj, params map[string]any) []string {
	t.Helper()
	p, err := policy()
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := p.Violations(obj, params)
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	return msgs
}

// emitted returns the case's workload and constraint parameters, decoded from the files.
func emitted(t *testing.T, c Choice) (workload, params map[string]any) {
	t.Helper()
	objs := buildCase(t, c)
	if err := yaml.Unmarshal(workloadObj(t, objs).YAML, &workload); err != nil {
		t.Fatal(err)
	}
	var cons admissiontest.Constraint
	if err := admissiontest.StrictYAML(find(t, objs, ConstraintKind).YAML, &cons); err != nil {
		t.Fatal(err)
	}
	return workload, cons.Spec.Parameters
}

// TestRegoAdmitsEmittedWorkloads evaluates every case's constraint against its own
// workload: it must pass.
func TestRegoAdmitsEmittedWorkloads(t *testing.T) {
	for _, tc := range cases {
		if !slices.Contains(tc.choice.Policy.Objects, PolicyGatekeeperRuntimeClasses) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			obj, params := emitted(t, tc.choice)
			if v := violations(t, obj, params); len(v) > 0 {
				t.Errorf("the emitted %s is denied: %v", tc.choice.Kind, v)
			}
		})
	}
}

// TestRegoDeniesWeakerRuntime evaluates variants of the edge workload (allowed: gvisor,
// spin, wasmedge) that must be denied, and ones that must not be.
func TestRegoDeniesWeakerRuntime(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(obj, params map[string]any)
		want   string // a substring of the one message; "" for no violation
	}{
		{"runc is weaker than L-4", func(obj, _ map[string]any) { admissiontest.PodSpec(obj)["runtimeClassName"] = "runc" },
			`Deployment edge/edge-sensor: spec.template.spec.runtimeClassName is "runc", which is not allowed; ` +
				`pods labelled {"strata.dev/workload": "edge-sensor"} must use one of the runtime classes ["gvisor", "spin", "wasmedge"]`},
		{"no runtimeClassName", func(obj, _ map[string]any) { delete(admissiontest.PodSpec(obj), "runtimeClassName") },
			`Deployment edge/edge-sensor: spec.template.spec.runtimeClassName is not set; pods labelled {"strata.dev/workload": "edge-sensor"} must use one of`},
		{"empty runtimeClassName", func(obj, _ map[string]any) { admissiontest.PodSpec(obj)["runtimeClassName"] = "" },
			`runtimeClassName is not set`},
		{"null runtimeClassName", func(obj, _ map[string]any) { admissiontest.PodSpec(obj)["runtimeClassName"] = nil },
			`runtimeClassName is not set`},
		{"another allowed class", func(obj, _ map[string]any) { admissiontest.PodSpec(obj)["runtimeClassName"] = "gvisor" }, ""},
		// The bypass of issue 11: pods that drop the isolation label (and every strata
		// label but the workload's, which the Deployment selector needs) stay selected.
		{"pod without the isolation label is still selected", func(obj, _ map[string]any) {
			admissiontest.PodSpec(obj)["runtimeClassName"] = "runc"
			labels := obj["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any)
			for k := range labels {
				if k != LabelWorkload {
					delete(labels, k)
				}
			}
			delete(obj["metadata"].(map[string]any), "labels")
		}, `runtimeClassName is "runc", which is not allowed`},
		{"another workload's pods are not selected", func(obj, _ map[string]any) {
			admissiontest.PodSpec(obj)["runtimeClassName"] = "runc"
			obj["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any)[LabelWorkload] = "other"
		}, ""},
		{"no allowed list admits nothing", func(_, params map[string]any) { delete(params, "allowed") },
			`"wasmedge", which is not allowed`},
		{"a pod template without labels is not the workload's", func(obj, _ map[string]any) {
			admissiontest.PodSpec(obj)["runtimeClassName"] = "runc"
			delete(obj["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any), "labels")
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj, params := emitted(t, cases[0].choice)
			tc.mutate(obj, params)
			got := violations(t, obj, params)
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("denied: %v", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("violations %q, want one containing %q", got, tc.want)
			}
		})
	}
}

// TestRegoCoversEveryPodCarrier wraps the edge pod template in each kind the Constraint
// matches, with a weaker class, and expects each to be denied at the right path.
func TestRegoCoversEveryPodCarrier(t *testing.T) {
	obj, params := emitted(t, cases[0].choice)
	tmpl := obj["spec"].(map[string]any)["template"].(map[string]any)
	tmpl["spec"].(map[string]any)["runtimeClassName"] = "runc"
	meta := map[string]any{"name": "x", "namespace": "edge"}
	wrap := map[string]map[string]any{
		"Pod":                   {"apiVersion": "v1", "metadata": maps.Clone(tmpl["metadata"].(map[string]any)), "spec": tmpl["spec"]},
		"ReplicationController": {"apiVersion": "v1", "spec": map[string]any{"template": tmpl}},
		"DaemonSet":             {"apiVersion": "apps/v1", "spec": map[string]any{"template": tmpl}},
		"ReplicaSet":            {"apiVersion": "apps/v1", "spec": map[string]any{"template": tmpl}},
		"StatefulSet":           {"apiVersion": "apps/v1", "spec": map[string]any{"template": tmpl}},
		"Job":                   {"apiVersion": "batch/v1", "spec": map[string]any{"template": tmpl}},
		"CronJob":               {"apiVersion": "batch/v1", "spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": tmpl}}}},
	}
	for kind, o := range wrap {
		o["kind"] = kind
		m, _ := o["metadata"].(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		maps.Copy(m, meta)
		o["metadata"] = m
		path := map[string]string{"Pod": "spec", "CronJob": "spec.jobTemplate.spec.template.spec"}[kind]
		if path == "" {
			path = "spec.template.spec"
		}
		got := violations(t, o, params)
		want := fmt.Sprintf(`%s edge/x: %s.runtimeClassName is "runc"`, kind, path)
		if len(got) != 1 || !strings.HasPrefix(got[0], want) {
			t.Errorf("%s: violations %q, want one starting %q", kind, got, want)
		}
	}
	// A kind the template does not know (a look-alike in another group) yields nothing.
	o := map[string]any{"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": meta, "spec": map[string]any{"template": tmpl}}
	if got := violations(t, o, params); len(got) > 0 {
		t.Errorf("example.com Deployment denied: %v", got)
	}
}

// TestRegoIsGatekeeperCompatible checks the module against the rules Gatekeeper enforces
// when it admits a template: it parses as Rego v0, has a violation rule, imports nothing,
// and refers to no data outside its own package.
func TestRegoIsGatekeeperCompatible(t *testing.T) {
	m, err := ast.ParseModuleWithOpts("template.rego", Rego, ast.ParserOptions{RegoVersion: ast.RegoV0})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Package.Path.String(); got != "data."+RegoPackage {
		t.Errorf("package %s", got)
	}
	if len(m.Imports) > 0 {
		t.Errorf("imports %v: Gatekeeper admits only data.lib imports", m.Imports)
	}
	hasViolation := false
	for _, r := range m.Rules {
		if r.Head.Name == "violation" {
			hasViolation = true
		}
		ast.WalkRefs(r, func(ref ast.Ref) bool {
			if ref.HasPrefix(ast.DefaultRootRef) {
				t.Errorf("data reference %s: Gatekeeper rejects it", ref)
			}
			return false
		})
	}
	if !hasViolation {
		t.Error("no violation rule")
	}
}

// TestRegoPinsHandlers: the handlers constraint matches RuntimeClasses (the pod-level one
// does not: it names the workload's namespace) and denies an allowed class whose handler is
// not the one planned; other classes and the planned handlers pass. gator judges the same
// files in plan's TestGatorBypassShapes, kube-apiserver the pin's CEL in
// TestRuntimeClassPinAPIServer.
func TestRegoPinsHandlers(t *testing.T) {
	p, err := handlersPolicy() // edge: gvisor → runsc, spin, wasmedge
	if err != nil {
		t.Fatal(err)
	}
	pods, err := policy()
	if err != nil {
		t.Fatal(err)
	}
	class := func(name, handler string) map[string]any {
		return map[string]any{"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": map[string]any{"name": name}, "handler": handler}
	}
	for _, tc := range []struct {
		obj  map[string]any
		want string // a substring of the one message; "" for none
	}{
		{class("wasmedge", "runc"), `RuntimeClass wasmedge: handler "runc" is not the handler "wasmedge"`},
		{class("gvisor", "gvisor"), `RuntimeClass gvisor: handler "gvisor" is not the handler "runsc"`},
		{class("gvisor", ""), `handler "" is not the handler "runsc"`},
		{class("wasmedge", "wasmedge"), ""},
		{class("gvisor", "runsc"), ""},
		{class("runc", "runc"), ""}, // not an allowed class: it binds no pod of the workload
	} {
		if !p.Matches(tc.obj) {
			t.Errorf("the constraint does not match RuntimeClass %v", tc.obj["metadata"])
			continue
		}
		if pods.Matches(tc.obj) {
			t.Errorf("the pod-level constraint matches RuntimeClass %v", tc.obj["metadata"])
		}
		got, err := p.Review(tc.obj)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%v denied: %v", tc.obj, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
			t.Errorf("%v: violations %q, want one containing %q", tc.obj, got, tc.want)
		}
	}
}

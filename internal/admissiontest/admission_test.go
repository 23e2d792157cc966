package admissiontest

import (
	"strings"
	"testing"
)

const template = `apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: needclass}
spec:
  crd: {spec: {names: {kind: NeedClass}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package needclass
      violation[{"msg": msg}] {
        not input.review.object.spec.runtimeClassName == input.parameters.class
        msg := sprintf("%s needs %s", [input.review.name, input.parameters.class])
      }
`

const constraint = `apiVersion: constraints.gatekeeper.sh/v1beta1
kind: NeedClass
metadata: {name: c}
spec:
  match:
    kinds: [{apiGroups: [""], kinds: [Pod]}]
    namespaces: [apps]
    labelSelector: {matchLabels: {tier: edge}}
  parameters: {class: gvisor}
`

func pod(ns, tier, class string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "p", "namespace": ns, "labels": map[string]any{"tier": tier}},
		"spec":     map[string]any{"runtimeClassName": class}}
}

func TestPolicy(t *testing.T) {
	p, err := NewPolicy([]byte(template), []byte(constraint))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		obj  map[string]any
		want string // "" for admitted
	}{
		{"selected and right class", pod("apps", "edge", "gvisor"), ""},
		{"selected, wrong class", pod("apps", "edge", "runc"), "p needs gvisor"},
		{"other namespace", pod("default", "edge", "runc"), ""},
		{"other labels", pod("apps", "core", "runc"), ""},
		{"other kind", func() map[string]any { o := pod("apps", "edge", "runc"); o["kind"] = "Secret"; return o }(), ""},
		{"other group", func() map[string]any { o := pod("apps", "edge", "runc"); o["apiVersion"] = "example.com/v1"; return o }(), ""},
	} {
		got, err := p.Review(c.obj)
		if err != nil {
			t.Fatal(err)
		}
		if (c.want == "") != (len(got) == 0) || (c.want != "" && !strings.Contains(got[0], c.want)) {
			t.Errorf("%s: violations %q, want %q", c.name, got, c.want)
		}
	}
}

func TestNewPolicyErrors(t *testing.T) {
	for name, c := range map[string][2]string{
		"misspelled field":  {strings.Replace(template, "targets:", "target:", 1), constraint},
		"wrong kind":        {template, strings.Replace(constraint, "kind: NeedClass", "kind: Other", 1)},
		"rego syntax error": {strings.Replace(template, "violation[", "violation[[", 1), constraint},
		"not a template":    {strings.Replace(template, "ConstraintTemplate", "Template", 1), constraint},
	} {
		if _, err := NewPolicy([]byte(c[0]), []byte(c[1])); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDecodeIsStrict(t *testing.T) {
	if _, kind, err := Decode([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n")); err != nil || kind != "Pod" {
		t.Fatalf("valid pod: %v %s", err, kind)
	}
	if _, _, err := Decode([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containerz: []}\n")); err == nil {
		t.Error("unknown field decoded")
	}
	if _, _, err := Decode([]byte("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")); err == nil {
		t.Error("a group outside the scheme decoded")
	}
}

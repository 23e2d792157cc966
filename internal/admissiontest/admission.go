// Package admissiontest checks emitted Kubernetes files the way a cluster would take them:
// strict decoding with the Kubernetes scheme (unknown or duplicate fields fail), strict
// decoding of Gatekeeper's ConstraintTemplate and constraint against mirrors of their CRDs,
// and Gatekeeper's admission decision — the constraint's match, then the template's Rego
// evaluated with the OPA Go library on an admission review — without a cluster.
//
// It is for tests (of plan/manifest, plan and the CLI), and it does not import the packages
// it checks, so their own tests can use it.
package admissiontest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Scheme knows the API groups strata emits (core, apps, batch, node, networking,
// admissionregistration) and nothing else, so an object of another group fails to decode.
var Scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, nodev1.AddToScheme, networkingv1.AddToScheme,
		admissionregistrationv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// Decoder decodes YAML or JSON with [Scheme] and fails on unknown or duplicate fields.
var Decoder = serializer.NewCodecFactory(Scheme, serializer.EnableStrict).UniversalDeserializer()

// Decode decodes one Kubernetes object strictly.
func Decode(data []byte) (runtime.Object, string, error) {
	obj, gvk, err := Decoder.Decode(data, nil, nil)
	if err != nil {
		return nil, "", err
	}
	return obj, gvk.Kind, nil
}

// StrictYAML decodes YAML into v as the API server decodes JSON: field names match case
// sensitively, and unknown or duplicate fields are errors.
func StrictYAML(data []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, v)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// Template mirrors templates.gatekeeper.sh/v1 ConstraintTemplate (the fields Gatekeeper's
// CRD defines), so that [StrictYAML] catches a misspelled field in an unstructured map.
type Template struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       struct {
		CRD struct {
			Spec struct {
				Names struct {
					Kind       string   `json:"kind"`
					ShortNames []string `json:"shortNames,omitempty"`
				} `json:"names"`
				Validation struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					LegacySchema    *bool          `json:"legacySchema,omitempty"`
				} `json:"validation"`
			} `json:"spec"`
		} `json:"crd"`
		Targets []struct {
			Target string   `json:"target"`
			Rego   string   `json:"rego"`
			Libs   []string `json:"libs,omitempty"`
			Code   []any    `json:"code,omitempty"`
		} `json:"targets"`
	} `json:"spec"`
}

// Constraint mirrors a Gatekeeper constraint (constraints.gatekeeper.sh/v1beta1).
type Constraint struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       struct {
		EnforcementAction string `json:"enforcementAction"`
		Match             struct {
			Kinds []struct {
				APIGroups []string `json:"apiGroups"`
				Kinds     []string `json:"kinds"`
			} `json:"kinds"`
			Scope              string                `json:"scope,omitempty"`
			Namespaces         []string              `json:"namespaces,omitempty"`
			ExcludedNamespaces []string              `json:"excludedNamespaces,omitempty"`
			LabelSelector      *metav1.LabelSelector `json:"labelSelector,omitempty"`
			NamespaceSelector  *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
			Name               string                `json:"name,omitempty"`
		} `json:"match"`
		Parameters map[string]any `json:"parameters"`
	} `json:"spec"`
}

// Policy is a ConstraintTemplate's Rego, compiled as Gatekeeper compiles it (Rego v0,
// query data.<package>.violation), with one constraint of the template's kind.
type Policy struct {
	Template   Template
	Constraint Constraint
	query      rego.PreparedEvalQuery
}

// NewPolicy decodes a template and a constraint strictly, checks that the constraint is of
// the template's kind, and compiles the template's Rego.
func NewPolicy(template, constraint []byte) (*Policy, error) {
	p := &Policy{}
	if err := StrictYAML(template, &p.Template); err != nil {
		return nil, fmt.Errorf("ConstraintTemplate: %w", err)
	}
	if err := StrictYAML(constraint, &p.Constraint); err != nil {
		return nil, fmt.Errorf("constraint: %w", err)
	}
	if p.Template.APIVersion != "templates.gatekeeper.sh/v1" || p.Template.Kind != "ConstraintTemplate" {
		return nil, fmt.Errorf("template is %s %s, not templates.gatekeeper.sh/v1 ConstraintTemplate", p.Template.APIVersion, p.Template.Kind)
	}
	if want := p.Template.Spec.CRD.Spec.Names.Kind; p.Constraint.Kind != want || p.Constraint.APIVersion != "constraints.gatekeeper.sh/v1beta1" {
		return nil, fmt.Errorf("constraint is %s %s, not constraints.gatekeeper.sh/v1beta1 %s", p.Constraint.APIVersion, p.Constraint.Kind, want)
	}
	if len(p.Template.Spec.Targets) != 1 {
		return nil, fmt.Errorf("template has %d targets, want 1", len(p.Template.Spec.Targets))
	}
	src := p.Template.Spec.Targets[0].Rego
	m, err := ast.ParseModuleWithOpts("template.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV0})
	if err != nil {
		return nil, fmt.Errorf("template Rego: %w", err)
	}
	p.query, err = rego.New(
		rego.Query(m.Package.Path.String()+".violation"),
		rego.Module("template.rego", src),
		rego.SetRegoVersion(ast.RegoV0),
	).PrepareForEval(context.Background())
	if err != nil {
		return nil, fmt.Errorf("compile the template's Rego: %w", err)
	}
	return p, nil
}

// Matches reports whether the constraint selects obj, as Gatekeeper decides before it runs
// the Rego: by group and kind, namespace, and the object's labels.
func (p *Policy) Matches(obj map[string]any) bool {
	m := p.Constraint.Spec.Match
	group, _ := groupVersion(obj)
	kind, _ := obj["kind"].(string)
	if len(m.Kinds) > 0 && !slices.ContainsFunc(m.Kinds, func(k struct {
		APIGroups []string `json:"apiGroups"`
		Kinds     []string `json:"kinds"`
	}) bool {
		return (slices.Contains(k.APIGroups, group) || slices.Contains(k.APIGroups, "*")) &&
			(slices.Contains(k.Kinds, kind) || slices.Contains(k.Kinds, "*"))
	}) {
		return false
	}
	meta, _ := obj["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	if kind == "Namespace" && group == "" {
		ns, _ = meta["name"].(string)
	}
	// Gatekeeper matches a cluster-scoped object other than a Namespace whatever the
	// namespaces and excludedNamespaces say: it has no namespace to disqualify it.
	if ns != "" && len(m.Namespaces) > 0 && !slices.Contains(m.Namespaces, ns) {
		return false
	}
	if ns != "" && slices.Contains(m.ExcludedNamespaces, ns) {
		return false
	}
	if m.LabelSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(m.LabelSelector)
		if err != nil {
			return false
		}
		set := labels.Set{}
		if l, ok := meta["labels"].(map[string]any); ok {
			for k, v := range l {
				set[k], _ = v.(string)
			}
		}
		if !sel.Matches(set) {
			return false
		}
	}
	return true
}

// Review is Gatekeeper's decision on creating obj: the violation messages when the
// constraint selects it, none when it does not.
func (p *Policy) Review(obj map[string]any) ([]string, error) {
	if !p.Matches(obj) {
		return nil, nil
	}
	return p.Violations(obj, p.Constraint.Spec.Parameters)
}

// Violations evaluates the Rego on an admission review of obj with the given parameters,
// whether or not the constraint selects obj.
func (p *Policy) Violations(obj, params map[string]any) ([]string, error) {
	group, version := groupVersion(obj)
	meta, _ := obj["metadata"].(map[string]any)
	input := map[string]any{
		"review": map[string]any{ // Gatekeeper's admission review (an AdmissionRequest)
			"kind":      map[string]any{"group": group, "version": version, "kind": obj["kind"]},
			"operation": "CREATE",
			"name":      meta["name"],
			"namespace": meta["namespace"],
			"object":    obj,
		},
		"parameters": params,
	}
	rs, err := p.query.Eval(context.Background(), rego.EvalInput(input))
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, fmt.Errorf("result set %v: want one expression", rs)
	}
	list, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return nil, fmt.Errorf("violation is %T, want a set", rs[0].Expressions[0].Value)
	}
	var msgs []string
	for _, v := range list {
		m, _ := v.(map[string]any)
		msg, ok := m["msg"].(string)
		if !ok {
			return nil, fmt.Errorf("violation %v has no msg", v)
		}
		msgs = append(msgs, msg)
	}
	slices.Sort(msgs)
	return msgs, nil
}

func groupVersion(obj map[string]any) (group, version string) {
	av, _ := obj["apiVersion"].(string)
	group, version, ok := strings.Cut(av, "/")
	if !ok {
		return "", group
	}
	return group, version
}

// PodSpec returns the pod spec inside a Pod, a pod-template carrier or a CronJob, or nil.
func PodSpec(obj map[string]any) map[string]any {
	spec, _ := obj["spec"].(map[string]any)
	if obj["kind"] == "Pod" {
		return spec
	}
	if obj["kind"] == "CronJob" {
		jt, _ := spec["jobTemplate"].(map[string]any)
		spec, _ = jt["spec"].(map[string]any)
	}
	tmpl, _ := spec["template"].(map[string]any)
	ps, _ := tmpl["spec"].(map[string]any)
	return ps
}

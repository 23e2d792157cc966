package manifest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// gkTemplate mirrors templates.gatekeeper.sh/v1 ConstraintTemplate (the fields Gatekeeper's
// CRD defines), so that a strict decode catches a misspelled field in the unstructured map.
type gkTemplate struct {
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

// gkConstraint mirrors a Gatekeeper constraint (constraints.gatekeeper.sh/v1beta1).
type gkConstraint struct {
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

// TestGatekeeperObjects decodes the template and constraint strictly, validates the
// constraint's parameters against the template's schema, and checks that the constraint
// matches the workload it was built for, as Gatekeeper would before running the Rego.
func TestGatekeeperObjects(t *testing.T) {
	for _, tc := range cases {
		if tc.choice.Coordinates.Z < 2 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			objs := buildCase(t, tc.choice)
			var tmpl gkTemplate
			if err := strictYAML(find(t, objs, "ConstraintTemplate").YAML, &tmpl); err != nil {
				t.Fatalf("template: %v", err)
			}
			if tmpl.APIVersion != "templates.gatekeeper.sh/v1" || tmpl.Kind != "ConstraintTemplate" {
				t.Errorf("template type %s %s", tmpl.APIVersion, tmpl.Kind)
			}
			if tmpl.Metadata.Name != strings.ToLower(tmpl.Spec.CRD.Spec.Names.Kind) {
				t.Errorf("template name %q is not its kind %q in lowercase", tmpl.Metadata.Name, tmpl.Spec.CRD.Spec.Names.Kind)
			}
			if len(tmpl.Spec.Targets) != 1 || tmpl.Spec.Targets[0].Target != GatekeeperTarget || tmpl.Spec.Targets[0].Rego != Rego {
				t.Errorf("targets %+v", tmpl.Spec.Targets)
			}

			var cons gkConstraint
			if err := strictYAML(find(t, objs, ConstraintKind).YAML, &cons); err != nil {
				t.Fatalf("constraint: %v", err)
			}
			if cons.APIVersion != "constraints.gatekeeper.sh/v1beta1" || cons.Kind != tmpl.Spec.CRD.Spec.Names.Kind {
				t.Errorf("constraint type %s %s", cons.APIVersion, cons.Kind)
			}

			// Parameters: valid against the schema, and no key the schema lacks (Gatekeeper
			// would prune it silently).
			schema := tmpl.Spec.CRD.Spec.Validation.OpenAPIV3Schema
			c := jsonschema.NewCompiler()
			if err := c.AddResource("params.json", schema); err != nil {
				t.Fatal(err)
			}
			sch, err := c.Compile("params.json")
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(cons.Spec.Parameters); err != nil {
				t.Errorf("parameters do not fit the template's schema: %v", err)
			}
			props := schema["properties"].(map[string]any)
			for k := range cons.Spec.Parameters {
				if _, ok := props[k]; !ok {
					t.Errorf("parameter %q is not in the template's schema", k)
				}
			}
			allowed := cons.Spec.Parameters["allowed"].([]any)
			if !slices.Contains(allowed, any(podRuntimeClass(tc.choice))) {
				t.Errorf("allowed %v lacks the chosen class %s", allowed, podRuntimeClass(tc.choice))
			}

			// Match: the workload's kind, namespace and labels.
			wl := find(t, objs, tc.choice.Kind)
			group := map[string]string{KindDeployment: "apps", KindJob: "batch", KindPod: ""}[tc.choice.Kind]
			kindMatched := false
			for _, k := range cons.Spec.Match.Kinds {
				if slices.Contains(k.APIGroups, group) && slices.Contains(k.Kinds, tc.choice.Kind) {
					kindMatched = true
				}
			}
			if !kindMatched {
				t.Errorf("match.kinds %+v miss %s/%s", cons.Spec.Match.Kinds, group, tc.choice.Kind)
			}
			ns := tc.choice.Namespace
			if ns == "" {
				ns = "default"
			}
			if !slices.Contains(cons.Spec.Match.Namespaces, ns) {
				t.Errorf("match.namespaces %v miss %s", cons.Spec.Match.Namespaces, ns)
			}
			sel, err := metav1.LabelSelectorAsSelector(cons.Spec.Match.LabelSelector)
			if err != nil {
				t.Fatal(err)
			}
			var meta struct {
				Metadata metav1.ObjectMeta `json:"metadata"`
			}
			if err := yaml.Unmarshal(wl.YAML, &meta); err != nil {
				t.Fatal(err)
			}
			if !sel.Matches(labels.Set(meta.Metadata.Labels)) {
				t.Errorf("labelSelector %v does not select the workload's labels %v", sel, meta.Metadata.Labels)
			}
		})
	}
}

// TestGatekeeperDecodeIsStrict proves the mirror decode above rejects a misspelled field.
func TestGatekeeperDecodeIsStrict(t *testing.T) {
	objs := buildCase(t, cases[0].choice)
	for _, tc := range []struct {
		kind, field, typo string
		into              any
	}{
		{"ConstraintTemplate", "openAPIV3Schema:", "openAPIv3Schema:", &gkTemplate{}}, // case matters
		{"ConstraintTemplate", "target:", "targt:", &gkTemplate{}},
		{ConstraintKind, "labelSelector:", "labelselector:", &gkConstraint{}},
		{ConstraintKind, "enforcementAction:", "enforcement:", &gkConstraint{}},
	} {
		bad := strings.Replace(string(find(t, objs, tc.kind).YAML), tc.field, tc.typo, 1)
		if err := strictYAML([]byte(bad), tc.into); err == nil {
			t.Errorf("%s with %s decoded", tc.kind, tc.typo)
		}
	}
}

// strictYAML decodes YAML into v as the API server decodes JSON: field names match case
// sensitively, and unknown or duplicate fields are errors.
func strictYAML(data []byte, v any) error {
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

// podRuntimeClass is the class the Choice's pods run under.
func podRuntimeClass(c Choice) string {
	if c.Runtime.Class != "" {
		return c.Runtime.Class
	}
	return c.Runtime.Handler
}

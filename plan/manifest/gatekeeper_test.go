package manifest

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/internal/admissiontest"

	"github.com/santhosh-tekuri/jsonschema/v6"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// TestGatekeeperObjects decodes the template and constraint strictly, validates the
// constraint's parameters against the template's schema, and checks that the constraint
// matches the workload it was built for, as Gatekeeper would before running the Rego.
func TestGatekeeperObjects(t *testing.T) {
	for _, tc := range cases {
		if !slices.Contains(tc.choice.Policy.Objects, PolicyGatekeeperRuntimeClasses) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			objs := buildCase(t, tc.choice)
			var tmpl admissiontest.Template
			if err := admissiontest.StrictYAML(find(t, objs, "ConstraintTemplate").YAML, &tmpl); err != nil {
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

			var cons admissiontest.Constraint
			if err := admissiontest.StrictYAML(find(t, objs, ConstraintKind).YAML, &cons); err != nil {
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
			wl := workloadObj(t, objs)
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
			// No match.labelSelector: it would look at a controller's own labels, which a
			// Deployment may leave off while its pods keep the workload label.
			if cons.Spec.Match.LabelSelector != nil {
				t.Errorf("match.labelSelector %v: select in the Rego, by the pod template's labels", cons.Spec.Match.LabelSelector)
			}
			var meta struct {
				Spec struct {
					Template struct {
						Metadata metav1.ObjectMeta `json:"metadata"`
					} `json:"template"`
				} `json:"spec"`
				Metadata metav1.ObjectMeta `json:"metadata"`
			}
			if err := yaml.Unmarshal(wl.YAML, &meta); err != nil {
				t.Fatal(err)
			}
			podLabels := meta.Spec.Template.Metadata.Labels
			if tc.choice.Kind == KindPod {
				podLabels = meta.Metadata.Labels
			}
			sel := labels.SelectorFromSet(labels.Set(toStrings(cons.Spec.Parameters["matchLabels"])))
			if !sel.Matches(labels.Set(podLabels)) {
				t.Errorf("matchLabels %v do not select the workload's pod labels %v", sel, podLabels)
			}
		})
	}
}

func toStrings(v any) map[string]string {
	out := map[string]string{}
	m, _ := v.(map[string]any)
	for k, x := range m {
		out[k], _ = x.(string)
	}
	return out
}

// TestGatekeeperDecodeIsStrict proves the mirror decode above rejects a misspelled field.
func TestGatekeeperDecodeIsStrict(t *testing.T) {
	objs := buildCase(t, cases[0].choice)
	for _, tc := range []struct {
		kind, field, typo string
		into              any
	}{
		{"ConstraintTemplate", "openAPIV3Schema:", "openAPIv3Schema:", &admissiontest.Template{}}, // case matters
		{"ConstraintTemplate", "target:", "targt:", &admissiontest.Template{}},
		{ConstraintKind, "namespaces:", "namespace:", &admissiontest.Constraint{}},
		{ConstraintKind, "enforcementAction:", "enforcement:", &admissiontest.Constraint{}},
	} {
		bad := strings.Replace(string(find(t, objs, tc.kind).YAML), tc.field, tc.typo, 1)
		if err := admissiontest.StrictYAML([]byte(bad), tc.into); err == nil {
			t.Errorf("%s with %s decoded", tc.kind, tc.typo)
		}
	}
}

// podRuntimeClass is the class the Choice's pods run under.
func podRuntimeClass(c Choice) string {
	if c.Runtime.Class != "" {
		return c.Runtime.Class
	}
	return c.Runtime.Handler
}

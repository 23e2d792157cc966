package plan_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/internal/admissiontest"
	"github.com/strata-dev/strata/plan/manifest"
)

// TestKarmadaDecodesStrictly decodes the emitted propagation policies of the seed's
// Karmada + WasmEdge = (3, 4, 3) with Karmada's own API types, failing on any field Karmada
// does not define, and checks that they place every emitted cluster object on the member
// clusters that offer the layer and the handler.
func TestKarmadaDecodesStrictly(t *testing.T) {
	dir := filepath.Join("testdata", "emit", "karmada-wasm")
	read := func(name string) []byte {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	var cpp policyv1alpha1.ClusterPropagationPolicy
	if err := admissiontest.StrictYAML(read("70-clusterpropagationpolicy-karmada-wasm.yaml"), &cpp); err != nil {
		t.Fatalf("ClusterPropagationPolicy: %v", err)
	}
	var pp policyv1alpha1.PropagationPolicy
	if err := admissiontest.StrictYAML(read("71-propagationpolicy-karmada-wasm.yaml"), &pp); err != nil {
		t.Fatalf("PropagationPolicy: %v", err)
	}
	if cpp.APIVersion != policyv1alpha1.GroupVersion.String() || cpp.Kind != "ClusterPropagationPolicy" ||
		pp.APIVersion != policyv1alpha1.GroupVersion.String() || pp.Kind != "PropagationPolicy" {
		t.Errorf("types %s %s, %s %s", cpp.APIVersion, cpp.Kind, pp.APIVersion, pp.Kind)
	}
	want := map[string]string{manifest.ClusterLayerLabel("L-4"): "true", manifest.ClusterRuntimeLabel("wasmedge"): "true"}
	for name, spec := range map[string]policyv1alpha1.PropagationSpec{"cluster": cpp.Spec, "namespaced": pp.Spec} {
		aff := spec.Placement.ClusterAffinity
		if aff == nil || aff.LabelSelector == nil || len(aff.LabelSelector.MatchLabels) != len(want) {
			t.Fatalf("%s: placement %+v", name, spec.Placement)
		}
		for k, v := range want {
			if aff.LabelSelector.MatchLabels[k] != v {
				t.Errorf("%s: clusters are not selected by %s=%s: %v", name, k, v, aff.LabelSelector.MatchLabels)
			}
		}
	}
	selected := map[string]bool{}
	for _, s := range append(cpp.Spec.ResourceSelectors, pp.Spec.ResourceSelectors...) {
		selected[s.Kind+"/"+s.Name] = true
	}
	files, _ := filepath.Glob(filepath.Join(dir, "[1-6]*.yaml"))
	for _, f := range files {
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(read(filepath.Base(f)), &head); err != nil {
			t.Fatal(err)
		}
		if !selected[head.Kind+"/"+head.Metadata.Name] {
			t.Errorf("%s (%s %s) is not propagated", filepath.Base(f), head.Kind, head.Metadata.Name)
		}
	}
	if !pp.Spec.PropagateDeps {
		t.Error("the workload's dependencies do not go with it")
	}
	// The decode is strict: a misspelt field fails.
	bad := strings.Replace(string(read("71-propagationpolicy-karmada-wasm.yaml")), "clusterAffinity:", "clusterAfinity:", 1)
	if err := admissiontest.StrictYAML([]byte(bad), &pp); err == nil {
		t.Error("a misspelt clusterAffinity decoded")
	}
}

package fleet

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestApplyWaves: within a tier, an object given again as it was given just before is
// dropped, one given again with other content goes into the wave after its previous
// version (so the content given last is applied last), and the waves keep the order
// given; objects of other names, namespaces or resources never wait for each other.
func TestApplyWaves(t *testing.T) {
	cm := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	sec := schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	item := func(gvr schema.GroupVersionResource, ns, name, body string) *applyItem {
		u := &unstructured.Unstructured{}
		u.SetName(name)
		return &applyItem{file: fmt.Sprintf("%s/%s/%s=%s", gvr.Resource, ns, name, body), u: u, ns: ns,
			mapping: &meta.RESTMapping{Resource: gvr}, body: []byte(body)}
	}
	items := []*applyItem{
		item(cm, "a", "x", "1"),
		item(cm, "a", "x", "1"),  // alike: dropped
		item(cm, "b", "x", "1"),  // another namespace
		item(sec, "a", "x", "1"), // another resource
		item(cm, "a", "x", "2"),  // other content: next wave
		item(cm, "a", "y", "1"),
		item(cm, "a", "x", "2"), // alike the version before: dropped
		item(cm, "a", "x", "1"), // the first content again, given after the second: third wave
		item(cm, "a", "y", "1"), // alike: dropped
	}
	var got [][]string
	for _, w := range applyWaves(items) {
		var files []string
		for _, it := range w {
			files = append(files, it.file)
		}
		got = append(got, files)
	}
	want := [][]string{
		{"configmaps/a/x=1", "configmaps/b/x=1", "secrets/a/x=1", "configmaps/a/y=1"},
		{"configmaps/a/x=2"},
		{"configmaps/a/x=1"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("waves\n got  %q\n want %q", got, want)
	}
}

package manifest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"maps"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/compile"
	"github.com/open-policy-agent/opa/v1/rego"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/internal/admissiontest"
)

// evalRego evaluates query on a Rego v1 module (as OPA 1.x reads it) with input.
func evalRego(t *testing.T, module, query string, input any) any {
	t.Helper()
	rs, err := rego.New(rego.Query(query), rego.Module("policy.rego", module), rego.Input(input)).Eval(context.Background())
	if err != nil {
		t.Fatalf("eval %s: %v\n%s", query, err, module)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		t.Fatalf("result %v", rs)
	}
	return rs[0].Expressions[0].Value
}

// caseNamed returns a case's Choice.
func caseNamed(t *testing.T, name string) Choice {
	t.Helper()
	for _, c := range cases {
		if c.name == name {
			return c.choice
		}
	}
	t.Fatalf("no case %s", name)
	return Choice{}
}

// clonePod deep-copies a decoded object.
func clonePod(t *testing.T, obj map[string]any) map[string]any {
	t.Helper()
	data, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := yaml.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOPAAdmission evaluates the kube-mgmt admission policy OPA enforces in a cluster (the
// seed's K3s + OPA) on admission reviews of the emitted workload and of variants.
func TestOPAAdmission(t *testing.T) {
	objs := buildCase(t, caseNamed(t, "opa-admission"))
	cm := findFile(t, objs, "25-configmap-").Obj.(*corev1.ConfigMap)
	if cm.Labels[OPAPolicyLabel] != "rego" {
		t.Errorf("labels %v: kube-mgmt loads policies labelled %s=rego", cm.Labels, OPAPolicyLabel)
	}
	module := cm.Data["policy.rego"]
	var wl map[string]any
	if err := yaml.Unmarshal(workloadObj(t, objs).YAML, &wl); err != nil {
		t.Fatal(err)
	}
	review := func(obj map[string]any, ns string) []any {
		group, _, ok := strings.Cut(obj["apiVersion"].(string), "/")
		if !ok {
			group = ""
		}
		in := map[string]any{"request": map[string]any{"kind": map[string]any{"group": group, "kind": obj["kind"]}, "namespace": ns, "object": obj}}
		v, _ := evalRego(t, module, "data.kubernetes.admission.deny", in).([]any)
		return v
	}
	if d := review(wl, "apps"); len(d) != 0 {
		t.Errorf("the emitted workload is denied: %v", d)
	}
	weaker := clonePod(t, wl)
	admissiontest.PodSpec(weaker)["runtimeClassName"] = "kata-fc"
	if d := review(weaker, "apps"); len(d) != 1 || !strings.Contains(d[0].(string), `runtimeClassName "kata-fc" is not allowed`) {
		t.Errorf("kata-fc: %v", d)
	}
	bypass := clonePod(t, weaker)
	delete(bypass["metadata"].(map[string]any), "labels")
	labels := bypass["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any)
	for k := range maps.Clone(labels) {
		if k != LabelWorkload {
			delete(labels, k)
		}
	}
	if d := review(bypass, "apps"); len(d) != 1 {
		t.Errorf("the label-dropping bypass: %v", d)
	}
	if d := review(weaker, "other"); len(d) != 0 {
		t.Errorf("another namespace's pods are denied: %v", d)
	}
	labels[LabelWorkload] = "other"
	if d := review(bypass, "apps"); len(d) != 0 {
		t.Errorf("another workload's pods are denied: %v", d)
	}
	// The allowed classes keep their handlers: a class created again under runc is denied.
	rc := findFile(t, objs, "10-runtimeclass-").Obj.(*nodev1.RuntimeClass)
	class := func(name, handler string) map[string]any {
		return map[string]any{"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": map[string]any{"name": name}, "handler": handler}
	}
	if d := review(class(rc.Name, "runc"), ""); len(d) != 1 || !strings.Contains(d[0].(string), fmt.Sprintf(`RuntimeClass %s: handler "runc" is not the handler %q`, rc.Name, rc.Handler)) {
		t.Errorf("RuntimeClass %s created again with handler runc: %v", rc.Name, d)
	}
	if d := review(class(rc.Name, rc.Handler), ""); len(d) != 0 {
		t.Errorf("the emitted RuntimeClass is denied: %v", d)
	}
	if d := review(class("runc", "runc"), ""); len(d) != 0 {
		t.Errorf("a class the workload may not use is denied: %v", d)
	}
}

// TestOPADockerAuthz evaluates the Docker authorization policy on the requests Docker's
// opa-docker-authz plugin sends.
func TestOPADockerAuthz(t *testing.T) {
	objs := buildCase(t, caseNamed(t, "docker"))
	module := string(find(t, objs, KindOPAPolicy).YAML)
	request := func(method, path, workload, runtime string) map[string]any {
		return map[string]any{"Method": method, "Path": path, "Body": map[string]any{
			"Labels": map[string]any{LabelWorkload: workload}, "HostConfig": map[string]any{"Runtime": runtime}}}
	}
	for _, tc := range []struct {
		name string
		in   map[string]any
		want bool
	}{
		{"the workload under its runtime", request("POST", "/v1.43/containers/create?name=solo", "solo", "runsc"), true},
		{"the workload under runc", request("POST", "/v1.43/containers/create?name=solo", "solo", "runc"), false},
		{"the workload with no runtime (the daemon's default)", request("POST", "/containers/create", "solo", ""), false},
		{"another workload under runc", request("POST", "/v1.43/containers/create", "other", "runc"), true},
		{"listing containers", map[string]any{"Method": "GET", "Path": "/v1.43/containers/json"}, true},
	} {
		if got := evalRego(t, module, "data.docker.authz.allow", tc.in); got != tc.want {
			t.Errorf("%s: allow = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestOPAWasm evaluates the invocation policy and compiles it to Wasm with OPA's own
// compiler (opa build -t wasm), as the header tells the platform to.
func TestOPAWasm(t *testing.T) {
	objs := buildCase(t, caseNamed(t, "serverless"))
	cm := findFile(t, objs, "26-configmap-").Obj.(*corev1.ConfigMap)
	module := cm.Data["policy.rego"]
	for class, want := range map[string]bool{"wasmedge": true, "gvisor": true, "runc": false, "": false} {
		in := map[string]any{"workload": "thumbnailer", "namespace": "default", "runtimeClassName": class}
		if got := evalRego(t, module, "data.strata.invoke.allow", in); got != want {
			t.Errorf("runtime class %q: allow = %v, want %v", class, got, want)
		}
	}
	if got := evalRego(t, module, "data.strata.invoke.allow", map[string]any{"workload": "other", "namespace": "default", "runtimeClassName": "wasmedge"}); got != false {
		t.Errorf("another workload is allowed")
	}
	var out bytes.Buffer
	c := compile.New().WithTarget(compile.TargetWasm).WithEntrypoints(OPAWasmEntrypoint).
		WithFS(fstest.MapFS{"policy.rego": {Data: []byte(module)}}).WithPaths(".").WithOutput(&out)
	if err := c.Build(context.Background()); err != nil {
		t.Fatalf("opa build -t wasm: %v", err)
	}
	gz, err := gzip.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(h.Name, "policy.wasm") {
			data, _ := io.ReadAll(tr)
			found = bytes.HasPrefix(data, []byte("\x00asm"))
		}
	}
	if !found {
		t.Error("the bundle has no policy.wasm module")
	}
}

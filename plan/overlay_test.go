package plan_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

// newTechnologies adds, by overlay only, a runtime, an orchestrator and a policy engine the
// Go code has never heard of; the planner must choose them and the files must use them.
const newTechnologies = `apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: new-technologies}
spec:
  category: technology
  items:
    - id: youki
      names: {en: youki}
      attributes:
        handler: youki
        runtime-type: io.containerd.runc.v2
        containerd-options: [BinaryName=/usr/local/bin/youki]
        node-needs: ["Needs youki in /usr/local/bin."]
        startup-ms: 30
        workload-footprint-mb: 3
        capabilities: [oci]
        since: 2022
      relations: {represents: L-3}
    - id: k0s
      names: {en: k0s}
      attributes:
        node-footprint-mb: 256
        capabilities: [high-availability, autoscaling, edge, kubernetes-api]
        since: 2020
        default-runtime: runc
        manifests: kubernetes
        runtime-config: containerd
        runtime-config-path: /etc/k0s/containerd.d/strata-{handler}.toml
      relations: {represents: X2}
    - id: corp-admission
      names: {en: Corp admission controller}
      attributes:
        since: 2018
        orchestrator-needs: [kubernetes-api]
        capabilities: [admission]
        policy-objects: [gatekeeper-runtime-classes]
      relations: {represents: Z3}
`

func TestOverlayAddsTechnologies(t *testing.T) {
	p := planner(t, network.File{Name: "new.yaml", Data: []byte(newTechnologies)})
	w := readOne(t, `apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: {name: api}
spec: {image: ghcr.io/example/api:1, artifact: oci, startupBudget: 50ms, policy: application, sites: [edge]}
`)
	pl, err := p.Plan(w)
	if err != nil {
		t.Fatal(err)
	}
	for role, want := range map[string]string{plan.RoleOrchestrator: "k0s", plan.RoleRuntime: "youki", plan.RolePolicy: "corp-admission"} {
		if got := pl.Technology(role); got != want {
			t.Errorf("%s: %s, want %s (plan %v)", role, got, want, pl.Technologies())
		}
	}
	if want := (plan.Coordinates{X: 2, Y: 3, Z: 3}); pl.Coordinates != want {
		t.Errorf("planned at %v, want %v", pl.Coordinates, want)
	}
	objs, err := p.Emit(pl, w, plan.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var node, rc, cons []byte
	for _, o := range objs {
		switch o.Kind {
		case manifest.KindContainerdConfig:
			node = o.YAML
			if o.Target != "/etc/k0s/containerd.d/strata-youki.toml" {
				t.Errorf("node file target %s, want k0s's drop-in", o.Target)
			}
		case "RuntimeClass":
			rc = o.YAML
		case manifest.ConstraintKind:
			cons = o.YAML
		}
	}
	for what, want := range map[string]string{
		"runtime table": `containerd.runtimes.youki]`, "shim": `runtime_type = "io.containerd.runc.v2"`,
		"binary": `BinaryName = "/usr/local/bin/youki"`, "node note": "# Needs youki in /usr/local/bin.",
	} {
		if !bytes.Contains(node, []byte(want)) {
			t.Errorf("node file lacks the %s %q:\n%s", what, want, node)
		}
	}
	var class struct{ Handler string }
	if err := yaml.Unmarshal(rc, &class); err != nil || class.Handler != "youki" {
		t.Errorf("RuntimeClass handler %q (%v)", class.Handler, err)
	}
	if !bytes.Contains(cons, []byte(manifest.LabelPolicyEngine+": corp-admission")) {
		t.Errorf("the constraint does not name the engine that enforces it:\n%s", cons)
	}
	containerdAccepts(t, node, "youki", "io.containerd.runc.v2", "/usr/local/bin/youki")

	// An orchestrator whose files strata cannot write is refused with the reason.
	nomad := strings.ReplaceAll(strings.ReplaceAll(newTechnologies, "id: k0s", "id: nomad"), "manifests: kubernetes", "manifests: nomad")
	p = planner(t, network.File{Name: "nomad.yaml", Data: []byte(nomad)})
	pl, err = p.Plan(w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Emit(pl, w, plan.EmitOptions{}); err == nil || !strings.Contains(err.Error(), `nomad's manifests "nomad" is not a format strata writes`) {
		t.Errorf("nomad: %v", err)
	}
}

// containerdAccepts loads a node file with the installed containerd (config dump) and checks
// the runtime it registers, where containerd 1.x is installed (scripts/setup-*.sh installs
// it); containerd 2.x reads version 3 files, which TestContainerdAcceptsEmitted skips.
func containerdAccepts(t *testing.T, toml []byte, handler, shim, binary string) {
	t.Helper()
	bin, err := exec.LookPath("containerd")
	if err != nil {
		t.Log("containerd is not installed (scripts/setup-emit.sh installs it): config dump skipped")
		return
	}
	f := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(f, toml, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--config", f, "config", "dump").CombinedOutput()
	if err != nil {
		t.Fatalf("containerd --config %s config dump: %v\n%s\n%s", f, err, out, toml)
	}
	dump := string(out)
	table := `.containerd.runtimes.` + handler + `]`
	i := strings.Index(dump, table)
	if i < 0 {
		t.Fatalf("containerd's dump has no %s table:\n%s", handler, dump)
	}
	section := dump[i:]
	if j := strings.Index(section[len(table):], "\n        [plugins."); j >= 0 && !strings.Contains(section[:len(table)+j], "runtime_type") {
		section = section[:len(table)+j]
	}
	for _, want := range []string{`runtime_type = "` + shim + `"`, binary} {
		if want != "" && !strings.Contains(section, want) {
			t.Errorf("containerd's dump of the %s table lacks %q:\n%s", handler, want, section)
		}
	}
}

// TestContainerdAcceptsEmitted loads every plain containerd node file of the emitted goldens
// (version 2, as containerd 1.x reads it) with the real containerd.
func TestContainerdAcceptsEmitted(t *testing.T) {
	files, _ := filepath.Glob("testdata/emit/*/00-containerd-*.toml")
	if len(files) == 0 {
		t.Fatal("no node files among the goldens")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Plugins map[string]struct {
				Containerd struct {
					Runtimes map[string]struct {
						RuntimeType string            `toml:"runtime_type"`
						Options     map[string]string `toml:"options"`
					} `toml:"runtimes"`
				} `toml:"containerd"`
			} `toml:"plugins"`
		}
		if err := tomlDecode(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, plug := range doc.Plugins {
			for handler, rt := range plug.Containerd.Runtimes {
				t.Run(f, func(t *testing.T) { containerdAccepts(t, data, handler, rt.RuntimeType, rt.Options["BinaryName"]) })
			}
		}
	}
}

func tomlDecode(data []byte, v any) error {
	_, err := toml.Decode(string(data), v)
	return err
}

// TestOverlayBadValuesLocated: values an overlay gives WasmEdge that cannot be emitted are
// refused where they were declared: an option that is not KEY=VALUE (not written as an
// empty option), and values the manifest package refuses (a runtime type, an option
// value, a pod annotation), each with the overlay's file:line of its attribute; so is an
// object set strata does not write.
func TestOverlayBadValuesLocated(t *testing.T) {
	for _, tc := range []struct{ attrs, want string }{
		{`{containerd-options: [ConfigPath]}`, `WasmEdge's containerd-options item "ConfigPath" is not KEY=VALUE (bad.yaml:7)`},
		{`{runtime-type: "bad type!"}`, "Runtime.RuntimeType is WasmEdge's runtime-type (bad.yaml:7)"},
		{`{containerd-options: ["ConfigPath=a\u0007b"]}`, "Runtime.Options is WasmEdge's containerd-options (bad.yaml:7)"},
		{`{containerd-pod-annotations: ["a\"b"]}`, "Runtime.PodAnnotations is WasmEdge's containerd-pod-annotations (bad.yaml:7)"},
	} {
		p := planner(t, network.File{Name: "bad.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: bad}
spec:
  category: technology
  items:
    - {id: WasmEdge, merge: true, attributes: ` + tc.attrs + `}
`)})
		w, err := p.ScenarioWorkload("edge")
		if err != nil {
			t.Fatal(err)
		}
		pl, err := p.Plan(w)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Emit(pl, w, plan.EmitOptions{Image: "example/w:1"}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to say %q", tc.attrs, err, tc.want)
		}
	}
	// An engine's object set strata does not write: where the engine lists it.
	p := planner(t, network.File{Name: "engine.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: engine}
spec:
  category: technology
  items:
    - {id: Gatekeeper, merge: true, attributes: {policy-objects-in-cluster: [gatekeeper-runtime-classes, no-such-set]}}
`)})
	w := readOne(t, "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: {trust: untrusted, artifact: oci, sites: [cluster]}\n")
	pl, err := p.Plan(w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Emit(pl, w, plan.EmitOptions{Image: "example/w:1"}); err == nil || !strings.Contains(err.Error(), "Policy.Objects (Gatekeeper) is Gatekeeper's policy-objects-in-cluster (engine.yaml:7)") {
		t.Errorf("err = %v", err)
	}
}

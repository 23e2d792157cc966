package plan_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	runcoptions "github.com/containerd/containerd/api/types/runc/options"
	gotoml "github.com/pelletier/go-toml/v2"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/internal/admissiontest"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

// Tests of what an outside review broke with overlays and workloads the other tests had not
// seen. Each names the input that gave a wrong answer.

func overlay(name, items string) network.File {
	return network.File{Name: name, Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: ` + strings.TrimSuffix(name, ".yaml") + `}
spec:
  category: technology
  items:
` + items)}
}

func workload(t *testing.T, spec string) plan.Workload {
	t.Helper()
	return readOne(t, "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: "+spec+"\n")
}

// planEmit plans w and emits its files, failing the test on a planning error.
func planEmit(t *testing.T, p *plan.Planner, w plan.Workload) (*plan.Plan, []manifest.Object, error) {
	t.Helper()
	pl, err := p.Plan(w)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := p.Emit(pl, w, plan.EmitOptions{Image: "example/w:1"})
	return pl, objs, err
}

// TestHandlerIsAKubernetesHandler: kube-apiserver takes a RuntimeClass handler only as a
// lowercase DNS-1123 label, and the probe's node label strata-runtime-<handler> must be a
// label key. A handler "Bare_Metal" was emitted into the RuntimeClass (which the API server
// refuses); a bad handler on a runtime the plan merely allows failed with no word of where
// it was declared.
func TestHandlerIsAKubernetesHandler(t *testing.T) {
	dedicated := network.File{Name: "dedicated.yaml", Data: []byte(`apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: dedicated}
spec:
  category: requirement
  items:
    - {id: dedicated-hardware, names: {en: dedicated hardware}, attributes: {runtime-needs: [dedicated]}}
`)}
	long := strings.Repeat("h", 50)
	for _, tc := range []struct {
		name, handler, spec, want string
	}{
		{"upper case and underscore", "Bare_Metal", `{requirements: [dedicated hardware]}`, `bare's handler "Bare_Metal" (rt.yaml:9) is not a RuntimeClass handler`},
		{"too long for the node label", long, `{requirements: [dedicated hardware]}`, `bare's handler "` + long + `" (rt.yaml:9) is not a RuntimeClass handler`},
		// The chosen runtime is WasmEdge; bare is only an allowed alternative.
		{"on an allowed runtime", "bare.metal", `{artifact: wasm, trust: untrusted}`, `bare's handler "bare.metal" (rt.yaml:9) is not a RuntimeClass handler`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := planner(t, dedicated, overlay("rt.yaml", `    - id: bare
      attributes:
        handler: `+tc.handler+`
        runtime-class: bare-metal
        runtime-type: io.containerd.bare.v1
        startup-ms: 4000
        workload-footprint-mb: 1
        capabilities: [oci, wasm, dedicated]
        since: 2010
      relations: {represents: L-0}
`))
			_, _, err := planEmit(t, p, workload(t, tc.spec))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "lowercase") {
				t.Errorf("err = %v\nwant it to contain %q and say what a handler must be", err, tc.want)
			}
		})
	}
}

// TestContainerdOptionsKeepTheirTypes: containerd decodes a handler's options table into the
// shim's own options type (containerd's GenerateRuntimeOptions: toml.Marshal of the table,
// then toml.Unmarshal into runc's options.Options). SystemdCgroup = "true" — a string where
// runc's options have a bool — made every pod of the handler fail to start; IoUid likewise.
// The judge is containerd's own options type, decoded with the TOML library containerd uses.
func TestContainerdOptionsKeepTheirTypes(t *testing.T) {
	p := planner(t, overlay("runc-options.yaml", `    - {id: crun, merge: true, attributes: {containerd-options: [BinaryName="/usr/local/bin/crun", SystemdCgroup=true, IoUid=0, NoPivotRoot=false, Root=/run/crun-root]}}
    - {id: runc, merge: true, attributes: {since: 2030}}
`))
	pl, objs, err := planEmit(t, p, workload(t, `{artifact: oci, sites: [cluster], asOf: 2026}`))
	if err != nil {
		t.Fatal(err)
	}
	if pl.Technology(plan.RoleRuntime) != "crun" {
		t.Fatalf("planned %v; want crun (runc is overlaid out)", pl.Technologies())
	}
	var node []byte
	for _, o := range objs {
		if o.Kind == manifest.KindContainerdConfig {
			node = o.YAML
		}
	}
	var doc struct {
		Plugins map[string]struct {
			Containerd struct {
				Runtimes map[string]struct {
					Options map[string]any `toml:"options"`
				} `toml:"runtimes"`
			} `toml:"containerd"`
		} `toml:"plugins"`
	}
	if err := gotoml.Unmarshal(node, &doc); err != nil {
		t.Fatalf("%v\n%s", err, node)
	}
	table := doc.Plugins["io.containerd.grpc.v1.cri"].Containerd.Runtimes["crun"].Options
	if table == nil {
		t.Fatalf("no crun options table:\n%s", node)
	}
	// containerd: b, _ := toml.Marshal(r.Options); toml.Unmarshal(b, &runcoptions.Options{})
	b, err := gotoml.Marshal(table)
	if err != nil {
		t.Fatal(err)
	}
	var opts runcoptions.Options
	if err := gotoml.Unmarshal(b, &opts); err != nil {
		t.Fatalf("containerd cannot decode the crun options into runc's options type: %v\n%s", err, node)
	}
	if !opts.SystemdCgroup || opts.IoUid != 0 || opts.BinaryName != "/usr/local/bin/crun" || opts.Root != "/run/crun-root" || opts.NoPivotRoot {
		t.Errorf("decoded %+v from\n%s", &opts, node)
	}
	containerdAccepts(t, node, "crun", "io.containerd.runc.v2", "SystemdCgroup = true")

	// Docker's daemon.json keeps the types too.
	_, objs, err = planEmit(t, p, workload(t, `{artifact: oci, sites: [single-host], asOf: 2026}`))
	if err != nil {
		t.Fatal(err)
	}
	checked := false
	for _, o := range objs {
		if o.Kind != manifest.KindDockerDaemonConfig {
			continue
		}
		var daemon struct {
			Runtimes map[string]struct {
				Options map[string]any `json:"options"`
			} `json:"runtimes"`
		}
		if err := json.Unmarshal(o.YAML, &daemon); err != nil {
			t.Fatal(err)
		}
		checked = true
		if got := daemon.Runtimes["crun"].Options; got["SystemdCgroup"] != true || got["IoUid"] != float64(0) || got["BinaryName"] != "/usr/local/bin/crun" {
			t.Errorf("daemon.json options %v", got)
		}
	}
	if !checked {
		t.Error("no daemon.json for crun on a Docker host")
	}
}

// TestEngineWithoutObjects: a policy engine an overlay adds without policy-objects was chosen
// for Z=2 and the files held nothing that enforces Z (a Compose file alone at X=0, the
// NetworkPolicy alone in a cluster), without a word.
func TestEngineWithoutObjects(t *testing.T) {
	p := planner(t, overlay("falco.yaml", `    - {id: falco, names: {en: Falco}, attributes: {since: 2015}, relations: {represents: Z2}}
`))
	for _, site := range []string{"single-host", "cluster"} {
		pl, _, err := planEmit(t, p, workload(t, `{policy: runtime, sites: [`+site+`]}`))
		if pl.Technology(plan.RolePolicy) != "falco" {
			t.Fatalf("%s: engine %s, want falco (the overlay's Z=2 engine)", site, pl.Technology(plan.RolePolicy))
		}
		if err == nil || !strings.Contains(err.Error(), "falco") || !strings.Contains(err.Error(), "policy-objects") {
			t.Errorf("%s: err = %v; want it to say falco has no policy-objects", site, err)
		}
	}
}

// TestHigherLevelsKeepRuntimeClassAdmission: an overlay's business-rules engine (Z=4) whose
// objects are the label rules alone was chosen for an untrusted workload, and nothing kept
// its pods off runc: the runtime-class admission of Z=3 must be kept below every higher
// level. An engine that stands for Z=3 but writes no runtime-class admission is refused.
func TestHigherLevelsKeepRuntimeClassAdmission(t *testing.T) {
	gator := gatorPathOrEmpty(t)
	p := planner(t, overlay("corp.yaml", `    - id: corp-rules
      names: {en: Corp business rules}
      attributes: {since: 2015, orchestrator-needs: [kubernetes-api], capabilities: [admission], policy-objects: [gatekeeper-business-rules]}
      relations: {represents: Z4}
`))
	pl, objs, err := planEmit(t, p, workload(t, `{trust: untrusted, artifact: oci, policy: business, sites: [cluster], labels: {team: a}}`))
	if err != nil {
		t.Fatal(err)
	}
	if pl.Technology(plan.RolePolicy) != "corp-rules" || pl.Coordinates.Z != 4 {
		t.Fatalf("planned %v at %v, want corp-rules at Z=4", pl.Technologies(), pl.Coordinates)
	}
	if !slices.Contains(policyKinds(objs), manifest.ConstraintKind) {
		t.Fatalf("no runtime-class constraint for an untrusted workload at Z=4: %v", policyKinds(objs))
	}
	if !strings.Contains(pl.Reasons[2], "Gatekeeper (Z=3) is kept below it") {
		t.Errorf("the Z reason does not say the runtime-class admission is kept: %q", pl.Reasons[2])
	}
	pol := gatekeeperPolicy(t, objs, manifest.TemplateName, manifest.ConstraintKind)
	wl := workloadObject(t, objs)
	if v, err := pol.Review(bypassed(t, wl)); err != nil || len(v) != 1 {
		t.Errorf("the workload under runc: violations %v %v", v, err)
	}
	if gator != "" {
		var files [][]byte
		for _, o := range objs {
			if strings.Contains(string(o.YAML), "gatekeeper.sh") {
				files = append(files, o.YAML)
			}
		}
		if ok, out := gatorTest(t, gator, files, wl); !ok {
			t.Errorf("gator denies the emitted workload:\n%s", out)
		}
		if ok, out := gatorTest(t, gator, files, bypassed(t, wl)); ok {
			t.Errorf("gator admits the workload under runc:\n%s", out)
		}
	}

	// An engine at Z=3 whose objects do not keep the pods on their runtime classes.
	p = planner(t, overlay("weak.yaml", `    - id: weak-admission
      names: {en: Weak admission}
      attributes: {since: 2010, orchestrator-needs: [kubernetes-api], capabilities: [admission], policy-objects: [network-policy]}
      relations: {represents: Z3}
`))
	_, _, err = planEmit(t, p, workload(t, `{trust: untrusted, artifact: oci, sites: [cluster]}`))
	if err == nil || !strings.Contains(err.Error(), "weak-admission") || !strings.Contains(err.Error(), "runtime class") {
		t.Errorf("err = %v; want a Z=3 engine without runtime-class admission refused", err)
	}
}

// TestBusinessRulesStartOnTheWebhook: business-rules is Gatekeeper with the workload's rules,
// so its admission webhook is on the start-up path as Gatekeeper's is; without Gatekeeper's
// startup-ms a 10 ms workload that asked for business policy got it anyway.
func TestBusinessRulesStartOnTheWebhook(t *testing.T) {
	p := planner(t)
	_, err := p.Plan(workload(t, `{artifact: wasm, startupBudget: 10ms, policy: business, labels: {team: a}}`))
	if err == nil || !strings.Contains(err.Error(), "business-rules: startup-ms 15 > 10ms") {
		t.Errorf("err = %v; want business-rules excluded by its start-up", err)
	}
}

// TestDerivedNamesFit: objects are named after the workload, and Gatekeeper takes constraint
// names of at most 63 bytes: a 48-character workload name gave a 64-byte runtime-class
// constraint, which gator refused ("metadata.name: Too long"). Names up to the reader's
// limit are judged by gator.
func TestDerivedNamesFit(t *testing.T) {
	long := strings.Repeat("a", 48)
	_, err := plan.ReadWorkloads([]network.File{{Name: "long.yaml", Data: []byte("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: " + long + "}\nspec: {}\n")}})
	if err == nil || !strings.Contains(err.Error(), "at most 47 characters") {
		t.Errorf("a 48-character name: %v", err)
	}
	name := strings.Repeat("a", 47)
	w := readOne(t, "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: "+name+"}\nspec: {trust: untrusted, artifact: oci, policy: business, sites: [cluster], labels: {team: a}}\n")
	_, objs, err := planEmit(t, planner(t), w)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.ClusterObject() && len(o.Name) > 63 && (o.Kind == manifest.ConstraintKind || o.Kind == manifest.LabelsConstraintKind || o.Kind == "Service") {
			t.Errorf("%s %s: %d bytes", o.Kind, o.Name, len(o.Name))
		}
	}
	gator := gatorPathOrEmpty(t)
	if gator == "" {
		return
	}
	var files [][]byte
	for _, o := range objs {
		if strings.Contains(string(o.YAML), "gatekeeper.sh") {
			files = append(files, o.YAML)
		}
	}
	if ok, out := gatorTest(t, gator, files, workloadObject(t, objs)); !ok {
		t.Errorf("gator refuses the files of a %d-character workload:\n%s", len(name), out)
	}
}

// gatorPathOrEmpty is gator's path, or "" where it is not installed (CI must have it).
func gatorPathOrEmpty(t *testing.T) string {
	t.Helper()
	var path string
	t.Run("gator", func(t *testing.T) { path = gatorPath(t) })
	return path
}

// newAtEveryLevel adds, by overlay, an orchestrator at every X (one writing Docker files,
// one Karmada's), a policy engine at Z=1 and at Z=4 (business rules alone, so Z=3's
// runtime-class admission must be kept below it) and a VM runtime with typed options.
var newAtEveryLevel = overlay("every-level.yaml", `    - {id: podman, names: {en: Podman}, attributes: {node-footprint-mb: 50, capabilities: [gpu], since: 2018, default-runtime: runc, manifests: docker, runtime-config: docker-daemon, runtime-config-path: /etc/docker/daemon.json, configures-runtimes: [runc]}, relations: {represents: X0}}
    - {id: microk8s, names: {en: MicroK8s}, attributes: {node-footprint-mb: 540, capabilities: [high-availability, autoscaling, gpu, kubernetes-api], since: 2018, default-runtime: runc, manifests: kubernetes, runtime-config: containerd, runtime-config-path: /var/snap/microk8s/current/args/containerd-template.toml}, relations: {represents: X1}}
    - {id: k0s, names: {en: k0s}, attributes: {node-footprint-mb: 300, capabilities: [autoscaling, edge, kubernetes-api], since: 2020, default-runtime: runc, manifests: kubernetes, runtime-config: containerd, runtime-config-path: "/etc/k0s/containerd.d/{handler}.toml"}, relations: {represents: X2}}
    - {id: ocm, names: {en: Open Cluster Management}, attributes: {node-footprint-mb: 100, capabilities: [multi-cluster, kubernetes-api, gpu], since: 2019, default-runtime: runc, manifests: karmada, runtime-config: containerd, runtime-config-path: /etc/containerd/config.toml}, relations: {represents: X3}}
    - {id: openyurt, names: {en: OpenYurt}, attributes: {node-footprint-mb: 64, capabilities: [edge, cloud-edge, kubernetes-api], since: 2020, default-runtime: runc, manifests: kubernetes, runtime-config: containerd, runtime-config-path: /etc/containerd/config.toml, node-selector: ["openyurt.io/is-edge-worker=true"]}, relations: {represents: X4}}
    - {id: cilium-policy, names: {en: Cilium network policy}, attributes: {since: 2015, orchestrator-needs: [kubernetes-api], policy-objects: [network-policy]}, relations: {represents: Z1}}
    - {id: corp-rules, names: {en: Corp business rules}, attributes: {since: 2015, orchestrator-needs: [kubernetes-api], capabilities: [admission], policy-objects: [gatekeeper-business-rules]}, relations: {represents: Z4}}
    - id: kata-clh
      names: {en: Kata Containers (Cloud Hypervisor)}
      attributes: {handler: kata-clh, runtime-type: io.containerd.kata-clh.v2, containerd-options: [ConfigPath="/opt/kata/share/defaults/kata-containers/configuration-clh.toml", EnableDebug=false], startup-ms: 300, workload-footprint-mb: 45, capabilities: [oci], since: 2020}
      relations: {represents: L-2}
`)

// TestEveryCoordinate plans a workload at every site (X), policy level (Z), trust and
// artifact, on the default network and with new technologies at every level. Each either
// cannot be planned (and says so as Unsatisfiable) or: plan, strata coordinates and the
// oracle agree; the files are emitted, carry the coordinates, decode strictly; an untrusted
// workload gets an object that keeps it on its runtime classes. Gatekeeper's own gator, run
// once over every emitted policy and workload, admits them all, and denies each workload
// under runc (with every strata label but the workload's dropped) and without the labels
// its business rules name.
func TestEveryCoordinate(t *testing.T) {
	gator := gatorPathOrEmpty(t)
	for _, net := range []struct {
		name  string
		files []network.File
	}{{"default", nil}, {"new technologies", []network.File{newAtEveryLevel}}} {
		t.Run(net.name, func(t *testing.T) {
			p := planner(t, net.files...)
			n, err := network.Load(append(network.DefaultFiles(), net.files...))
			if err != nil {
				t.Fatal(err)
			}
			policies := map[string][]byte{} // by file name: templates are shared
			var good, bad []map[string]any
			wantDenied := map[string]string{} // object name -> constraint
			planned, refused, i := 0, 0, 0
			seen := map[plan.Coordinates]bool{}
			for _, site := range plan.Sites {
				for _, level := range plan.PolicyLevels {
					for _, trust := range []string{"trusted", "untrusted"} {
						for _, artifact := range []string{"oci", "wasm", "any"} {
							i++
							name := fmt.Sprintf("m%d", i)
							spec := fmt.Sprintf(`{sites: [%s], policy: %s, trust: %s, artifact: %s, labels: {team: t%d}}`, site, level, trust, artifact, i)
							w := readOne(t, "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: "+name+"}\nspec: "+spec+"\n")
							pl, err := p.Plan(w)
							if err != nil {
								if !errors.Is(err, plan.ErrUnsatisfiable) {
									t.Errorf("%s: %v", spec, err)
								}
								refused++
								continue
							}
							planned++
							seen[pl.Coordinates] = true
							placed, err := p.Coordinates(pl.Technologies())
							if err != nil || placed.Coordinates != pl.Coordinates {
								t.Errorf("%s: planned at %v, strata coordinates %v says %v (%v)", spec, pl.Coordinates, pl.Technologies(), placed.Coordinates, err)
							}
							if want, _ := oracle(n, pl.Technologies()); want != pl.Coordinates {
								t.Errorf("%s: planned at %v, the oracle says %v", spec, pl.Coordinates, want)
							}
							objs, err := p.Emit(pl, w, plan.EmitOptions{Image: "example/w:1"})
							if err != nil {
								t.Errorf("%s: planned %v at %v, not emitted: %v", spec, pl.Technologies(), pl.Coordinates, err)
								continue
							}
							label := fmt.Sprintf("%s: %d-%d-%d", manifest.LabelCoordinates, pl.Coordinates.X, pl.Coordinates.Y, pl.Coordinates.Z)
							keeps := false
							var wl map[string]any
							for _, o := range objs {
								keeps = keeps || o.Kind == manifest.ConstraintKind || o.Kind == manifest.KindOPAPolicy ||
									strings.HasSuffix(o.Name, "-opa-admission") || strings.HasSuffix(o.Name, "-opa-wasm-policy")
								switch {
								case o.Kind == manifest.KindComposeFile || strings.HasPrefix(o.File, "60-"):
									if !strings.Contains(string(o.YAML), label) {
										t.Errorf("%s: %s does not carry %q", spec, o.File, label)
									}
									if o.Kind != manifest.KindComposeFile {
										wl = workloadObject(t, objs)
									}
								case o.Kind == "ConstraintTemplate" || o.Kind == manifest.ConstraintKind || o.Kind == manifest.LabelsConstraintKind:
									policies[o.File] = o.YAML
								}
								if o.ClusterObject() && !strings.Contains(string(o.YAML), "gatekeeper.sh") && !strings.Contains(string(o.YAML), "karmada.io") {
									if _, _, err := admissiontest.Decode(o.YAML); err != nil {
										t.Errorf("%s: %s: strict decode: %v", spec, o.File, err)
									}
								}
							}
							if trust == "untrusted" && !keeps {
								t.Errorf("%s: untrusted, planned %v, but nothing keeps it on its runtime classes", spec, pl.Technologies())
							}
							if wl == nil {
								continue
							}
							good = append(good, wl)
							hasPolicy := func(kind string) bool {
								return slices.ContainsFunc(objs, func(o manifest.Object) bool { return o.Kind == kind })
							}
							if hasPolicy(manifest.ConstraintKind) {
								b := bypassed(t, wl)
								if slices.ContainsFunc(pl.Allowed, func(id string) bool { return classIn(n, id) == "runc" }) {
									admissiontest.PodSpec(b)["runtimeClassName"] = "unlisted" // runc is allowed here
								}
								b["metadata"].(map[string]any)["name"] = name + "-runc"
								bad = append(bad, b)
								wantDenied[name+"-runc"] = name + "-runtime-classes"
							}
							if hasPolicy(manifest.LabelsConstraintKind) {
								b := bypassed(t, wl)
								b["metadata"].(map[string]any)["name"] = name + "-unlabelled"
								admissiontest.PodSpec(b)["runtimeClassName"] = admissiontest.PodSpec(wl)["runtimeClassName"]
								delete(podTemplateLabels(b, nil), "team")
								bad = append(bad, b)
								wantDenied[name+"-unlabelled"] = name + "-business-rules"
							}
						}
					}
				}
			}
			t.Logf("%d planned at %d points, %d refused; %d objects for gator to deny", planned, len(seen), refused, len(wantDenied))
			for _, x := range []int{0, 1, 2, 3, 4} {
				found := false
				for c := range seen {
					found = found || c.X == x
				}
				if !found {
					t.Errorf("no workload planned at X=%d", x)
				}
			}
			if gator == "" {
				return
			}
			if got := gatorViolations(t, gator, policies, good); len(got) > 0 {
				t.Errorf("gator denies emitted workloads: %v", got)
			}
			got := gatorViolations(t, gator, policies, bad)
			for obj, cons := range wantDenied {
				if !slices.Contains(got[obj], cons) {
					t.Errorf("gator admits %s (want it denied by %s); it said %v", obj, cons, got[obj])
				}
			}
		})
	}
}

// gatorViolations runs gator test once over the policy files and objects and returns, per
// violating object, the constraints it violates.
func gatorViolations(t *testing.T, gator string, policies map[string][]byte, objs []map[string]any) map[string][]string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range policies {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("object-%d.yaml", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(gator, "test", "--filename", dir, "-o", "json").Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("gator test: %v\n%s", err, out)
	}
	var results []struct {
		Constraint struct {
			Metadata struct{ Name string } `json:"metadata"`
		} `json:"constraint"`
		ViolatingObject struct {
			Metadata struct{ Name string } `json:"metadata"`
		} `json:"violatingObject"`
	}
	if len(strings.TrimSpace(string(out))) > 0 {
		if err := json.Unmarshal(out, &results); err != nil {
			t.Fatalf("gator's answer: %v\n%s", err, out)
		}
	}
	got := map[string][]string{}
	for _, r := range results {
		got[r.ViolatingObject.Metadata.Name] = append(got[r.ViolatingObject.Metadata.Name], r.Constraint.Metadata.Name)
	}
	return got
}

// classIn is the RuntimeClass name n gives a runtime: its runtime-class, else its handler.
func classIn(n *network.Network, id string) string {
	e, _ := n.Entity(id)
	for _, name := range []string{"runtime-class", "handler"} {
		if a, ok := e.Attr(name); ok {
			return a.String
		}
	}
	return ""
}

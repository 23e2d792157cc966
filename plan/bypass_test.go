package plan_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/internal/admissiontest"
	"github.com/strata-dev/strata/plan/manifest"
)

// TestGatorEveryGolden: every golden at Z ≥ 3 carries an admission object that denies its
// pods a weaker runtime class, so that nothing at admission lets them run under runc and lose
// the Z and isolation the plan claims. That object is either Gatekeeper's constraint, which
// Gatekeeper's own gator judges (TestGator, TestGatorBypassShapes: it admits the workload and
// denies it under a weaker class), or, where the plan's Z rests on the runtime itself
// (WasmEdge's sandbox) or on an engine that admits nothing (OPA-Wasm) and no engine pins the
// runtime class, kube-apiserver's own ValidatingAdmissionPolicy and its binding, which gator
// cannot judge: for those goldens the judge is a real kube-apiserver
// (TestRuntimeClassPinAPIServer, every bypass shape), and TestRuntimeClassPinObjects decodes
// them strictly. No golden is skipped because it has no files of a kind.
func TestGatorEveryGolden(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/emit/*")
	if len(dirs) != len(emitCases) {
		t.Fatalf("%d golden directories, %d cases", len(dirs), len(emitCases))
	}
	withGatekeeper, withPin := 0, 0
	for _, c := range emitCases {
		dir := filepath.Join("testdata", "emit", c.name)
		want := wantPolicy[c.name]
		has := len(gatekeeperFiles(t, dir)) > 0
		wantHas := slices.Contains(want.kinds, manifest.ConstraintKind)
		if has != wantHas {
			t.Errorf("%s: Gatekeeper objects %v, but its plan's engine %q gives %v", c.name, has, want.engine, want.kinds)
		}
		if want.coords.Z >= 3 && !has && want.engine == "Gatekeeper" {
			t.Errorf("%s: Z=%d with Gatekeeper and no Gatekeeper objects", c.name, want.coords.Z)
		}
		pin := len(pinFiles(t, dir)) == 2
		if want.coords.Z >= 3 && !has && !pin {
			t.Errorf("%s: Z=%d, but no emitted admission object denies its pods a weaker runtime class (neither Gatekeeper's constraint nor a ValidatingAdmissionPolicy with its binding)", c.name, want.coords.Z)
		}
		if has && pin {
			t.Errorf("%s: both Gatekeeper's constraint and a ValidatingAdmissionPolicy pin the runtime class; the pin is for plans no engine pins", c.name)
		}
		if has {
			withGatekeeper++
		}
		if pin {
			withPin++
		}
	}
	if withGatekeeper < 4 {
		t.Errorf("%d goldens with Gatekeeper policy; untrusted-cuda, billing, edge-untrusted and karmada-untrusted have it", withGatekeeper)
	}
	if withPin < 4 {
		t.Errorf("%d goldens with a ValidatingAdmissionPolicy runtime-class pin; edge, ai-inference, karmada-wasm and serverless need it", withPin)
	}
}

// pinFiles are the ValidatingAdmissionPolicy and its binding of a golden directory.
func pinFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	policy, _ := filepath.Glob(filepath.Join(dir, "[23][0-9]-validatingadmissionpolicy*.yaml"))
	files := map[string][]byte{}
	for _, f := range policy {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(f)] = data
	}
	return files
}

// gatekeeperFiles are the Gatekeeper templates and constraints of a golden directory.
func gatekeeperFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	policy, _ := filepath.Glob(filepath.Join(dir, "[23][0-9]-*.yaml"))
	files := map[string][]byte{}
	for _, f := range policy {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "templates.gatekeeper.sh") || strings.Contains(string(data), "constraints.gatekeeper.sh") {
			files[filepath.Base(f)] = data
		}
	}
	return files
}

// TestGatorBypassShapes: an outsider's ways to run a Gatekeeper golden's pods under a weaker
// runtime class, judged by Gatekeeper's Rego with the OPA library and by Gatekeeper's own
// gator (in one batch) where it is installed: the workload's pod template
// (keeping only the workload label, the one its selector, NetworkPolicy and scrape job use)
// as a bare Pod, a Pod with ephemeral containers, and every controller kind (ReplicaSet,
// ReplicationController, StatefulSet, DaemonSet, Job, CronJob), under runc, with no runtime
// class and with an empty one: each denied. The same shapes under the allowed class, with
// the workload's labels, are admitted, and so is a pod of another workload under runc (the
// constraint binds this workload only). Where business rules apply, every shape without the
// labels they name is denied too.
func TestGatorBypassShapes(t *testing.T) {
	policies := map[string][]byte{}
	opa := map[string]*admissiontest.Policy{} // constraint name -> its policy, by the OPA library
	var good, bad []map[string]any
	wantDenied := map[string]string{} // object name -> constraint
	judged, recreated := 0, 0
	for _, c := range emitCases {
		dir := filepath.Join("testdata", "emit", c.name)
		files := gatekeeperFiles(t, dir)
		if len(files) == 0 {
			continue
		}
		judged++
		for name, data := range files {
			policies[name] = data
		}
		for _, pair := range [][3]string{
			{"20-constrainttemplate-" + manifest.TemplateName + ".yaml", "30-constraint-" + c.name + "-runtime-classes.yaml", c.name + "-runtime-classes"},
			{"21-constrainttemplate-" + manifest.LabelsTemplateName + ".yaml", "31-constraint-" + c.name + "-business-rules.yaml", c.name + "-business-rules"},
			{"20-constrainttemplate-" + manifest.TemplateName + ".yaml", "33-constraint-" + c.name + "-class-handlers.yaml", c.name + "-class-handlers"},
		} {
			if files[pair[1]] == nil {
				continue
			}
			pol, err := admissiontest.NewPolicy(files[pair[0]], files[pair[1]])
			if err != nil {
				t.Fatalf("%s: %v", pair[1], err)
			}
			opa[pair[2]] = pol
		}
		wl := goldenWorkload(t, dir)
		ns := wl["metadata"].(map[string]any)["namespace"].(string)
		tmpl := podTemplate(wl)
		allowed := podSpecOf(wl)["runtimeClassName"].(string)
		classes := c.name + "-runtime-classes"
		rules := ""
		if _, ok := files["31-constraint-"+c.name+"-business-rules.yaml"]; ok {
			rules = c.name + "-business-rules"
		}
		workloadOnly := map[string]any{manifest.LabelWorkload: c.name}
		for _, shape := range bypassShapes {
			// Under the allowed class with the workload's own labels: admitted.
			good = append(good, shape.build(fmt.Sprintf("%s-%s-ok", c.name, shape.name), ns, tmpl, nil, allowed))
			// Weaker, missing or empty runtime classes: denied.
			for what, class := range map[string]any{"runc": "runc", "unset": nil, "empty": ""} {
				name := fmt.Sprintf("%s-%s-%s", c.name, shape.name, what)
				bad = append(bad, shape.build(name, ns, tmpl, workloadOnly, class))
				wantDenied[name] = classes
			}
			if rules != "" {
				name := fmt.Sprintf("%s-%s-unlabelled", c.name, shape.name)
				bad = append(bad, shape.build(name, ns, tmpl, workloadOnly, allowed))
				wantDenied[name] = rules
			}
		}
		other := bypassShapes[0].build(c.name+"-other-workload", ns, tmpl, map[string]any{manifest.LabelWorkload: c.name + "-other"}, "runc")
		good = append(good, other)
		// Every class the workload may use, with the handler the constraint pins it to:
		// admitted; deleted and created again under runc: denied (each class once:
		// RuntimeClasses are cluster-wide).
		var cons admissiontest.Constraint
		if err := admissiontest.StrictYAML(files["33-constraint-"+c.name+"-class-handlers.yaml"], &cons); err != nil {
			t.Fatal(err)
		}
		handlers, _ := cons.Spec.Parameters["handlers"].(map[string]any)
		for _, class := range slices.Sorted(maps.Keys(handlers)) {
			handler := handlers[class].(string)
			if _, seen := wantDenied[class]; seen || handler == "runc" {
				continue
			}
			rc := func(handler string) map[string]any {
				return map[string]any{"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": map[string]any{"name": class}, "handler": handler}
			}
			good = append(good, rc(handler))
			bad = append(bad, rc("runc"))
			wantDenied[class] = c.name + "-class-handlers"
			recreated++
		}
	}
	if judged < 4 || recreated < 1 {
		t.Fatalf("%d goldens with Gatekeeper policy, %d RuntimeClasses of theirs; want at least 4 and 1", judged, recreated)
	}
	judge := func(who string, violations func([]map[string]any) map[string][]string) {
		if got := violations(good); len(got) > 0 {
			t.Errorf("%s denies shapes it should admit: %v", who, got)
		}
		got := violations(bad)
		for name, cons := range wantDenied {
			if !slices.Contains(got[name], cons) {
				t.Errorf("%s admits %s (want it denied by %s); it said %v", who, name, cons, got[name])
			}
		}
	}
	// Gatekeeper's Rego and match, evaluated with the OPA library everywhere.
	judge("the OPA library", func(objs []map[string]any) map[string][]string {
		got := map[string][]string{}
		for _, o := range objs {
			name := o["metadata"].(map[string]any)["name"].(string)
			for cons, pol := range opa {
				v, err := pol.Review(o)
				if err != nil {
					t.Fatalf("%s on %s: %v", cons, name, err)
				}
				if len(v) > 0 {
					got[name] = append(got[name], cons)
				}
			}
		}
		return got
	})
	// Gatekeeper's own gator, where it is installed (CI must have it).
	if gator := gatorPathOrEmpty(t); gator != "" {
		judge("gator", func(objs []map[string]any) map[string][]string { return gatorViolations(t, gator, policies, objs) })
	}
	t.Logf("%d goldens, %d shapes admitted, %d denied", judged, len(good), len(bad))
}

// goldenWorkload is a golden's workload object (file 60-…).
func goldenWorkload(t *testing.T, dir string) map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "60-*.yaml"))
	if len(files) != 1 {
		t.Fatalf("%s: workload files %v", dir, files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var wl map[string]any
	if err := yaml.Unmarshal(data, &wl); err != nil {
		t.Fatal(err)
	}
	return wl
}

// podTemplate is the workload's pod template: metadata (labels) and spec.
func podTemplate(wl map[string]any) map[string]any {
	if wl["kind"] == "Pod" {
		meta := wl["metadata"].(map[string]any)
		return map[string]any{"metadata": map[string]any{"labels": meta["labels"]}, "spec": wl["spec"]}
	}
	return wl["spec"].(map[string]any)["template"].(map[string]any)
}

// bypassShape makes an object of one kind around a pod template.
type bypassShape struct {
	name  string
	build func(name, ns string, tmpl map[string]any, labels map[string]any, class any) map[string]any
}

// withPod is a deep copy of tmpl with labels (when not nil) and the runtime class (nil
// removes it).
func withPod(tmpl map[string]any, labels map[string]any, class any) map[string]any {
	data, _ := json.Marshal(tmpl)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	if labels != nil {
		out["metadata"] = map[string]any{"labels": labels}
	}
	spec := out["spec"].(map[string]any)
	if class == nil {
		delete(spec, "runtimeClassName")
	} else {
		spec["runtimeClassName"] = class
	}
	return out
}

func controller(apiVersion, kind string, spec func(tmpl map[string]any) map[string]any) func(string, string, map[string]any, map[string]any, any) map[string]any {
	return func(name, ns string, tmpl, labels map[string]any, class any) map[string]any {
		pod := withPod(tmpl, labels, class)
		return map[string]any{"apiVersion": apiVersion, "kind": kind,
			"metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec(pod)}
	}
}

func selectorSpec(pod map[string]any) map[string]any {
	labels := pod["metadata"].(map[string]any)["labels"]
	return map[string]any{"selector": map[string]any{"matchLabels": labels}, "template": pod}
}

var bypassShapes = []bypassShape{
	{"pod", func(name, ns string, tmpl, labels map[string]any, class any) map[string]any {
		pod := withPod(tmpl, labels, class)
		meta := pod["metadata"].(map[string]any)
		meta["name"], meta["namespace"] = name, ns
		return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod["spec"]}
	}},
	{"ephemeral", func(name, ns string, tmpl, labels map[string]any, class any) map[string]any {
		pod := withPod(tmpl, labels, class)
		meta := pod["metadata"].(map[string]any)
		meta["name"], meta["namespace"] = name, ns
		spec := pod["spec"].(map[string]any)
		spec["ephemeralContainers"] = []any{map[string]any{"name": "debugger", "image": "busybox:1.36", "targetContainerName": "x",
			"securityContext": map[string]any{"privileged": true}}}
		return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
	}},
	{"replicaset", controller("apps/v1", "ReplicaSet", selectorSpec)},
	{"rc", controller("v1", "ReplicationController", func(pod map[string]any) map[string]any {
		return map[string]any{"selector": pod["metadata"].(map[string]any)["labels"], "template": pod}
	})},
	{"statefulset", controller("apps/v1", "StatefulSet", func(pod map[string]any) map[string]any {
		s := selectorSpec(pod)
		s["serviceName"] = "x"
		return s
	})},
	{"daemonset", controller("apps/v1", "DaemonSet", selectorSpec)},
	{"job", controller("batch/v1", "Job", func(pod map[string]any) map[string]any {
		pod["spec"].(map[string]any)["restartPolicy"] = "Never"
		return map[string]any{"template": pod}
	})},
	{"cronjob", controller("batch/v1", "CronJob", func(pod map[string]any) map[string]any {
		pod["spec"].(map[string]any)["restartPolicy"] = "Never"
		return map[string]any{"schedule": "*/5 * * * *", "jobTemplate": map[string]any{"spec": map[string]any{"template": pod}}}
	})},
}

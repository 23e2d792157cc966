package plan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/internal/controlplane"
	"github.com/strata-dev/strata/plan/manifest"
)

// shapeResources are the resources of the bypass shapes' kinds.
var shapeResources = map[string]schema.GroupVersionResource{
	"Pod":                   {Version: "v1", Resource: "pods"},
	"ReplicationController": {Version: "v1", Resource: "replicationcontrollers"},
	"Deployment":            {Group: "apps", Version: "v1", Resource: "deployments"},
	"ReplicaSet":            {Group: "apps", Version: "v1", Resource: "replicasets"},
	"StatefulSet":           {Group: "apps", Version: "v1", Resource: "statefulsets"},
	"DaemonSet":             {Group: "apps", Version: "v1", Resource: "daemonsets"},
	"Job":                   {Group: "batch", Version: "v1", Resource: "jobs"},
	"CronJob":               {Group: "batch", Version: "v1", Resource: "cronjobs"},
}

// TestRuntimeClassPinAPIServer judges the ValidatingAdmissionPolicy runtime-class pins of the
// goldens (the Z ≥ 3 plans whose Z rests on the runtime, which no Gatekeeper constraint
// pins, see TestGatorEveryGolden) with a real kube-apiserver, the component that enforces
// them: each golden's policy and binding are created as emitted, and then, by server-side
// dry run, every bypass shape of TestGatorBypassShapes (a bare Pod and each controller kind
// around the workload's pod template, keeping only the workload label) under runc and with
// no runtime class is denied by the golden's pin, and with an empty class is refused (by
// the RuntimeClass admission plugin for a Pod, by validation for a template, before the pin
// runs); the same shapes under the planned class,
// the golden's own workload object, a pod of another workload under runc and an ephemeral
// container added to an admitted pod are admitted; changing an admitted Deployment's
// template to runc is denied; and so is creating an allowed RuntimeClass again under runc
// after deleting it (under its planned handler it is admitted). It skips, saying why, when the control plane is not built
// (scripts/build-controlplane.sh) unless $STRATA_REQUIRE_CONTROLPLANE is set.
func TestRuntimeClassPinAPIServer(t *testing.T) {
	type golden struct {
		name, dir, ns, class string
		tmpl, workload       map[string]any
	}
	var goldens []golden
	for _, c := range emitCases {
		dir := filepath.Join("testdata", "emit", c.name)
		if len(pinFiles(t, dir)) == 0 {
			continue
		}
		wl := goldenWorkload(t, dir)
		goldens = append(goldens, golden{name: c.name, dir: dir,
			ns:    wl["metadata"].(map[string]any)["namespace"].(string),
			class: podSpecOf(wl)["runtimeClassName"].(string),
			tmpl:  podTemplate(wl), workload: wl})
	}
	if len(goldens) < 4 {
		t.Fatalf("%d goldens with a runtime-class pin; edge, ai-inference, serverless and karmada-wasm have one", len(goldens))
	}
	cp := controlplane.ForTest(t)
	ctx := t.Context()
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	apply := func(data []byte) {
		t.Helper()
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: m}
		gvk := u.GroupVersionKind()
		res, ok := map[string]string{
			"RuntimeClass":                                "runtimeclasses",
			manifest.KindValidatingAdmissionPolicy:        "validatingadmissionpolicies",
			manifest.KindValidatingAdmissionPolicyBinding: "validatingadmissionpolicybindings",
		}[gvk.Kind]
		if !ok {
			t.Fatalf("no resource for kind %s", gvk.Kind)
		}
		if _, err := dyn.Resource(gvk.GroupVersion().WithResource(res)).Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create %s %s: %v", gvk.Kind, u.GetName(), err)
		}
	}
	// A RuntimeClass runc exists, as on real clusters, so that a pod under it passes the
	// RuntimeClass admission plugin and reaches the pin.
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "runc"}, Handler: "runc"}
	if _, err := cp.Client.NodeV1().RuntimeClasses().Create(ctx, rc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, g := range goldens {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: g.ns}}
		if _, err := cp.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: g.ns}}
		if _, err := cp.Client.CoreV1().ServiceAccounts(g.ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		var files []string
		for _, pattern := range []string{"10-runtimeclass-*.yaml", "22-validatingadmissionpolicy-*.yaml", "32-validatingadmissionpolicybinding-*.yaml"} {
			matched, _ := filepath.Glob(filepath.Join(g.dir, pattern))
			if len(matched) != 1 {
				t.Fatalf("%s: files %s: %v", g.name, pattern, matched)
			}
			files = append(files, matched[0])
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			apply(data)
		}
	}

	dryRun := []string{metav1.DryRunAll}
	create := func(obj map[string]any) error {
		u := &unstructured.Unstructured{Object: obj}
		gvr, ok := shapeResources[u.GetKind()]
		if !ok {
			t.Fatalf("no resource for kind %s", u.GetKind())
		}
		_, err := dyn.Resource(gvr).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{DryRun: dryRun})
		return err
	}
	deniedBy := func(err error, pin string) bool {
		return apierrors.IsForbidden(err) && strings.Contains(err.Error(), fmt.Sprintf("ValidatingAdmissionPolicy '%s'", pin))
	}
	// The policies are enforced once kube-apiserver's admission has observed and compiled
	// them: wait until each denies the workload's bare Pod under runc.
	for _, g := range goldens {
		pin := manifest.PinName(g.name)
		probe := bypassShapes[0].build(g.name+"-probe", g.ns, g.tmpl, map[string]any{manifest.LabelWorkload: g.name}, "runc")
		var last error
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
			last = create(probe)
			return deniedBy(last, pin), nil
		})
		if err != nil {
			t.Fatalf("%s: the pin %s never denied a Pod under runc; last answer: %v", g.name, pin, last)
		}
	}

	denied, admitted := 0, 0
	for _, g := range goldens {
		pin := manifest.PinName(g.name)
		workloadOnly := map[string]any{manifest.LabelWorkload: g.name}
		for _, shape := range bypassShapes {
			if shape.name == "ephemeral" {
				continue // below: ephemeral containers cannot be set on create
			}
			name := fmt.Sprintf("%s-%s-ok", g.name, shape.name)
			if err := create(shape.build(name, g.ns, g.tmpl, nil, g.class)); err != nil {
				t.Errorf("%s under %s: denied: %v", name, g.class, err)
			} else {
				admitted++
			}
			for what, class := range map[string]any{"runc": "runc", "unset": nil, "empty": ""} {
				name := fmt.Sprintf("%s-%s-%s", g.name, shape.name, what)
				err := create(shape.build(name, g.ns, g.tmpl, workloadOnly, class))
				switch {
				case err == nil:
					t.Errorf("%s (runtime class %v): admitted", name, class)
				case what == "empty" && !deniedBy(err, pin):
					// "" names no RuntimeClass: a Pod's is refused by the RuntimeClass
					// admission plugin, a template's by validation, before the pin runs.
					denied++
				case !deniedBy(err, pin):
					t.Errorf("%s (runtime class %v): refused, but not by the pin %s: %v", name, class, pin, err)
				default:
					denied++
				}
			}
		}
		// The golden's own workload object, as emitted.
		if err := create(g.workload); err != nil {
			t.Errorf("%s: the emitted %s is denied: %v", g.name, g.workload["kind"], err)
		} else {
			admitted++
		}
		// Another workload's pod under runc: the pin binds this workload only.
		other := bypassShapes[0].build(g.name+"-other-workload", g.ns, g.tmpl, map[string]any{manifest.LabelWorkload: g.name + "-other"}, "runc")
		if err := create(other); err != nil {
			t.Errorf("%s: a pod of another workload under runc is denied: %v", g.name, err)
		} else {
			admitted++
		}
		// An admitted pod gets an ephemeral container: its runtime class cannot change.
		pod := bypassShapes[0].build(g.name+"-debugged", g.ns, g.tmpl, nil, g.class)
		u := &unstructured.Unstructured{Object: pod}
		if _, err := dyn.Resource(shapeResources["Pod"]).Namespace(g.ns).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s: create a pod under %s: %v", g.name, g.class, err)
		}
		// The pod's controllers may update it meanwhile: read it again on a conflict.
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			p, err := cp.Client.CoreV1().Pods(g.ns).Get(ctx, u.GetName(), metav1.GetOptions{})
			if err != nil {
				return err
			}
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "busybox:1.36"},
				TargetContainerName:      p.Spec.Containers[0].Name,
			})
			_, err = cp.Client.CoreV1().Pods(g.ns).UpdateEphemeralContainers(ctx, p.Name, p, metav1.UpdateOptions{DryRun: dryRun})
			return err
		})
		if err != nil {
			t.Errorf("%s: an ephemeral container in an admitted pod is denied: %v", g.name, err)
		} else {
			admitted++
		}
		// An admitted Deployment changed to runc: the update is denied.
		dep := bypassShapes[0].build(g.name+"-updated", g.ns, g.tmpl, nil, g.class)
		d := controller("apps/v1", "Deployment", selectorSpec)(g.name+"-updated", g.ns, podTemplateOf(dep), nil, g.class)
		du := &unstructured.Unstructured{Object: d}
		got, err := dyn.Resource(shapeResources["Deployment"]).Namespace(g.ns).Create(ctx, du, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("%s: create a Deployment under %s: %v", g.name, g.class, err)
		}
		// A merge patch carries no resourceVersion: the Deployment controller's
		// own status writes meanwhile cannot make it a conflict, so what
		// answers is admission.
		patch := []byte(`{"spec":{"template":{"spec":{"runtimeClassName":"runc"}}}}`)
		_, err = dyn.Resource(shapeResources["Deployment"]).Namespace(g.ns).Patch(ctx, got.GetName(), types.MergePatchType, patch, metav1.PatchOptions{DryRun: dryRun})
		if !deniedBy(err, pin) {
			t.Errorf("%s: a Deployment changed to runc is not denied by the pin %s: %v", g.name, pin, err)
		} else {
			denied++
		}
	}
	// An allowed RuntimeClass deleted and created again under runc: denied by a pin (every
	// golden planned with the class pins its handler); under the planned handler: admitted.
	recreated := map[string]bool{}
	for _, g := range goldens {
		if recreated[g.class] {
			continue
		}
		recreated[g.class] = true
		classes := cp.Client.NodeV1().RuntimeClasses()
		planned, err := classes.Get(ctx, g.class, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: RuntimeClass %s: %v", g.name, g.class, err)
		}
		if err := classes.Delete(ctx, g.class, metav1.DeleteOptions{}); err != nil {
			t.Fatalf("%s: delete RuntimeClass %s: %v", g.name, g.class, err)
		}
		swapped := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: g.class}, Handler: "runc"}
		_, err = classes.Create(ctx, swapped, metav1.CreateOptions{DryRun: dryRun})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), fmt.Sprintf(`RuntimeClass %s: handler "runc" is not the handler %q`, g.class, planned.Handler)) {
			t.Errorf("%s: RuntimeClass %s created again under runc: not denied by a pin: %v", g.name, g.class, err)
		} else {
			denied++
		}
		again := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: g.class}, Handler: planned.Handler, Overhead: planned.Overhead, Scheduling: planned.Scheduling}
		if _, err := classes.Create(ctx, again, metav1.CreateOptions{}); err != nil {
			t.Errorf("%s: RuntimeClass %s created again under its planned handler %s: %v", g.name, g.class, planned.Handler, err)
		} else {
			admitted++
		}
	}
	t.Logf("kube-apiserver: %d goldens, %d objects admitted, %d denied", len(goldens), admitted, denied)
}

// podTemplateOf is a Pod object's template: its labels and spec.
func podTemplateOf(pod map[string]any) map[string]any {
	meta := pod["metadata"].(map[string]any)
	return map[string]any{"metadata": map[string]any{"labels": meta["labels"]}, "spec": pod["spec"]}
}

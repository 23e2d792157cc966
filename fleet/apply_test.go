package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/internal/controlplane"
	"github.com/strata-dev/strata/plan/manifest"
)

func object(kind, name, yaml string) manifest.Object {
	return manifest.Object{File: strings.ToLower(kind) + "-" + name + ".yaml", Kind: kind, Name: name, YAML: []byte(yaml)}
}

func configMap(ns, name, value string) manifest.Object {
	return object("ConfigMap", name, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: %s}\ndata: {k: %q}\n", name, ns, value))
}

func deployment(ns, name, runtimeClass string) manifest.Object {
	return object("Deployment", name, fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  replicas: 1
  selector: {matchLabels: {app: %[2]s}}
  template:
    metadata: {labels: {app: %[2]s}}
    spec:
      runtimeClassName: %[3]s
      containers: [{name: c, image: registry.example/%[2]s:1.0}]
`, ns, name, runtimeClass))
}

// TestApplyTiersOnControlPlane applies, on a real API server, objects given in the wrong
// order for a one-by-one apply (the Deployment first, the Namespace its objects live in
// last): Apply's tiers put the Namespace first, then the RuntimeClass and ConfigMaps,
// then the Service, then the Deployment, with 8 in flight; every object is created, an
// object given twice alike is applied once, one given twice with other content ends as
// given last; a later apply finds them unchanged. When objects of one tier are refused,
// each refused object is named, and no later tier is started; a kind the cluster does not
// serve is named once, before anything of its tier is applied.
func TestApplyTiersOnControlPlane(t *testing.T) {
	cp := controlplane.ForTest(t)
	ctx := t.Context()
	c, err := fleet.Connect(cp.Kubeconfig, "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	rc := object("RuntimeClass", "tiers-rc", "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: tiers-rc}\nhandler: runc\n")
	objs := []manifest.Object{deployment("tiers", "web", "tiers-rc"), rc}
	for i := range 40 {
		objs = append(objs, configMap("tiers", fmt.Sprintf("cm-%02d", i), "one"))
	}
	objs = append(objs,
		object("Service", "web", "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: tiers}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n"),
		object("Namespace", "tiers", "apiVersion: v1\nkind: Namespace\nmetadata: {name: tiers}\n"),
		rc,                                 // the same again: applied once
		configMap("tiers", "cm-00", "two"), // other content: applied after the first
	)
	applied, err := c.Apply(ctx, objs, fleet.ApplyOptions{Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 45 {
		t.Errorf("%d objects applied, want 45 (44 distinct, cm-00 twice)", len(applied))
	}
	tier := 0
	for _, a := range applied {
		group := map[string]string{"RuntimeClass": "node.k8s.io", "Deployment": "apps"}[a.Kind]
		tr := fleet.ApplyTier(schema.GroupKind{Group: group, Kind: a.Kind})
		if tr < tier {
			t.Errorf("%s %s applied after an object of tier %d, its tier is %d", a.Kind, a.Name, tier, tr)
		}
		tier = tr
	}
	var results []string
	for _, a := range applied {
		results = append(results, a.Kind+"/"+a.Name+"="+a.Result)
	}
	got := strings.Join(results, " ")
	if !strings.HasPrefix(got, "Namespace/tiers=created RuntimeClass/tiers-rc=created ConfigMap/cm-00=created ConfigMap/cm-01=created") ||
		!strings.HasSuffix(got, "ConfigMap/cm-39=created ConfigMap/cm-00=configured Service/web=created Deployment/web=created") {
		t.Errorf("applied: %s", got)
	}
	cm, err := cp.Client.CoreV1().ConfigMaps("tiers").Get(ctx, "cm-00", metav1.GetOptions{})
	if err != nil || cm.Data["k"] != "two" {
		t.Errorf("cm-00: %v, data %v; want the content given last", err, cm.Data)
	}
	// The second apply may still configure the Namespace (observed on v1.37.2: the API
	// server writes it once more after its creation); the third finds everything as it
	// was, but cm-00, set back and forth between its two contents.
	for round := 2; round <= 3; round++ {
		again, err := c.Apply(ctx, objs, fleet.ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range again {
			want := "unchanged"
			switch {
			case a.Name == "cm-00":
				want = "configured"
			case a.Kind == "Namespace" && round == 2:
				continue
			}
			if a.Result != want {
				t.Errorf("apply %d: %s %s %s, want %s", round, a.Kind, a.Name, a.Result, want)
			}
		}
	}

	t.Run("refused objects are each named; later tiers are not started", func(t *testing.T) {
		bad := []string{"bad-0", "bad-1", "bad-2"}
		objs := []manifest.Object{object("Namespace", "refused", "apiVersion: v1\nkind: Namespace\nmetadata: {name: refused}\n"), deployment("refused", "after", "tiers-rc")}
		for _, name := range bad {
			// An unknown field: strict field validation refuses it.
			objs = append(objs, object("ConfigMap", name, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: refused}\ndatta: {k: v}\n", name)))
		}
		for i := range 20 {
			objs = append(objs, configMap("refused", fmt.Sprintf("good-%02d", i), "v"))
		}
		applied, err := c.Apply(ctx, objs, fleet.ApplyOptions{Concurrency: 3})
		if err == nil {
			t.Fatal("no error")
		}
		var named int
		for line := range strings.SplitSeq(err.Error(), "\n") {
			ok := false
			for _, name := range bad {
				if strings.HasPrefix(line, "configmap-"+name+".yaml: the API server refused ConfigMap refused/"+name+": ") && strings.Contains(line, "datta") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("error line %q names no refused object (and the unknown field)", line)
			}
			named++
		}
		if named == 0 {
			t.Errorf("error %q names no object", err)
		}
		for _, a := range applied {
			if a.Kind == "Deployment" || strings.HasPrefix(a.Name, "bad-") {
				t.Errorf("%s %s reported applied", a.Kind, a.Name)
			}
		}
		if _, err := cp.Client.AppsV1().Deployments("refused").Get(ctx, "after", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the Deployment of a later tier: %v, want not found", err)
		}
		if _, err := cp.Client.CoreV1().Namespaces().Get(ctx, "refused", metav1.GetOptions{}); err != nil {
			t.Errorf("the Namespace of the tier before: %v", err)
		}
	})

	t.Run("a kind the cluster does not serve stops the apply before its tier", func(t *testing.T) {
		constraint := func(name string) manifest.Object {
			return object("StrataAllowedRuntimeClasses", name, "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: StrataAllowedRuntimeClasses\nmetadata: {name: "+name+"}\nspec: {}\n")
		}
		objs := []manifest.Object{constraint("c-1"), constraint("c-2"), configMap("tiers", "before-missing", "v"),
			object("Service", "beside-missing", "apiVersion: v1\nkind: Service\nmetadata: {name: beside-missing, namespace: tiers}\nspec: {ports: [{port: 80}]}\n")}
		applied, err := c.Apply(ctx, objs, fleet.ApplyOptions{})
		if err == nil || strings.Count(err.Error(), "does not serve StrataAllowedRuntimeClasses") != 1 || !strings.Contains(err.Error(), "install Gatekeeper first") {
			t.Errorf("got %v, want one error naming the kind not served and Gatekeeper", err)
		}
		if len(applied) != 1 || applied[0].Name != "before-missing" {
			t.Errorf("applied %+v, want only the ConfigMap of the tier before", applied)
		}
		if _, err := cp.Client.CoreV1().Services("tiers").Get(ctx, "beside-missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the Service of the constraints' tier: %v, want not found", err)
		}
	})

	t.Run("a cancelled context stops the apply", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.Apply(ctx, []manifest.Object{configMap("tiers", "late", "v")}, fleet.ApplyOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}

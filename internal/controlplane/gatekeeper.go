package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// GatekeeperModule is the Gatekeeper release whose CRD file InstallGatekeeper installs,
// taken from the Go module proxy (and checked against go.sum's checksum database) like
// any module.
const GatekeeperModule = "github.com/open-policy-agent/gatekeeper/v3@v3.23.1"

// gatekeeperCRD is the ConstraintTemplate CRD's file inside that module.
const gatekeeperCRD = "charts/gatekeeper/crds/constrainttemplate-customresourcedefinition.yaml"

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallGatekeeper installs Gatekeeper's own ConstraintTemplate CRD, read from the
// Gatekeeper module ([GatekeeperModule]), and waits until the API server serves it.
func (c *ControlPlane) InstallGatekeeper(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", GatekeeperModule)
	cmd.Dir = os.TempDir() // outside any module: the download is not strata's dependency
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go mod download %s: %w", GatekeeperModule, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return fmt.Errorf("go mod download %s: no directory in %q", GatekeeperModule, out)
	}
	data, err := os.ReadFile(filepath.Join(mod.Dir, gatekeeperCRD))
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &u.Object); err != nil {
		return fmt.Errorf("%s: %w", gatekeeperCRD, err)
	}
	return c.installCRD(ctx, u)
}

// InstallConstraintCRD installs the CRD of a ConstraintTemplate's constraint kind, as
// Gatekeeper's controller would make it from the template (there is no Gatekeeper
// controller here): group constraints.gatekeeper.sh, versions v1beta1 (served, stored)
// and v1, the kind and parameters schema the template declares, and spec.match and
// spec.enforcementAction. Gatekeeper fills spec.match with its own schema; here it is
// left open (x-kubernetes-preserve-unknown-fields), so only the parameters are checked
// strictly against the template.
func (c *ControlPlane) InstallConstraintCRD(ctx context.Context, template map[string]any) error {
	kind, _, _ := unstructured.NestedString(template, "spec", "crd", "spec", "names", "kind")
	if kind == "" {
		return fmt.Errorf("template has no spec.crd.spec.names.kind")
	}
	params, ok, _ := unstructured.NestedMap(template, "spec", "crd", "spec", "validation", "openAPIV3Schema")
	if !ok {
		params = map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}
	}
	open := map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}
	schemaFor := map[string]any{"openAPIV3Schema": map[string]any{
		"type": "object",
		"properties": map[string]any{
			"apiVersion": map[string]any{"type": "string"},
			"kind":       map[string]any{"type": "string"},
			"metadata":   map[string]any{"type": "object"},
			"spec": map[string]any{"type": "object", "properties": map[string]any{
				"enforcementAction": map[string]any{"type": "string"},
				"match":             open,
				"parameters":        params,
			}},
			"status": open,
		},
	}}
	lower := strings.ToLower(kind)
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": lower + ".constraints.gatekeeper.sh"},
		"spec": map[string]any{
			"group": "constraints.gatekeeper.sh",
			"scope": "Cluster",
			"names": map[string]any{"kind": kind, "listKind": kind + "List", "plural": lower, "singular": lower, "categories": []any{"constraint", "constraints"}},
			"versions": []any{
				map[string]any{"name": "v1beta1", "served": true, "storage": true, "schema": schemaFor, "subresources": map[string]any{"status": map[string]any{}}},
				map[string]any{"name": "v1", "served": true, "storage": false, "schema": schemaFor, "subresources": map[string]any{"status": map[string]any{}}},
			},
		},
	}}
	return c.installCRD(ctx, crd)
}

func (c *ControlPlane) installCRD(ctx context.Context, crd *unstructured.Unstructured) error {
	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		return err
	}
	res := dyn.Resource(crdResource)
	if _, err := res.Create(ctx, crd, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create CRD %s: %w", crd.GetName(), err)
	}
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := res.Get(ctx, crd.GetName(), metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, cond := range conds {
			m, _ := cond.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
}

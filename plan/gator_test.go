package plan_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/internal/admissiontest"
)

// gatorPath finds Gatekeeper's gator (scripts/setup-gator.sh installs it).
func gatorPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("gator"); err == nil {
		return p
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "gator")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("gator is not installed, and CI must run it: scripts/setup.sh runs scripts/setup-gator.sh")
	}
	t.Skip("gator is not installed: run scripts/setup-gator.sh")
	return ""
}

// gatorTest runs gator test on the policy files and one object, returning whether gator
// admitted it and what it said.
func gatorTest(t *testing.T, gator string, policy [][]byte, obj map[string]any) (bool, string) {
	t.Helper()
	dir := t.TempDir()
	for i, p := range policy {
		if err := os.WriteFile(filepath.Join(dir, "policy-"+string(rune('a'+i))+".yaml"), p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "object.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(gator, "test", "--filename", dir).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, string(out)
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return false, string(out)
	}
	t.Fatalf("gator test: %v\n%s", err, out)
	return false, ""
}

// TestGator: Gatekeeper's own tester admits every emitted workload golden that carries
// Gatekeeper policy, and denies it under a weaker runtime class and in the label-dropping
// bypass (pods that keep only the workload label, a controller without labels, runc).
func TestGator(t *testing.T) {
	gator := gatorPath(t)
	dirs, _ := filepath.Glob("testdata/emit/*")
	checked := 0
	for _, dir := range dirs {
		policy, _ := filepath.Glob(filepath.Join(dir, "[23][0-9]-*.yaml"))
		var files [][]byte
		for _, f := range policy {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), "templates.gatekeeper.sh") || strings.Contains(string(data), "constraints.gatekeeper.sh") {
				files = append(files, data)
			}
		}
		if len(files) == 0 {
			continue
		}
		checked++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			wlFiles, _ := filepath.Glob(filepath.Join(dir, "60-*.yaml"))
			if len(wlFiles) != 1 {
				t.Fatalf("workload files %v", wlFiles)
			}
			data, err := os.ReadFile(wlFiles[0])
			if err != nil {
				t.Fatal(err)
			}
			var wl map[string]any
			if err := yaml.Unmarshal(data, &wl); err != nil {
				t.Fatal(err)
			}
			if ok, out := gatorTest(t, gator, files, wl); !ok {
				t.Fatalf("gator denies the emitted workload:\n%s", out)
			}
			weaker := bypassed(t, wl) // copy
			weaker["metadata"] = wl["metadata"]
			podTemplateLabels(weaker, podTemplateLabels(wl, nil))
			admissiontest.PodSpec(weaker)["runtimeClassName"] = "runc"
			if ok, out := gatorTest(t, gator, files, weaker); ok || !strings.Contains(out, `runc\", which is not allowed`) {
				t.Errorf("gator admits the workload under runc (admitted=%v):\n%s", ok, out)
			}
			if ok, out := gatorTest(t, gator, files, bypassed(t, wl)); ok || !strings.Contains(out, `runc\", which is not allowed`) {
				t.Errorf("gator admits the label-dropping bypass (admitted=%v):\n%s", ok, out)
			}
		})
	}
	if checked < 2 {
		t.Errorf("%d goldens with Gatekeeper policy; untrusted-cuda and billing have it", checked)
	}
}

// podTemplateLabels returns the labels of obj's pods, replacing them with set when set is
// not nil.
func podTemplateLabels(obj map[string]any, set map[string]any) map[string]any {
	meta := obj["metadata"].(map[string]any)
	if obj["kind"] != "Pod" {
		meta = obj["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)
	}
	if set != nil {
		meta["labels"] = set
	}
	l, _ := meta["labels"].(map[string]any)
	return l
}

//go:build linux && amd64

package ebpf

import (
	"os/exec"
	"testing"
)

// TestGenerateReproduces regenerates the BPF object with bpf2go and clang and checks that
// it is what is committed (scripts/check-bpf-generate.sh).
func TestGenerateReproduces(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerating the BPF object takes seconds")
	}
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang is not installed (scripts/setup-locate.sh installs it)")
	}
	out, err := exec.Command("../../scripts/check-bpf-generate.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

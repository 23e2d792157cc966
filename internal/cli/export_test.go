package cli

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
)

// TestExportDOTRendersWithGraphviz feeds the DOT export to the real Graphviz, which
// scripts/setup.sh installs, so a syntax slip in the writer cannot pass unnoticed.
func TestExportDOTRendersWithGraphviz(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("graphviz (dot) is not installed; scripts/setup.sh installs it")
	}
	for _, args := range [][]string{{"export", "-o", "dot"}, {"export", "-o", "dot", "--dimension", "isolation"}} {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), args, &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		cmd := exec.Command(dot, "-Tsvg")
		cmd.Stdin = &out
		svg, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("%v: dot rejected the export: %v\n%s", args, err, stderr)
		}
		if !strings.Contains(string(svg), "<svg") || !strings.Contains(string(svg), "sandbox") {
			t.Fatalf("%v: dot produced no graph with L-4 (sandbox):\n%.300s", args, svg)
		}
	}
}

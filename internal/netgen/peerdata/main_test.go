package main

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/internal/netgen"
)

// TestRun: the command writes what the benchmarks generate in memory, read back by
// LoadPeerDir, and refuses an unknown size with exit 2.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run([]string{"-o", dir, "small"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "100 nodes, 300 facts, seed 42") {
		t.Errorf("stdout %q", out.String())
	}
	n, strict, equal, pairs, err := netgen.LoadPeerDir(filepath.Join(dir, "small"))
	if err != nil {
		t.Fatal(err)
	}
	ws, we := netgen.Generate(100, 300, netgen.DefaultSeed)
	if n != 100 || !slices.Equal(strict, ws) || !slices.Equal(equal, we) || !slices.Equal(pairs, netgen.Pairs(100, netgen.PairCount, netgen.DefaultSeed)) {
		t.Errorf("small: n=%d, %d strict, %d equal, %d pairs: not what netgen.Generate and Pairs make", n, len(strict), len(equal), len(pairs))
	}
	errOut.Reset()
	if code := run([]string{"-o", dir, "huge"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `unknown network size "huge"`) {
		t.Errorf("huge: exit %d, %q", code, errOut.String())
	}
}

package cli

import (
	"context"
	"io"
	"testing"
)

// BenchmarkCompareSeed is `strata compare L-4 L-2` on the embedded network, in process:
// parse flags, load and validate the eight default files, build the reasoner, answer and
// render. The whole process adds only Go's start-up; hyperfine measures that (BENCHMARKS.md).
func BenchmarkCompareSeed(b *testing.B) {
	for b.Loop() {
		if code := Run(context.Background(), []string{"compare", "L-4", "L-2"}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

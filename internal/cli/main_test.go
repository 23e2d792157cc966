package cli

import (
	"os"
	"testing"

	"github.com/strata-dev/strata/bench"
)

// TestMain lets the test binary serve as the workload kernel `strata bench` starts (see
// bench.ReexecInit), as cmd/strata's main does.
func TestMain(m *testing.M) {
	if code, ok := bench.ReexecInit(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

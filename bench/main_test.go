package bench

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as the workload kernel the drivers start (see
// ReexecInit), as strata's main does.
func TestMain(m *testing.M) {
	if code, ok := ReexecInit(); ok {
		os.Exit(code)
	}
	runContainerdExisted = exists(containerdRunDir)
	os.Exit(m.Run())
}

package controlplane

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// ForTest starts a control plane for a test and stops it when the test ends, whether it
// passed or not (t.Cleanup waits until every process has exited and the directory is
// gone). A failed test gets the end of each component's log. With -short, or when the
// control plane is not built and $STRATA_REQUIRE_CONTROLPLANE is unset, the test is
// skipped with the reason; scripts/test.sh sets that variable, so in CI a missing build
// fails instead.
func ForTest(t testing.TB) *ControlPlane {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no Kubernetes control plane")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bins, err := FindBinaries(ctx, false)
	if errors.Is(err, ErrNotBuilt) && os.Getenv("STRATA_REQUIRE_CONTROLPLANE") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := Start(ctx, bins, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("control plane logs:\n%s", c.Logs(40))
		}
		if err := c.Stop(); err != nil {
			t.Errorf("stop control plane: %v", err)
		}
	})
	return c
}

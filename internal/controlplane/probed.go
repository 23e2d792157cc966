package controlplane

import (
	"context"
	"fmt"
	"time"

	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/internal/probetest"
	"github.com/strata-dev/strata/probe"
)

// ProbedLabels runs strata's probe on a fake host tree (a directory such as
// probe/testdata/kvm-host; see package probetest), as of at, and returns the labels Node
// Feature Discovery would give a node from its `strata probe -o nfd` output.
func ProbedLabels(ctx context.Context, hostDir string, at time.Time) (map[string]string, error) {
	h, err := probetest.Host(hostDir)
	if err != nil {
		return nil, err
	}
	r, err := probe.Run(ctx, h, probe.Options{Now: func() time.Time { return at }})
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", hostDir, err)
	}
	return fleet.LabelsFromNFD(probe.NFD(r))
}

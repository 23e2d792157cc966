package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
)

// A Workload is read through network's bounded YAML reader: a request whose client went
// away stops, and a hostile body is a positioned problem, not a gigabyte.
func TestReadWorkloadsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body := []network.File{{Name: "w.yaml", Data: []byte("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: web}\nspec: {}\n")}}
	if _, err := plan.ReadWorkloadsContext(ctx, body); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v; want context.Canceled", err)
	}
	if ws, err := plan.ReadWorkloadsContext(context.Background(), body); err != nil || len(ws) != 1 {
		t.Errorf("read %v, %v; want one workload", ws, err)
	}
	hostile := []network.File{{Name: "body.yaml", Data: []byte(strings.Repeat("[", 20<<10))}}
	_, err := plan.ReadWorkloadsContext(context.Background(), hostile)
	ps, ok := network.AsProblems(err)
	if !ok || len(ps) != 1 || ps[0].Code != network.CodeLimit || ps[0].Pos.Line != 1 || ps[0].Pos.Col != 65 {
		t.Errorf("hostile body: %v; want one limit problem at body.yaml:1:65", err)
	}
	// A Workload file is a few dozen values: reading stops after 100,000 (a network file
	// may hold millions), so the densest 1 MiB body costs a few megabytes, not sixty.
	dense := []network.File{{Name: "body.yaml", Data: []byte("[" + strings.Repeat("1,", 500_000) + "1]")}}
	_, err = plan.ReadWorkloadsContext(context.Background(), dense)
	if ps, ok := network.AsProblems(err); !ok || len(ps) != 1 || ps[0].Code != network.CodeLimit || !strings.Contains(ps[0].Message, "100000 YAML values") {
		t.Errorf("dense body: %v; want the values limit", err)
	}
}

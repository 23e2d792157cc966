package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// synthetic builds results where each layer's driver takes the given start-up median.
func synthetic(starts map[string]float64) *Results {
	r := &Results{Version: 1, Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Host: Host{Hostname: "h1", Kernel: "6.1"},
		Workloads: []Workload{{Name: Start}}}
	layers := []string{Native, L3, L4, L2, L1}
	for _, l := range layers {
		m, ok := starts[l]
		if !ok {
			r.Drivers = append(r.Drivers, DriverResult{Name: "drv-" + l, Layer: l, Reason: "absent"})
			continue
		}
		s := []float64{m * 0.98, m, m * 1.01, m * 0.99, m * 1.02, m}
		r.Drivers = append(r.Drivers, DriverResult{Name: "drv-" + l, Layer: l, Available: true,
			Results: []WorkloadResult{{Workload: Start, Unit: "ms", Samples: s, Summary: Summarize(s)}}})
	}
	r.compare()
	return r
}

func seedReasoner(t *testing.T) *reason.Reasoner {
	t.Helper()
	n, err := network.Load(network.DefaultFiles())
	if err != nil {
		t.Fatal(err)
	}
	r, err := reason.New(n)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerify(t *testing.T) {
	r := seedReasoner(t)
	// The seed claims L-3 < L-4 < L-2 < L-1 < L-0. Here the sandbox starts faster than the
	// container (as wazero does), L-1 and L-0 are absent.
	res := synthetic(map[string]float64{Native: 0.5, L3: 8, L4: 0.02, L2: 2000})
	checks, err := Verify(r, "overhead", res)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range checks {
		got[c.Claim] = c.Verdict
	}
	want := map[string]string{
		"L-3 < L-4": Disagrees,
		"L-3 < L-2": Agrees,
		"L-4 < L-2": Agrees,
		"L-2 < L-1": NotMeasurable,
		"L-1 < L-0": NotMeasurable,
		"L-3 < L-0": NotMeasurable,
	}
	for claim, v := range want {
		if got[claim] != v {
			t.Errorf("%s: verdict %q, want %q", claim, got[claim], v)
		}
	}
	if len(checks) != 10 {
		t.Errorf("%d checks, want the 10 pairs of a 5-chain", len(checks))
	}
	for _, c := range checks {
		if c.Claim == "L-3 < L-4" {
			if !c.Significant || c.Lower.Driver != "drv-L-3" || c.Higher.Median != 0.02 {
				t.Errorf("L-3 < L-4 check: %+v", c)
			}
			if len(c.Claimed) == 0 || c.Claimed[0].Source.File == "" {
				t.Errorf("claim without its declared source: %+v", c.Claimed)
			}
		}
	}
	tally := Tally(checks)
	if tally[Agrees] != 2 || tally[Disagrees] != 1 || tally[NotMeasurable] != 7 {
		t.Errorf("tally %v", tally)
	}

	// Measured facts load into the network beside the declared ones.
	facts := MeasuredFacts(checks, res, Start)
	if len(facts) != 3 {
		t.Fatalf("%d measured facts, want 3: %+v", len(facts), facts)
	}
	var buf bytes.Buffer
	if err := WriteFacts(&buf, FactsName(res), facts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "kind: measured") || !strings.Contains(buf.String(), "h1") {
		t.Errorf("facts document:\n%s", buf.String())
	}
	n, err := network.Load(append(network.DefaultFiles(), network.File{Name: "measured.yaml", Data: buf.Bytes()}))
	if err != nil {
		t.Fatalf("measured facts do not load: %v\n%s", err, buf.String())
	}
	var measured int
	for _, f := range n.Facts {
		if f.Kind == network.Measured {
			measured++
			if f.Note == "" {
				t.Errorf("measured fact without a note: %+v", f)
			}
		}
	}
	if measured != 3 {
		t.Errorf("%d measured facts loaded, want 3", measured)
	}
}

func TestVerifyUnknownRelation(t *testing.T) {
	if _, err := Verify(seedReasoner(t), "no-such-relation", synthetic(nil)); err == nil {
		t.Error("unknown relation accepted")
	}
}

package measured

import (
	"testing"

	"github.com/strata-dev/strata/plan"
)

// BenchmarkPlanScenarios plans the four seed scenarios with declared figures alone, with the
// recorded measurements, with the recorded host's exclusions, and with both: a measured
// plan is planned twice (the declared plan tells what the measurements changed), so it
// should cost about twice as much; figures is the cost of reading the results against the
// network's data.
func BenchmarkPlanScenarios(b *testing.B) {
	n := loadNet(b)
	plain := planner(b, n)
	bn := readBench(b, benchFile)
	host := readProbe(b, probeFile)
	opt := Options{Now: fresh(bn), Host: host, HostSource: probeFile}
	m, err := Figures(n, []Bench{bn}, opt)
	if err != nil {
		b.Fatal(err)
	}
	onHost := plain.Excluding(HostExclusion(n, probeFile, host))
	for _, tc := range []struct {
		name string
		p    *plan.Planner
	}{{"declared", plain}, {"measured", plain.Measuring(m)}, {"host", onHost}, {"measured+host", onHost.Measuring(m)}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				for _, s := range []string{"edge", "ai-inference", "serverless", "microservices"} {
					w, err := tc.p.ScenarioWorkload(s)
					if err != nil {
						b.Fatal(err)
					}
					tc.p.Plan(w) // serverless is unsatisfiable on the recorded host: an answer too
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/4, "µs/plan")
		})
	}
	b.Run("figures", func(b *testing.B) {
		for b.Loop() {
			if _, err := Figures(n, []Bench{bn}, opt); err != nil {
				b.Fatal(err)
			}
		}
	})
}

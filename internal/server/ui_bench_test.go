package server_test

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/strata-dev/strata/internal/server"
)

// BenchmarkUIFirstView loads the UI in headless Chromium at 1280×800, a fresh page load
// each time, and reports the time from the start of the navigation to the first view
// drawn (the router's performance mark "strata:first-view": the view rendered and two
// animation frames painted): the explorer's lanes, and beside them, as the peer, the
// free graph (Cytoscape's force-directed layout of the whole network), which the explorer
// opened on before the lanes.
//
//	go test -run '^$' -bench UIFirstView -benchtime 20x ./internal/server/
func BenchmarkUIFirstView(b *testing.B) {
	bin := needBrowser(b)
	ts := httptest.NewServer(newServer(b, server.Config{}))
	defer ts.Close()
	tab := startBrowser(b, bin)
	for _, v := range []struct{ name, hash, view string }{{"lanes", "#/explorer", "explorer"}, {"free-graph", "#/graph", "graph"}} {
		b.Run(v.name, func(b *testing.B) {
			tab := tab.in(b)
			var ms []float64
			for b.Loop() {
				tab.load(ts.URL+"/"+v.hash, v.view)
				ms = append(ms, eval[float64](tab, "first view", `performance.getEntriesByName("strata:first-view")[0].startTime`))
			}
			slices.Sort(ms)
			b.ReportMetric(ms[len(ms)/2], "ms-median/first-view")
			b.ReportMetric(ms[len(ms)-1], "ms-max/first-view")
		})
	}
}

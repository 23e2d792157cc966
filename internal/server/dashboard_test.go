package server_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDashboardMetrics checks that every query of the Grafana dashboard uses only metric
// names that a scrape of /metrics really has.
func TestDashboardMetrics(t *testing.T) {
	b, err := os.ReadFile("../../dashboards/strata.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash any
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboards/strata.json: %v", err)
	}
	var exprs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && (k == "expr" || k == "definition") {
					exprs = append(exprs, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(dash)
	if len(exprs) < 10 {
		t.Fatalf("only %d queries in the dashboard", len(exprs))
	}

	s := newServer(t, newRegistryConfig())
	do(t, s, "GET", "/api/v1/compare?a=L-4&b=L-2", "", nil) // so that labelled series exist
	do(t, s, "GET", "/api/v1/plan?scenario=edge", "", nil)
	scrape := do(t, s, "GET", "/metrics", "", nil)
	exported := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^# TYPE (\S+) (\S+)`).FindAllStringSubmatch(string(scrape.body), -1) {
		exported[m[1]] = true
		if m[2] == "histogram" || m[2] == "summary" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				exported[m[1]+suffix] = true
			}
		}
	}
	name := regexp.MustCompile(`\b((?:strata|go|process)_[a-z0-9_]+)\b`)
	for _, e := range exprs {
		names := name.FindAllString(e, -1)
		if len(names) == 0 {
			t.Errorf("query uses no strata, go or process metric: %s", e)
		}
		for _, n := range names {
			if !exported[n] {
				t.Errorf("query uses %s, which /metrics does not export: %s", n, e)
			}
		}
	}
	if !strings.Contains(string(b), `"uid": "strata"`) {
		t.Error("dashboard has no stable uid")
	}
}

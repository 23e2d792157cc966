package server

import (
	"net/http"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/strata-dev/strata/network"
)

// Metric names strata exports besides the Go and process collectors'. The Grafana
// dashboard (dashboards/strata.json) queries these; a test checks that it uses no other.
const (
	MetricRequests       = "strata_http_requests_total"
	MetricDuration       = "strata_http_request_duration_seconds"
	MetricInFlight       = "strata_http_requests_in_flight"
	MetricResponseBytes  = "strata_http_response_size_bytes"
	MetricPlanDuration   = "strata_plan_duration_seconds"
	MetricPlanWaiting    = "strata_plan_requests_waiting"
	MetricReasonDuration = "strata_reason_duration_seconds"
	MetricEntities       = "strata_network_entities"
	MetricFacts          = "strata_network_facts"
	MetricRelations      = "strata_network_relation_types"
	MetricDimensions     = "strata_network_dimensions"
	MetricBuildInfo      = "strata_build_info"
)

// Buckets from 50µs: the API answers from memory, so most requests take well under a
// millisecond and the interesting tail is between 1 and 100 ms.
var latencyBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	size     *prometheus.HistogramVec
	plan     *prometheus.HistogramVec
	waiting  prometheus.Gauge
	reason   *prometheus.HistogramVec
}

// NewRegistry is a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func newMetrics(reg *prometheus.Registry, n *network.Network, version string) (*metrics, error) {
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricRequests,
			Help: "HTTP requests answered, by route pattern, method and status code."}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: MetricDuration,
			Help:    "Time to answer an HTTP request, by route pattern and method; exemplars carry the trace id.",
			Buckets: latencyBuckets}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricInFlight, Help: "HTTP requests being answered now."}),
		size: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: MetricResponseBytes,
			Help: "Size of HTTP response bodies, by route pattern.", Buckets: prometheus.ExponentialBuckets(64, 4, 9)}, []string{"route"}),
		plan: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: MetricPlanDuration,
			Help:    "Time the planner takes per workload, by outcome (planned, unsatisfiable, error); outcome scenarios is the whole scenario table.",
			Buckets: latencyBuckets}, []string{"outcome"}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricPlanWaiting,
			Help: "Requests waiting for a work slot: every route that computes runs a few requests per CPU at once."}),
		reason: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: MetricReasonDuration,
			Help:    "Time the reasoner takes per question, by operation (compare, why, rank, path, pareto, contradictions).",
			Buckets: latencyBuckets}, []string{"operation"}),
	}
	facts := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricFacts, Help: "Facts in the loaded network, by kind (declared, derived, measured)."}, []string{"kind"})
	for _, f := range n.Facts {
		facts.WithLabelValues(f.Kind).Inc()
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricBuildInfo, Help: "Always 1; the labels say which strata is running."}, []string{"version", "goversion"})
	info.WithLabelValues(version, runtime.Version()).Set(1)
	cs := []prometheus.Collector{m.requests, m.duration, m.inFlight, m.size, m.plan, m.waiting, m.reason, facts, info,
		gauge(MetricEntities, "Entities in the loaded network.", len(n.Entities)),
		gauge(MetricRelations, "Relation types in the loaded network.", len(n.Relations)),
		gauge(MetricDimensions, "Dimensions in the loaded network.", len(n.Dimensions)),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func gauge(name, help string, v int) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	g.Set(float64(v))
	return g
}

// handler serves the registry; OpenMetrics is offered because only it carries exemplars.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true, MaxRequestsInFlight: 4})
}

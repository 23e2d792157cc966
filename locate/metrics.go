package locate

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics is a Prometheus histogram of span time per part, with the trace id of the span
// observed as the exemplar, so a dashboard can jump from a slow bucket to a trace.
type Metrics struct {
	parts   *prometheus.HistogramVec
	wall    prometheus.Histogram
	refused *prometheus.CounterVec
}

// NewMetrics registers the histograms with reg:
//
//	strata_locate_span_seconds                         wall time of broken-down spans
//	strata_locate_part_seconds{category,cause}         each part of their time
//	strata_locate_otlp_refused_requests_total{status,reason,client}   OTLP requests refused
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	buckets := prometheus.ExponentialBuckets(0.0001, 4, 10) // 100µs … 26s
	m := &Metrics{
		parts: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "strata_locate_part_seconds", Help: "Time of located spans by category and cause (cpu-user, cpu-kernel/<class>, blocked/<cause>, runqueue, children, unexplained).", Buckets: buckets,
		}, []string{"category", "cause"}),
		wall: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "strata_locate_span_seconds", Help: "Wall time of located spans.", Buckets: buckets,
		}),
	}
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "strata_locate_otlp_refused_requests_total", Help: "OTLP requests the receiver refused, by HTTP status, reason (content-type, content-encoding, gzip, too-large, too-many-values, read, decode, method, busy) and client address.",
	}, []string{"status", "reason", "client"})
	for _, c := range []prometheus.Collector{m.parts, m.wall, m.refused} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Observe records every breakdown of the report, and the OTLP requests it says were
// refused.
func (m *Metrics) Observe(r Report) {
	for _, g := range r.Refused {
		m.refused.WithLabelValues(strconv.Itoa(g.Status), g.Reason, g.Client).Add(float64(g.Count))
	}
	for _, b := range r.Breakdowns {
		ex := prometheus.Labels{"trace_id": b.Span.TraceID}
		if len(b.Span.TraceID) > 64 {
			ex = nil
		}
		m.wall.(prometheus.ExemplarObserver).ObserveWithExemplar(b.Wall.Seconds(), ex)
		for _, p := range b.Parts {
			m.parts.WithLabelValues(string(p.Category), p.Cause).(prometheus.ExemplarObserver).ObserveWithExemplar(p.Time.Seconds(), ex)
		}
	}
}

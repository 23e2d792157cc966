package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

var propagator = propagation.TraceContext{}

// recorder remembers the status and the size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

var recorders = sync.Pool{New: func() any { return new(recorder) }}

// knownMethods bounds the method label.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// instrument wraps a route: a server span (continuing a W3C traceparent), metrics with the
// trace id as exemplar, and one log line per request. A handler that panics is logged
// with the stack and answered 500 when it had written nothing yet; the gauge, the span and
// the metrics are finished either way.
func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inFlight.Inc()
		ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		method := methodLabel(r.Method)
		ctx, span := s.tracer.Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", method), attribute.String("http.route", route),
				attribute.String("url.path", r.URL.Path)))
		rec := recorders.Get().(*recorder)
		*rec = recorder{ResponseWriter: w}
		defer func() {
			v := recover()
			abort, failure := false, ""
			if v != nil {
				abort = s.recovered(ctx, rec, r, route, v)
				failure = fmt.Sprint("panic: ", v)
			}
			status, size := rec.status, rec.bytes
			if status == 0 || v != nil {
				status = http.StatusOK
				if v != nil {
					status = http.StatusInternalServerError // what a failed answer counts as
				}
			}
			*rec = recorder{}
			recorders.Put(rec)
			s.finish(ctx, span, r, route, method, status, size, time.Since(start), failure)
			if abort {
				// Part of the answer is out: make net/http cut the connection so the
				// client does not take it for the whole answer.
				panic(http.ErrAbortHandler)
			}
		}()
		h.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// recovered logs a handler's panic and answers 500 when nothing was written yet. It
// reports whether the connection must be cut instead (a partial answer, or a handler that
// aborted on purpose with http.ErrAbortHandler).
func (s *Server) recovered(ctx context.Context, rec *recorder, r *http.Request, route string, v any) bool {
	if v == http.ErrAbortHandler {
		return true
	}
	s.log.ErrorContext(ctx, "handler panicked", slog.String("route", route), slog.String("path", r.URL.Path),
		slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
	if rec.status != 0 {
		return true
	}
	msg := "internal error: the server log has the details"
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		msg += " under trace_id " + sc.TraceID().String()
	}
	writeError(rec, r, &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: msg})
	return false
}

// finish ends a request's span and records its metrics and log line.
func (s *Server) finish(ctx context.Context, span trace.Span, r *http.Request, route, method string, status, size int, d time.Duration, failure string) {
	code := strconv.Itoa(status)
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	switch {
	case failure != "":
		span.SetStatus(codes.Error, failure)
	case status >= 500:
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
	s.metrics.inFlight.Dec()
	s.metrics.requests.WithLabelValues(route, method, code).Inc()
	observe(ctx, s.metrics.duration.WithLabelValues(route, method), d.Seconds())
	s.metrics.size.WithLabelValues(route).Observe(float64(size))

	level := slog.LevelInfo
	switch {
	case status >= 500 && r.Context().Err() == nil: // not a client that went away
		level = slog.LevelError
	case route == "/metrics" || route == "/healthz" || route == "/readyz":
		level = slog.LevelDebug // scrapes and probes would drown the rest
	}
	if s.log.Enabled(ctx, level) {
		s.log.LogAttrs(ctx, level, "request", slog.String("method", r.Method), slog.String("route", route),
			slog.String("path", r.URL.Path), slog.Int("status", status), slog.Int("bytes", size),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.String("remote", r.RemoteAddr))
	}
}

// observe records a value with the trace id as exemplar when the context is traced.
func observe(ctx context.Context, o prometheus.Observer, v float64) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		if eo, ok := o.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(v, prometheus.Labels{"trace_id": sc.TraceID().String()})
			return
		}
	}
	o.Observe(v)
}

// reasonStep times one reasoner question in its own span.
func (s *Server) reasonStep(ctx context.Context, op string, f func()) {
	ctx, span := s.tracer.Start(ctx, "reason."+op)
	start := time.Now()
	f()
	observe(ctx, s.metrics.reason.WithLabelValues(op), time.Since(start).Seconds())
	span.End()
}

// planStep runs the planner in its own span; f returns the outcome label.
func (s *Server) planStep(ctx context.Context, workload string, f func() string) {
	ctx, span := s.tracer.Start(ctx, "plan.Plan", trace.WithAttributes(attribute.String("strata.workload", workload)))
	start := time.Now()
	outcome := f()
	span.SetAttributes(attribute.String("strata.outcome", outcome))
	observe(ctx, s.metrics.plan.WithLabelValues(outcome), time.Since(start).Seconds())
	span.End()
}

// Package telemetry is how strata observes itself: OpenTelemetry traces exported by OTLP
// when the standard OTEL_EXPORTER_OTLP_* variables ask for it (a no-op tracer otherwise),
// and log/slog JSON logs that carry the trace_id and span_id of the span in the context,
// so that Loki can link a log line to its trace.
//
// Metrics live with the server (internal/server), which owns the Prometheus registry.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// ServiceName is the service.name strata reports unless OTEL_SERVICE_NAME says otherwise.
const ServiceName = "strata"

// Enabled reports whether the environment asks for OTLP export of traces: an endpoint is
// set (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and
// OTEL_TRACES_EXPORTER and OTEL_SDK_DISABLED do not turn it off.
func Enabled(getenv func(string) string) bool {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	if e := getenv("OTEL_TRACES_EXPORTER"); e != "" && e != "otlp" {
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Tracing sets up the tracer provider from the environment and installs it (and the W3C
// trace-context propagator) globally. Without OTLP variables it returns a no-op provider:
// no spans are recorded and nothing is sent, but a trace context arriving with a request
// still flows into the logs. The shutdown function flushes pending spans.
func Tracing(ctx context.Context, version string) (trace.TracerProvider, func(context.Context) error, error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if !Enabled(os.Getenv) {
		tp := noop.NewTracerProvider()
		return tp, func(context.Context) error { return nil }, nil
	}
	var exp sdktrace.SpanExporter
	var err error
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch proto {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx) // reads OTEL_EXPORTER_OTLP_* itself
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q is not supported: use http/protobuf or grpc", proto)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceName(ServiceName), semconv.ServiceVersion(version)))
	if err != nil && !errors.Is(err, resource.ErrSchemaURLConflict) {
		return nil, nil, fmt.Errorf("otel resource: %w", err)
	}
	// resource.Default honours OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; ours only
	// fills the name when those leave it at the SDK's "unknown_service".
	if v := os.Getenv("OTEL_SERVICE_NAME"); v != "" {
		res, _ = resource.Merge(res, resource.NewSchemaless(semconv.ServiceName(v)))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp, tp.Shutdown, nil
}

// NewLogger returns a JSON logger at the level whose lines carry trace_id and span_id
// when the context passed to the *Context methods holds a valid span context.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(TraceHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// TraceHandler adds trace_id and span_id to every record logged with a traced context.
type TraceHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h TraceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h TraceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return TraceHandler{h.Handler.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (h TraceHandler) WithGroup(name string) slog.Handler {
	return TraceHandler{h.Handler.WithGroup(name)}
}

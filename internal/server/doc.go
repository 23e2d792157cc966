// Package server is strata serve: the JSON API over the network, the reasoner and the
// planner (/api/v1/..., described by the OpenAPI document at /api/v1/openapi.json), the
// embedded web UI, /healthz, /readyz and /metrics.
//
// Every request is counted and timed per route in Prometheus metrics whose histogram
// buckets carry the trace id as an exemplar, traced with OpenTelemetry (a span per request
// and one per plan or reason step), and logged as one JSON line with trace_id and span_id.
// Handlers have one shape (api.go): they return data or an error and one writer answers,
// so every answer is encoded, bounded and labelled the same way. Errors are JSON objects
// {"error": {"code", "message", ...}} with a status that fits: 400 for bad input (with the
// loader's file:line:col problems, and for query parameters the operation does not take,
// lists over their bounds and names over MaxParamBytes), 404 for an unknown entity (with
// the nearest name), 405, 413 (a body over MaxBodyBytes, or more than MaxWorkloads Workload
// documents), 415 (a body that is not JSON or YAML, text/plain and forms included: any
// web page can make a browser send those unasked), 422 for a workload that cannot be
// planned, 500 "internal" for the server's own failures (a handler's panic included), and
// 503 when a request gave up waiting for its turn: every route that computes runs a few
// requests per CPU at once, and the rest queue.
//
// A [Server] is immutable once built and safe for concurrent use.
package server

// A small HTTP service traced with the OpenTelemetry JS SDK (a server span per request,
// OTLP/HTTP protobuf export, process.pid from the SDK's process detector): what
// BenchmarkNodeObservationOverhead (cmd/strata-demo) loads at 1,000 requests/s, plain and
// under strata locate. Each request spends about 100 µs of CPU. It prints
// "listening PORT PID" and serves until SIGINT or SIGTERM, then flushes its spans.
'use strict';
const http = require('node:http');
const { trace, SpanKind } = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { Resource, detectResourcesSync, processDetectorSync } = require('@opentelemetry/resources');

const provider = new NodeTracerProvider({
  resource: Resource.default()
    .merge(new Resource({ 'service.name': 'node-service' }))
    .merge(detectResourcesSync({ detectors: [processDetectorSync] })),
});
provider.addSpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter()));
const tracer = provider.getTracer('service');

let port = 0;
const server = http.createServer((req, res) => {
  const span = tracer.startSpan('GET /light', { kind: SpanKind.SERVER, attributes: { 'server.port': port, 'http.request.method': req.method } });
  const end = process.hrtime.bigint() + 100000n;
  let x = 1;
  while (process.hrtime.bigint() < end) x = x * 1.0000001 + 1e-9;
  res.end('ok\n');
  span.end();
});
server.listen(0, '127.0.0.1', () => {
  port = server.address().port;
  console.log(`listening ${port} ${process.pid}`);
});
async function stop() {
  server.close();
  await provider.shutdown();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

// The Node.js program of strata locate's accuracy corpus: handlers that each spend their
// time in one known way, synchronously on the event loop ("sync") and asynchronously,
// awaited by it ("async"), beside Node's own helper threads and a worker thread that
// wakes on a timer. Spans go out through the OpenTelemetry JS SDK (NodeTracerProvider,
// OTLP/HTTP protobuf exporter), with process.pid from the SDK's process detector and no
// thread.id, as the SDK writes them.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');
const { setTimeout: sleepAsync } = require('node:timers/promises');
const { Worker } = require('node:worker_threads');
const { trace } = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { Resource, detectResourcesSync, processDetectorSync } = require('@opentelemetry/resources');

const D = 40;
const REPS = Number(process.env.CORPUS_REPS || 3);
const [slowHost, slowPort] = process.env.CORPUS_SLOW.split(':');

const provider = new NodeTracerProvider({
  resource: Resource.default()
    .merge(new Resource({ 'service.name': 'corpus-node' }))
    .merge(detectResourcesSync({ detectors: [processDetectorSync] })),
});
provider.addSpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter()));
provider.register();
const tracer = trace.getTracer('corpus');

// The lock: a worker thread holds ctl[1] for D when asked through ctl[0].
const ctl = new Int32Array(new SharedArrayBuffer(8));
const holder = new Worker(`
  const { workerData: ctl } = require('node:worker_threads');
  const nap = new Int32Array(new SharedArrayBuffer(4));
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    Atomics.store(ctl, 1, 1);
    Atomics.notify(ctl, 1);
    Atomics.wait(nap, 0, 0, ${D});
    Atomics.store(ctl, 1, 0);
    Atomics.notify(ctl, 1);
  }`, { eval: true, workerData: ctl });
holder.unref();
// A busy helper: a worker thread whose event loop wakes every 20 ms.
const ticker = new Worker(`setInterval(() => {}, 20)`, { eval: true });
ticker.unref();

function lockReady() { // outside the span: the holder takes the lock
  Atomics.add(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  while (Atomics.load(ctl, 1) === 0) Atomics.wait(ctl, 1, 0, 100);
}

function lock() {
  while (Atomics.load(ctl, 1) === 1) Atomics.wait(ctl, 1, 1);
}

function cpu() {
  const start = process.cpuUsage();
  let x = 1;
  for (;;) {
    for (let i = 0; i < 10000; i++) x = x * 1.0000001 + 1e-9;
    const u = process.cpuUsage(start);
    if ((u.user + u.system) / 1000 >= D) return x;
  }
}

const buf = Buffer.alloc(1 << 20, 'x');
let diskFd = -1;
function diskSync() {
  if (diskFd < 0) {
    const p = `${process.env.CORPUS_DIR}/node-${process.pid}-sync`;
    diskFd = fs.openSync(p, 'w');
    fs.unlinkSync(p);
  }
  // at least 4 times and until D ms have passed: on a fast disk four fsyncs are a few ms
  const end = performance.now() + D;
  for (let i = 0; i < 4 || performance.now() < end; i++) {
    fs.writeSync(diskFd, buf, 0, buf.length, 0);
    fs.fsyncSync(diskFd);
  }
}

let diskFh = null;
async function diskAsync() {
  if (!diskFh) {
    const p = `${process.env.CORPUS_DIR}/node-${process.pid}-async`;
    diskFh = await fs.promises.open(p, 'w');
    await fs.promises.unlink(p);
  }
  const end = performance.now() + D;
  for (let i = 0; i < 4 || performance.now() < end; i++) {
    await diskFh.write(buf, 0, buf.length, 0);
    await diskFh.sync();
  }
}

function sleepSync() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, D); }

function childSync() { spawnSync('sleep', ['0.04']); }
function childAsync() { return new Promise((res) => spawn('sleep', ['0.04']).on('exit', res)); }

function network() {
  return new Promise((res) => {
    const s = net.connect(Number(slowPort), slowHost, () => s.write('x\n'));
    s.on('data', () => {});
    s.on('close', res);
    s.on('error', res);
  });
}

const fifoIn = fs.openSync(process.env.CORPUS_FIFO_IN, 'w');
const fifoOut = new net.Socket({ fd: fs.openSync(process.env.CORPUS_FIFO_OUT, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK), readable: true });
fifoOut.pause();
function pipe() {
  return new Promise((res) => {
    fifoOut.once('data', () => { fifoOut.pause(); res(); });
    fifoOut.resume();
    fs.writeSync(fifoIn, 'x\n');
  });
}

const handlers = {
  sync: { cpu, disk: diskSync, sleep: sleepSync, lock, child: childSync, network, pipe },
  async: { cpu, disk: diskAsync, sleep: () => sleepAsync(D), lock, child: childAsync, network, pipe },
};

async function main() {
  for (let r = 0; r < REPS; r++) {
    for (const cause of ['cpu', 'disk', 'sleep', 'lock', 'child', 'network', 'pipe']) {
      for (const variant of ['sync', 'async']) {
        if (cause === 'lock') lockReady();
        const span = tracer.startSpan(`${cause}/${variant}`, { attributes: { 'corpus.cause': cause } });
        await handlers[variant][cause]();
        span.end();
        await sleepAsync(5);
      }
    }
  }
  await provider.shutdown();
  process.exit(0);
}
main();

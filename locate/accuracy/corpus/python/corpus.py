"""The Python program of strata locate's accuracy corpus: handlers that each spend their
time in one known way, on the main thread ("single") and on a worker thread the main
thread waits for ("multi"), beside idle and busy helper threads. Spans are written at the
end as OTLP JSON (CORPUS_SPANS) with process.pid, telemetry.sdk.language python and no
thread.id, as the OpenTelemetry Python SDK writes them (PyPI is not reachable here: this
is a small writer of the same format)."""

import json
import multiprocessing
import os
import queue
import select
import socket
import subprocess
import sys
import threading
import time

D = 0.040
REPS = int(os.environ.get("CORPUS_REPS", "3"))
SLOW = os.environ["CORPUS_SLOW"]
DIR = os.environ.get("CORPUS_DIR", "/tmp")
spans = []
spans_lock = threading.Lock()


def cpu():
    end = time.thread_time() + D
    x = 1.0
    while time.thread_time() < end:
        for _ in range(1000):
            x = x * 1.0000001 + 1e-9


disk_files = threading.local()


def disk():
    fd = getattr(disk_files, "fd", None)
    if fd is None:
        path = os.path.join(DIR, "py-%d-%d" % (os.getpid(), threading.get_native_id()))
        fd = disk_files.fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        os.unlink(path)
    buf = b"x" * (1 << 20)
    # at least 4 times and until D has passed: on a fast disk four fsyncs are a few ms
    end = time.monotonic() + D
    i = 0
    while i < 4 or time.monotonic() < end:
        os.pwrite(fd, buf, 0)
        os.fsync(fd)
        i += 1


def sleep():
    time.sleep(D)


# A lock shared with a holder process that holds it D of every D+5 ms.
shared_lock = multiprocessing.Lock()
generation = multiprocessing.Value("i", 0, lock=False)


def holder(parent):
    while os.getppid() == parent:
        with shared_lock:
            generation.value += 1
            time.sleep(D)
        time.sleep(0.005)


def lock_ready():  # outside the span: until the holder has just taken the lock
    g = generation.value
    while generation.value == g:
        time.sleep(0.0002)


def lock():
    with shared_lock:
        pass


def child():
    subprocess.run(["sleep", "0.04"], check=True)


def network():
    host, port = SLOW.rsplit(":", 1)
    with socket.create_connection((host, int(port))) as s:
        s.sendall(b"x\n")
        while s.recv(64):
            pass


fifo_in = fifo_out = None


def pipe():
    os.write(fifo_in, b"x\n")
    got = b""
    while len(got) < 2:
        got += os.read(fifo_out, 8)


HANDLERS = [("cpu", cpu, None), ("disk", disk, None), ("sleep", sleep, None), ("lock", lock, lock_ready),
            ("child", child, None), ("network", network, None), ("pipe", pipe, None)]


def run(cause, fn, before, variant):
    if before:
        before()
    start = time.time_ns()
    fn()
    end = time.time_ns()
    with spans_lock:
        spans.append((cause, variant, start, end))


def write_spans():
    out = []
    for i, (cause, variant, start, end) in enumerate(spans, 1):
        out.append({"traceId": "%032x" % i, "spanId": "%016x" % i, "name": cause + "/" + variant, "kind": 1,
                    "startTimeUnixNano": str(start), "endTimeUnixNano": str(end),
                    "attributes": [{"key": "corpus.cause", "value": {"stringValue": cause}}]})
    doc = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "corpus-python"}},
        {"key": "process.pid", "value": {"intValue": str(os.getpid())}},
        {"key": "telemetry.sdk.language", "value": {"stringValue": "python"}}]},
        "scopeSpans": [{"scope": {"name": "corpus"}, "spans": out}]}]}
    with open(os.environ.get("CORPUS_SPANS", "spans.json"), "w") as f:
        json.dump(doc, f)


def helpers():
    idle_r, _idle_w = os.pipe()
    ping_r, ping_w = os.pipe()
    cond = threading.Condition()

    def idle_select():
        select.select([idle_r], [], [])

    def idle_cond():
        with cond:
            cond.wait()

    def ticker():
        p = select.poll()
        while True:
            p.poll(25)

    def pinger():
        while True:
            time.sleep(0.020)
            os.write(ping_w, b"p")

    def poller():
        p = select.poll()
        p.register(ping_r, select.POLLIN)
        while True:
            p.poll()
            os.read(ping_r, 16)

    for f in (idle_select, idle_cond, ticker, pinger, poller):
        threading.Thread(target=f, daemon=True).start()


def main():
    global fifo_in, fifo_out
    multiprocessing.Process(target=holder, args=(os.getpid(),), daemon=True).start()
    fifo_in = os.open(os.environ["CORPUS_FIFO_IN"], os.O_WRONLY)
    fifo_out = os.open(os.environ["CORPUS_FIFO_OUT"], os.O_RDONLY)
    helpers()
    jobs, done = queue.Queue(), queue.Queue()

    def worker():
        while True:
            job = jobs.get()
            run(*job, "multi")
            done.put(True)

    threading.Thread(target=worker, daemon=True).start()
    for _ in range(REPS):
        for h in HANDLERS:
            run(*h, "single")
            time.sleep(0.005)
            jobs.put(h)
            done.get()
            time.sleep(0.005)
    write_spans()
    os._exit(0)  # daemon helpers and the holder stop with us


if __name__ == "__main__":
    sys.exit(main())

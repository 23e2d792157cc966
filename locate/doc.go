// Package locate implements "problem location = O1 × O2": it joins OTLP spans (the
// horizontal coordinate, O1) with what the kernel saw the span's threads do (the vertical
// coordinate, O2), and splits each span's wall time into child spans, on-CPU user time,
// on-CPU kernel time by syscall class, blocked time by cause, run-queue wait and what
// stays unexplained — each part with its confidence and evidence.
//
// # A tour
//
// Kernel events ([Event]: switch-out and switch-in, wakeups, long or blocking syscalls,
// block I/O) come from the eBPF collector in locate/ebpf, or a sampled equivalent from
// locate/procfs where eBPF cannot load. [Build] turns events into a [Timeline]: per
// thread, non-overlapping [Interval]s of on-CPU, run-queue and blocked time, each blocked
// interval with a [Cause] read from the syscall it was in (fsync: disk; futex: lock;
// nanosleep: sleep; epoll that returned ready descriptors: network, that timed out: sleep;
// reads and writes by the kind of their descriptor) and from who woke it (the waking
// thread, or none for wakeups from interrupt context: timers, devices, the network). A
// wait on a pipe, a socket or a poll that a thread of a process followed from a fork
// ended is child ([BuildFollowing]); a lock wait, while the thread that released the lock
// waited for a CPU, is run-queue time.
//
// Spans come from an OTLP/HTTP [Receiver] (protobuf or JSON, gzip), from files
// ([ReadSpanFile]: OTLP JSON, one document or one per line, or protobuf), through
// [SpansOf]. [Join] ties each span to its thread (span attribute thread.id; confidence
// [Exact]) or to its process (process.pid; confidence [Process] when no other span of the
// process, tied to a thread or not, ran then, [Share] when several did) and returns a
// [Report] whose breakdowns' parts add up to each span's wall time exactly: the property
// test TestPartsAddUp on random event streams and spans, and the fuzz targets
// FuzzBuildJoin (arbitrary events) and FuzzReadRecording (arbitrary recording files), hold
// it to that. Spans that carry only server.port are given the process that listened there
// by the caller (strata locate reads the observed processes' ports while they run and
// keeps them in the [Recording]). [Annotate] and [Export] send the spans on with the
// breakdown as strata.locate.* attributes; [Metrics] keeps Prometheus histograms per part
// with trace-id exemplars. A [Recording] saves what a collector saw, to join later.
//
// # Go programs
//
// Goroutines move between threads, so a kernel thread is not a request. A span of a Go
// program is tied to its process unless the handler pins its goroutine
// (runtime.LockOSThread) and records thread.id; then, when the pinned thread parks in
// futex, the thread that woke it tells why: if it had just (within [WakerWindow]) returned
// from a waiting poll (poll, select, epoll_wait and their variants; not epoll_ctl) with
// ready descriptors, the goroutine waited for the network; if that poll blocked and timed
// out, for a timer (sleep) — a poll that returned nothing at once, as Go's netpoll(0)
// does, says nothing; otherwise for a lock. cmd/strata-demo does exactly this. Better
// than who woke it is what the runtime says the goroutine waits for: a [Recording]'s
// GoWaits, read from the program's memory beside the collector (procfs.GoWatcher), name a
// futex wait they were read during ([GoWait]).
//
// # Concurrency
//
// [Build] and [Join] are pure functions; a [Receiver] is safe for concurrent use.
package locate

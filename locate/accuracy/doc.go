// Package accuracy is strata locate's accuracy benchmark: a corpus of small programs in Go,
// Node.js (the OpenTelemetry JS SDK from npm), Python and C (corpus/), each running
// handlers that spend their time in one known way — cpu, disk (fsync), sleep, lock, child,
// network (a slow local server) and pipe — on the thread that serves them and on a second
// one ("single" and "multi"; Node: synchronous and asynchronous), beside idle and busy
// helper threads. TestAccuracy runs each program under strata locate, with eBPF and with
// /proc sampling, on an idle machine and beside a CPU hog (stress-ng), and compares each
// span's dominant part with the cause its handler was written to have.
//
// The dominant part is the label (as blocked/disk) that holds the most of the span's time
// other than its child spans and its run-queue wait, its parts summed whatever their
// confidence, as strata names it (locate.Breakdown.Dominant): the run-queue wait is the machine's load, not the handler's cause —
// except with eBPF beside the hog for a span that waited for a CPU at least 90 % of its
// own time (see runQueueDominates): then the run-queue wait is the answer.
// For disk, the file system's kernel work inside fsync (cpu-kernel/file) counts as right
// beside the wait for the device (blocked/disk); for cpu, the kernel's work in page faults
// on the handler's own first touches of memory (cpu-kernel/fault) beside its user time:
// eBPF times faults from the exception's entry to its exit, and a Node cpu handler whose
// heap grew spent 14 of its 21 ms there (process.cpuUsage, which the handler loops on,
// allocates, and V8's new space was touched for the first time).
// The report is the share of right answers per language and cause, and how often answers
// of each confidence were right.
//
//	go test -run TestAccuracy -v ./locate/accuracy                       # quick (CI)
//	go test -run TestAccuracy -v ./locate/accuracy -accuracy.reps 20     # BENCHMARKS.md
//	go test -run TestAccuracy -v ./locate/accuracy -accuracy.record DIR  # keep each run's recording and report
//
// The Node program needs its npm packages: scripts/setup-locate.sh installs them into
// corpus/node/node_modules.
package accuracy

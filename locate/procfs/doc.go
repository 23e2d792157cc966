// Package procfs is the fallback collector of strata locate, for hosts where eBPF cannot
// load (no root, no BTF, kernel lockdown): a [Sampler] reads
// /proc/PID/task/TID/{stat,schedstat,syscall,wchan} of every thread of the targets at a
// fixed period and [Timeline] turns the samples into the same per-thread intervals the
// eBPF collector yields, so the join and the report are the same. The result is marked as
// sampled everywhere it is shown: times have the sampling period as resolution, and a
// blocked cause is what the thread was in when it was sampled.
package procfs

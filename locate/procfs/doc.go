// Package procfs is the fallback collector of strata locate, for hosts where eBPF cannot
// load (no root, no BTF, kernel lockdown): a [Sampler] reads
// /proc/PID/task/TID/{stat,schedstat,syscall,wchan,io} of every thread of the targets at a
// fixed period (keeping the files open: files.go) and [Timeline] turns the samples into the
// same per-thread intervals the eBPF collector yields, so the join and the report are the
// same. Where the sampler may read the targets' memory (root, or ptrace access), it also
// reads what a wait returned (an epoll wait's event array), when a timed futex wait runs
// out, and, in a Go program built with its DWARF, what the goroutine locked to a parked
// thread waits for (goruntime.go). Where it may ask the kernel (CAP_NET_ADMIN), a
// thread's user and system time are its raw clock ticks (taskstats_linux.go), not /proc's
// scaled ones; where it may (CAP_SYS_NICE), it samples at real-time priority so that a
// busy machine does not stretch its periods (rt_linux.go). The result is marked as
// sampled everywhere it is shown:
// times have the sampling period as resolution, and a blocked cause is what the thread
// was in when it was sampled.
package procfs

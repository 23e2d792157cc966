// Package ebpf is the kernel-event collector of strata locate: a BPF program
// (bpf/locate.bpf.c, compiled with bpf2go and committed) on the sched_switch,
// sched_waking, sys_enter/sys_exit, block_rq_issue/complete, sched_process_fork and
// sched_process_exit tracepoints, filtered in the kernel to the target processes, feeding
// one ring buffer that [Collector] drains into [locate.Event]s.
//
// Times: the BPF program stamps events with bpf_ktime_get_ns (CLOCK_MONOTONIC); the
// collector converts them to wall-clock time with an offset measured once at start
// (the pair of clock readings with the narrowest bracket), so they line up with OTLP span
// times from the same host.
//
// Volume: short syscalls (below Options.LongSyscall, and that did not leave the CPU) are
// not sent one by one: their time is summed per thread and class in the kernel and sent
// with the thread's next switch-out. The reader is woken only when 64 KiB are waiting, or
// every 20 ms, so a busy target costs few wakeups. Events that do not fit in the 16 MiB
// ring are counted, never silently dropped: [Collector.Stop] reports them as Lost. The
// collector keeps at most Options.MaxEvents events (default [DefaultMaxEvents]) in memory
// and counts the rest as Dropped.
//
// Kernel tables: a thread's state lives from its first syscall to its exit, and a process
// leaves the targets when its last thread exits, so the tables hold what is alive, however
// many short-lived children the targets fork; an update that fails because a table is
// full is counted as Missed ([Collector.Stats], and a note in the recording).
//
// Attaching to a running process: the threads [Collector.Add] finds asleep in a syscall
// entered it before they were observed. Add reads each thread's syscall and arguments from
// /proc/PID/task/TID/syscall and writes them into the kernel's thread table where the
// thread has no state yet (the kernel side creates it at any syscall entry or exit it
// sees, so a thread that left the syscall meanwhile keeps its own); the syscall's exit is
// then sent marked Attached, and a thread asleep (S or D) gets a [locate.EvInFlight]
// event, so its first wait has its cause. When that wait began is not known: the
// timeline counts it from the start of the recording and says so in its evidence.
//
// Wakers: a wakeup made in interrupt context (hardirq, softirq, hrtimer callbacks, tracked
// per CPU through their tracepoints) names no waker, not the task the interrupt landed on.
//
// Loading needs Linux 5.18 or later (the tp_btf/sched_switch tracepoint with its
// prev_state argument; the error says so on older kernels), root (CAP_BPF and
// CAP_PERFMON), kernel BTF (/sys/kernel/btf/vmlinux) and an x86-64 kernel without lockdown
// of BPF; every failure to load wraps [locate.ErrNotSupported]. The object is built for
// amd64 only.
//
// A Collector is safe for concurrent use.
package ebpf

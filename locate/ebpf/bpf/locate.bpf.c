// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* strata locate: the kernel side of "problem location = O1 x O2".
 *
 * For the threads of the target processes (a hash of tgids, filled by user space and by
 * fork) it reports, through one ring buffer:
 *   - switch-out / switch-in (sched_switch): on-CPU slices, preemption, blocking, with the
 *     syscall the thread was in and the kernel time of the short syscalls of the slice;
 *   - wakeups (sched_waking), with the waker and when the waker's last poll returned;
 *   - syscalls that blocked or ran longer than a threshold, at their exit;
 *   - block I/O requests the threads issued, at completion.
 * Short syscalls are not sent one by one: they are summed per thread and class and ride on
 * the next switch-out. Events that do not fit in the ring are counted in `lost`, map
 * updates that fail (a full `threads` or `targets`) in `missed`.
 *
 * Maps stay bounded by what is alive: a thread's state is created at its first syscall
 * and deleted when it exits (sched_process_exit) and again at its last switch-out
 * (prev_state TASK_DEAD), which never recreates it; a process leaves `targets` when its
 * last thread exits, so a reused pid is not a target.
 *
 * Needs Linux >= 5.18: the 4-argument tp_btf/sched_switch with prev_state.
 * The struct layouts here must match locate/ebpf/collector.go. */
#include "types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define NCLASS 8
#define MAX_SYSCALL 512
#define TASK_DEAD 0x80
#define EEXIST 17

enum {
	EV_SWITCH_OUT = 1,
	EV_SWITCH_IN = 2,
	EV_WAKEUP = 3,
	EV_SYSCALL = 4,
	EV_BLOCK_IO = 5,
};

struct event {
	__u64 ts;	 /* CLOCK_MONOTONIC ns; for EV_SYSCALL/EV_BLOCK_IO: the end */
	__u64 start;	 /* syscall entry / I/O issue / in-flight syscall entry */
	__s64 ret;	 /* syscall return / I/O bytes */
	__u64 poll_ts;	 /* wakeup: waker's last poll exit */
	__s64 poll_ret;	 /* wakeup: what that poll returned */
	__u32 pid;	 /* tgid */
	__u32 tid;
	__u32 kind;
	__u32 state;	 /* switch-out: prev_state (0: preempted); block I/O: 1 for writes */
	__s32 sys;	 /* syscall nr (switch-out: in flight, -1 none) */
	__s32 fd;	 /* first syscall argument */
	__u32 waker;	 /* wakeup: waker tid */
	__u32 short_n;	 /* switch-out: short syscalls in the slice */
	__u64 short_ns[NCLASS];
};

/* Keep struct event in the BTF so bpf2go can generate its Go twin. */
const struct event *unused_event __attribute__((unused));

struct tstate {
	__u64 sys_start;
	__u64 poll_ts;
	__s64 poll_ret;
	__s32 sys;
	__s32 fd;
	__u32 switched; /* left the CPU during the syscall in flight */
	__u32 short_n;
	__u64 short_ns[NCLASS];
};

struct io_start {
	__u64 ts;
	__u32 pid;
	__u32 tid;
	__u32 bytes;
	__u32 write;
};

struct config {
	__u64 long_ns;	     /* syscalls at least this long are sent as events */
	__u64 wakeup_bytes;  /* wake the reader when this much is waiting */
	__u32 follow_forks;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct tstate);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct io_start);
} ios SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SYSCALL);
	__type(key, __u32);
	__type(value, __u8);
} sys_class SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct config);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Map updates that failed because the map was full: threads or processes not followed. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} missed SEC(".maps");

/* Per CPU: how deep in hardirq, softirq or hrtimer callbacks the CPU is, so a wakeup made
 * there is not charged to the task the interrupt happened to land on. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} irq_depth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

static __always_inline int is_target(__u32 tgid)
{
	return bpf_map_lookup_elem(&targets, &tgid) != 0;
}

static __always_inline struct config *config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&cfg, &zero);
}

static __always_inline void count(void *counter)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(counter, &zero);
	if (n)
		(*n)++;
}

static __always_inline struct event *reserve(void)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(struct event), 0);
	if (!e) {
		count(&lost);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	return e;
}

static __always_inline void submit(struct event *e)
{
	struct config *c = config();
	__u64 flags = BPF_RB_NO_WAKEUP;
	if (c && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= c->wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

static __always_inline struct tstate *thread_state(__u32 tid)
{
	struct tstate *s = bpf_map_lookup_elem(&threads, &tid);
	if (s)
		return s;
	struct tstate z = {};
	z.sys = -1;
	long err = bpf_map_update_elem(&threads, &tid, &z, BPF_NOEXIST);
	if (err && err != -EEXIST)
		count(&missed);
	return bpf_map_lookup_elem(&threads, &tid);
}

static __always_inline int in_interrupt(void)
{
	__u32 zero = 0;
	__u32 *d = bpf_map_lookup_elem(&irq_depth, &zero);
	return d && *d > 0;
}

static __always_inline void irq_enter(void)
{
	__u32 zero = 0;
	__u32 *d = bpf_map_lookup_elem(&irq_depth, &zero);
	if (d)
		(*d)++;
}

static __always_inline void irq_leave(void)
{
	__u32 zero = 0;
	__u32 *d = bpf_map_lookup_elem(&irq_depth, &zero);
	if (d && *d > 0) /* attached mid-interrupt: the entry was not seen */
		(*d)--;
}

/* A waiting poll-family call: its result says whether the waiter found ready descriptors
 * or timed out. epoll_ctl, epoll_create1 and the like are not. */
static __always_inline int waiting_poll(__s32 nr)
{
	switch (nr) {
	case 7:   /* poll */
	case 23:  /* select */
	case 232: /* epoll_wait */
	case 270: /* pselect6 */
	case 271: /* ppoll */
	case 281: /* epoll_pwait */
	case 441: /* epoll_pwait2 */
		return 1;
	}
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
{
	__u64 ts = bpf_ktime_get_ns();
	__u32 ptgid = BPF_CORE_READ(prev, tgid), ppid = BPF_CORE_READ(prev, pid);
	__u32 ntgid = BPF_CORE_READ(next, tgid), npid = BPF_CORE_READ(next, pid);

	if (ppid && is_target(ptgid)) {
		struct event *e = reserve();
		/* Look up only: an exiting thread's last switch comes after sched_process_exit
		 * deleted its state, and must not create it again. */
		struct tstate *s = bpf_map_lookup_elem(&threads, &ppid);
		if (e) {
			e->ts = ts;
			e->kind = EV_SWITCH_OUT;
			e->pid = ptgid;
			e->tid = ppid;
			e->state = preempt ? 0 : (prev_state & 0xff);
			e->sys = -1;
		}
		if (s) {
			if (e) {
				e->sys = s->sys;
				e->fd = s->fd;
				e->start = s->sys_start;
				e->short_n = s->short_n;
#pragma unroll
				for (int i = 0; i < NCLASS; i++)
					e->short_ns[i] = s->short_ns[i];
			}
			s->short_n = 0;
#pragma unroll
			for (int i = 0; i < NCLASS; i++)
				s->short_ns[i] = 0;
			if (s->sys >= 0)
				s->switched = 1;
		}
		if (e)
			submit(e);
		if (s && (prev_state & TASK_DEAD))
			bpf_map_delete_elem(&threads, &ppid);
	}
	if (npid && is_target(ntgid)) {
		struct event *e = reserve();
		if (e) {
			e->ts = ts;
			e->kind = EV_SWITCH_IN;
			e->pid = ntgid;
			e->tid = npid;
			e->sys = -1;
			submit(e);
		}
	}
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(on_waking, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	if (!is_target(tgid))
		return 0;
	struct event *e = reserve();
	if (!e)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 waker = (__u32)id;
	if (in_interrupt()) /* the current task was only interrupted: it woke nobody */
		waker = 0;
	e->ts = bpf_ktime_get_ns();
	e->kind = EV_WAKEUP;
	e->pid = tgid;
	e->tid = BPF_CORE_READ(p, pid);
	e->waker = waker;
	e->sys = -1;
	if (waker && is_target(id >> 32)) {
		struct tstate *s = bpf_map_lookup_elem(&threads, &waker);
		if (s) {
			e->poll_ts = s->poll_ts;
			e->poll_ret = s->poll_ret;
		}
	}
	submit(e);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long nr)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id >> 32))
		return 0;
	struct tstate *s = thread_state((__u32)id);
	if (!s)
		return 0;
	s->sys = nr;
	s->sys_start = bpf_ktime_get_ns();
	s->fd = (__s32)BPF_CORE_READ(regs, di);
	s->switched = 0;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id >> 32))
		return 0;
	__u32 tid = (__u32)id;
	struct tstate *s = bpf_map_lookup_elem(&threads, &tid);
	if (!s || s->sys < 0)
		return 0;
	__u64 ts = bpf_ktime_get_ns();
	__u64 dur = ts - s->sys_start;
	__s32 nr = s->sys;
	__u32 key = (__u32)nr;
	__u8 class = 0;
	if (key < MAX_SYSCALL) {
		__u8 *c = bpf_map_lookup_elem(&sys_class, &key);
		if (c)
			class = *c & (NCLASS - 1);
	}
	/* A poll that returned 0 without blocking (Go's netpoll(0)) says nothing about a
	 * timer: only a wait that blocked and then timed out does. */
	if (waiting_poll(nr) && (ret != 0 || s->switched)) {
		s->poll_ts = ts;
		s->poll_ret = ret;
	}
	struct config *c = config();
	__u64 long_ns = c ? c->long_ns : 1000000;
	if (s->switched || dur >= long_ns) {
		struct event *e = reserve();
		if (e) {
			e->ts = ts;
			e->start = s->sys_start;
			e->kind = EV_SYSCALL;
			e->pid = id >> 32;
			e->tid = tid;
			e->sys = nr;
			e->fd = s->fd;
			e->ret = ret;
			submit(e);
		}
	} else {
		s->short_n++;
		s->short_ns[class] += dur;
	}
	s->sys = -1;
	s->switched = 0;
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(on_rq_issue, struct request *rq)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id >> 32))
		return 0;
	struct io_start st = {};
	st.ts = bpf_ktime_get_ns();
	st.pid = id >> 32;
	st.tid = (__u32)id;
	st.bytes = BPF_CORE_READ(rq, __data_len);
	st.write = (BPF_CORE_READ(rq, cmd_flags) & 0xff) == 1; /* REQ_OP_WRITE */
	__u64 key = (__u64)rq;
	bpf_map_update_elem(&ios, &key, &st, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(on_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq;
	struct io_start *st = bpf_map_lookup_elem(&ios, &key);
	if (!st)
		return 0;
	struct event *e = reserve();
	if (e) {
		e->ts = bpf_ktime_get_ns();
		e->start = st->ts;
		e->kind = EV_BLOCK_IO;
		e->pid = st->pid;
		e->tid = st->tid;
		e->ret = st->bytes;
		e->state = st->write;
		e->sys = -1;
		submit(e);
	}
	bpf_map_delete_elem(&ios, &key);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct config *c = config();
	if (!c || !c->follow_forks)
		return 0;
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	if (ptgid != ctgid && is_target(ptgid)) {
		__u8 one = 1;
		if (bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY))
			count(&missed);
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);
	bpf_map_delete_elem(&threads, &tid);
	/* do_exit decrements signal->live before this tracepoint: 0 means the whole thread
	 * group is dead, and its pid may be reused by an unrelated process. */
	if (BPF_CORE_READ(p, signal, live.counter) == 0) {
		__u32 tgid = BPF_CORE_READ(p, tgid);
		bpf_map_delete_elem(&targets, &tgid);
	}
	return 0;
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(on_irq_entry) { irq_enter(); return 0; }

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(on_irq_exit) { irq_leave(); return 0; }

SEC("tp_btf/softirq_entry")
int BPF_PROG(on_softirq_entry) { irq_enter(); return 0; }

SEC("tp_btf/softirq_exit")
int BPF_PROG(on_softirq_exit) { irq_leave(); return 0; }

SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(on_hrtimer_entry) { irq_enter(); return 0; }

SEC("tp_btf/hrtimer_expire_exit")
int BPF_PROG(on_hrtimer_exit) { irq_leave(); return 0; }

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* strata locate: the kernel side of "problem location = O1 x O2".
 *
 * For the threads of the target processes (a hash of tgids, filled by user space and by
 * fork) it reports, through one ring buffer:
 *   - switch-out / switch-in (sched_switch): on-CPU slices, preemption, blocking, with the
 *     syscall the thread was in and the kernel time of the short syscalls of the slice;
 *   - wakeups (sched_waking), with the waker and when the waker's last poll returned;
 *   - syscalls that blocked or ran longer than a threshold, at their exit, with the kind
 *     of their descriptor argument and, for poll-family waits, the kinds of the
 *     descriptors they found ready, read from the arrays they return (epoll_event.data
 *     as libuv, CPython, the JVM and most C keep it: the descriptor; as Go keeps it: a
 *     tagged pointer to its pollDesc, whose second word is the descriptor);
 *   - block I/O requests the threads issued, at completion;
 *   - the time the threads spent handling page faults in user mode (a fresh buffer's
 *     first touch is kernel work, not the program's own), summed per thread and riding on
 *     the next switch-out like the short syscalls.
 * Descriptor kinds are read from the task's file table when the syscall runs: socket,
 * pipe, file, timerfd, eventfd, signalfd, other.
 * Short syscalls are not sent one by one: they are summed per thread and class and ride on
 * the next switch-out. Events that do not fit in the ring are counted in `lost`, map
 * updates that fail (a full `threads` or `targets`) in `missed`.
 *
 * Maps stay bounded by what is alive: a thread's state is created at its first syscall
 * entry or exit (or by user space, for a thread it found blocked in a syscall when it made
 * the process a target: see `seeded`) and deleted when it exits (sched_process_exit) and
 * again at its last switch-out (prev_state TASK_DEAD), which never recreates it; a process
 * leaves `targets` when its last thread exits, so a reused pid is not a target.
 *
 * Needs Linux >= 5.18: the 4-argument tp_btf/sched_switch with prev_state.
 * The struct layouts here must match locate/ebpf/collector.go. */
#include "types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define NCLASS 8
#define CLASS_FD 0x8 /* sys_class flag: the first argument is a descriptor */
#define MAX_SYSCALL 512
#define TASK_DEAD 0x80
#define PF_EXITING 0x4
#define EEXIST 17
#define EAGAIN 11
#define EINPROGRESS 115
#define CLASS_POLL 4 /* locate.ClassPoll */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFIFO 0010000
#define ANON_INODE_FS_MAGIC 0x09041934

/* Descriptor kinds: locate.FDKind. */
enum {
	FDK_UNKNOWN = 0,
	FDK_FILE = 1,
	FDK_SOCKET = 2,
	FDK_PIPE = 3,
	FDK_OTHER = 4,
	FDK_TIMER = 5,
	FDK_EVENT = 6,
	FDK_SIGNAL = 7,
};

enum {
	EV_SWITCH_OUT = 1,
	EV_SWITCH_IN = 2,
	EV_WAKEUP = 3,
	EV_SYSCALL = 4,
	EV_BLOCK_IO = 5,
	EV_EXIT = 6,
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
	__u32 fdk;	 /* kind of the descriptor argument (switch-out in a syscall, syscall) */
	__u32 ready;	 /* syscall: poll-family: kinds found ready, bit 1<<kind */
	__u32 waker_ready; /* wakeup: kinds the waker's last poll found ready */
	__u32 waker_pid; /* wakeup: the waker's tgid */
	__u32 flags;	 /* wakeup: WAKER_EXITING; syscall: SYS_ATTACHED */
	__u32 fault_n;	 /* switch-out: page faults in user mode in the slice */
	__u64 fault_ns;	 /* switch-out: time timed in those faults */
	__u64 again_ts;	 /* switch-out in a syscall: the thread's last EAGAIN on a descriptor;
			  * wakeup: the waker's last read or write that moved data */
	__u32 again_fdk; /* the kind of that descriptor */
	__u32 again_n;	 /* switch-out: reads and writes since that found their descriptor
			  * ready (saturates at 255) */
	__u64 sigret_ts; /* switch-out in a syscall: the thread's last return from a signal
			  * handler (rt_sigreturn) */
	__u32 sigret_n;	 /* syscalls other than futex it finished since (saturates at 255) */
	__u32 pad;
};

#define WAKER_EXITING 1
/* The syscall was in flight when user space made its process a target: user space seeded
 * the thread's state from /proc (tstate.seeded); its start is not known. */
#define SYS_ATTACHED 2

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
	__u64 arg0;	 /* arguments of the syscall in flight (poll and select arrays) */
	__u64 arg1;
	__u64 arg2;
	__s64 ret;	 /* at the exit: what it returned */
	__u32 cls;	 /* sys_class of the syscall in flight */
	__u32 fdk;	 /* 1 + kind of its descriptor, once looked up; 0: not yet */
	__u32 poll_ready; /* kinds the last waiting poll found ready */
	__u32 seeded;	  /* the syscall in flight was written by user space from /proc at attach
			   * (the thread was already in it: its entry was not seen); sys_start is
			   * then when user space wrote it */
	__u64 fault_start; /* entry of the page fault in flight outside a syscall; 0: none */
	__u64 fault_ns;	   /* time timed in page faults in user mode since the last switch-out */
	__u32 fault_n;	   /* page faults in user mode since the last switch-out */
	__u32 again_fdk;   /* kind of the descriptor of the last syscall that returned EAGAIN */
	__u64 again_ts;	   /* when it returned */
	__u32 again_n;	   /* reads and writes since that found their descriptor ready */
	__s32 io_fd;	   /* the descriptor of the last read or write that moved data */
	__u64 io_ts;	   /* when it returned */
	__u64 sigret_ts;   /* the last rt_sigreturn */
	__u32 sigret_n;	   /* syscalls other than futex since */
	__u32 pad2;
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

static __always_inline int is_epoll_wait(__s32 nr)
{
	return nr == 232 || nr == 281 || nr == 441;
}

/* The file behind descriptor fd of the current task, or 0. */
static __always_inline struct file *fd_file(__s32 fd)
{
	if (fd < 0)
		return 0;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	if (!fdt || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **arr = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	return f;
}

/* What a file is: sockets and pipes by their inode's type, timerfd, eventfd and signalfd
 * by their name on the anonymous inode file system ("[timerfd]"). */
static __always_inline __u32 file_kind(struct file *f)
{
	if (!f)
		return FDK_UNKNOWN;
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	if (!ino)
		return FDK_UNKNOWN;
	if (BPF_CORE_READ(ino, i_sb, s_magic) == ANON_INODE_FS_MAGIC) {
		char n[8] = {};
		const unsigned char *name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
		bpf_probe_read_kernel_str(n, sizeof(n), name);
		if (n[0] != '[')
			return FDK_OTHER;
		if (n[1] == 't' && n[2] == 'i' && n[3] == 'm')
			return FDK_TIMER;
		if (n[1] == 'e' && n[2] == 'v' && n[6] == 'f')
			return FDK_EVENT; /* [eventfd], not [eventpoll] */
		if (n[1] == 's' && n[2] == 'i' && n[3] == 'g')
			return FDK_SIGNAL;
		return FDK_OTHER;
	}
	switch (BPF_CORE_READ(ino, i_mode) & S_IFMT) {
	case S_IFSOCK:
		return FDK_SOCKET;
	case S_IFIFO:
		return FDK_PIPE;
	case S_IFREG:
	case S_IFBLK:
		return FDK_FILE;
	}
	return FDK_OTHER;
}

/* Global, so the verifier checks it once and its callers see an unknown kind: static,
 * each call's possible kinds multiply the states of the loops that call it. */
__attribute__((noinline)) __u32 fd_kind(__s32 fd)
{
	return file_kind(fd_file(fd));
}

/* The kind of the in-flight syscall's descriptor argument, looked up once. */
static __always_inline __u32 arg_kind(struct tstate *s)
{
	if (!(s->cls & CLASS_FD))
		return FDK_UNKNOWN;
	if (!s->fdk)
		s->fdk = 1 + fd_kind(s->fd);
	return s->fdk - 1;
}

struct pollfd {
	int fd;
	short events;
	short revents;
};

/* The kind of the descriptor an epoll_event's data names: the descriptor itself (libuv,
 * CPython, the JVM, most C), or for Go a tagged pointer to its pollDesc, whose second word
 * is the descriptor and whose third (fdseq) is the tag: pointer << 15 | 24-bit tag since
 * Go 1.24, pointer << 16 | 19-bit tag before; the tag must match, so other data is not
 * taken for a descriptor. A plain pointer is tried as Go's pointer to its eventfd. */
__attribute__((noinline)) __u32 epoll_data_kind(__u64 data)
{
	if (data < (1u << 24))
		return fd_kind((__s32)data);
	__u64 w[3] = {};
	__u64 p = (__u64)(((__s64)data >> 24) << 9);
	if (!bpf_probe_read_user(w, sizeof(w), (void *)p) && (w[2] & 0xffffff) == (data & 0xffffff) && w[1] < (1u << 24))
		return fd_kind((__s32)w[1]);
	p = (__u64)(((__s64)data >> 19) << 3);
	if (!bpf_probe_read_user(w, sizeof(w), (void *)p) && (w[2] & 0x7ffff) == (data & 0x7ffff) && w[1] < (1u << 24))
		return fd_kind((__s32)w[1]);
	if (data < (1ull << 47) && !bpf_probe_read_user(w, sizeof(w[0]), (void *)data) && w[0] < (1u << 24))
		return fd_kind((__s32)w[0]);
	return FDK_UNKNOWN;
}

static __always_inline __u64 popcount64(__u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (x * 0x0101010101010101ull) >> 56;
}

/* The kinds of the descriptors a poll-family call that returned ret > 0 found ready. */
static __always_inline __u32 ready_kinds(struct tstate *s)
{
	__u32 kinds = 0;
	__s32 nr = s->sys;
	if (is_epoll_wait(nr)) { /* epfd, struct epoll_event *events, maxevents */
#pragma unroll
		for (int i = 0; i < 4; i++) {
			__u64 data = 0;
			if (i >= s->ret || bpf_probe_read_user(&data, sizeof(data), (void *)(s->arg1 + i * 12 + 4)))
				break;
			kinds |= 1u << (epoll_data_kind(data) & 31);
		}
	} else if (nr == 7 || nr == 271) { /* poll, ppoll: struct pollfd *fds, nfds */
#pragma unroll
		for (int i = 0; i < 8; i++) {
			struct pollfd p = {};
			if (i >= s->arg1 || bpf_probe_read_user(&p, sizeof(p), (void *)(s->arg0 + i * sizeof(p))))
				break;
			if (p.revents && p.fd >= 0)
				kinds |= 1u << (fd_kind(p.fd) & 31);
		}
	} else if (nr == 23 || nr == 270) { /* select, pselect6: nfds, readfds, writefds */
		/* The lowest ready descriptor below 64 of each set (no loop over the bits). */
#pragma unroll
		for (int set = 0; set < 2; set++) {
			__u64 word = 0, ptr = set ? s->arg2 : s->arg1;
			if (!ptr || bpf_probe_read_user(&word, sizeof(word), (void *)ptr) || !word)
				continue;
			kinds |= 1u << (fd_kind((__s32)popcount64((word & -word) - 1)) & 31);
		}
	}
	return kinds ? kinds : 1u << FDK_UNKNOWN;
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
				if (s->sys >= 0)
					e->fdk = arg_kind(s);
				e->start = s->sys_start;
				if (s->sys >= 0) {
					e->sigret_ts = s->sigret_ts;
					e->sigret_n = s->sigret_n;
				}
				if (s->sys >= 0 && s->again_ts) {
					e->again_ts = s->again_ts;
					e->again_fdk = s->again_fdk;
					e->again_n = s->again_n;
				}
				e->short_n = s->short_n;
#pragma unroll
				for (int i = 0; i < NCLASS; i++)
					e->short_ns[i] = s->short_ns[i];
			}
			/* A thread that blocks in user mode blocks in its fault (waiting for I/O):
			 * its time on CPU so far was the fault's, its wait is the switch-out's.
			 * Preempted, whether the fault had ended is not known: not counted. */
			if (s->fault_start && s->sys < 0 && !preempt && (prev_state & 0xff))
				s->fault_ns += ts - s->fault_start;
			s->fault_start = 0;
			if (e) {
				e->fault_ns = s->fault_ns;
				e->fault_n = s->fault_n;
			}
			s->fault_ns = 0;
			s->fault_n = 0;
			s->short_n = 0;
#pragma unroll
			for (int i = 0; i < NCLASS; i++)
				s->short_ns[i] = 0;
			if (s->sys >= 0)
				s->switched = 1;
			/* The first wait after an EAGAIN is the one for that descriptor; a thread
			 * that waits again has been woken and tried again, or gone on. */
			if (!preempt && (prev_state & 0xff))
				s->again_ts = 0;
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
	if (waker) {
		e->waker_pid = id >> 32;
		struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
		if (BPF_CORE_READ(cur, flags) & PF_EXITING)
			e->flags |= WAKER_EXITING;
	}
	if (waker && is_target(id >> 32)) {
		struct tstate *s = bpf_map_lookup_elem(&threads, &waker);
		if (s) {
			e->poll_ts = s->poll_ts;
			e->poll_ret = s->poll_ret;
			e->waker_ready = s->poll_ready;
			/* A thread that wakes another right after reading a socket hands on what it
			 * read (a goroutine that read a response and sends it on a channel). The
			 * waker is the current task: its descriptor table is the one to look in. */
			if (s->io_ts && e->ts - s->io_ts < 20000000) {
				e->again_ts = s->io_ts;
				e->again_fdk = fd_kind(s->io_fd);
			}
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
	s->fault_start = 0; /* a fault that changed no memory counter ended before this */
	s->arg0 = BPF_CORE_READ(regs, di);
	s->fd = (__s32)s->arg0;
	s->switched = 0;
	s->seeded = 0;
	s->fdk = 0;
	s->cls = 0;
	__u32 key = (__u32)nr;
	if (key < MAX_SYSCALL) {
		__u8 *c = bpf_map_lookup_elem(&sys_class, &key);
		if (c)
			s->cls = *c;
	}
	if (waiting_poll(nr)) {
		s->arg1 = BPF_CORE_READ(regs, si);
		s->arg2 = BPF_CORE_READ(regs, dx);
	}
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
	if (!s) {
		/* A syscall whose entry was not seen (it began before the process became a
		 * target) ended: the thread's state is created here, so that user space, which
		 * seeds the state of threads it finds blocked in a syscall only where none
		 * exists, does not write one that is already out of date. */
		thread_state(tid);
		return 0;
	}
	if (s->sys < 0)
		return 0;
	__u64 ts = bpf_ktime_get_ns();
	__u64 dur = ts - s->sys_start;
	__s32 nr = s->sys;
	__u8 class = s->cls & (NCLASS - 1);
	__u32 ready = 0;
	if (waiting_poll(nr) && ret > 0) {
		s->ret = ret;
		ready = ready_kinds(s);
	}
	/* A poll that returned 0 without blocking (Go's netpoll(0)) says nothing about a
	 * timer: only a wait that blocked and then timed out does. */
	if (waiting_poll(nr) && (ret != 0 || s->switched)) {
		s->poll_ts = ts;
		s->poll_ret = ret;
		s->poll_ready = ready;
	}
	/* A descriptor that had nothing (EAGAIN, or a connect in progress): a runtime that
	 * parks threads in futex (Go's locked threads) parks this one for it next; the
	 * switch-out in that futex carries it, so the wait can be told from a lock. Reads and
	 * writes since that did find their socket, pipe or file ready are counted: the thread
	 * went on. (Polls, futexes and the runtime's own eventfd are not: parking makes them.) */
	if (s->cls & CLASS_FD && class != CLASS_POLL) {
		if (ret == -EAGAIN || ret == -EINPROGRESS) {
			s->again_ts = ts;
			s->again_fdk = arg_kind(s);
			s->again_n = 0;
		} else if (s->again_ts && ret >= 0 && s->again_n < 255) {
			__u32 k = arg_kind(s);
			if (k == FDK_SOCKET || k == FDK_PIPE || k == FDK_FILE)
				s->again_n++;
		}
		/* What it moved, its kind looked up only if the thread wakes another soon. */
		if (ret > 0) {
			s->io_ts = ts;
			s->io_fd = s->fd;
		}
	}
	/* A signal handler returned: a runtime that preempts with signals (Go's asynchronous
	 * preemption) parks the preempted thread right after, in one futex wait or a few
	 * (handing its P on, woken before its turn); other syscalls mean it went on. */
	if (nr == 15) {
		s->sigret_ts = ts;
		s->sigret_n = 0;
	} else if (nr != 202 && s->sigret_n < 255) {
		s->sigret_n++;
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
			e->fdk = arg_kind(s);
			e->ready = ready;
			if (s->seeded)
				e->flags = SYS_ATTACHED;
			submit(e);
		}
	} else {
		s->short_n++;
		s->short_ns[class] += dur;
	}
	s->sys = -1;
	s->switched = 0;
	s->seeded = 0;
	return 0;
}

/* Page faults of target threads in user mode: their time is kernel time that the on-CPU
 * slice would otherwise show as user time (a fresh buffer's first touch maps and zeroes
 * its pages one by one). Kprobes are not available everywhere (this program runs on
 * kernels without them), so a fault is timed from its entry (exceptions:page_fault_user)
 * to the first change of the process's memory counters after it (rss_stat: the new page
 * is zeroed, or copied, and being mapped), which ends every fault that maps memory. A
 * fault that changes no counter is not timed: its time stays user time. Under a
 * hypervisor much of a first touch is the host's, and lands outside that window: the
 * faults are counted too, so that user space can say how sure its user time is. The thread's
 * state is looked up, not created: it exists from its first syscall. */
SEC("tp_btf/page_fault_user")
int BPF_PROG(on_fault_user)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id >> 32))
		return 0;
	__u32 tid = (__u32)id;
	struct tstate *s = bpf_map_lookup_elem(&threads, &tid);
	if (s) {
		s->fault_start = bpf_ktime_get_ns();
		s->fault_n++;
	}
	return 0;
}

SEC("tp_btf/rss_stat")
int BPF_PROG(on_rss_stat)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id >> 32))
		return 0;
	__u32 tid = (__u32)id;
	struct tstate *s = bpf_map_lookup_elem(&threads, &tid);
	if (s && s->fault_start) {
		s->fault_ns += bpf_ktime_get_ns() - s->fault_start;
		s->fault_start = 0;
	}
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
	__u32 tgid = BPF_CORE_READ(p, tgid);
	if (is_target(tgid)) {
		/* Said here: the last switch-out of a process's last thread comes after it
		 * left the targets. */
		struct event *e = reserve();
		if (e) {
			e->ts = bpf_ktime_get_ns();
			e->kind = EV_EXIT;
			e->pid = tgid;
			e->tid = tid;
			e->sys = -1;
			submit(e);
		}
	}
	bpf_map_delete_elem(&threads, &tid);
	/* do_exit decrements signal->live before this tracepoint: 0 means the whole thread
	 * group is dead, and its pid may be reused by an unrelated process. */
	if (BPF_CORE_READ(p, signal, live.counter) == 0)
		bpf_map_delete_elem(&targets, &tgid);
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

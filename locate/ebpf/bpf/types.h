/* Minimal kernel type definitions for locate.bpf.c. Only the fields the program reads are
 * declared; preserve_access_index makes clang emit CO-RE relocations, so libbpf-style
 * loaders (cilium/ebpf) fix the offsets against the running kernel's BTF. This keeps a
 * multi-megabyte generated vmlinux.h out of the repository. */
#ifndef STRATA_LOCATE_TYPES_H
#define STRATA_LOCATE_TYPES_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
};

enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

enum {
	BPF_RB_AVAIL_DATA = 0,
};

typedef struct {
	int counter;
} atomic_t;

struct signal_struct {
	atomic_t live;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	int tgid;
	struct signal_struct *signal;
} __attribute__((preserve_access_index));

struct pt_regs {
	unsigned long di;
} __attribute__((preserve_access_index));

struct request {
	unsigned int __data_len;
	unsigned int cmd_flags;
} __attribute__((preserve_access_index));

#endif

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

struct super_block {
	unsigned long s_magic;
} __attribute__((preserve_access_index));

struct inode {
	unsigned short i_mode;
	struct super_block *i_sb;
} __attribute__((preserve_access_index));

struct qstr {
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry {
	struct qstr d_name;
} __attribute__((preserve_access_index));

struct path {
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct file {
	struct path f_path;
	struct inode *f_inode;
	void *private_data;
} __attribute__((preserve_access_index));

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
} __attribute__((preserve_access_index));

struct files_struct {
	struct fdtable *fdt;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	int tgid;
	unsigned int flags;
	struct signal_struct *signal;
	struct files_struct *files;
} __attribute__((preserve_access_index));

struct pt_regs {
	unsigned long di;
	unsigned long si;
	unsigned long dx;
} __attribute__((preserve_access_index));

struct request {
	unsigned int __data_len;
	unsigned int cmd_flags;
} __attribute__((preserve_access_index));

/* fs/eventpoll.c */
struct epoll_event {
	__u32 events;
	__u64 data;
} __attribute__((packed, preserve_access_index));

struct epoll_filefd {
	struct file *file;
	int fd;
} __attribute__((preserve_access_index));

struct eventpoll;

struct epitem {
	struct epoll_filefd ffd;
	struct eventpoll *ep;
	struct epoll_event event;
} __attribute__((preserve_access_index));

struct wait_queue_entry {
	unsigned int flags;
} __attribute__((preserve_access_index));

typedef struct wait_queue_entry wait_queue_entry_t;

struct eppoll_entry {
	struct epitem *base;
	wait_queue_entry_t wait;
} __attribute__((preserve_access_index));

#endif

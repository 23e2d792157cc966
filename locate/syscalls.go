package locate

import (
	"strconv"
	"strings"
)

// Class groups syscalls by what they do; kernel time is reported per class.
type Class uint8

// Syscall classes. The eBPF program uses the same numbering (bpf/locate.bpf.c).
const (
	ClassOther Class = iota
	ClassFile
	ClassNet
	ClassFutex
	ClassPoll
	ClassSleep
	ClassMem
	ClassProc
	NClass = 8
)

var classNames = [NClass]string{"other", "file", "net", "futex", "poll", "sleep", "mem", "proc"}

func (c Class) String() string {
	if int(c) < NClass {
		return classNames[c]
	}
	return "other"
}

type sysInfo struct {
	name  string
	class Class
}

// amd64Syscalls names the x86-64 syscalls the report talks about; the rest are "sys_N"
// of class other. The classes here must match the class table in bpf/locate.bpf.c.
var amd64Syscalls = map[int32]sysInfo{
	0: {"read", ClassFile}, 1: {"write", ClassFile}, 2: {"open", ClassFile}, 3: {"close", ClassFile},
	4: {"stat", ClassFile}, 5: {"fstat", ClassFile}, 6: {"lstat", ClassFile}, 7: {"poll", ClassPoll},
	8: {"lseek", ClassFile}, 9: {"mmap", ClassMem}, 10: {"mprotect", ClassMem}, 11: {"munmap", ClassMem},
	12: {"brk", ClassMem}, 13: {"rt_sigaction", ClassProc}, 14: {"rt_sigprocmask", ClassProc},
	15: {"rt_sigreturn", ClassProc}, 16: {"ioctl", ClassFile}, 17: {"pread64", ClassFile},
	18: {"pwrite64", ClassFile}, 19: {"readv", ClassFile}, 20: {"writev", ClassFile},
	23: {"select", ClassPoll}, 24: {"sched_yield", ClassProc}, 28: {"madvise", ClassMem},
	32: {"dup", ClassFile}, 33: {"dup2", ClassFile}, 34: {"pause", ClassSleep},
	35: {"nanosleep", ClassSleep}, 39: {"getpid", ClassProc}, 40: {"sendfile", ClassNet},
	41: {"socket", ClassNet}, 42: {"connect", ClassNet}, 43: {"accept", ClassNet},
	44: {"sendto", ClassNet}, 45: {"recvfrom", ClassNet}, 46: {"sendmsg", ClassNet},
	47: {"recvmsg", ClassNet}, 48: {"shutdown", ClassNet}, 49: {"bind", ClassNet},
	50: {"listen", ClassNet}, 51: {"getsockname", ClassNet}, 52: {"getpeername", ClassNet},
	54: {"setsockopt", ClassNet}, 55: {"getsockopt", ClassNet}, 56: {"clone", ClassProc},
	57: {"fork", ClassProc}, 58: {"vfork", ClassProc}, 59: {"execve", ClassProc}, 60: {"exit", ClassProc},
	61: {"wait4", ClassProc}, 62: {"kill", ClassProc}, 72: {"fcntl", ClassFile},
	74: {"fsync", ClassFile}, 75: {"fdatasync", ClassFile}, 76: {"truncate", ClassFile},
	77: {"ftruncate", ClassFile}, 78: {"getdents", ClassFile}, 82: {"rename", ClassFile},
	83: {"mkdir", ClassFile}, 87: {"unlink", ClassFile}, 131: {"sigaltstack", ClassProc},
	162: {"sync", ClassFile}, 186: {"gettid", ClassProc}, 200: {"tkill", ClassProc},
	202: {"futex", ClassFutex}, 217: {"getdents64", ClassFile}, 228: {"clock_gettime", ClassSleep},
	230: {"clock_nanosleep", ClassSleep}, 231: {"exit_group", ClassProc}, 232: {"epoll_wait", ClassPoll},
	233: {"epoll_ctl", ClassPoll}, 234: {"tgkill", ClassProc}, 247: {"waitid", ClassProc},
	257: {"openat", ClassFile}, 262: {"newfstatat", ClassFile}, 270: {"pselect6", ClassPoll},
	271: {"ppoll", ClassPoll}, 275: {"splice", ClassFile}, 277: {"sync_file_range", ClassFile},
	281: {"epoll_pwait", ClassPoll}, 284: {"eventfd", ClassFile}, 288: {"accept4", ClassNet},
	290: {"eventfd2", ClassFile}, 291: {"epoll_create1", ClassPoll}, 292: {"dup3", ClassFile},
	293: {"pipe2", ClassFile}, 295: {"preadv", ClassFile}, 296: {"pwritev", ClassFile},
	299: {"recvmmsg", ClassNet}, 306: {"syncfs", ClassFile}, 307: {"sendmmsg", ClassNet},
	318: {"getrandom", ClassFile}, 332: {"statx", ClassFile}, 334: {"rseq", ClassProc},
	258: {"mkdirat", ClassFile}, 263: {"unlinkat", ClassFile}, 264: {"renameat", ClassFile}, 316: {"renameat2", ClassFile},
	426: {"io_uring_enter", ClassFile}, 435: {"clone3", ClassProc}, 441: {"epoll_pwait2", ClassPoll},
}

// SyscallName is the name of an x86-64 syscall number ("sys_N" when unknown here).
func SyscallName(nr int32) string {
	if s, ok := amd64Syscalls[nr]; ok {
		return s.name
	}
	return "sys_" + strconv.Itoa(int(nr))
}

// SyscallClass is the class of an x86-64 syscall number.
func SyscallClass(nr int32) Class {
	return amd64Syscalls[nr].class
}

// blockedCause says why a thread blocked inside syscall nr on a descriptor of kind fdk,
// given what it returned (ret; for poll-family calls 0 means the timeout expired) and,
// for poll-family calls, the kinds of the descriptors it found ready.
func blockedCause(nr int32, fdk FDKind, ret int64, haveRet bool, ready FDKinds) Cause {
	switch SyscallName(nr) {
	case "fsync", "fdatasync", "sync", "syncfs", "sync_file_range":
		return CauseDisk
	case "futex":
		if haveRet && ret == -110 { // ETIMEDOUT: a timed wait that ran out is a sleep (Atomics.wait, sem_timedwait)
			return CauseSleep
		}
		return CauseLock
	case "nanosleep", "clock_nanosleep", "pause":
		return CauseSleep
	case "wait4", "waitid":
		return CauseChild
	case "vfork", "clone", "clone3":
		// Blocked in it: a vfork (Python's subprocess, glibc's posix_spawn) stays in the
		// parent until the child has exec'd or exited.
		return CauseChild
	case "poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait", "epoll_pwait2":
		return pollCause(ret, haveRet, ready)
	}
	switch SyscallClass(nr) {
	case ClassNet:
		return CauseNetwork
	case ClassFile:
		switch fdk {
		case FDSocket:
			return CauseNetwork
		case FDPipe:
			return CausePipe
		case FDFile:
			return CauseDisk
		case FDTimer:
			return CauseSleep
		}
		return CauseIO
	}
	return CauseOther
}

// pollCause is what a poll-family wait waited for: the network only when a socket was
// among the descriptors it found ready; a pipe; a timer when it timed out or a timerfd
// fired; io when what became ready is not known.
func pollCause(ret int64, haveRet bool, ready FDKinds) Cause {
	switch {
	case haveRet && ret == 0:
		return CauseSleep // the timeout expired: nothing became ready
	case haveRet && ret < 0:
		return CauseOther // interrupted (a signal), or an error
	case ready.Has(FDSocket):
		return CauseNetwork
	case ready.Has(FDPipe):
		return CausePipe
	case ready.Has(FDFile):
		return CauseDisk
	case ready.Has(FDTimer):
		return CauseSleep
	}
	return CauseIO
}

// fdSyscalls take a descriptor as their first argument; its kind helps name the cause.
var fdSyscalls = map[string]bool{"read": true, "write": true, "pread64": true, "pwrite64": true, "readv": true, "writev": true,
	"preadv": true, "pwritev": true, "fsync": true, "fdatasync": true, "sendto": true, "recvfrom": true, "sendmsg": true,
	"recvmsg": true, "accept": true, "accept4": true, "connect": true, "splice": true, "sendfile": true, "ioctl": true,
	"recvmmsg": true, "sendmmsg": true, "sync_file_range": true}

// TakesFD says whether syscall nr takes a descriptor as its first argument.
func TakesFD(nr int32) bool { return fdSyscalls[SyscallName(nr)] }

// FDKindOf classifies a /proc/PID/fd link target (socket:[…], pipe:[…], /path).
func FDKindOf(target string) FDKind {
	switch {
	case strings.HasPrefix(target, "socket:"):
		return FDSocket
	case strings.HasPrefix(target, "pipe:"):
		return FDPipe
	case target == "anon_inode:[timerfd]":
		return FDTimer
	case target == "anon_inode:[eventfd]":
		return FDEvent
	case target == "anon_inode:[signalfd]":
		return FDSignal
	case strings.HasPrefix(target, "/dev/"):
		return FDOther
	case strings.HasPrefix(target, "/"):
		return FDFile
	case target == "":
		return FDUnknown
	}
	return FDOther
}

// BlockedCause says why a thread sampled inside syscall nr, on a descriptor of kind fdk,
// is blocked. Without the syscall's return value a poll's cause is not known: io.
func BlockedCause(nr int32, fdk FDKind) Cause { return blockedCause(nr, fdk, 0, false, 0) }

// PollCause is the cause of a poll-family wait that returned ret having found descriptors
// of the kinds in ready (see [Event].Ready).
func PollCause(ret int64, ready FDKinds) Cause { return pollCause(ret, true, ready) }

// IsPoll says whether syscall nr is a waiting poll-family call (poll, select, epoll_wait
// and their variants).
func IsPoll(nr int32) bool {
	switch SyscallName(nr) {
	case "poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait", "epoll_pwait2":
		return true
	}
	return false
}

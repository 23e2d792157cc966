package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Stat is what the sampler reads from /proc/PID/task/TID/stat.
type Stat struct {
	State byte   // R, S, D, T, Z, I …
	UTime uint64 // clock ticks in user mode
	STime uint64 // clock ticks in kernel mode
}

var errFormat = errors.New("malformed")

// ParseStat parses a stat line. The command name may hold spaces and parentheses, so
// the fields are counted from the last ')'.
func ParseStat(b []byte) (Stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("%w stat: no ')'", errFormat)
	}
	f := strings.Fields(string(b[i+1:]))
	// after the name: state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
	if len(f) < 13 || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("%w stat: %d fields after the name", errFormat, len(f))
	}
	if c := f[0][0]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
		return Stat{}, fmt.Errorf("%w stat: state %q is not a letter (R, S, D, …)", errFormat, f[0])
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return Stat{}, fmt.Errorf("%w stat: utime %q stime %q", errFormat, f[11], f[12])
	}
	return Stat{State: f[0][0], UTime: u, STime: s}, nil
}

// Schedstat is /proc/PID/task/TID/schedstat: time on CPU and waiting on a run queue.
type Schedstat struct {
	RunNS, WaitNS uint64
}

// ParseSchedstat parses "run_ns wait_ns timeslices".
func ParseSchedstat(b []byte) (Schedstat, error) {
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return Schedstat{}, fmt.Errorf("%w schedstat: %q", errFormat, b)
	}
	r, err1 := strconv.ParseUint(f[0], 10, 64)
	w, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return Schedstat{}, fmt.Errorf("%w schedstat: %q", errFormat, b)
	}
	return Schedstat{r, w}, nil
}

// ParseIO reads /proc/PID/task/TID/io's block I/O counters: the bytes the thread caused
// to be read from storage and the bytes of the page cache it dirtied (read_bytes,
// write_bytes), summed; a sum past 2^64-1 is 2^64-1 (not wrapped round to a small
// number, which would read as a fall). Each must be there once.
func ParseIO(b []byte) (uint64, error) {
	var n [2]uint64
	var seen [2]int
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		i := 0
		switch {
		case !ok:
			continue
		case k == "read_bytes":
		case k == "write_bytes":
			i = 1
		default:
			continue
		}
		x, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w io: %q", errFormat, line)
		}
		n[i] = x
		seen[i]++
	}
	if seen != [2]int{1, 1} {
		return 0, fmt.Errorf("%w io: not one read_bytes and one write_bytes in %q", errFormat, b)
	}
	if n[0]+n[1] < n[0] {
		return math.MaxUint64, nil
	}
	return n[0] + n[1], nil
}

// Syscall is /proc/PID/task/TID/syscall: the syscall a blocked thread is in.
type Syscall struct {
	Nr   int32 // -1: running in user space or not in a syscall
	Arg0 int64
	// Args are the six arguments as the kernel prints them (unsigned, in hex); Arg0 is
	// Args[0].
	Args [6]int64
}

// ParseSyscall parses "nr arg0 … sp pc", "running" or "-1 sp pc".
func ParseSyscall(b []byte) (Syscall, error) {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return Syscall{}, fmt.Errorf("%w syscall: empty", errFormat)
	}
	if f[0] == "running" {
		return Syscall{Nr: -1}, nil
	}
	nr, err := strconv.ParseInt(f[0], 10, 32)
	if err != nil || nr < -1 {
		return Syscall{}, fmt.Errorf("%w syscall: %q", errFormat, f[0])
	}
	s := Syscall{Nr: int32(nr)}
	if nr < 0 {
		return s, nil
	}
	for i := 0; i < len(s.Args) && i+1 < len(f); i++ {
		a, err := strconv.ParseUint(strings.TrimPrefix(f[i+1], "0x"), 16, 64)
		if err != nil {
			return Syscall{}, fmt.Errorf("%w syscall arg%d: %q", errFormat, i, f[i+1])
		}
		s.Args[i] = int64(a)
	}
	s.Arg0 = s.Args[0]
	return s, nil
}

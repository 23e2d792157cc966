// Package kernel is the code the cpu, syscall and fileio bench workloads run, and the
// protocol around it. Every process-based layer runs the very same machine code: the bench
// starts the current executable again with [Environ] set, and the program's main calls
// [Main] first (through bench.ReexecInit), which turns the process into the kernel. The
// Wasm modules mirror the kernels instruction for instruction.
//
// The kernel times itself with its monotonic clock and prints the nanoseconds as one line
// "STRATA_WORKLOAD_NS=123456" on stderr ([NS] reads it back), so a sample leaves out the
// runtime's start and exit (and the Go runtime's own start). Right before and after the
// timed part it prints a [Mark] line on stdout, which a virtual machine's host notes the
// arrival of on the console (a check on the guest's clock); elsewhere stdout goes nowhere.
package kernel

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The workloads that run a kernel (bench's workload names of the same spelling).
const (
	CPU     = "cpu"
	Syscall = "syscall"
	FileIO  = "fileio"
)

// Is reports whether the workload runs a kernel, which times itself.
func Is(workload string) bool { return workload == CPU || workload == Syscall || workload == FileIO }

// The environment that makes the executable a kernel.
const (
	envKernel = "STRATA_BENCH_KERNEL"
	envN      = "STRATA_BENCH_N"
	envDir    = "STRATA_BENCH_DIR"
)

const (
	// NSPrefix starts the line on which the kernel reports its own time in nanoseconds.
	NSPrefix = "STRATA_WORKLOAD_NS="
	// Mark is the line printed on stdout right before and after the timed part.
	Mark = "STRATA_MARK"
)

// Environ is the environment that makes the executable run workload name of size n in dir.
func Environ(name string, n int, dir string) []string {
	return []string{envKernel + "=" + name, envN + "=" + strconv.Itoa(n), envDir + "=" + dir}
}

// Main runs the kernel this process's environment names and returns the exit code the
// process must end with, and true; when the environment names none it does nothing and
// returns false. Programs that run bench drivers call it (bench.ReexecInit) first thing
// in main, before flags or anything else.
func Main() (code int, ok bool) {
	k := os.Getenv(envKernel)
	if k == "" {
		return 0, false
	}
	n, _ := strconv.Atoi(os.Getenv(envN))
	var out bytes.Buffer // the kernel's result, written after the clock stops
	fmt.Println(Mark)
	t0 := time.Now()
	err := Run(k, n, os.Getenv(envDir), &out)
	elapsed := time.Since(t0)
	fmt.Println(Mark)
	if err != nil {
		fmt.Fprintln(os.Stderr, "strata bench kernel:", err)
		return 1, true
	}
	os.Stdout.Write(out.Bytes())
	fmt.Fprintf(os.Stderr, "%s%d\n", NSPrefix, elapsed.Nanoseconds())
	return 0, true
}

// NS finds the kernel's own time in what it wrote on stderr (or a console): the last
// NSPrefix line, or false when there is none.
func NS(out string) (time.Duration, bool) {
	var d time.Duration
	found := false
	for l := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), NSPrefix); ok {
			if ns, err := strconv.ParseInt(v, 10, 64); err == nil && ns > 0 {
				d, found = time.Duration(ns), true
			}
		}
	}
	return d, found
}

// Run runs a workload's kernel in this process: cpu loops n times, syscall copies n bytes
// one at a time from /dev/zero to /dev/null, fileio writes n bytes to a file in dir, syncs
// it and reads it back.
func Run(name string, n int, dir string, out io.Writer) error {
	switch name {
	case CPU:
		_, err := fmt.Fprintln(out, CPULoop(n))
		return err
	case Syscall:
		return syscallLoop(n)
	case FileIO:
		return fileIO(n, dir)
	}
	return fmt.Errorf("unknown kernel %q", name)
}

// CPULoop is the CPU kernel: n rounds of xorshift64. The Wasm module computes the same.
func CPULoop(n int) uint64 {
	x := uint64(88172645463325252)
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func syscallLoop(n int) error {
	in, err := syscall.Open("/dev/zero", syscall.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(in)
	out, err := syscall.Open("/dev/null", syscall.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(out)
	var b [1]byte
	for range n {
		if _, err := syscall.Read(in, b[:]); err != nil {
			return err
		}
		if _, err := syscall.Write(out, b[:]); err != nil {
			return err
		}
	}
	return nil
}

const fileBlock = 64 << 10

func fileIO(n int, dir string) error {
	if dir == "" {
		dir = os.TempDir()
	}
	name := filepath.Join(dir, fmt.Sprintf("fileio-%d", os.Getpid()))
	defer os.Remove(name)
	f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	block := make([]byte, fileBlock)
	for i := range block {
		block[i] = byte(i)
	}
	for left := n; left > 0; left -= fileBlock {
		if _, err := f.Write(block[:min(left, fileBlock)]); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	f, err = os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	total := 0
	for {
		m, err := f.Read(block)
		total += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if total != n {
		return fmt.Errorf("read back %d bytes of %d", total, n)
	}
	return nil
}

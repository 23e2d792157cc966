package bench

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

// The workloads that need code of their own (cpu, syscall, fileio) run this package's Go
// kernels in a process started from the current executable with kernelEnv set: every
// process-based layer then runs the very same machine code, and the Wasm modules mirror
// it instruction for instruction. init below turns such a process into the kernel.
const (
	kernelEnv = "STRATA_BENCH_KERNEL"
	kernelN   = "STRATA_BENCH_N"
	kernelDir = "STRATA_BENCH_DIR"
)

// The kernel times itself with its monotonic clock and prints the nanoseconds as one
// line "STRATA_WORKLOAD_NS=123456" on stderr, so a sample leaves out the runtime's start
// and exit (and the Go runtime's own start). Right before and after the timed part it
// prints a kernelMark line on stdout, which a virtual machine's host notes the arrival of
// on the console (a check on the guest's clock); elsewhere stdout goes nowhere.
const (
	workloadNSMark = "STRATA_WORKLOAD_NS="
	kernelMark     = "STRATA_MARK"
)

func init() {
	if k := os.Getenv(kernelEnv); k != "" {
		n, _ := strconv.Atoi(os.Getenv(kernelN))
		var out bytes.Buffer // the kernel's result, written after the clock stops
		fmt.Println(kernelMark)
		t0 := time.Now()
		err := RunKernel(k, n, os.Getenv(kernelDir), &out)
		elapsed := time.Since(t0)
		fmt.Println(kernelMark)
		if err != nil {
			fmt.Fprintln(os.Stderr, "strata bench kernel:", err)
			os.Exit(1)
		}
		os.Stdout.Write(out.Bytes())
		fmt.Fprintf(os.Stderr, "%s%d\n", workloadNSMark, elapsed.Nanoseconds())
		os.Exit(0)
	}
}

// workloadNS finds the kernel's own time in what it wrote on stderr (or a console): the
// last workloadNSMark line, or false when there is none.
func workloadNS(out string) (time.Duration, bool) {
	var d time.Duration
	found := false
	for l := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), workloadNSMark); ok {
			if ns, err := strconv.ParseInt(v, 10, 64); err == nil && ns > 0 {
				d, found = time.Duration(ns), true
			}
		}
	}
	return d, found
}

// isKernel reports whether the workload runs a kernel, which times itself.
func isKernel(workload string) bool {
	return workload == CPU || workload == Syscall || workload == FileIO
}

// kernelEnviron is the environment that makes the executable run workload w in dir.
func kernelEnviron(w Workload, dir string) []string {
	return []string{kernelEnv + "=" + w.Name, kernelN + "=" + strconv.Itoa(w.N), kernelDir + "=" + dir}
}

// RunKernel runs a workload's kernel in this process: cpu loops n times, syscall copies n
// bytes one at a time from /dev/zero to /dev/null, fileio writes n bytes to a file in dir,
// syncs it and reads it back.
func RunKernel(name string, n int, dir string, out io.Writer) error {
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

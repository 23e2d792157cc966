package bench

import (
	"errors"
	"os"
	"sync/atomic"

	"github.com/strata-dev/strata/bench/internal/kernel"
)

// ReexecInit must be called first thing in main (and in TestMain) by a program that runs
// the process-based drivers. They run the cpu, syscall and fileio workloads by starting
// the program's own executable again with a marker in its environment, so every layer —
// process, namespaces, containers, guests — runs the very same machine code. In such a
// process ReexecInit runs the workload, and returns the exit code main must exit with and
// true; in any other process it returns 0 and false at once. Importing this package does
// nothing: as with moby's reexec.Init, the call in main is the whole mechanism.
//
//	func main() {
//		if code, ok := bench.ReexecInit(); ok {
//			os.Exit(code)
//		}
//		…
//	}
func ReexecInit() (exitCode int, reexeced bool) {
	if code, ok := kernel.Main(); ok {
		return code, true
	}
	reexecReady.Store(true)
	return 0, false
}

// reexecReady is set once ReexecInit has returned false in this process: its executable
// can then be started as a workload kernel.
var reexecReady atomic.Bool

// errNoReexec is why a driver cannot start the executable as a kernel in a program whose
// main does not call ReexecInit: the child would run the whole program again instead.
var errNoReexec = errors.New("this program does not call bench.ReexecInit at the start of main, so its executable cannot run the workloads")

// kernelExecutable is the executable to start as a workload kernel.
func kernelExecutable() (string, error) {
	if !reexecReady.Load() {
		return "", errNoReexec
	}
	return os.Executable()
}

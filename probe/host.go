package probe

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/strata-dev/strata/internal/feature"
)

// ErrNotSupported is wrapped by every error that means "this host lacks the feature" (no
// device, no syscall, no kernel support), as opposed to a feature that is there but broken.
// It is the one sentinel bench and locate re-export too, and it wraps errors.ErrUnsupported.
// Tests that need a feature skip on it (featuretest.SkipIfNotSupported).
var ErrNotSupported = feature.ErrNotSupported

// Host is a pure description of where the probe reads: nothing is read or run until
// [Run]. [Local] describes this machine; tests describe fake trees.
type Host struct {
	// Root is the directory that holds the host's /proc, /sys, /dev, /etc and /run ("/" for
	// this machine). Kernel checks are given paths under it.
	Root string
	// FS is the host's file system rooted at Root; nil means os.DirFS(Root). Tests set it to
	// give files of a fake tree the types a tree in git cannot hold (devices, sockets).
	FS fs.FS
	// PATH is the list of directories searched for binaries, as in $PATH; each is read
	// under Root. Relative entries are ignored.
	PATH string
	// Runner asks binaries found on PATH for their version; nil: none is run.
	Runner Runner
	// Kernel makes the checks that need the running kernel; nil: those checks are SKIP.
	Kernel Kernel
	// Privileged says the probe may make checks that need root. When false they are SKIP
	// with NeedsRoot set, and namespaces are made inside a user namespace, as a rootless
	// runtime makes them.
	Privileged bool
}

// Runner runs a program to ask it something (its version, its platforms).
type Runner interface {
	// Output runs the program at path with args and returns what it printed on stdout and
	// stderr together.
	Output(ctx context.Context, path string, args ...string) ([]byte, error)
}

// Kernel makes the checks that only the running kernel can answer. Each returns evidence,
// a sentence saying what it did and saw, or an error; an error that means the feature is
// missing wraps [ErrNotSupported] and the errno the kernel gave. Every file descriptor
// and child process a check makes is closed or reaped before it returns.
type Kernel interface {
	// KVM opens the KVM device at path, asks its API version, creates a VM with one vCPU
	// and closes them again.
	KVM(ctx context.Context, path string) (string, error)
	// Namespace creates a namespace of kind (user, pid, net, mount, uts, ipc, cgroup) in a
	// short-lived child process and reaps it; rootless makes it inside a new user
	// namespace, as an unprivileged user must.
	Namespace(ctx context.Context, kind string, rootless bool) (string, error)
	// BPF loads a two-instruction socket filter with bpf(BPF_PROG_LOAD) and closes it.
	BPF(ctx context.Context) (string, error)
	// Perf opens a software perf event (CPU clock) on this process and closes it.
	Perf(ctx context.Context) (string, error)
}

// Namespaces are the namespace kinds the probe creates, in report order.
var Namespaces = []string{"user", "pid", "net", "mount", "uts", "ipc", "cgroup"}

// Local describes this machine: the root file system, $PATH with the sbin directories
// added (runc lives in /usr/sbin on Debian), binaries run with a timeout, the running
// kernel, and root privileges when the effective user is root.
func Local() Host {
	path := os.Getenv("PATH")
	have := map[string]bool{}
	for _, d := range filepath.SplitList(path) {
		have[d] = true
	}
	for _, d := range []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		if !have[d] {
			path += string(filepath.ListSeparator) + d
		}
	}
	return Host{
		Root:       "/",
		PATH:       strings.TrimPrefix(path, string(filepath.ListSeparator)),
		Runner:     ExecRunner{Timeout: 3 * time.Second},
		Kernel:     LocalKernel(),
		Privileged: os.Geteuid() == 0,
	}
}

// ExecRunner runs programs as child processes, each bounded by Timeout.
type ExecRunner struct {
	Timeout time.Duration // 0: only the context bounds it
}

// Output runs path with args and returns its combined output.
func (r ExecRunner) Output(ctx context.Context, path string, args ...string) ([]byte, error) {
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, path, args...)
	// A program that leaves a child holding its output must not hold the probe.
	cmd.WaitDelay = 500 * time.Millisecond
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, err
}

func (h *Host) fsys() fs.FS {
	if h.FS != nil {
		return h.FS
	}
	root := h.Root
	if root == "" {
		root = "/"
	}
	return os.DirFS(root)
}

// hostPath is the path of name (relative to the host root) on this machine, for the
// kernel checks.
func (h *Host) hostPath(name string) string {
	root := h.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, name)
}

// EmbeddedWasm names the Wasm engine linked into the running program with its version
// ("wazero v1.9.0"), from the program's build information; "" when it links none.
func EmbeddedWasm() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/tetratelabs/wazero" {
			return "wazero " + d.Version
		}
	}
	return ""
}

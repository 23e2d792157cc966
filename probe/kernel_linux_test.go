package probe

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/strata-dev/strata/internal/feature/featuretest"
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// skipMissing skips when the host lacks the feature, and fails on any other error.
func skipMissing(t *testing.T, err error) {
	t.Helper()
	featuretest.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
}

func TestLocalKernelKVM(t *testing.T) {
	if _, err := os.Stat("/dev/kvm"); err != nil {
		t.Skipf("no /dev/kvm on this host: %v", err)
	}
	before := openFDs(t)
	ev, err := LocalKernel().KVM(context.Background(), "/dev/kvm")
	if denied(err) {
		t.Skipf("/dev/kvm is not open to this user: %v", err)
	}
	skipMissing(t, err)
	for _, want := range []string{"KVM_GET_API_VERSION on /dev/kvm: 12", "KVM_CREATE_VM: fd", "KVM_CREATE_VCPU: fd", "all closed"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence %q lacks %q", ev, want)
		}
	}
	if after := openFDs(t); after != before {
		t.Errorf("open fds %d before, %d after: the KVM check leaks", before, after)
	}
	_, err = LocalKernel().KVM(context.Background(), "/nonexistent/kvm")
	if !errors.Is(err, ErrNotSupported) {
		t.Errorf("missing device: err = %v, want ErrNotSupported", err)
	}
}

func TestLocalKernelNamespaces(t *testing.T) {
	for _, kind := range Namespaces {
		for _, rootless := range []bool{false, true} {
			name := kind
			if rootless {
				name = "rootless-" + kind
			}
			t.Run(name, func(t *testing.T) {
				if !rootless && kind != "user" && os.Geteuid() != 0 {
					t.Skip("needs root")
				}
				before := openFDs(t)
				ev, err := LocalKernel().Namespace(context.Background(), kind, rootless)
				if denied(err) && (rootless || kind == "user") {
					t.Skipf("unprivileged user namespaces are off here: %v", err)
				}
				skipMissing(t, err)
				if !strings.Contains(ev, "reaped") || !strings.Contains(ev, "(the probe's:") {
					t.Errorf("evidence %q does not show a separate namespace reaped", ev)
				}
				if rootless && kind != "user" && !strings.Contains(ev, "CLONE_NEWUSER|") {
					t.Errorf("rootless evidence %q: no user namespace", ev)
				}
				if after := openFDs(t); after != before {
					t.Errorf("open fds %d before, %d after", before, after)
				}
			})
		}
	}
	if _, err := LocalKernel().Namespace(context.Background(), "time-travel", false); err == nil {
		t.Error("unknown namespace kind: no error")
	}
}

func TestLocalKernelBPF(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("bpf(BPF_PROG_LOAD) needs root here")
	}
	before := openFDs(t)
	ev, err := LocalKernel().BPF(context.Background())
	skipMissing(t, err)
	if !strings.Contains(ev, "closed") {
		t.Errorf("evidence %q", ev)
	}
	if after := openFDs(t); after != before {
		t.Errorf("open fds %d before, %d after", before, after)
	}
}

func TestLocalKernelPerf(t *testing.T) {
	before := openFDs(t)
	ev, err := LocalKernel().Perf(context.Background())
	if denied(err) {
		t.Skipf("perf events are not open to this user: %v", err)
	}
	skipMissing(t, err)
	if !strings.Contains(ev, "closed") {
		t.Errorf("evidence %q", ev)
	}
	if after := openFDs(t); after != before {
		t.Errorf("open fds %d before, %d after", before, after)
	}
}

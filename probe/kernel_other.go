//go:build !linux

package probe

import (
	"context"
	"fmt"
)

// LocalKernel returns the Kernel of this machine; off Linux every check is unsupported.
func LocalKernel() Kernel { return otherKernel{} }

type otherKernel struct{}

func (otherKernel) KVM(context.Context, string) (string, error) {
	return "", fmt.Errorf("KVM: %w off Linux", ErrNotSupported)
}

func (otherKernel) Namespace(context.Context, string, bool) (string, error) {
	return "", fmt.Errorf("namespaces: %w off Linux", ErrNotSupported)
}

func (otherKernel) BPF(context.Context) (string, error) {
	return "", fmt.Errorf("bpf: %w off Linux", ErrNotSupported)
}

func (otherKernel) Perf(context.Context) (string, error) {
	return "", fmt.Errorf("perf events: %w off Linux", ErrNotSupported)
}

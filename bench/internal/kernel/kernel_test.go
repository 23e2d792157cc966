package kernel

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestNS reads the kernel's line among other output.
func TestNS(t *testing.T) {
	tests := []struct {
		out  string
		want time.Duration
		ok   bool
	}{
		{"STRATA_WORKLOAD_NS=1234\n", 1234, true},
		{"runsc: warning\r\n  STRATA_WORKLOAD_NS=42\r\nmore\n", 42, true},
		{"STRATA_WORKLOAD_NS=0\n", 0, false},
		{"STRATA_WORKLOAD_NS=x\n", 0, false},
		{"nothing\n", 0, false},
	}
	for _, tt := range tests {
		got, ok := NS(tt.out)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NS(%q) = %v, %v; want %v, %v", strings.TrimSpace(tt.out), got, ok, tt.want, tt.ok)
		}
	}
}

// TestMainWithoutEnvironment: a process not started as a kernel is left alone.
func TestMainWithoutEnvironment(t *testing.T) {
	t.Setenv(envKernel, "")
	if code, ok := Main(); ok {
		t.Errorf("Main() = %d, true without %s", code, envKernel)
	}
}

// TestRun runs each kernel small, and refuses an unknown one.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := Run(CPU, 1000, "", &out); err != nil || strings.TrimSpace(out.String()) == "" {
		t.Errorf("cpu: %v, %q", err, out.String())
	}
	if err := Run(Syscall, 100, "", &out); err != nil {
		t.Errorf("syscall: %v", err)
	}
	if err := Run(FileIO, 200_000, t.TempDir(), &out); err != nil {
		t.Errorf("fileio: %v", err)
	}
	if err := Run("start", 1, "", &out); err == nil {
		t.Error("an unknown kernel ran")
	}
}

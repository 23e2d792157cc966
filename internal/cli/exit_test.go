package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestExitCodeByType: the exit code follows the error's type, never words in its text
// ("at most", "invalid argument", "accepts " are in plenty of errors that are not usage
// errors: a syscall's EINVAL, a limit in the reasoner, a user's path).
func TestExitCodeByType(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{errNo, exitNo},
		{inputError{errors.New("3 problems")}, exitNo},
		{fmt.Errorf("plan: %w", inputError{errors.New("x")}), exitNo},
		{usageError{errors.New("accepts 1 arg(s), received 2")}, exitUsage},
		{fmt.Errorf("load: %w", usageError{errors.New("no such file")}), exitUsage},
		{errors.New("write /tmp/x: invalid argument"), exitFailure},
		{errors.New("derivation: at most 12 steps (strict + 2×equal)"), exitFailure},
		{errors.New("unknown command in the workload's script; received 3"), exitFailure},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	// inputError unwraps, so a caller can still ask what caused it.
	if !errors.Is(inputError{fmt.Errorf("read: %w", os.ErrNotExist)}, os.ErrNotExist) {
		t.Error("inputError does not unwrap")
	}
}

// TestFailureWithUsageWordsIsNotUsage: a command that fails for a reason of its own, with
// "at most" in the message (here in the path it could not write), exits 3 without a usage
// hint; it exited 2 with "Run 'strata plan --help'" while usage was told by the message's
// words.
func TestFailureWithUsageWordsIsNotUsage(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "at most")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := strata(t, "plan", "--scenario", "edge", "--image", "ghcr.io/example/edge:1.0", "--emit", filepath.Join(blocker, "out"))
	if r.code != exitFailure || strings.Contains(r.stderr, "--help") {
		t.Errorf("exit %d, want %d without a usage hint:\n%s", r.code, exitFailure, r.stderr)
	}
}

// fullWriter fails every write, as a full disk does (strata show > /dev/full).
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestWriteErrorsReported: an answer that could not be written is a failure with the
// reason on stderr, whatever the command: show, rank, scenarios and plan printed their
// tables with fmt and exited 0 into a full disk (only export checked its writes).
func TestWriteErrorsReported(t *testing.T) {
	for _, args := range [][]string{
		{"show"}, {"show", "L-3"}, {"rank", "isolation-strength"}, {"compare", "L-4", "L-2"}, {"scenarios"},
		{"plan", "--scenario", "edge"}, {"export", "-o", "json"}, {"coordinates", "K3s", "+", "WasmEdge"},
		{"--help"},
	} {
		var stderr bytes.Buffer
		code := Run(context.Background(), args, fullWriter{}, &stderr)
		if code != exitFailure || !strings.Contains(stderr.String(), "no space left on device") {
			t.Errorf("strata %s > /dev/full: exit %d, stderr %q; want exit %d and the reason", strings.Join(args, " "), code, stderr.String(), exitFailure)
		}
	}
}

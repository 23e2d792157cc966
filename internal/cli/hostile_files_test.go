package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The hostile-file test runs each command in a process of its own, so that its peak
// memory (VmHWM) is the command's alone and a command that reads without end is stopped
// at a bound instead of filling the machine: the test binary runs itself again with
// STRATA_TEST_CLI_ARGS, and TestCLISubprocess then runs those arguments.

const cliChildEnv = "STRATA_TEST_CLI_ARGS"

// TestCLISubprocess is the command side of TestHostileFiles; it does nothing in a test run.
func TestCLISubprocess(t *testing.T) {
	v := os.Getenv(cliChildEnv)
	if v == "" {
		t.Skip("the command process of TestHostileFiles")
	}
	var args []string
	if err := json.Unmarshal([]byte(v), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(Run(context.Background(), args, os.Stdout, os.Stderr))
}

// TestHostileFiles: every command that reads a file named on its command line reads it
// within a bound, also when the file has no end (/dev/zero) or is far larger than any
// input (a sparse file of 257 MiB), and says which file and what to do, with exit 1.
// Before, check, plan, show --network and import read the whole file into memory
// whatever it was: /dev/zero grew the process without end.
func TestHostileFiles(t *testing.T) {
	const limitKB = 300 << 10
	dir := t.TempDir()
	sparse := filepath.Join(dir, "huge.yaml")
	if f, err := os.Create(sparse); err != nil {
		t.Fatal(err)
	} else {
		f.Truncate(257 << 20)
		f.Close()
	}
	sparseMD := filepath.Join(dir, "huge.md")
	if f, err := os.Create(sparseMD); err != nil {
		t.Fatal(err)
	} else {
		f.Truncate(17 << 20)
		f.Close()
	}
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	// A pipe without end, as --kubeconfig <(command) gives one: cat writes zeros into it
	// until the command closes it.
	fifo := filepath.Join(t.TempDir(), "kubeconfig.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
		feed string // a FIFO to feed endless zeros into while the command runs
	}{
		{[]string{"check", "/dev/zero"}, "/dev/zero:1:1: a NUL byte at offset 0: this is not a text file", ""},
		{[]string{"plan", "/dev/zero"}, "/dev/zero:1:1: a NUL byte at offset 0", ""},
		{[]string{"--network", "/dev/zero", "show"}, "/dev/zero:1:1: a NUL byte at offset 0", ""},
		{[]string{"check", sparse}, "huge.yaml:1:1: file is 269484032 bytes; strata reads at most 268435456 bytes", ""},
		{[]string{"check", dir}, "huge.md:1:1: file is 17825792 bytes; strata reads at most 16777216 bytes", ""},
		{[]string{"import", sparseMD}, "huge.md:1:1: file is 17825792 bytes", ""},
		{[]string{"verify", "/dev/zero"}, "/dev/zero:1:1: a NUL byte at offset 0: this is not a text file: not a strata bench or probe result", ""},
		{[]string{"plan", "--scenario", "edge", "--measured", "/dev/zero"}, "/dev/zero:1:1: a NUL byte at offset 0", ""},
		{[]string{"verify", sparseMD}, "huge.md:1:1: file is 17825792 bytes; strata reads at most 16777216 bytes of a file: not a strata bench or probe result", ""},
		{[]string{"locate", "--events", "/dev/zero"}, "/dev/zero: ", ""},
		{[]string{"fleet", "--kubeconfig", fifo}, "kubeconfig.fifo: a pipe of more than 16 MiB", fifo},
		{[]string{"fleet", "plan", "--scenario", "edge", "--kubeconfig", fifo}, "kubeconfig.fifo: a pipe of more than 16 MiB", fifo},
	} {
		t.Run(strings.NewReplacer(dir, "DIR", fifo, "FIFO").Replace(strings.Join(tc.args, " ")), func(t *testing.T) {
			b, _ := json.Marshal(tc.args)
			cmd := exec.Command(os.Args[0], "-test.run=^TestCLISubprocess$", "-test.count=1")
			cmd.Env = append(os.Environ(), cliChildEnv+"="+string(b))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if tc.feed != "" {
				// Opening a FIFO to write waits for its reader: the shell does, not the test.
				w := exec.Command("sh", "-c", `exec cat /dev/zero > "$1"`, "sh", tc.feed)
				if err := w.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { w.Process.Kill(); w.Wait() })
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			deadline := time.After(60 * time.Second)
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			peak := 0
		watch:
			for {
				select {
				case <-done:
					break watch
				case <-deadline:
					cmd.Process.Kill()
					<-done
					t.Fatalf("still running after 60 s (peak %d MB)", peak>>10)
				case <-tick.C:
					if kb, err := vmHWM(cmd.Process.Pid); err == nil && kb > peak {
						peak = kb
					}
					if peak > limitKB {
						cmd.Process.Kill()
						<-done
						t.Fatalf("peak RSS %d MB, past the bound of %d MB: the file is read without a limit", peak>>10, limitKB>>10)
					}
				}
			}
			if code := cmd.ProcessState.ExitCode(); code != exitNo {
				t.Errorf("exit %d, want %d\n%s", code, exitNo, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr.String())
			}
			t.Logf("peak RSS at least %d MB", peak>>10)
		})
	}
}

// vmHWM is a process's peak resident set in kB.
func vmHWM(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`(?m)^VmHWM:\s+(\d+) kB$`).FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("/proc/%d/status has no VmHWM", pid)
	}
	return strconv.Atoi(string(m[1]))
}

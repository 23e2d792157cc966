package procfs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSampleWithoutIOAccess: a thread's io file needs ptrace access to its process; a
// sampler without it (not root, sampling another user's process) samples as before and
// knows no block I/O counters. As root the test runs itself again as nobody (setpriv),
// sampling a busy shell of root's.
func TestSampleWithoutIOAccess(t *testing.T) {
	if env := os.Getenv("STRATA_TEST_IO_TARGET"); env != "" {
		pid, _ := strconv.Atoi(env)
		if _, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid)); err == nil {
			t.Skip("SKIP-REASON: the io file of another user's process is readable here")
		}
		s := New(Options{})
		if err := s.Add(pid); err != nil {
			t.Fatal(err)
		}
		busy := 0
		for i := 0; i < 1000 && busy < 5; i++ {
			s.SampleOnce()
			s.mu.Lock()
			busy = 0
			for _, ss := range s.samples {
				for _, smp := range ss {
					if smp.Stat.State != 'S' {
						busy++
					}
				}
			}
			s.mu.Unlock()
		}
		rec := s.Stop()
		if busy == 0 || len(rec.Sampled.Threads) == 0 {
			t.Fatalf("%d busy samples, %d threads in the timeline", busy, len(rec.Sampled.Threads))
		}
		for _, ss := range s.samples {
			for _, smp := range ss {
				if smp.IOKnown {
					t.Fatalf("counters known without access: %+v", smp)
				}
			}
		}
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("run as root: it runs itself as nobody to sample a process of root's")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("no setpriv to run as nobody")
	}
	target := exec.Command("sh", "-c", "while :; do :; done")
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { target.Process.Kill(); target.Wait() }()
	// The test binary where nobody can run it.
	dir, err := os.MkdirTemp("", "strata-noio")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "procfs.test")
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil || os.Chmod(dir, 0o755) != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin, "-test.run=^TestSampleWithoutIOAccess$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "STRATA_TEST_IO_TARGET="+strconv.Itoa(target.Process.Pid))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	switch {
	case strings.Contains(string(out), "SKIP-REASON"):
		t.Skipf("as nobody: %s", out)
	case err != nil || !strings.Contains(string(out), "--- PASS: TestSampleWithoutIOAccess"):
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

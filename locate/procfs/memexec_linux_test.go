package procfs

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// firstMapping is the start of the first mapping of process pid.
func firstMapping(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	lo, _, _ := strings.Cut(string(b), "-")
	a, err := strconv.ParseInt(lo, 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestKeptMemAfterExec: the memory file kept open for a process stays bound to the
// address space it was opened on; once the process execs another program (or exits) the
// kernel reads nothing from it (0 bytes: that address space is gone). The sampler then
// opens the new one: it read nothing of a non-Go target that exec'd for as long as it ran.
func TestKeptMemAfterExec(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("reads another process's memory: needs ptrace access, as root")
	}
	sh := exec.Command("sh", "-c", "read x; exec sleep 30")
	in, _ := sh.StdinPipe()
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sh.Process.Kill(); sh.Wait() }()
	pid := sh.Process.Pid
	s := New(Options{})
	defer s.Stop()
	buf := make([]byte, 16)
	if n, err := s.memRead(int32(pid), buf, firstMapping(t, pid)); n != len(buf) || err != nil {
		t.Fatalf("before exec: %d %v", n, err)
	}
	exe := "/proc/" + strconv.Itoa(pid) + "/exe"
	before, _ := os.Readlink(exe)
	io.WriteString(in, "x\n")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if now, _ := os.Readlink(exe); filepath.Base(now) != filepath.Base(before) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no exec")
		}
	}
	at := firstMapping(t, pid)
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := make([]byte, len(buf))
	if _, err := f.ReadAt(want, at); err != nil {
		t.Fatal(err)
	}
	if n, err := s.memRead(int32(pid), buf, at); n != len(buf) || err != nil || !bytes.Equal(buf, want) {
		t.Fatalf("after exec: %d %v %x, want %x", n, err, buf[:n], want)
	}
}

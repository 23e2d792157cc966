package procfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeStat writes a thread's stat file in a fake proc tree, replacing it by rename as an
// atomic writer would.
func fakeStat(t *testing.T, dir string, state byte) {
	t.Helper()
	task := filepath.Join(dir, "1", "task", "1")
	if err := os.MkdirAll(task, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "stat.tmp")
	line := fmt.Sprintf("1 (fake) %c 0 1 1 0 -1 0 0 0 0 0 3 7 0 0 20 0 1 0\n", state)
	if err := os.WriteFile(tmp, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(task, "stat")); err != nil {
		t.Fatal(err)
	}
}

// TestFakeProcRewritten: Options.Proc a tree of regular files, as tests make: a file
// replaced by rename between two samples reads as it now is. (Kept open, the file read
// the replaced inode for ever: the second sample said S.)
func TestFakeProcRewritten(t *testing.T) {
	dir := t.TempDir()
	fakeStat(t, dir, 'S')
	s := New(Options{Proc: dir})
	if err := s.Add(1); err != nil {
		t.Fatal(err)
	}
	s.SampleOnce()
	fakeStat(t, dir, 'D')
	s.SampleOnce()
	rec := s.Stop()
	_ = rec
	ss := s.samples[1]
	if len(ss) != 2 || ss[0].Stat.State != 'S' || ss[1].Stat.State != 'D' {
		t.Fatalf("samples %+v, want S then D", ss)
	}
}

// TestKeptFileOfReusedTID: a thread exits and its id is taken by a new process (made so
// through ns_last_pid): the stat file kept open for the thread fails to read — the
// kernel's answer — rather than reading the new task, which its path now names.
func TestKeptFileOfReusedTID(t *testing.T) {
	const lastPID = "/proc/sys/kernel/ns_last_pid"
	if f, err := os.OpenFile(lastPID, os.O_WRONLY, 0); err != nil {
		t.Skipf("cannot choose the next pid (%v): needs CAP_SYS_ADMIN", err)
	} else {
		f.Close()
	}
	var p procFiles
	defer p.close()
	tid, path := os.Getpid(), ""
	for tid == os.Getpid() { // the main thread does not exit, it is kept aside
		tids, exit := make(chan int), make(chan bool)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
			tids <- syscall.Gettid()
			<-exit
		}()
		tid = <-tids
		path = fmt.Sprintf("/proc/%d/task/%d/stat", os.Getpid(), tid)
		if b, err := p.read(path); err != nil || !strings.HasPrefix(string(b), strconv.Itoa(tid)+" ") {
			t.Fatalf("%s: %q %v", path, b, err)
		}
		close(exit)
	}
	kept := p.open[path].f
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := os.Stat(filepath.Dir(path)); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the thread did not exit")
		}
		runtime.Gosched()
	}
	// A new process with the thread's id; other forks on the machine may take it first.
	var cmd *exec.Cmd
	for range 200 {
		if err := os.WriteFile(lastPID, []byte(strconv.Itoa(tid-1)), 0); err != nil {
			t.Skipf("write %s: %v", lastPID, err)
		}
		c := exec.Command("sleep", "30")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		if c.Process.Pid == tid {
			cmd = c
			break
		}
		c.Process.Kill()
		c.Wait()
	}
	if cmd == nil {
		t.Skip("the id was not reused in 200 tries")
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/stat", tid, tid)); err != nil || !strings.Contains(string(b), "(sleep)") {
		t.Fatalf("the new process: %q %v", b, err)
	}
	buf := make([]byte, 4096)
	if n, err := pread(kept, buf, 0); err == nil {
		t.Fatalf("the kept file of the exited thread read %q", buf[:n])
	} else if !errors.Is(err, syscall.ESRCH) {
		t.Logf("kept file: %v", err)
	}
	if b, err := p.read(path); err == nil {
		t.Fatalf("read %q for the exited thread", b)
	}
	if _, ok := p.open[path]; ok {
		t.Error("the file of the exited thread is still kept")
	}
}

// TestReadLongChildren: a thread's children file grows past a page between two reads of
// the file kept open (1,000 children: the kernel's seq_file returns whole records, a page
// at most, per read); read returns it whole, as a fresh read by path does.
func TestReadLongChildren(t *testing.T) {
	const n = 1000
	sh := exec.Command("sh", "-c", fmt.Sprintf("read x; i=0; while [ $i -lt %d ]; do sleep 60 & i=$((i+1)); done; echo ok; wait", n))
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, _ := sh.StdinPipe()
	out, _ := sh.StdoutPipe()
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { syscall.Kill(-sh.Process.Pid, syscall.SIGKILL); sh.Wait() }()
	var p procFiles
	defer p.close()
	path := fmt.Sprintf("/proc/%d/task/%d/children", sh.Process.Pid, sh.Process.Pid)
	if b, err := p.read(path); err != nil || len(b) != 0 {
		t.Fatalf("before: %q %v", b, err)
	}
	io.WriteString(in, "go\n")
	if l, err := bufio.NewReader(out).ReadString('\n'); l != "ok\n" {
		t.Fatalf("%q %v", l, err)
	}
	want, err := os.ReadFile(path)
	if err != nil || len(want) <= 4096 || len(strings.Fields(string(want))) != n {
		t.Fatalf("by path: %d bytes, %d children, %v", len(want), len(strings.Fields(string(want))), err)
	}
	got, err := p.read(path)
	if err != nil || string(got) != string(want) {
		t.Fatalf("kept: %d bytes %v, want %d bytes", len(got), err, len(want))
	}
}

// TestProcFilesBound: more files than maxProcFiles read over and over from two goroutines
// at once: never more kept than the bound, and every read succeeds with the file's
// content (a file closed by the other goroutine's overflow between get and its read
// failed it: "file already closed").
func TestProcFilesBound(t *testing.T) {
	dir := t.TempDir()
	const per = maxProcFiles/2 + 500
	for i := range 2 * per {
		if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(i)), []byte(strconv.Itoa(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var p procFiles // kept, as /proc's are
	defer p.close()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for g := range 2 {
		wg.Go(func() {
			for pass := range 3 {
				for i := g * per; i < (g+1)*per; i++ {
					b, err := p.read(filepath.Join(dir, strconv.Itoa(i)))
					if err != nil || string(b) != strconv.Itoa(i) {
						errs <- fmt.Errorf("pass %d, file %d: %q %v", pass, i, b, err)
						return
					}
					p.mu.Lock()
					n := len(p.open)
					p.mu.Unlock()
					if n > maxProcFiles {
						errs <- fmt.Errorf("%d files kept", n)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSampleOnceAfterStop: a sample taken as Stop runs or after it (the CLI cancels Run
// and stops without waiting for it) opens no file that stays open.
func TestSampleOnceAfterStop(t *testing.T) {
	c := exec.Command("sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	s := New(Options{})
	if err := s.Add(c.Process.Pid); err != nil {
		t.Fatal(err)
	}
	s.SampleOnce()
	s.Stop()
	s.SampleOnce()
	s.files.mu.Lock()
	defer s.files.mu.Unlock()
	if n := len(s.files.open); n != 0 {
		t.Errorf("%d files open after Stop", n)
	}
}

// TestSampleOnceConcurrent: two goroutines sample the same processes at once (run with
// -race), and Stop runs while they do; every file is closed once they are done.
func TestSampleOnceConcurrent(t *testing.T) {
	c := exec.Command("sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	s := New(Options{})
	for _, pid := range []int{c.Process.Pid, os.Getpid()} {
		if err := s.Add(pid); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	started := make(chan bool, 2)
	for range 2 {
		wg.Go(func() {
			for i := range 40 {
				s.SampleOnce()
				if i == 10 {
					started <- true
				}
			}
		})
	}
	<-started
	<-started
	rec := s.Stop()
	wg.Wait()
	if rec.Sampled == nil || len(rec.Sampled.Threads) == 0 {
		t.Error("nothing sampled")
	}
	s.files.mu.Lock()
	defer s.files.mu.Unlock()
	if n := len(s.files.open); n != 0 {
		t.Errorf("%d files open after Stop and the samples", n)
	}
}

// fakeThread writes thread 1 of process 1 in a fake proc tree: its stat (state), its
// schedstat (run time), its io file (bytes written), its syscall file and its children.
func fakeThread(t *testing.T, dir string, state byte, run, written uint64, syscall, children string) {
	t.Helper()
	task := filepath.Join(dir, "1", "task", "1")
	if err := os.MkdirAll(task, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"stat":      fmt.Sprintf("1 (fake) %c 0 1 1 0 -1 0 0 0 0 0 3 7 0 0 20 0 1 0\n", state),
		"schedstat": fmt.Sprintf("%d 0 1\n", run),
		"io":        fmt.Sprintf("rchar: 0\nwchar: %d\nread_bytes: 0\nwrite_bytes: %d\ncancelled_write_bytes: 0\n", written, written),
		"syscall":   syscall + "\n",
		"wchan":     "0",
		"children":  children,
	} {
		tmp := filepath.Join(dir, name+".tmp")
		if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(task, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSampleIOOfAThreadThatRan: a libuv worker asleep at two samples may have taken a
// job, written a megabyte to the page cache and gone back to sleep between them; its io
// file was read only while it was busy at a sample, so the write was not seen and the
// event loop's wait it ended was "io". A thread whose run time grew is read again.
func TestSampleIOOfAThreadThatRan(t *testing.T) {
	dir := t.TempDir()
	futex := "202 0x2000 0x80 0x0 0x0 0x0 0x0 0x7ffc0000 0x7f0000"
	fakeThread(t, dir, 'S', 1000, 0, futex, "")
	s := New(Options{Proc: dir})
	if err := s.Add(1); err != nil {
		t.Fatal(err)
	}
	s.SampleOnce()
	fakeThread(t, dir, 'S', 1000, 0, futex, "")
	s.SampleOnce()
	fakeThread(t, dir, 'S', 900000, 1<<20, futex, "") // ran, wrote, waits again
	s.SampleOnce()
	s.Stop()
	ss := s.samples[1]
	if len(ss) != 3 {
		t.Fatalf("%d samples, want 3", len(ss))
	}
	if didBlockIO(ss[0], ss[1]) {
		t.Errorf("asleep between the first two samples, yet its I/O grew: %+v", ss[:2])
	}
	if !didBlockIO(ss[1], ss[2]) {
		t.Errorf("ran and wrote a megabyte between two samples asleep, not seen: io %d (known %v) then %d (known %v)", ss[1].IO, ss[1].IOKnown, ss[2].IO, ss[2].IOKnown)
	}
}

// TestSampleChildLookedAtWhileRunnable: a poll that a child's exit ended wakes as the
// child closes its files; beside a hog the woken thread waits for a CPU, and the child,
// still exiting, too. The child was looked at once more at the sample after the poll and
// then no more, so seen gone two samples later the poll was not the child's. While the
// thread has not run since, its poll's children are still looked at.
func TestSampleChildLookedAtWhileRunnable(t *testing.T) {
	dir := t.TempDir()
	child := func(state byte) {
		if err := os.MkdirAll(filepath.Join(dir, "77"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "77", "stat"), fmt.Appendf(nil, "77 (sleep) %c 1 77 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0\n", state), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	child('S')
	poll := "281 0x9 0x7f00 0x400 0xffffffff 0x0 0x0 0x7ffc0000 0x7f0000"
	fakeThread(t, dir, 'S', 1000, 0, poll, "77 ")
	s := New(Options{Proc: dir})
	if err := s.Add(1); err != nil {
		t.Fatal(err)
	}
	s.SampleOnce()
	fakeThread(t, dir, 'R', 1000, 0, "running", "")
	s.SampleOnce()
	s.SampleOnce()
	child('Z')
	s.SampleOnce()
	s.Stop()
	ss := s.samples[1]
	if len(ss) != 4 {
		t.Fatalf("%d samples, want 4", len(ss))
	}
	if ss[1].ChildExited || ss[2].ChildExited || !ss[3].ChildExited {
		t.Errorf("child exited seen at samples %v %v %v, want only at the last (a zombie then)", ss[1].ChildExited, ss[2].ChildExited, ss[3].ChildExited)
	}
}

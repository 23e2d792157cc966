package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/strata-dev/strata/locate"
)

// neverPID is a pid no process can have: pids are below /proc/sys/kernel/pid_max.
func neverPID(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Skipf("no pid_max: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// otherThread is a thread of this process other than its first.
func otherThread(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if tid, _ := strconv.Atoi(e.Name()); tid != 0 && tid != os.Getpid() {
			return tid
		}
	}
	t.Skip("this process has one thread")
	return 0
}

// zombie starts a child that exits at once and waits until it has exited without reaping
// it (waitid WNOWAIT): a zombie until the test's cleanup reaps it.
func zombie(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Wait() })
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// TestLocatePIDRefused: a --pid strata cannot observe fails before anything is observed,
// with what is wrong and what to do, and exit 2. A pid of no process, or of a zombie,
// made a report of time "not observed" and exited 0 with eBPF (the sampler refused the
// first with its stat error and took the zombie); 0 and negative pids were observed as
// processes; a pid given twice was observed, and reported, twice.
func TestLocatePIDRefused(t *testing.T) {
	never, z, tid, self := neverPID(t), zombie(t), otherThread(t), os.Getpid()
	for _, tc := range []struct {
		name string
		pids []string
		want string
	}{
		{"none", []string{strconv.Itoa(never)}, fmt.Sprintf("--pid %d: no such process (is it running? pass the pid of the service that exports the spans", never)},
		{"zombie", []string{strconv.Itoa(z)}, fmt.Sprintf("--pid %d: process %d (true) has exited (a zombie", z, z)},
		{"zero", []string{"0"}, "--pid 0: not a process id"},
		{"negative", []string{"-5"}, "--pid -5: not a process id"},
		{"twice", []string{strconv.Itoa(self), strconv.Itoa(self)}, fmt.Sprintf("--pid %d is given twice", self)},
		{"twice-in-one", []string{fmt.Sprintf("%d,%d", self, self)}, fmt.Sprintf("--pid %d is given twice", self)},
		{"thread", []string{strconv.Itoa(tid)}, fmt.Sprintf("--pid %d is a thread of process %d, not a process; pass --pid %d", tid, self, self)},
		{"not-a-number", []string{"abc"}, `invalid argument "abc" for "--pid"`},
		// The one of two that is missing is named.
		{"second-missing", []string{strconv.Itoa(self), strconv.Itoa(never)}, fmt.Sprintf("--pid %d: no such process", never)},
	} {
		for _, collector := range collectors {
			args := []string{"locate", "--for", "100ms"}
			for _, p := range tc.pids {
				args = append(args, "--pid", p)
			}
			args = append(args, collector...)
			t.Run(tc.name+"-"+collectorName(collector), func(t *testing.T) {
				r := strata(t, args...)
				if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
					t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d, no report, and %q", args, r.code, r.stdout, r.stderr, exitUsage, tc.want)
				}
			})
		}
	}
}

// blockedChild starts cat on a pipe: it runs until the pipe is closed. exit closes it and
// waits until cat has exited, without reaping it: a zombie until reap (or the test's
// cleanup) reaps it.
func blockedChild(t *testing.T) (pid int, exit, reap func()) {
	t.Helper()
	cmd := exec.Command("cat")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid = cmd.Process.Pid
	exited, reaped := false, false
	exit = func() {
		if !exited {
			exited = true
			in.Close()
			var info unix.Siginfo
			if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
				t.Error(err)
			}
		}
	}
	reap = func() {
		exit()
		if !reaped {
			reaped = true
			_ = cmd.Wait()
		}
	}
	t.Cleanup(reap)
	return pid, exit, reap
}

// collectors are the ways strata locate observes: eBPF (which falls back to sampling where
// it cannot load: without root) and sampling /proc.
var collectors = [][]string{nil, {"--sampled"}}

func collectorName(args []string) string {
	if len(args) == 0 {
		return "ebpf"
	}
	return "sampled"
}

// TestLocatePIDExitsBeforeObservation: a --pid that exits after it was checked but before
// the collector took it (eBPF loads for seconds) is refused as it would have been at the
// check: nothing of it was observed. Reaped, the sampler refused it with its stat error;
// a zombie, it was taken, and eBPF took either.
func TestLocatePIDExitsBeforeObservation(t *testing.T) {
	defer func(f func()) { locateAttaching = f }(locateAttaching)
	for _, collector := range collectors {
		for _, reaped := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s-reaped-%t", collectorName(collector), reaped), func(t *testing.T) {
				pid, exit, reap := blockedChild(t)
				locateAttaching = exit
				if reaped {
					locateAttaching = reap
				}
				r := strata(t, append([]string{"locate", "--for", "100ms", "--pid", strconv.Itoa(pid)}, collector...)...)
				want := fmt.Sprintf("--pid %d: process %d (cat) exited before the observation started", pid, pid)
				if r.code != exitUsage || !strings.Contains(r.stderr, want) || r.stdout != "" {
					t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, no report, and %q", r.code, r.stdout, r.stderr, exitUsage, want)
				}
			})
		}
	}
}

// TestLocatePIDExitsDuringObservation: a --pid that exits while it is observed is
// reported as before (exit 0, its span unexplained after it exited), and the report says
// it exited; one that kept running is not said to have.
func TestLocatePIDExitsDuringObservation(t *testing.T) {
	defer func(f func()) { locateObserving = f }(locateObserving)
	for _, collector := range collectors {
		t.Run(collectorName(collector), func(t *testing.T) {
			pid, _, reap := blockedChild(t)
			other, _, _ := blockedChild(t)
			locateObserving = reap
			r := strata(t, append([]string{"locate", "--for", "50ms", "-o", "json", "--pid", strconv.Itoa(pid), "--pid", strconv.Itoa(other)}, collector...)...)
			if r.code != exitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var rep locate.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Breakdowns) != 2 {
				t.Errorf("%d breakdowns, want one per process", len(rep.Breakdowns))
			}
			var exited []string
			for _, n := range rep.Notes {
				if strings.Contains(n, "exited") {
					exited = append(exited, n)
				}
			}
			want := fmt.Sprintf("process %d (cat) exited ", pid)
			if len(exited) != 1 || !strings.HasPrefix(exited[0], want) || !strings.Contains(exited[0], "into the observation") {
				t.Errorf("notes %q: want one, starting %q", rep.Notes, want)
			}
		})
	}
}

// TestLocatePIDEndsWhenAllExit: with --pid and no --for, the observation ends once every
// watched process has exited (it used to wait for Ctrl-C with nothing left to observe),
// and not while one of them runs.
func TestLocatePIDEndsWhenAllExit(t *testing.T) {
	defer func(f func()) { locateObserving = f }(locateObserving)
	for _, collector := range collectors {
		t.Run(collectorName(collector), func(t *testing.T) {
			pid, _, reap := blockedChild(t)
			other, _, reapOther := blockedChild(t)
			// Both exit once the observation has begun; the context ends it otherwise,
			// and the test fails then.
			locateObserving = func() { reap(); reapOther() }
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var out, errOut bytes.Buffer
			code := Run(ctx, append([]string{"locate", "-o", "json", "--pid", strconv.Itoa(pid), "--pid", strconv.Itoa(other)}, collector...), &out, &errOut)
			if ctx.Err() != nil {
				t.Fatalf("the observation did not end when both processes had exited: %s", errOut.String())
			}
			if code != exitOK || !strings.Contains(errOut.String(), "every --pid process has exited") {
				t.Errorf("exit %d, stderr %q", code, errOut.String())
			}
		})
	}
	// One still running: only the context ends it.
	pid, _, reap := blockedChild(t)
	other, _, _ := blockedChild(t)
	locateObserving = reap
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	Run(ctx, []string{"locate", "-o", "json", "--sampled", "--pid", strconv.Itoa(pid), "--pid", strconv.Itoa(other)}, &out, &errOut)
	if ctx.Err() == nil || strings.Contains(errOut.String(), "every --pid process has exited") {
		t.Errorf("ended while process %d ran: %q", other, errOut.String())
	}
}

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCancelLeavesNothing cancels runs in the middle of a workload and checks, the moment
// Run returns, that no process, container, mount, cgroup, socket or temp file is left.
// scripts/test.sh runs it beside a CPU hog too: on a busy machine the killed processes
// take their time to exit, and cleanup must wait for them rather than race them. The
// cancel comes when the workload is seen running (workloadRunning), not after a fixed
// time: on a busy machine a container's start alone outlasts any fixed time (gVisor's
// takes seconds there), and the cancel would land in the start instead
// (TestOCICancelDuringCreate cancels there, at its steps).
func TestCancelLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes and containers")
	}
	drivers := []Driver{NewNative(), NewNamespaces(), NewWazero(false)}
	for _, d := range []Driver{NewRunc(), NewCrun(), NewContainerd(), NewRunsc("ptrace")} {
		if ok, why := d.Available(context.Background()); ok {
			drivers = append(drivers, d)
		} else {
			t.Logf("%s: %s (cancel tested without it)", d.Name(), why)
		}
	}
	for _, d := range drivers {
		t.Run(d.Name(), func(t *testing.T) {
			tmp := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// A process-based run lasts minutes: cancel must end it, not wait for it. wazero
			// runs in this process and cannot be interrupted (see wazeroDriver.Prepare): a
			// cancel waits for the run in flight, so its runs are a fraction of a second.
			n := 50_000_000_000
			if strings.HasPrefix(d.Name(), "wazero") {
				n = 200_000_000
			}
			opt := Options{Runs: 5, Warmup: 0, TempDir: tmp,
				Workloads: []Workload{{Name: Start}, {Name: CPU, N: n}},
				Progress: func(driver, workload string, i, n int) {
					if workload == CPU && i == 1 {
						go func() {
							tick := time.NewTicker(5 * time.Millisecond)
							defer tick.Stop()
							for ctx.Err() == nil && !workloadRunning(d, tmp) {
								<-tick.C
							}
							cancel()
						}()
					}
				}}
			begin := time.Now()
			res, err := Run(ctx, []Driver{d}, opt)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run after cancel: %v, want context.Canceled; results %+v", err, res.Drivers)
			}
			if errors.Is(err, ErrLeftBehind) {
				t.Errorf("Run after cancel: %v", err)
			}
			// Generous for a loaded machine, and far below the minutes the run would take.
			if el := time.Since(begin); el > 2*time.Minute {
				t.Errorf("cancel took %v to take effect", el)
			}
			entries, _ := os.ReadDir(tmp)
			if len(entries) != 0 {
				t.Errorf("temp files left: %v", entries)
			}
			if kids := children(tmp); len(kids) > 0 {
				t.Errorf("processes left: %v", kids)
			}
			assertNothingLeft(t, d.Name(), tmp)
		})
	}
}

// workloadRunning reports whether the cpu kernel of a run of d is running: a process with
// the kernel's environment that is this process's child (native, namespaces) or in a
// cgroup of one of its containers (runc, crun, containerd); for gVisor, whose workload runs
// inside the sandbox where the host cannot see it, the runtime's own state says running
// for the newest container; wazero runs in this process, where a cancel waits for the
// run in flight anyway.
func workloadRunning(d Driver, tmp string) bool {
	if od, ok := d.(*ociDriver); ok && strings.HasPrefix(d.Name(), "gvisor") {
		id := fmt.Sprintf("strata-bench-%d-%d", os.Getpid(), containerSeq.Load())
		return od.running(id)
	}
	if strings.HasPrefix(d.Name(), "wazero") {
		return true
	}
	me := strconv.Itoa(os.Getpid())
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		env, err := os.ReadFile(p + "/environ")
		if err != nil || !bytes.Contains(env, []byte("STRATA_BENCH_KERNEL=cpu\x00")) {
			continue
		}
		stat, _ := os.ReadFile(p + "/stat")
		st := string(stat)
		f := strings.Fields(st[strings.LastIndexByte(st, ')')+1:])
		cg, _ := os.ReadFile(p + "/cgroup")
		if (len(f) > 1 && f[1] == me) || bytes.Contains(cg, []byte("strata-bench-"+me+"-")) {
			return true
		}
	}
	return false
}

// running reports whether the runtime's state of container id says it runs (the OCI
// state command).
func (d *ociDriver) running(id string) bool {
	args := append([]string{"--root", d.state}, d.global...)
	out, err := exec.Command(d.bin, append(args, "state", id)...).Output()
	if err != nil {
		return false
	}
	var st struct {
		Status string `json:"status"`
	}
	return json.Unmarshal(out, &st) == nil && st.Status == "running"
}

// runContainerdExisted is whether /run/containerd was there before the tests (TestMain
// looks): containerd must not leave the directory its shims' sockets go to when it made it.
var runContainerdExisted bool

// assertNothingLeft checks the host, strictly and by its own means (not the driver's), for
// what a driver's runs may leave: processes in a cgroup of this test process's containers
// or naming one of them (or its containerd namespace) on their command line, mounts below
// the runs' directories (dirs) or naming this process's containers, cgroups anywhere below
// /sys/fs/cgroup, containerd's run directory and socket directories. What other processes
// on the machine run (another bench, say) is theirs and not looked at.
func assertNothingLeft(t *testing.T, driver string, dirs ...string) {
	t.Helper()
	mine := "strata-bench-" + strconv.Itoa(os.Getpid())
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range procs {
		if d == "/proc/"+strconv.Itoa(os.Getpid()) {
			continue
		}
		state, parent := procState(d)
		if othersZombie(state, parent) {
			continue
		}
		cg, _ := os.ReadFile(d + "/cgroup")
		cmd, _ := os.ReadFile(d + "/cmdline")
		if bytes.Contains(cg, []byte(mine)) || bytes.Contains(cmd, []byte(mine)) {
			t.Errorf("%s: process left: %s %s (state %s, parent %s; cgroups %s)", driver, filepath.Base(d),
				bytes.ReplaceAll(cmd, []byte{0}, []byte(" ")), state, parent, bytes.ReplaceAll(bytes.TrimSpace(cg), []byte("\n"), []byte(" ")))
		}
	}
	mi, _ := os.ReadFile("/proc/thread-self/mountinfo") // the main thread's may be another (see cgroup.Dirs)
	for l := range strings.Lines(string(mi)) {
		ours := strings.Contains(l, mine)
		for _, d := range dirs {
			ours = ours || strings.Contains(l, " "+d+"/") || strings.Contains(l, " "+d+" ")
		}
		if ours {
			t.Errorf("%s: mount left: %s", driver, strings.TrimSpace(l))
		}
	}
	if out, _ := exec.Command("find", "/sys/fs/cgroup", "-name", mine+"*").Output(); len(out) > 0 {
		t.Errorf("%s: cgroups left:\n%s", driver, out)
	}
	if !runContainerdExisted && exists(containerdRunDir) {
		t.Errorf("%s: %s left", driver, containerdRunDir)
	}
	if m, _ := filepath.Glob(filepath.Join(os.TempDir(), "strata-ctrd-*")); len(m) > 0 {
		t.Errorf("%s: socket directories left: %v", driver, m)
	}
}

// procState is the state letter and the parent's pid in /proc/PID/stat (dir), or "" when
// the process is gone.
func procState(dir string) (state, parent string) {
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return "", ""
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return "", ""
	}
	return f[0], f[1]
}

// othersZombie reports whether a process has exited and waits to be reaped by a parent
// other than this process. It has given back everything a run could leave (memory, files,
// mounts; a v2 cgroup can be removed under it, and is: its /proc/PID/cgroup then says
// "(deleted)"), and reaping it is its parent's work — the init of the machine, for the
// container inits a killed runtime orphaned: here a process manager that reaps them late
// on a busy machine. A zombie of this process's own is still reported: a child it did not
// wait for.
func othersZombie(state, parent string) bool {
	return (state == "Z" || state == "X") && parent != strconv.Itoa(os.Getpid())
}

// children lists the processes this test process started that are still there: any
// process whose parent is this one, or whose command line names the run's directory or a
// container of this process (other packages' tests may run benches at the same time).
func children(dir string) []string {
	me := strconv.Itoa(os.Getpid())
	var out []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		state, parent := procState(d)
		if state == "" || othersZombie(state, parent) {
			continue
		}
		cmd, _ := os.ReadFile(d + "/cmdline")
		c := string(cmd)
		if parent == me || strings.Contains(c, dir) || strings.Contains(c, "strata-bench-"+me+"-") {
			out = append(out, filepath.Base(d)+" "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return out
}

// TestContainerdFailedRunRemovesContainer ends a containerd run while its workload runs
// (a cancel; a timeout takes the same path) and checks that the container, its shim, its
// task and its cgroup are gone as soon as Run returns, not only after Close: a workload
// left running would take CPU from the runs after it.
func TestContainerdFailedRunRemovesContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts containerd and runs containers")
	}
	d := NewContainerd().(*containerdDriver)
	if ok, why := d.Available(context.Background()); !ok {
		t.Skip(why)
	}
	dir := t.TempDir()
	if err := d.Prepare(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
		assertNothingLeft(t, d.Name(), dir)
	})
	id := fmt.Sprintf("strata-bench-%d-%d", os.Getpid(), containerSeq.Load()+1)
	runCancelled(t, d, func() bool { return len(pidsWithArg(id)) > 0 }, "the container's shim never appeared")
	if pids := pidsWithArg(id); len(pids) > 0 {
		t.Errorf("shim of %s still there after the run returned: pids %v", id, pids)
	}
	lctx, lcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer lcancel()
	for _, what := range []string{"containers", "tasks"} {
		out, err := d.ctr(lctx, what, "ls", "-q")
		if err != nil {
			t.Fatalf("ctr %s ls: %v: %s", what, err, out)
		}
		if slices.Contains(strings.Fields(out), id) {
			t.Errorf("ctr %s ls still lists %s after the run returned", what, id)
		}
	}
	if cgs := cgroupsNamed(id); len(cgs) > 0 {
		t.Errorf("cgroups of %s still there (its workload runs on): %v", id, cgs)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if slices.Contains(d.ids, id) {
		t.Errorf("%s removed but still in the list Close cleans", id)
	}
}

// TestOCIFailedRunRemovesContainer is TestContainerdFailedRunRemovesContainer for the OCI
// runtimes: the container of a run whose runtime was killed is gone when Run returns.
func TestOCIFailedRunRemovesContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs containers")
	}
	for _, d := range []*ociDriver{NewRunc().(*ociDriver), NewCrun().(*ociDriver)} {
		t.Run(d.Name(), func(t *testing.T) {
			if ok, why := d.Available(context.Background()); !ok {
				t.Skip(why)
			}
			dir := t.TempDir()
			if err := d.Prepare(context.Background(), dir); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := d.Close(); err != nil {
					t.Error(err)
				}
				assertNothingLeft(t, d.Name(), dir)
			})
			id := fmt.Sprintf("strata-bench-%d-%d", os.Getpid(), containerSeq.Load()+1)
			state := func() string {
				out, _ := exec.Command(d.bin, "--root", d.state, "state", id).Output()
				return string(out)
			}
			runCancelled(t, d, func() bool { return strings.Contains(state(), `"running"`) }, "the container never ran")
			if st := state(); st != "" {
				t.Errorf("%s still there after the run returned: %s", id, st)
			}
			if cgs := cgroupsNamed(id); len(cgs) > 0 {
				t.Errorf("cgroups of %s still there: %v", id, cgs)
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			if slices.Contains(d.ids, id) {
				t.Errorf("%s removed but still in the list Close cleans", id)
			}
		})
	}
}

// runCancelled runs minutes of CPU work on d and cancels the run half a second after
// running reports true (a timeout takes the same path), failing with never when it never
// does. The run must end with context.Canceled.
func runCancelled(t *testing.T, d Driver, running func() bool, never string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a start on a busy machine
	defer cancel()
	started := make(chan bool, 1)
	go func() {
		for ctx.Err() == nil {
			if running() {
				started <- true
				time.Sleep(500 * time.Millisecond) // let the workload get going
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		started <- false
	}()
	_, err := d.Run(ctx, Workload{Name: CPU, N: 50_000_000_000}) // minutes of work
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want context.Canceled", err)
	}
	if !<-started {
		t.Fatal(never)
	}
}

// cgroupsNamed lists the cgroup directories named name, at any depth (a runtime puts a
// container's below the caller's own cgroup in each v1 hierarchy, so at different depths).
func cgroupsNamed(name string) []string {
	out, _ := exec.Command("find", "/sys/fs/cgroup", "-name", name).Output()
	return strings.Fields(string(out))
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestContainerdCancelDuringCreate cancels containerd runs at the moments a task is being
// created — when the container's shim appears, when runc create runs, when the first of
// its cgroups appears — several times each, and checks after each Run that none of the
// container's cgroups is there, and after Close that nothing of the driver's namespace is,
// in any hierarchy. scripts/test.sh runs it beside a CPU hog, where the steps of a
// creation are far apart.
func TestContainerdCancelDuringCreate(t *testing.T) {
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
	closed := false
	t.Cleanup(func() {
		if !closed {
			d.Close()
		}
	})
	moments := map[string]func(id string) bool{
		"shim": func(id string) bool { return len(pidsWithArg(id)) > 0 },
		"runc create": func(id string) bool {
			for _, pid := range pidsWithArg(id) {
				b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				if strings.Contains(string(b), "\x00create\x00") {
					return true
				}
			}
			return false
		},
		"cgroup": func(id string) bool { return len(cgroupsNamed(id)) > 0 },
	}
	rounds := 4
	for i := 0; i < rounds; i++ {
		for name, moment := range moments {
			id := fmt.Sprintf("strata-bench-%d-%d", os.Getpid(), containerSeq.Load()+1)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			seen := make(chan bool, 1)
			go func() {
				tick := time.NewTicker(time.Millisecond)
				defer tick.Stop()
				for ctx.Err() == nil {
					if moment(id) {
						cancel()
						seen <- true
						return
					}
					<-tick.C
				}
				seen <- false
			}()
			_, err := d.Run(ctx, Workload{Name: CPU, N: 50_000_000_000})
			cancel()
			if !<-seen {
				t.Logf("round %d, %s: the moment never came (run: %v)", i, name, err)
				continue
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("round %d, %s: run: %v, want context.Canceled", i, name, err)
			}
			if cgs := cgroupsNamed(id); len(cgs) > 0 {
				t.Errorf("round %d, cancelled at %s: cgroups of %s left when Run returned: %v", i, name, id, cgs)
			}
		}
	}
	closed = true
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if out, _ := exec.Command("find", "/sys/fs/cgroup", "-name", d.ns+"*").Output(); len(out) > 0 {
		t.Errorf("cgroups of namespace %s left after Close:\n%s", d.ns, out)
	}
	assertNothingLeft(t, d.Name(), dir)
}

// TestOCICancelDuringCreate cancels runc, crun and gVisor runs at the moments a container
// is being made — when the runtime's process appears, when the container's state appears
// under the runtime's root, when its first cgroup appears — several times each, and checks
// the moment each Run returns that nothing of the container is left: no process naming it
// or the driver's directory, no state, no cgroup. scripts/test.sh runs it beside a CPU
// hog, where the steps of a creation are far apart (gVisor's sandbox takes seconds to
// start there). gVisor makes no cgroup here (the config names none): its last moment is
// its state saying running.
func TestOCICancelDuringCreate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs containers")
	}
	for _, d := range []Driver{NewRunc(), NewCrun(), NewRunsc("ptrace")} {
		t.Run(d.Name(), func(t *testing.T) {
			if ok, why := d.Available(context.Background()); !ok {
				t.Skip(why)
			}
			dir := t.TempDir()
			if err := d.Prepare(context.Background(), dir); err != nil {
				t.Fatal(err)
			}
			closed := false
			t.Cleanup(func() {
				if !closed {
					d.Close()
				}
			})
			od := d.(*ociDriver)
			moments := []struct {
				name string
				now  func(id string) bool
			}{
				{"runtime", func(id string) bool { return len(pidsWithArg(id)) > 0 }},
				{"state", od.hasState},
				{"cgroup", func(id string) bool { return len(cgroupsNamed(id)) > 0 }},
			}
			if strings.HasPrefix(d.Name(), "gvisor") {
				moments[2].name, moments[2].now = "running", od.running
			}
			for round := range 3 {
				for _, m := range moments {
					id := fmt.Sprintf("strata-bench-%d-%d", os.Getpid(), containerSeq.Load()+1)
					ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
					seen := make(chan bool, 1)
					go func() {
						tick := time.NewTicker(time.Millisecond)
						defer tick.Stop()
						for ctx.Err() == nil {
							if m.now(id) {
								cancel()
								seen <- true
								return
							}
							<-tick.C
						}
						seen <- false
					}()
					_, err := d.Run(ctx, Workload{Name: CPU, N: 50_000_000_000})
					cancel()
					if !<-seen {
						t.Logf("round %d, %s: the moment never came (run: %v)", round, m.name, err)
						continue
					}
					if !errors.Is(err, context.Canceled) {
						t.Errorf("round %d, %s: run: %v, want context.Canceled", round, m.name, err)
					}
					if pids := pidsWithArg(id); len(pids) > 0 {
						t.Errorf("round %d, cancelled at %s: processes naming %s left when Run returned: %v", round, m.name, id, pids)
					}
					if kids := children(dir); len(kids) > 0 {
						t.Errorf("round %d, cancelled at %s: processes left when Run returned: %v", round, m.name, kids)
					}
					if od.hasState(id) {
						t.Errorf("round %d, cancelled at %s: state of %s left when Run returned", round, m.name, id)
					}
					if cgs := cgroupsNamed(id); len(cgs) > 0 {
						t.Errorf("round %d, cancelled at %s: cgroups of %s left when Run returned: %v", round, m.name, id, cgs)
					}
				}
			}
			closed = true
			if err := d.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			assertNothingLeft(t, d.Name(), dir)
		})
	}
}

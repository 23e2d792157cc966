package cgroup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/mountinfo"
)

// privateMainEnv, when set (to the v2 hierarchy's mount point), makes TestMain move the
// main thread into a mount namespace of its own without that hierarchy before the tests
// run: where a goroutine of the OCI driver's that unshared its namespace while locked to
// the main thread leaves it (the runtime wedges the main thread when such a goroutine
// exits, instead of ending it). The tests then run on other threads, in the namespace the
// process started in.
const privateMainEnv = "STRATA_CGROUP_TEST_PRIVATE_MAIN"

func init() {
	if os.Getenv(privateMainEnv) != "" {
		runtime.LockOSThread() // the main goroutine stays on the main thread
	}
}

func TestMain(m *testing.M) {
	if v2 := os.Getenv(privateMainEnv); v2 != "" {
		if err := privateMain(v2); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	}
	os.Exit(m.Run())
}

func privateMain(v2 string) error {
	if err := syscall.Unshare(syscall.CLONE_NEWNS | syscall.CLONE_FS); err != nil {
		return fmt.Errorf("unshare: %w", err)
	}
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	return syscall.Unmount(v2, syscall.MNT_DETACH)
}

// TestDirsMainThreadElsewhere: a v2 cgroup is found and removed by a thread that sees the
// v2 hierarchy, also when the main thread's mount namespace has none (/proc/self would
// say there is no v2 hierarchy, and the cgroup would be left without a word).
func TestDirsMainThreadElsewhere(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making cgroups and mount namespaces needs root")
	}
	if v2 := os.Getenv(privateMainEnv); v2 != "" {
		name := fmt.Sprintf("/strata-cgroup-thread-%d", os.Getpid())
		d := filepath.Join(v2, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(d) })
		got, err := Dirs(name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(got, d) {
			t.Errorf("Dirs(%q) = %q, lacks %s", name, got, d)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := RemovePath(ctx, name); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left: %v", d, err)
		}
		return
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	v2 := ""
	for _, m := range mountinfo.Parse(mi) {
		if m.FSType == "cgroup2" {
			v2 = m.Point
		}
	}
	if v2 == "" {
		t.Skip("no cgroup v2 hierarchy")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDirsMainThreadElsewhere$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), privateMainEnv+"="+v2)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("with the main thread in a mount namespace without %s: %v\n%s", v2, err, out)
	}
}

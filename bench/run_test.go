package bench

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

func TestProcessDrivers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	ds := []Driver{NewNative(), NewNamespaces()}
	res, err := Run(context.Background(), ds, Options{Runs: 3, Warmup: 1, Workloads: DefaultWorkloads(true), TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.Drivers {
		if !d.Available {
			t.Logf("%s: not available: %s", d.Name, d.Reason)
			continue
		}
		for _, w := range d.Results {
			if !w.Measured() {
				t.Errorf("%s %s: not measured: %s", d.Name, w.Workload, w.Error)
				continue
			}
			t.Logf("%s %s: median %.3f %s", d.Name, w.Workload, w.Summary.Median, w.Unit)
		}
	}
}

func TestOCIDrivers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs containers")
	}
	ds := ociDrivers(t)
	res, err := Run(context.Background(), ds, Options{Runs: 3, Warmup: 1, Workloads: DefaultWorkloads(true), TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.Drivers {
		if !d.Available {
			t.Logf("%s: not available: %s", d.Name, d.Reason)
			continue
		}
		for _, w := range d.Results {
			t.Logf("%s %s: median %.3f %s %s", d.Name, w.Workload, w.Summary.Median, w.Unit, w.Error)
		}
	}
}

func ociDrivers(t *testing.T) []Driver {
	all := []Driver{NewRunc(), NewCrun(), NewRunsc("ptrace"), NewRunsc("systrap"), NewRunsc("kvm")}
	if only := os.Getenv("STRATA_BENCH_ONLY"); only != "" {
		return Select(all, strings.Split(only, ","))
	}
	return all
}

func TestWasmDrivers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node")
	}
	ds := []Driver{NewWazero(false), NewWazero(true), NewNodeWASI()}
	res, err := Run(context.Background(), ds, Options{Runs: 5, Warmup: 1, Workloads: DefaultWorkloads(true), TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.Drivers {
		if !d.Available {
			t.Errorf("%s: not available: %s", d.Name, d.Reason)
			continue
		}
		for _, w := range d.Results {
			if !w.Measured() {
				t.Errorf("%s %s: not measured: %s", d.Name, w.Workload, w.Error)
			}
			t.Logf("%s %s: median %.4f %s", d.Name, w.Workload, w.Summary.Median, w.Unit)
		}
	}
}

func TestQEMUDrivers(t *testing.T) {
	if testing.Short() {
		t.Skip("boots guests")
	}
	var ds []Driver // a machine that is missing skips alone
	for _, d := range []Driver{NewQEMU("microvm"), NewQEMU("pc")} {
		if ok, why := d.Available(context.Background()); !ok {
			t.Logf("%s: skipped: %s", d.Name(), why)
			continue
		}
		ds = append(ds, d)
	}
	if only := os.Getenv("STRATA_BENCH_ONLY"); only != "" {
		ds = Select(ds, strings.Split(only, ","))
	}
	if len(ds) == 0 {
		t.Skip("no QEMU machine available")
	}
	res, err := Run(context.Background(), ds, Options{Runs: 1, Warmup: 0, Workloads: DefaultWorkloads(true), TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.Drivers {
		if !d.Available {
			t.Errorf("%s: not available: %s", d.Name, d.Reason)
			continue
		}
		for _, w := range d.Results {
			if !w.Measured() {
				t.Errorf("%s %s: not measured: %s", d.Name, w.Workload, w.Error)
			}
			t.Logf("%s [%s] %s: median %.1f %s", d.Name, d.Accel, w.Workload, w.Summary.Median, w.Unit)
		}
	}
}

func TestKVMDriver(t *testing.T) {
	d := NewKVM()
	if ok, why := d.Available(context.Background()); !ok {
		t.Skip(why)
	}
	for range 3 {
		s, err := d.Run(context.Background(), Workload{Name: Start})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("tiny VM create+run+destroy: %v", s.Wall)
	}
	if _, err := d.Run(context.Background(), Workload{Name: CPU, N: 1}); !errors.Is(err, ErrNotSupported) {
		t.Errorf("cpu in an OS-less guest: %v, want ErrNotSupported", err)
	}
}

func TestContainerdDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts containerd and runs containers")
	}
	d := NewContainerd()
	if ok, why := d.Available(context.Background()); !ok {
		t.Skip(why)
	}
	tmp := t.TempDir()
	res, err := Run(context.Background(), []Driver{d}, Options{Runs: 3, Warmup: 1, Workloads: DefaultWorkloads(true), TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	dr := res.Drivers[0]
	if !dr.Available {
		t.Fatalf("containerd: not available: %s", dr.Reason)
	}
	for _, w := range dr.Results {
		if !w.Measured() {
			t.Errorf("containerd %s: not measured: %s", w.Workload, w.Error)
		}
		t.Logf("containerd %s: median %.3f %s", w.Workload, w.Summary.Median, w.Unit)
	}
	assertNothingLeft(t, dr.Name, tmp)
}

// TestGuestClock checks the guest-side times against the host's clock: the host notes when
// each of the kernel's two console marks around its timed work arrives, and the kernel's
// own measurement by the guest's clock must agree with that interval (a wrong TSC
// frequency would be off by tens of percent).
func TestGuestClock(t *testing.T) {
	if testing.Short() {
		t.Skip("boots guests")
	}
	for _, m := range []string{"microvm", "pc"} {
		t.Run(m, func(t *testing.T) { // each machine skips on its own
			d := NewQEMU(m)
			if ok, why := d.Available(context.Background()); !ok {
				t.Skip(why)
			}
			if err := d.Prepare(context.Background(), t.TempDir()); err != nil {
				t.Fatal(err)
			}
			s, err := d.Run(context.Background(), Workload{Name: CPU, N: 300_000_000})
			if err != nil {
				t.Fatal(err)
			}
			if s.Marks <= 0 || s.Host <= s.Wall {
				t.Fatalf("guest %v, host marks %v, host run %v", s.Wall, s.Marks, s.Host)
			}
			if off := math.Abs(s.Wall.Seconds()/s.Marks.Seconds() - 1); off > 0.05 {
				t.Errorf("guest clock %v against the host's %v between the marks: %.1f%% off (%v)", s.Wall, s.Marks, off*100, d.Info(context.Background()).Notes)
			}
			t.Logf("guest %v, host between marks %v, whole run on the host %v; %v", s.Wall, s.Marks, s.Host, d.Info(context.Background()).Notes)
		})
	}
}

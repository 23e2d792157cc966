package bench

import (
	"context"
	"errors"
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
	for _, d := range []*QEMUDriver{NewQEMU("microvm"), NewQEMU("pc")} {
		if ok, why := d.Available(context.Background()); !ok {
			t.Skipf("%s: %s", d.Name(), why)
		}
	}
	ds := []Driver{NewQEMU("microvm"), NewQEMU("pc")}
	if only := os.Getenv("STRATA_BENCH_ONLY"); only != "" {
		ds = Select(ds, strings.Split(only, ","))
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

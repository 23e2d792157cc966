package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/strata-dev/strata/internal/feature"
)

// ErrNotSupported is wrapped by every error a driver returns for a workload it cannot run;
// the result then says "not measured" with the reason. It is the one sentinel probe and
// locate re-export too, and it wraps errors.ErrUnsupported.
var ErrNotSupported = feature.ErrNotSupported

// Layers a driver can belong to. Native is the baseline process; the others are the
// network's isolation layers (L-3 container, L-4 sandbox, L-2 / L-1 virtual machines).
const (
	Native = "native"
	L1     = "L-1"
	L2     = "L-2"
	L3     = "L-3"
	L4     = "L-4"
)

// Workload names.
const (
	Start   = "start"   // start to exit of a process doing nothing (/bin/true)
	CPU     = "cpu"     // a fixed integer loop, the same kernel everywhere
	Syscall = "syscall" // byte-at-a-time read from /dev/zero and write to /dev/null
	FileIO  = "fileio"  // write a file in 64 KiB blocks, fsync, read it back
	Memory  = "memory"  // peak resident memory of the start run (runtime's own footprint)
)

// Workload is one thing to measure, with its size.
type Workload struct {
	Name string `json:"name"`
	// N is the size: loop iterations (cpu), bytes copied (syscall), bytes written (fileio).
	N int `json:"n,omitempty"`
}

// Unit is what the workload's samples count: milliseconds, or KiB for memory.
func (w Workload) Unit() string {
	if w.Name == Memory {
		return "KiB"
	}
	return "ms"
}

// DefaultWorkloads are the sizes of a full run; quick ones are smaller.
func DefaultWorkloads(quick bool) []Workload {
	if quick {
		return []Workload{{Name: Start}, {Name: CPU, N: 5_000_000}, {Name: Syscall, N: 10_000}, {Name: FileIO, N: 4 << 20}, {Name: Memory}}
	}
	return []Workload{{Name: Start}, {Name: CPU, N: 100_000_000}, {Name: Syscall, N: 100_000}, {Name: FileIO, N: 32 << 20}, {Name: Memory}}
}

// Clocks a sample can be timed by (Sample.Clock, WorkloadResult.Clock).
const (
	// ClockHost: the host's clock from asking the runtime to run the workload until it had
	// exited, the runtime's own start and exit included (start and memory).
	ClockHost = ""
	// ClockWorkload: the workload's own monotonic clock around its kernel alone, read in
	// the workload's process (the Go kernel, which runs in every process-based layer) or by
	// the Wasm runtime around the module's _start; the runtime's start and exit are left out.
	ClockWorkload = "workload"
	// ClockGuest: a virtual machine's guest clock around the kernel, read by the kernel
	// inside the guest; boot and power-off are left out.
	ClockGuest = "guest"
)

// Sample is the outcome of one run.
type Sample struct {
	// Wall is the sample: the time from asking the runtime to run the workload until it
	// had exited, or, when Clock is set, the time the workload itself took by that clock.
	Wall time.Duration
	// Clock says what timed Wall (ClockHost, ClockWorkload, ClockGuest).
	Clock string
	// MaxRSSKiB is the peak resident memory of the runtime and what it ran, when known.
	MaxRSSKiB int64
	// Host is the host's start-to-exit time of the same run when Wall is timed by the
	// workload or a guest: a run whose Wall exceeds it has a clock not to be trusted.
	Host time.Duration
	// Marks is, for a run timed by the workload or a guest, the host's time between the
	// kernel's marks around its timed part (on its stdout, or the guest's console), when
	// the host saw both: a check on the clock that timed Wall.
	Marks time.Duration
}

// Driver runs workloads in one runtime. The drivers of this package come from [Drivers]
// and the New functions; [Run] drives any implementation.
type Driver interface {
	Name() string
	Layer() string
	// Available reports whether the runtime is usable here and, if not, why.
	Available(ctx context.Context) (bool, string)
	// Prepare does the set-up done once before the runs (a bundle, a compiled module, a
	// daemon) in dir, a private directory that Run removes afterwards. An error makes the
	// driver "not available" with the error as the reason.
	Prepare(ctx context.Context, dir string) error
	// Run runs the workload once. Errors wrap ErrNotSupported when the driver cannot run
	// this workload at all. A run that fails or is cancelled has removed what it started
	// (processes, containers, cgroups) by the time it returns.
	Run(ctx context.Context, w Workload) (Sample, error)
	// Close releases what the driver holds after its runs (also after a cancelled run) and
	// returns when it is gone; it must not depend on the run's context being alive.
	Close() error
	// Info describes the driver for the results.
	Info(ctx context.Context) Info
}

// Info describes a driver for the results.
type Info struct {
	Version string // the runtime's version, for the host fingerprint ("" when unknown)
	Accel   string // what executes guest code: tcg, kvm, compiler, interpreter
	// Floor marks a driver that measures the layer's floor (a VM without an OS), which
	// Verify leaves out of the layer's comparison.
	Floor bool
	// Slow marks a driver whose runs take seconds (a guest boot per run): only
	// Options.SlowWorkloads run on it when that is set.
	Slow bool
	// Notes are remarks on how the driver measured (where a number it relies on came
	// from); they go into DriverResult.Notes when the driver is available.
	Notes []string
}

// Options control a run.
type Options struct {
	Runs   int // measured runs per workload (default 10)
	Warmup int // unmeasured runs first (default 1)
	// Budget bounds the measured time per driver and workload: after it, no more runs are
	// started once 3 samples are in (default 10 s).
	Budget time.Duration
	// RunTimeout bounds one run (default 60 s); a run past it is an error for the workload.
	RunTimeout time.Duration
	Workloads  []Workload // default DefaultWorkloads(false)
	// SlowWorkloads, when set, are the only workloads run by drivers whose Info says they
	// are Slow (virtual machines booting a kernel per run); --quick uses it.
	SlowWorkloads []string
	// Progress, when set, is called before each driver and workload.
	Progress func(driver, workload string, i, n int)
	Logger   *slog.Logger // default: silent
	// TempDir is where the run's private directory goes (default os.TempDir()).
	TempDir string
}

// Results are the outcome of Run; they encode as JSON.
type Results struct {
	Version   int            `json:"version"`
	Host      Host           `json:"host"`
	Started   time.Time      `json:"started"`
	Elapsed   float64        `json:"elapsed_s"`
	Runs      int            `json:"runs"`
	Warmup    int            `json:"warmup"`
	Workloads []Workload     `json:"workloads"`
	Drivers   []DriverResult `json:"drivers"`
}

// DriverResult is what one driver measured.
type DriverResult struct {
	Name      string `json:"name"`
	Layer     string `json:"layer"`
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"` // why it is not available
	Version   string `json:"version,omitempty"`
	Accel     string `json:"accel,omitempty"`
	// Floor marks a driver that measures the layer's floor (a VM without an OS), which
	// verify leaves out of the layer's comparison.
	Floor   bool             `json:"floor,omitempty"`
	Results []WorkloadResult `json:"results,omitempty"`
	// Notes are the driver's remarks on how it measured (Info.Notes).
	Notes   []string `json:"notes,omitempty"`
	Elapsed float64  `json:"elapsed_s"` // the driver's whole time: probe, warm-up, runs
}

// WorkloadResult is one driver's samples for one workload.
type WorkloadResult struct {
	Workload string    `json:"workload"`
	Unit     string    `json:"unit"`
	Samples  []float64 `json:"samples,omitempty"`
	Summary  Summary   `json:"summary"`
	// VsNative is this median over the native driver's, with its confidence interval.
	VsNative *Ratio `json:"vs_native,omitempty"`
	Error    string `json:"error,omitempty"` // not measured, and why
	// Unsupported says the driver cannot run this workload at all (Error wraps
	// ErrNotSupported): not measured by design, not a failure.
	Unsupported bool `json:"unsupported,omitempty"`
	// Skipped says the options left the workload out on this driver (a slow driver in a
	// quick bench); Error says which workloads ran.
	Skipped bool `json:"skipped,omitempty"`
	// Clock says what timed the samples: "workload" when the workload timed its kernel
	// with its own monotonic clock (the runtime's start and exit left out), "guest" when a
	// virtual machine's guest did (boot and power-off left out), empty for the host's
	// clock from start to exit of the whole run (start, memory).
	Clock string `json:"clock,omitempty"`
}

// Result returns the driver's result for a workload.
func (d *DriverResult) Result(workload string) (*WorkloadResult, bool) {
	for i := range d.Results {
		if d.Results[i].Workload == workload {
			return &d.Results[i], true
		}
	}
	return nil, false
}

// Measured reports whether the result has samples.
func (w *WorkloadResult) Measured() bool { return w != nil && w.Summary.N > 0 }

// Run measures every driver on every workload. It returns partial results with the
// context's error when cancelled; in every case the drivers are closed and the private
// directory removed before it returns, and what could not be removed is an error wrapping
// ErrLeftBehind, beside complete results.
func Run(ctx context.Context, drivers []Driver, opt Options) (res *Results, err error) {
	if opt.Runs <= 0 {
		opt.Runs = 10
	}
	if opt.Warmup < 0 {
		opt.Warmup = 0
	}
	if opt.Budget <= 0 {
		opt.Budget = 10 * time.Second
	}
	if opt.RunTimeout <= 0 {
		opt.RunTimeout = 60 * time.Second
	}
	if opt.Workloads == nil {
		opt.Workloads = DefaultWorkloads(false)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	root, err := os.MkdirTemp(opt.TempDir, "strata-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var left []error // what a driver's Close or the removal of root could not clean up
	defer func() {
		if err := os.RemoveAll(root); err != nil {
			left = append(left, err)
		}
		if len(left) > 0 {
			err = errors.Join(err, fmt.Errorf("%w: %w", ErrLeftBehind, errors.Join(left...)))
		}
	}()

	res = &Results{Version: 1, Started: time.Now().UTC(), Runs: opt.Runs, Warmup: opt.Warmup, Workloads: opt.Workloads}
	defer func() { res.Elapsed = time.Since(res.Started).Seconds() }()
	res.Host = fingerprint(ctx)
	var runErr error
	for i, d := range drivers {
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
		info := d.Info(ctx)
		dr := DriverResult{Name: d.Name(), Layer: d.Layer(), Version: info.Version, Accel: info.Accel, Floor: info.Floor}
		if info.Version != "" {
			res.Host.Runtimes = append(res.Host.Runtimes, Runtime{Name: d.Name(), Version: info.Version})
		}
		began := time.Now()
		dr.Available, dr.Reason = d.Available(ctx)
		if dr.Available {
			dir := filepath.Join(root, fmt.Sprintf("%02d-%s", i, safeName(d.Name())))
			var closeErr error
			runErr, closeErr = runDriver(ctx, d, dir, info.Slow, opt, &dr, log)
			if closeErr != nil {
				left = append(left, fmt.Errorf("close %s: %w", d.Name(), closeErr))
			}
		}
		if dr.Available {
			dr.Notes = info.Notes
		}
		if dr.Available {
			dr.Reason = ""
		}
		dr.Elapsed = time.Since(began).Seconds()
		res.Drivers = append(res.Drivers, dr)
		if runErr != nil {
			break
		}
	}
	res.compare()
	return res, runErr
}

// ErrLeftBehind is wrapped by Run's error when something a run made could not be
// removed (a driver's Close failed, or the private directory could not be removed); the
// results are complete all the same, and the error says what is left.
var ErrLeftBehind = errors.New("bench left things behind")

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// runDriver prepares, runs and closes one driver.
func runDriver(ctx context.Context, d Driver, dir string, slow bool, opt Options, dr *DriverResult, log *slog.Logger) (err, closeErr error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err, nil
	}
	defer func() {
		if closeErr = d.Close(); closeErr != nil {
			log.Warn("close driver", "driver", d.Name(), "err", closeErr)
		}
	}()
	if err := d.Prepare(ctx, dir); err != nil {
		if ctx.Err() != nil {
			return ctx.Err(), nil
		}
		dr.Available, dr.Reason = false, "prepare: "+err.Error()
		return nil, nil
	}
	for _, w := range opt.Workloads {
		wr := WorkloadResult{Workload: w.Name, Unit: w.Unit()}
		if slow && opt.SlowWorkloads != nil && !slices.Contains(opt.SlowWorkloads, w.Name) {
			wr.Skipped = true
			wr.Error = "skipped: a slow driver runs only " + strings.Join(opt.SlowWorkloads, ", ") + " in a quick bench"
			dr.Results = append(dr.Results, wr)
			continue
		}
		err := measure(ctx, d, w, opt, &wr, log)
		dr.Results = append(dr.Results, wr)
		if err != nil {
			return err, nil
		}
	}
	return nil, nil
}

// measure runs warm-up and measured runs of one workload; only a cancelled context is an
// error, a failing run is recorded in the result.
func measure(ctx context.Context, d Driver, w Workload, opt Options, wr *WorkloadResult, log *slog.Logger) error {
	total := opt.Warmup + opt.Runs
	begin := time.Now()
	for i := range total {
		if opt.Progress != nil {
			opt.Progress(d.Name(), w.Name, i+1, total)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if i >= opt.Warmup && len(wr.Samples) >= 3 && time.Since(begin) > opt.Budget {
			log.Info("budget spent", "driver", d.Name(), "workload", w.Name, "samples", len(wr.Samples))
			break
		}
		rctx, cancel := context.WithTimeout(ctx, opt.RunTimeout)
		s, err := d.Run(rctx, w)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("a run did not finish within %v", opt.RunTimeout)
			}
			wr.Error = err.Error()
			wr.Unsupported = errors.Is(err, ErrNotSupported)
			wr.Samples = nil
			break
		}
		if i == opt.Warmup-1 {
			begin = time.Now()
		}
		if i < opt.Warmup {
			continue
		}
		switch w.Name {
		case Memory:
			if s.MaxRSSKiB <= 0 {
				wr.Error = fmt.Errorf("memory footprint: %w by %s", ErrNotSupported, d.Name()).Error()
				wr.Unsupported = true
				wr.Samples = nil
				return nil
			}
			wr.Samples = append(wr.Samples, float64(s.MaxRSSKiB))
		default:
			if err := checkClock(s, wr, len(wr.Samples) == 0); err != nil {
				wr.Error = err.Error()
				wr.Samples = nil
				return nil
			}
			wr.Clock = s.Clock
			wr.Samples = append(wr.Samples, float64(s.Wall.Nanoseconds())/1e6)
		}
	}
	wr.Summary = Summarize(wr.Samples)
	return nil
}

// checkClock refuses a sample timed inside (by the workload or a guest) that took longer
// than the host's start-to-exit of the same run, which contains it: that clock runs fast
// (gVisor, for one, keeps time of its own). It also refuses a sample timed by another
// clock than the samples before it (first: none yet).
func checkClock(s Sample, wr *WorkloadResult, first bool) error {
	if !first && s.Clock != wr.Clock {
		return fmt.Errorf("a run timed by the %s clock after runs timed by the %s clock", clockName(s.Clock), clockName(wr.Clock))
	}
	if s.Clock != ClockHost && s.Host > 0 && s.Wall > s.Host {
		return fmt.Errorf("the %s clock measured %v, longer than the host's %v from start to exit of the same run: its clock is not to be trusted", clockName(s.Clock), s.Wall, s.Host)
	}
	return nil
}

func clockName(c string) string {
	if c == ClockHost {
		return "host"
	}
	return c
}

// compare fills in each result's ratio to the native driver's.
func (r *Results) compare() {
	base := r.Baseline()
	if base == nil {
		return
	}
	for i := range r.Drivers {
		d := &r.Drivers[i]
		for j := range d.Results {
			w := &d.Results[j]
			b, ok := base.Result(w.Workload)
			if !ok || !b.Measured() || !w.Measured() {
				continue
			}
			ratio := RatioCI(w.Samples, b.Samples, 0.95, 2000, 1)
			w.VsNative = &ratio
		}
	}
}

// Baseline is the first available native driver's result, if any.
func (r *Results) Baseline() *DriverResult {
	for i := range r.Drivers {
		if r.Drivers[i].Layer == Native && r.Drivers[i].Available {
			return &r.Drivers[i]
		}
	}
	return nil
}

// Select keeps the drivers whose layer or name is in names (all when names is empty).
func Select(drivers []Driver, names []string) []Driver {
	if len(names) == 0 {
		return drivers
	}
	var out []Driver
	for _, d := range drivers {
		if slices.Contains(names, d.Layer()) || slices.Contains(names, d.Name()) {
			out = append(out, d)
		}
	}
	return out
}

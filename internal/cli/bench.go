package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/measured"
)

func (a *app) benchCommand() *cobra.Command {
	var (
		layers  []string
		runs    int
		warmup  int
		quick   bool
		chart   string
		budget  time.Duration
		timeout time.Duration
		store   string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure what each isolation layer costs on this host",
		Long: `Run the same workloads at every layer this host offers — a native process (the
baseline), raw namespaces, runc, crun and containerd (L-3), wazero, node's WASI and gVisor
(L-4), QEMU microvm with virtio (L-2) and QEMU pc with emulated devices (L-1) — and report
medians with spread, and each layer's overhead against native with a 95% bootstrap
confidence interval. Each virtual machine says its accelerator ([tcg] or [kvm]).

Workloads: start (start to exit of a process doing nothing; a guest's boot to power-off),
cpu (an integer loop, the same kernel in every layer), syscall (byte-at-a-time copies
/dev/zero → /dev/null), fileio (write, fsync and read back a file; in a guest on ext4 on a
virtio-blk or IDE disk image), memory (peak resident memory of a start, KiB).
start and memory are the whole run, the runtime's own start and exit included. cpu,
syscall and fileio are the workload alone: "w" marks a time the workload took by its own
clock (the kernel's monotonic clock around its work; for Wasm, around the module's _start),
the runtime's start and exit left out; "g" one the guest's clock timed inside a virtual
machine, boot left out.
A runtime this host lacks is listed with the reason; scripts/setup-bench.sh installs them.

Progress goes to stderr when it is a terminal. Save -o json for 'strata verify'.

--configmap NAMESPACE/NAME also writes the results, as -o json writes them, into that
ConfigMap's bench.json with server-side apply (field manager strata-bench; RBAC: patch on
it): what the Helm chart's bench Job does on one node of each node class, for strata fleet
plan --measured and strata verify --fleet. The cluster is found as kubectl finds it, the
pod's own credentials in a Job.`,
		// sudo: namespaces, containers and /dev/kvm need root (and TestHelpExamples, which
		// runs every "strata …" example, is spared a four-minute bench).
		Example: `  strata bench --quick --layer wazero    # the embedded Wasm sandbox against native, in seconds
  sudo strata bench
  sudo strata bench --layer L-3,L-4 --runs 50 -o json > results.json
  sudo strata bench --quick --chart results.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			if runs < 1 {
				return usagef("--runs must be at least 1")
			}
			var storeNS, storeName string
			if store != "" {
				if storeNS, storeName, err = configMapRef(store); err != nil {
					return usageError{err}
				}
			}
			opt := bench.Options{Runs: runs, Warmup: warmup, Budget: budget, RunTimeout: timeout, Workloads: bench.DefaultWorkloads(quick)}
			if quick {
				if !cmd.Flags().Changed("runs") {
					opt.Runs = 5
				}
				if !cmd.Flags().Changed("budget") {
					opt.Budget = 2 * time.Second
				}
				opt.SlowWorkloads = []string{bench.Start} // a guest boots per run: seconds each
			}
			drivers := bench.Drivers()
			if len(layers) > 0 {
				known := map[string]bool{}
				for _, d := range drivers {
					known[d.Layer()], known[d.Name()] = true, true
				}
				for _, l := range layers {
					if !known[l] {
						return usagef("unknown layer or driver %q; known: %s", l, strings.Join(driverNames(drivers), ", "))
					}
				}
				// The baseline always runs: every ratio is taken against it.
				drivers = bench.Select(drivers, append(layers, bench.Native))
			}
			if term := isTerminal(a.stderr); term {
				opt.Progress = func(driver, workload string, i, n int) {
					fmt.Fprintf(a.stderr, "\r\033[K%-14s %-8s %d/%d", driver, workload, i, n)
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			res, err := bench.Run(ctx, drivers, opt)
			if opt.Progress != nil {
				fmt.Fprint(a.stderr, "\r\033[K")
			}
			// What the bench could not clean up is reported after the results, which are
			// complete (exit 3 all the same).
			left := errors.Is(err, bench.ErrLeftBehind)
			switch {
			case err != nil && ctx.Err() != nil && left:
				return fmt.Errorf("bench interrupted (%w): %w", context.Cause(ctx), err)
			case err != nil && ctx.Err() != nil:
				return fmt.Errorf("bench interrupted; everything it started is cleaned up: %w", context.Cause(ctx))
			case err != nil && !left:
				return err
			}
			if chart != "" {
				if err := writeFile(chart, func(w io.Writer) error { return bench.Chart(w, res) }); err != nil {
					return err
				}
			}
			if store != "" {
				if serr := a.storeBench(cmd.Context(), storeNS, storeName, res); serr != nil {
					return errors.Join(serr, err)
				}
			}
			if f != "table" {
				return errors.Join(encode(a.stdout, f, res), err)
			}
			writeBenchTable(a.stdout, res)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&layers, "layer", nil, "only these layers or drivers (L-3, L-4, crun, wazero, …; repeatable, or comma-separated; default: all; native always runs)")
	// The spelling before probe and bench shared --layer; hidden, it still works.
	fl.StringSliceVar(&layers, "layers", nil, "")
	fl.MarkDeprecated("layers", "use --layer (as strata probe does)")
	fl.IntVar(&runs, "runs", 10, "measured runs per driver and workload (default 5 with --quick)")
	fl.IntVar(&warmup, "warmup", 1, "unmeasured runs before the measured ones")
	fl.BoolVar(&quick, "quick", false, "small workloads and few runs: the whole bench in under a minute")
	fl.StringVar(&chart, "chart", "", "also write an SVG chart to `FILE`")
	fl.DurationVar(&budget, "budget", 10*time.Second, "time per driver and workload after which no new run starts once 3 are in (2s with --quick)")
	fl.DurationVar(&timeout, "run-timeout", 60*time.Second, "limit for one run; a run past it fails the workload")
	fl.StringVar(&store, "configmap", "", "also write the results into the ConfigMap `NAMESPACE/NAME` (key bench.json), as the chart's bench Job does")
	return cmd
}

// configMapRef reads NAMESPACE/NAME.
func configMapRef(s string) (string, string, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok {
		return "", "", fmt.Errorf("--configmap %q: want NAMESPACE/NAME", s)
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return "", "", fmt.Errorf("--configmap %q: namespace: %s", s, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", "", fmt.Errorf("--configmap %q: name: %s", s, strings.Join(errs, "; "))
	}
	return ns, name, nil
}

// storeBench writes results into a bench ConfigMap of the cluster kubectl would reach.
func (a *app) storeBench(ctx context.Context, ns, name string, res *bench.Results) error {
	var buf bytes.Buffer
	if err := encode(&buf, "json", res); err != nil {
		return err
	}
	c, err := fleet.Connect("", "", 30*time.Second)
	if err != nil {
		return inputError{fmt.Errorf("--configmap %s/%s: %w", ns, name, err)}
	}
	if err := c.StoreBench(ctx, ns, name, buf.Bytes()); err != nil {
		return fleetError(fmt.Errorf("--configmap %s/%s: %w", ns, name, err))
	}
	fmt.Fprintf(a.stderr, "results written to ConfigMap %s/%s (%s)\n", ns, name, fleet.BenchKey)
	return nil
}

func driverNames(ds []bench.Driver) []string {
	var out []string
	for _, d := range ds {
		for _, n := range []string{d.Layer(), d.Name()} {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// writeFile writes a file through f, or stdout for "-".
func writeFile(path string, f func(io.Writer) error) error {
	if path == "-" {
		return f(os.Stdout)
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func writeBenchTable(w io.Writer, res *bench.Results) {
	h := res.Host
	fmt.Fprintf(w, "host %s: %s, %d cores, kernel %s, %s, virtualization %s, cgroup %s\n", h.Hostname, h.CPU, h.Cores, h.Kernel, h.OS, h.Virtualization, h.Cgroup)
	fmt.Fprintf(w, "median of %d runs (after %d warm-up); ×N: median over native's, [95%% CI]; * outliers flagged;\n"+
		"unmarked: start to exit on the host's clock; w: timed by the workload's own clock, the runtime's start and exit\n"+
		"excluded; g: timed inside the guest by its own clock, boot excluded\n\n", res.Runs, res.Warmup)
	header := []string{"DRIVER", "LAYER"}
	for _, wl := range res.Workloads {
		unit := "ms"
		if wl.Name == bench.Memory {
			unit = "KiB"
		}
		header = append(header, strings.ToUpper(wl.Name)+" ("+unit+")")
	}
	t := &table{header: header}
	var absent []string
	for _, d := range res.Drivers {
		if !d.Available {
			absent = append(absent, fmt.Sprintf("  %s (%s): %s", d.Name, d.Layer, d.Reason))
			continue
		}
		cells := []string{d.Name, d.Layer}
		if d.Accel != "" {
			cells[0] += " [" + d.Accel + "]"
		}
		for _, wl := range res.Workloads {
			cells = append(cells, cell(d, wl.Name))
		}
		t.add(cells...)
	}
	t.write(w)
	if len(absent) > 0 {
		fmt.Fprintln(w, "\nnot available:")
		for _, l := range absent {
			fmt.Fprintln(w, l)
		}
	}
	var errs []string
	for _, d := range res.Drivers {
		for _, r := range d.Results {
			if r.Error != "" {
				errs = append(errs, fmt.Sprintf("  %s %s: %s", d.Name, r.Workload, r.Error))
			}
		}
	}
	if len(errs) > 0 {
		fmt.Fprintln(w, "\nnot measured:")
		for _, l := range errs {
			fmt.Fprintln(w, l)
		}
	}
}

func cell(d bench.DriverResult, workload string) string {
	r, ok := d.Result(workload)
	if !ok || !r.Measured() {
		return "-"
	}
	s := short(r.Summary.Median)
	if len(r.Summary.Outliers) > 0 {
		s += "*"
	}
	switch r.Clock {
	case bench.ClockWorkload:
		s += " w"
	case bench.ClockGuest:
		s += " g"
	}
	if r.VsNative != nil && d.Layer != bench.Native {
		s += fmt.Sprintf(" ×%s [%s–%s]", short(r.VsNative.Value), short(r.VsNative.Lo), short(r.VsNative.Hi))
	}
	return s
}

// short renders a number with three significant digits, without exponents.
func short(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	case v >= 0.01:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.4f", v)
}

func (a *app) verifyCommand() *cobra.Command {
	var relation, facts, workload, benchNS string
	var onFleet bool
	var f fleetFlags
	cmd := &cobra.Command{
		Use:   "verify RESULTS.json | --fleet",
		Short: "Put the measured order of layers beside the order the network claims",
		Long: `Read results from 'strata bench -o json' and check every pair of the relation's
order (default: overhead, "L-3 < L-4 < L-2 < L-1 < L-0" in the seed) against each
workload: agrees, disagrees, or not measurable (no driver here for that layer), with the
medians of each layer's fastest driver and their ratio's 95% confidence interval.
A difference inside the interval's noise is marked "~".

--facts writes the significant measurements of one workload as a kind: Facts document of
measured facts (with host and time in each note), to load with --network.
--fleet reads the results the Helm chart's bench Job wrote for each node class of the
cluster (ConfigMaps in --bench-namespace; nodes grouped by their strata labels) and prints
the verdicts of every class side by side.
Exit code 1 when a measurement disagrees with the claimed order.`,
		Example: `  strata verify --network my.yaml results.json
  sudo strata bench -o json > results.json && strata verify results.json
  strata verify results.json --facts measured.yaml   # then: strata --network measured.yaml why L-3 '>' L-4 --relation overhead
  strata verify --fleet --context strata`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if onFleet {
				if len(args) > 0 || facts != "" {
					return usagef("--fleet reads the cluster's results: give no RESULTS.json and no --facts")
				}
				return a.runVerifyFleet(cmd.Context(), f, benchNS, relation)
			}
			for _, name := range []string{"kubeconfig", "context", "bench-namespace", "request-timeout"} {
				if cmd.Flags().Changed(name) {
					return usagef("--%s applies to --fleet only", name)
				}
			}
			if len(args) != 1 {
				return usagef("give the results file strata bench -o json wrote, or --fleet")
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			// Read as plan --measured reads them: at most measured.MaxFileBytes, strictly
			// (an unknown or repeated member is an error at file:line:col, not ignored).
			res, err := readInput(args[0], measured.ReadBench)
			if ue, ok := err.(usageError); ok {
				return usageError{fmt.Errorf("read results: %w", ue.err)}
			}
			if err != nil {
				return err
			}
			if err := a.load(); err != nil {
				return err
			}
			if _, err := a.relation(relation); err != nil {
				return err
			}
			checks, err := bench.Verify(a.rsn, relation, res)
			if err != nil {
				return err
			}
			if facts != "" {
				fs := bench.MeasuredFacts(checks, res, workload)
				if err := writeFile(facts, func(w io.Writer) error { return bench.WriteFacts(w, bench.FactsName(res), fs) }); err != nil {
					return err
				}
			}
			if checks == nil {
				checks = []bench.Check{}
			}
			if f != "table" {
				if err := encode(a.stdout, f, checks); err != nil {
					return err
				}
			} else {
				a.writeChecks(res, checks)
			}
			if bench.Tally(checks)[bench.Disagrees] > 0 {
				return errNo
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&relation, "relation", "overhead", "the order to verify")
	cmd.Flags().StringVar(&facts, "facts", "", "write the measurements as measured facts (kind: Facts YAML) to `FILE` (- for stdout)")
	cmd.Flags().StringVar(&workload, "facts-workload", bench.Start, "the workload whose measurements --facts writes")
	cmd.Flags().BoolVar(&onFleet, "fleet", false, "verify what the chart's bench Jobs measured on each node class of the cluster, side by side")
	cmd.Flags().StringVar(&benchNS, "bench-namespace", "strata", "with --fleet: the `namespace` of the bench ConfigMaps (the chart's release namespace)")
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "with --fleet: the kubeconfig `FILE` (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)")
	cmd.Flags().StringSliceVar(&f.contexts, "context", nil, "with --fleet: the kubeconfig `context`; several, comma-separated, make one fleet")
	cmd.Flags().DurationVar(&f.timeout, "request-timeout", 30*time.Second, "with --fleet: how long one API request may take")
	return cmd
}

func (a *app) writeChecks(res *bench.Results, checks []bench.Check) {
	w := a.stdout
	fmt.Fprintf(w, "results: %s, %s, kernel %s, %s\n\n", res.Host.Hostname, res.Host.CPU, res.Host.Kernel, res.Started.Format(time.RFC3339))
	t := &table{header: []string{"RELATION", "CLAIM", "WORKLOAD", "LOWER (measured)", "HIGHER (measured)", "HIGHER/LOWER [95% CI]", "VERDICT"}}
	for _, c := range checks {
		side := func(s bench.Side) string {
			if s.Driver == "" {
				return s.Layer + ": none here"
			}
			return fmt.Sprintf("%s %s %s", s.Layer, s.Driver, bench.Num(s.Median, s.Unit))
		}
		ratio, verdict := "", c.Verdict
		if c.Ratio != nil {
			ratio = fmt.Sprintf("%s [%s–%s]", short(c.Ratio.Value), short(c.Ratio.Lo), short(c.Ratio.Hi))
			if !c.Significant {
				verdict = "~" + verdict + " (within noise)"
			}
		}
		t.add(c.Relation, c.Claim, c.Workload, side(c.Lower), side(c.Higher), ratio, verdict)
	}
	t.write(w)
	n := bench.Tally(checks)
	fmt.Fprintf(w, "\n%d agree, %d disagree, %d not measurable\n", n[bench.Agrees], n[bench.Disagrees], n[bench.NotMeasurable])
	writeOrders(w, res, checks)
}

// writeOrders prints the claimed order beside the order measured on each workload, then
// names every disagreement.
func writeOrders(w io.Writer, res *bench.Results, checks []bench.Check) {
	if len(checks) == 0 {
		return
	}
	// Claimed rank of a layer: how many layers the claim puts below it (one workload's
	// checks hold every pair once).
	first := checks[0].Workload
	below := map[string]int{}
	var layers []string
	for _, c := range checks {
		if c.Workload != first {
			continue
		}
		for _, l := range []string{c.Lower.Layer, c.Higher.Layer} {
			if !slices.Contains(layers, l) {
				layers = append(layers, l)
			}
		}
		below[c.Higher.Layer]++
	}
	slices.SortStableFunc(layers, func(a, b string) int { return below[a] - below[b] })
	fmt.Fprintf(w, "\nclaimed (%s): %s\n", checks[0].Relation, strings.Join(layers, " < "))
	for _, wl := range res.Workloads {
		sides := map[string]bench.Side{}
		for _, c := range checks {
			if c.Workload != wl.Name {
				continue
			}
			for _, s := range []bench.Side{c.Lower, c.Higher} {
				if s.Driver != "" {
					sides[s.Layer] = s
				}
			}
		}
		var measured []bench.Side
		var none []string
		for _, l := range layers {
			if s, ok := sides[l]; ok {
				measured = append(measured, s)
			} else {
				none = append(none, l)
			}
		}
		slices.SortStableFunc(measured, func(a, b bench.Side) int {
			switch {
			case a.Median < b.Median:
				return -1
			case a.Median > b.Median:
				return 1
			}
			return 0
		})
		var parts []string
		for _, s := range measured {
			parts = append(parts, fmt.Sprintf("%s (%s %s)", s.Layer, s.Driver, bench.Num(s.Median, s.Unit)))
		}
		line := strings.Join(parts, " < ")
		if len(parts) == 0 {
			line = "nothing measured"
		}
		if len(none) > 0 {
			line += "; not measured here: " + strings.Join(none, ", ")
		}
		fmt.Fprintf(w, "measured %-8s %s\n", wl.Name+":", line)
	}
	var dis []string
	for _, c := range checks {
		if c.Verdict != bench.Disagrees {
			continue
		}
		noise := "significant"
		if !c.Significant {
			noise = "within noise"
		}
		dis = append(dis, fmt.Sprintf("  %s, %s: %s (%s %s) is below %s (%s %s), %s× [%s–%s], %s", c.Claim, c.Workload,
			c.Higher.Layer, c.Higher.Driver, bench.Num(c.Higher.Median, c.Higher.Unit),
			c.Lower.Layer, c.Lower.Driver, bench.Num(c.Lower.Median, c.Lower.Unit),
			short(c.Ratio.Value), short(c.Ratio.Lo), short(c.Ratio.Hi), noise))
	}
	if len(dis) > 0 {
		fmt.Fprintln(w, "\ndisagreements with the claim:")
		for _, d := range dis {
			fmt.Fprintln(w, d)
		}
	}
}

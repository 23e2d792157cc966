package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/probe"
)

// probeEnv is where the probe command finds the host, the clock and the Wasm engine this
// program links; tests point it at fake trees.
var probeEnv = struct {
	host     func() (probe.Host, error)
	now      func() time.Time
	embedded func() string
}{
	host:     func() (probe.Host, error) { return probe.Local(), nil },
	now:      time.Now,
	embedded: probe.EmbeddedWasm,
}

func (a *app) probeCommand() *cobra.Command {
	var (
		layers       []string
		unprivileged bool
		write        string
		interval     time.Duration
		labelNode    string
		kubeconfig   string
		hostRoot     string
	)
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Check which isolation layers this host can serve, with the evidence",
		Long: `Check this host layer by layer — CPU virtualization and a real KVM_CREATE_VM (L-0),
VMMs (L-1, L-2), namespaces created for real, cgroups, seccomp, overlayfs and the OCI
runtimes (L-3), Wasm runtimes, Wasm shims and gVisor (L-4), eBPF, BTF, tracepoints and
perf events (observability), and GPUs — and say for each check PASS, WARN, FAIL or SKIP
with the evidence it read and a hint. Then place the host on the Y axis: which of L-0 …
L-4 it can serve, and why. The probe changes nothing on the host.

Formats (-o): table (default), json and yaml (field names in the probe package's
documentation), nfd (Node Feature Discovery features.d lines: strata-layer-L-n=true and
strata-runtime-HANDLER=true), facts (a network file of measured facts "host offers L-n"
that loads with --network, so the network knows what this host offers).

--write PATH writes the output to PATH atomically (a temporary file in the same
directory, then a rename) instead of standard output.

Exit code 1 when --layer names isolation layers and the host can serve none of them.`,
		Example: `  strata probe
  strata probe -o json
  strata probe -o nfd         # atomically: --write /etc/kubernetes/node-feature-discovery/features.d/strata
  strata probe --layer L-4    # exit code 1 when this host cannot serve L-4
  strata probe --unprivileged
  strata probe -o facts > host.yaml && strata show --network host.yaml L-3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format("table", "json", "yaml", "nfd", "facts")
			if err != nil {
				return err
			}
			if interval < 0 {
				return usagef("--interval must not be negative")
			}
			var cluster *fleet.Cluster
			if labelNode != "" {
				if cluster, err = fleet.Connect(kubeconfig, "", 30*time.Second); err != nil {
					return inputError{err}
				}
			} else if cmd.Flags().Changed("kubeconfig") {
				return usagef("--kubeconfig applies to --label-node only")
			}
			pp := probeParams{format: f, layers: layers, unprivileged: unprivileged, write: write, labelNode: labelNode, hostRoot: hostRoot, cluster: cluster}
			once := func(ctx context.Context) error { return a.probeOnce(ctx, pp) }
			if interval == 0 {
				return once(cmd.Context())
			}
			// Again every interval until SIGTERM (the DaemonSet's pod is stopped) or SIGINT;
			// a failed round is reported and the next one tried.
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				if err := once(ctx); err != nil && !errors.Is(err, errNo) {
					fmt.Fprintf(a.stderr, "strata probe: %v (next round in %s)\n", err, interval)
				}
				select {
				case <-ctx.Done():
					return nil
				case <-tick.C:
				}
			}
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&layers, "layer", nil, "only this `layer`'s checks: L-0 … L-4, observability or gpu (repeatable, or comma-separated)")
	fl.BoolVar(&unprivileged, "unprivileged", false, "skip the checks that need root and create namespaces the rootless way (inside a user namespace); it does not drop privileges")
	fl.StringVar(&write, "write", "", "write the output to `PATH` atomically instead of standard output")
	fl.DurationVar(&interval, "interval", 0, "probe again every `DURATION` until stopped (SIGTERM), as the chart's DaemonSet does; 0 probes once")
	fl.StringVar(&labelNode, "label-node", "", "also set the strata labels of `NODE` through the Kubernetes API (what Node Feature Discovery would set from -o nfd), removing those no longer true; needs get and patch on nodes")
	fl.StringVar(&hostRoot, "host-root", "", "read the host's /proc, /sys, /dev, /etc, /run and PATH directories under `DIR` (the chart mounts them at /host)")
	fl.StringVar(&kubeconfig, "kubeconfig", "", "with --label-node: the kubeconfig `FILE` (default: $KUBECONFIG, ~/.kube/config, else the pod's own credentials)")
	return cmd
}

// probeParams are the options of one probe round.
type probeParams struct {
	format                     string
	layers                     []string
	unprivileged               bool
	write, labelNode, hostRoot string
	cluster                    *fleet.Cluster
}

// probeOnce probes the host once, writes the output, and labels the node when asked.
func (a *app) probeOnce(ctx context.Context, pp probeParams) error {
	f, layers, unprivileged, write, labelNode, cluster := pp.format, pp.layers, pp.unprivileged, pp.write, pp.labelNode, pp.cluster
	var keep []string
	for _, l := range layers {
		n, err := probe.NormalizeLayer(l)
		if err != nil {
			return usageError{err}
		}
		keep = append(keep, n)
	}
	h, err := probeEnv.host()
	if err != nil {
		return err
	}
	if unprivileged {
		h.Privileged = false
	}
	if pp.hostRoot != "" {
		h.Root = pp.hostRoot
	}
	r, err := probe.Run(ctx, h, probe.Options{Layers: keep, Now: probeEnv.now, EmbeddedWasm: probeEnv.embedded()})
	if err != nil {
		return err
	}
	var out bytes.Buffer
	switch f {
	case "table":
		writeProbeTable(&out, r)
	case "nfd":
		out.Write(probe.NFD(r))
	case "facts":
		if err := a.load(); err != nil {
			return err
		}
		b, err := probe.Facts(r, a.net)
		if err != nil {
			return err
		}
		out.Write(b)
	default:
		if err := encode(&out, f, r); err != nil {
			return err
		}
	}
	if write != "" {
		if err := writeAtomic(write, out.Bytes()); err != nil {
			return err
		}
	} else if _, err := a.stdout.Write(out.Bytes()); err != nil {
		return err
	}
	if labelNode != "" {
		labels, err := fleet.LabelsFromNFD(probe.NFD(r))
		if err != nil {
			return err
		}
		changed, err := cluster.LabelNode(ctx, labelNode, labels)
		if err != nil {
			return fleetError(err)
		}
		if len(changed) > 0 {
			fmt.Fprintf(a.stderr, "strata probe: node %s: set or removed %s\n", labelNode, strings.Join(changed, ", "))
		}
	}
	if len(keep) > 0 && len(r.Coordinates) > 0 && len(r.Offered()) == 0 {
		return errNo // --layer asked about isolation layers the host cannot serve
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// writeProbeTable renders the report for people: the checks, then the coordinates.
func writeProbeTable(w *bytes.Buffer, r probe.Report) {
	who := "as root"
	if !r.Host.Privileged {
		who = "unprivileged"
	}
	fmt.Fprintf(w, "host %s: kernel %s, %s; probed %s at %s\n\n", r.Host.Hostname, r.Host.Kernel, r.Host.CPU, who, r.Host.Time.Format(time.RFC3339))
	t := &table{header: []string{"LAYER", "CHECK", "RESULT", "EVIDENCE", "HINT"}}
	var root []string
	for _, c := range r.Checks {
		t.add(c.Layer, c.ID, string(c.Result), c.Evidence, c.Hint)
		if c.NeedsRoot {
			root = append(root, c.ID)
		}
	}
	t.write(w)
	if len(root) > 0 {
		fmt.Fprintf(w, "\nnot checked without root: %s\n", strings.Join(root, ", "))
	}
	if len(r.Coordinates) > 0 {
		fmt.Fprintln(w)
		ct := &table{header: []string{"Y", "LAYER", "OFFERED", "BECAUSE", "HINT"}}
		for _, c := range r.Coordinates {
			ct.add(strconv.Itoa(c.Value), c.Layer, yesNo(c.Offered), c.Because, c.Hint)
		}
		ct.write(w)
	}
	var yes, no []string
	for _, h := range r.Handlers {
		if h.Offered {
			yes = append(yes, h.Name)
		} else {
			no = append(no, h.Name)
		}
	}
	if len(yes)+len(no) > 0 {
		if len(yes) == 0 {
			yes = []string{"none"}
		}
		fmt.Fprintf(w, "\ncontainerd runtime handlers it has what they need for: %s", strings.Join(yes, ", "))
		if len(no) > 0 {
			fmt.Fprintf(w, " (not: %s)", strings.Join(no, ", "))
		}
		fmt.Fprintln(w)
	}
}

// writeAtomic replaces path with data: a reader sees the old file or the new one, never
// a part (Node Feature Discovery may read features.d at any moment).
func writeAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	_, err = f.Write(data)
	err = errors.Join(err, f.Sync(), f.Chmod(0o644), f.Close())
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

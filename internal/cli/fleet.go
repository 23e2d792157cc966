package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

// fleetFlags are the options every fleet command shares.
type fleetFlags struct {
	kubeconfig    string
	contexts      []string
	timeout       time.Duration
	probeInterval time.Duration
}

// fleetPlanFlags are strata fleet plan's own options.
type fleetPlanFlags struct {
	scenario string
	apply    bool
	dryRun   string
	force    bool
	emit     plan.EmitOptions
	meas     fleetMeasureFlags
}

// fleetNow is the clock strata fleet judges label ages by; tests set it.
var fleetNow = time.Now

func (a *app) fleetCommand() *cobra.Command {
	var f fleetFlags
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "The cluster's nodes by offered isolation layer and runtime handler, from the probe's labels",
		Long: `Read the nodes of a Kubernetes cluster as strata probe labelled them (the Helm chart
deploy/helm/strata runs the probe on every node: Node Feature Discovery, or the probe
itself with labeler.mode: direct, turns its lines into feature.node.kubernetes.io/strata-*
labels) and say:

  - the nodes grouped by the layers and runtime handlers they offer;
  - each RuntimeClass and how many schedulable nodes can serve it (its handler's label,
    its scheduling.nodeSelector, its tolerations), and which no node can serve;
  - nodes whose labels are older than the probe interval (--probe-interval, plus a
    minute), nodes without strata labels, malformed strata labels node by node;
  - pods bound to a node that no longer offers their RuntimeClass's handler (the node
    lost a capability after they were scheduled);
  - where the fleet sits on the X axis (Kubernetes X=1, K3s X=2, several contexts X=3).

The cluster is found as kubectl finds it: --kubeconfig, else $KUBECONFIG, else
~/.kube/config, else the credentials of the pod strata runs in; --context picks a
context (several, comma-separated, read several clusters as one fleet). Nodes, pods and
RuntimeClasses are listed 500 per request. It needs RBAC list on nodes, pods and
runtimeclasses.node.k8s.io.

Exit code 1 when the cluster cannot be reached or a request is forbidden: the message
names the server and kubeconfig, or the verb and resource.`,
		Example: `  strata fleet
  strata fleet -o json
  strata fleet --context strata --probe-interval 30m
  strata fleet --context east,west
  strata fleet plan --scenario edge --image ghcr.io/example/edge:1.0 --apply --dry-run=server`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runFleet(cmd.Context(), f)
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.kubeconfig, "kubeconfig", "", "the kubeconfig `FILE` (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)")
	pf.StringSliceVar(&f.contexts, "context", nil, "the kubeconfig `context` (default: its current context); several, comma-separated, make one fleet of several clusters")
	pf.DurationVar(&f.timeout, "request-timeout", 30*time.Second, "how long one API request may take")
	pf.DurationVar(&f.probeInterval, "probe-interval", time.Hour, "how often the probe relabels the nodes (the chart's probe.interval); older labels are stale")
	cmd.AddCommand(a.fleetPlanCommand(&f))
	return cmd
}

// readFleet reads the cluster of every --context (or of the current context); with
// nodesOnly, only what a plan needs: the nodes and the server's version, from the API
// server's watch cache (fleet.Cached: the scheduler's view, possibly a moment behind
// etcd). It returns the connections too, one per cluster of the fleet, in its order, for
// what the command asks of the clusters next.
func (a *app) readFleet(ctx context.Context, f fleetFlags, nodesOnly bool) (*fleet.Fleet, []*fleet.Cluster, error) {
	clusters, err := connectFleet(f)
	if err != nil {
		return nil, nil, err
	}
	fl := &fleet.Fleet{}
	for _, c := range clusters {
		read := c.Read
		if nodesOnly {
			read = func(ctx context.Context) (*fleet.Snapshot, error) { return c.ReadNodes(ctx, fleet.Cached) }
		}
		s, err := read(ctx)
		if err != nil {
			return nil, nil, fleetError(err)
		}
		fl.Clusters = append(fl.Clusters, s)
	}
	return fl, clusters, nil
}

// connectFleet connects every --context (or the current context), all from one reading
// of the kubeconfig: --kubeconfig <(command) is a pipe, which a second reading finds
// empty. A context the kubeconfig lacks is said before any request.
func connectFleet(f fleetFlags) ([]*fleet.Cluster, error) {
	k, err := fleet.LoadKubeconfig(f.kubeconfig)
	if err != nil {
		return nil, inputError{err}
	}
	contexts := f.contexts
	if len(contexts) == 0 {
		contexts = []string{""}
	}
	var clusters []*fleet.Cluster
	for _, name := range contexts {
		c, err := k.Connect(name, f.timeout)
		if err != nil {
			return nil, inputError{err}
		}
		clusters = append(clusters, c)
	}
	return clusters, nil
}

// fleetError makes the cluster's answers exit 1 with their message.
func fleetError(err error) error {
	var u *fleet.Unreachable
	var fb *fleet.Forbidden
	var ac *fleet.ApplyConflict
	if errors.As(err, &u) || errors.As(err, &fb) || errors.As(err, &ac) {
		return inputError{fmt.Errorf("strata: %w", err)}
	}
	return err
}

// fleetSummary is what strata fleet prints.
type fleetSummary struct {
	Clusters []fleet.Summary `json:"clusters" yaml:"clusters"`
	Place    fleet.Place     `json:"place" yaml:"place"`
}

func (a *app) runFleet(ctx context.Context, f fleetFlags) error {
	format, err := a.format()
	if err != nil {
		return err
	}
	if f.probeInterval <= 0 {
		return usagef("--probe-interval must be positive")
	}
	p, err := a.planner()
	if err != nil {
		return err
	}
	fl, _, err := a.readFleet(ctx, f, false)
	if err != nil {
		return err
	}
	out := fleetSummary{}
	now := fleetNow()
	for _, s := range fl.Clusters {
		out.Clusters = append(out.Clusters, fleet.Summarize(s, now, f.probeInterval))
	}
	if out.Place, err = fl.X(p, a.net); err != nil {
		return err
	}
	if format != "table" {
		return encode(a.stdout, format, out)
	}
	w := a.stdout
	for i, s := range out.Clusters {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "cluster %s (%s, %s): %d nodes, %d ready, %d schedulable, %d probed\n", s.Context, s.Server, s.Version, s.Nodes, s.Ready, s.Schedulable, s.Probed)
		fmt.Fprintln(w)
		t := &table{header: []string{"NODES", "LAYERS", "RUNTIMES", "WHICH"}}
		for _, g := range s.Groups {
			t.add(strconv.Itoa(len(g.Nodes)), orNone(g.Layers), orNone(g.Runtimes), firstOf(g.Nodes, 3))
		}
		t.write(w)
		if len(s.RuntimeClasses) > 0 {
			fmt.Fprintln(w)
			rt := &table{header: []string{"RUNTIMECLASS", "HANDLER", "NODES", "NOTE"}}
			for _, rc := range s.RuntimeClasses {
				rt.add(rc.Name, rc.Handler, strconv.Itoa(rc.Nodes), rc.Why)
			}
			rt.write(w)
		}
		if len(s.Stale) > 0 {
			fmt.Fprintf(w, "\nstale labels (probe interval %s):\n", f.probeInterval)
			for _, st := range s.Stale {
				if st.Age == "unknown" {
					fmt.Fprintf(w, "  %s: no %s label, age unknown\n", st.Node, fleet.ProbedAtLabel)
				} else {
					fmt.Fprintf(w, "  %s: probed %s ago (%s)\n", st.Node, st.Age, st.ProbedAt.Format(time.RFC3339))
				}
			}
		}
		if len(s.Unprobed) > 0 {
			fmt.Fprintf(w, "\nnot probed (no strata labels): %s\n", firstOf(s.Unprobed, 10))
		}
		if len(s.Problems) > 0 {
			fmt.Fprintln(w, "\nmalformed labels:")
			for _, pr := range s.Problems {
				fmt.Fprintf(w, "  %s: %s\n", pr.Node, pr.Problem)
			}
		}
		if len(s.Misplaced) > 0 {
			fmt.Fprintln(w, "\npods on nodes that no longer offer their runtime:")
			for _, m := range s.Misplaced {
				fmt.Fprintf(w, "  %s on %s: RuntimeClass %s needs handler %s, which the node's labels no longer offer\n", m.Pod, m.Node, m.RuntimeClass, m.Handler)
			}
		}
	}
	fmt.Fprintf(w, "\nfleet: %s\n", out.Place.Reason)
	return nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// firstOf lists up to n names and how many more there are.
func firstOf(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, … (%d more)", strings.Join(names[:n], ", "), len(names)-n)
}

func (a *app) fleetPlanCommand(f *fleetFlags) *cobra.Command {
	var pf fleetPlanFlags
	cmd := &cobra.Command{
		Use:   "plan [WORKLOAD.yaml] [--scenario NAME]",
		Short: "Plan a workload against what the fleet's nodes offer; optionally server-side apply the files",
		Long: `Plan a workload (as strata plan does) with the fleet as a constraint: a runtime that no
schedulable node offers — its handler's and its layer's labels, and a GPU when the
workload asks for one — is excluded with that reason. Every runtime alternative carries
the number of nodes its pods could be scheduled on, and the plan's X is checked against
the cluster's (Kubernetes X=1, K3s X=2, several --context X=3): a mismatch is said.
It reads only the nodes (RBAC: list on nodes), from the API server's watch cache
(resourceVersion=0): the view the scheduler places pods by, which follows etcd within
moments but may not yet hold a label changed just before; strata fleet reads etcd's
current state.

With --apply the emitted objects (the node files such as the containerd configuration
excepted) are applied with server-side apply, field manager "strata" and strict field
validation; --dry-run=server has the API server validate and admit them without storing
them. A field another manager owns stops the apply with the field and the manager;
--force-conflicts takes it over.

Exit code 1 when no runtime of the fleet can run the workload, the cluster cannot be
reached, a request is forbidden, or the server refuses an object.`,
		Example: `  strata fleet plan workload.yaml
  strata fleet plan --scenario edge -o yaml
  strata fleet plan --scenario edge --image ghcr.io/example/edge:1.0 --apply --dry-run=server
  strata fleet plan workload.yaml --apply --namespace apps
  strata fleet plan workload.yaml --measured    # with what the chart's bench Job measured per node class`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runFleetPlan(cmd, *f, pf, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&pf.scenario, "scenario", "", "plan a scenario of the network (edge, ai-inference, serverless, microservices)")
	fl.BoolVar(&pf.apply, "apply", false, "server-side apply the emitted objects (field manager strata)")
	fl.StringVar(&pf.dryRun, "dry-run", "none", "with --apply: none, or server (the API server validates and admits, stores nothing)")
	fl.BoolVar(&pf.force, "force-conflicts", false, "with --apply: take over fields other managers own")
	fl.StringVar(&pf.emit.Image, "image", "", "the image to run when the workload has no spec.image (scenarios have none)")
	fl.StringVar(&pf.emit.Namespace, "namespace", "", "the namespace of the emitted objects (default \"default\")")
	pf.meas.register(cmd)
	return cmd
}

// fleetPlanResult is one workload's answer.
type fleetPlanResult struct {
	Plan    *plan.Plan      `json:"plan" yaml:"plan"`
	Fleet   fleet.Check     `json:"fleet" yaml:"fleet"`
	Applied []fleet.Applied `json:"applied,omitempty" yaml:"applied,omitempty"`
	// Measured is what each node class measured, with --measured.
	Measured *fleet.FleetMeasurements `json:"measured,omitempty" yaml:"measured,omitempty"`
	workload plan.Workload
}

func (a *app) runFleetPlan(cmd *cobra.Command, f fleetFlags, pf fleetPlanFlags, args []string) error {
	format, err := a.format()
	if err != nil {
		return err
	}
	if (pf.scenario == "") == (len(args) == 0) {
		return usagef("give either a workload file or --scenario NAME")
	}
	if pf.dryRun != "none" && pf.dryRun != "server" {
		return usagef("--dry-run is %q; use none or server (a client-side dry run is strata plan --emit)", pf.dryRun)
	}
	if !pf.apply {
		for _, name := range []string{"dry-run", "force-conflicts"} {
			if cmd.Flags().Changed(name) {
				return usagef("--%s applies to --apply only", name)
			}
		}
	}
	if pf.emit.Image != "" {
		if err := manifest.CheckImage(pf.emit.Image); err != nil {
			return usagef("--image: %v", err)
		}
	}
	pf.emit.ContainerdConfigVersion = 2
	p, err := a.planner()
	if err != nil {
		return err
	}
	var ws []plan.Workload
	if pf.scenario != "" {
		w, err := p.ScenarioWorkload(pf.scenario)
		if err != nil {
			return usageError{err}
		}
		ws = append(ws, w)
	} else {
		files, err := network.ReadFiles(args[0])
		if err != nil {
			return readError(err)
		}
		if ws, err = plan.ReadWorkloads(files); err != nil {
			if ps, ok := network.AsProblems(err); ok {
				return inputError{fmt.Errorf("%s\n%d problem(s) in the workload", ps.Error(), len(ps))}
			}
			return inputError{err}
		}
	}
	ctx := cmd.Context()
	fl, clusters, err := a.readFleet(ctx, f, true)
	if err != nil {
		return err
	}
	place, err := fl.X(p, a.net)
	if err != nil {
		return err
	}
	var fm *fleet.FleetMeasurements
	if pf.meas.on {
		if fm, err = a.readFleetBench(ctx, clusters, pf.meas, fl); err != nil {
			return err
		}
		p = p.Measuring(fm.Plan)
	} else {
		for _, name := range []string{"allow-stale", "max-age", "bench-namespace"} {
			if cmd.Flags().Changed(name) {
				return usagef("--%s applies to --measured only", name)
			}
		}
	}
	if pf.apply && len(f.contexts) > 1 {
		return usagef("--apply takes one --context; the plan's objects go to one cluster")
	}
	var results []fleetPlanResult
	var failures []error
	var toApply [][]manifest.Object // each result's objects, for one Apply of them all
	for _, w := range ws {
		pl, err := p.Excluding(fl.Exclusion(a.net, w.GPU > 0)).Plan(w)
		if err == nil && w.GPU == 0 && pl.Technology(plan.RoleAccelerator) != "" {
			// A requirement asked for a GPU: the pods need a node with one too.
			pl, err = p.Excluding(fl.Exclusion(a.net, true)).Plan(w)
		}
		if err != nil {
			if !errors.Is(err, plan.ErrUnsatisfiable) {
				return inputError{err}
			}
			failures = append(failures, err)
			continue
		}
		r := fleetPlanResult{Plan: pl, Fleet: fl.Check(pl, a.net, place), Measured: fm, workload: w}
		if pf.apply {
			objs, err := p.Emit(pl, w, pf.emit)
			if errors.Is(err, plan.ErrNoImage) {
				return usageError{fmt.Errorf("%w or pass --image REF", err)}
			}
			if err != nil {
				return inputError{err}
			}
			toApply = append(toApply, objs)
		}
		results = append(results, r)
	}
	if pf.apply && len(results) > 0 {
		// One apply for every workload's objects: their tiers span the workloads (every
		// RuntimeClass and template before any workload's pods), an object they share is
		// applied once, and a refusal stops them all before their pods.
		applied, err := clusters[0].Apply(ctx, slices.Concat(toApply...), fleet.ApplyOptions{DryRun: pf.dryRun == "server", Force: pf.force})
		for _, ap := range applied {
			fmt.Fprintf(a.stderr, "%s %s %s\n", strings.ToLower(ap.Kind), objName(ap), ap.Result)
		}
		if err != nil {
			return fleetError(err)
		}
		for i := range results {
			results[i].Applied = appliedOf(applied, toApply[i])
		}
	}
	if format != "table" {
		var out any = results
		if len(ws) == 1 && len(results) == 1 {
			out = results[0]
		}
		if len(failures) > 0 {
			var us []*plan.Unsatisfiable
			for _, e := range failures {
				var u *plan.Unsatisfiable
				errors.As(e, &u)
				us = append(us, u)
			}
			out = struct {
				Results       []fleetPlanResult     `json:"results" yaml:"results"`
				Unsatisfiable []*plan.Unsatisfiable `json:"unsatisfiable" yaml:"unsatisfiable"`
			}{results, us}
		}
		if err := encode(a.stdout, format, out); err != nil {
			return err
		}
	} else {
		for i, r := range results {
			if i > 0 {
				fmt.Fprintln(a.stdout)
			}
			a.writePlan(r.Plan)
			a.writeFleetCheck(r.Fleet)
			if r.Measured != nil {
				writeSpreads(a.stdout, r.Measured, r.Plan, r.workload)
			}
		}
	}
	for _, e := range failures {
		fmt.Fprintln(a.stderr, e.Error())
	}
	if len(failures) > 0 {
		return errNo
	}
	return nil
}

// appliedOf is what applied says of objs: each of their cluster objects, shared ones too.
func appliedOf(applied []fleet.Applied, objs []manifest.Object) []fleet.Applied {
	type key struct{ kind, namespace, name string }
	mine := map[key]bool{}
	for _, o := range objs {
		var m struct {
			Metadata struct{ Namespace string } `json:"metadata"`
		}
		if o.Target == "" && yaml.Unmarshal(o.YAML, &m) == nil {
			mine[key{o.Kind, m.Metadata.Namespace, o.Name}] = true
		}
	}
	var out []fleet.Applied
	for _, ap := range applied {
		if mine[key{ap.Kind, ap.Namespace, ap.Name}] {
			out = append(out, ap)
		}
	}
	return out
}

func objName(ap fleet.Applied) string {
	if ap.Namespace == "" {
		return ap.Name
	}
	return ap.Namespace + "/" + ap.Name
}

func (a *app) writeFleetCheck(c fleet.Check) {
	w := a.stdout
	fmt.Fprintln(w, "\nfleet")
	fmt.Fprintf(w, "  %s\n", c.Fleet.Reason)
	if c.Mismatch != "" {
		fmt.Fprintf(w, "  X mismatch: %s\n", c.Mismatch)
	}
	t := &table{header: []string{"RUNTIME", "HANDLER", "LAYER", "ELIGIBLE NODES", "STATUS"}}
	for _, r := range c.Runtimes {
		status := "alternative"
		switch {
		case r.Chosen:
			status = "chosen"
		case r.Excluded:
			status = "excluded: " + r.Reason
		}
		t.add(r.Technology, r.Handler, r.Layer, strconv.Itoa(r.Nodes), status)
	}
	fmt.Fprintln(w)
	t.write(w)
}

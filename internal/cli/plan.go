package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

func (a *app) planner() (*plan.Planner, error) {
	if err := a.load(); err != nil {
		return nil, err
	}
	p, err := plan.New(a.rsn)
	if err != nil {
		return nil, inputError{err}
	}
	return p, nil
}

func (a *app) planCommand() *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan [WORKLOAD.yaml] [--scenario NAME]",
		Short: "Plan a workload: coordinates (X, Y, Z), a stack, and the reasons, from the network",
		Long: `Plan a workload described in YAML (kind: Workload), or one of the network's scenarios
with --scenario. The requirements map to constraints through the attributes of requirement
entities in the network (fast-startup bounds startup-ms, untrusted-code needs a layer at
least L-1 under isolation-strength, …); among the technologies that remain the planner
prefers the layer with the lowest overhead, then the smaller footprint, then the longer
established. Every choice comes with its reasons and the alternatives that lost.
Exit code 1 when the requirements cannot be met together: strata says which conflict.

With --emit DIR strata also writes the files that enforce the plan, one object per file,
numbered in apply order, every fact read from the network's data (the orchestrator's
manifests and runtime-config attributes, the runtime's handler, shim and options, the
policy engine's policy-objects): the runtime's node configuration (containerd, a K3s
template, or Docker's daemon.json), the RuntimeClass, the policy objects of the engine the
plan chose for Z (Gatekeeper template and constraint, OPA admission or OPA-Wasm policy, a
NetworkPolicy kept below every Z ≥ 1), the OpenTelemetry Collector and Prometheus scrape
configuration, and the Deployment, Job or Pod — or, on a single Docker host (X=0), a
Compose file and a docker run line with --runtime; on Karmada (X=3) also the propagation
policies. Apply them with: kubectl apply -f DIR (the .toml and .json files go to the nodes).
Several workloads get a directory each, DIR/NAME. Existing files that differ are not
replaced unless --overwrite is given.

A workload:

  apiVersion: strata.dev/v1alpha1
  kind: Workload
  metadata: {name: thumbnailer}
  spec:
    trust: untrusted          # trusted | untrusted
    artifact: wasm            # any | oci | wasm
    footprint: constrained    # normal | constrained
    startupBudget: 20ms
    gpu: 0
    availability: standard    # standard | high
    scaleOnDemand: true
    policy: application       # none | infrastructure | runtime | application | business
    sites: [edge]             # single-host | cluster | edge | multi-cluster | cloud-edge
    asOf: 2024                # only technologies that existed then
    requirements: [low latency]   # requirement entities by id or name`,
		Example: `  strata plan --scenario edge
  strata plan workload.yaml -o yaml
  strata plan workload.yaml --as-of 2019
  strata plan workload.yaml --emit manifests/
  strata plan --scenario edge --image ghcr.io/example/edge:1.0 --namespace edge --emit out/
  strata plan workload.yaml --measured bench.json --host probe.json   # from strata bench -o json and strata probe -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.setAsOf = cmd.Flags().Changed("as-of")
			if f.emitDir == "" {
				for _, name := range []string{"image", "namespace", "containerd-config-version", "overwrite"} {
					if cmd.Flags().Changed(name) {
						return usagef("--%s applies to --emit DIR only", name)
					}
				}
			}
			return a.runPlan(cmd.Context(), args, f)
		},
	}
	cmd.Flags().StringVar(&f.scenario, "scenario", "", "plan a scenario of the network (edge, ai-inference, serverless, microservices)")
	cmd.Flags().IntVar(&f.asOf, "as-of", 0, "plan with only the technologies that existed in this `year`")
	cmd.Flags().StringVar(&f.emitDir, "emit", "", "also write the files that enforce the plan into `DIR`")
	cmd.Flags().StringVar(&f.emit.Image, "image", "", "with --emit: the image to run when the workload has no spec.image (scenarios have none)")
	cmd.Flags().StringVar(&f.emit.Namespace, "namespace", "", "with --emit: the namespace of the emitted objects (default \"default\")")
	cmd.Flags().IntVar(&f.emit.ContainerdConfigVersion, "containerd-config-version", 2, "with --emit: the nodes' containerd configuration `version`: 2 for containerd 1.x, 3 for 2.x")
	cmd.Flags().BoolVar(&f.overwrite, "overwrite", false, "with --emit: replace existing files that differ")
	f.measure.register(cmd)
	return cmd
}

// planFlags are strata plan's parameters.
type planFlags struct {
	scenario  string
	asOf      int
	setAsOf   bool // --as-of was given
	emitDir   string
	emit      plan.EmitOptions
	overwrite bool
	measure   measureFlags
}

// runPlan plans the workloads (a file's, or a scenario's), writes the files that enforce
// the plans when asked, and prints the plans; unsatisfiable workloads are reported last and
// make the exit code 1.
func (a *app) runPlan(ctx context.Context, args []string, f planFlags) error {
	format, err := a.format()
	if err != nil {
		return err
	}
	if (f.scenario == "") == (len(args) == 0) {
		return usagef("give either a workload file or --scenario NAME")
	}
	if f.emit.Image != "" {
		if err := manifest.CheckImage(f.emit.Image); err != nil {
			return usagef("--image: %v", err)
		}
	}
	if f.setAsOf && (f.asOf < plan.MinAsOf || f.asOf > plan.MaxAsOf) {
		return usagef("--as-of is %d; give a year from %d to %d", f.asOf, plan.MinAsOf, plan.MaxAsOf)
	}
	if v := f.emit.ContainerdConfigVersion; v != 2 && v != 3 {
		return usagef("--containerd-config-version is %d; use 2 (containerd 1.x) or 3 (containerd 2.x)", v)
	}
	p, err := a.planner()
	if err != nil {
		return err
	}
	p, notes, err := a.measuring(ctx, p, f.measure)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(a.stderr, "strata: "+n)
	}
	ws, err := a.planWorkloads(p, args, f.scenario)
	if err != nil {
		return err
	}
	var plans []*plan.Plan
	var failures []*plan.Unsatisfiable
	var emitted [][]manifest.Object
	for _, w := range ws {
		if f.setAsOf {
			w.AsOf = f.asOf
		}
		pl, err := p.Plan(w)
		var u *plan.Unsatisfiable
		switch {
		case errors.As(err, &u):
			failures = append(failures, u)
			continue
		case err != nil:
			return inputError{err}
		}
		plans = append(plans, pl)
		if f.emitDir != "" {
			objs, err := p.Emit(pl, w, f.emit)
			if errors.Is(err, plan.ErrNoImage) {
				return usageError{fmt.Errorf("%w or pass --image REF", err)}
			}
			if err != nil {
				return inputError{err}
			}
			emitted = append(emitted, objs)
		}
	}
	// Write only when every workload could be emitted, so a failure leaves no half set.
	for i, objs := range emitted {
		dir := f.emitDir
		if len(ws) > 1 {
			dir = filepath.Join(f.emitDir, plans[i].Workload)
		}
		if err := a.writeEmitted(dir, objs, f.overwrite); err != nil {
			return err
		}
	}
	if err := a.printPlans(format, plans, failures, len(ws) == 1); err != nil {
		return err
	}
	for _, u := range failures {
		fmt.Fprintln(a.stderr, u.Error())
	}
	if len(failures) > 0 {
		return errNo
	}
	return nil
}

// planWorkloads reads the workloads to plan: the scenario's, or the file's.
func (a *app) planWorkloads(p *plan.Planner, args []string, scenario string) ([]plan.Workload, error) {
	if scenario != "" {
		w, err := p.ScenarioWorkload(scenario)
		if err != nil {
			return nil, usageError{err}
		}
		return []plan.Workload{w}, nil
	}
	files, err := network.ReadFiles(args[0])
	if err != nil {
		return nil, readError(err)
	}
	ws, err := plan.ReadWorkloads(files)
	if err != nil {
		if ps, ok := network.AsProblems(err); ok {
			return nil, inputError{fmt.Errorf("%s\n%d problem(s) in the workload", ps.Error(), len(ps))}
		}
		return nil, inputError{err}
	}
	return ws, nil
}

// writeEmitted writes one workload's files and says where.
func (a *app) writeEmitted(dir string, objs []manifest.Object, overwrite bool) error {
	if err := manifest.WriteDir(dir, objs, manifest.WriteOptions{Overwrite: overwrite}); err != nil {
		if errors.Is(err, manifest.ErrExists) {
			return fmt.Errorf("%w (pass --overwrite to replace them, or write elsewhere)", err)
		}
		return err
	}
	for _, o := range objs {
		fmt.Fprintf(a.stderr, "wrote %s\n", filepath.Join(dir, o.File))
	}
	return nil
}

// printPlans writes the plans as tables, or encoded (with the unsatisfiable workloads
// beside them when there are any).
func (a *app) printPlans(format string, plans []*plan.Plan, failures []*plan.Unsatisfiable, single bool) error {
	if format == "table" {
		for i, pl := range plans {
			if i > 0 {
				fmt.Fprintln(a.stdout)
			}
			a.writePlan(pl)
		}
		return nil
	}
	var out any = plans
	if single && len(plans) == 1 {
		out = plans[0]
	}
	if len(failures) > 0 {
		out = struct {
			Plans         []*plan.Plan          `json:"plans" yaml:"plans"`
			Unsatisfiable []*plan.Unsatisfiable `json:"unsatisfiable" yaml:"unsatisfiable"`
		}{plans, failures}
	}
	return encode(a.stdout, format, out)
}

func (a *app) writePlan(pl *plan.Plan) {
	w := a.stdout
	fmt.Fprintf(w, "workload %s: (X, Y, Z) = %s, isolation layer %s\n", pl.Workload, pl.Coordinates, pl.Layer)
	if len(pl.Requirements) > 0 {
		fmt.Fprintf(w, "requirements: %s\n", strings.Join(pl.Requirements, ", "))
	}
	fmt.Fprintln(w)
	t := &table{header: []string{"ROLE", "TECHNOLOGY", "WHY"}}
	for _, c := range pl.Stack {
		t.add(c.Role, c.Technology, strings.Join(c.Reasons, "; "))
	}
	t.write(w)
	fmt.Fprintln(w, "\ncoordinates")
	for _, r := range pl.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	alt := &table{header: []string{"ROLE", "ALTERNATIVE", "LOST BECAUSE"}}
	for _, c := range pl.Stack {
		for _, x := range c.Alternatives {
			why := x.Reason
			if x.Excluded {
				why = "excluded: " + why
			}
			alt.add(c.Role, x.Technology, why)
		}
	}
	if len(alt.rows) > 0 {
		fmt.Fprintln(w, "\nalternatives")
		alt.write(w)
	}
	writeMeasured(w, pl.Measured)
}

func (a *app) scenariosCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "scenarios",
		Short: "The seed's scenario table, recomputed by the planner beside what the network declares",
		Long: `Plan every scenario of the network from its key requirements alone and put the
plan beside the scenario's declared stack and coordinates. Exit code 1 when a plan
disagrees with the declaration.`,
		Example: `  strata scenarios
  strata scenarios -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			p, err := a.planner()
			if err != nil {
				return err
			}
			rows := p.Scenarios()
			agree := true
			for _, r := range rows {
				agree = agree && r.Agrees
			}
			if f != "table" {
				if err := encode(a.stdout, f, rows); err != nil {
					return err
				}
			} else {
				t := &table{header: []string{"SCENARIO", "KEY REQUIREMENTS", "DECLARED STACK", "DECLARED", "PLANNED STACK", "PLANNED (X,Y,Z)", "AGREES"}}
				for _, r := range rows {
					planned, coords := "", ""
					if r.Plan != nil {
						planned = strings.Join(r.Plan.Technologies(), " + ")
						coords = r.Plan.Coordinates.String()
					} else {
						planned = "unsatisfiable"
					}
					var decl []string
					for _, axis := range []string{"X", "Y", "Z"} {
						if v, ok := r.Declared.Coordinates[axis]; ok {
							decl = append(decl, fmt.Sprintf("%s=%d", axis, v))
						}
					}
					ok := "yes"
					if !r.Agrees {
						ok = "no: " + strings.Join(r.Differences, "; ") + r.Error
					}
					t.add(r.Scenario, strings.Join(r.Requirements, ", "), strings.Join(r.Declared.Stack, " + "), strings.Join(decl, ", "), planned, coords, ok)
				}
				t.write(a.stdout)
			}
			if !agree {
				return errNo
			}
			return nil
		},
	}
}

func (a *app) coordinatesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "coordinates TECHNOLOGY...",
		Short: "Place a stack in the X/Y/Z space (orchestration scope, isolation, policy)",
		Long: `Place a stack of technologies in the seed's X/Y/Z space: X is the point its
orchestrator represents, Y the layer of its isolation runtime (or of the orchestrator's
default runtime), Z the highest policy level its technologies imply. Technologies may be
separate arguments or joined with +.`,
		Example: `  strata coordinates K3s + WasmEdge       # (2, 4, 3)
  strata coordinates K8s gVisor           # (1, 4, 2)
  strata coordinates Karmada+WasmEdge -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			p, err := a.planner()
			if err != nil {
				return err
			}
			pl, err := p.Coordinates(args)
			if err != nil {
				return usageError{err}
			}
			if f != "table" {
				return encode(a.stdout, f, pl)
			}
			fmt.Fprintf(a.stdout, "%s = %s\n", strings.Join(pl.Stack, " + "), pl.Coordinates)
			for _, r := range pl.Reasons {
				fmt.Fprintf(a.stdout, "  %s\n", r)
			}
			return nil
		},
	}
}

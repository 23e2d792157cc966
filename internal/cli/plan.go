package cli

import (
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
	var scenario, emitDir string
	var asOf int
	var emitOpts plan.EmitOptions
	var overwrite bool
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

With --emit DIR strata also writes the Kubernetes/K3s files that enforce the plan, one
object per file, numbered in apply order: the containerd (or K3s) runtime configuration for
the chosen shim (a node file), the RuntimeClass, the Gatekeeper ConstraintTemplate and
Constraint admitting only runtime classes at least as strong as the chosen one (Z ≥ 2), an
OpenTelemetry Collector for the workload (its configuration, Deployment and Service), the
Prometheus scrape configuration, a NetworkPolicy (Z ≥ 1), and the Deployment, Job or Pod. Apply them with: kubectl apply -f DIR (the .toml files go to the
nodes). Several workloads get a directory each, DIR/NAME. Existing files that differ are
not replaced unless --overwrite is given.

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
  strata plan --scenario edge --image ghcr.io/example/edge:1.0 --namespace edge --emit out/`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			if (scenario == "") == (len(args) == 0) {
				return usagef("give either a workload file or --scenario NAME")
			}
			if emitDir == "" {
				for _, name := range []string{"image", "namespace", "containerd-config-version", "overwrite"} {
					if cmd.Flags().Changed(name) {
						return usagef("--%s applies to --emit DIR only", name)
					}
				}
			}
			if emitOpts.Image != "" {
				if err := manifest.CheckImage(emitOpts.Image); err != nil {
					return usagef("--image: %v", err)
				}
			}
			if v := emitOpts.ContainerdConfigVersion; v != 2 && v != 3 {
				return usagef("--containerd-config-version is %d; use 2 (containerd 1.x) or 3 (containerd 2.x)", v)
			}
			p, err := a.planner()
			if err != nil {
				return err
			}
			var ws []plan.Workload
			if scenario != "" {
				w, err := p.ScenarioWorkload(scenario)
				if err != nil {
					return usageError{err}
				}
				ws = append(ws, w)
			} else {
				files, err := network.ReadFiles(args[0])
				if err != nil {
					return usageError{err}
				}
				if ws, err = plan.ReadWorkloads(files); err != nil {
					if ps, ok := network.AsProblems(err); ok {
						return inputError{fmt.Errorf("%s\n%d problem(s) in the workload", ps.Error(), len(ps))}
					}
					return inputError{err}
				}
			}
			var plans []*plan.Plan
			var failures []error
			var emitted [][]manifest.Object
			for _, w := range ws {
				if cmd.Flags().Changed("as-of") {
					w.AsOf = asOf
				}
				pl, err := p.Plan(w)
				if err != nil {
					if !errors.Is(err, plan.ErrUnsatisfiable) {
						return inputError{err}
					}
					failures = append(failures, err)
					continue
				}
				plans = append(plans, pl)
				if emitDir != "" {
					objs, err := p.Emit(pl, w, emitOpts)
					if errors.Is(err, plan.ErrNoImage) {
						return usageError{err}
					}
					if err != nil {
						return inputError{err}
					}
					emitted = append(emitted, objs)
				}
			}
			// Write only when every workload could be emitted, so a failure leaves no half set.
			for i, objs := range emitted {
				dir := emitDir
				if len(ws) > 1 {
					dir = filepath.Join(emitDir, plans[i].Workload)
				}
				if err := manifest.WriteDir(dir, objs, manifest.WriteOptions{Overwrite: overwrite}); err != nil {
					if errors.Is(err, manifest.ErrExists) {
						return errors.New(strings.Replace(err.Error(), "(overwrite them,", "(pass --overwrite,", 1))
					}
					return err
				}
				for _, o := range objs {
					fmt.Fprintf(a.stderr, "wrote %s\n", filepath.Join(dir, o.File))
				}
			}
			if f != "table" {
				var out any = plans
				if len(ws) == 1 && len(plans) == 1 {
					out = plans[0]
				}
				if len(failures) > 0 {
					var us []*plan.Unsatisfiable
					for _, e := range failures {
						var u *plan.Unsatisfiable
						errors.As(e, &u)
						us = append(us, u)
					}
					out = struct {
						Plans         []*plan.Plan          `json:"plans" yaml:"plans"`
						Unsatisfiable []*plan.Unsatisfiable `json:"unsatisfiable" yaml:"unsatisfiable"`
					}{plans, us}
				}
				if err := encode(a.stdout, f, out); err != nil {
					return err
				}
			} else {
				for i, pl := range plans {
					if i > 0 {
						fmt.Fprintln(a.stdout)
					}
					a.writePlan(pl)
				}
			}
			for _, e := range failures {
				fmt.Fprintln(a.stderr, e.Error())
			}
			if len(failures) > 0 {
				return errNo
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&scenario, "scenario", "", "plan a scenario of the network (edge, ai-inference, serverless, microservices)")
	cmd.Flags().IntVar(&asOf, "as-of", 0, "plan with only the technologies that existed in this `year`")
	cmd.Flags().StringVar(&emitDir, "emit", "", "also write the Kubernetes/K3s files that enforce the plan into `DIR`")
	cmd.Flags().StringVar(&emitOpts.Image, "image", "", "with --emit: the image to run when the workload has no spec.image (scenarios have none)")
	cmd.Flags().StringVar(&emitOpts.Namespace, "namespace", "", "with --emit: the namespace of the emitted objects (default \"default\")")
	cmd.Flags().IntVar(&emitOpts.ContainerdConfigVersion, "containerd-config-version", 2, "with --emit: the nodes' containerd configuration `version`: 2 for containerd 1.x, 3 for 2.x")
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "with --emit: replace existing files that differ")
	return cmd
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

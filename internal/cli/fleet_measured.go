package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/measured"
	"github.com/strata-dev/strata/plan"
)

// fleetMeasureFlags are the flags that plan a fleet with what the chart's bench Jobs
// measured.
type fleetMeasureFlags struct {
	on         bool
	namespace  string
	allowStale bool
	maxAge     time.Duration
}

func (m *fleetMeasureFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&m.on, "measured", false, "plan with what the chart's bench Job measured on each node class (its ConfigMaps in --bench-namespace): for each runtime the slowest class that offers it decides")
	fl.StringVar(&m.namespace, "bench-namespace", "strata", "the `namespace` of the chart's bench ConfigMaps (the release's namespace)")
	fl.BoolVar(&m.allowStale, "allow-stale", false, "with --measured: use results older than --max-age or taken on another kernel than the class's nodes report now (marked stale)")
	fl.DurationVar(&m.maxAge, "max-age", 30*24*time.Hour, "with --measured: results older than this `duration` are stale (0: any age)")
}

// readFleetBench reads every cluster's bench ConfigMaps and makes them the planner's
// figures.
func (a *app) readFleetBench(ctx context.Context, clusters []*fleet.Cluster, m fleetMeasureFlags, fl *fleet.Fleet) (*fleet.FleetMeasurements, error) {
	results, err := a.fleetResults(ctx, clusters, m.namespace)
	if err != nil {
		return nil, err
	}
	fm, err := fl.Measure(a.net, results, measured.Options{Now: fleetNow(), MaxAge: m.maxAge, AllowStale: m.allowStale})
	if err != nil {
		return nil, inputError{err}
	}
	return fm, nil
}

// fleetResults reads the bench ConfigMaps of each cluster of the fleet (readFleet's
// connections), in its order.
func (a *app) fleetResults(ctx context.Context, clusters []*fleet.Cluster, namespace string) ([][]fleet.ClassResults, error) {
	var out [][]fleet.ClassResults
	for _, c := range clusters {
		rs, err := c.ReadBench(ctx, namespace)
		if err != nil {
			return nil, fleetError(err)
		}
		out = append(out, rs)
	}
	return out, nil
}

// writeSpreads writes, for each runtime the plan weighed, its figure on each node class
// side by side, the class that decided and whether the classes disagree.
func writeSpreads(w io.Writer, fm *fleet.FleetMeasurements, pl *plan.Plan, w8 plan.Workload) {
	weighed := map[string]bool{}
	chosen := pl.Technology(plan.RoleRuntime)
	for _, c := range pl.Stack {
		if c.Role != plan.RoleRuntime {
			continue
		}
		weighed[c.Technology] = true
		for _, a := range c.Alternatives {
			weighed[a.Technology] = true
		}
	}
	fmt.Fprintln(w, "\nmeasured by node class")
	var names []string
	for _, mc := range fm.Classes {
		names = append(names, mc.Name())
	}
	t := &table{header: append(append([]string{"RUNTIME"}, names...), "DECIDED BY")}
	var disagree []string
	for _, sp := range fm.Spreads {
		if !weighed[sp.Technology] {
			continue
		}
		row := []string{sp.Technology}
		for _, mc := range fm.Classes {
			cell := "-"
			for _, cv := range sp.Classes {
				if cv.Class == mc.Name() {
					cell = sp.Attribute + " " + strconv.FormatFloat(roundFig(cv.Figure.Value), 'g', -1, 64)
					if cv.Figure.CI != nil {
						cell += fmt.Sprintf(" [%s–%s]", short(cv.Figure.CI.Lo), short(cv.Figure.CI.Hi))
					}
				}
			}
			row = append(row, cell)
		}
		decided := sp.Decided
		if sp.Technology == chosen {
			decided += " (chosen runtime)"
		}
		t.add(append(row, decided)...)
		if len(sp.Classes) > 1 {
			if line := disagreement(sp, w8); line != "" {
				disagree = append(disagree, line)
			}
		}
	}
	t.write(w)
	for _, mc := range fm.Classes {
		fmt.Fprintf(w, "  %s: %d nodes (%s), %s\n", mc.Name(), len(mc.Nodes), firstOf(mc.Nodes, 3), orDash(mc.ConfigMap, mc.Problem))
	}
	if len(disagree) > 0 {
		fmt.Fprintln(w, "\nnode classes disagree")
		for _, d := range disagree {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
}

func orDash(cm, problem string) string {
	if problem != "" {
		return "not measured: " + problem
	}
	return "measured in ConfigMap " + cm
}

// disagreement says where classes differ: beyond their confidence intervals, or on
// whether the figure meets the workload's start-up budget.
func disagreement(sp fleet.Spread, w plan.Workload) string {
	var parts []string
	for _, cv := range sp.Classes {
		parts = append(parts, fmt.Sprintf("%s %s", cv.Class, strconv.FormatFloat(roundFig(cv.Figure.Value), 'g', -1, 64)))
	}
	if sp.Attribute == "startup-ms" && w.StartupBudget > 0 {
		budget := float64(w.StartupBudget) / float64(time.Millisecond)
		var meet, miss []string
		for _, cv := range sp.Classes {
			if cv.Figure.Value <= budget {
				meet = append(meet, cv.Class)
			} else {
				miss = append(miss, cv.Class)
			}
		}
		if len(meet) > 0 && len(miss) > 0 {
			return fmt.Sprintf("%s %s: %s; the %s start-up budget is met on %s, not on %s, so %s decides", sp.Technology, sp.Attribute, strings.Join(parts, ", "), w.StartupBudget, strings.Join(meet, ", "), strings.Join(miss, ", "), sp.Decided)
		}
	}
	if sp.Disagree {
		return fmt.Sprintf("%s %s: %s (95%% CIs apart); %s, the slowest, decides", sp.Technology, sp.Attribute, strings.Join(parts, ", "), sp.Decided)
	}
	return ""
}

func roundFig(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return r
}

// runVerifyFleet is strata verify --fleet: the claimed order beside what each node class
// measured.
func (a *app) runVerifyFleet(ctx context.Context, f fleetFlags, namespace, relation string) error {
	format, err := a.format()
	if err != nil {
		return err
	}
	if err := a.load(); err != nil {
		return err
	}
	if _, err := a.relation(relation); err != nil {
		return err
	}
	fl, clusters, err := a.readFleet(ctx, f, true)
	if err != nil {
		return err
	}
	results, err := a.fleetResults(ctx, clusters, namespace)
	if err != nil {
		return err
	}
	type classChecks struct {
		Class     string        `json:"class" yaml:"class"`
		Labels    string        `json:"labels" yaml:"labels"`
		Nodes     []string      `json:"nodes" yaml:"nodes"`
		ConfigMap string        `json:"configMap,omitempty" yaml:"configMap,omitempty"`
		Problem   string        `json:"problem,omitempty" yaml:"problem,omitempty"`
		Checks    []bench.Check `json:"checks" yaml:"checks"`
	}
	var out []classChecks
	for i, s := range fl.Clusters {
		byClass := map[string]fleet.ClassResults{}
		for _, r := range results[i] {
			byClass[r.Class] = r
		}
		for _, c := range fleet.Classes(s) {
			cc := classChecks{Class: c.ID, Labels: c.Key, Nodes: c.Nodes, Checks: []bench.Check{}}
			if len(fl.Clusters) > 1 {
				cc.Class = s.Context + "/" + c.ID
			}
			r, ok := byClass[c.ID]
			switch {
			case !ok:
				cc.Problem = "no bench ConfigMap for this class"
			case r.Results == nil:
				cc.ConfigMap, cc.Problem = r.ConfigMap, r.Problem
			default:
				cc.ConfigMap = r.ConfigMap
				if cc.Checks, err = bench.Verify(a.rsn, relation, r.Results); err != nil {
					return err
				}
			}
			out = append(out, cc)
		}
	}
	disagrees := 0
	for _, c := range out {
		disagrees += bench.Tally(c.Checks)[bench.Disagrees]
	}
	if format != "table" {
		if out == nil {
			out = []classChecks{}
		}
		if err := encode(a.stdout, format, out); err != nil {
			return err
		}
	} else {
		w := a.stdout
		type row struct{ relation, claim, workload string }
		var rows []row
		cells := map[row]map[string]string{}
		for _, c := range out {
			for _, ch := range c.Checks {
				r := row{ch.Relation, ch.Claim, ch.Workload}
				if cells[r] == nil {
					cells[r] = map[string]string{}
					rows = append(rows, r)
				}
				v := ch.Verdict
				if ch.Ratio != nil {
					v = fmt.Sprintf("%s %s", ch.Verdict, short(ch.Ratio.Value))
					if !ch.Significant {
						v = "~" + v
					}
				}
				cells[r][c.Class] = v
			}
		}
		header := []string{"RELATION", "CLAIM", "WORKLOAD"}
		for _, c := range out {
			header = append(header, c.Class)
		}
		t := &table{header: header}
		for _, r := range rows {
			line := []string{r.relation, r.claim, r.workload}
			for _, c := range out {
				v := cells[r][c.Class]
				if v == "" {
					v = "-"
				}
				line = append(line, v)
			}
			t.add(line...)
		}
		t.write(w)
		fmt.Fprintln(w, "\n(verdict, then HIGHER/LOWER of the medians; ~: within noise)")
		fmt.Fprintln(w, "\nnode classes")
		for _, c := range out {
			n := bench.Tally(c.Checks)
			what := fmt.Sprintf("%d agree, %d disagree, %d not measurable (%s)", n[bench.Agrees], n[bench.Disagrees], n[bench.NotMeasurable], c.ConfigMap)
			if c.Problem != "" {
				what = "not measured: " + c.Problem
			}
			fmt.Fprintf(w, "  %s: %d nodes (%s); %s\n    %s\n", c.Class, len(c.Nodes), firstOf(c.Nodes, 3), c.Labels, what)
		}
		if len(out) == 0 {
			fmt.Fprintln(w, "  none: no node carries strata labels")
		}
	}
	if disagrees > 0 {
		return errNo
	}
	if !slices.ContainsFunc(out, func(c classChecks) bool { return c.Problem == "" }) {
		return inputError{fmt.Errorf("no node class has bench results in namespace %s: install the chart with bench.enabled (it runs one bench Job per node class), or write results with strata bench --configmap", namespace)}
	}
	return nil
}

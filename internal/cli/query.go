package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

func (a *app) compareCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "compare A B",
		Short: "Compare two entities under every order that relates them",
		Long: `Compare A and B under every transitive relation (order) in which both take part:
A is greater, less, equal or incomparable, with the declared facts that say so.
Exit code 1 when no order relates them.`,
		Example: `  strata compare L-4 L-2          # isolation: stronger; overhead: lower
  strata compare 容器 sandbox       # names in English or Chinese, ids or aliases
  strata compare T1 T4 -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, es, err := a.prepare(args[0], args[1])
			if err != nil {
				return err
			}
			x, y := es[0], es[1]
			cs := a.rsn.Compare(x, y)
			if cs == nil {
				cs = []reason.Comparison{} // JSON [] rather than null, as YAML already writes it
			}
			ordered := false
			for _, c := range cs {
				ordered = ordered || c.Verdict != reason.Incomparable
			}
			if f != "table" {
				if err := encode(a.stdout, f, struct {
					A           string              `json:"a" yaml:"a"`
					B           string              `json:"b" yaml:"b"`
					Comparisons []reason.Comparison `json:"comparisons" yaml:"comparisons"`
				}{x.ID, y.ID, cs}); err != nil {
					return err
				}
			} else if len(cs) == 0 {
				fmt.Fprintf(a.stdout, "no order relates %s and %s: they never appear together in a transitive relation\n", x.ID, y.ID)
			} else {
				t := &table{header: []string{"RELATION", "VERDICT", x.ID + " IS", "DERIVATION"}}
				for _, c := range cs {
					word := c.Word
					if c.Verdict == reason.Greater || c.Verdict == reason.Less {
						word += " than " + y.ID
					}
					t.add(c.Relation, string(c.Verdict), word, a.chainText(c.Relation, c.Derivation))
				}
				t.write(a.stdout)
			}
			if !ordered {
				return errNo
			}
			return nil
		},
	}
}

// prepare checks -o, loads the network and resolves the named entities: the start of
// every command that asks about entities.
func (a *app) prepare(names ...string) (string, []*network.Entity, error) {
	f, err := a.format()
	if err != nil {
		return "", nil, err
	}
	if err := a.load(); err != nil {
		return "", nil, err
	}
	es := make([]*network.Entity, len(names))
	for i, n := range names {
		if es[i], err = a.entity(n); err != nil {
			return "", nil, err
		}
	}
	return f, es, nil
}

// chainText renders a derivation as a chain with sources: "L-4 > L-1 > L-2  [isolation.yaml:54, :54]".
func (a *app) chainText(relation string, fs []network.Fact) string {
	if len(fs) == 0 {
		return ""
	}
	rt, _ := a.net.Relation(relation)
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = reason.FactText(rt, f) + " (" + f.Source.Short() + ")"
	}
	return strings.Join(parts, ", ")
}

func (a *app) whyCommand() *cobra.Command {
	var relation string
	cmd := &cobra.Command{
		Use:   "why A OP B",
		Short: "Explain a fact: the declared facts it is derived from, each with its source",
		Long: `Explain "A OP B" (OP is >, <, = or →) under one relation, or under every order
where it holds if --relation is not given. Each step is a declared fact with its
file:line. Exit code 1 when it does not hold; strata then says what holds instead.
Quote > and < in the shell.`,
		Example: `  strata why L-4 '>' L-2 --relation isolation-strength
  strata why L-3 '<' L-0 --relation overhead
  strata why A1 → A7`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			op := args[1]
			switch op {
			case ">", "<", "=", "→", "->", "==":
			default:
				return usagef("unknown operator %q: use >, <, = or → (quote > and < in the shell)", op)
			}
			if err := a.load(); err != nil {
				return err
			}
			x, err := a.entity(args[0])
			if err != nil {
				return err
			}
			y, err := a.entity(args[2])
			if err != nil {
				return err
			}
			var rels []*reason.Relation
			if relation != "" {
				r, err := a.relation(relation)
				if err != nil {
					return err
				}
				rels = append(rels, r)
			} else {
				rels = a.rsn.Orders()
			}
			ds := []reason.Derivation{} // JSON [] rather than null when nothing holds
			holds := false
			for _, r := range rels {
				if relation == "" && (!a.rsn.Involves(r, x) || !a.rsn.Involves(r, y)) {
					continue
				}
				d, err := a.rsn.Why(r, x, op, y)
				if err != nil {
					return usageError{err}
				}
				if relation != "" || d.Holds {
					ds = append(ds, d)
				}
				holds = holds || d.Holds
			}
			if f != "table" {
				if err := encode(a.stdout, f, ds); err != nil {
					return err
				}
			} else if len(ds) == 0 {
				fmt.Fprintf(a.stdout, "no: %s %s %s holds in no order relating them\n", x.ID, op, y.ID)
			}
			if f == "table" {
				for i, d := range ds {
					if i > 0 {
						fmt.Fprintln(a.stdout)
					}
					a.writeDerivation(d)
				}
			}
			if !holds {
				return errNo
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&relation, "relation", "", "the relation type to reason over (default: every order)")
	return cmd
}

func (a *app) writeDerivation(d reason.Derivation) {
	w := a.stdout
	if !d.Holds {
		fmt.Fprintf(w, "no: %s %s %s does not follow from the %s facts\n", d.Subject, d.Op, d.Object, d.Relation)
		if d.Instead != nil {
			fmt.Fprintf(w, "instead %s %s %s holds:\n", d.Instead.Subject, d.Instead.Op, d.Instead.Object)
			a.writeSteps(d.Instead)
		}
		return
	}
	fmt.Fprintf(w, "%s %s %s under %s (%s)\n", d.Subject, d.Op, d.Object, d.Relation, d.Kind)
	a.writeSteps(&d)
}

func (a *app) writeSteps(d *reason.Derivation) {
	rt, _ := a.net.Relation(d.Relation)
	t := &table{header: []string{"STEP", "FACT", "KIND", "SOURCE"}}
	for i, f := range d.Facts {
		t.add(fmt.Sprint(i+1), reason.FactText(rt, f), f.Kind, f.Source.Short())
	}
	if len(d.Facts) == 0 {
		fmt.Fprintln(a.stdout, "  (the same entity)")
		return
	}
	t.write(indent{a.stdout})
}

// indent prefixes every line with two spaces.
type indent struct {
	w interface{ Write([]byte) (int, error) }
}

func (i indent) Write(p []byte) (int, error) {
	lines := strings.SplitAfter(string(p), "\n")
	for _, l := range lines {
		if l == "" {
			continue
		}
		if _, err := i.w.Write([]byte("  " + l)); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (a *app) rankCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rank RELATION",
		Short: "Rank the values of an order into layers, greatest first, ties together",
		Example: `  strata rank isolation-strength     # L-0 = L-4 first, L-3 last
  strata rank overhead -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			if err := a.load(); err != nil {
				return err
			}
			r, err := a.relation(args[0])
			if err != nil {
				return err
			}
			layers := a.rsn.Rank(r)
			greatest := word(r.GreaterWord(), "greatest")
			if f != "table" {
				return encode(a.stdout, f, struct {
					Relation string         `json:"relation" yaml:"relation"`
					Greatest string         `json:"greatest" yaml:"greatest"`
					Layers   []reason.Layer `json:"layers" yaml:"layers"`
				}{r.Name(), greatest, layers})
			}
			t := &table{header: []string{"RANK", "ENTITIES", "NAMES"}}
			for _, l := range layers {
				var names []string
				for _, id := range l.Entities {
					e, _ := a.net.Entity(id)
					names = append(names, word(e.Names.String(), e.ID))
				}
				t.add(fmt.Sprint(l.Rank), strings.Join(l.Entities, " = "), strings.Join(names, " = "))
			}
			fmt.Fprintf(a.stdout, "%s, %s first:\n", r.Name(), greatest)
			t.write(a.stdout)
			return nil
		},
	}
}

func word(w, def string) string {
	if w != "" {
		return w
	}
	return def
}

func (a *app) pathCommand() *cobra.Command {
	var relation string
	cmd := &cobra.Command{
		Use:   "path A B",
		Short: "The shortest chain of declared facts from A to B",
		Long: `The shortest chain of declared facts leading from A to B: first within one order
(the relation given with --relation, or the one with the shortest chain), else across
all relations. Exit code 1 when nothing leads from A to B.`,
		Example: `  strata path A1 A7           # A1 → A5 → A6 → A7
  strata path T1 T5
  strata path KVM L-3         # across relations: KVM -represents→ L-1 > L-2 > L-3
  strata path L-0 L-3 --relation overhead`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, es, err := a.prepare(args[0], args[1])
			if err != nil {
				return err
			}
			x, y := es[0], es[1]
			var rel *reason.Relation // nil: every relation
			if relation != "" {
				if rel, err = a.relation(relation); err != nil {
					return err
				}
			}
			fs, ok := a.rsn.Path(x, y, rel)
			if fs == nil {
				fs = []network.Fact{} // JSON [] rather than null when no chain is found
			}
			if f != "table" {
				if err := encode(a.stdout, f, struct {
					From  string         `json:"from" yaml:"from"`
					To    string         `json:"to" yaml:"to"`
					Found bool           `json:"found" yaml:"found"`
					Chain string         `json:"chain,omitempty" yaml:"chain,omitempty"`
					Facts []network.Fact `json:"facts" yaml:"facts"`
				}{x.ID, y.ID, ok, a.pathText(fs), fs}); err != nil {
					return err
				}
			} else if !ok {
				fmt.Fprintf(a.stdout, "no chain of facts leads from %s to %s\n", x.ID, y.ID)
			} else {
				fmt.Fprintln(a.stdout, a.pathText(fs))
				t := &table{header: []string{"STEP", "FACT", "RELATION", "SOURCE"}}
				for i, fact := range fs {
					rt, _ := a.net.Relation(fact.Relation)
					t.add(fmt.Sprint(i+1), reason.FactText(rt, fact), fact.Relation, fact.Source.Short())
				}
				t.write(a.stdout)
			}
			if !ok {
				return errNo
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&relation, "relation", "", "follow only this relation type")
	return cmd
}

// pathText renders "A1 → A5 → A6 → A7", naming relations that have no symbol.
func (a *app) pathText(fs []network.Fact) string {
	if len(fs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(fs[0].Subject)
	for _, f := range fs {
		rt, _ := a.net.Relation(f.Relation)
		op := reason.FactOp(rt, f)
		if op == "" {
			op = "-" + f.Relation + "→"
		}
		b.WriteString(" " + op + " " + f.Object)
	}
	return b.String()
}

func (a *app) paretoCommand() *cobra.Command {
	var among []string
	cmd := &cobra.Command{
		Use:   "pareto RELATION:max|min ...",
		Short: "The values no other value beats on every criterion (the Pareto front)",
		Long: `The Pareto front over several orders: a value is on the front unless another is at
least as good on every criterion and strictly better on one. Candidates are the entities
that take part in every criterion's relation, or those given with --among.`,
		Example: `  strata pareto isolation-strength:max overhead:min    # L-4 and L-3
  strata pareto isolation-strength:max overhead:min --among L-0,L-1,L-2`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			if err := a.load(); err != nil {
				return err
			}
			crit, err := a.rsn.ParseCriteria(args)
			if err != nil {
				return usageError{err}
			}
			var es []*network.Entity
			for _, name := range among {
				e, err := a.entity(name)
				if err != nil {
					return err
				}
				es = append(es, e)
			}
			fr := a.rsn.Pareto(crit, es)
			if f != "table" {
				return encode(a.stdout, f, fr)
			}
			fmt.Fprintf(a.stdout, "front (%s): %s\n", strings.Join(fr.Criteria, ", "), strings.Join(fr.Front, ", "))
			if len(fr.Dominated) > 0 {
				t := &table{header: []string{"DOMINATED", "BY", "BETTER ON", "EQUAL ON"}}
				for _, d := range fr.Dominated {
					t.add(d.Entity, d.By, strings.Join(d.Better, ", "), strings.Join(d.Equal, ", "))
				}
				t.write(a.stdout)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&among, "among", nil, "candidate entities (comma-separated ids or names)")
	return cmd
}

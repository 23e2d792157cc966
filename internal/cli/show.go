package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

func (a *app) showCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show [DIMENSION|ENTITY]",
		Short: "Show every dimension as tables, one dimension, or one entity",
		Long: `Without an argument, every dimension of the network as a table (values, names,
technologies, relations), then the chains and formulas. With a dimension (isolation,
architecture, timeline, scenarios, observability, X, Y, Z) that table only. With an entity —
an id, an English or Chinese name, or an alias — its attributes and every fact about it.`,
		Example: `  strata show
  strata show isolation
  strata show L-3          # the same entity as: strata show 容器 / container / D4
  strata show K3s -o yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			if err := a.load(); err != nil {
				return err
			}
			if len(args) == 0 {
				if f != "table" {
					return encode(a.stdout, f, a.dimensionViews(a.net.Dimensions))
				}
				for i, d := range a.net.Dimensions {
					if i > 0 {
						fmt.Fprintln(a.stdout)
					}
					a.writeDimension(d)
				}
				a.writeChains()
				return nil
			}
			if d, ok := a.net.Dimension(args[0]); ok {
				if f != "table" {
					return encode(a.stdout, f, a.dimensionViews([]*network.Dimension{d})[0])
				}
				a.writeDimension(d)
				return nil
			}
			e, err := a.net.Resolve(args[0])
			if err != nil {
				if ue, ok := err.(*network.UnknownError); ok && ue.Suggest == "" {
					if s := network.Suggest(args[0], a.net.DimensionIDs()); s != "" {
						ue.What, ue.Suggest = "entity or dimension", s
					}
				}
				return usageError{err}
			}
			v := a.entityView(e)
			if f != "table" {
				return encode(a.stdout, f, v)
			}
			a.writeEntity(v)
			return nil
		},
	}
}

// dimensionView is a dimension as data: its values with the cells of its columns.
type dimensionView struct {
	ID         string              `json:"id" yaml:"id"`
	Names      network.Text        `json:"names" yaml:"names"`
	Axis       string              `json:"axis,omitempty" yaml:"axis,omitempty"`
	Definition network.Text        `json:"definition" yaml:"definition"`
	Columns    []string            `json:"columns" yaml:"columns"`
	Values     []dimensionRow      `json:"values" yaml:"values"`
	Chains     []network.ChainDecl `json:"chains,omitempty" yaml:"chains,omitempty"`
}

type dimensionRow struct {
	ID    string            `json:"id" yaml:"id"`
	Names network.Text      `json:"names" yaml:"names"`
	Cells map[string]string `json:"cells" yaml:"cells"`
}

func (a *app) dimensionViews(ds []*network.Dimension) []dimensionView {
	out := make([]dimensionView, 0, len(ds))
	for _, d := range ds {
		v := dimensionView{ID: d.ID, Names: d.Names, Axis: d.Axis, Definition: d.Definition, Columns: d.Columns}
		in := map[string]bool{}
		for _, id := range d.Values {
			in[id] = true
			e, _ := a.net.Entity(id)
			row := dimensionRow{ID: id, Names: e.Names, Cells: map[string]string{}}
			for _, c := range d.Columns {
				row.Cells[c] = a.cell(e, c)
			}
			v.Values = append(v.Values, row)
		}
		for _, c := range a.net.Chains {
			if f := a.firstTerm(c); in[f] {
				v.Chains = append(v.Chains, c)
			}
		}
		out = append(out, v)
	}
	return out
}

// firstTerm is the entity a chain starts at, found among the facts it declared.
func (a *app) firstTerm(c network.ChainDecl) string {
	for _, f := range a.net.Facts {
		if f.Source.File == c.Source.File && f.Source.Line == c.Source.Line && f.Relation == c.Relation {
			return f.Subject
		}
	}
	return ""
}

// cell renders one column of a dimension's table for an entity: an attribute, or a
// relation (by id or inverse name) listing the related entities.
func (a *app) cell(e *network.Entity, col string) string {
	if at, ok := e.Attr(col); ok {
		return attrText(at)
	}
	rt, ok := a.net.Relation(col)
	if !ok {
		return ""
	}
	inverse := strings.EqualFold(col, rt.Inverse) || (rt.Symmetric && col == rt.ID)
	var ids []string
	for _, f := range a.net.Facts {
		if f.Relation != rt.ID {
			continue
		}
		if !inverse && f.Subject == e.ID {
			ids = append(ids, a.name(f.Object))
		}
		if inverse && f.Object == e.ID {
			ids = append(ids, a.name(f.Subject))
		}
		if rt.Symmetric && col == rt.ID && f.Subject == e.ID {
			ids = append(ids, a.name(f.Object))
		}
	}
	return strings.Join(dedupe(ids), ", ")
}

func (a *app) name(id string) string {
	if e, ok := a.net.Entity(id); ok && e.Category == network.CategoryTechnology && e.Names.En != "" {
		return e.Names.En
	}
	return id
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func attrText(at network.Attribute) string {
	switch at.Type {
	case network.TypeInt:
		return strconv.FormatInt(at.Int, 10)
	case network.TypeFloat:
		return strconv.FormatFloat(at.Float, 'g', -1, 64)
	case network.TypeBool:
		return strconv.FormatBool(at.Bool)
	case network.TypeText:
		if at.Text.En != "" && at.Text.Zh != "" && at.Text.En != at.Text.Zh {
			return at.Text.En + " / " + at.Text.Zh
		}
		return at.Text.String()
	case network.TypeList:
		return strings.Join(at.List, ", ")
	}
	return at.String
}

func (a *app) writeDimension(d *network.Dimension) {
	title := d.ID + " — " + d.Names.En
	if d.Names.Zh != "" {
		title += " / " + d.Names.Zh
	}
	if d.Axis != "" {
		title += " (axis " + d.Axis + ")"
	}
	fmt.Fprintln(a.stdout, title)
	if d.Definition.En != "" {
		fmt.Fprintf(a.stdout, "%s\n", d.Definition.En)
	}
	header := []string{"ID", "NAME", "名称"}
	for _, c := range d.Columns {
		header = append(header, strings.ToUpper(c))
	}
	t := &table{header: header}
	for _, id := range d.Values {
		e, _ := a.net.Entity(id)
		row := []string{id, e.Names.En, e.Names.Zh}
		for _, c := range d.Columns {
			row = append(row, a.cell(e, c))
		}
		t.add(row...)
	}
	t.write(a.stdout)
	for _, v := range a.dimensionViews([]*network.Dimension{d}) {
		for _, c := range v.Chains {
			fmt.Fprintf(a.stdout, "%s: %s\n", c.Relation, c.Text)
		}
	}
}

func (a *app) writeChains() {
	if len(a.net.Formulas) == 0 {
		return
	}
	fmt.Fprintln(a.stdout, "\nformulas")
	seen := map[string]bool{}
	for _, f := range a.net.Formulas {
		k := f.Result + f.Op + strings.Join(f.Operands, ",")
		if seen[k] {
			continue
		}
		seen[k] = true
		fmt.Fprintf(a.stdout, "%s = %s   (%s)\n", f.Result, strings.Join(f.Operands, " "+f.Op+" "), f.Relation)
	}
}

// entityView is one entity with every fact about it and what the reasoner derives.
type entityView struct {
	*network.Entity
	Facts   []network.Fact `json:"facts" yaml:"facts"`
	Derived []network.Fact `json:"derived,omitempty" yaml:"derived,omitempty"`
}

func (a *app) entityView(e *network.Entity) entityView {
	return entityView{Entity: e, Facts: a.rsn.FactsAbout(e), Derived: a.rsn.DerivedAbout(e)}
}

func (a *app) writeEntity(v entityView) {
	w := a.stdout
	e := v.Entity
	fmt.Fprintf(w, "%s — %s", e.ID, e.Names.En)
	if e.Names.Zh != "" && e.Names.Zh != e.Names.En {
		fmt.Fprintf(w, " / %s", e.Names.Zh)
	}
	fmt.Fprintf(w, "  [%s]\n", e.Category)
	if e.Dimension != "" {
		fmt.Fprintf(w, "dimension: %s\n", e.Dimension)
	}
	if len(e.Aliases) > 0 {
		fmt.Fprintf(w, "aliases:   %s\n", strings.Join(e.Aliases, ", "))
	}
	fmt.Fprintf(w, "declared:  %s\n", e.Source)
	if len(e.Attributes) > 0 {
		fmt.Fprintln(w, "\nattributes")
		t := &table{header: []string{"NAME", "TYPE", "VALUE"}}
		for _, at := range e.Attributes {
			t.add(at.Name, at.Type, attrText(at))
		}
		t.write(w)
	}
	if len(v.Facts) > 0 {
		fmt.Fprintln(w, "\nfacts")
		t := &table{header: []string{"FACT", "RELATION", "KIND", "SOURCE"}}
		for _, f := range v.Facts {
			rt, _ := a.net.Relation(f.Relation)
			t.add(reason.FactText(rt, f), f.Relation, f.Kind, f.Source.Short())
		}
		t.write(w)
	}
	if len(v.Derived) > 0 {
		fmt.Fprintln(w, "\nderived (strata why A OP B shows each derivation)")
		t := &table{header: []string{"FACT", "RELATION"}}
		sort.SliceStable(v.Derived, func(i, j int) bool { return v.Derived[i].Relation < v.Derived[j].Relation })
		for _, f := range v.Derived {
			rt, _ := a.net.Relation(f.Relation)
			t.add(reason.FactText(rt, f), f.Relation)
		}
		t.write(w)
	}
}

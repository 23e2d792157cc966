package cli

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/kb"
	"github.com/strata-dev/strata/network"
)

func (a *app) exportCommand() *cobra.Command {
	var dimension string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the network (or one dimension) as JSON, YAML, DOT, Mermaid or Markdown",
		Long: `Write the whole network, or one dimension with --dimension, in a format other tools
read: json and yaml (the loaded model: entities, dimensions, relation types, facts with
sources, chains, formulas), dot (Graphviz: dot -Tsvg), mermaid (a flowchart for Markdown
renderers) or markdown (readable Markdown in the seed's shapes: tables of relation types,
a heading, definition line and table per dimension with the id in bold and attributes and
representative technologies as columns, a table of other entities per category, no table
wider than 8 columns (the attributes that do not fit listed below it), entities and
relation types named by their names where unambiguous, chains as
"relation name: a > b = c" lines, a table of other facts, formula lines; each table and block
after a <!-- strata:table --> comment by which strata import --no-default reads it back
into the same network; what documents cannot say is an error naming it). Default: yaml.`,
		Example: `  strata export -o json > network.json
  strata export -o dot --dimension isolation | dot -Tsvg > isolation.svg
  strata export -o mermaid
  strata export -o markdown`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("output") {
				a.output = "yaml"
			}
			f, err := a.format("json", "yaml", "dot", "mermaid", "markdown")
			if err != nil {
				return err
			}
			if err := a.load(); err != nil {
				return err
			}
			view := exportView{Network: a.net}
			if dimension != "" {
				d, ok := a.net.Dimension(dimension)
				if !ok {
					return usagef("unknown dimension %s; known: %s", dimension, strings.Join(a.net.DimensionIDs(), ", "))
				}
				view = a.dimensionSubset(d)
			}
			switch f {
			case "dot":
				a.writeDOT(a.stdout, view)
			case "mermaid":
				a.writeMermaid(a.stdout, view)
			case "markdown":
				return kb.WriteMarkdown(a.stdout, view.Network)
			default:
				return encode(a.stdout, f, view.Network)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dimension, "dimension", "", "export only this dimension's values and the facts about them")
	return cmd
}

type exportView struct{ *network.Network }

// dimensionSubset keeps a dimension's values, the facts that touch them, and the entities
// at the other end of those facts: those are values of other dimensions the subset does
// not hold, so they are kept as plain entities (copies without their dimension).
func (a *app) dimensionSubset(d *network.Dimension) exportView {
	in := map[string]bool{}
	for _, v := range d.Values {
		in[v] = true
	}
	sub := &network.Network{Dimensions: []*network.Dimension{d}, Relations: a.net.Relations}
	keep := map[string]bool{}
	for _, f := range a.net.Facts {
		if in[f.Subject] || in[f.Object] {
			sub.Facts = append(sub.Facts, f)
			keep[f.Subject], keep[f.Object] = true, true
		}
	}
	for _, e := range a.net.Entities {
		switch {
		case in[e.ID]:
			sub.Entities = append(sub.Entities, e)
		case keep[e.ID]:
			c := *e
			c.Dimension = ""
			sub.Entities = append(sub.Entities, &c)
		}
	}
	for _, c := range a.net.Chains {
		if in[a.firstTerm(c)] {
			sub.Chains = append(sub.Chains, c)
		}
	}
	return exportView{sub}
}

// quoteDOT quotes a DOT id; a newline becomes DOT's centred line break \n.
func quoteDOT(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func (a *app) writeDOT(w io.Writer, v exportView) {
	fmt.Fprintln(w, "digraph strata {")
	fmt.Fprintln(w, "  rankdir=LR;\n  node [shape=box, fontname=\"Noto Sans CJK SC, sans-serif\"];")
	placed := map[string]bool{}
	for i, d := range v.Dimensions {
		fmt.Fprintf(w, "  subgraph cluster_%d {\n    label=%s;\n", i, quoteDOT(d.ID+" — "+d.Names.String()))
		for _, id := range d.Values {
			e, _ := a.net.Entity(id)
			fmt.Fprintf(w, "    %s [label=%s];\n", quoteDOT(id), quoteDOT(dotLabel(e)))
			placed[id] = true
		}
		fmt.Fprintln(w, "  }")
	}
	for _, e := range v.Entities {
		if !placed[e.ID] {
			fmt.Fprintf(w, "  %s [label=%s, shape=ellipse];\n", quoteDOT(e.ID), quoteDOT(dotLabel(e)))
		}
	}
	for _, f := range v.Facts {
		rt, _ := a.net.Relation(f.Relation)
		label := f.Relation
		if rt.Symbol != "" {
			label = f.Relation + " " + rt.Symbol
		}
		attrs := fmt.Sprintf("label=%s", quoteDOT(label))
		if f.Equal {
			attrs = fmt.Sprintf("label=%s, dir=none, style=dashed", quoteDOT(f.Relation+" ="))
		}
		fmt.Fprintf(w, "  %s -> %s [%s];\n", quoteDOT(f.Subject), quoteDOT(f.Object), attrs)
	}
	fmt.Fprintln(w, "}")
}

func dotLabel(e *network.Entity) string {
	s := e.ID
	if e.Names.En != "" && e.Names.En != e.ID {
		s += "\n" + e.Names.En
	}
	if e.Names.Zh != "" && e.Names.Zh != e.Names.En {
		s += "\n" + e.Names.Zh
	}
	return s
}

var mermaidUnsafe = regexp.MustCompile(`[^A-Za-z0-9_]`)

// mermaidID makes a Mermaid node id from an entity id. Characters Mermaid cannot take are
// replaced by their code points, so distinct ids stay distinct (L-0 and L_0 do not collide).
func mermaidID(id string) string {
	return "n_" + mermaidUnsafe.ReplaceAllStringFunc(id, func(c string) string {
		return fmt.Sprintf("_%x_", []rune(c)[0])
	})
}

func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "\n", "<br/>").Replace(s)
}

func (a *app) writeMermaid(w io.Writer, v exportView) {
	fmt.Fprintln(w, "flowchart LR")
	placed := map[string]bool{}
	for _, d := range v.Dimensions {
		fmt.Fprintf(w, "  subgraph %s [\"%s\"]\n", mermaidID("dim_"+d.ID), mermaidText(d.ID+" — "+d.Names.String()))
		for _, id := range d.Values {
			e, _ := a.net.Entity(id)
			fmt.Fprintf(w, "    %s[\"%s\"]\n", mermaidID(id), mermaidText(dotLabel(e)))
			placed[id] = true
		}
		fmt.Fprintln(w, "  end")
	}
	for _, e := range v.Entities {
		if !placed[e.ID] {
			fmt.Fprintf(w, "  %s([\"%s\"])\n", mermaidID(e.ID), mermaidText(dotLabel(e)))
		}
	}
	for _, f := range v.Facts {
		rt, _ := a.net.Relation(f.Relation)
		label := f.Relation
		if rt.Symbol != "" {
			label += " " + rt.Symbol
		}
		arrow := "-->"
		if f.Equal {
			arrow, label = "---", f.Relation+" ="
		}
		fmt.Fprintf(w, "  %s %s|\"%s\"| %s\n", mermaidID(f.Subject), arrow, mermaidText(label), mermaidID(f.Object))
	}
}

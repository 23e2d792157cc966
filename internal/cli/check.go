package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

func (a *app) checkCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE|DIR...",
		Short: "Validate network files and Markdown knowledge bases: every problem at once, with file:line:col",
		Long: `Validate your own network files on top of the embedded network (or alone with
--no-default): YAML syntax, kinds and fields, unknown ids (with the nearest match), unknown
relation types, duplicate ids, chains that mix < and >, ids with an operator inside left
unquoted in a chain, and contradictions — a cycle in a strict order, a = b together with
a > b, an antisymmetric relation both ways — each cited with the source lines of both
sides, one problem per cycle with its shortest way round (a long one shown by its ends).

Markdown documents (.md) and directories of them are read as a knowledge base (see
strata import): besides the above, rows with missing or extra cells, chains with unknown
ids or labels, and an id defined in two documents differently, each at its Markdown
line; contradictions across documents cite the Markdown line of each side. Characters
that mojibake had damaged and that were chosen without certainty are warnings.
Exit code 1 when there is any problem.`,
		Example: `  strata check my-network.yaml
  strata check --no-default a.yaml b.yaml -o json
  strata check kb/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			l, err := a.loadPaths(cmd.Context(), append(append([]string{}, a.networks...), args...))
			if err != nil {
				return err
			}
			ps := l.problems
			n := l.net
			if n != nil {
				r, err := reason.New(n)
				if err != nil {
					return err
				}
				ps = append(ps, r.Contradictions()...)
			}
			if ps == nil {
				ps = network.Problems{} // JSON [] rather than null, as YAML already writes it
			}
			var warnings network.Problems
			if l.imp != nil {
				warnings = l.imp.Warnings
			}
			if f != "table" {
				if err := encode(a.stdout, f, struct {
					OK       bool             `json:"ok" yaml:"ok"`
					Files    []string         `json:"files" yaml:"files"`
					Problems network.Problems `json:"problems" yaml:"problems"`
					Warnings network.Problems `json:"warnings,omitempty" yaml:"warnings,omitempty"`
				}{len(ps) == 0, args, ps, warnings}); err != nil {
					return err
				}
			} else {
				for _, p := range ps {
					fmt.Fprintln(a.stdout, p.String())
				}
				for _, p := range warnings {
					fmt.Fprintln(a.stdout, "warning: "+p.String())
				}
				files := len(l.in.yaml) + len(l.in.md)
				switch {
				case len(ps) == 0:
					fmt.Fprintf(a.stdout, "ok: %d file(s), %d entities, %d facts, no problems\n", files, len(n.Entities), len(n.Facts))
				default:
					fmt.Fprintf(a.stdout, "%d problem(s)\n", len(ps))
				}
			}
			if len(ps) > 0 {
				return errNo
			}
			return nil
		},
	}
}

package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

func (a *app) checkCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE...",
		Short: "Validate network files: every problem at once, with file:line:col",
		Long: `Validate your own network files on top of the embedded network (or alone with
--no-default): YAML syntax, kinds and fields, unknown ids (with the nearest match), unknown
relation types, duplicate ids, chains that mix < and >, ids with an operator inside left
unquoted in a chain, and contradictions — a cycle in a strict order, a = b together with
a > b, an antisymmetric relation both ways — each cited with the source lines of both
sides, one problem per cycle with its shortest way round (a long one shown by its ends).
Exit code 1 when there is any problem.`,
		Example: `  strata check my-network.yaml
  strata check --no-default a.yaml b.yaml -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			var files []network.File
			if !a.noDefault {
				files = network.DefaultFiles()
			}
			extra, err := network.ReadFiles(append(append([]string{}, a.networks...), args...)...)
			if err != nil {
				return usageError{err}
			}
			files = append(files, extra...)
			var ps network.Problems
			n, err := network.Load(files)
			if err != nil {
				var ok bool
				if ps, ok = network.AsProblems(err); !ok {
					return err
				}
			} else {
				r, err := reason.New(n)
				if err != nil {
					return err
				}
				ps = r.Contradictions()
			}
			if ps == nil {
				ps = network.Problems{} // JSON [] rather than null, as YAML already writes it
			}
			if f != "table" {
				if err := encode(a.stdout, f, struct {
					OK       bool             `json:"ok" yaml:"ok"`
					Files    []string         `json:"files" yaml:"files"`
					Problems network.Problems `json:"problems" yaml:"problems"`
				}{len(ps) == 0, args, ps}); err != nil {
					return err
				}
			} else {
				for _, p := range ps {
					fmt.Fprintln(a.stdout, p.String())
				}
				if len(ps) == 0 {
					fmt.Fprintf(a.stdout, "ok: %d file(s), %d entities, %d facts, no problems\n", len(args), len(n.Entities), len(n.Facts))
				} else {
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

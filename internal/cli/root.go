package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// Exit codes.
const (
	exitOK      = 0
	exitNo      = 1 // the answer is "no", or the input has problems
	exitUsage   = 2
	exitFailure = 3 // strata itself failed (I/O and the like)
)

// errNo is returned by a command whose answer is "no"; it prints nothing more.
var errNo = errors.New("no")

// usageError marks a mistake in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// inputError marks problems in the user's files.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

// app is the state shared by every command: global flags and the loaded network.
type app struct {
	networks     []string
	noDefault    bool
	newRelations bool
	output       string
	stdout       io.Writer
	stderr       io.Writer

	net *network.Network
	rsn *reason.Reasoner
	// kbReaders keeps the Markdown reader between loads of serve --watch
	kbReaders kbReaders
	// watched is the reasoner of serve --watch's last good reload, which the next one is
	// updated from (reason.Update); nil before the first, which is updated from rsn
	watched *reason.Reasoner
}

// Run runs strata with the arguments (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	out := &checkedWriter{w: stdout}
	a := &app{stdout: out, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(stderr)
	// What cobra adds at Execute (help, completion) gets the same marking as the rest.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd(args...)
	dispatched := false
	markDispatch(root, &dispatched)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && !dispatched {
		// Cobra failed before any command ran: the command line itself is wrong (an unknown
		// command, a bad flag, the wrong number of arguments, a missing required flag).
		err = usageError{err}
	}
	if out.err != nil && (err == nil || exitCode(err) == exitNo) {
		// The answer did not reach its reader (a full disk, a closed file): that is the
		// outcome, not the answer's own 0 or 1.
		err = fmt.Errorf("write standard output: %w", out.err)
	}
	code := exitCode(err)
	switch code {
	case exitOK:
		return code
	case exitNo:
		var ie inputError
		if errors.As(err, &ie) {
			fmt.Fprintln(stderr, ie.Error())
		}
		return code
	case exitUsage:
		fmt.Fprintf(stderr, "strata: %v\n", err)
		// Name the command that was misused, so the hint points at its own help.
		if cmd != nil && cmd != root {
			fmt.Fprintf(stderr, "Usage: %s\n", cmd.UseLine())
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		} else {
			fmt.Fprintln(stderr, "Run 'strata --help' for usage.")
		}
		return code
	}
	fmt.Fprintf(stderr, "strata: %v\n", err)
	return code
}

// checkedWriter remembers the first error of a write, and refuses every write after it:
// a command that prints its answer with fmt.Fprint* does not look at each write's error,
// and one lost line would make the rest a wrong answer.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err != nil {
		c.err = err
	}
	return n, err
}

// exitCode is the exit code for a command's error: by its type, never by its text.
func exitCode(err error) int {
	var ue usageError
	var ie inputError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errNo), errors.As(err, &ie):
		return exitNo
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitFailure
}

// markDispatch makes every command of the tree set *dispatched when its Run or RunE
// starts: cobra has then parsed and checked the command line, so an error after that is
// the command's own, and one before it a usage error.
func markDispatch(c *cobra.Command, dispatched *bool) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*dispatched = true
			return run(cmd, args)
		}
	}
	if run := c.Run; run != nil {
		c.Run = func(cmd *cobra.Command, args []string) {
			*dispatched = true
			run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markDispatch(sub, dispatched)
	}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "strata",
		Short: "Reason over the multi-dimensional relation network of the cloud-native stack",
		Long: `strata turns the relation network of the cloud-native stack — isolation layers
(L-0 hardware … L-4 sandbox), architecture views, the timeline, scenarios, observability
and the X/Y/Z coordinate axes — into answers you can check.

The embedded default network holds every fact of the seed document; add your own files
with --network (they overlay it) or replace it with --no-default.`,
		Example: `  strata show isolation
  strata compare L-4 L-2
  strata why L-4 '>' L-2 --relation isolation-strength
  strata rank isolation-strength
  strata pareto isolation-strength:max overhead:min
  strata check my-network.yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringArrayVar(&a.networks, "network", nil, "network `FILE` (YAML or Markdown) or directory of them to load on top of the embedded one (repeatable)")
	pf.BoolVar(&a.newRelations, "new-relations", false, "in Markdown, a chain label that names no relation type declares one (otherwise it is a problem)")
	pf.BoolVar(&a.noDefault, "no-default", false, "do not load the embedded default network; use only --network files")
	pf.StringVarP(&a.output, "output", "o", "table", "output `format`: table, json or yaml")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(a.showCommand(), a.compareCommand(), a.whyCommand(), a.rankCommand(),
		a.pathCommand(), a.paretoCommand(), a.checkCommand(), a.importCommand(), a.exportCommand(),
		a.planCommand(), a.scenariosCommand(), a.coordinatesCommand(), a.benchCommand(), a.verifyCommand(), a.serveCommand(), a.probeCommand(), a.locateCommand(), a.fleetCommand())
	return root
}

// format checks -o against the formats a command supports.
func (a *app) format(allowed ...string) (string, error) {
	if len(allowed) == 0 {
		allowed = []string{"table", "json", "yaml"}
	}
	for _, f := range allowed {
		if a.output == f {
			return f, nil
		}
	}
	return "", usagef("output format %q is not supported here; use one of: %s", a.output, strings.Join(allowed, ", "))
}

// load loads the network once: the embedded default (unless --no-default) plus --network files.
func (a *app) load() error {
	if a.net != nil {
		return nil
	}
	if a.noDefault && len(a.networks) == 0 {
		return usagef("--no-default needs at least one --network FILE")
	}
	l, err := a.loadPaths(context.Background(), a.networks)
	if err != nil {
		return err // a file named on the command line is missing: a usage error, as in check
	}
	if ps := l.problems; len(ps) > 0 {
		return inputError{fmt.Errorf("%s\n%d problem(s) in the network; fix them and run again (strata check lists them)", ps.Error(), len(ps))}
	}
	n := l.net
	r, err := reason.New(n)
	if err != nil {
		return err
	}
	a.net, a.rsn = n, r
	return nil
}

// entity resolves a command-line name to an entity; an unknown one is a usage error.
func (a *app) entity(name string) (*network.Entity, error) {
	e, err := a.net.Resolve(name)
	if err != nil {
		return nil, usageError{err}
	}
	return e, nil
}

func (a *app) relation(name string) (*reason.Relation, error) {
	r, err := a.rsn.Relation(name)
	if err != nil {
		return nil, usageError{err}
	}
	return r, nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/measured"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/probe"
)

// measureFlags are the flags that plan with what was measured on a host.
type measureFlags struct {
	results    []string // --measured: strata bench -o json files
	host       string   // --host: a strata probe -o json file
	allowStale bool
	maxAge     time.Duration
}

func (m *measureFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&m.results, "measured", nil, "plan with the figures strata bench -o json measured in `FILE` (repeatable) where they cover the declared ones")
	fl.StringVar(&m.host, "host", "", "plan for the host strata probe -o json described in `FILE`: no runtime whose handler it cannot serve; its kernel and runtime versions judge the results' freshness (default with --measured: probe this host)")
	fl.BoolVar(&m.allowStale, "allow-stale", false, "use results and a host report older than --max-age or from another kernel or runtime version (marked stale)")
	fl.DurationVar(&m.maxAge, "max-age", 30*24*time.Hour, "results and host reports older than this `duration` are stale (0: any age)")
}

// measuring returns the planner to plan with: p with the host's exclusions (--host) and
// the measured figures (--measured), and the notes to print beside the plans.
func (a *app) measuring(ctx context.Context, p *plan.Planner, m measureFlags) (*plan.Planner, []string, error) {
	if len(m.results) == 0 && m.host == "" {
		return p, nil, nil
	}
	now := probeEnv.now()
	var notes []string
	var host *probe.Report
	hostSource := ""
	if m.host != "" {
		r, err := readInput(m.host, measured.ReadProbe)
		if err != nil {
			return nil, nil, err
		}
		switch age := now.Sub(r.Host.Time); {
		case m.maxAge <= 0 || m.allowStale:
		case age > m.maxAge:
			return nil, nil, inputError{fmt.Errorf("%s: the host was probed %s, more than --max-age %s ago: probe it again (strata probe -o json), or pass --allow-stale", m.host, r.Host.Time.Format(time.RFC3339), m.maxAge)}
		case age < -measured.ClockSlack:
			return nil, nil, inputError{fmt.Errorf("%s: the host was probed %s, %s after now: its age cannot be judged against --max-age (a clock is wrong); probe it again (strata probe -o json), or pass --allow-stale", m.host, r.Host.Time.Format(time.RFC3339), (-age).Round(time.Second))}
		}
		host, hostSource = r, m.host
		p = p.Excluding(measured.HostExclusion(a.net, m.host, r))
		notes = measured.HostNotes(a.net, m.host, r)
	}
	if len(m.results) == 0 {
		return p, notes, nil
	}
	var benches []measured.Bench
	for _, f := range m.results {
		r, err := readInput(f, measured.ReadBench)
		if err != nil {
			return nil, nil, err
		}
		benches = append(benches, measured.Bench{Name: f, Results: r})
	}
	if host == nil {
		h, err := probeEnv.host()
		if err != nil {
			return nil, nil, err
		}
		r, err := probe.Run(ctx, h, probe.Options{EmbeddedWasm: probeEnv.embedded(), Now: probeEnv.now})
		if err != nil {
			return nil, nil, fmt.Errorf("probe this host to judge the results' freshness: %w", err)
		}
		host, hostSource = &r, "the local probe"
	}
	ms, err := measured.Figures(a.net, benches, measured.Options{Now: now, MaxAge: m.maxAge, AllowStale: m.allowStale, Host: host, HostSource: hostSource})
	if err != nil {
		return nil, nil, inputError{err}
	}
	ms.Notes = append(ms.Notes, notes...)
	return p.Measuring(ms), nil, nil
}

// readInput reads and decodes a results or probe file: an unreadable file is a usage
// error, one that is not what strata wrote an input error with file:line:col.
func readInput[T any](path string, read func(string, []byte) (T, error)) (T, error) {
	var zero T
	b, err := measured.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return zero, usageError{err}
	}
	if err == nil {
		var v T
		if v, err = read(path, b); err == nil {
			return v, nil
		}
	}
	if ps, ok := network.AsProblems(err); ok {
		return zero, inputError{ps}
	}
	return zero, err
}

// writeMeasured writes what a plan made with measurements says about them.
func writeMeasured(w io.Writer, m *plan.Measured) {
	if m == nil {
		return
	}
	if len(m.Flips) > 0 || m.DeclaredCoordinates != nil {
		fmt.Fprintln(w, "\nchanged by measurements")
		for _, f := range m.Flips {
			fmt.Fprintf(w, "  %s: %s\n", f.Role, f.Because)
		}
		if c := m.DeclaredCoordinates; c != nil {
			fmt.Fprintf(w, "  (X, Y, Z) from declared figures alone: %s\n", c)
		}
	}
	fmt.Fprintln(w, "\nfigures")
	t := &table{header: []string{"TECHNOLOGY", "FIGURE"}}
	for _, f := range m.Figures {
		t.add(f.Technology, f.String())
	}
	t.write(w)
	if len(m.Notes) > 0 {
		fmt.Fprintln(w, "\nnotes")
		for _, n := range m.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	fmt.Fprintln(w, "\nmeasured")
	for _, s := range m.Sources {
		fmt.Fprintf(w, "  %s\n", s)
	}
}

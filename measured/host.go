package measured

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/probe"
)

// staleness says why one driver's results no longer describe the host, or "": older
// than MaxAge, another kernel, or another version of the technology than the host
// reports now (or none at all).
func staleness(t *technology, b Bench, dr *bench.DriverResult, opt Options) string {
	var why []string
	r := b.Results
	switch age := opt.Now.Sub(r.Started); {
	case opt.MaxAge > 0 && age > opt.MaxAge:
		why = append(why, fmt.Sprintf("measured %s, %s ago, more than --max-age %s", r.Started.UTC().Format("2006-01-02"), days(age), days(opt.MaxAge)))
	case opt.MaxAge > 0 && age < -ClockSlack:
		// A date after now has no age to judge: the bench host's clock or this one's is
		// wrong, or the file was edited.
		why = append(why, fmt.Sprintf("measured %s, %s after now: its age cannot be judged against --max-age (a clock is wrong)", r.Started.UTC().Format("2006-01-02"), days(-age)))
	}
	if opt.Host == nil {
		return strings.Join(why, "; ")
	}
	now := opt.Host.Host
	if r.Host.Kernel != now.Kernel && r.Host.Kernel != "" && now.Kernel != "" {
		why = append(why, fmt.Sprintf("measured on kernel %s; %s runs %s now (%s)", r.Host.Kernel, now.Hostname, now.Kernel, opt.HostSource))
	}
	if t.probeCheck != "" {
		if c, ok := opt.Host.Check(t.probeCheck); ok {
			switch {
			case c.Result != probe.Pass && c.Result != probe.Warn:
				why = append(why, fmt.Sprintf("%s has no %s now (%s: %s %s: %s)", now.Hostname, t.e.ID, opt.HostSource, c.ID, c.Result, c.Evidence))
			default:
				then, cur := VersionOf(dr.Version), VersionOf(c.Version)
				if cur == "" {
					cur = VersionOf(c.Evidence)
				}
				if then != "" && cur != "" && then != cur {
					why = append(why, fmt.Sprintf("measured with %s %s; %s has %s now (%s)", t.e.ID, then, now.Hostname, cur, opt.HostSource))
				}
			}
		}
	}
	return strings.Join(why, "; ")
}

// ClockSlack is how far after now results and host reports may say they were taken before
// they are stale: the clocks of the host that measured and of the one that plans may
// differ a little.
const ClockSlack = 5 * time.Minute

// days writes a duration in days, or hours below two days.
func days(d time.Duration) string {
	if d >= 48*time.Hour {
		return strconv.FormatFloat(math.Floor(d.Hours()/24*10)/10, 'f', -1, 64) + " days"
	}
	return d.Round(time.Minute).String()
}

// VersionOf is the version in a runtime's version line: its first word that holds a digit
// and a dot, without a leading v ("runc version 1.1.5+ds1" → 1.1.5+ds1, "wazero v1.12.0"
// → 1.12.0, "containerd github.com/containerd/containerd 1.6.20~ds1 …" → 1.6.20~ds1).
func VersionOf(s string) string {
	for _, w := range strings.Fields(s) {
		w = strings.TrimRight(strings.TrimPrefix(w, "v"), ",;:)")
		if strings.ContainsAny(w, "0123456789") && strings.Contains(w, ".") && !strings.Contains(w, "/") {
			return w
		}
	}
	return ""
}

// HostExclusion excludes every isolation runtime whose containerd handler the probe report
// says the host cannot serve, with the probe's reason and the evidence of the checks that
// failed; name is the report's source (probe.json), which rejections are attributed to.
func HostExclusion(n *network.Network, name string, r *probe.Report) plan.Exclusion {
	return plan.Exclusion{Name: "host " + name, Why: func(role, tech string) string {
		if role != plan.RoleRuntime {
			return ""
		}
		e, ok := n.Entity(tech)
		if !ok {
			return ""
		}
		h, ok := e.Attr("handler")
		if !ok {
			return ""
		}
		for _, hd := range r.Handlers {
			if hd.Name != h.String || hd.Offered {
				continue
			}
			var ev []string
			for _, id := range hd.Checks {
				if c, ok := r.Check(id); ok && c.Result != probe.Pass && c.Result != probe.Warn {
					ev = append(ev, fmt.Sprintf("%s %s: %s", c.ID, c.Result, strings.TrimPrefix(c.Evidence, c.ID+": ")))
				}
			}
			if len(ev) == 0 {
				ev = []string{hd.Because}
			}
			return fmt.Sprintf("%s cannot serve handler %s (%s): %s", r.Host.Hostname, h.String, name, strings.Join(ev, "; "))
		}
		return ""
	}}
}

// HostNotes are remarks on what a probe report cannot say: runtimes of the network whose
// handler the probe has no rule for, which the host therefore does not constrain.
func HostNotes(n *network.Network, name string, r *probe.Report) []string {
	have := map[string]bool{}
	for _, hd := range r.Handlers {
		have[hd.Name] = true
	}
	var out []string
	for _, e := range n.Entities {
		h, ok := e.Attr("handler")
		if !ok || have[h.String] {
			continue
		}
		why := "strata probe has no rule for it"
		if len(r.Host.Layers) > 0 {
			why += " or the probe kept only " + strings.Join(r.Host.Layers, ", ")
		}
		out = append(out, fmt.Sprintf("%s says nothing of handler %s (%s): %s is not constrained by the host", name, h.String, why, e.ID))
	}
	return out
}

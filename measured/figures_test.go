package measured

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/plantest"
	"github.com/strata-dev/strata/probe"
)

// The files under testdata are real runs on this project's development VM (Debian 12,
// 2 cores under heavy load, kernel 6.18.44-fc-v857, KVM through PVM); see testdata/README.md.
const (
	quickFile = "testdata/bench-quick.json" // strata bench --quick -o json
	probeFile = "testdata/probe.json"       // strata probe -o json, as root
	benchFile = "testdata/bench.json"       // strata bench --runs 30 -o json
)

func loadNet(t testing.TB, extra ...network.File) *network.Network {
	t.Helper()
	return plantest.Network(t, extra...)
}

func planner(t testing.TB, n *network.Network) *plan.Planner {
	t.Helper()
	_, p := plantest.Planner(t, n)
	return p
}

func readBench(t testing.TB, path string) Bench {
	t.Helper()
	b, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadBench(path, b)
	if err != nil {
		t.Fatal(err)
	}
	return Bench{Name: path, Results: r}
}

func readProbe(t testing.TB, path string) *probe.Report {
	t.Helper()
	b, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadProbe(path, b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rawMedians reads a results file with encoding/json into plain maps, apart from
// ReadBench, and returns each driver's median of its start samples computed here.
func rawMedians(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Drivers []struct {
			Name    string
			Results []struct {
				Workload string
				Samples  []float64
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string][]float64{}
	for _, d := range doc.Drivers {
		for _, r := range d.Results {
			if r.Workload == "start" && len(r.Samples) > 0 {
				out[d.Name] = slices.Sorted(slices.Values(r.Samples))
			}
		}
	}
	return out
}

func fresh(b Bench) time.Time { return b.Results.Started.Add(time.Hour) }

func figureOf(m plan.Measurements, tech string) (plan.Figure, bool) {
	for _, f := range m.Figures {
		if f.Technology == tech && f.Attribute == "startup-ms" {
			return f, true
		}
	}
	return plan.Figure{}, false
}

func gapOf(m plan.Measurements, tech string) string {
	for _, g := range m.Gaps {
		if g.Technology == tech && g.Attribute == "startup-ms" {
			return g.Why
		}
	}
	return ""
}

// TestFiguresRecorded maps a real strata bench --quick run onto the default network's
// technologies as 85-measured.yaml says.
func TestFiguresRecorded(t *testing.T) {
	n := loadNet(t)
	b := readBench(t, quickFile)
	host := readProbe(t, probeFile)
	m, err := Figures(n, []Bench{b}, Options{Now: fresh(b), MaxAge: 30 * 24 * time.Hour, Host: host, HostSource: probeFile})
	if err != nil {
		t.Fatal(err)
	}
	raw := rawMedians(t, quickFile)
	want := map[string]struct{ driver, note string }{
		"runc":       {"runc", "without containerd's shim"},
		"crun":       {"crun", "without containerd's shim"},
		"containerd": {"containerd", "runc v2 shim"},
		"gVisor":     {"gvisor-ptrace", "platform ptrace"}, // systrap is not available in this runsc
		"wazero":     {"wazero", "optimizing compiler"},
		"node-wasi":  {"node-wasi", "node:wasi"},
		"KVM":        {"kvm-direct", "floor"},
	}
	for tech, w := range want {
		f, ok := figureOf(m, tech)
		if !ok {
			t.Errorf("%s: no figure; gap: %s", tech, gapOf(m, tech))
			continue
		}
		s := raw[w.driver]
		med := s[len(s)/2]
		if len(s)%2 == 0 {
			med = (s[len(s)/2-1] + s[len(s)/2]) / 2
		}
		if f.Driver != w.driver || !strings.Contains(f.Note, w.note) || f.Kind != network.Measured || f.Value != med || f.N != len(s) {
			t.Errorf("%s: %+v; want driver %s, note %q, median %v of %d", tech, f, w.driver, w.note, med, len(s))
		}
		if f.CI == nil || f.CI.Lo != s[0] || f.CI.Hi != s[len(s)-1] || f.CI.Level != 1-2.0/32 {
			t.Errorf("%s: interval %+v; five samples give their range at 93.75%%", tech, f.CI)
		}
		if !strings.HasPrefix(f.String(), "startup-ms ") || !strings.Contains(f.String(), "measured ("+quickFile+", "+w.driver) {
			t.Errorf("%s: %s", tech, f)
		}
	}
	if f, _ := figureOf(m, "gVisor"); !strings.Contains(f.String(), "platform ptrace") {
		t.Errorf("gVisor's platform not noted: %s", f)
	}
	for tech, why := range map[string]string{
		"WasmEdge":   "strata bench has no wasmedge driver",
		"spin":       "strata bench has no spin driver",
		"kata-qemu":  "strata bench has no kata-qemu driver",
		"kata-fc":    "strata bench has no kata-fc driver",
		"QEMU":       "qemu-microvm measured start 3 times, fewer than bench-min-samples 5",
		"Gatekeeper": "the network names no strata bench driver for Gatekeeper",
	} {
		if _, ok := figureOf(m, tech); ok {
			t.Errorf("%s measured", tech)
		}
		if g := gapOf(m, tech); !strings.Contains(g, why) {
			t.Errorf("%s: gap %q, want %q", tech, g, why)
		}
	}
	// Raw namespaces are no technology; every other driver of the run measures one.
	if len(m.Notes) != 1 || m.Notes[0] != quickFile+": driver namespaces measures no technology of the network (no technology lists it in bench-drivers)" {
		t.Errorf("notes %q", m.Notes)
	}
	if len(m.Sources) != 2 || !strings.Contains(m.Sources[0], "kernel 6.18.44-fc-v857") {
		t.Errorf("sources %v", m.Sources)
	}
}

func TestFiguresStale(t *testing.T) {
	n := loadNet(t)
	b := readBench(t, quickFile)
	host := readProbe(t, probeFile)
	month := 30 * 24 * time.Hour
	edit := func(f func(r *probe.Report)) *probe.Report {
		c := *host
		c.Checks = slices.Clone(host.Checks)
		f(&c)
		return &c
	}
	setCheck := func(id string, f func(c *probe.Check)) func(r *probe.Report) {
		return func(r *probe.Report) {
			for i := range r.Checks {
				if r.Checks[i].ID == id {
					f(&r.Checks[i])
				}
			}
		}
	}
	cases := []struct {
		name  string
		now   time.Time
		host  *probe.Report
		stale []string // technologies whose figure is stale
		why   string
	}{
		{"old", b.Results.Started.Add(31 * 24 * time.Hour), host, []string{"runc", "crun", "gVisor", "wazero", "KVM"}, "31 days ago, more than --max-age 30 days"},
		{"another kernel", fresh(b), edit(func(r *probe.Report) { r.Host.Kernel = "6.19.0" }), []string{"runc", "gVisor", "KVM"}, "measured on kernel 6.18.44-fc-v857; vm runs 6.19.0 now"},
		{"runc upgraded", fresh(b), edit(setCheck("runc", func(c *probe.Check) { c.Version = "1.2.0" })), []string{"runc"}, "measured with runc 1.1.5+ds1; vm has 1.2.0 now"},
		{"runc gone", fresh(b), edit(setCheck("runc", func(c *probe.Check) { c.Result, c.Evidence = probe.Skip, "runc: not on PATH" })), []string{"runc"}, "vm has no runc now"},
		{"wazero upgraded", fresh(b), edit(setCheck("embedded-wasm", func(c *probe.Check) { c.Evidence = "wazero v1.13.0 is linked into this program" })), []string{"wazero"}, "measured with wazero 1.12.0; vm has 1.13.0 now"},
		// Results dated after now have no age --max-age could judge: a wrong clock (the bench
		// host's or this one's) or an edited file.
		{"from the future", b.Results.Started.Add(-2 * time.Hour), host, []string{"runc", "crun", "gVisor", "wazero", "KVM"}, "measured 2026-12-02, 2h0m0s after now: its age cannot be judged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, allow := range []bool{false, true} {
				m, err := Figures(n, []Bench{b}, Options{Now: tc.now, MaxAge: month, Host: tc.host, HostSource: "p.json", AllowStale: allow})
				if err != nil {
					t.Fatal(err)
				}
				for _, tech := range tc.stale {
					f, ok := figureOf(m, tech)
					switch {
					case !allow && ok:
						t.Errorf("%s: stale figure used: %s", tech, f)
					case !allow && !strings.Contains(gapOf(m, tech), tc.why):
						t.Errorf("%s: gap %q, want %q", tech, gapOf(m, tech), tc.why)
					case allow && (!ok || !strings.Contains(f.Stale, tc.why) || !strings.Contains(f.String(), "stale: ")):
						t.Errorf("%s with --allow-stale: %+v", tech, f)
					}
				}
				if len(tc.stale) == 1 {
					if f, ok := figureOf(m, "crun"); !ok || f.Stale != "" {
						t.Errorf("crun's fresh figure: %+v", f)
					}
				}
				notes := strings.Join(m.Notes, "\n")
				if !strings.Contains(notes, "is stale: ") || !strings.Contains(notes, tc.why) {
					t.Errorf("notes do not say it is stale:\n%s", notes)
				}
			}
		})
	}
	m, err := Figures(n, []Bench{b}, Options{Now: fresh(b)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := figureOf(m, "runc"); !ok || !slices.ContainsFunc(m.Notes, func(s string) bool { return strings.Contains(s, "not compared") }) {
		t.Errorf("without a host report the figures are used and the plan says versions were not compared: %v", m.Notes)
	}
}

// TestFiguresNewestFirst: of two results of the same driver, the newer stands.
func TestFiguresNewestFirst(t *testing.T) {
	n := loadNet(t)
	older := readBench(t, quickFile)
	newer := readBench(t, quickFile)
	newer.Name = "newer.json"
	newer.Results.Started = older.Results.Started.Add(time.Hour)
	for i := range newer.Results.Drivers {
		if d := &newer.Results.Drivers[i]; d.Name == "runc" {
			for j := range d.Results[0].Samples {
				d.Results[0].Samples[j] *= 2
			}
		}
	}
	m, err := Figures(n, []Bench{older, newer}, Options{Now: fresh(newer)})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := figureOf(m, "runc"); f.Source != "newer.json" {
		t.Errorf("runc from %s, want the newer results", f.Source)
	}
}

// TestFiguresData: what "comparable" means is the network's data; changing it changes the
// figures, and data that cannot be read is a problem at its file:line.
func TestFiguresData(t *testing.T) {
	b := readBench(t, quickFile)
	overlay := func(body string) network.File {
		return network.File{Name: "mine.yaml", Data: []byte("apiVersion: strata.dev/v1alpha1\nkind: Entities\nmetadata: {name: mine}\nspec:\n  items:\n" + body)}
	}
	// The cpu workload is timed by the workload's own clock: a startup measurement that asks
	// for the host clock finds it not comparable, one that asks for the workload clock uses it.
	for clock, comparable := range map[string]bool{"host": false, "workload": true} {
		n := loadNet(t, overlay("    - {id: startup-measurement, merge: true, attributes: {bench-workload: cpu, bench-clock: "+clock+"}}\n"))
		m, err := Figures(n, []Bench{b}, Options{Now: fresh(b)})
		if err != nil {
			t.Fatal(err)
		}
		f, ok := figureOf(m, "runc")
		if ok != comparable {
			t.Errorf("clock %s: runc figure %v, gap %q", clock, ok, gapOf(m, "runc"))
		}
		if !comparable && !strings.Contains(gapOf(m, "runc"), "timed by the workload clock; startup-ms needs the host clock") {
			t.Errorf("clock %s: gap %q", clock, gapOf(m, "runc"))
		}
		if comparable && f.Value != rawCPU(t, "runc") {
			t.Errorf("runc cpu figure %v", f.Value)
		}
	}
	bad := []struct{ body, want string }{
		{"    - {id: runc, merge: true, attributes: {bench-notes: [nonsense]}}\n", `bench-notes entry "nonsense" is not DRIVER=NOTE`},
		{"    - {id: runc, merge: true, attributes: {bench-notes: [qemu-pc=x]}}\n", "bench-notes names qemu-pc, which bench-drivers does not list"},
		{"    - {id: runc, merge: true, attributes: {bench-covers: [startup-s]}}\n", "bench-covers names startup-s, which no measurement defines"},
		{"    - {id: youki, category: technology, attributes: {bench-drivers: [runc]}}\n", "driver runc is already listed by runc"},
		{"    - {id: youki, category: technology, attributes: {bench-covers: [startup-ms]}}\n", "bench-covers without bench-drivers"},
		{"    - {id: startup-measurement, merge: true, attributes: {bench-clock: wall}}\n", `bench-clock "wall" is not one of them`},
		{"    - {id: startup-measurement, merge: true, attributes: {bench-unit: KiB}}\n", "bench-unit KiB cannot be converted to ms"},
		{"    - {id: startup-measurement, merge: true, attributes: {bench-min-samples: 0}}\n", "bench-min-samples is not a positive integer"},
		{"    - {id: other-startup, category: concept, attributes: {measures: startup-ms, unit: ms, bench-workload: start, bench-clock: host, bench-statistic: median, bench-unit: ms}}\n", "startup-ms is already measured by startup-measurement"},
		{"    - {id: footprint, category: concept, attributes: {measures: workload-footprint-mb}}\n", "a measurement needs unit"},
	}
	for _, tc := range bad {
		n := loadNet(t, overlay(tc.body))
		_, err := Figures(n, []Bench{b}, Options{Now: fresh(b)})
		ps, ok := network.AsProblems(err)
		if !ok || !strings.Contains(ps.Error(), tc.want) || !strings.HasPrefix(ps[0].Pos.String(), "mine.yaml:") {
			t.Errorf("%s: got %v, want a problem at mine.yaml: %q", strings.TrimSpace(tc.body), err, tc.want)
		}
	}
}

func rawCPU(t *testing.T, driver string) float64 {
	b, _ := os.ReadFile(quickFile)
	var doc struct {
		Drivers []struct {
			Name    string
			Results []struct {
				Workload string
				Samples  []float64
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, d := range doc.Drivers {
		for _, r := range d.Results {
			if d.Name == driver && r.Workload == "cpu" {
				return Median(slices.Sorted(slices.Values(r.Samples)))
			}
		}
	}
	t.Fatalf("no cpu result of %s", driver)
	return 0
}

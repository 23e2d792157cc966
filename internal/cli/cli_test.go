package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/strata-dev/strata/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// result is what one strata invocation printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// strata runs the CLI in-process, as main does.
func strata(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return result{out.String(), errOut.String(), code}
}

// checkGolden compares the output with testdata/golden/<name>.golden: stdout, then stderr
// after a "-- stderr --" line when there is any. -update rewrites the file.
func checkGolden(t *testing.T, name string, r result) {
	t.Helper()
	got := r.stdout
	if r.stderr != "" {
		got += "-- stderr --\n" + r.stderr
	}
	golden.Check(t, filepath.Join("testdata", "golden", name+".golden"), []byte(got), *update)
}

// format is the -o value in args, "" when there is none.
func format(args []string) string {
	for i, a := range args {
		switch {
		case (a == "-o" || a == "--output") && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, "-o="), strings.HasPrefix(a, "--output="):
			return a[strings.Index(a, "=")+1:]
		}
	}
	if len(args) > 0 && args[0] == "export" {
		return "yaml"
	}
	return ""
}

// parses checks that JSON and YAML output is what it says it is.
func parses(t *testing.T, f, out string) {
	t.Helper()
	var v any
	switch f {
	case "json":
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("-o json output does not parse as JSON: %v", err)
		}
	case "yaml":
		if err := yaml.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("-o yaml output does not parse as YAML: %v", err)
		}
		if v == nil {
			t.Errorf("-o yaml output is empty")
		}
	}
}

// goldenCases pin every command in every format it supports, and the usage errors.
var goldenCases = []struct {
	name string
	args []string
	code int
}{
	{"show", []string{"show"}, exitOK},
	{"show-json", []string{"show", "-o", "json"}, exitOK},
	{"show-yaml", []string{"show", "-o", "yaml"}, exitOK},
	{"show-isolation", []string{"show", "isolation"}, exitOK},
	{"show-isolation-json", []string{"show", "isolation", "-o", "json"}, exitOK},
	{"show-isolation-yaml", []string{"show", "isolation", "-o", "yaml"}, exitOK},
	{"show-entity", []string{"show", "L-3"}, exitOK},
	{"show-entity-json", []string{"show", "L-3", "-o", "json"}, exitOK},
	{"show-entity-yaml", []string{"show", "L-3", "-o", "yaml"}, exitOK},

	{"compare", []string{"compare", "L-4", "L-2"}, exitOK},
	{"compare-json", []string{"compare", "L-4", "L-2", "-o", "json"}, exitOK},
	{"compare-yaml", []string{"compare", "L-4", "L-2", "-o", "yaml"}, exitOK},
	{"compare-unrelated", []string{"compare", "L-4", "KVM"}, exitNo},
	{"compare-unrelated-json", []string{"compare", "L-4", "KVM", "-o", "json"}, exitNo},

	{"why", []string{"why", "L-4", ">", "L-2", "--relation", "isolation-strength"}, exitOK},
	{"why-json", []string{"why", "L-4", ">", "L-2", "--relation", "isolation-strength", "-o", "json"}, exitOK},
	{"why-yaml", []string{"why", "L-4", ">", "L-2", "--relation", "isolation-strength", "-o", "yaml"}, exitOK},
	{"why-not", []string{"why", "L-2", ">", "L-4", "--relation", "isolation-strength"}, exitNo},
	{"why-not-json", []string{"why", "L-2", ">", "L-4", "--relation", "isolation-strength", "-o", "json"}, exitNo},
	{"why-equal", []string{"why", "L-0", "=", "L-4", "--relation", "isolation-strength"}, exitOK},
	{"why-every-order", []string{"why", "L-2", ">", "L-4"}, exitOK},

	{"rank-isolation", []string{"rank", "isolation-strength"}, exitOK},
	{"rank-isolation-json", []string{"rank", "isolation-strength", "-o", "json"}, exitOK},
	{"rank-isolation-yaml", []string{"rank", "isolation-strength", "-o", "yaml"}, exitOK},
	{"rank-overhead", []string{"rank", "overhead"}, exitOK},

	{"path-architecture", []string{"path", "A1", "A7"}, exitOK},
	{"path-architecture-json", []string{"path", "A1", "A7", "-o", "json"}, exitOK},
	{"path-architecture-yaml", []string{"path", "A1", "A7", "-o", "yaml"}, exitOK},
	{"path-timeline", []string{"path", "T1", "T5"}, exitOK},
	{"path-none", []string{"path", "A7", "A1"}, exitNo},

	{"pareto", []string{"pareto", "isolation-strength:max", "overhead:min"}, exitOK},
	{"pareto-json", []string{"pareto", "isolation-strength:max", "overhead:min", "-o", "json"}, exitOK},
	{"pareto-yaml", []string{"pareto", "isolation-strength:max", "overhead:min", "-o", "yaml"}, exitOK},

	{"check-good", []string{"check", "testdata/overlay.yaml"}, exitOK},
	{"check-good-json", []string{"check", "testdata/overlay.yaml", "-o", "json"}, exitOK},
	{"check-bad", []string{"check", "testdata/bad.yaml"}, exitNo},
	{"check-bad-json", []string{"check", "testdata/bad.yaml", "-o", "json"}, exitNo},
	{"check-bad-yaml", []string{"check", "testdata/bad.yaml", "-o", "yaml"}, exitNo},
	{"check-contradiction", []string{"check", "testdata/contradiction.yaml"}, exitNo},

	{"export-json", []string{"export", "-o", "json"}, exitOK},
	{"export-yaml", []string{"export", "-o", "yaml"}, exitOK},
	{"export-dot", []string{"export", "-o", "dot"}, exitOK},
	{"export-mermaid", []string{"export", "-o", "mermaid"}, exitOK},
	{"export-markdown", []string{"export", "-o", "markdown"}, exitOK},
	{"export-dot-isolation", []string{"export", "-o", "dot", "--dimension", "isolation"}, exitOK},

	{"overlay-show-entity", []string{"--network", "testdata/overlay.yaml", "show", "L-3"}, exitOK},
	{"overlay-show-isolation", []string{"--network", "testdata/overlay.yaml", "show", "isolation"}, exitOK},
	{"overlay-compare", []string{"--network", "testdata/overlay.yaml", "compare", "L-4", "L-3"}, exitOK},
	{"standalone-show", []string{"--no-default", "--network", "testdata/standalone.yaml", "show", "falcon"}, exitOK},
	{"standalone-compare", []string{"--no-default", "--network", "testdata/standalone.yaml", "compare", "falcon", "tortoise"}, exitOK},
	{"load-bad-network", []string{"--network", "testdata/bad.yaml", "show", "L-3"}, exitNo},

	{"usage-unknown-entity", []string{"compare", "L-33", "L-2"}, exitUsage},
	{"usage-unknown-dimension", []string{"show", "isolaton"}, exitUsage},
	{"usage-unknown-relation", []string{"rank", "isolation-strenght"}, exitUsage},
	{"usage-relation-not-an-order", []string{"rank", "represents"}, exitUsage},
	{"usage-bad-output", []string{"show", "-o", "xml"}, exitUsage},
	{"usage-export-bad-output", []string{"export", "-o", "table"}, exitUsage},
	{"usage-export-unknown-dimension", []string{"export", "--dimension", "isolaton"}, exitUsage},
	{"usage-arg-count", []string{"compare", "L-4"}, exitUsage},
	{"usage-unknown-operator", []string{"why", "L-4", ">>", "L-2"}, exitUsage},
	{"usage-no-default", []string{"--no-default", "show"}, exitUsage},
	{"usage-missing-network", []string{"--network", "testdata/missing.yaml", "show"}, exitUsage},
	{"usage-criterion", []string{"pareto", "isolation-strength"}, exitUsage},
	{"usage-unknown-command", []string{"comapre", "L-4", "L-2"}, exitUsage},
	{"usage-unknown-flag", []string{"rank", "overhead", "--reverse"}, exitUsage},
}

func TestGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range goldenCases {
		if seen[tc.name] {
			t.Fatalf("two cases named %s", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			r := strata(t, tc.args...)
			if r.code != tc.code {
				t.Errorf("strata %s: exit code %d, want %d\nstderr: %s", strings.Join(tc.args, " "), r.code, tc.code, r.stderr)
			}
			checkGolden(t, tc.name, r)
			if tc.code != exitUsage {
				parses(t, format(tc.args), r.stdout)
			}
		})
	}
}

// TestEntityNames checks that every way of naming L-3 shows the same entity.
func TestEntityNames(t *testing.T) {
	want := strata(t, "show", "L-3")
	if want.code != exitOK || !strings.HasPrefix(want.stdout, "L-3 — container / 容器") {
		t.Fatalf("show L-3: exit %d, output:\n%s%s", want.code, want.stdout, want.stderr)
	}
	for _, name := range []string{"容器", "container", "D4", "L3", "CONTAINER"} {
		t.Run(name, func(t *testing.T) {
			got := strata(t, "show", name)
			if got != want {
				t.Errorf("show %s differs from show L-3:\n%s", name, golden.Diff("show L-3", []byte(want.stdout), "show "+name, []byte(got.stdout))+got.stderr)
			}
		})
	}
}

// jsonOf runs a command with -o json and decodes its output.
func jsonOf[T any](t *testing.T, wantCode int, args ...string) T {
	t.Helper()
	r := strata(t, append(args, "-o", "json")...)
	if r.code != wantCode {
		t.Fatalf("strata %s: exit %d, want %d\n%s", strings.Join(args, " "), r.code, wantCode, r.stderr)
	}
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("strata %s -o json: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
	return v
}

// TestAnswers asserts the key facts of the seed in the test code, so that a wrong golden
// file cannot be accepted with -update unnoticed.
func TestAnswers(t *testing.T) {
	t.Run("rank isolation-strength", func(t *testing.T) {
		v := jsonOf[struct {
			Layers []struct{ Entities []string }
		}](t, exitOK, "rank", "isolation-strength")
		var got [][]string
		for _, l := range v.Layers {
			got = append(got, l.Entities)
		}
		want := [][]string{{"L-0", "L-4"}, {"L-1"}, {"L-2"}, {"L-3"}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("layers %v, want %v", got, want)
		}
		r := strata(t, "rank", "isolation-strength")
		lines := strings.Split(r.stdout, "\n")
		if len(lines) < 3 || !regexp.MustCompile(`^1\s+L-0 = L-4\s`).MatchString(lines[2]) {
			t.Errorf("the first rank is not L-0 = L-4:\n%s", r.stdout)
		}
	})
	t.Run("rank overhead", func(t *testing.T) {
		v := jsonOf[struct {
			Layers []struct{ Entities []string }
		}](t, exitOK, "rank", "overhead")
		var got []string
		for _, l := range v.Layers {
			got = append(got, strings.Join(l.Entities, "="))
		}
		if want := []string{"L-0", "L-1", "L-2", "L-4", "L-3"}; !slices.Equal(got, want) {
			t.Errorf("overhead layers %v, want %v", got, want)
		}
	})
	t.Run("compare L-4 L-2", func(t *testing.T) {
		v := jsonOf[struct {
			Comparisons []struct{ Relation, Verdict, Word string }
		}](t, exitOK, "compare", "L-4", "L-2")
		got := map[string]string{}
		for _, c := range v.Comparisons {
			got[c.Relation] = c.Verdict + "/" + c.Word
		}
		want := map[string]string{"isolation-strength": "greater/stronger", "overhead": "less/lower overhead"}
		if len(got) != len(want) || got["isolation-strength"] != want["isolation-strength"] || got["overhead"] != want["overhead"] {
			t.Errorf("comparisons %v, want %v", got, want)
		}
	})
	t.Run("compare L-4 KVM", func(t *testing.T) {
		v := jsonOf[struct{ Comparisons []any }](t, exitNo, "compare", "L-4", "KVM")
		if v.Comparisons == nil || len(v.Comparisons) != 0 {
			t.Errorf("comparisons %v, want []", v.Comparisons)
		}
		r := strata(t, "compare", "L-4", "KVM")
		if !strings.Contains(r.stdout, "no order relates L-4 and KVM") {
			t.Errorf("output does not say no order relates them:\n%s", r.stdout)
		}
	})
	t.Run("why L-4 > L-2", func(t *testing.T) {
		v := jsonOf[[]struct {
			Holds bool
			Facts []struct{ Subject, Object string }
		}](t, exitOK, "why", "L-4", ">", "L-2", "--relation", "isolation-strength")
		if len(v) != 1 || !v[0].Holds {
			t.Fatalf("derivations %+v, want one that holds", v)
		}
		var chain []string
		for _, f := range v[0].Facts {
			chain = append(chain, f.Subject+">"+f.Object)
		}
		if want := []string{"L-4>L-1", "L-1>L-2"}; !slices.Equal(chain, want) {
			t.Errorf("derivation %v, want %v", chain, want)
		}
	})
	t.Run("why L-2 > L-4", func(t *testing.T) {
		r := strata(t, "why", "L-2", ">", "L-4", "--relation", "isolation-strength")
		if r.code != exitNo {
			t.Errorf("exit %d, want %d", r.code, exitNo)
		}
		for _, s := range []string{"no: L-2 > L-4 does not follow", "instead L-2 < L-4 holds", "L-4 > L-1", "L-1 > L-2"} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("output lacks %q:\n%s", s, r.stdout)
			}
		}
	})
	t.Run("why L-0 = L-4", func(t *testing.T) {
		r := strata(t, "why", "L-0", "=", "L-4", "--relation", "isolation-strength")
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "L-0 = L-4 under isolation-strength (declared)\n") {
			t.Errorf("exit %d, output:\n%s", r.code, r.stdout)
		}
	})
	for _, tc := range []struct{ from, to, chain string }{
		{"A1", "A7", "A1 → A5 → A6 → A7"},
		{"T1", "T5", "T1 → T2 → T3 → T4 → T5"},
	} {
		t.Run("path "+tc.from+" "+tc.to, func(t *testing.T) {
			r := strata(t, "path", tc.from, tc.to)
			if first, _, _ := strings.Cut(r.stdout, "\n"); r.code != exitOK || first != tc.chain {
				t.Errorf("exit %d, first line %q, want %q", r.code, first, tc.chain)
			}
			v := jsonOf[struct {
				Found bool
				Chain string
			}](t, exitOK, "path", tc.from, tc.to)
			if !v.Found || v.Chain != tc.chain {
				t.Errorf("json: found %v, chain %q, want %q", v.Found, v.Chain, tc.chain)
			}
		})
	}
	t.Run("pareto", func(t *testing.T) {
		v := jsonOf[struct {
			Front     []string
			Dominated []struct{ Entity, By string }
		}](t, exitOK, "pareto", "isolation-strength:max", "overhead:min")
		if want := []string{"L-3", "L-4"}; !slices.Equal(v.Front, want) {
			t.Errorf("front %v, want %v", v.Front, want)
		}
		var off []string
		for _, d := range v.Dominated {
			off = append(off, d.Entity)
		}
		if want := []string{"L-0", "L-1", "L-2"}; !slices.Equal(off, want) {
			t.Errorf("dominated %v, want %v", off, want)
		}
		r := strata(t, "pareto", "isolation-strength:max", "overhead:min")
		if !strings.HasPrefix(r.stdout, "front (isolation-strength:max, overhead:min): L-3, L-4\n") {
			t.Errorf("table output:\n%s", r.stdout)
		}
	})
	t.Run("show isolation", func(t *testing.T) {
		r := strata(t, "show", "isolation")
		for _, s := range []string{"L-0  hardware", "L-3  container", "容器", "runc, containerd",
			"isolation-strength: L-0 = L-4 > L-1 > L-2 > L-3", "overhead: L-3 < L-4 < L-2 < L-1 < L-0"} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("output lacks %q:\n%s", s, r.stdout)
			}
		}
	})
	t.Run("show", func(t *testing.T) {
		r := strata(t, "show")
		for _, s := range []string{"isolation — ", "architecture — ", "timeline — ", "formulas"} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("output lacks %q", s)
			}
		}
	})
	t.Run("export", func(t *testing.T) {
		for f, prefix := range map[string]string{"dot": "digraph strata {\n", "mermaid": "flowchart LR\n", "markdown": "# strata network\n"} {
			if r := strata(t, "export", "-o", f); r.code != exitOK || !strings.HasPrefix(r.stdout, prefix) {
				t.Errorf("export -o %s: exit %d, output starts %.40q", f, r.code, r.stdout)
			}
		}
		v := jsonOf[struct {
			Entities  []struct{ ID string }
			Relations []struct{ ID string }
			Facts     []any
		}](t, exitOK, "export")
		if len(v.Entities) == 0 || len(v.Relations) == 0 || len(v.Facts) == 0 {
			t.Errorf("export -o json: %d entities, %d relations, %d facts", len(v.Entities), len(v.Relations), len(v.Facts))
		}
		// export defaults to YAML.
		if def, y := strata(t, "export"), strata(t, "export", "-o", "yaml"); def != y {
			t.Errorf("export without -o differs from export -o yaml")
		}
	})
	t.Run("export markdown round trip", func(t *testing.T) {
		// export → import → export is a fixed point, through the commands a user runs,
		// for the whole network and for one dimension
		for _, args := range [][]string{{"export", "-o", "markdown"}, {"export", "-o", "markdown", "--dimension", "isolation"}} {
			first := strata(t, args...)
			if first.code != exitOK {
				t.Fatalf("%s: exit %d: %s", args, first.code, first.stderr)
			}
			f := filepath.Join(t.TempDir(), "net.md")
			if err := os.WriteFile(f, []byte(first.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			again := strata(t, append([]string{"--no-default", "--network", f}, args[:3]...)...)
			if again.code != exitOK || again.stdout != first.stdout {
				t.Errorf("%s, imported and exported again: exit %d, %s\n%s\n--- then ---\n%s", args, again.code, again.stderr, first.stdout, again.stdout)
			}
		}
	})
	t.Run("export dot isolation", func(t *testing.T) {
		r := strata(t, "export", "-o", "dot", "--dimension", "isolation")
		for _, s := range []string{`"L-0" -> "L-4" [label="isolation-strength =", dir=none, style=dashed];`,
			`"L-4" -> "L-1" [label="isolation-strength >"];`, `"runc" -> "L-3" [label="represents"];`} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("output lacks %q", s)
			}
		}
		if strings.Contains(r.stdout, `"A1"`) || strings.Contains(r.stdout, `"T1"`) {
			t.Errorf("export --dimension isolation includes other dimensions:\n%s", r.stdout)
		}
	})
}

// TestCheck checks that check lists every problem of a bad file at once and accepts a good one.
func TestCheck(t *testing.T) {
	r := strata(t, "check", "testdata/bad.yaml")
	if r.code != exitNo {
		t.Errorf("check bad.yaml: exit %d, want %d", r.code, exitNo)
	}
	want := []string{
		`bad.yaml:8:41: unknown relation property "antisymetric"`,
		`bad.yaml:18:7: unknown field "colour"`,
		`bad.yaml:19:31: unknown entity L-33`,
		`bad.yaml:20:11: duplicate id KVM`,
		`bad.yaml:29:17: unknown relation type isolation-strenght`,
		`bad.yaml:32:24: chain mixes "<" with ">"`,
	}
	for _, s := range want {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("check bad.yaml does not report %q:\n%s", s, r.stdout)
		}
	}
	if !strings.HasSuffix(r.stdout, "\n6 problem(s)\n") {
		t.Errorf("check bad.yaml does not end with the count:\n%s", r.stdout)
	}
	v := jsonOf[struct {
		OK       bool
		Problems []struct{ Code string }
	}](t, exitNo, "check", "testdata/bad.yaml")
	if v.OK || len(v.Problems) != len(want) {
		t.Errorf("check -o json: ok %v, %d problems, want false and %d", v.OK, len(v.Problems), len(want))
	}

	// One cycle, one problem: at its first fact, citing the user's fact that closes it.
	r = strata(t, "check", "testdata/contradiction.yaml")
	if r.code != exitNo || !strings.Contains(r.stdout, "contradiction in isolation-strength: L-1 > L-2, but L-2 > L-1 follows from L-2 > L-3 (default/10-isolation.yaml:56:32), L-3 > L-1 (testdata/contradiction.yaml:9:16)") ||
		!strings.HasSuffix(r.stdout, "\n1 problem(s)\n") {
		t.Errorf("check contradiction.yaml: exit %d\n%s", r.code, r.stdout)
	}

	for _, args := range [][]string{
		{"check", "testdata/overlay.yaml"},
		{"check", "--no-default", "testdata/standalone.yaml"},
	} {
		r := strata(t, args...)
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "ok: 1 file(s)") {
			t.Errorf("strata %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
}

// TestNetworkFlags checks that --network adds to the default network and --no-default
// replaces it.
func TestNetworkFlags(t *testing.T) {
	overlay := []string{"--network", "testdata/overlay.yaml"}

	r := strata(t, append(overlay, "show", "L-3")...)
	for _, s := range []string{"youki represents L-3", "L-4 > L-3                  startup-speed", "runc represents L-3"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("show L-3 with the overlay lacks %q:\n%s", s, r.stdout)
		}
	}
	r = strata(t, append(overlay, "show", "isolation")...)
	if !regexp.MustCompile(`(?m)^L-3 .*runc, containerd, youki`).MatchString(r.stdout) {
		t.Errorf("show isolation with the overlay does not list youki for L-3:\n%s", r.stdout)
	}
	v := jsonOf[struct {
		Comparisons []struct{ Relation, Verdict string }
	}](t, exitOK, append(overlay, "compare", "L-4", "L-3")...)
	var rels []string
	for _, c := range v.Comparisons {
		rels = append(rels, c.Relation+":"+c.Verdict)
	}
	if want := []string{"isolation-strength:greater", "overhead:greater", "startup-speed:greater"}; !slices.Equal(rels, want) {
		t.Errorf("compare L-4 L-3 with the overlay: %v, want %v", rels, want)
	}
	// The overlay's relation is an order like any other: rank and its inverse name work,
	// the inverse name read inverted (slowest first).
	r = strata(t, append(overlay, "rank", "startup-speed")...)
	if r.code != exitOK || !regexp.MustCompile(`(?m)^1 +L-4 `).MatchString(r.stdout) || !regexp.MustCompile(`(?m)^4 +L-0 = L-1 `).MatchString(r.stdout) {
		t.Errorf("rank startup-speed: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = strata(t, append(overlay, "rank", "startup-slower")...)
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "startup-slower, slower to start first:") ||
		!regexp.MustCompile(`(?m)^1 +L-0 = L-1 `).MatchString(r.stdout) || !regexp.MustCompile(`(?m)^4 +L-4 `).MatchString(r.stdout) {
		t.Errorf("rank startup-slower: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without the overlay the new relation is unknown.
	if r := strata(t, "rank", "startup-speed"); r.code != exitUsage {
		t.Errorf("rank startup-speed without the overlay: exit %d, want %d", r.code, exitUsage)
	}

	alone := []string{"--no-default", "--network", "testdata/standalone.yaml"}
	r = strata(t, append(alone, "compare", "falcon", "tortoise")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "faster than tortoise") {
		t.Errorf("compare falcon tortoise: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = strata(t, append(alone, "show", "L-3")...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "unknown entity L-3") {
		t.Errorf("show L-3 with --no-default: exit %d, want %d and unknown entity\n%s", r.code, exitUsage, r.stderr)
	}
	r = strata(t, append(alone, "rank", "isolation-strength")...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "unknown relation type isolation-strength") {
		t.Errorf("rank isolation-strength with --no-default: exit %d\n%s", r.code, r.stderr)
	}
}

// TestUsageErrors checks that every mistake in a call exits 2 and says what to do.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"compare", "L-33", "L-2"}, []string{"unknown entity L-33", "did you mean L-3?"}},
		{[]string{"why", "L-4", ">", "L-33", "--relation", "isolation-strength"}, []string{"did you mean L-3?"}},
		{[]string{"path", "A1", "A77"}, []string{"unknown entity A77", "did you mean A7?"}},
		{[]string{"show", "isolaton"}, []string{"did you mean isolation?"}},
		{[]string{"rank", "isolation-strenght"}, []string{"unknown relation type isolation-strenght", "did you mean isolation-strength?"}},
		{[]string{"why", "L-4", ">", "L-2", "--relation", "bogus"}, []string{"unknown relation type bogus"}},
		{[]string{"rank", "represents"}, []string{"represents is not transitive", "isolation-strength"}},
		{[]string{"pareto", "isolation-strength:max", "overhed:min"}, []string{"unknown relation type overhed", "did you mean overhead?"}},
		{[]string{"pareto", "isolation-strength"}, []string{"isolation-strength:max or isolation-strength:min"}},
		{[]string{"pareto", "isolation-strength:up"}, []string{"direction must be max or min"}},
		{[]string{"show", "-o", "xml"}, []string{`output format "xml" is not supported`, "table, json, yaml"}},
		{[]string{"rank", "overhead", "-o", "dot"}, []string{`output format "dot" is not supported`}},
		{[]string{"export", "-o", "table"}, []string{"json, yaml, dot, mermaid, markdown"}},
		{[]string{"export", "--dimension", "isolaton"}, []string{"unknown dimension isolaton", "isolation"}},
		{[]string{"compare", "L-4"}, []string{"accepts 2 arg(s), received 1", "Usage: strata compare A B", "strata compare --help"}},
		{[]string{"why", "L-4", "L-2"}, []string{"accepts 3 arg(s)", "Usage: strata why A OP B"}},
		{[]string{"rank"}, []string{"accepts 1 arg(s)", "strata rank --help"}},
		{[]string{"show", "L-3", "L-4"}, []string{"accepts at most 1 arg(s)"}},
		{[]string{"export", "isolation"}, []string{"unknown command"}},
		{[]string{"check"}, []string{"requires at least 1 arg(s)"}},
		{[]string{"why", "L-4", ">>", "L-2"}, []string{`unknown operator ">>"`, "use >, <, = or →"}},
		{[]string{"why", "L-4", "gt", "L-2"}, []string{`unknown operator "gt"`}},
		{[]string{"--no-default", "show"}, []string{"--no-default needs at least one --network FILE"}},
		{[]string{"--network", "testdata/missing.yaml", "show"}, []string{"testdata/missing.yaml"}},
		{[]string{"check", "testdata/missing.yaml"}, []string{"testdata/missing.yaml"}},
		{[]string{"comapre", "L-4", "L-2"}, []string{`unknown command "comapre"`}},
		{[]string{"rank", "overhead", "--reverse"}, []string{"unknown flag: --reverse"}},
		{[]string{"-o"}, []string{"flag needs an argument"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := strata(t, tc.args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, exitUsage, r.stdout, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("a usage error writes to stdout:\n%s", r.stdout)
			}
			for _, s := range tc.want {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			if !strings.Contains(r.stderr, "--help' for usage.") {
				t.Errorf("stderr does not point to --help:\n%s", r.stderr)
			}
		})
	}
}

// TestHelp checks that every command's help has examples.
func TestHelp(t *testing.T) {
	root := (&app{}).rootCommand()
	cmds := root.Commands()
	if len(cmds) < 8 {
		t.Fatalf("root has %d commands, want at least 8", len(cmds))
	}
	for _, c := range append(cmds, root) {
		args := []string{c.Name(), "--help"}
		if c == root {
			args = []string{"--help"}
		}
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := strata(t, args...)
			if r.code != exitOK || r.stderr != "" {
				t.Errorf("exit %d, stderr %q", r.code, r.stderr)
			}
			for _, s := range []string{"Usage:", "Examples:\n  strata "} {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("help lacks %q:\n%s", s, r.stdout)
				}
			}
			if c.Short == "" {
				t.Errorf("%s has no short description", c.Name())
			}
		})
	}
}

// TestHelpExamples runs every example in the help text (up to a pipe or redirect) and
// expects it to succeed, so the help never shows a command that fails. check's examples
// name the reader's own files and are skipped; fleet's need a cluster, and
// TestFleetControlPlane runs them against one.
func TestHelpExamples(t *testing.T) {
	// import's examples read a knowledge base kb/ and a document doc.md: the seed
	zh, err := os.ReadFile("../../kb/testdata/multi-dimensional-network.zh.md")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // examples that write files (plan --emit) write them there
	if err := os.Mkdir("kb", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"kb/seed.zh.md", "doc.md"} {
		if err := os.WriteFile(f, zh, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root := (&app{}).rootCommand()
	n := 0
	for _, c := range append(root.Commands(), root) {
		for _, line := range strings.Split(c.Example, "\n") {
			line, _, _ = strings.Cut(strings.TrimSpace(line), "#")
			var args []string
			for _, f := range strings.Fields(line) {
				if f == "|" || f == ">" {
					break
				}
				args = append(args, strings.Trim(f, "'"))
			}
			if len(args) < 2 || args[0] != "strata" || args[1] == "check" || args[1] == "serve" || args[1] == "fleet" || slices.Contains(args, "--fleet") || namesMissingFile(args) {
				continue
			}
			n++
			t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
				if r := strata(t, args[1:]...); r.code != exitOK {
					t.Errorf("help example %q: exit %d\n%s%s", line, r.code, r.stdout, r.stderr)
				}
			})
		}
	}
	if n < 15 {
		t.Errorf("ran %d help examples, want at least 15", n)
	}
}

// namesMissingFile reports whether a help example names a YAML file that is not here
// (examples show the user's own files).
func namesMissingFile(args []string) bool {
	for _, a := range args {
		if strings.HasSuffix(a, ".yaml") {
			if _, err := os.Stat(a); err != nil {
				return true
			}
		}
	}
	return false
}

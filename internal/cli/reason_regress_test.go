package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// regressNetwork writes a network file: relation s (">", "=", inverse s-inv) over entities
// named ids, with the given Facts spec lines.
func regressNetwork(t *testing.T, ids []string, spec string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`apiVersion: strata.dev/v1alpha1
kind: RelationType
metadata: {name: s}
spec:
  symbol: ">"
  equivalence: "="
  properties: [transitive, irreflexive, antisymmetric]
  inverse: s-inv
  greater: above
  less: below
---
apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: e}
spec:
  category: concept
  items:
`)
	for _, id := range ids {
		fmt.Fprintf(&b, "    - id: %q\n", id)
	}
	b.WriteString("---\napiVersion: strata.dev/v1alpha1\nkind: Facts\nmetadata: {name: f}\nspec:\n")
	b.WriteString(spec)
	path := filepath.Join(t.TempDir(), "n.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// An "=" question gets the equal facts behind it, even where a > b is declared too.
func TestWhyEqualInContradictoryClass(t *testing.T) {
	net := regressNetwork(t, []string{"a", "b"}, `  facts:
    - {subject: a, relation: s, object: b, equal: true}
    - {subject: a, relation: s, object: b}
`)
	for _, tc := range []struct{ x, y, fact string }{
		{"a", "b", "a = b"},
		{"b", "a", "b = a"},
	} {
		r := strata(t, "--no-default", "--network", net, "why", tc.x, "=", tc.y, "--relation", "s")
		steps := regexp.MustCompile(`(?m)^  \d+ +(.*?) {2,}declared`).FindAllStringSubmatch(r.stdout, -1)
		if r.code != exitOK || len(steps) != 1 || steps[0][1] != tc.fact {
			t.Errorf("why %s = %s: exit %d, want one step %q:\n%s%s", tc.x, tc.y, r.code, tc.fact, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "(declared)") {
			t.Errorf("why %s = %s is not declared:\n%s", tc.x, tc.y, r.stdout)
		}
	}
}

// A relation named by its inverse name is read inverted by every command that takes one.
func TestInverseRelationName(t *testing.T) {
	must := func(r result, code int, what string, want ...string) {
		t.Helper()
		for _, w := range want {
			if r.code != code || !regexp.MustCompile(w).MatchString(r.stdout) {
				t.Errorf("%s: exit %d (want %d), output lacks %q:\n%s%s", what, r.code, code, w, r.stdout, r.stderr)
			}
		}
	}
	// L-0 = L-4 > L-1 > L-2 > L-3: under isolation-weaker, L-3 > L-1.
	must(strata(t, "why", "L-3", ">", "L-1", "--relation", "isolation-weaker"), exitOK, "why L-3 > L-1 (weaker)",
		`L-3 > L-1 under isolation-weaker \(derived\)`, `(?m)^  1 +L-3 < L-2 `, `(?m)^  2 +L-2 < L-1 `)
	must(strata(t, "why", "L-1", ">", "L-3", "--relation", "isolation-weaker"), exitNo, "why L-1 > L-3 (weaker)",
		`no: L-1 > L-3 does not follow`, `instead L-1 < L-3 holds`)
	must(strata(t, "why", "L-1", "<", "L-3", "--relation", "isolation-weaker"), exitOK, "why L-1 < L-3 (weaker)", `under isolation-weaker`)
	must(strata(t, "path", "L-3", "L-1", "--relation", "isolation-weaker"), exitOK, "path L-3 L-1 (weaker)", `(?m)^L-3 < L-2 < L-1$`)
	must(strata(t, "path", "L-1", "L-3", "--relation", "isolation-weaker"), exitNo, "path L-1 L-3 (weaker)", `no chain`)
	must(strata(t, "rank", "isolation-weaker"), exitOK, "rank isolation-weaker",
		`^isolation-weaker, weaker first:`, `(?m)^1 +L-3 `, `(?m)^4 +L-0 = L-4 `)
	must(strata(t, "rank", "overhead-lower"), exitOK, "rank overhead-lower", `(?m)^1 +L-3 `, `(?m)^5 +L-0 `)
	// isolation-weaker:min is isolation-strength:max.
	must(strata(t, "pareto", "isolation-weaker:min", "overhead:min"), exitOK, "pareto weaker:min",
		`^front \(isolation-weaker:min, overhead:min\): L-3, L-4\n`)
	must(strata(t, "pareto", "isolation-weaker:max", "overhead-lower:max"), exitOK, "pareto weaker:max lower:max",
		`^front \(isolation-weaker:max, overhead-lower:max\): L-3\n`)
}

// cycleNetwork is one chain t0 > t1 > … > t(n-1) > t0.
func cycleNetwork(t *testing.T, n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("t%d", i)
	}
	return regressNetwork(t, ids, fmt.Sprintf("  chains:\n    - {relation: s, chain: %q}\n", strings.Join(ids, " > ")+" > t0"))
}

// A cycle is one problem whatever its length, and the report stays short.
func TestCheckLongCycleBounded(t *testing.T) {
	for _, n := range []int{3, 1001, 10_000} {
		if testing.Short() && n > 1001 {
			continue
		}
		r := strata(t, "check", "--no-default", cycleNetwork(t, n))
		if r.code != exitNo || !strings.HasSuffix(r.stdout, "\n1 problem(s)\n") {
			t.Errorf("%d-term cycle: exit %d, want 1 problem:\n%.2000s", n, r.code, r.stdout)
		}
		if len(r.stdout) > 2000 {
			t.Errorf("%d-term cycle: %d bytes of report, want at most 2000:\n%.3000s", n, len(r.stdout), r.stdout)
		}
		if n > 8 && !strings.Contains(r.stdout, fmt.Sprintf("… %d more …", n-1-7)) {
			t.Errorf("%d-term cycle: the chain is not cut with a count:\n%s", n, r.stdout)
		}
	}
}

// Showing one entity costs what its own facts cost: an entity beside a long chain is
// shown without the chain's closure being built.
func TestShowEntityBounded(t *testing.T) {
	n := 2000
	ids := []string{"p", "q", "r"}
	chain := make([]string, n)
	for i := range chain {
		chain[i] = fmt.Sprintf("t%d", i)
	}
	net := regressNetwork(t, append(ids, chain...), fmt.Sprintf("  chains:\n    - {relation: s, chain: \"p > q > r\"}\n    - {relation: s, chain: %q}\n", strings.Join(chain, " > ")))
	alloc := func(args ...string) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if r := strata(t, append([]string{"--no-default", "--network", net}, args...)...); r.code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	base := alloc("compare", "p", "q")
	show := alloc("show", "p")
	// The closure of the chain is 2 million facts; p's own are two declared, one derived.
	if show > base+8<<20 {
		t.Errorf("show p allocates %d MB, compare p q %d MB: one entity must not cost the closure", show>>20, base>>20)
	}
	r := strata(t, "--no-default", "--network", net, "show", "p")
	if !strings.Contains(r.stdout, "p > r ") || strings.Count(r.stdout, "\n") > 20 {
		t.Errorf("show p:\n%s", r.stdout)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readmeBlocks returns the fenced blocks of README.md with the given info string.
func readmeBlocks(t *testing.T, info string) []string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur []string
	in := false
	for line := range strings.Lines(string(data)) {
		switch {
		case !in && strings.TrimSpace(line) == "```"+info:
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, ""))
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

// TestReadmePlanExamples: the README's sample Workload, copied verbatim into workload.yaml,
// plans and emits, and every plan, coordinates, scenarios, probe and bench command of its sh
// blocks runs as written and exits 0, its output written where "> FILE" says (with -short
// or -race the bench is the recorded one; scripts/test.sh runs it for real without -race).
func TestReadmePlanExamples(t *testing.T) {
	var workload string
	for _, b := range readmeBlocks(t, "yaml") {
		if strings.Contains(b, "kind: Workload") {
			workload = b
		}
	}
	if workload == "" {
		t.Fatal("README.md has no Workload sample")
	}
	shBlocks := readmeBlocks(t, "sh")
	recorded, err := filepath.Abs("../../measured/testdata/bench.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("workload.yaml", []byte(workload), 0o644); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, b := range shBlocks {
		for line := range strings.Lines(b) {
			line, _, _ = strings.Cut(line, "#")
			args := strings.Fields(line)
			if len(args) < 2 || args[0] != "strata" {
				continue
			}
			var out string // "> FILE": stdout goes there
			if i := slices.Index(args, ">"); i >= 0 && i == len(args)-2 {
				args, out = args[:i], args[i+1]
			}
			switch args[1] {
			case "plan", "coordinates", "scenarios", "probe":
			case "bench":
				if testing.Short() || raceEnabled {
					// A real bench takes half a minute, several under the race detector;
					// -short and -race stand a recorded one in.
					t.Logf("-short or -race: %s is the recorded measured/testdata/bench.json, not a new run", out)
					copyFile(t, recorded, out)
					continue
				}
			default:
				continue
			}
			ran++
			r := strata(t, args[1:]...)
			if r.code != 0 {
				t.Errorf("%s: exit %d\n%s%s", strings.TrimSpace(line), r.code, r.stdout, r.stderr)
			}
			if out != "" {
				if err := os.WriteFile(out, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if ran < 3 {
		t.Errorf("ran %d README commands, want the plan examples", ran)
	}
	if b, err := os.ReadFile("bench.json"); err != nil || !strings.Contains(string(b), `"drivers"`) {
		t.Errorf("the README's bench wrote no results: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "60-deployment-thumbnailer.yaml")); err != nil {
		t.Errorf("strata plan workload.yaml --emit out/ wrote no workload: %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

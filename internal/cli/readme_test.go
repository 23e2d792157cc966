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

// readmeElsewhere lists the README's commands that TestReadmeCommands does not run, by
// prefix, each with the reason and what runs or checks it instead. Every other command
// line of every sh and text block is run; a line that is neither run nor listed here fails
// the test, and so does an entry no line needs any more.
var readmeElsewhere = []struct{ prefix, why string }{
	{"scripts/test.sh", "the whole suite, which this test is part of: CI runs it (.ci/run)"},
	{"scripts/cluster-up.sh", "starts a control plane for minutes (root-free, but etcd-server and a cold build of the Kubernetes binaries): TestFleetControlPlane starts the same control plane (internal/controlplane)"},
	{"export KUBECONFIG=", "a shell assignment for the fleet commands"},
	{"strata fleet plan --scenario microservices --measured", "needs a cluster whose bench ConfigMaps hold results: TestFleetMeasuredControlPlane runs strata fleet plan --measured on the control plane with recorded results in them"},
	{"strata verify --fleet", "needs a cluster whose bench ConfigMaps hold results: TestFleetMeasuredControlPlane runs it on the control plane with recorded results in them"},
	{"strata fleet", "needs a cluster: TestFleetControlPlane runs every strata fleet line of the README's sh blocks on the real control plane"},
	{"go generate ./network", "TestDefaultNetworkGenerated (network) fails, naming this command, until network/default_gen.go is what it writes"},
	{"strata serve", "a server that runs until stopped: TestServe, TestServeUsage and TestServeAllowedHosts start it with these flags"},
	{"strata locate", "runs the reader's program (./my-service) or reads their spans: TestLocateDemo, TestLocateWithoutRoot and TestLocateReplayGolden run it on cmd/strata-demo and on recorded spans"},
	{"strata check my-network.yaml", "names the reader's own file: the TestCheck* tests check files with and without problems"},
	{"strata verify results.json", "names the reader's results file: TestVerifySynthetic and TestBenchQuick run it on bench results"},
	{"strata export -o json|yaml|dot|mermaid|markdown", "a synopsis ('|' between choices): TestGolden runs export in every format"},
	{"strata probe [", "a synopsis: the sh block's strata probe -o json > probe.json is run"},
	{"strata bench [", "a synopsis: the sh block's strata bench is run"},
}

// readmeNo lists the README commands whose answer with the recorded bench and probe
// (-short, -race) is "no" (exit 1), with why and what the answer must say; on a real bench
// and probe they may answer either way, never a usage error. Every other command run must
// exit 0.
var readmeNo = map[string]struct{ why, says string }{
	"strata plan workload.yaml --measured bench.json --host probe.json": {
		"the recorded host (a VM without containerd's gVisor or Kata shims) serves no sandbox, and the sample Workload (untrusted OCI code with a GPU) needs one",
		"vm cannot serve handler runsc (probe.json)",
	},
}

// readmeCommand is one command line of a README block: its words as a shell reads them,
// and the file "> FILE" sends its output to.
type readmeCommand struct {
	line string
	args []string
	out  string
}

// readmeCommands returns the command lines of README's blocks with the given info string:
// in sh blocks every line but comments (cut at "#"); in text blocks the lines that begin
// with "strata " or "$ " (a synopsis line ends where two spaces begin its description;
// output lines are not commands).
func readmeCommands(t *testing.T, info string) []readmeCommand {
	t.Helper()
	var out []readmeCommand
	for _, b := range readmeBlocks(t, info) {
		for line := range strings.Lines(b) {
			line = strings.TrimSpace(line)
			switch info {
			case "sh":
				line, _, _ = strings.Cut(line, " #")
				if strings.HasPrefix(line, "#") {
					line = ""
				}
			case "text":
				if !strings.HasPrefix(line, "strata ") && !strings.HasPrefix(line, "$ ") {
					continue
				}
				line = strings.TrimPrefix(line, "$ ")
				line, _, _ = strings.Cut(line, "  ")
			}
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			c := readmeCommand{line: line}
			words, quoted := shellWords(t, line)
			for i := 0; i < len(words); i++ {
				if words[i] == ">" && !quoted[i] && i+1 < len(words) {
					c.out = words[i+1]
					i++
					continue
				}
				c.args = append(c.args, words[i])
			}
			out = append(out, c)
		}
	}
	return out
}

// shellWords splits a line as a shell does for the README's commands: words apart by
// spaces, single or double quotes keeping what they hold. quoted[i] says word i had quotes.
func shellWords(t *testing.T, line string) (words []string, quoted []bool) {
	var cur strings.Builder
	in, had, inWord := rune(0), false, false
	for _, r := range line {
		switch {
		case in != 0 && r == in:
			in = 0
		case in != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			in, had, inWord = r, true, true
		case r == ' ' || r == '\t':
			if inWord {
				words, quoted = append(words, cur.String()), append(quoted, had)
			}
			cur.Reset()
			had, inWord = false, false
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if in != 0 {
		t.Fatalf("README command %q: unclosed quote", line)
	}
	if inWord {
		words, quoted = append(words, cur.String()), append(quoted, had)
	}
	return words, quoted
}

// TestReadmeCommands runs every command line of README.md's sh and text blocks that
// readmeElsewhere does not list, as written, and expects exit 0 with output where "> FILE"
// says. The README's sample Workload, copied verbatim, is workload.yaml; the sh blocks
// run first (they write bench.json, probe.json and out/), then the text blocks' synopses.
// With -short or -race the bench is the recorded measured/testdata/bench.json and, so
// that the two agree on the host, probe.json the probe recorded with it (the probe still
// runs); scripts/test.sh runs the bench for real without -race.
func TestReadmeCommands(t *testing.T) {
	var workload string
	for _, b := range readmeBlocks(t, "yaml") {
		if strings.Contains(b, "kind: Workload") {
			workload = b
		}
	}
	if workload == "" {
		t.Fatal("README.md has no Workload sample")
	}
	recorded := map[string]string{}
	for _, f := range []string{"bench.json", "probe.json"} {
		p, err := filepath.Abs(filepath.Join("../../measured/testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		recorded[f] = p
	}
	commands := append(readmeCommands(t, "sh"), readmeCommands(t, "text")...)
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("workload.yaml", []byte(workload), 0o644); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	ran := 0
	for _, c := range commands {
		if i := slices.IndexFunc(readmeElsewhere, func(e struct{ prefix, why string }) bool {
			return strings.HasPrefix(c.line, e.prefix)
		}); i >= 0 {
			used[readmeElsewhere[i].prefix] = true
			t.Logf("not run here: %s: %s", c.line, readmeElsewhere[i].why)
			continue
		}
		args := c.args
		if len(args) > 2 && args[0] == "go" && args[1] == "run" && args[2] == "./cmd/strata" {
			args = append([]string{"strata"}, args[3:]...)
		}
		if len(args) < 2 || args[0] != "strata" {
			t.Errorf("README command %q is neither run by this test nor listed in readmeElsewhere with what runs it", c.line)
			continue
		}
		short := testing.Short() || raceEnabled
		if args[1] == "bench" && short {
			// A real bench takes half a minute, several under the race detector.
			t.Logf("-short or -race: %s is the recorded measured/testdata/bench.json, not a new run", c.out)
			copyFile(t, recorded["bench.json"], c.out)
			continue
		}
		ran++
		r := strata(t, args[1:]...)
		if no, ok := readmeNo[c.line]; ok && short {
			used[c.line] = true
			if r.code != 1 || !strings.Contains(r.stderr, no.says) {
				t.Errorf("%s: exit %d, want 1 saying %q (%s)\n%s%s", c.line, r.code, no.says, no.why, r.stdout, r.stderr)
			}
		} else if !short && r.code == 1 && strings.Contains(c.line, "--measured") && strings.Contains(r.stderr, "(measured)") {
			// A real bench on this host decided: on a loaded machine a runtime's measured
			// start can miss a budget its declared figure meets, and the plan says so.
			t.Logf("%s: no, by this host's own measurement:\n%s", c.line, r.stderr)
		} else if (!ok && r.code != 0) || r.code > 1 {
			t.Errorf("%s: exit %d\n%s%s", c.line, r.code, r.stdout, r.stderr)
		}
		if c.out != "" {
			if err := os.WriteFile(c.out, []byte(r.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			if args[1] == "probe" && short {
				t.Logf("-short or -race: %s is the probe recorded with the recorded bench (this host's kernel may differ from the bench's)", c.out)
				copyFile(t, recorded["probe.json"], c.out)
			}
		}
	}
	for line := range readmeNo {
		if !used[line] && (testing.Short() || raceEnabled) {
			t.Errorf("readmeNo lists %q, which the README does not run any more", line)
		}
	}
	for _, e := range readmeElsewhere {
		if !used[e.prefix] {
			t.Errorf("readmeElsewhere lists %q, which no README command begins with any more", e.prefix)
		}
	}
	if ran < 20 {
		t.Errorf("ran %d README commands, want every runnable one (20 or more)", ran)
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

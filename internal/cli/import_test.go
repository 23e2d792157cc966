package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
)

func seedKB(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kb")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"zh", "en"} {
		b, err := os.ReadFile("../../kb/testdata/multi-dimensional-network." + lang + ".md")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "seed."+lang+".md"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestImportCommand: strata import writes network documents that load, with the report
// on stderr; -o json is JSON; --write writes one YAML file per document, which load too.
func TestImportCommand(t *testing.T) {
	dir := seedKB(t)
	r := strata(t, "import", dir)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"seed.zh.md:14", "kind: Facts", "isolation-strength"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	for _, want := range []string{"not read", "link to ../concept-relations-matrix.md", "chain \"隔离强度: L-0 = L-4 > L-1 > L-2 > L-3\"", "2 document(s)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stderr)
		}
	}
	// the YAML stream loads on top of the default network
	n, err := network.Load(append(network.DefaultFiles(), network.File{Name: "out.yaml", Data: []byte(r.stdout)}))
	if err != nil {
		t.Fatalf("the imported documents do not load: %v", err)
	}
	if len(n.Facts) <= 200 {
		t.Errorf("%d facts", len(n.Facts))
	}

	j := strata(t, "import", dir, "-o", "json")
	var docs []map[string]any
	if err := json.Unmarshal([]byte(j.stdout), &docs); err != nil || len(docs) == 0 {
		t.Fatalf("-o json: %v\n%.300s", err, j.stdout)
	}
	if docs[0]["apiVersion"] != network.APIVersion {
		t.Errorf("first document: %v", docs[0])
	}

	out := filepath.Join(t.TempDir(), "net")
	w := strata(t, "import", dir, "--write", out)
	if w.code != exitOK {
		t.Fatalf("--write: exit %d\n%s", w.code, w.stdout+w.stderr)
	}
	for _, f := range []string{"seed.zh.yaml", "seed.en.yaml"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if c := strata(t, "check", out); c.code != exitOK {
		t.Errorf("check of the written files: exit %d\n%s", c.code, c.stdout)
	}
}

// TestNetworkFlagMarkdown: --network takes a Markdown document or a directory, and
// facts cite the Markdown.
func TestNetworkFlagMarkdown(t *testing.T) {
	dir := seedKB(t)
	for _, arg := range []string{dir, filepath.Join(dir, "seed.zh.md")} {
		r := strata(t, "show", "L-0", "--network", arg)
		if r.code != exitOK {
			t.Fatalf("--network %s: exit %d\n%s", arg, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "seed.zh.md:14") {
			t.Errorf("--network %s: L-0's facts do not cite the Markdown:\n%s", arg, r.stdout)
		}
	}
}

// TestCheckMarkdownContradiction: a contradiction across two documents is found, with
// the Markdown line of each side.
func TestCheckMarkdownContradiction(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.md", "# a\n\n| id | name |\n|---|---|\n| P1 | plain |\n| P2 | padded |\n\n```text\n隔离强度: P1 > P2\n```\n")
	write("b.md", "# b\n\nSome prose.\n\n```text\nisolation strength: P2 > P1\n```\n")
	r := strata(t, "check", dir)
	if r.code != exitNo {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"a.md:9", "b.md:6", "contradiction"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestCheckBadKnowledgeBase: strata check of a knowledge base with a binary file, rows
// with a missing cell and an extra pipe, a chain naming an unknown id and an id defined
// in two documents differently reports each at its file:line, all in one run.
func TestCheckBadKnowledgeBase(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("logo.md", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
	write("a.md", "# a\n\n| id | name | speed |\n|---|---|---|\n| **R1** | fast |\n| **R2** | slow | 2 | 9 |\n\n```text\n隔离强度: R1 > R2 > R4\n```\n")
	write("b.md", "# b\n\n| id | name | speed |\n|---|---|---|\n| **R1** | quick | 1 |\n")
	r := strata(t, "check", dir)
	if r.code != exitNo {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"logo.md:1: not read: binary data", "a.md:5: table row has no cell under \"speed\"",
		"a.md:6: table row has more cells", "a.md:9:17: unknown entity R4 (did you mean R1?)", "b.md:5:3: R1 is defined differently here and at " + filepath.Join(dir, "a.md") + ":5:3"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, r.stdout)
		}
	}
}

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A document with problems and a good one, to place in files written every way YAML allows
// documents to be separated, prefixed and ended. Whatever the way, strata check must report
// the bad document's problems at their lines and count the good ones: empty documents are
// fine, skipped content never is.
const (
	badDoc  = "apiVersion: strata.dev/v9\nkind: Entities\nmetadata: {name: bad}\nspec: {category: technology, items: [{id: [x]}]}\n"
	goodDoc = "apiVersion: strata.dev/v1alpha1\nkind: Entity\nmetadata: {name: GOOD}\nspec: {category: technology}\n"
)

func TestCheckReadsEveryDocument(t *testing.T) {
	bom := "\uFEFF"
	for _, tc := range []struct {
		name string
		file string
	}{
		{"two-markers-first", "---\n---\n" + badDoc},
		{"three-markers-first", "---\n---\n---\n" + badDoc},
		{"empty-doc-between", goodDoc + "---\n---\n" + badDoc},
		{"comment-only-doc-first", "# a comment\n---\n# only a comment\n---\n" + badDoc},
		{"comment-after-marker", "--- # first\n" + badDoc},
		{"end-marker-then-marker", goodDoc + "...\n---\n" + badDoc},
		{"end-marker-then-bare-doc", goodDoc + "...\n" + badDoc},
		{"end-marker-comment-then-doc", goodDoc + "... # end\n# between\n---\n" + badDoc},
		{"yaml-directive", "%YAML 1.2\n---\n" + badDoc},
		{"yaml-directive-after-end", goodDoc + "...\n%YAML 1.2\n---\n" + badDoc},
		{"bom", bom + badDoc},
		{"bom-then-marker", bom + "---\n" + badDoc},
		{"bom-then-two-markers", bom + "---\n---\n" + badDoc},
		{"crlf", strings.ReplaceAll("---\n---\n"+goodDoc+"---\n"+badDoc, "\n", "\r\n")},
		{"trailing-marker", badDoc + "---\n"},
		{"trailing-end-marker", badDoc + "...\n"},
		{"good-then-bad", goodDoc + "---\n" + badDoc},
		{"no-final-newline", goodDoc + "---\n" + strings.TrimSuffix(badDoc, "\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.yaml")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			r := strata(t, "check", "--no-default", path)
			if r.code != exitNo {
				t.Fatalf("exit %d, want %d: the bad document was not read\n%s%s", r.code, exitNo, r.stdout, r.stderr)
			}
			// The line of the bad document's apiVersion, counted in the file as written.
			i := strings.Index(tc.file, "apiVersion: strata.dev/v9")
			line := strings.Count(tc.file[:i], "\n") + 1
			want := fmt.Sprintf("%s:%d:13: unsupported apiVersion \"strata.dev/v9\"", path, line)
			if !strings.Contains(r.stdout, want) {
				t.Errorf("missing %q in\n%s", want, r.stdout)
			}
			if !strings.Contains(r.stdout, "spec.items[0].id must be a string, not a list") {
				t.Errorf("the bad document's item was not checked:\n%s", r.stdout)
			}
		})
	}
}

func TestCheckCountsEveryGoodDocument(t *testing.T) {
	good := func(name string) string { return strings.Replace(goodDoc, "GOOD", name, 1) }
	for _, tc := range []struct {
		name string
		file string
		want int // entities
	}{
		{"two-markers-first", "---\n---\n" + good("a") + "---\n" + good("b"), 2},
		{"empty-docs-everywhere", "---\n---\n" + good("a") + "---\n---\n---\n" + good("b") + "---\n", 2},
		{"comment-only-docs", "# c\n---\n# c\n---\n" + good("a") + "---\n# c\n---\n" + good("b") + "# c\n", 2},
		{"end-markers", good("a") + "...\n" + good("b") + "...\n---\n" + good("c") + "...\n", 3},
		{"directives", "%YAML 1.2\n---\n" + good("a") + "...\n%YAML 1.2\n---\n" + good("b"), 2},
		{"bom", "\uFEFF---\n---\n" + good("a") + "---\n" + good("b"), 2},
		{"only-comments", "# nothing here yet\n", 0},
		{"only-markers", "---\n---\n...\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.yaml")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			r := strata(t, "check", "--no-default", path)
			want := fmt.Sprintf("ok: 1 file(s), %d entities, 0 facts, no problems\n", tc.want)
			if r.code != exitOK || r.stdout != want {
				t.Fatalf("exit %d, output\n%s%s\nwant %q", r.code, r.stdout, r.stderr, want)
			}
		})
	}
}

// Content that cannot be read as documents is an error at its line, never dropped.
func TestCheckRefusesUnreadableContent(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{"garbage-after-end-marker", goodDoc + "... trailing words\n", ":5:5: "},
		{"directive-without-marker", "%YAML 1.2\n" + goodDoc, ":2:1: "},
		{"tag-directive", "%TAG ! tag:example.com,2000:\n---\n" + goodDoc, ":1:1: "},
		{"unknown-directive", "%FOO bar\n---\n" + goodDoc, ":1:1: "},
		{"bom-inside", goodDoc + "---\n\uFEFF" + goodDoc, ":6:1: "},
		{"explicit-null-document", goodDoc + "--- null\n", ":5:5: "},
		{"scalar-document", goodDoc + "---\njust words\n", ":6:1: "},
		{"unclosed-flow-at-end", goodDoc + "---\n[a, b\n", ":6:1: "},
		{"stray-closing-bracket", goodDoc + "]\n", ":5:1: "},
		{"nul-byte", goodDoc + "---\nkind: \x00\n", ":6:7: "},
		{"invalid-utf8", goodDoc + "---\nkind: \xff\xfe\n", ":6:7: "},
		{"utf16-bom", "\xff\xfea\x00:\x00", ":1:1: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.yaml")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			r := strata(t, "check", "--no-default", path)
			if r.code != exitNo || !strings.Contains(r.stdout, path+tc.want) {
				t.Fatalf("exit %d, want 1 and a problem at %s%s:\n%s%s", r.code, path, tc.want, r.stdout, r.stderr)
			}
		})
	}
}

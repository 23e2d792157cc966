package server_test

import (
	"bytes"
	"flag"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/strata-dev/strata/internal/golden"
	"github.com/strata-dev/strata/internal/server"
)

var updateUI = flag.Bool("update-ui", false, "rewrite web/src/api.gen.d.ts from the server's OpenAPI document")

// needNode skips a test that runs the web UI's npm tools when node or they are missing.
func needNode(t *testing.T, paths ...string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (scripts/setup-web.sh installs it)")
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is missing (scripts/setup-web.sh runs npm ci in web/ and web/tools/)", p)
		}
	}
	return node
}

// TestUIAPITypes keeps the UI's API types the server's: it generates TypeScript from the
// OpenAPI document the server serves, with openapi-typescript (web/tools), fails when the
// committed web/src/api.gen.d.ts differs (go test -run TestUIAPITypes -update-ui rewrites
// it), and type-checks the UI against it with tsc --noEmit. A server change that removes a
// route or a field the UI uses, or changes its type, fails here.
func TestUIAPITypes(t *testing.T) {
	gen := "../../web/tools/node_modules/openapi-typescript/bin/cli.js"
	tsc := "../../web/node_modules/typescript/bin/tsc"
	node := needNode(t, gen, tsc)

	ts := httptest.NewServer(newServer(t, server.Config{}))
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: %s, %v", resp.Status, err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "openapi.json"), filepath.Join(dir, "api.gen.d.ts")
	if err := os.WriteFile(in, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(node, gen, in, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("openapi-typescript: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	const committed = "../../web/src/api.gen.d.ts"
	if *updateUI {
		if err := os.WriteFile(committed, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("web/src/api.gen.d.ts is not what openapi-typescript makes of the server's OpenAPI document now; run\n"+
			"  go test ./internal/server -run TestUIAPITypes -update-ui\nthen make the UI type-check again and rebuild it (scripts/build-web.sh)\n%s", golden.Diff(committed, want, "openapi-typescript", got))
	}
	tscAbs, err := filepath.Abs(tsc)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, tscAbs, "--noEmit", "-p", ".")
	cmd.Dir = "../../web"
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("tsc --noEmit in web/: %v\n%s", err, b)
	}
}

// TestUIBuildCurrent rebuilds the UI from web/src and compares the result with the
// committed internal/server/ui/dist that go:embed serves: an edit to the UI that was not
// rebuilt, or an import cycle among its sources (the build refuses those), fails here.
func TestUIBuildCurrent(t *testing.T) {
	node := needNode(t, "../../web/node_modules/esbuild")
	dir := filepath.Join(t.TempDir(), "dist")
	cmd := exec.Command(node, "build.mjs", dir)
	cmd.Dir = "../../web"
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node build.mjs: %v\n%s", err, b)
	}
	built, committed := tree(t, dir), tree(t, "ui/dist")
	for name, data := range built {
		if c, ok := committed[name]; !ok || !bytes.Equal(c, data) {
			t.Errorf("ui/dist/%s is missing or differs from a build of web/src: run scripts/build-web.sh and commit internal/server/ui/dist", name)
		}
	}
	for name := range committed {
		if _, ok := built[name]; !ok {
			t.Errorf("ui/dist/%s is not part of a build of web/src: run scripts/build-web.sh", name)
		}
	}
}

func tree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

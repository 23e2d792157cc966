package server_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/strata-dev/strata/internal/server"
)

// chromiumPath finds Debian's chromium (scripts/setup-web.sh installs it).
func chromiumPath() string {
	if p := os.Getenv("STRATA_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestE2E drives the embedded UI in a real headless Chromium: the explorer loads, a search
// for 容器 finds L-3, L-3 opens with its facts, the edge scenario is planned, and the
// matrices render. Screenshots go to the test's artifact directory (go test -artifacts).
func TestE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium is not installed (scripts/setup-web.sh installs it); skipping the browser test")
	}
	if _, err := os.Stat("ui/dist/assets"); err != nil {
		t.Skip("the web UI is not built (scripts/build-web.sh); skipping the browser test")
	}
	results := filepath.Join(t.TempDir(), "bench.json")
	writeFile(t, results, `{"host":"ci","runs":[{"layer":"L-3","runtime":"runc","startup_ms":118.5},{"layer":"L-4","runtime":"wasmedge","startup_ms":6.2}]}`)
	ts := httptest.NewServer(newServer(t, server.Config{Results: []string{results}}))
	defer ts.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	var mu sync.Mutex
	var jsErrors []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			jsErrors = append(jsErrors, fmt.Sprintf("%s at %s:%d", exceptionText(e.ExceptionDetails), e.ExceptionDetails.URL, e.ExceptionDetails.LineNumber))
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("start chromium %s: %v", bin, err)
	}

	dir := t.ArtifactDir()
	// step runs actions with a bound, so that a UI that never shows what is awaited fails.
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	shot := func(name string) {
		t.Helper()
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	step("explorer", chromedp.Navigate(ts.URL+"/#/explorer"), chromedp.WaitVisible(css("#graph canvas")), chromedp.WaitVisible(css("#graph-status")))
	shot("01-explorer.png")

	step("search 容器", chromedp.Click(css("#search")), chromedp.SendKeys(css("#search"), "容器"), chromedp.WaitVisible(css("#search-results li")))
	hit := text("#search-results li[aria-selected=true]")
	shot("02-search.png")

	step("open L-3", chromedp.SendKeys(css("#search"), kb.Enter), chromedp.WaitVisible(css("#entity-title")))
	title, facts := text("#entity-title"), text("#details")
	shot("03-L-3.png")

	step("plan edge", chromedp.Navigate(ts.URL+"/#/planner"), chromedp.WaitVisible(css("#scenario")),
		chromedp.SetValue(css("#scenario"), "edge"), chromedp.Click(css("#plan-scenario")), chromedp.WaitVisible(css("#plan-coordinates")))
	coords := text("#plan-coordinates")
	shot("04-plan-edge.png")

	// Download the manifests: the browser saves the archive strata plan --emit would write.
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	step("download manifests", chromedp.SetValue(css("#emit-image"), "ghcr.io/example/edge:1.0"), chromedp.SetValue(css("#emit-namespace"), "apps"),
		chromedp.Click(css("#download-manifests")), chromedp.WaitVisible(css("#manifests-status")))
	archive := filepath.Join(downloads, "edge-manifests.tar.gz")
	var files []string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if files = tarFiles(archive); len(files) > 0 {
			break
		}
	}
	if !slices.Contains(files, "edge-manifests/60-deployment-edge.yaml") || !slices.Contains(files, "edge-manifests/30-constraint-edge-runtime-classes.yaml") {
		t.Errorf("downloaded archive %s holds %v", archive, files)
	}
	status := text("#manifests-status")
	shot("04b-manifests.png")
	if status != "saved edge-manifests.tar.gz" {
		t.Errorf("download status %q", status)
	}

	step("results", chromedp.Navigate(ts.URL+"/#/results"), chromedp.WaitVisible(css("main h2")), chromedp.WaitVisible(css(".bar")))
	if got := text("main h2"); got != "bench.json" {
		t.Errorf("results page shows %q, want bench.json", got)
	}
	shot("06-results.png")

	step("matrices", chromedp.Navigate(ts.URL+"/#/matrices"), chromedp.WaitVisible(css("#plane svg")))
	front := text("#plane p")
	shot("05-matrices.png")

	if !strings.HasPrefix(hit, "L-3") {
		t.Errorf("first search hit for 容器 is %q, want L-3", hit)
	}
	if !strings.HasPrefix(title, "L-3") || !strings.Contains(facts, "isolation-strength") {
		t.Errorf("L-3 details: title %q, facts %.300q", title, facts)
	}
	if coords != "(2, 4, 3)" {
		t.Errorf("edge plan coordinates %q, want (2, 4, 3)", coords)
	}
	if !strings.Contains(front, "L-3, L-4") {
		t.Errorf("Pareto front text %q lacks L-3, L-4", front)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, e := range jsErrors {
		t.Errorf("JavaScript exception: %s", e)
	}
	t.Logf("screenshots in %s", dir)
}

// TestE2EFirefox walks the same path in Debian's Firefox ESR over WebDriver BiDi
// (puppeteer-core from web/node_modules; web/e2e/firefox.mjs), plus keyboard-only
// navigation, and judges what the script saw.
func TestE2EFirefox(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	ff, err := exec.LookPath("firefox-esr")
	if err != nil {
		t.Skip("firefox-esr is not installed (scripts/setup-web.sh installs it); skipping the Firefox test")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (scripts/setup-web.sh installs it); skipping the Firefox test")
	}
	if _, err := os.Stat("../../web/node_modules/puppeteer-core"); err != nil {
		t.Skip("puppeteer-core is not installed (scripts/setup-web.sh runs npm ci in web/); skipping the Firefox test")
	}
	if _, err := os.Stat("ui/dist/assets"); err != nil {
		t.Skip("the web UI is not built (scripts/build-web.sh); skipping the browser test")
	}
	ts := httptest.NewServer(newServer(t, server.Config{}))
	defer ts.Close()
	dir := t.ArtifactDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "../../web/e2e/firefox.mjs", ts.URL, dir)
	cmd.Env = append(os.Environ(), "FIREFOX="+ff)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("firefox.mjs: %v\n%s", err, stderr.String())
	}
	var seen struct {
		Errors, Steps                                   []string
		Hit, Title, Facts, Coords, Status, KeyboardHash string
		Front, UserAgent                                string
		Downloaded                                      int
	}
	if err := json.Unmarshal(out, &seen); err != nil {
		t.Fatalf("firefox.mjs printed %q: %v", out, err)
	}
	for _, e := range seen.Errors {
		t.Errorf("Firefox: %s", e)
	}
	want := []string{"explorer", "search", "entity", "plan", "download", "keyboard", "matrices"}
	if !slices.Equal(seen.Steps, want) {
		t.Errorf("steps done %v, want %v", seen.Steps, want)
	}
	if !strings.HasPrefix(seen.Hit, "L-3") || !strings.HasPrefix(seen.Title, "L-3") || !strings.Contains(seen.Facts, "isolation-strength") {
		t.Errorf("search/entity: hit %q, title %q, facts %.200q", seen.Hit, seen.Title, seen.Facts)
	}
	if seen.Coords != "(2, 4, 3)" {
		t.Errorf("edge plan coordinates %q, want (2, 4, 3)", seen.Coords)
	}
	files := tarFiles(filepath.Join(dir, "downloads", "edge-manifests.tar.gz"))
	if seen.Status != "saved edge-manifests.tar.gz" || !slices.Contains(files, "edge-manifests/60-deployment-edge.yaml") {
		t.Errorf("download: status %q, archive files %v", seen.Status, files)
	}
	if seen.KeyboardHash != "#/matrices" || !strings.Contains(seen.Front, "L-3, L-4") {
		t.Errorf("keyboard navigation reached %q; Pareto text %q", seen.KeyboardHash, seen.Front)
	}
	t.Logf("%s; screenshots in %s", seen.UserAgent, dir)
}

// tarFiles lists the files of a .tar.gz, or nil while it is missing or incomplete.
func tarFiles(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil
	}
	tr := tar.NewReader(gz)
	var out []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			return nil
		}
		out = append(out, hdr.Name)
	}
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return d.Text
}

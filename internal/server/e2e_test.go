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

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/internal/server"
	"github.com/strata-dev/strata/probe"
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
	want := wantResults(t)
	ts := httptest.NewServer(newServer(t, server.Config{Results: want.files}))
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

	// The workload form with its defaults implies no requirement: the plan must still show
	// (a null requirements list once threw a TypeError here).
	step("plan workload (defaults)", chromedp.Click(css("#plan-workload")), chromedp.WaitVisible(css("#plan-my-workload #plan-coordinates")))
	if wc := text("#plan-my-workload #plan-coordinates"); !strings.HasPrefix(wc, "(") {
		t.Errorf("workload plan with the form's defaults: coordinates %q", wc)
	}
	shot("04c-plan-workload.png")

	// The probe report: its layers and its checks, failures first.
	eval := func(name, js string) []string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, chromedp.Evaluate[[]string](js))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	step("results: probe", chromedp.Navigate(ts.URL+"/#/results?file=probe.json"), chromedp.WaitVisible(css("#probe-layers")), chromedp.WaitVisible(css("#probe-checks tbody tr")))
	var seen resultsSeen
	seen.Title = text("main h2")
	seen.Offered = eval("offered layers", `[...document.querySelectorAll("#probe-layers li[data-offered=true] h4")].map(e => e.firstChild.textContent)`)
	seen.NotOffered = eval("layers not offered", `[...document.querySelectorAll("#probe-layers li[data-offered=false] h4")].map(e => e.firstChild.textContent)`)
	seen.FirstCheck = text("#probe-checks tbody tr")
	seen.Check = text("#check-" + want.check.ID)
	shot("06-results-probe.png")

	// Bench results, opened from the keyboard: the chart, the medians, the drivers left out.
	step("results: bench", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".result-files button")].find(b => b.textContent === "bench.json").focus()`),
		chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(css("#bench-medians tbody tr")),
		chromedp.Poll[chromedp.Void](`(() => { const i = document.getElementById("bench-chart"); return i && i.complete && i.naturalWidth > 0; })()`))
	seen.Title2 = text("main h2")
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById("bench-chart").naturalWidth`)); err != nil {
		t.Fatalf("chart width: %v", err)
	} else {
		seen.ChartWidth = w
	}
	seen.ChartAlt = eval("chart alt", `[document.getElementById("bench-chart").alt]`)[0]
	seen.Medians = text(`#bench-medians tbody tr[data-driver="` + want.driver + `"]`)
	seen.Unavailable = text("#bench-unavailable")
	shot("07-results-bench.png")
	seen.check(t, want)

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
	results := wantResults(t)
	ts := httptest.NewServer(newServer(t, server.Config{Results: results.files}))
	defer ts.Close()
	dir := t.ArtifactDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "../../web/e2e/firefox.mjs", ts.URL, dir, results.check.ID, results.driver)
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
		WorkloadCoords                                  string
		Front, UserAgent                                string
		Downloaded                                      int
		Results                                         resultsSeen
	}
	if err := json.Unmarshal(out, &seen); err != nil {
		t.Fatalf("firefox.mjs printed %q: %v", out, err)
	}
	for _, e := range seen.Errors {
		t.Errorf("Firefox: %s", e)
	}
	want := []string{"explorer", "search", "entity", "plan", "download", "workload", "keyboard", "matrices", "results-probe", "results-bench"}
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
	if !strings.HasPrefix(seen.WorkloadCoords, "(") {
		t.Errorf("workload plan with the form's defaults: coordinates %q", seen.WorkloadCoords)
	}
	if seen.KeyboardHash != "#/matrices" || !strings.Contains(seen.Front, "L-3, L-4") {
		t.Errorf("keyboard navigation reached %q; Pareto text %q", seen.KeyboardHash, seen.Front)
	}
	seen.Results.check(t, results)
	t.Logf("%s; screenshots in %s", seen.UserAgent, dir)
}

// resultsWant is what the results view must show of the files in testdata.
type resultsWant struct {
	files                []string // the --results files
	offered, notOffered  []string // probe.json's layers
	firstFail, check     probe.Check
	driver               string // a driver of bench.json with a ratio to native
	unavailable, because string // a driver bench.json could not run, and why
	unit                 string // of driver's first result
}

func wantResults(t *testing.T) resultsWant {
	t.Helper()
	var w resultsWant
	for _, f := range []string{benchFile, probeFile} {
		p, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		w.files = append(w.files, p)
	}
	var rep probe.Report
	readJSON(t, probeFile, &rep)
	for _, c := range rep.Coordinates {
		if c.Offered {
			w.offered = append(w.offered, c.Layer)
		} else {
			w.notOffered = append(w.notOffered, c.Layer)
		}
	}
	for _, c := range rep.Checks {
		if c.Result == probe.Fail && w.firstFail.ID == "" {
			w.firstFail = c
		}
		if c.Result == probe.Pass && c.Layer == "L-3" && w.check.ID == "" {
			w.check = c
		}
	}
	var res bench.Results
	readJSON(t, benchFile, &res)
	for _, d := range res.Drivers {
		if !d.Available && w.unavailable == "" {
			w.unavailable, w.because = d.Name, d.Reason
		}
		if d.Available && d.Layer != bench.Native && w.driver == "" && len(d.Results) > 0 && d.Results[0].VsNative != nil {
			w.driver, w.unit = d.Name, d.Results[0].Unit
		}
	}
	if w.firstFail.ID == "" || w.check.ID == "" || w.driver == "" || w.unavailable == "" || len(w.offered) == 0 {
		t.Fatalf("the files under testdata lack what the browser tests look for: %+v", w)
	}
	return w
}

// resultsSeen is what a browser saw of the results view.
type resultsSeen struct {
	Title, Title2, FirstCheck, Check, ChartAlt, Medians, Unavailable string
	Offered, NotOffered                                              []string
	ChartWidth                                                       int
}

func (s resultsSeen) check(t *testing.T, w resultsWant) {
	t.Helper()
	if s.Title != "probe.json" || s.Title2 != "bench.json" {
		t.Errorf("results titles %q then %q, want probe.json then bench.json", s.Title, s.Title2)
	}
	if !slices.Equal(s.Offered, w.offered) || !slices.Equal(s.NotOffered, w.notOffered) {
		t.Errorf("probe layers offered %v, not offered %v; want %v and %v", s.Offered, s.NotOffered, w.offered, w.notOffered)
	}
	if !strings.HasPrefix(s.FirstCheck, w.firstFail.ID) || !strings.Contains(s.FirstCheck, "FAIL") {
		t.Errorf("first check row %q, want the failing check %s first", s.FirstCheck, w.firstFail.ID)
	}
	if !strings.Contains(s.Check, w.check.ID) || !strings.Contains(s.Check, "PASS") || !strings.Contains(s.Check, w.check.Evidence[:min(len(w.check.Evidence), 30)]) {
		t.Errorf("check row %q lacks %s, PASS or its evidence %q", s.Check, w.check.ID, w.check.Evidence)
	}
	if s.ChartWidth == 0 || !strings.Contains(s.ChartAlt, "bench.json") {
		t.Errorf("bench chart: naturalWidth %d, alt %q", s.ChartWidth, s.ChartAlt)
	}
	if !strings.HasPrefix(s.Medians, w.driver) || !strings.Contains(s.Medians, w.unit) || !strings.Contains(s.Medians, "×") {
		t.Errorf("medians row %q lacks %s, its unit %s or a ratio ×", s.Medians, w.driver, w.unit)
	}
	if !strings.Contains(s.Unavailable, w.unavailable) || !strings.Contains(s.Unavailable, w.because) {
		t.Errorf("unavailable drivers %q lack %s: %s", s.Unavailable, w.unavailable, w.because)
	}
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

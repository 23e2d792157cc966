// End-to-end run of the strata UI in Firefox (Debian's firefox-esr) over WebDriver BiDi,
// driven by puppeteer-core. Run by go test (internal/server TestE2EFirefox):
//
//   node web/e2e/firefox.mjs URL OUTDIR CHECK DRIVER
//
// It walks the same path as the Chromium test — the explorer's lanes (judged at 1280×800
// by checks.js for overlapping labels and words broken mid-word), search 容器, open L-3,
// plan the edge scenario, download its manifests, plan the workload form's defaults,
// matrices, the probe report and bench results the server was given with --results
// (CHECK: a check whose row it reads; DRIVER: a bench driver whose medians it reads) —
// plus keyboard-only navigation, saves a screenshot per step in OUTDIR, and prints what it
// saw (console errors and warnings included) as one JSON object for the Go test to judge.
// It exits non-zero only when it could not drive the browser at all.
import puppeteer from "puppeteer-core";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const checks = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "checks.js"), "utf8");

const [url, outDir, checkID, driver] = process.argv.slice(2);
if (!url || !outDir || !checkID || !driver) {
  console.error("usage: node firefox.mjs URL OUTDIR CHECK DRIVER");
  process.exit(2);
}
const downloads = path.join(outDir, "downloads");
fs.mkdirSync(downloads, { recursive: true });

const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: process.env.FIREFOX ?? "/usr/bin/firefox-esr",
  headless: true,
  timeout: 60_000,
  extraPrefsFirefox: {
    "browser.download.folderList": 2,
    "browser.download.dir": downloads,
    "browser.download.useDownloadDir": true,
    "browser.download.always_ask_before_handling_new_types": false,
    "browser.helperApps.neverAsk.saveToDisk": "application/gzip,application/yaml",
    // The downloads panel would take the keyboard focus from the page for good.
    "browser.download.alwaysOpenPanel": false,
  },
});
const seen = { errors: [], steps: [], console: [] };
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("console", (m) => { if (["warn", "warning", "error", "assert"].includes(m.type())) seen.console.push(`${m.type()}: ${m.text()}`); });
  await page.setViewport({ width: 1280, height: 800 });
  const step = async (name, f) => {
    try {
      await f();
      seen.steps.push(name);
    } catch (e) {
      seen.errors.push(`${name}: ${e}`);
    }
    await page.screenshot({ path: path.join(outDir, `firefox-${String(seen.steps.length).padStart(2, "0")}-${name}.png`), fullPage: true }).catch(() => {});
  };
  const text = (sel) => page.$eval(sel, (el) => el.textContent.trim());
  const wait = (sel) => page.waitForSelector(sel, { visible: true, timeout: 30_000 });
  const ready = (view) => page.waitForSelector(`main[data-view="${view}"][data-ready="true"]`, { timeout: 30_000 });

  await step("explorer", async () => {
    await page.goto(url + "/#/explorer");
    await ready("explorer");
    await wait("#lanes .lane");
    await page.evaluate(checks);
    seen.lanes = await page.evaluate(() => ({ overlaps: strataChecks.overlaps("main"), midWord: strataChecks.midWord("main"), layout: strataChecks.layout() }));
  });
  await step("search", async () => {
    await page.click("#search");
    await page.type("#search", "容器");
    await wait("#search-results li");
    seen.hit = await text("#search-results li[aria-selected=true]");
  });
  await step("entity", async () => {
    await page.keyboard.press("Enter");
    await wait("#entity-title");
    seen.title = await text("#entity-title");
    seen.facts = (await text("#details")).slice(0, 2000);
  });
  await step("plan", async () => {
    await page.goto(url + "/#/planner");
    await wait("#scenario");
    await page.select("#scenario", "edge");
    await page.click("#plan-scenario");
    await wait("#plan-coordinates");
    seen.coords = await text("#plan-coordinates");
  });
  await step("download", async () => {
    await page.$eval("#emit-image", (el) => { el.value = "ghcr.io/example/edge:1.0"; });
    await page.click("#download-manifests");
    await page.waitForFunction(() => document.getElementById("manifests-status")?.textContent.startsWith("saved"), { timeout: 30_000 });
    seen.status = await text("#manifests-status");
    const file = path.join(downloads, "edge-manifests.tar.gz");
    for (let i = 0; i < 100 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
    seen.downloaded = fs.existsSync(file) ? fs.statSync(file).size : 0;
  });
  await step("workload", async () => {
    // The workload form with its defaults (no requirement implied) must still plan.
    await page.click("#plan-workload");
    await wait("#plan-my-workload #plan-coordinates");
    seen.workloadCoords = await text("#plan-my-workload #plan-coordinates");
  });
  await step("keyboard", async () => {
    // From a freshly loaded page, Tab until the Matrices link has focus, then Enter.
    await page.goto(url + "/#/explorer");
    await page.reload(); // a hash change alone keeps the focus where it was
    await ready("explorer");
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate(() => document.activeElement?.textContent?.trim() === "Matrices")) break;
    }
    await page.keyboard.press("Enter");
    await wait("#plane svg");
    seen.keyboardHash = await page.evaluate(() => location.hash);
  });
  await step("matrices", async () => {
    seen.front = await text("#plane p");
  });
  seen.results = {};
  const layers = (offered) => page.$$eval(`#probe-layers li[data-offered=${offered}] h4`, (els) => els.map((e) => e.firstChild.textContent));
  await step("results-probe", async () => {
    await page.goto(url + "/#/results?file=probe.json");
    await page.reload(); // Tab from the top of the page (a hash change keeps the focus)
    await wait("#probe-layers");
    await wait("#probe-checks tbody tr");
    seen.results.title = await text("main h2");
    seen.results.offered = await layers(true);
    seen.results.notOffered = await layers(false);
    seen.results.firstCheck = await text("#probe-checks tbody tr");
    seen.results.check = await text("#check-" + checkID);
  });
  await step("results-bench", async () => {
    // Open bench.json from the keyboard: Tab to its button, press Enter.
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate(() => document.activeElement?.textContent === "bench.json")) break;
    }
    await page.keyboard.press("Enter");
    await wait("#bench-medians tbody tr");
    await page.waitForFunction(() => { const i = document.getElementById("bench-chart"); return i && i.complete && i.naturalWidth > 0; }, { timeout: 30_000 });
    seen.results.title2 = await text("main h2");
    seen.results.chartWidth = await page.$eval("#bench-chart", (i) => i.naturalWidth);
    seen.results.chartAlt = await page.$eval("#bench-chart", (i) => i.alt);
    seen.results.medians = await text(`#bench-medians tbody tr[data-driver="${driver}"]`);
    seen.results.unavailable = await text("#bench-unavailable");
  });
  seen.userAgent = await browser.userAgent();
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));

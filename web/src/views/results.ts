// Results: the files given to strata serve with --results. A probe report (strata probe
// -o json) shows the host, the isolation layers it offers and its checks, failures first;
// bench results (strata bench -o json) their chart, the host and the medians against
// native; any other JSON is shown as tables and lists. The server tells the kinds apart.
import { getJSON, getRaw, ResultFile, ResultKind, ProbeReport, ProbeCheck, CheckResult, BenchResults, BenchDriver, BenchWorkloadResult, errorText } from "../api";
import { h, clear, table, scrollBox, breakable } from "../dom";
import { Route, View } from "../router";
import { matching, SearchHit } from "../search";

// What the search box finds in the file on screen: checks and drivers, and how to show one.
interface Findable { hit: SearchHit; show(): void }

export function results(): View {
  let findable: Findable[] = [];
  return {
    title: "Results",
    search: {
      label: "Search this results file",
      placeholder: "Find a check or driver",
      async find(q) {
        return matching(findable, q, (f) => [f.hit.id, f.hit.label, f.hit.detail ?? ""]).map((f) => f.hit);
      },
      open(hit) { findable.find((f) => f.hit.id === hit.id)?.show(); },
    },
    async render(main: HTMLElement, route: Route, signal: AbortSignal) {
      const { results } = await getJSON("/api/v1/results", { signal });
      if (!results.length) {
        clear(main, h("h1", {}, "Results"), h("p", {}, "No results files. Start the server with ", h("code", {}, "strata serve --results probe.json --results bench.json"), " to see probe and bench results here."));
        return;
      }
      const body = h("section", { class: "result", "aria-labelledby": "result-title" });
      const buttons = new Map<string, HTMLButtonElement>();
      // pick shows a file and keeps its name in the address (without a new history entry or
      // a re-render of the list, so the focus stays on the button).
      // Each pick is numbered: a slow answer for an earlier pick is not shown over a later one.
      let picks = 0;
      const pick = async (f: ResultFile, remember: boolean) => {
        const mine = ++picks;
        const live = () => mine === picks && !signal.aborted;
        for (const [n, b] of buttons) {
          if (n === f.name) b.setAttribute("aria-current", "true");
          else b.removeAttribute("aria-current");
        }
        if (remember) history.replaceState(null, "", "#/results?file=" + encodeURIComponent(f.name));
        try {
          findable = await showFile(body, f, live, signal);
        } catch (e) {
          if (!live()) return;
          clear(body, h("h2", { id: "result-title" }, f.name), h("p", { class: "error", role: "alert" }, errorText(e)));
        }
      };
      const rows = results.map((f) => {
        const b = h("button", { type: "button", class: "link", onclick: () => pick(f, true) }, f.name);
        buttons.set(f.name, b);
        return [b, kindText[f.kind as ResultKind] ?? f.kind, f.error ? h("span", { class: "error" }, f.error) : size(f.size), f.modTime];
      });
      clear(main, h("h1", {}, "Results"), h("div", { class: "result-files" }, table(["file", "kind", "size", "modified (UTC)"], rows, "Files given with --results")), body);
      await pick(results.find((f) => f.name === route.params.get("file")) ?? results[0], false);
    },
    dispose() {},
  };
}

const kindText: Record<ResultKind, string> = { probe: "probe report", bench: "bench results", unknown: "other JSON" };

async function showFile(el: HTMLElement, f: ResultFile, live: () => boolean, signal: AbortSignal): Promise<Findable[]> {
  clear(el, h("h2", { id: "result-title" }, f.name), h("p", { class: "muted" }, "Loading…"));
  const data = await getRaw("/api/v1/results/{name}", { path: { name: f.name }, signal });
  if (!live()) return [];
  const title = h("h2", { id: "result-title" }, f.name);
  const found: Findable[] = [];
  switch (f.kind) {
    case "probe":
      clear(el, title, probeView(data as ProbeReport, found));
      break;
    case "bench":
      clear(el, title, benchView(f, data as BenchResults, found));
      break;
    default:
      clear(el, title, h("p", { class: "muted" }, "Not a strata probe or bench file: shown as it is."), render(data, 0));
  }
  return found;
}

function size(n: number): string {
  if (n < 1024) return n + " bytes";
  if (n < 1 << 20) return (n / 1024).toFixed(1) + " KiB";
  return (n / (1 << 20)).toFixed(1) + " MiB";
}

function when(iso: string): string {
  const d = new Date(iso);
  return isNaN(d.getTime()) ? iso : d.toISOString().replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC");
}

// facts is a host fingerprint: a definition list of the fields that are set.
function facts(pairs: [string, string | Node | null | undefined][]): HTMLDListElement {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v as string | Node)]));
}

// ---- probe ----------------------------------------------------------------------------

const resultOrder: CheckResult[] = ["FAIL", "WARN", "PASS", "SKIP"];
const resultIcon: Record<CheckResult, string> = { PASS: "✓", WARN: "!", FAIL: "✗", SKIP: "–" };

// status is a check's result as text with an icon and a colour; the text alone says it.
function status(r: CheckResult): HTMLElement {
  return h("span", { class: "status status-" + r.toLowerCase() }, h("span", { "aria-hidden": "true" }, resultIcon[r] ?? "?"), " ", r);
}

function probeView(r: ProbeReport, found: Findable[]): Node {
  const checks = r.checks ?? [];
  const coords = r.coordinates ?? [];
  const counts = new Map<CheckResult, number>(resultOrder.map((x) => [x, checks.filter((c) => c.result === x).length]));
  const offered = coords.filter((c) => c.offered).map((c) => c.layer);

  // The checks table, failures first, then warnings, passes and skips, each in report order.
  const sorted = checks.map((c, i) => ({ c, i }))
    .sort((a, b) => resultOrder.indexOf(a.c.result) - resultOrder.indexOf(b.c.result) || a.i - b.i).map((x) => x.c);
  const rows = new Map<string, HTMLTableRowElement>();
  const tbody = h("tbody", {}, sorted.map((c) => {
    const tr = h("tr", { id: "check-" + c.id, tabindex: -1, "data-result": c.result, class: "check-" + c.result.toLowerCase() },
      h("th", { scope: "row" }, h("code", {}, c.id), c.version ? h("span", { class: "muted" }, " " + c.version) : null),
      h("td", {}, c.layer),
      h("td", {}, status(c.result), c.needs_root ? h("small", { class: "muted" }, " needs root") : null),
      h("td", { class: "evidence" }, breakable(c.evidence), c.path && !c.evidence.includes(c.path) ? h("small", { class: "muted" }, " (", breakable(c.path), ")") : null),
      h("td", { class: "hint" }, breakable(c.hint ?? "")));
    rows.set(c.id, tr);
    return tr;
  }));
  const shown = h("span", { class: "muted", "aria-live": "polite" });
  const filters = new Map<string, HTMLButtonElement>();
  const filter = (want: string) => {
    let n = 0;
    for (const tr of rows.values()) {
      tr.hidden = want !== "all" && tr.dataset.result !== want;
      if (!tr.hidden) n++;
    }
    for (const [k, b] of filters) b.setAttribute("aria-pressed", String(k === want));
    shown.textContent = want === "all" ? `all ${n} checks` : `${n} ${want} check${n === 1 ? "" : "s"}`;
  };
  for (const k of ["all", ...resultOrder]) {
    const n = k === "all" ? checks.length : counts.get(k as CheckResult) ?? 0;
    filters.set(k, h("button", { type: "button", class: "filter", "aria-pressed": "false", onclick: () => filter(k) }, k === "all" ? "All" : status(k as CheckResult), ` (${n})`));
  }
  // showCheck brings a check's row into view and gives it the focus.
  const showCheck = (id: string) => {
    const tr = rows.get(id);
    if (!tr) return;
    if (tr.hidden) filter("all");
    tr.scrollIntoView({ block: "center" });
    tr.focus();
  };
  for (const c of checks) found.push({ hit: { id: c.id, label: c.id, detail: `${c.result} · ${c.layer}` }, show: () => showCheck(c.id) });
  const byId = new Map(checks.map((c) => [c.id, c]));
  const checkButton = (id: string) => {
    const c: ProbeCheck | undefined = byId.get(id);
    if (!c) return h("code", { class: "muted" }, id);
    return h("button", { type: "button", class: "chip chip-" + c.result.toLowerCase(), title: `${id}: ${c.result} — show the check`, onclick: () => showCheck(id) },
      h("span", { "aria-hidden": "true" }, resultIcon[c.result] + " "), id, h("span", { class: "sr" }, " " + c.result));
  };

  const layers = h("ol", { class: "layers", id: "probe-layers" }, coords.map((c) => h("li", { class: "layer " + (c.offered ? "offered" : "absent"), id: "layer-" + c.layer, "data-offered": String(c.offered) },
    h("h4", {}, c.layer, " ", h("span", { class: "muted" }, c.axis + c.value)),
    h("p", { class: "verdict" }, h("span", { "aria-hidden": "true" }, c.offered ? "✓ " : "✗ "), c.offered ? "offered" : "not offered"),
    h("p", { class: "because" }, c.because),
    c.hint ? h("p", { class: "hint" }, h("b", {}, "To get it: "), c.hint) : null,
    c.checks?.length ? h("p", { class: "layer-checks" }, h("span", { class: "muted" }, "checks: "), c.checks.map((id) => [checkButton(id), " "])) : null)));

  const handlers = r.handlers?.length ? table(["handler", "layer", "offered", "because"], r.handlers.map((x) => [
    h("code", {}, x.name), x.layer, x.offered ? "✓ offered" : "✗ not offered", x.because])) : null;

  const out = h("div", { class: "probe" },
    h("p", { class: "summary", id: "probe-summary" }, "probe report · offers ", h("b", {}, offered.length ? offered.join(", ") : "no layer"),
      ` of ${coords.map((c) => c.layer).join(", ") || "no layer"} · `,
      resultOrder.map((x, i) => [i ? ", " : "", `${counts.get(x)} ${x}`])),
    h("div", { class: "probe-top" },
      h("section", { "aria-labelledby": "probe-host" }, h("h3", { id: "probe-host" }, "Host"), facts([
        ["hostname", r.host?.hostname], ["kernel", r.host?.kernel], ["CPU", r.host?.cpu],
        ["privileged", r.host?.privileged ? "yes: the checks that need root were made" : "no: the checks that need root are SKIP"],
        ["probed", r.host?.time ? when(r.host.time) : null], ["layers asked", r.host?.layers?.length ? r.host.layers.join(", ") : null]])),
      handlers ? h("section", { class: "handlers", "aria-labelledby": "probe-handlers" }, h("h3", { id: "probe-handlers" }, "containerd runtime handlers"), handlers) : null),
    h("section", { "aria-labelledby": "probe-layers-title" }, h("h3", { id: "probe-layers-title" }, "Isolation layers (Y axis)"), layers),
    h("section", { "aria-labelledby": "probe-checks-title" },
      h("h3", { id: "probe-checks-title" }, "Checks"),
      h("div", { class: "filters", role: "group", "aria-label": "Show checks" }, [...filters.values()], " ", shown),
      scrollBox(h("table", { class: "checks-table", id: "probe-checks" },
        h("caption", { class: "sr" }, "Checks, failures first"),
        h("thead", {}, h("tr", {}, ["check", "layer", "result", "evidence", "hint"].map((x) => h("th", { scope: "col" }, x)))), tbody), "Checks")));
  filter("all");
  return out;
}

// ---- bench ----------------------------------------------------------------------------

function num(v: number): string {
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return String(Number(v.toPrecision(2)));
}

function ratio(v: number): string {
  return "×" + String(Number(v.toPrecision(3)));
}

function cell(d: BenchDriver, w: BenchWorkloadResult | undefined): Node {
  if (!w) return h("span", { class: "muted" }, "—");
  if (w.error || !w.summary || w.summary.n === 0) return h("span", { class: "muted" }, h("span", { class: "sr" }, "not measured: "), w.error ?? "not measured");
  const s = w.summary;
  // The median, and under it how many runs it is of and how far they spread (MAD, the
  // median absolute deviation, and the range), in view rather than in a tooltip.
  return h("span", { class: "measure" },
    h("span", { class: "median" }, num(s.median), " ", h("span", { class: "unit" }, w.unit)),
    w.clock === "guest" ? h("abbr", { class: "clock", title: "timed by the workload inside the guest, boot excluded" }, " g") : null,
    w.clock === "workload" ? h("abbr", { class: "clock", title: "timed by the workload itself, the runtime's start excluded" }, " w") : null,
    d.layer === "native" ? h("span", { class: "ratio muted" }, " baseline")
      : w.vs_native ? h("span", { class: "ratio" + (w.vs_native.lo > 1 || w.vs_native.hi < 1 ? " significant" : "") }, " ", ratio(w.vs_native.value),
        w.vs_native.level ? h("small", { class: "muted" }, ` (${Math.round(w.vs_native.level * 100)}% CI ${num(w.vs_native.lo)}–${num(w.vs_native.hi)})`) : null) : null,
    h("small", { class: "spread muted" }, `n=${s.n} · MAD ${num(s.mad)} · ${num(s.min)}–${num(s.max)}`));
}

function benchView(f: ResultFile, r: BenchResults, found: Findable[]): Node {
  const drivers = r.drivers ?? [];
  const workloads = (r.workloads ?? []).map((w) => w.name);
  const available = drivers.filter((d) => d.available);
  const unavailable = drivers.filter((d) => !d.available);
  const unit = (w: string) => drivers.flatMap((d) => d.results ?? []).find((x) => x.workload === w)?.unit ?? "";

  const chart = h("img", {
    id: "bench-chart", src: "/api/v1/results/" + encodeURIComponent(f.name) + "/chart.svg",
    alt: `Chart of ${f.name}: median start-to-exit time of each of ${available.length} drivers (log scale), and each workload's overhead against native (log scale). The medians table below holds the same numbers.`,
  });
  const chartNote = h("p", { class: "error", hidden: true }, "The chart could not be drawn.");
  chart.addEventListener("error", () => { chart.hidden = true; chartNote.hidden = false; });

  const rt = r.host?.runtimes ?? [];
  const host = facts([
    ["hostname", r.host?.hostname], ["OS", r.host?.os], ["kernel", r.host?.kernel], ["CPU", r.host?.cpu && `${r.host.cpu}, ${r.host.cores} cores`],
    ["memory", r.host?.memory_mb ? (r.host.memory_mb / 1024).toFixed(1) + " GiB" : null], ["virtualization", r.host?.virtualization],
    ["/dev/kvm", r.host ? (r.host.kvm ? "yes" : "no") : null], ["cgroup", r.host?.cgroup], ["Go", r.host?.go],
    ["runtimes", rt.length ? h("ul", { class: "plain" }, rt.map((x) => h("li", {}, h("b", {}, x.name), " ", x.version))) : null],
    ["started", r.started ? when(r.started) : null], ["took", r.elapsed_s ? r.elapsed_s.toFixed(1) + " s" : null],
    ["runs", `up to ${r.runs} measured + ${r.warmup} warm-up per workload`],
  ]);

  for (const d of drivers) found.push({ hit: { id: d.name, label: d.name, detail: `driver · ${d.layer}${d.available ? "" : " · not measured"}` }, show: () => {
    const el = document.querySelector<HTMLElement>(`#bench-medians tr[data-driver="${CSS.escape(d.name)}"]`) ?? document.getElementById("bench-unavailable");
    if (!el) return;
    el.setAttribute("tabindex", "-1");
    el.scrollIntoView({ block: "center" });
    el.focus();
  } });
  const medians = h("table", { class: "medians", id: "bench-medians" },
    h("caption", {}, "Medians per driver and workload, with the ratio to native (×) and its confidence interval"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "driver"), workloads.map((w) => h("th", { scope: "col" }, w, unit(w) ? h("span", { class: "muted" }, ` (${unit(w)})`) : null)))),
    h("tbody", {}, available.map((d) => h("tr", { "data-driver": d.name },
      h("th", { scope: "row" }, h("b", {}, d.name), " ", h("span", { class: "layer-tag layer-" + d.layer.toLowerCase() }, d.layer),
        d.accel ? h("span", { class: "muted" }, " [" + d.accel + "]") : null, d.floor ? h("span", { class: "muted", title: "a VM without an OS: the layer's floor" }, " floor") : null,
        d.version ? h("small", { class: "muted version", title: d.version }, d.version) : null,
        d.notes?.length ? h("small", { class: "notes" }, d.notes.join("; ")) : null),
      workloads.map((w) => h("td", {}, cell(d, d.results?.find((x) => x.workload === w))))))));

  return h("div", { class: "bench" },
    h("p", { class: "summary", id: "bench-summary" }, `bench results · ${available.length} of ${drivers.length} drivers available · ${workloads.join(", ")}`),
    h("div", { class: "bench-top" },
      h("figure", { class: "chart" }, chart, chartNote, h("figcaption", { class: "muted" }, "The chart strata bench --chart draws: colours are layers.")),
      h("section", { "aria-labelledby": "bench-host" }, h("h3", { id: "bench-host" }, "Host"), host)),
    h("section", { "aria-labelledby": "bench-medians-title" }, h("h3", { id: "bench-medians-title" }, "Medians"), scrollBox(medians, "Medians")),
    unavailable.length ? h("section", { "aria-labelledby": "bench-unavailable-title" },
      h("h3", { id: "bench-unavailable-title" }, "Not measured"),
      h("ul", { id: "bench-unavailable" }, unavailable.map((d) => h("li", {}, h("b", {}, d.name), " ", h("span", { class: "layer-tag layer-" + d.layer.toLowerCase() }, d.layer), ": ", d.reason || "not available")))) : null);
}

// ---- anything else --------------------------------------------------------------------

// render shows arrays of objects as tables (with a bar for numeric columns), objects as
// definition lists, and the rest as text.
function render(v: unknown, depth: number): Node {
  if (Array.isArray(v)) {
    if (v.length && v.every((x) => x && typeof x === "object" && !Array.isArray(x))) {
      const cols = [...new Set(v.flatMap((x) => Object.keys(x as object)))];
      const nums = cols.filter((c) => v.every((x) => typeof (x as Record<string, unknown>)[c] === "number"));
      const max = new Map(nums.map((c) => [c, Math.max(...v.map((x) => Math.abs((x as Record<string, number>)[c])), 1e-12)]));
      return table(cols, v.map((x) => cols.map((c) => {
        const y = (x as Record<string, unknown>)[c];
        if (typeof y === "number" && max.has(c)) return h("span", { class: "bar" }, h("span", { style: `width:${(100 * Math.abs(y)) / (max.get(c) ?? 1)}%` }), String(y));
        return y !== null && typeof y === "object" ? (depth < 3 ? render(y, depth + 1) : JSON.stringify(y)) : String(y ?? "");
      })));
    }
    return h("span", {}, v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join(", "));
  }
  if (v && typeof v === "object") {
    return h("dl", {}, Object.entries(v as object).map(([k, x]) => [h("dt", {}, k), h("dd", {}, depth < 4 ? render(x, depth + 1) : JSON.stringify(x))]));
  }
  return document.createTextNode(String(v));
}

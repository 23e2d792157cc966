// The strata web UI: explorer, matrices, planner and results over the JSON API.
import { get, NetworkDoc, EntitySummary } from "./api";
import { h, clear } from "./dom";
import { explorer } from "./explorer";
import { matrices } from "./matrices";
import { planner } from "./planner";
import { results } from "./results";

let netPromise: Promise<NetworkDoc> | null = null;
export function network(): Promise<NetworkDoc> {
  if (!netPromise) {
    const p = get<NetworkDoc>("/api/v1/network");
    netPromise = p;
    // A failed load is not kept: the next view asks again.
    p.catch(() => { if (netPromise === p) netPromise = null; });
  }
  return netPromise;
}

const main = document.getElementById("main") as HTMLElement;

export function parseHash(): { view: string; params: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, "");
  const [view, query] = raw.split("?");
  return { view: view || "explorer", params: new URLSearchParams(query || "") };
}

export function go(view: string, params: Record<string, string> = {}) {
  const q = new URLSearchParams(params).toString();
  location.hash = "#/" + view + (q ? "?" + q : "");
}

// Routing: each route() is numbered, and a view is shown only while its number is still
// the latest, so that a slow view (matrices waits on /api/v1/scenarios) cannot replace a
// newer one. A view renders into a fresh container that is attached to main only then.
let current = "";
let gen = 0;
let cleanup: (() => void) | null = null;
function teardown() {
  const f = cleanup;
  cleanup = null;
  if (f) { try { f(); } catch { /* already gone */ } }
}
async function route() {
  const { view, params } = parseHash();
  document.querySelectorAll("nav a").forEach((a) => {
    if ((a as HTMLElement).dataset.view === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  const mine = ++gen;
  const live = () => mine === gen;
  if (view === "explorer" && current === "explorer") {
    explorerFocus(params);
    return;
  }
  current = "";
  teardown();
  explorerFocus = () => {};
  clear(main, h("p", { class: "muted" }, "Loading…"));
  const box = h("div", { class: "view" });
  const attach = () => {
    if (!live()) return false;
    if (box.parentNode !== main) clear(main, box);
    return true;
  };
  const onCleanup = (f: () => void) => {
    if (live()) cleanup = f;
    else f();
  };
  try {
    let name = view;
    switch (view) {
      case "matrices": await matrices(box); break;
      case "planner": await planner(box, params); break;
      case "results": await results(box, params); break;
      default: name = "explorer"; await explorer(box, params, attach, onCleanup);
    }
    if (!attach()) return;
    current = name;
  } catch (e) {
    if (!live()) return;
    clear(main, h("p", { class: "error", role: "alert" }, String((e as Error).message ?? e)));
  }
}
let explorerFocus: (p: URLSearchParams) => void = () => {};
export function onExplorerFocus(f: (p: URLSearchParams) => void) { explorerFocus = f; }

window.addEventListener("hashchange", route);
// "Skip to content" moves the focus to main; its #main must not change the route.
document.querySelector("a.skip")?.addEventListener("click", (ev) => {
  ev.preventDefault();
  main.focus();
});
route();

// The search box: ids, English and Chinese names, aliases; arrows move, Enter opens.
const input = document.getElementById("search") as HTMLInputElement;
const list = document.getElementById("search-results") as HTMLUListElement;
let hits: EntitySummary[] = [];
let active = -1;
let seq = 0;

function show() {
  clear(list, hits.map((e, i) => h("li", {
    role: "option", id: "hit-" + i, "aria-selected": i === active ? "true" : "false",
    onmousedown: (ev: Event) => { ev.preventDefault(); open(i); },
  }, h("b", {}, e.id), " ", e.names.en ?? "", e.names.zh ? " · " + e.names.zh : "", h("span", { class: "muted" }, " " + e.category + (e.match ? " (" + e.match + ")" : "")))));
  list.hidden = hits.length === 0;
  input.setAttribute("aria-expanded", String(!list.hidden));
  if (active >= 0) input.setAttribute("aria-activedescendant", "hit-" + active);
  else input.removeAttribute("aria-activedescendant");
}

function open(i: number) {
  const e = hits[i];
  if (!e) return;
  hits = []; active = -1; show();
  input.value = e.id;
  go("explorer", { focus: e.id });
}

input.addEventListener("input", async () => {
  const q = input.value.trim();
  const mine = ++seq;
  if (!q) { hits = []; show(); return; }
  const ans = await get<{ entities: EntitySummary[] }>("/api/v1/entities?limit=12&q=" + encodeURIComponent(q));
  if (mine !== seq) return;
  hits = ans.entities; active = hits.length ? 0 : -1; show();
});
input.addEventListener("keydown", (ev) => {
  if (ev.key === "ArrowDown") { active = Math.min(hits.length - 1, active + 1); show(); ev.preventDefault(); }
  else if (ev.key === "ArrowUp") { active = Math.max(0, active - 1); show(); ev.preventDefault(); }
  else if (ev.key === "Enter") { open(active < 0 ? 0 : active); ev.preventDefault(); }
  else if (ev.key === "Escape") { hits = []; show(); }
});
input.addEventListener("blur", () => setTimeout(() => { hits = []; show(); }, 100));
document.addEventListener("keydown", (ev) => {
  const t = ev.target as HTMLElement;
  if (ev.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName)) { input.focus(); ev.preventDefault(); }
});

// The header's search box. What it searches belongs to the view on screen (its
// SearchScope): entities in the explorer, rows in the matrices, scenarios and requirements
// in the planner, checks and drivers in the results. A new view empties the box and gives
// it the view's scope; a view without one hides it. Arrows move, Enter opens, Escape closes.
import { h, clear } from "./dom";
import { isAbort } from "./api";

export interface SearchHit { id: string; label: string; detail?: string }

export interface SearchScope {
  /** What the box searches, for its label: "Search entities". */
  label: string;
  placeholder: string;
  find(q: string, signal: AbortSignal): Promise<SearchHit[]>;
  open(hit: SearchHit): void;
}

export interface SearchBox { scope(s: SearchScope | undefined): void }

export function searchBox(region: HTMLElement, input: HTMLInputElement, list: HTMLUListElement, labelEl: HTMLElement): SearchBox {
  let scope: SearchScope | undefined;
  let hits: SearchHit[] = [];
  let active = -1;
  let ctl: AbortController | null = null;

  function show() {
    clear(list, hits.map((e, i) => h("li", {
      role: "option", id: "hit-" + i, "aria-selected": i === active ? "true" : "false",
      onmousedown: (ev: Event) => { ev.preventDefault(); open(i); },
    }, h("b", {}, e.label), e.detail ? h("span", { class: "muted" }, " " + e.detail) : null)));
    list.hidden = hits.length === 0;
    input.setAttribute("aria-expanded", String(!list.hidden));
    if (active >= 0) input.setAttribute("aria-activedescendant", "hit-" + active);
    else input.removeAttribute("aria-activedescendant");
  }

  function close() {
    ctl?.abort();
    hits = [];
    active = -1;
    show();
  }

  function open(i: number) {
    const e = hits[i];
    if (!e || !scope) return;
    close();
    input.value = e.label;
    scope.open(e);
  }

  input.addEventListener("input", async () => {
    ctl?.abort();
    const q = input.value.trim();
    if (!q || !scope) { close(); return; }
    const mine = new AbortController();
    ctl = mine;
    try {
      const found = await scope.find(q, mine.signal);
      if (mine.signal.aborted) return;
      hits = found.slice(0, 12);
      active = hits.length ? 0 : -1;
      show();
    } catch (e) {
      if (!isAbort(e) && !mine.signal.aborted) { hits = []; show(); }
    }
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown") { active = Math.min(hits.length - 1, active + 1); show(); ev.preventDefault(); }
    else if (ev.key === "ArrowUp") { active = Math.max(0, active - 1); show(); ev.preventDefault(); }
    else if (ev.key === "Enter") { open(active < 0 ? 0 : active); ev.preventDefault(); }
    else if (ev.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
  document.addEventListener("keydown", (ev) => {
    const t = ev.target as HTMLElement;
    if (ev.key === "/" && scope && !["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName) && !t.isContentEditable) {
      input.focus();
      ev.preventDefault();
    }
  });

  return {
    scope(s) {
      scope = s;
      close();
      input.value = "";
      region.hidden = !s;
      if (s) {
        labelEl.textContent = s.label;
        input.placeholder = s.placeholder + "  ( / )";
      }
    },
  };
}

/** matching ranks candidates for q: exact matches first, then prefixes, then substrings. */
export function matching<T>(items: T[], q: string, texts: (t: T) => string[]): T[] {
  const want = q.toLowerCase();
  const scored: [number, number, T][] = [];
  items.forEach((it, i) => {
    let best = 3;
    for (const t of texts(it)) {
      const s = t.toLowerCase();
      if (s === want) best = 0;
      else if (s.startsWith(want)) best = Math.min(best, 1);
      else if (s.includes(want)) best = Math.min(best, 2);
    }
    if (best < 3) scored.push([best, i, it]);
  });
  return scored.sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
}

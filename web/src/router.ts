// Routing: the address's hash names a view and its parameters (#/planner?scenario=edge).
// Every view is one interface (View): the router makes a fresh one per visit, renders it
// into a fresh box, and disposes of it on leaving. A view that is left while it still
// loads sees its AbortSignal fire, so a slow view cannot replace a newer one.
import { h, clear } from "./dom";
import { errorText } from "./api";
import type { SearchScope } from "./search";

export interface Route { view: string; params: URLSearchParams }

export interface View {
  /** The document title while the view shows. */
  readonly title: string;
  /** The nav link that is current while the view shows (default: the route's view). */
  readonly nav?: string;
  /** What the header's search box searches while the view shows; none hides it. */
  readonly search?: SearchScope;
  /**
   * render draws the view into el (already in the page, so it can measure itself). It
   * rejects with what to tell the user; after signal aborts, nothing it does is shown.
   */
  render(el: HTMLElement, route: Route, signal: AbortSignal): Promise<void>;
  /** update takes new parameters of the same view in place; false asks for a new render. */
  update?(route: Route): boolean;
  /** dispose releases what render took (listeners, observers, graph instances). */
  dispose(): void;
}

export type ViewFactory = () => View;

export const defaultView = "explorer";

export function parseHash(hash: string = location.hash): Route {
  const raw = hash.replace(/^#\/?/, "");
  const i = raw.indexOf("?");
  const view = decodeURIComponent(i < 0 ? raw : raw.slice(0, i));
  return { view: view || defaultView, params: new URLSearchParams(i < 0 ? "" : raw.slice(i + 1)) };
}

/** href is the address of a view with parameters; empty parameters are left out. */
export function href(view: string, params: Record<string, string | undefined> | URLSearchParams = {}): string {
  const q = params instanceof URLSearchParams ? params
    : new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1]));
  const qs = q.toString();
  return "#/" + view + (qs ? "?" + qs : "");
}

export function go(view: string, params: Record<string, string | undefined> | URLSearchParams = {}) {
  location.hash = href(view, params);
}

// painted resolves once the browser has drawn a frame with what is in the page now.
function painted(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

export interface RouterOptions {
  main: HTMLElement;
  views: Record<string, ViewFactory>;
  notFound: ViewFactory;
  /** onView is told of each new view before it renders (the search box rescopes). */
  onView?: (v: View, r: Route) => void;
}

/**
 * startRouter shows the view the address names and follows the address from then on.
 * While a view loads, main is aria-busy; once it is drawn, main gets data-ready="true"
 * (or "error") and data-view its name, and the first view drawn since the page loaded
 * leaves the performance mark "strata:first-view" (what BENCHMARKS.md measures).
 */
export function startRouter(o: RouterOptions): { refresh: () => void } {
  let current: { name: string; view: View; ctl: AbortController } | null = null;
  let first = true;

  const markNav = (name: string) => {
    document.querySelectorAll<HTMLElement>("nav a[data-view]").forEach((a) => {
      if (a.dataset.view === name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
  };

  async function route(fresh = false) {
    const r = parseHash();
    if (!fresh && current && current.name === r.view && current.view.update?.(r)) return;
    if (current) {
      current.ctl.abort();
      try { current.view.dispose(); } catch { /* already gone */ }
    }
    const known = Object.prototype.hasOwnProperty.call(o.views, r.view);
    const view = (known ? o.views[r.view] : o.notFound)();
    const mine = { name: r.view, view, ctl: new AbortController() };
    current = mine;
    markNav(view.nav ?? (known ? r.view : ""));
    document.title = view.title + " · strata";
    o.onView?.(view, r);
    const box = h("div", { class: "view" }, h("p", { class: "muted" }, "Loading…"));
    o.main.setAttribute("aria-busy", "true");
    o.main.dataset.view = known ? r.view : "not-found";
    delete o.main.dataset.ready;
    clear(o.main, box);
    let state = "true";
    try {
      await view.render(box, r, mine.ctl.signal);
    } catch (e) {
      if (current !== mine) return;
      clear(box, h("h1", {}, view.title), h("p", { class: "error", role: "alert" }, errorText(e)));
      state = "error";
    }
    if (current !== mine) return;
    await painted();
    if (current !== mine) return;
    o.main.removeAttribute("aria-busy");
    o.main.dataset.ready = state;
    if (first) {
      first = false;
      performance.mark("strata:first-view", { detail: o.main.dataset.view });
    }
  }

  window.addEventListener("hashchange", () => { route(); });
  route();
  /** refresh draws the current view again from fresh data (a new network was loaded). */
  return { refresh: () => { route(true); } };
}

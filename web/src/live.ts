// Following the served network: strata serve --watch reloads it as its files change.
// followNetwork polls /api/v1/network/status (the browser revalidates it by its ETag, so
// an unchanged status costs a 304); when another network is served it drops the shared
// network document and has the current view drawn again, and while the files have
// problems it shows them above the view (the network shown is then the last good one).
import { getJSON, Problem } from "./api";
import { forgetNetwork } from "./state";
import { clear, h } from "./dom";

/** How often the status is asked for, in milliseconds. */
export const pollEvery = 2000;

export function followNetwork(banner: HTMLElement, onNew: () => void) {
  let generation: number | null = null;
  let shown = "";
  const show = (stale: boolean, problems: Problem[], loadedAt: string) => {
    const key = stale ? JSON.stringify(problems) : "";
    if (key === shown) return;
    shown = key;
    if (!stale) {
      banner.hidden = true;
      clear(banner);
      return;
    }
    const max = 20;
    clear(banner,
      h("p", {}, `The network files have ${problems.length} problem(s); showing the last good network, loaded at ${loadedAt}.`),
      h("ul", {}, ...problems.slice(0, max).map((p) => h("li", {}, h("code", {}, `${p.pos.file}:${p.pos.line}${p.pos.col ? ":" + p.pos.col : ""}`), " ", p.message))),
      problems.length > max ? h("p", { class: "muted" }, `and ${problems.length - max} more (strata check lists them all)`) : "",
    );
    banner.hidden = false;
  };
  const poll = async () => {
    try {
      const st = await getJSON("/api/v1/network/status");
      if (generation !== null && st.generation !== generation) {
        forgetNetwork();
        onNew();
      }
      generation = st.generation;
      show(st.stale, st.problems ?? [], st.loadedAt);
    } catch {
      // the server is restarting or gone: ask again later
    }
    setTimeout(poll, pollEvery);
  };
  poll();
}

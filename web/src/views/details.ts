// The details pane of the explorer (lanes and free graph): one entity's names, attributes
// and facts with their sources, as lists that read in a narrow column (no table whose
// columns split words), and the entity search both explorer views scope the search box to.
import { getJSON, EntityAnswer, Fact, NetworkDoc, posText, attrValue, label, errorText, isAbort } from "../api";
import { h, clear, breakable } from "../dom";
import { href } from "../router";
import type { SearchScope } from "../search";

export function entityLink(view: string, id: string, extra: Record<string, string | undefined> = {}): HTMLAnchorElement {
  return h("a", { href: href(view, { ...extra, focus: id }), class: "id" }, id);
}

function source(f: { kind?: string; source: { file?: string; line?: number; col?: number } }, kind?: string): HTMLElement {
  return h("small", { class: "src muted" }, kind ? kind + " · " : "", breakable(posText(f.source)));
}

function factList(net: NetworkDoc, view: string, facts: Fact[], keep: Record<string, string | undefined>): HTMLElement {
  const rel = new Map(net.relations.map((r) => [r.id, r]));
  return h("ul", { class: "fact-list" }, facts.map((f) => {
    const r = rel.get(f.relation);
    const op = f.equal ? (r?.equivalence ?? "=") : (r?.symbol ?? "");
    return h("li", {},
      h("span", { class: "fact" }, entityLink(view, f.subject, keep), " ", h("span", { class: "rel" }, op ? op + " " : "", h("span", { class: "id" }, f.relation)), " ", entityLink(view, f.object, keep)),
      source(f, f.kind === "declared" ? "" : f.kind));
  }));
}

/**
 * showDetails fills el with the entity's details. view is the explorer view whose links
 * it writes (explorer or graph) and keep the parameters those links carry along. With
 * moveFocus (the user followed a link to the entity, or picked it in the search box) the
 * focus moves to the details' title once they are shown, so that a keyboard or screen
 * reader user lands on what they asked for rather than on a link that is gone.
 */
export async function showDetails(el: HTMLElement, net: NetworkDoc, id: string, view: string, keep: Record<string, string | undefined>, signal: AbortSignal, moveFocus = false) {
  clear(el, h("p", { class: "muted" }, "Loading ", id, "…"));
  let a: EntityAnswer;
  try {
    a = await getJSON("/api/v1/entities/{name}", { path: { name: id }, signal });
  } catch (e) {
    if (signal.aborted || isAbort(e)) return;
    clear(el, h("p", { class: "error", role: "alert" }, errorText(e)));
    return;
  }
  if (signal.aborted) return;
  showEntity(el, net, a, view, keep);
  if (moveFocus) el.querySelector<HTMLElement>("#entity-title")?.focus();
}

function showEntity(el: HTMLElement, net: NetworkDoc, a: EntityAnswer, view: string, keep: Record<string, string | undefined>) {
  const e = a.entity;
  const id = e.id;
  const close = h("a", { href: href(view, keep), class: "close", "aria-label": "Close the details and show everything" }, "✕ close");
  clear(el,
    h("div", { class: "details-head" }, h("h2", { id: "entity-title", tabindex: -1 }, label(e)), close),
    h("p", {}, e.names.zh ? [h("span", { lang: "zh" }, e.names.zh), " · "] : null, e.category, e.dimension ? [" in dimension ", h("span", { class: "id" }, e.dimension)] : ""),
    e.aliases?.length ? h("p", {}, "aliases: ", e.aliases.join(", ")) : null,
    h("p", {}, source(e, "declared at")),
    e.attributes?.length ? [h("h3", {}, "Attributes"), h("dl", { class: "attrs" }, e.attributes.map((x) => [
      h("dt", {}, x.name), h("dd", {}, attrValue(x), " ", source(x))]))] : null,
    h("h3", {}, `Facts (${a.facts.length})`),
    a.facts.length ? factList(net, view, a.facts, keep) : h("p", {}, "No declared facts."),
    a.derived.length ? h("details", {}, h("summary", {}, `Derived facts (${a.derived.length})`), factList(net, view, a.derived, keep)) : null,
    h("p", {}, view === "graph"
      ? h("a", { href: href("explorer", { focus: id }) }, "Show ", id, " in the lanes")
      : h("a", { href: href("graph", { focus: id }) }, "Show ", id, " in the free graph")),
  );
}

/** entitySearch searches the network's entities and opens one in an explorer view. */
export function entitySearch(open: (id: string) => void): SearchScope {
  return {
    label: "Search entities",
    placeholder: "Search: id, name, 中文, alias",
    async find(q, signal) {
      const ans = await getJSON("/api/v1/entities", { query: { limit: "12", q }, signal });
      return ans.entities.map((e) => ({ id: e.id, label: e.id, detail: [e.names.en, e.names.zh].filter((x) => x && x !== e.id).join(" · ") + " — " + e.category + (e.match ? " (" + e.match + ")" : "") }));
    },
    open: (hit) => open(hit.id),
  };
}

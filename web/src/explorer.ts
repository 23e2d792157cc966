// The explorer: the network as an interactive graph with filters, n-hop focus and details.
import cytoscape from "cytoscape";
import { get, EntityAnswer, Fact, NetworkDoc, posText, attrValue, label, APIError } from "./api";
import { h, clear, table } from "./dom";
import { network, go, onExplorerFocus } from "./main";

const palette = ["#2563eb", "#d97706", "#059669", "#7c3aed", "#dc2626", "#0891b2", "#65a30d", "#db2777", "#4b5563", "#9333ea", "#ea580c", "#0d9488"];

function groupOf(e: { dimension?: string; category: string }): string {
  return e.dimension ? "dimension " + e.dimension : e.category;
}

// explorer renders into main once attach() says the route is still current (it returns
// false when a newer route has started), and hands the Cytoscape instance's cleanup to
// onCleanup so that route() can destroy it before the next view.
export async function explorer(main: HTMLElement, params: URLSearchParams, attach: () => boolean, onCleanup: (f: () => void) => void) {
  const net = await network();
  if (!attach()) return;
  const groups = [...new Set(net.entities.map(groupOf))];
  const color = new Map(groups.map((g, i) => [g, palette[i % palette.length]]));
  const rels = net.relations.map((r) => r.id);
  const symbol = new Map(net.relations.map((r) => [r.id, r.symbol || r.id]));

  const state = { groups: new Set(groups), rels: new Set(rels), derived: false, hops: 1, focus: "" };

  const graph = h("div", { id: "graph", class: "graph", role: "img", "aria-label": "Graph of the relation network. Arrow keys pan, plus and minus zoom, 0 fits, Escape shows all; the search box and the fact lists move between entities" });
  const details = h("aside", { id: "details", class: "details", "aria-live": "polite" }, h("p", { class: "muted" }, "Click an entity, or search for one, to see its attributes, facts and sources."));
  const status = h("p", { class: "muted", id: "graph-status" });

  const groupBoxes = groups.map((g) => h("label", {}, h("input", { type: "checkbox", checked: true, value: g, onchange: (ev: Event) => { toggle(state.groups, g, (ev.target as HTMLInputElement).checked); apply(); } }),
    h("span", { class: "swatch", style: "background:" + color.get(g) }), " " + g));
  const relBoxes = rels.map((r) => h("label", {}, h("input", { type: "checkbox", checked: true, value: r, onchange: (ev: Event) => { toggle(state.rels, r, (ev.target as HTMLInputElement).checked); apply(); } }), " " + r + (symbol.get(r) !== r ? " (" + symbol.get(r) + ")" : "")));
  const hopsSel = h("select", { id: "hops", onchange: (ev: Event) => { state.hops = Number((ev.target as HTMLSelectElement).value); apply(); } },
    [1, 2, 3, 0].map((n) => h("option", { value: n, selected: n === 1 }, n === 0 ? "all" : String(n))));
  const controls = h("section", { class: "controls", "aria-label": "Filters" },
    h("fieldset", {}, h("legend", {}, "Focus"),
      h("label", { for: "hops" }, "hops around the focus "), hopsSel, " ",
      h("button", { type: "button", id: "clear-focus", onclick: () => go("explorer") }, "show all"), " ",
      h("button", { type: "button", onclick: () => layout() }, "re-layout")),
    h("fieldset", {}, h("legend", {}, "Edges"),
      h("label", {}, h("input", { type: "checkbox", id: "derived", onchange: (ev: Event) => { state.derived = (ev.target as HTMLInputElement).checked; apply(); } }), " derived facts (closure of the orders)"),
      h("div", { class: "checks" }, relBoxes)),
    h("fieldset", {}, h("legend", {}, "Dimensions and categories"), h("div", { class: "checks" }, groupBoxes)));
  clear(main, h("div", { class: "explorer" }, controls, h("div", { class: "graph-wrap" }, graph, status), details));

  const elements: cytoscape.ElementDefinition[] = [];
  for (const e of net.entities) {
    elements.push({ group: "nodes", data: { id: e.id, label: e.id + (e.names.zh ? "\n" + e.names.zh : ""), color: color.get(groupOf(e)), group: groupOf(e) } });
  }
  const addEdges = (facts: Fact[], derived: boolean) => facts.forEach((f, i) => elements.push({
    group: "edges", classes: derived ? "derived" : f.equal ? "equal" : "",
    data: { id: (derived ? "d" : "f") + i, source: f.subject, target: f.object, relation: f.relation, derived, label: f.equal ? "=" : symbol.get(f.relation) },
  }));
  addEdges(net.facts, false);
  addEdges(net.derived, true);

  const cy = cytoscape({
    container: graph, elements, wheelSensitivity: 0.3, minZoom: 0.1, maxZoom: 4,
    style: [
      { selector: "node", style: { "background-color": "data(color)", label: "data(label)", "font-size": 10, "text-wrap": "wrap", "text-valign": "bottom", "text-margin-y": 3, width: 16, height: 16, color: "#111" } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#111", width: 24, height: 24 } },
      { selector: "node.focus", style: { "border-width": 4, "border-color": "#f59e0b", width: 26, height: 26 } },
      { selector: "edge", style: { width: 1.2, "line-color": "#94a3b8", "target-arrow-color": "#94a3b8", "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#475569", "arrow-scale": 0.7 } },
      { selector: "edge.equal", style: { "target-arrow-shape": "none", "line-style": "dashed" } },
      { selector: "edge.derived", style: { "line-color": "#f59e0b", "target-arrow-color": "#f59e0b", "line-style": "dotted", label: "" } },
      { selector: ".hidden", style: { display: "none" } },
    ],
    layout: { name: "grid" },
  });
  onCleanup(() => cy.destroy());
  cy.on("tap", "node", (ev) => go("explorer", { focus: ev.target.id() }));
  // Keyboard: arrows pan, + and - zoom, 0 fits, Escape leaves the focus.
  graph.tabIndex = 0;
  graph.addEventListener("keydown", (ev) => {
    const step = 60;
    const pan: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (pan[ev.key]) cy.panBy({ x: pan[ev.key][0], y: pan[ev.key][1] });
    else if (ev.key === "+" || ev.key === "=") cy.zoom({ level: cy.zoom() * 1.2, renderedPosition: { x: graph.clientWidth / 2, y: graph.clientHeight / 2 } });
    else if (ev.key === "-") cy.zoom({ level: cy.zoom() / 1.2, renderedPosition: { x: graph.clientWidth / 2, y: graph.clientHeight / 2 } });
    else if (ev.key === "0") cy.fit(cy.elements().not(".hidden"), 30);
    else if (ev.key === "Escape") go("explorer");
    else return;
    ev.preventDefault();
  });

  function toggle(set: Set<string>, v: string, on: boolean) { if (on) set.add(v); else set.delete(v); }

  function apply() {
    cy.batch(() => {
      const visibleEdge = (e: cytoscape.EdgeSingular) => state.rels.has(e.data("relation")) && (state.derived || !e.data("derived"));
      let keep = cy.nodes().filter((n) => state.groups.has(n.data("group")));
      if (state.focus && cy.getElementById(state.focus).nonempty()) {
        let frontier = cy.getElementById(state.focus) as cytoscape.CollectionReturnValue;
        let seen = frontier;
        for (let i = 0; state.hops === 0 ? frontier.nonempty() : i < state.hops; i++) {
          const next = frontier.connectedEdges().filter(visibleEdge).connectedNodes().difference(seen);
          seen = seen.union(next);
          frontier = next;
          if (next.empty()) break;
        }
        keep = keep.intersection(seen).union(cy.getElementById(state.focus));
      }
      cy.elements().addClass("hidden");
      keep.removeClass("hidden");
      keep.edgesWith(keep).filter(visibleEdge).removeClass("hidden");
      cy.nodes().removeClass("focus");
      if (state.focus) cy.getElementById(state.focus).addClass("focus");
    });
    const n = cy.nodes().not(".hidden").length, m = cy.edges().not(".hidden").length;
    status.textContent = `${n} entities, ${m} facts shown` + (state.focus ? ` — ${state.hops || "all"} hop(s) around ${state.focus}` : "");
    layout();
  }

  function layout() {
    const visible = cy.elements().not(".hidden");
    const opts: cytoscape.LayoutOptions = state.focus
      ? { name: "concentric", concentric: (n: cytoscape.NodeSingular) => (n.id() === state.focus ? 10 : 1), levelWidth: () => 1, minNodeSpacing: 40, animate: false, padding: 20 } as cytoscape.LayoutOptions
      : { name: "cose", animate: false, nodeRepulsion: () => 8000, idealEdgeLength: () => 60, padding: 20 } as cytoscape.LayoutOptions;
    visible.layout(opts).run();
    cy.fit(visible, 30);
    if (cy.zoom() > 1.6) { cy.zoom(1.6); cy.center(visible); } // a small neighbourhood stays readable, not huge
  }

  // Each details request is numbered: a slow answer for an earlier focus is not shown.
  let shown = 0;
  async function focus(p: URLSearchParams) {
    if (cy.destroyed()) return;
    state.focus = p.get("focus") || "";
    apply();
    if (!state.focus) {
      shown++;
      clear(details, h("p", { class: "muted" }, "Click an entity, or search for one, to see its attributes, facts and sources."));
      return;
    }
    cy.$(":selected").unselect();
    cy.getElementById(state.focus).select();
    const mine = ++shown;
    await showDetails(details, net, state.focus, () => mine === shown && !cy.destroyed());
  }
  onExplorerFocus(focus);
  await focus(params);
}

function entityLink(id: string) {
  return h("a", { href: "#/explorer?focus=" + encodeURIComponent(id), class: "entity" }, id);
}

function factRows(net: NetworkDoc, facts: Fact[]) {
  const sym = new Map(net.relations.map((r) => [r.id, r.symbol]));
  return facts.map((f) => [entityLink(f.subject), f.equal ? "=" : (sym.get(f.relation) ? sym.get(f.relation) + " " : "") + f.relation, entityLink(f.object), f.kind, posText(f.source)]);
}

async function showDetails(el: HTMLElement, net: NetworkDoc, id: string, live: () => boolean) {
  let a: EntityAnswer;
  try {
    a = await get<EntityAnswer>("/api/v1/entities/" + encodeURIComponent(id));
  } catch (e) {
    if (!live()) return;
    const b = (e as APIError).body;
    clear(el, h("p", { class: "error", role: "alert" }, b?.message ?? String(e)));
    return;
  }
  if (!live()) return;
  const e = a.entity;
  clear(el,
    h("h2", { id: "entity-title" }, label(e)),
    h("p", {}, e.names.zh ? h("span", { lang: "zh" }, e.names.zh) : null, e.names.zh ? " · " : null, e.category, e.dimension ? " in dimension " + e.dimension : ""),
    e.aliases?.length ? h("p", {}, "aliases: ", e.aliases.join(", ")) : null,
    h("p", { class: "muted" }, "declared at ", posText(e.source)),
    e.attributes?.length ? table(["attribute", "value", "source"], e.attributes.map((x) => [x.name, attrValue(x), posText(x.source)]), "Attributes") : null,
    a.facts.length ? table(["subject", "relation", "object", "kind", "source"], factRows(net, a.facts), `Facts (${a.facts.length})`) : h("p", {}, "No declared facts."),
    a.derived.length ? h("details", {}, h("summary", {}, `Derived facts (${a.derived.length})`), table(["subject", "relation", "object", "kind", "source"], factRows(net, a.derived))) : null,
  );
}

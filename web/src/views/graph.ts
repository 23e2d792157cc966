// The free graph: the whole network as one force-directed graph with filters and n-hop
// focus, one switch away from the lanes (lanes.ts) for when a user wants every edge.
import cytoscape from "cytoscape";
import { Fact, NetworkDoc } from "../api";
import { h, clear } from "../dom";
import { network, derivedFacts } from "../state";
import { go, href, Route, View } from "../router";
import { showDetails, entitySearch } from "./details";

const palette = ["#2563eb", "#b45309", "#047857", "#7c3aed", "#dc2626", "#0e7490", "#4d7c0f", "#be185d", "#4b5563", "#9333ea", "#c2410c", "#0f766e"];

function groupOf(e: { dimension?: string; category: string }): string {
  return e.dimension ? "dimension " + e.dimension : e.category;
}

export function graph(): View {
  let cy: cytoscape.Core | null = null;
  let refocus: (p: URLSearchParams, moveFocus?: boolean) => void = () => {};
  let detailsCtl: AbortController | null = null;

  return {
    title: "Free graph",
    nav: "explorer",
    search: entitySearch((id) => go("graph", { focus: id })),
    async render(main: HTMLElement, route: Route, signal: AbortSignal) {
      const net: NetworkDoc = await network(signal);
      const groups = [...new Set(net.entities.map(groupOf))];
      const color = new Map(groups.map((g, i) => [g, palette[i % palette.length]]));
      const rels = net.relations.map((r) => r.id);
      const symbol = new Map(net.relations.map((r) => [r.id, r.symbol || r.id]));
      const state = { groups: new Set(groups), rels: new Set(rels), derived: false, hops: 1, focus: "" };

      // The drawing takes keys of its own, so it is an application region (not an image):
      // its name says what it is, its description the keys, which also show beside it.
      const keysHelp = h("p", { class: "muted graph-keys", id: "graph-keys" }, "Keys on the graph: arrows pan, + and − zoom, 0 fits, Escape shows all. The search box and the details' fact lists move between entities.");
      const graphEl = h("div", { id: "graph", class: "graph", role: "application", "aria-roledescription": "graph", "aria-label": "The relation network, drawn", "aria-describedby": "graph-keys graph-status" });
      const details = h("aside", { id: "details", class: "details", "aria-label": "Details", hidden: true });
      const status = h("p", { class: "muted", id: "graph-status", role: "status" });

      const toggle = (set: Set<string>, v: string, on: boolean) => { if (on) set.add(v); else set.delete(v); };
      const groupBoxes = groups.map((g) => h("label", {}, h("input", { type: "checkbox", checked: true, value: g, onchange: (ev: Event) => { toggle(state.groups, g, (ev.target as HTMLInputElement).checked); apply(); } }),
        h("span", { class: "swatch", style: "background:" + color.get(g) }), " " + g));
      const relBoxes = rels.map((r) => h("label", {}, h("input", { type: "checkbox", checked: true, value: r, onchange: (ev: Event) => { toggle(state.rels, r, (ev.target as HTMLInputElement).checked); apply(); } }), " " + r + (symbol.get(r) !== r ? " (" + symbol.get(r) + ")" : "")));
      const hopsSel = h("select", { id: "hops", onchange: (ev: Event) => { state.hops = Number((ev.target as HTMLSelectElement).value); apply(); } },
        [1, 2, 3, 0].map((n) => h("option", { value: n, selected: n === 1 }, n === 0 ? "all" : String(n))));
      // The neighbourhood controls mean something only around an entity in focus.
      const focusBox = h("fieldset", { id: "focus-controls", hidden: true }, h("legend", {}, "Around the focus"),
        h("label", { for: "hops" }, "hops "), hopsSel, " ",
        h("a", { href: href("graph"), id: "clear-focus" }, "show all"));
      const controls = h("section", { class: "controls", "aria-label": "Filters" },
        focusBox,
        h("fieldset", {}, h("legend", {}, "Edges"),
          h("label", {}, h("input", { type: "checkbox", id: "derived", onchange: (ev: Event) => showDerived((ev.target as HTMLInputElement).checked) }), " derived facts (closure of the orders)"),
          h("div", { class: "checks" }, relBoxes)),
        h("fieldset", {}, h("legend", {}, "Dimensions and categories"), h("div", { class: "checks" }, groupBoxes)),
        h("p", {}, h("button", { type: "button", onclick: () => layout() }, "re-layout")));
      const root = h("div", { class: "explorer graph-view" },
        h("div", { class: "explorer-bar" }, h("h1", {}, "Explorer"),
          h("nav", { class: "switch", "aria-label": "Show the network as" },
            h("a", { href: href("explorer", { focus: route.params.get("focus") ?? undefined }), id: "to-lanes" }, "Lanes"),
            h("a", { href: href("graph"), "aria-current": "page" }, "Free graph"))),
        h("div", { class: "graph-body" }, controls, h("div", { class: "graph-wrap" }, graphEl, status, keysHelp), details));
      clear(main, root);

      const elements: cytoscape.ElementDefinition[] = [];
      for (const e of net.entities) {
        elements.push({ group: "nodes", data: { id: e.id, label: e.id + (e.names.zh ? "\n" + e.names.zh : ""), color: color.get(groupOf(e)), group: groupOf(e) } });
      }
      const edgeOf = (f: Fact, id: string, derived: boolean): cytoscape.ElementDefinition => ({
        group: "edges", classes: derived ? "derived" : f.equal ? "equal" : "",
        data: { id, source: f.subject, target: f.object, relation: f.relation, derived, label: f.equal ? "=" : symbol.get(f.relation) },
      });
      net.facts.forEach((f, i) => elements.push(edgeOf(f, "f" + i, false)));
      // The derived facts come from their own route, when first asked for: a large network's
      // closure is far larger than the network.
      let derived: "no" | "loading" | "yes" = "no";
      let truncated = false;

      const c = cytoscape({
        container: graphEl, elements, minZoom: 0.1, maxZoom: 4,
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
      cy = c;
      c.on("tap", "node", (ev) => go("graph", { focus: ev.target.id() }));
      // Keyboard: arrows pan, + and - zoom, 0 fits, Escape leaves the focus.
      graphEl.tabIndex = 0;
      graphEl.addEventListener("keydown", (ev) => {
        const step = 60;
        const pan: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
        const mid = { x: graphEl.clientWidth / 2, y: graphEl.clientHeight / 2 };
        if (pan[ev.key]) c.panBy({ x: pan[ev.key][0], y: pan[ev.key][1] });
        else if (ev.key === "+" || ev.key === "=") c.zoom({ level: c.zoom() * 1.2, renderedPosition: mid });
        else if (ev.key === "-") c.zoom({ level: c.zoom() / 1.2, renderedPosition: mid });
        else if (ev.key === "0") c.fit(c.elements().not(".hidden"), 30);
        else if (ev.key === "Escape") go("graph");
        else return;
        ev.preventDefault();
      });

      async function showDerived(on: boolean) {
        state.derived = on;
        if (on && derived === "no") {
          derived = "loading";
          status.textContent = "loading the derived facts…";
          try {
            const d = await derivedFacts(signal);
            if (c.destroyed()) return;
            c.add(d.derived.map((f, i) => edgeOf(f, "d" + i, true)));
            truncated = d.truncated;
            derived = "yes";
          } catch (err) {
            derived = "no";
            if (!c.destroyed()) status.textContent = "the derived facts could not be loaded: " + (err instanceof Error ? err.message : String(err));
            return;
          }
        }
        apply();
      }

      function apply() {
        c.batch(() => {
          const visibleEdge = (e: cytoscape.EdgeSingular) => state.rels.has(e.data("relation")) && (state.derived || !e.data("derived"));
          let keep = c.nodes().filter((n) => state.groups.has(n.data("group")));
          if (state.focus && c.getElementById(state.focus).nonempty()) {
            let frontier = c.getElementById(state.focus) as cytoscape.CollectionReturnValue;
            let seen = frontier;
            for (let i = 0; state.hops === 0 ? frontier.nonempty() : i < state.hops; i++) {
              const next = frontier.connectedEdges().filter(visibleEdge).connectedNodes().difference(seen);
              seen = seen.union(next);
              frontier = next;
              if (next.empty()) break;
            }
            keep = keep.intersection(seen).union(c.getElementById(state.focus));
          }
          c.elements().addClass("hidden");
          keep.removeClass("hidden");
          keep.edgesWith(keep).filter(visibleEdge).removeClass("hidden");
          c.nodes().removeClass("focus");
          if (state.focus) c.getElementById(state.focus).addClass("focus");
        });
        const n = c.nodes().not(".hidden").length, m = c.edges().not(".hidden").length;
        status.textContent = `${n} entities, ${m} facts shown` + (state.focus ? ` — ${state.hops || "all"} hop(s) around ${state.focus}` : "") +
          (state.derived && truncated ? " — the derived facts are the first of more than the server sends; an entity's details list all of its own" : "");
        layout();
      }

      function layout() {
        const visible = c.elements().not(".hidden");
        const opts: cytoscape.LayoutOptions = state.focus
          ? { name: "concentric", concentric: (n: cytoscape.NodeSingular) => (n.id() === state.focus ? 10 : 1), levelWidth: () => 1, minNodeSpacing: 40, animate: false, padding: 20 } as cytoscape.LayoutOptions
          : { name: "cose", animate: false, nodeRepulsion: () => 8000, idealEdgeLength: () => 60, padding: 20 } as cytoscape.LayoutOptions;
        visible.layout(opts).run();
        c.fit(visible, 30);
        if (c.zoom() > 1.6) { c.zoom(1.6); c.center(visible); } // a small neighbourhood stays readable, not huge
      }

      // refocus shows the entity the address names; moveFocus (the user followed a link or
      // picked a search hit) moves the keyboard focus to its details, or, when the focus
      // is left, to the drawing.
      refocus = (p: URLSearchParams, moveFocus = false) => {
        if (c.destroyed()) return;
        const was = state.focus;
        state.focus = p.get("focus") || "";
        moveFocus &&= was !== state.focus;
        focusBox.hidden = !state.focus;
        details.hidden = !state.focus;
        root.classList.toggle("focused", !!state.focus);
        const toLanes = root.querySelector<HTMLAnchorElement>("#to-lanes");
        if (toLanes) toLanes.href = href("explorer", { focus: state.focus || undefined });
        c.resize();
        apply();
        detailsCtl?.abort();
        c.$(":selected").unselect();
        if (!state.focus) {
          clear(details);
          if (moveFocus && !graphEl.contains(document.activeElement)) graphEl.focus();
          return;
        }
        c.getElementById(state.focus).select();
        detailsCtl = new AbortController();
        showDetails(details, net, state.focus, "graph", {}, detailsCtl.signal, moveFocus);
      };
      refocus(route.params);
    },
    update(route: Route) {
      if (!cy || cy.destroyed()) return false;
      refocus(route.params, true);
      return true;
    },
    dispose() {
      detailsCtl?.abort();
      cy?.destroy();
    },
  };
}

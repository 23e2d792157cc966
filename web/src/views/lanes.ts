// The explorer's lanes: the network as the seed thinks of it. Each dimension is a lane,
// side by side: an ordered dimension (isolation) is a ladder whose rungs follow the order
// chosen, a dimension chained by a relation (the architecture views) is drawn as its
// chains, one with years (the timeline) sits on a time axis, and one whose values are
// placed on coordinate axes (the scenarios) is drawn in the X/Y/Z space with the
// technologies that realise each. The technologies that represent a value sit on it as
// chips. Relations between lanes are drawn on demand (and around the entity in focus);
// the free graph (graph.ts) is one switch away.
//
// What goes in which lane is read from the data, not from a list of ids, so a user's own
// network (strata serve --network) gets lanes too.
import { getJSON, NetworkDoc, Entity, Dimension, RankAnswer, ScenarioRow, Fact, RelationType, attrValue, isAbort } from "../api";
import { h, clear, s, Child } from "../dom";
import { network, index, Index } from "../state";
import { go, href, Route, View } from "../router";
import { showDetails, entitySearch } from "./details";

type LaneKind = "ladder" | "chains" | "time" | "space" | "list";

interface Lane {
  dim: Dimension;
  kind: LaneKind;
  /** ladder: the orders that rank the values; chains: the one relation that chains them. */
  relations: string[];
}

interface Anchor { el: HTMLElement; lane: number; chip: boolean }

// A kind of line between lanes: "same" joins the chips of one entity that sit in several
// lanes; any other kind is a relation type whose declared facts join lane items.
interface LinkKind { id: string; label: string; color: string; pairs: [Anchor, Anchor, string, string][] }

const SAME = "same";
const colors = ["#b45309", "#7c3aed", "#047857", "#be185d", "#1d4ed8", "#0e7490", "#4d7c0f", "#9333ea"];

// hidden: an element inside a closed <details> (whose box the browser may still report).
function hidden(el: HTMLElement): boolean {
  return !!el.closest("details:not([open])") || el.getClientRects().length === 0;
}

function year(e: Entity | undefined): number | undefined {
  const a = e?.attributes?.find((x) => x.name === "year" && (x.type === "int" || x.type === "float"));
  return a ? (a.int ?? a.float) : undefined;
}

function coordinate(e: Entity | undefined): number | undefined {
  const a = e?.attributes?.find((x) => x.name === "coordinate");
  return a ? (a.int ?? a.float ?? 0) : undefined;
}

// classify decides each dimension's lane from its data.
function classify(net: NetworkDoc, ix: Index): { lanes: Lane[]; axes: Dimension[]; spaceRelation?: string } {
  const axes = net.dimensions.filter((d) => d.axis).sort((a, b) => (a.axis ?? "").localeCompare(b.axis ?? ""));
  const axisPoint = new Set(axes.flatMap((d) => d.values));
  const orders = net.orders.map((id) => ix.relation.get(id)).filter((r): r is RelationType => !!r);
  let spaceRelation: string | undefined;
  const lanes: Lane[] = [];
  for (const d of net.dimensions) {
    if (d.axis) continue;
    const vals = new Set(d.values);
    const among = (r: string) => d.values.some((v) => (ix.out.get(v) ?? []).some((f) => f.relation === r && vals.has(f.object)));
    const ladder = orders.filter((r) => r.equivalence && among(r.id)).map((r) => r.id);
    const chain = orders.filter((r) => !r.equivalence && among(r.id)).map((r) => r.id);
    const placed = d.values.flatMap((v) => (ix.out.get(v) ?? []).filter((f) => axisPoint.has(f.object)).map((f) => f.relation));
    if (d.values.length > 1 && d.values.every((v) => year(ix.entity.get(v)) !== undefined)) lanes.push({ dim: d, kind: "time", relations: chain });
    else if (ladder.length) lanes.push({ dim: d, kind: "ladder", relations: ladder });
    else if (placed.length && axes.length) {
      spaceRelation ??= placed[0];
      lanes.push({ dim: d, kind: "space", relations: [placed[0]] });
    } else if (chain.length) lanes.push({ dim: d, kind: "chains", relations: chain.slice(0, 1) });
    else lanes.push({ dim: d, kind: "list", relations: [] });
  }
  // Axes without a lane that places things in their space get lanes of their own.
  if (!spaceRelation) for (const d of axes) lanes.push({ dim: d, kind: "list", relations: [] });
  return { lanes, axes: spaceRelation ? axes : [], spaceRelation };
}

export function lanes(): View {
  let net: NetworkDoc;
  let ix: Index;
  let root: HTMLElement;
  let lanesEl: HTMLElement;
  let svg: SVGSVGElement;
  let details: HTMLElement;
  let drawBox: HTMLElement;
  let laneEls: HTMLElement[] = [];
  let layout: { lanes: Lane[]; axes: Dimension[]; spaceRelation?: string };
  let ranks = new Map<string, RankAnswer>();
  let planned = new Map<string, { x: number; y: number; z: number }>();
  let anchors = new Map<string, Anchor[]>();
  let chipFacts = new Set<string>();
  let kinds: LinkKind[] = [];
  let params = new URLSearchParams();
  let observer: ResizeObserver | null = null;
  let detailsCtl: AbortController | null = null;
  let shownFocus = "";
  let frame = 0;
  const relayouts: (() => void)[] = [];

  const keep = (extra: Record<string, string | undefined> = {}) => {
    const p: Record<string, string | undefined> = { order: params.get("order") ?? undefined, draw: params.get("draw") ?? undefined };
    return { ...p, ...extra };
  };
  const link = (id: string) => href("explorer", keep({ focus: id }));

  function anchor(id: string, el: HTMLElement, lane: number, chip: boolean) {
    el.dataset.entity = id;
    const l = anchors.get(id);
    const a = { el, lane, chip };
    if (l) l.push(a); else anchors.set(id, [a]);
  }

  // note is the value's last described column: what the seed's table says of it.
  function note(d: Dimension, e: Entity | undefined): string {
    for (const col of [...(d.columns ?? [])].reverse()) {
      const a = e?.attributes?.find((x) => x.name === col && (x.type === "text" || x.type === "string"));
      if (a && col !== "value") return a.type === "text" ? (a.text?.en ?? a.text?.zh ?? "") : (a.string ?? "");
    }
    return "";
  }

  // chips are the entities that stand for a value without being lane items themselves
  // (the technologies that represent it), grouped by relation.
  function chips(id: string, lane: number, laneItems: Set<string>): Child {
    const groups = new Map<string, string[]>();
    for (const f of ix.in.get(id) ?? []) {
      const r = ix.relation.get(f.relation);
      if (!r || net.orders.includes(r.id) || r.operator || laneItems.has(f.subject)) continue;
      chipFacts.add(f.subject + "\u0000" + f.relation + "\u0000" + f.object);
      const l = groups.get(r.id);
      if (l) l.push(f.subject); else groups.set(r.id, [f.subject]);
    }
    if (!groups.size) return null;
    return [...groups].map(([rid, ids]) => {
      const r = ix.relation.get(rid);
      return h("p", { class: "chips" }, h("span", { class: "muted" }, (r?.inverse ?? rid).replace(/-/g, " ") + ": "),
        ids.map((t) => { const c = h("a", { class: "tag", href: link(t), title: t }, t); anchor(t, c, lane, true); return [c, " "]; }));
    });
  }

  function item(id: string, lane: number, d: Dimension | null, laneItems: Set<string>, extra: Child = null): HTMLElement {
    const e = ix.entity.get(id);
    const said = d ? note(d, e) : "";
    const el = h("div", { class: "item" },
      h("a", { class: "item-title", href: link(id) }, h("b", { class: "id" }, id), e?.names.en && e.names.en !== id ? " " + e.names.en : ""),
      e?.names.zh ? h("span", { class: "zh", lang: "zh" }, " " + e.names.zh) : null,
      said ? h("p", { class: "note" }, said) : null,
      extra, chips(id, lane, laneItems));
    anchor(id, el, lane, false);
    return el;
  }

  function laneHead(lane: Lane, ...more: Child[]): HTMLElement {
    const d = lane.dim;
    return h("header", { class: "lane-head" }, h("h2", { id: "lane-" + d.id }, d.names.en ?? d.id, d.names.zh ? h("span", { class: "zh", lang: "zh" }, " " + d.names.zh) : null), more);
  }

  // ---- ladder: the values on rungs, greatest first, ties on one rung ----
  function ladder(lane: Lane, li: number, laneItems: Set<string>): HTMLElement {
    const d = lane.dim;
    const want = params.get("order");
    const cur = want && lane.relations.includes(want) ? want : lane.relations[0];
    const r = ix.relation.get(cur);
    const vals = new Set(d.values);
    const layers = (ranks.get(cur)?.layers ?? []).map((l) => l.entities.filter((v) => vals.has(v))).filter((l) => l.length);
    const ranked = new Set(layers.flat());
    const rest = d.values.filter((v) => !ranked.has(v));
    const selId = "order-" + d.id;
    const select = h("select", { id: selId, onchange: (ev: Event) => go("explorer", keep({ order: (ev.target as HTMLSelectElement).value, focus: params.get("focus") ?? undefined })) },
      lane.relations.map((id) => h("option", { value: id, selected: id === cur }, ix.relation.get(id)?.names.en ?? id)));
    const sym = r?.symbol ?? ">";
    return h("section", { class: "lane lane-ladder", "aria-labelledby": "lane-" + d.id },
      laneHead(lane, h("p", { class: "lane-ctl" }, h("label", { for: selId }, "ordered by "), select)),
      h("p", { class: "ladder-end" }, "▲ ", r?.greater ?? "greater"),
      h("ol", { class: "ladder", "aria-label": `${d.names.en ?? d.id} by ${r?.names.en ?? cur}, ${r?.greater ?? "greatest"} first` },
        layers.map((l, i) => h("li", { class: "rung" },
          i ? h("span", { class: "rung-sym", "aria-hidden": "true" }, sym) : null,
          l.map((v, j) => [j ? h("span", { class: "rung-eq" }, r?.equivalence ?? "=") : null, item(v, li, d, laneItems)])))),
      h("p", { class: "ladder-end" }, "▼ ", r?.less ?? "less"),
      rest.length ? [h("p", { class: "muted" }, "not ranked by this order:"), rest.map((v) => item(v, li, d, laneItems))] : null);
  }

  // ---- chains: the values along a relation, one chain after another ----
  function chains(lane: Lane, li: number, laneItems: Set<string>): HTMLElement {
    const d = lane.dim;
    const rel = lane.relations[0];
    const r = ix.relation.get(rel);
    const vals = new Set(d.values);
    const succ = new Map<string, string[]>();
    const hasPred = new Set<string>();
    for (const v of d.values) for (const f of ix.out.get(v) ?? []) {
      if (f.relation !== rel || f.equal || !vals.has(f.object)) continue;
      succ.set(v, [...(succ.get(v) ?? []), f.object]);
      hasPred.add(f.object);
    }
    const seen = new Set<string>();
    const runs: string[][] = [];
    for (const start of [...d.values.filter((v) => !hasPred.has(v)), ...d.values]) {
      if (seen.has(start)) continue;
      const run: string[] = [];
      for (let v: string | undefined = start; v && !seen.has(v); v = (succ.get(v) ?? []).find((x) => !seen.has(x))) {
        seen.add(v);
        run.push(v);
      }
      runs.push(run);
    }
    return h("section", { class: "lane lane-chains", "aria-labelledby": "lane-" + d.id },
      laneHead(lane, h("p", { class: "lane-ctl muted" }, "chained by ", r?.names.en ?? rel, " ", r?.symbol ?? "")),
      runs.map((run) => h("ol", { class: "chain", "aria-label": run.join(` ${r?.symbol ?? "→"} `) },
        run.map((v) => h("li", {}, item(v, li, d, laneItems))))));
  }

  // ---- time: the values on a vertical time axis, placed by their year ----
  function time(lane: Lane, li: number, laneItems: Set<string>): HTMLElement {
    const d = lane.dim;
    const vals = [...d.values].sort((a, b) => (year(ix.entity.get(a)) ?? 0) - (year(ix.entity.get(b)) ?? 0));
    const rows = vals.map((v) => h("li", { class: "time" }, h("span", { class: "year" }, String(year(ix.entity.get(v)) ?? "")), item(v, li, d, laneItems)));
    const axis = h("ol", { class: "times", "aria-label": `${d.names.en ?? d.id}, earliest first` }, rows);
    // Each value sits at its year; the scale is the smallest that keeps every value clear
    // of the one before it, so the gaps between years stay in proportion.
    relayouts.push(() => {
      const ys = vals.map((v) => year(ix.entity.get(v)) ?? 0);
      const hs = rows.map((r) => r.offsetHeight);
      let px = 8;
      for (let i = 1; i < rows.length; i++) if (ys[i] > ys[i - 1]) px = Math.max(px, (hs[i - 1] + 10) / (ys[i] - ys[i - 1]));
      let top = 0;
      rows.forEach((r, i) => {
        top = i === 0 ? 0 : Math.max(top + hs[i - 1] + 10, (ys[i] - ys[0]) * px);
        r.style.top = top + "px";
      });
      axis.style.height = (rows.length ? top + hs[hs.length - 1] : 0) + "px";
      axis.style.setProperty("--year", px + "px");
      axis.classList.add("placed");
    });
    return h("section", { class: "lane lane-time", "aria-labelledby": "lane-" + d.id },
      laneHead(lane, h("p", { class: "lane-ctl muted" }, "to scale: one tick a year")), axis);
  }

  // ---- space: the values placed on the coordinate axes, with what realises them ----
  function space(lane: Lane, li: number, laneItems: Set<string>): HTMLElement {
    const d = lane.dim;
    const rel = lane.relations[0];
    const axes = layout.axes;
    const points = axes.map((a) => [...a.values].sort((x, y) => (coordinate(ix.entity.get(x)) ?? 0) - (coordinate(ix.entity.get(y)) ?? 0)));
    const n = Math.max(...points.map((p) => p.length));
    const axisOf = new Map<string, number>();
    axes.forEach((_, i) => points[i].forEach((p) => axisOf.set(p, i)));
    const key = (a: Dimension) => (a.axis ?? "").toLowerCase() as "x" | "y" | "z";

    const head = h("table", { class: "space" }, h("caption", { class: "sr" }, "The coordinate axes"),
      h("tbody", {}, axes.map((a, i) => h("tr", {},
        h("th", { scope: "row", title: a.names.en ?? a.id }, a.axis ?? a.id, h("span", { class: "sr" }, " " + (a.names.en ?? ""))),
        points[i].map((p) => { const c = h("a", { class: "tick", href: link(p), title: `${p} ${ix.entity.get(p)?.names.en ?? ""}` }, String(coordinate(ix.entity.get(p)) ?? p), h("span", { class: "sr" }, " " + (ix.entity.get(p)?.names.en ?? p))); anchor(p, c, li, false); return h("td", {}, c); }),
        h("td", { class: "coord" }, "")))));
    const legend = h("p", { class: "lane-ctl muted" }, axes.map((a, i) => [i ? " · " : "", h("span", { class: "nowrap" }, h("b", {}, a.axis ?? ""), " ", (a.names.en ?? a.id).replace(new RegExp("^" + (a.axis ?? "") + "\\s+", "i"), ""))]));

    const card = (id: string) => {
      const declared = new Map<number, string>();
      const others = new Map<string, string[]>();
      for (const f of ix.out.get(id) ?? []) {
        if (f.relation === rel && axisOf.has(f.object)) declared.set(axisOf.get(f.object)!, f.object);
        else if (!net.orders.includes(f.relation) && f.relation !== rel && !laneItems.has(f.object)) {
          others.set(f.relation, [...(others.get(f.relation) ?? []), f.object]);
          chipFacts.add(id + "\u0000" + f.relation + "\u0000" + f.object);
        }
      }
      const plan = planned.get(id);
      const coordText: string[] = [];
      const tracks = axes.map((a, i) => {
        const dp = declared.get(i);
        const dc = dp ? coordinate(ix.entity.get(dp)) : undefined;
        const pc = plan ? plan[key(a)] : undefined;
        coordText.push(`${a.axis}${dc ?? (pc !== undefined ? pc + " planned" : " not placed")}`);
        return h("tr", {}, h("th", { scope: "row" }, a.axis ?? ""),
          Array.from({ length: n }, (_, k) => h("td", {}, k === dc ? h("span", { class: "dot", title: `${dp}: declared` }) : k === pc ? h("span", { class: "dot planned", title: `${a.axis}${pc}: planned by strata` }) : h("span", { class: "slot" }))),
          h("td", { class: "coord" }, dp ?? (pc !== undefined ? `${a.axis}${pc}` : "—")));
      });
      const el = h("li", { class: "card" }, item(id, li, null, laneItems, [
        h("table", { class: "tracks" }, h("caption", { class: "sr" }, `${id} in the X/Y/Z space: ${coordText.join(", ")}`), h("tbody", { "aria-hidden": "true" }, tracks)),
        [...others].map(([rid, ids]) => {
          const r = ix.relation.get(rid);
          return h("p", { class: "chips" }, h("span", { class: "muted" }, (r?.names.en ?? rid) + ": "),
            ids.map((t) => { const c = h("a", { class: "tag", href: link(t) }, t); anchor(t, c, li, true); return [c, " "]; }));
        })]));
      return el;
    };
    const placedHere = new Set(d.values);
    const examples = net.entities.filter((e) => !placedHere.has(e.id) && !laneItems.has(e.id) && (ix.out.get(e.id) ?? []).some((f) => f.relation === rel && axisOf.has(f.object))).map((e) => e.id);
    return h("section", { class: "lane lane-space", "aria-labelledby": "lane-" + d.id },
      laneHead(lane, h("p", { class: "lane-ctl muted" }, h("span", { class: "dot", "aria-hidden": "true" }), " declared ", h("span", { class: "dot planned", "aria-hidden": "true" }), " planned by strata")),
      head, legend,
      h("ul", { class: "cards" }, d.values.map(card)),
      examples.length ? h("details", { class: "examples" }, h("summary", {}, `More stacks placed in this space (${examples.length})`), h("ul", { class: "cards" }, examples.map(card))) : null);
  }

  // ---- list: the values in their order, and the formulas over them ----
  function list(lane: Lane, li: number, laneItems: Set<string>): HTMLElement {
    const d = lane.dim;
    const vals = new Set(d.values);
    const seen = new Set<string>();
    const formulas = (net.formulas ?? []).filter((f) => {
      const k = f.result + f.op + f.operands.join(",");
      if (seen.has(k) || !f.operands.every((o) => vals.has(o))) return false;
      seen.add(k);
      return true;
    });
    return h("section", { class: "lane lane-list", "aria-labelledby": "lane-" + d.id }, laneHead(lane),
      h("ul", { class: "items" }, d.values.map((v) => h("li", {}, item(v, li, d, laneItems)))),
      formulas.length ? h("div", { class: "formulas" }, h("h3", {}, "Formulas"), formulas.map((f) => {
        const res = h("a", { class: "tag", href: link(f.result) }, ix.entity.get(f.result)?.names.en ?? f.result);
        anchor(f.result, res, li, true);
        return h("p", { class: "formula" }, res, " = ", f.operands.map((o, i) => [i ? ` ${f.op} ` : "", h("a", { href: link(o), class: "id" }, o)]));
      })) : null);
  }

  // kindsOf works out which lines can be drawn between the lanes.
  function kindsOf(): LinkKind[] {
    const out: LinkKind[] = [];
    const same: LinkKind = { id: SAME, label: "same technology", color: colors[0], pairs: [] };
    for (const [id, as] of anchors) {
      const byLane = new Map<number, Anchor>();
      for (const a of as) if (!byLane.has(a.lane)) byLane.set(a.lane, a);
      const l = [...byLane.values()].sort((a, b) => a.lane - b.lane);
      if (l.some((a) => a.chip)) for (let i = 1; i < l.length; i++) same.pairs.push([l[i - 1], l[i], id, id]);
    }
    if (same.pairs.length) out.push(same);
    const byRel = new Map<string, LinkKind>();
    for (const [, facts] of ix.out) for (const f of facts) {
      if (chipFacts.has(f.subject + "\u0000" + f.relation + "\u0000" + f.object)) continue;
      const a = (anchors.get(f.subject) ?? []).find((x) => !x.chip), b = (anchors.get(f.object) ?? []).find((x) => !x.chip);
      if (!a || !b || a.lane === b.lane) continue;
      let k = byRel.get(f.relation);
      if (!k) {
        const r = ix.relation.get(f.relation);
        k = { id: f.relation, label: r?.names.en ?? f.relation, color: colors[(byRel.size + 1) % colors.length], pairs: [] };
        byRel.set(f.relation, k);
      }
      k.pairs.push([a, b, f.subject, f.object]);
    }
    return [...out, ...byRel.values()];
  }

  function draw() {
    const box = lanesEl.getBoundingClientRect();
    const W = lanesEl.scrollWidth, H = lanesEl.scrollHeight;
    svg.setAttribute("width", String(W));
    svg.setAttribute("height", String(H));
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.replaceChildren();
    const on = new Set((params.get("draw") ?? "").split(",").filter(Boolean));
    const focus = params.get("focus") ?? "";
    for (const k of kinds) {
      for (const [a, b, sid, oid] of k.pairs) {
        const hot = focus !== "" && (sid === focus || oid === focus);
        if (!on.has(k.id) && !hot) continue;
        if (hidden(a.el) || hidden(b.el)) continue; // inside a closed <details>
        const ra = a.el.getBoundingClientRect(), rb = b.el.getBoundingClientRect();
        let x1: number, y1: number, x2: number, y2: number, horizontal = true;
        if (ra.right <= rb.left) { x1 = ra.right; x2 = rb.left; y1 = ra.top + ra.height / 2; y2 = rb.top + rb.height / 2; }
        else if (rb.right <= ra.left) { x1 = ra.left; x2 = rb.right; y1 = ra.top + ra.height / 2; y2 = rb.top + rb.height / 2; }
        else { horizontal = false; x1 = ra.left + ra.width / 2; x2 = rb.left + rb.width / 2; [y1, y2] = ra.top < rb.top ? [ra.bottom, rb.top] : [ra.top, rb.bottom]; }
        x1 -= box.left; x2 -= box.left; y1 -= box.top; y2 -= box.top;
        const dx = horizontal ? (x2 - x1) / 2 : 0, dy = horizontal ? 0 : (y2 - y1) / 2;
        svg.append(s("path", { d: `M${x1},${y1} C${x1 + dx},${y1 + dy} ${x2 - dx},${y2 - dy} ${x2},${y2}`, stroke: k.color, class: hot ? "hot" : "", "data-kind": k.id }),
          s("circle", { cx: x1, cy: y1, r: 3, fill: k.color }), s("circle", { cx: x2, cy: y2, r: 3, fill: k.color }));
      }
    }
  }

  function relayout() {
    for (const f of relayouts) f();
    draw();
  }

  function drawControls() {
    const on = new Set((params.get("draw") ?? "").split(",").filter(Boolean));
    clear(drawBox, h("legend", {}, "Draw relations between lanes"), kinds.map((k) => h("label", { class: "check" },
      h("input", { type: "checkbox", value: k.id, checked: on.has(k.id), onchange: () => {
        const want = [...drawBox.querySelectorAll<HTMLInputElement>("input:checked")].map((x) => x.value);
        go("explorer", keep({ draw: want.join(",") || undefined, focus: params.get("focus") ?? undefined }));
      } }),
      h("span", { class: "swatch", style: "background:" + k.color }), " " + k.label + ` (${k.pairs.length})`)));
  }

  function build() {
    anchors = new Map();
    chipFacts = new Set();
    relayouts.length = 0;
    const laneItems = new Set<string>(layout.lanes.flatMap((l) => l.dim.values));
    for (const a of layout.axes) for (const v of a.values) laneItems.add(v);
    laneEls = layout.lanes.map((lane, i) => {
      switch (lane.kind) {
        case "ladder": return ladder(lane, i, laneItems);
        case "chains": return chains(lane, i, laneItems);
        case "time": return time(lane, i, laneItems);
        case "space": return space(lane, i, laneItems);
        default: return list(lane, i, laneItems);
      }
    });
    clear(lanesEl, laneEls, svg);
    kinds = kindsOf();
    drawControls();
  }

  // applyFocus marks the entity in focus and shows its details; moveFocus (the user asked
  // for it) moves the keyboard focus to the details' title, and closing the details
  // moves it back to where the entity sits in the lanes.
  function applyFocus(moveFocus = false) {
    const focus = params.get("focus") ?? "";
    root.classList.toggle("focused", !!focus);
    details.hidden = !focus;
    for (const el of lanesEl.querySelectorAll(".is-focus, .is-near")) el.classList.remove("is-focus", "is-near");
    if (focus) {
      for (const a of anchors.get(focus) ?? []) a.el.classList.add("is-focus");
      const near = new Set([...(ix.out.get(focus) ?? []).map((f) => f.object), ...(ix.in.get(focus) ?? []).map((f) => f.subject)]);
      for (const id of near) for (const a of anchors.get(id) ?? []) if (!a.el.classList.contains("is-focus")) a.el.classList.add("is-near");
    }
    if (focus !== shownFocus) {
      const was = shownFocus;
      shownFocus = focus;
      detailsCtl?.abort();
      if (focus) {
        detailsCtl = new AbortController();
        showDetails(details, net, focus, "explorer", keep(), detailsCtl.signal, moveFocus);
      } else {
        clear(details);
        const back = (anchors.get(was) ?? []).find((a) => !hidden(a.el));
        if (moveFocus && back) (back.el.matches("a") ? back.el : back.el.querySelector<HTMLElement>("a"))?.focus();
      }
    }
  }

  function schedule() {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => relayout());
  }

  return {
    title: "Explorer",
    search: entitySearch((id) => go("explorer", keep({ focus: id }))),
    async render(el: HTMLElement, route: Route, signal: AbortSignal) {
      params = route.params;
      net = await network(signal);
      ix = index(net);
      layout = classify(net, ix);
      const ladderRels = [...new Set(layout.lanes.filter((l) => l.kind === "ladder").flatMap((l) => l.relations))];
      const hasSpace = layout.lanes.some((l) => l.kind === "space");
      const [rs, sc] = await Promise.all([
        Promise.all(ladderRels.map((r) => getJSON("/api/v1/rank/{relation}", { path: { relation: r }, signal }))),
        // The planner's coordinates fill in what the seed leaves out; the lanes draw
        // without them when planning is busy.
        hasSpace ? getJSON("/api/v1/scenarios", { signal }).catch((e): ScenarioRow[] => { if (isAbort(e)) throw e; return []; }) : Promise.resolve([] as ScenarioRow[]),
      ]);
      if (signal.aborted) return;
      ranks = new Map(rs.map((r) => [r.relation, r]));
      planned = new Map(sc.filter((r) => r.plan).map((r) => [r.scenario, r.plan!.coordinates]));

      svg = s("svg", { class: "links", "aria-hidden": "true", focusable: "false" }) as SVGSVGElement;
      lanesEl = h("div", { class: "lanes", id: "lanes" });
      details = h("aside", { class: "details", id: "details", "aria-label": "Details", hidden: true });
      drawBox = h("fieldset", { class: "draw", id: "draw" });
      root = h("div", { class: "explorer" },
        h("div", { class: "explorer-bar" },
          h("h1", {}, "Explorer"),
          h("nav", { class: "switch", "aria-label": "Show the network as" },
            h("a", { href: href("explorer", keep({ focus: params.get("focus") ?? undefined })), "aria-current": "page" }, "Lanes"),
            h("a", { href: href("graph", { focus: params.get("focus") ?? undefined }), id: "to-graph" }, "Free graph")),
          drawBox),
        h("div", { class: "explorer-body" }, lanesEl, details));
      clear(el, root);
      build();
      applyFocus();
      relayout();
      observer = new ResizeObserver(schedule);
      observer.observe(lanesEl);
      lanesEl.addEventListener("toggle", schedule, true); // a <details> opened or closed
    },
    update(route: Route) {
      const before = params;
      params = route.params;
      if ((before.get("order") ?? "") !== (params.get("order") ?? "")) {
        build();
        shownFocus = "";
      } else drawControls();
      const nav = root.querySelector<HTMLAnchorElement>(".switch a:first-child");
      if (nav) nav.href = href("explorer", keep({ focus: params.get("focus") ?? undefined }));
      const toGraph = root.querySelector<HTMLAnchorElement>("#to-graph");
      if (toGraph) toGraph.href = href("graph", { focus: params.get("focus") ?? undefined });
      applyFocus((before.get("focus") ?? "") !== (params.get("focus") ?? ""));
      relayout();
      const focus = params.get("focus");
      if (focus && (before.get("focus") ?? "") !== focus) {
        // Bring the details into view where the lanes leave them below the fold.
        const r = details.getBoundingClientRect();
        if (r.top > innerHeight || r.bottom < 0) details.scrollIntoView({ block: "start" });
      }
      return true;
    },
    dispose() {
      observer?.disconnect();
      detailsCtl?.abort();
      cancelAnimationFrame(frame);
    },
  };
}

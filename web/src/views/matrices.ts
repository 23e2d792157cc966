// Matrices: each dimension as the seed's table, the isolation layers on the
// strength × overhead plane with the Pareto front, the timeline, and the X/Y/Z space.
import { getJSON, NetworkDoc, Entity, RankAnswer, Front, ScenarioRow, attrValue } from "../api";
import { h, clear, s, table, breakable } from "../dom";
import { network, index } from "../state";
import { href, Route, View } from "../router";
import { matching } from "../search";

function cell(net: NetworkDoc, e: Entity, col: string): string {
  const a = e.attributes?.find((x) => x.name === col);
  if (a) return attrValue(a);
  const ix = index(net);
  if (ix.relation.has(col)) return (ix.out.get(e.id) ?? []).filter((f) => f.relation === col).map((f) => f.object).join(", ");
  const inv = net.relations.find((r) => r.inverse === col);
  if (inv) return (ix.in.get(e.id) ?? []).filter((f) => f.relation === inv.id).map((f) => f.subject).join(", ");
  return "";
}

// show scrolls to an element of the page and moves the focus to it, without touching the
// address (which holds the view).
function show(el: HTMLElement | null) {
  if (!el) return;
  if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
  el.scrollIntoView({ block: "start" });
  el.focus({ preventScroll: true });
}

export function matrices(): View {
  let rows: { id: string; label: string; detail: string }[] = [];
  return {
    title: "Matrices",
    search: {
      label: "Search the matrices",
      placeholder: "Find a row: id or name",
      async find(q) {
        return matching(rows, q, (r) => [r.id, r.label]).map((r) => ({ id: r.id, label: r.id, detail: r.detail }));
      },
      open(hit) {
        const tr = document.getElementById("row-" + hit.id);
        document.querySelectorAll(".matrices tr.hit").forEach((x) => x.classList.remove("hit"));
        tr?.classList.add("hit");
        show(tr);
      },
    },
    async render(main: HTMLElement, _route: Route, signal: AbortSignal) {
      const net = await network(signal);
      const byID = new Map(net.entities.map((e) => [e.id, e]));
      const [strength, overhead, front, scenarios] = await Promise.all([
        getJSON("/api/v1/rank/{relation}", { path: { relation: "isolation-strength" }, signal }),
        getJSON("/api/v1/rank/{relation}", { path: { relation: "overhead" }, signal }),
        getJSON("/api/v1/pareto", { query: { criteria: "isolation-strength:max,overhead:min" }, signal }),
        getJSON("/api/v1/scenarios", { signal }),
      ]);
      if (signal.aborted) return;
      // In-page links scroll instead of changing the hash, which holds the view.
      const jump = (id: string, text: string) => h("a", { href: "#/matrices", class: "nowrap", onclick: (ev: Event) => {
        ev.preventDefault();
        show(document.getElementById(id)?.querySelector("h2") ?? null);
      } }, text);
      const timelineDim = net.dimensions.find((d) => d.id === "timeline");
      // Each section is in the contents once: the timeline's table is part of the
      // timeline section, not a second entry.
      const dimsShown = net.dimensions.filter((d) => d !== timelineDim);
      const toc = h("nav", { class: "toc", "aria-label": "Contents" },
        [["plane", "strength × overhead"], ...(timelineDim ? [["timeline", "timeline"]] : []), ["xyz", "X/Y/Z space"],
          ...dimsShown.map((d) => ["dim-" + d.id, d.id])].map(([id, text], i) => [i ? " · " : "", jump(id, text)]));
      const link = (id: string) => h("a", { href: href("explorer", { focus: id }), class: "id" }, id);
      rows = [];
      const dimTable = (d: typeof net.dimensions[number]) => {
        const cols = d.columns?.length ? d.columns : [...new Set(d.values.flatMap((v) => byID.get(v)?.attributes?.map((a) => a.name) ?? []))];
        const t = table(["value", "name", ...cols], d.values.map((v) => {
          const e = byID.get(v);
          rows.push({ id: v, label: e?.names.en ?? v, detail: [e?.names.en, e?.names.zh, "in " + d.id].filter(Boolean).join(" · ") });
          return [link(v), e ? [e.names.en ?? "", e.names.zh ? " / " + e.names.zh : ""].join("") : "", ...cols.map((c) => (e ? cell(net, e, c) : ""))];
        }), (d.names.en ?? d.id) + " (" + d.id + ")");
        t.querySelectorAll("tbody tr").forEach((tr, i) => { tr.id = "row-" + d.values[i]; });
        return t;
      };
      const dims = dimsShown.map((d) => h("section", { id: "dim-" + d.id, class: "matrix" },
        h("h2", {}, d.names.en ?? d.id, d.names.zh ? h("span", { lang: "zh", class: "zh" }, " " + d.names.zh) : null, d.axis ? " (axis " + d.axis + ")" : ""),
        d.definition?.en ? h("p", {}, d.definition.en) : null,
        dimTable(d)));
      clear(main, h("div", { class: "matrices" }, h("h1", {}, "Matrices"), toc,
        plane(strength, overhead, front), timelineDim ? timeline(net, timelineDim, dimTable(timelineDim)) : null, xyz(scenarios), dims));
    },
    dispose() {},
  };
}

// plane puts each layer at (overhead rank, strength rank): layers of the orders, not
// measurements, as the seed gives only orders.
function plane(strength: RankAnswer, overhead: RankAnswer, front: Front): HTMLElement {
  const sRank = new Map<string, number>(), oRank = new Map<string, number>();
  strength.layers.forEach((l) => l.entities.forEach((e) => sRank.set(e, l.rank)));
  overhead.layers.forEach((l) => l.entities.forEach((e) => oRank.set(e, l.rank)));
  const ids = [...sRank.keys()].filter((k) => oRank.has(k));
  const ns = strength.layers.length, no = overhead.layers.length;
  const W = 460, H = 300, P = 50;
  const x = (id: string) => P + ((no - (oRank.get(id) ?? 0)) / Math.max(1, no - 1)) * (W - 2 * P - 60); // right = more overhead
  const y = (id: string) => P + (((sRank.get(id) ?? 0) - 1) / Math.max(1, ns - 1)) * (H - 2 * P); // top = stronger
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "chart-svg", role: "img", "aria-labelledby": "plane-title" });
  svg.append(s("title", { id: "plane-title" }, "Isolation layers: strength (up) against overhead (right); the Pareto front is marked"));
  svg.append(s("line", { x1: P - 20, y1: H - P + 20, x2: W - P + 20, y2: H - P + 20, stroke: "#64748b" }), s("line", { x1: P - 20, y1: H - P + 20, x2: P - 20, y2: P - 20, stroke: "#64748b" }));
  svg.append(s("text", { x: W / 2, y: H - 8, "text-anchor": "middle", "font-size": 12 }, "overhead → more"), s("text", { x: 12, y: H / 2, "font-size": 12, transform: `rotate(-90 12 ${H / 2})`, "text-anchor": "middle" }, "strength → stronger"));
  const fr = ids.filter((i) => front.front.includes(i)).sort((a, b) => x(a) - x(b));
  if (fr.length > 1) svg.append(s("polyline", { points: fr.map((i) => `${x(i)},${y(i)}`).join(" "), fill: "none", stroke: "#b45309", "stroke-width": 2, "stroke-dasharray": "5 3" }));
  for (const id of ids) {
    const on = front.front.includes(id);
    svg.append(s("circle", { cx: x(id), cy: y(id), r: on ? 9 : 6, fill: on ? "#f59e0b" : "#2563eb" }), s("text", { x: x(id) + 12, y: y(id) + 4, "font-size": 12 }, id + (on ? " (front)" : "")));
  }
  return h("section", { id: "plane", class: "matrix" }, h("h2", {}, "Isolation: strength × overhead"),
    h("p", {}, "Pareto front (isolation-strength:max, overhead:min): ", h("b", {}, front.front.join(", ")), ". Dominated: ",
      front.dominated.map((d) => `${d.entity} by ${d.by} (better on ${d.better.join(", ")})`).join("; ") || "none", "."),
    svg as unknown as Node);
}

function timeline(net: NetworkDoc, d: NetworkDoc["dimensions"][number], detail: HTMLElement): HTMLElement {
  const byID = new Map(net.entities.map((e) => [e.id, e]));
  return h("section", { id: "timeline", class: "matrix" }, h("h2", {}, d.names.en ?? "Timeline", d.names.zh ? h("span", { lang: "zh", class: "zh" }, " " + d.names.zh) : null),
    h("ol", { class: "timeline" }, d.values.map((v) => {
      const e = byID.get(v);
      const year = e?.attributes?.find((a) => a.name === "year");
      const change = e?.attributes?.find((a) => a.name === "change");
      return h("li", {}, h("b", {}, year ? attrValue(year) : ""), h("a", { href: href("explorer", { focus: v }) }, v + " " + (e?.names.en ?? "")), h("span", {}, change ? attrValue(change) : ""));
    })), detail);
}

// xyz draws the scenarios in the X × Y plane with Z written beside each. Scenarios at one
// point share one marker and one label block, and a block that would cover another moves
// down (with a leader line back to its point), so no two labels overlap.
function xyz(rows: ScenarioRow[]): HTMLElement {
  const W = 420, H = 280, P = 40, step = (W - 2 * P - 120) / 4, vstep = (H - 2 * P) / 4, line = 14, charW = 6.6;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "chart-svg", role: "img", "aria-labelledby": "xyz-title" });
  svg.append(s("title", { id: "xyz-title" }, "Scenarios in the X (orchestration) × Y (isolation) plane; Z (policy) is written beside each"));
  for (let i = 0; i <= 4; i++) {
    svg.append(s("line", { x1: P + i * step, y1: P, x2: P + i * step, y2: H - P, stroke: "#e2e8f0" }), s("line", { x1: P, y1: P + i * vstep, x2: P + 4 * step, y2: P + i * vstep, stroke: "#e2e8f0" }));
    svg.append(s("text", { x: P + i * step, y: H - P + 16, "text-anchor": "middle", "font-size": 11 }, "X" + i), s("text", { x: P - 22, y: H - P - i * vstep + 4, "font-size": 11 }, "Y" + i));
  }
  const points = new Map<string, { cx: number; cy: number; labels: string[] }>();
  for (const r of rows) {
    if (!r.plan) continue;
    const c = r.plan.coordinates, key = c.x + "," + c.y;
    const p = points.get(key) ?? { cx: P + c.x * step, cy: H - P - c.y * vstep, labels: [] };
    p.labels.push(`${r.scenario} (Z${c.z})`);
    points.set(key, p);
  }
  const placed: { x: number; y: number; w: number; h: number }[] = [];
  const hits = (b: { x: number; y: number; w: number; h: number }) => placed.some((o) => b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h);
  for (const p of [...points.values()].sort((a, b) => a.cy - b.cy || a.cx - b.cx)) {
    const w = Math.max(...p.labels.map((l) => l.length)) * charW, bh = p.labels.length * line;
    const box = { x: p.cx + 10, y: p.cy - line / 2 - 2, w, h: bh };
    if (box.x + w > W) box.x = p.cx - 10 - w;
    while (hits(box) && box.y + bh < H) box.y += line;
    placed.push(box);
    svg.append(s("circle", { cx: p.cx, cy: p.cy, r: 6, fill: "#7c3aed" }));
    if (Math.abs(box.y + line / 2 + 2 - p.cy) > 2) svg.append(s("line", { x1: p.cx, y1: p.cy, x2: box.x, y2: box.y + line / 2, stroke: "#7c3aed" }));
    const t = s("text", { x: box.x, y: box.y + line - 3, "font-size": 11 });
    p.labels.forEach((l, i) => t.append(s("tspan", { x: box.x, dy: i ? line : 0 }, l)));
    svg.append(t);
  }
  return h("section", { id: "xyz", class: "matrix" }, h("h2", {}, "X/Y/Z space"),
    h("div", { class: "row" }, svg as unknown as Node,
      table(["scenario", "key requirements", "declared", "planned stack", "(X, Y, Z)", "agrees"], rows.map((r) => [
        h("a", { href: href("planner", { scenario: r.scenario }) }, r.scenario), (r.requirements ?? []).join(", "),
        (r.declared.stack ?? []).join(" + ") + " " + Object.entries(r.declared.coordinates ?? {}).map(([k, v]) => k + "=" + v).join(" "),
        r.plan ? r.plan.stack.filter((c) => c.role !== "observability").map((c) => c.technology).join(" + ") : r.error ?? "",
        r.plan ? `(${r.plan.coordinates.x}, ${r.plan.coordinates.y}, ${r.plan.coordinates.z})` : "", r.error ? ["no plan: ", breakable(r.error)] : r.agrees ? "yes" : "no: " + (r.differences ?? []).join("; ")]), "Scenarios: declared and planned")));
}

// Matrices: each dimension as the seed's table, the isolation layers on the
// strength × overhead plane with the Pareto front, the timeline, and the X/Y/Z space.
import { get, NetworkDoc, Entity, RankAnswer, Front, ScenarioRow, attrValue } from "./api";
import { h, clear, s, table } from "./dom";
import { network } from "./main";

function cell(net: NetworkDoc, e: Entity, col: string): string {
  const a = e.attributes?.find((x) => x.name === col);
  if (a) return attrValue(a);
  const rel = net.relations.find((r) => r.id === col);
  if (rel) return net.facts.filter((f) => f.subject === e.id && f.relation === rel.id).map((f) => f.object).join(", ");
  const inv = net.relations.find((r) => r.inverse === col);
  if (inv) return net.facts.filter((f) => f.object === e.id && f.relation === inv.id).map((f) => f.subject).join(", ");
  return "";
}

export async function matrices(main: HTMLElement) {
  const net = await network();
  const byID = new Map(net.entities.map((e) => [e.id, e]));
  const [strength, overhead, front, scenarios] = await Promise.all([
    get<RankAnswer>("/api/v1/rank/isolation-strength"),
    get<RankAnswer>("/api/v1/rank/overhead"),
    get<Front>("/api/v1/pareto?criteria=isolation-strength:max,overhead:min"),
    get<ScenarioRow[]>("/api/v1/scenarios"),
  ]);
  // In-page links scroll instead of changing the hash, which holds the view.
  const jump = (id: string, text: string) => h("a", { href: "#/matrices", onclick: (ev: Event) => {
    ev.preventDefault();
    const el = document.getElementById(id);
    el?.scrollIntoView();
    el?.querySelector("h2")?.setAttribute("tabindex", "-1");
    (el?.querySelector("h2") as HTMLElement | null)?.focus();
  } }, text);
  const toc = h("nav", { class: "toc", "aria-label": "Matrices" },
    jump("plane", "strength × overhead"), " · ", jump("timeline", "timeline"), " · ", jump("xyz", "X/Y/Z space"), " · ",
    net.dimensions.map((d, i) => [i ? " · " : "", jump("dim-" + d.id, d.id)]));
  const link = (id: string) => h("a", { href: "#/explorer?focus=" + encodeURIComponent(id) }, id);
  const dims = net.dimensions.map((d) => {
    const cols = d.columns?.length ? d.columns : [...new Set(d.values.flatMap((v) => byID.get(v)?.attributes?.map((a) => a.name) ?? []))];
    return h("section", { id: "dim-" + d.id, class: "matrix" },
      h("h2", {}, d.names.en ?? d.id, d.names.zh ? h("span", { lang: "zh", class: "zh" }, " " + d.names.zh) : null, d.axis ? " (axis " + d.axis + ")" : ""),
      d.definition?.en ? h("p", {}, d.definition.en) : null,
      table(["value", "name", ...cols], d.values.map((v) => {
        const e = byID.get(v);
        return [link(v), e ? [e.names.en ?? "", e.names.zh ? " / " + e.names.zh : ""].join("") : "", ...cols.map((c) => (e ? cell(net, e, c) : ""))];
      })));
  });
  clear(main, h("div", { class: "matrices" }, h("h1", {}, "Matrices"), toc,
    plane(strength, overhead, front), timeline(net), xyz(scenarios), dims));
}

// plane puts each layer at (overhead rank, strength rank): layers of the orders, not
// measurements, as the seed gives only orders.
function plane(strength: RankAnswer, overhead: RankAnswer, front: Front): HTMLElement {
  const sRank = new Map<string, number>(), oRank = new Map<string, number>();
  strength.layers.forEach((l) => l.entities.forEach((e) => sRank.set(e, l.rank)));
  overhead.layers.forEach((l) => l.entities.forEach((e) => oRank.set(e, l.rank)));
  const ids = [...sRank.keys()].filter((k) => oRank.has(k));
  const ns = strength.layers.length, no = overhead.layers.length;
  const W = 420, H = 300, P = 50;
  const x = (id: string) => P + ((no - (oRank.get(id) ?? 0)) / Math.max(1, no - 1)) * (W - 2 * P); // right = more overhead
  const y = (id: string) => P + (((sRank.get(id) ?? 0) - 1) / Math.max(1, ns - 1)) * (H - 2 * P); // top = stronger
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-labelledby": "plane-title" });
  svg.append(s("title", { id: "plane-title" }, "Isolation layers: strength (up) against overhead (right); the Pareto front is marked"));
  svg.append(s("line", { x1: P - 20, y1: H - P + 20, x2: W - P + 20, y2: H - P + 20, stroke: "#64748b" }), s("line", { x1: P - 20, y1: H - P + 20, x2: P - 20, y2: P - 20, stroke: "#64748b" }));
  svg.append(s("text", { x: W / 2, y: H - 8, "text-anchor": "middle", "font-size": 12 }, "overhead → more"), s("text", { x: 12, y: H / 2, "font-size": 12, transform: `rotate(-90 12 ${H / 2})`, "text-anchor": "middle" }, "strength → stronger"));
  const fr = ids.filter((i) => front.front.includes(i)).sort((a, b) => x(a) - x(b));
  if (fr.length > 1) svg.append(s("polyline", { points: fr.map((i) => `${x(i)},${y(i)}`).join(" "), fill: "none", stroke: "#f59e0b", "stroke-width": 2, "stroke-dasharray": "5 3" }));
  for (const id of ids) {
    const on = front.front.includes(id);
    svg.append(s("circle", { cx: x(id), cy: y(id), r: on ? 9 : 6, fill: on ? "#f59e0b" : "#2563eb" }), s("text", { x: x(id) + 12, y: y(id) + 4, "font-size": 12 }, id + (on ? " (front)" : "")));
  }
  return h("section", { id: "plane", class: "matrix" }, h("h2", {}, "Isolation: strength × overhead"),
    h("p", {}, "Pareto front (isolation-strength:max, overhead:min): ", h("b", {}, front.front.join(", ")), ". Dominated: ",
      front.dominated.map((d) => `${d.entity} by ${d.by} (better on ${d.better.join(", ")})`).join("; ") || "none", "."),
    svg as unknown as Node);
}

function timeline(net: NetworkDoc): HTMLElement {
  const d = net.dimensions.find((x) => x.id === "timeline");
  if (!d) return h("section", { id: "timeline" });
  const byID = new Map(net.entities.map((e) => [e.id, e]));
  return h("section", { id: "timeline", class: "matrix" }, h("h2", {}, "Timeline"),
    h("ol", { class: "timeline" }, d.values.map((v) => {
      const e = byID.get(v);
      const year = e?.attributes?.find((a) => a.name === "year");
      const change = e?.attributes?.find((a) => a.name === "change");
      return h("li", {}, h("b", {}, year ? attrValue(year) : ""), h("a", { href: "#/explorer?focus=" + encodeURIComponent(v) }, v + " " + (e?.names.en ?? "")), h("span", {}, change ? attrValue(change) : ""));
    })));
}

function xyz(rows: ScenarioRow[]): HTMLElement {
  const W = 300, H = 260, P = 40, step = (W - 2 * P) / 4, vstep = (H - 2 * P) / 4;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-labelledby": "xyz-title" });
  svg.append(s("title", { id: "xyz-title" }, "Scenarios in the X (orchestration) × Y (isolation) plane; Z (policy) is written beside each"));
  for (let i = 0; i <= 4; i++) {
    svg.append(s("line", { x1: P + i * step, y1: P, x2: P + i * step, y2: H - P, stroke: "#e2e8f0" }), s("line", { x1: P, y1: P + i * vstep, x2: W - P, y2: P + i * vstep, stroke: "#e2e8f0" }));
    svg.append(s("text", { x: P + i * step, y: H - P + 16, "text-anchor": "middle", "font-size": 11 }, "X" + i), s("text", { x: P - 18, y: H - P - i * vstep + 4, "font-size": 11 }, "Y" + i));
  }
  const placed = new Map<string, number>();
  for (const r of rows) {
    if (!r.plan) continue;
    const c = r.plan.coordinates, key = c.x + "," + c.y, k = placed.get(key) ?? 0;
    placed.set(key, k + 1);
    const cx = P + c.x * step, cy = H - P - c.y * vstep;
    svg.append(s("circle", { cx, cy, r: 6, fill: "#7c3aed" }), s("text", { x: cx + 9, y: cy + 4 + k * 13, "font-size": 11 }, `${r.scenario} (Z${c.z})`));
  }
  return h("section", { id: "xyz", class: "matrix" }, h("h2", {}, "X/Y/Z space"),
    h("div", { class: "row" }, svg as unknown as Node,
      table(["scenario", "key requirements", "declared", "planned stack", "(X, Y, Z)", "agrees"], rows.map((r) => [
        h("a", { href: "#/planner?scenario=" + encodeURIComponent(r.scenario) }, r.scenario), (r.requirements ?? []).join(", "),
        (r.declared.stack ?? []).join(" + ") + " " + Object.entries(r.declared.coordinates ?? {}).map(([k, v]) => k + "=" + v).join(" "),
        r.plan ? r.plan.stack.filter((c) => c.role !== "observability").map((c) => c.technology).join(" + ") : r.error ?? "",
        r.plan ? `(${r.plan.coordinates.x}, ${r.plan.coordinates.y}, ${r.plan.coordinates.z})` : "", r.error ? "no plan: " + r.error : r.agrees ? "yes" : "no: " + (r.differences ?? []).join("; ")]))));
}

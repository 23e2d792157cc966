// Results: the probe and bench JSON files given to strata serve with --results.
import { get } from "./api";
import { h, clear, table } from "./dom";

interface ResultFile { name: string; size: number; modTime: string; error?: string }

export async function results(main: HTMLElement) {
  const { results } = await get<{ results: ResultFile[] }>("/api/v1/results");
  if (!results.length) {
    clear(main, h("h1", {}, "Results"), h("p", {}, "No results files. Start the server with ", h("code", {}, "strata serve --results probe.json --results bench.json"), " to see probe and bench results here."));
    return;
  }
  const body = h("div", {});
  clear(main, h("h1", {}, "Results"), table(["file", "size", "modified"], results.map((r) => [
    h("button", { type: "button", class: "link", onclick: () => showFile(body, r.name) }, r.name), r.error ?? r.size + " bytes", r.modTime])), body);
  await showFile(body, results[0].name);
}

async function showFile(el: HTMLElement, name: string) {
  const data = await get<unknown>("/api/v1/results/" + encodeURIComponent(name));
  clear(el, h("h2", {}, name), render(data, 0));
}

// render shows arrays of objects as tables (with a bar for numeric columns), objects as
// definition lists, and the rest as text.
function render(v: unknown, depth: number): Node {
  if (Array.isArray(v)) {
    if (v.length && v.every((x) => x && typeof x === "object" && !Array.isArray(x))) {
      const cols = [...new Set(v.flatMap((x) => Object.keys(x as object)))];
      const nums = cols.filter((c) => v.every((x) => typeof (x as Record<string, unknown>)[c] === "number"));
      const max = new Map(nums.map((c) => [c, Math.max(...v.map((x) => Math.abs((x as Record<string, number>)[c])), 1e-12)]));
      return table(cols, v.map((x) => cols.map((c) => {
        const y = (x as Record<string, unknown>)[c];
        if (typeof y === "number" && max.has(c)) return h("span", { class: "bar" }, h("span", { style: `width:${(100 * Math.abs(y)) / (max.get(c) ?? 1)}%` }), String(y));
        return y !== null && typeof y === "object" ? (depth < 3 ? render(y, depth + 1) : JSON.stringify(y)) : String(y ?? "");
      })));
    }
    return h("span", {}, v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join(", "));
  }
  if (v && typeof v === "object") {
    return h("dl", {}, Object.entries(v as object).map(([k, x]) => [h("dt", {}, k), h("dd", {}, depth < 4 ? render(x, depth + 1) : JSON.stringify(x))]));
  }
  return document.createTextNode(String(v));
}

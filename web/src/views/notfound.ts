// The view for an address that names no view (#/nope): says so, and where to go instead.
import { h, clear } from "../dom";
import { href, Route, View } from "../router";

const known: [string, string, string][] = [
  ["explorer", "Explorer", "the dimensions as lanes, and the free graph"],
  ["matrices", "Matrices", "each dimension as the seed's table, the isolation plane, the X/Y/Z space"],
  ["planner", "Planner", "plan a scenario or a workload, download its manifests"],
  ["results", "Results", "probe and bench results given to strata serve"],
];

export function notFound(): View {
  return {
    title: "Not found",
    async render(el: HTMLElement, route: Route) {
      clear(el, h("section", { class: "not-found", "aria-labelledby": "not-found-title" },
        h("h1", { id: "not-found-title" }, "Not found"),
        h("p", { role: "alert" }, "There is no view called ", h("code", {}, "#/" + route.view), ". The views are:"),
        h("ul", {}, known.map(([id, name, what]) => h("li", {}, h("a", { href: href(id) }, name), " — ", what)))));
    },
    dispose() {},
  };
}

// The strata web UI: it only wires the parts together. router.ts shows the view the
// address names, state.ts holds what the views share, search.ts the header's search box,
// and each view lives in views/.
import { startRouter } from "./router";
import { searchBox } from "./search";
import { lanes } from "./views/lanes";
import { graph } from "./views/graph";
import { matrices } from "./views/matrices";
import { planner } from "./views/planner";
import { results } from "./views/results";
import { notFound } from "./views/notfound";
import { followNetwork } from "./live";

const main = document.getElementById("main") as HTMLElement;
const search = searchBox(
  document.getElementById("search-region") as HTMLElement,
  document.getElementById("search") as HTMLInputElement,
  document.getElementById("search-results") as HTMLUListElement,
  document.getElementById("search-label") as HTMLElement,
);

// "Skip to content" moves the focus to main; its #main must not change the route.
document.querySelector("a.skip")?.addEventListener("click", (ev) => {
  ev.preventDefault();
  main.focus();
});

const router = startRouter({
  main,
  views: { explorer: lanes, graph, matrices, planner, results },
  notFound,
  onView: (v) => search.scope(v.search),
});
followNetwork(document.getElementById("network-status") as HTMLElement, () => router.refresh());

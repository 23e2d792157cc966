// The planner: a workload's requirements → the plan with its reasons.
import { get, download, APIError, PlanAnswer, Plan, Unsatisfiable, posText } from "./api";
import { h, clear, table } from "./dom";
import { network } from "./main";

const sites = ["single-host", "cluster", "edge", "multi-cluster", "cloud-edge"];

function select(id: string, values: string[], def: string) {
  return h("select", { id, name: id }, values.map((v) => h("option", { value: v, selected: v === def }, v)));
}
function field(labelText: string, control: HTMLElement, hint?: string) {
  return h("div", { class: "field" }, h("label", { for: control.id }, labelText), control, hint ? h("small", { class: "muted" }, hint) : null);
}

export async function planner(main: HTMLElement, params: URLSearchParams) {
  const net = await network();
  const scenarios = net.entities.filter((e) => e.category === "scenario").map((e) => e.id);
  const requirements = net.entities.filter((e) => e.category === "requirement");
  const out = h("section", { id: "plan-output", "aria-live": "polite" });

  const scenarioSel = select("scenario", scenarios, params.get("scenario") ?? scenarios[0] ?? "");
  const scenarioAsOf = h("input", { id: "scenario-asof", type: "number", min: 1990, max: 2100, placeholder: "year" });
  const scenarioForm = h("form", { id: "scenario-form", onsubmit: (ev: Event) => { ev.preventDefault(); planScenario(); } },
    h("h2", {}, "Plan a scenario"), field("scenario", scenarioSel), field("as of", scenarioAsOf, "only technologies that existed then"),
    h("button", { type: "submit", id: "plan-scenario" }, "Plan scenario"));
  const emitForm = h("fieldset", { id: "emit-options" }, h("legend", {}, "Manifests"),
    field("image", h("input", { id: "emit-image", value: "ghcr.io/example/app:1.0", spellcheck: "false" }), "the image the workload runs (a scenario names none)"),
    field("namespace", h("input", { id: "emit-namespace", placeholder: "default", spellcheck: "false" })));

  const reqBoxes = requirements.map((r) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "requirement", value: r.id }), " " + (r.names.en ?? r.id)));
  const siteBoxes = sites.map((x) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "site", value: x }), " " + x));
  const form = h("form", { id: "workload-form", onsubmit: (ev: Event) => { ev.preventDefault(); planWorkload(); } },
    h("h2", {}, "Plan a workload"),
    field("name", h("input", { id: "w-name", value: "my-workload", required: true, pattern: "[a-z0-9](?:[a-z0-9\\-]*[a-z0-9])?" }), "a Kubernetes name"),
    field("trust", select("w-trust", ["trusted", "untrusted"], "trusted")),
    field("artifact", select("w-artifact", ["any", "oci", "wasm"], "any")),
    field("footprint", select("w-footprint", ["normal", "constrained"], "normal")),
    field("startup budget", h("input", { id: "w-startup", placeholder: "e.g. 20ms" })),
    field("GPUs", h("input", { id: "w-gpu", type: "number", min: 0, value: 0 })),
    field("availability", select("w-availability", ["standard", "high"], "standard")),
    field("policy", select("w-policy", ["", "none", "infrastructure", "runtime", "application", "business"], "")),
    field("as of", h("input", { id: "w-asof", type: "number", min: 1990, max: 2100, placeholder: "year" })),
    h("div", { class: "field" }, h("label", { class: "check" }, h("input", { type: "checkbox", id: "w-scale" }), " scale on demand")),
    h("fieldset", {}, h("legend", {}, "sites"), siteBoxes),
    h("fieldset", {}, h("legend", {}, "requirements"), reqBoxes),
    h("button", { type: "submit", id: "plan-workload" }, "Plan workload"),
    h("details", {}, h("summary", {}, "YAML sent"), h("pre", { id: "w-yaml" })));

  clear(main, h("h1", {}, "Planner"), h("div", { class: "planner" }, h("div", { class: "forms" }, scenarioForm, form, emitForm), out));

  const val = (id: string) => (document.getElementById(id) as HTMLInputElement).value.trim();
  function yaml(): string {
    const checked = (name: string) => [...form.querySelectorAll<HTMLInputElement>(`input[name=${name}]:checked`)].map((x) => x.value);
    const lines = ["apiVersion: strata.dev/v1alpha1", "kind: Workload", `metadata: {name: ${JSON.stringify(val("w-name"))}}`, "spec:",
      `  trust: ${val("w-trust")}`, `  artifact: ${val("w-artifact")}`, `  footprint: ${val("w-footprint")}`, `  availability: ${val("w-availability")}`];
    if (val("w-startup")) lines.push(`  startupBudget: ${JSON.stringify(val("w-startup"))}`);
    if (val("w-gpu") && val("w-gpu") !== "0") lines.push(`  gpu: ${val("w-gpu")}`);
    if (val("w-policy")) lines.push(`  policy: ${val("w-policy")}`);
    if (val("w-asof")) lines.push(`  asOf: ${val("w-asof")}`);
    if ((document.getElementById("w-scale") as HTMLInputElement).checked) lines.push("  scaleOnDemand: true");
    if (checked("site").length) lines.push(`  sites: [${checked("site").join(", ")}]`);
    if (checked("requirement").length) lines.push(`  requirements: [${checked("requirement").join(", ")}]`);
    return lines.join("\n") + "\n";
  }

  // What was planned last, so that the manifests download asks for the same plan.
  let asked: { query: URLSearchParams; body?: string } = { query: new URLSearchParams() };
  async function manifests(format: "tar" | "yaml") {
    const q = new URLSearchParams(asked.query);
    q.set("format", format);
    if (val("emit-image")) q.set("image", val("emit-image"));
    if (val("emit-namespace")) q.set("namespace", val("emit-namespace"));
    const init: RequestInit | undefined = asked.body === undefined ? undefined : { method: "POST", headers: { "Content-Type": "application/yaml" }, body: asked.body };
    const status = document.getElementById("manifests-status");
    try {
      const name = await download("/api/v1/manifests?" + q.toString(), init);
      if (status) status.textContent = "saved " + name;
    } catch (e) {
      if (status) status.textContent = "could not build the manifests: " + ((e as APIError).body?.message ?? String(e));
    }
  }
  // Each run is numbered; only the latest one's answer is shown, and only then does
  // it become what the manifests download asks for.
  let runs = 0;
  async function run(p: Promise<PlanAnswer>, req: { query: URLSearchParams; body?: string }) {
    const mine = ++runs;
    clear(out, h("p", { class: "muted" }, "Planning…"));
    try {
      const a = await p;
      if (mine !== runs) return;
      asked = req;
      show(a);
    } catch (e) {
      if (mine !== runs) return;
      const b = (e as APIError).body;
      if (!b) { clear(out, h("p", { class: "error", role: "alert" }, String(e))); return; }
      clear(out, h("div", { class: "error", role: "alert" }, h("h2", {}, b.code === "unsatisfiable" ? "Cannot be planned" : "Error"), h("p", {}, b.message),
        b.suggestion ? h("p", {}, "Did you mean ", h("b", {}, b.suggestion), "?") : null,
        b.problems?.length ? table(["where", "problem", "hint"], b.problems.map((x) => [posText(x.pos), x.message, x.hint ?? ""]), "Problems") : null,
        (b.unsatisfiable ?? []).map(unsat)));
    }
  }
  function planScenario() {
    const q = new URLSearchParams({ scenario: scenarioSel.value });
    if (scenarioAsOf.value) q.set("asOf", scenarioAsOf.value);
    run(get<PlanAnswer>("/api/v1/plan?" + q.toString()), { query: q });
  }
  function planWorkload() {
    const body = yaml();
    (document.getElementById("w-yaml") as HTMLElement).textContent = body;
    run(get<PlanAnswer>("/api/v1/plan", { method: "POST", headers: { "Content-Type": "application/yaml" }, body }), { query: new URLSearchParams(), body });
  }
  function show(a: PlanAnswer) {
    const plans = a.plans ?? [];
    clear(out, plans.map(planView), (a.unsatisfiable ?? []).map(unsat), plans.length ? h("p", { class: "downloads" },
      h("button", { type: "button", id: "download-manifests", onclick: () => manifests("tar") }, "Download manifests (.tar.gz)"), " ",
      h("button", { type: "button", id: "download-manifests-yaml", onclick: () => manifests("yaml") }, "Download cluster objects (YAML)"), " ",
      h("span", { id: "manifests-status", class: "muted", role: "status" })) : null);
  }
  if (params.get("scenario")) planScenario();
}

function planView(p: Plan): HTMLElement {
  const json = new Blob([JSON.stringify(p, null, 2)], { type: "application/json" });
  return h("article", { class: "plan", id: "plan-" + p.workload },
    h("h2", {}, "Plan for ", p.workload),
    h("p", { class: "coords" }, "(X, Y, Z) = ", h("b", { id: "plan-coordinates" }, `(${p.coordinates.x}, ${p.coordinates.y}, ${p.coordinates.z})`), ", isolation layer ",
      h("a", { href: "#/explorer?focus=" + encodeURIComponent(p.layer) }, p.layer), p.asOf ? ` as of ${p.asOf}` : ""),
    p.requirements?.length ? h("p", {}, "requirements: ", p.requirements.join(", ")) : null,
    table(["role", "technology", "why"], p.stack.map((c) => [c.role, h("a", { href: "#/explorer?focus=" + encodeURIComponent(c.technology) }, c.technology), (c.reasons ?? []).join("; ")]), "Stack"),
    h("h3", {}, "Coordinates"), h("ul", {}, p.reasons.map((r) => h("li", {}, r))),
    p.coordinates.z >= 2 ? h("p", { id: "plan-allowed" }, "The admission policy admits the runtime classes of ", (p.allowedRuntimes ?? []).join(", "),
      ": the chosen one and every other that meets the requirements and isolates at least as strongly.") : null,
    p.stack.some((c) => c.alternatives?.length) ? h("details", {}, h("summary", {}, "Alternatives and why they lost"),
      table(["role", "alternative", "lost because"], p.stack.flatMap((c) => (c.alternatives ?? []).map((x) => [c.role, x.technology, (x.excluded ? "excluded: " : "") + x.reason])))) : null,
    h("p", {}, h("a", { href: URL.createObjectURL(json), download: p.workload + "-plan.json", id: "download-plan" }, "Download the plan (JSON)")));
}

function unsat(u: Unsatisfiable): HTMLElement {
  return h("article", { class: "plan unsat" }, h("h2", {}, u.workload, ": no ", u.role),
    h("p", {}, "requirements in conflict: ", (u.conflicts ?? []).join(", ")),
    table(["candidate", "rejected because"], (u.rejected ?? []).map((x) => [x.technology, x.reason])));
}

// The planner: a scenario, or a workload's requirements, → the plan with its reasons, and
// the manifests that enforce it. The form and the answer sit side by side (on a narrow
// screen the answer is scrolled to), and the manifest options sit with their buttons.
import { stringify } from "yaml";
import { getJSON, postJSON, download, APIError, PlanAnswer, Plan, Unsatisfiable, posText, errorText, isAbort, Body, ScenarioRow } from "../api";
import { h, clear, table, breakable } from "../dom";
import { network, asOfYears } from "../state";
import { href, Route, View } from "../router";
import { matching } from "../search";

const sites = ["single-host", "cluster", "edge", "multi-cluster", "cloud-edge"];

function select(id: string, values: string[], def: string, labels: Record<string, string> = {}) {
  return h("select", { id, name: id }, values.map((v) => h("option", { value: v, selected: v === def }, labels[v] ?? v)));
}
function field(labelText: string, control: HTMLElement, hint?: string) {
  const hintId = hint ? control.id + "-hint" : undefined;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: control.id }, labelText), control, hint ? h("small", { class: "muted", id: hintId }, hint) : null);
}

/**
 * workloadDocument is the Workload document the form describes, written by a YAML
 * serializer: whatever a field or a requirement's id holds (commas, brackets, quotes,
 * '#', a leading '-', newlines, any script) arrives as that string.
 */
export function workloadDocument(v: {
  name: string; trust: string; artifact: string; footprint: string; availability: string;
  startupBudget?: string; gpu?: number; policy?: string; asOf?: number; scaleOnDemand?: boolean;
  sites: string[]; requirements: string[];
}): string {
  const spec: Record<string, unknown> = { trust: v.trust, artifact: v.artifact, footprint: v.footprint, availability: v.availability };
  if (v.startupBudget) spec.startupBudget = v.startupBudget;
  if (v.gpu) spec.gpu = v.gpu;
  if (v.policy) spec.policy = v.policy;
  if (v.asOf) spec.asOf = v.asOf;
  if (v.scaleOnDemand) spec.scaleOnDemand = true;
  if (v.sites.length) spec.sites = v.sites;
  if (v.requirements.length) spec.requirements = v.requirements;
  return stringify({ apiVersion: "strata.dev/v1alpha1", kind: "Workload", metadata: { name: v.name }, spec });
}

export function planner(): View {
  let ctl: AbortController | null = null;
  let scenarioSel: HTMLSelectElement | null = null;
  let form: HTMLFormElement | null = null;
  let planScenario: (() => void) | null = null;
  let searchItems: { id: string; label: string; detail: string; kind: "scenario" | "requirement" }[] = [];

  return {
    title: "Planner",
    search: {
      label: "Search scenarios and requirements",
      placeholder: "Find a scenario or requirement",
      async find(q) {
        return matching(searchItems, q, (x) => [x.id, x.label]).map((x) => ({ id: x.kind + ":" + x.id, label: x.id, detail: x.detail }));
      },
      open(hit) {
        const [kind, id] = [hit.id.slice(0, hit.id.indexOf(":")), hit.id.slice(hit.id.indexOf(":") + 1)];
        if (kind === "scenario" && scenarioSel) {
          scenarioSel.value = id;
          scenarioSel.focus();
          planScenario?.();
        } else if (form) {
          const box = [...form.querySelectorAll<HTMLInputElement>("input[name=requirement]")].find((x) => x.value === id);
          if (box) { box.checked = true; box.scrollIntoView({ block: "nearest" }); box.focus(); }
        }
      },
    },
    async render(main: HTMLElement, route: Route, signal: AbortSignal) {
      const params = route.params;
      const net = await network(signal);
      const scenarios = net.entities.filter((e) => e.category === "scenario");
      const requirements = net.entities.filter((e) => e.category === "requirement");
      searchItems = [
        ...scenarios.map((e) => ({ id: e.id, label: e.names.en ?? e.id, detail: "scenario · " + (e.names.en ?? ""), kind: "scenario" as const })),
        ...requirements.map((e) => ({ id: e.id, label: e.names.en ?? e.id, detail: "requirement · " + (e.names.en ?? ""), kind: "requirement" as const })),
      ];
      const out = h("section", { id: "plan-output", class: "plan-output", "aria-live": "polite", "aria-labelledby": "plan-output-title", tabindex: -1 });

      const sel = select("scenario", scenarios.map((e) => e.id), params.get("scenario") ?? scenarios[0]?.id ?? "");
      scenarioSel = sel;
      const scenarioAsOf = h("input", { id: "scenario-asof", type: "number", placeholder: "year", inputmode: "numeric" });
      const scenarioForm = h("form", { id: "scenario-form", class: "panel", onsubmit: (ev: Event) => { ev.preventDefault(); doScenario(); } },
        h("h2", {}, "Plan a scenario"),
        h("div", { class: "inline-fields" }, field("scenario", sel), field("as of", scenarioAsOf),
          h("button", { type: "submit", id: "plan-scenario" }, "Plan scenario")));

      const reqBoxes = requirements.map((r) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "requirement", value: r.id }), " " + (r.names.en ?? r.id)));
      const siteBoxes = sites.map((x) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "site", value: x }), " " + x));
      const yamlOut = h("pre", { id: "w-yaml" });
      form = h("form", { id: "workload-form", class: "panel", onsubmit: (ev: Event) => { ev.preventDefault(); doWorkload(); } },
        h("h2", {}, "Plan a workload"),
        h("div", { class: "fields" },
          field("name", h("input", { id: "w-name", value: "my-workload", required: true, pattern: "[a-z]([a-z0-9\\-]*[a-z0-9])?", spellcheck: "false", autocomplete: "off" }), "a Kubernetes name"),
          field("trust", select("w-trust", ["trusted", "untrusted"], "trusted")),
          field("artifact", select("w-artifact", ["any", "oci", "wasm"], "any")),
          field("footprint", select("w-footprint", ["normal", "constrained"], "normal")),
          field("startup budget", h("input", { id: "w-startup", placeholder: "e.g. 20ms", spellcheck: "false", autocomplete: "off" })),
          field("GPUs", h("input", { id: "w-gpu", type: "number", min: 0, value: 0, inputmode: "numeric" })),
          field("availability", select("w-availability", ["standard", "high"], "standard")),
          field("policy", select("w-policy", ["", "none", "infrastructure", "runtime", "application", "business"], "", { "": "(derived)" })),
          field("as of", h("input", { id: "w-asof", type: "number", placeholder: "year", inputmode: "numeric" })),
          h("div", { class: "field" }, h("label", { class: "check" }, h("input", { type: "checkbox", id: "w-scale" }), " scale on demand"))),
        h("fieldset", {}, h("legend", {}, "sites"), h("div", { class: "checks-grid" }, siteBoxes)),
        h("fieldset", {}, h("legend", {}, "requirements"), h("div", { class: "checks-grid" }, reqBoxes)),
        h("div", { class: "form-actions" },
          h("button", { type: "submit", id: "plan-workload" }, "Plan workload"),
          h("details", {}, h("summary", {}, "YAML sent"), yamlOut)));

      clear(main, h("div", { class: "planner-page" }, h("h1", {}, "Planner"),
        h("div", { class: "planner" }, h("div", { class: "planner-forms" }, scenarioForm, form), out)));

      // The years the "as of" fields take are the server's (its OpenAPI document says them).
      asOfYears().then((y) => {
        if (!y || signal.aborted) return;
        for (const el of main.querySelectorAll<HTMLInputElement>("#scenario-asof, #w-asof")) { el.min = String(y.min); el.max = String(y.max); }
      });
      const val = (id: string) => (document.getElementById(id) as HTMLInputElement).value.trim();
      const checked = (name: string) => [...form!.querySelectorAll<HTMLInputElement>(`input[name=${name}]:checked`)].map((x) => x.value);
      const yaml = () => workloadDocument({
        name: val("w-name"), trust: val("w-trust"), artifact: val("w-artifact"), footprint: val("w-footprint"), availability: val("w-availability"),
        startupBudget: val("w-startup") || undefined, gpu: Number(val("w-gpu")) || undefined, policy: val("w-policy") || undefined,
        asOf: Number(val("w-asof")) || undefined, scaleOnDemand: (document.getElementById("w-scale") as HTMLInputElement).checked,
        sites: checked("site"), requirements: checked("requirement"),
      });

      // What was planned last, so that the manifests download asks for the same plan.
      let asked: { query: URLSearchParams; body?: Body } = { query: new URLSearchParams() };
      async function manifests(format: "tar" | "yaml") {
        const q = new URLSearchParams(asked.query);
        q.set("format", format);
        if (val("emit-image")) q.set("image", val("emit-image"));
        if (val("emit-namespace")) q.set("namespace", val("emit-namespace"));
        const status = document.getElementById("manifests-status");
        if (status) status.textContent = "building…";
        try {
          const name = await download("/api/v1/manifests", { query: q, signal }, asked.body);
          if (status) status.textContent = "saved " + name;
        } catch (e) {
          if (status && !signal.aborted) status.textContent = "could not build the manifests: " + errorText(e);
        }
      }

      // The answer goes where the eye is: beside the form on a wide screen (the answer
      // column stays in view), scrolled to and focused on a narrow one.
      function reveal() {
        const r = out.getBoundingClientRect();
        if (r.top < 0 || r.top > innerHeight - 80) {
          out.scrollIntoView({ block: "start" });
          out.focus({ preventScroll: true });
        }
      }

      function intro(rows: ScenarioRow[] | null) {
        clear(out, h("h2", { id: "plan-output-title" }, "The plan appears here"),
          h("p", {}, "Plan one of the network's scenarios, or describe a workload on the left. The seed's scenarios, as the planner sees them:"),
          rows ? table(["scenario", "planned (X, Y, Z)", "stack"], rows.map((r) => [
            h("a", { href: href("planner", { scenario: r.scenario }) }, r.scenario),
            r.plan ? `(${r.plan.coordinates.x}, ${r.plan.coordinates.y}, ${r.plan.coordinates.z})` : "—",
            r.plan ? r.plan.stack.filter((c) => c.role !== "observability").map((c) => c.technology).join(" + ") : (r.error ?? "")]), "Scenarios") : null);
      }

      // Each run is numbered (a newer one aborts the older); only the latest one's answer
      // is shown, and only then does it become what the manifests download asks for.
      async function run(p: (signal: AbortSignal) => Promise<PlanAnswer>, req: { query: URLSearchParams; body?: Body }) {
        ctl?.abort();
        const mine = new AbortController();
        ctl = mine;
        signal.addEventListener("abort", () => mine.abort(), { once: true });
        clear(out, h("h2", { id: "plan-output-title" }, "Planning…"));
        reveal();
        try {
          const a = await p(mine.signal);
          if (mine.signal.aborted) return;
          asked = req;
          showPlan(a);
        } catch (e) {
          if (mine.signal.aborted || isAbort(e)) return;
          const b = e instanceof APIError ? e.body : null;
          if (!b) clear(out, h("h2", { id: "plan-output-title" }, "Error"), h("p", { class: "error", role: "alert" }, errorText(e)));
          else clear(out, h("div", { class: "error-box", role: "alert" }, h("h2", { id: "plan-output-title" }, b.code === "unsatisfiable" ? "Cannot be planned" : "Error"),
            h("p", { class: "error", id: "plan-error" }, b.message),
            b.suggestion ? h("p", {}, "Did you mean ", h("b", {}, b.suggestion), "?") : null,
            b.problems?.length ? table(["where", "problem", "hint"], b.problems.map((x) => [breakable(posText(x.pos)), x.message, x.hint ?? ""]), "Problems") : null,
            (b.unsatisfiable ?? []).map(unsat)));
        }
        reveal();
      }
      function doScenario() {
        const q = new URLSearchParams({ scenario: sel.value });
        if (scenarioAsOf.value) q.set("asOf", scenarioAsOf.value);
        run((sg) => getJSON("/api/v1/plan", { query: q, signal: sg }), { query: q });
      }
      planScenario = doScenario;
      function doWorkload() {
        const body: Body = { type: "application/yaml", data: yaml() };
        yamlOut.textContent = body.data;
        run((sg) => postJSON("/api/v1/plan", body, { signal: sg }), { query: new URLSearchParams(), body });
      }
      function showPlan(a: PlanAnswer) {
        const plans = a.plans ?? [];
        clear(out, h("h2", { id: "plan-output-title", class: "sr" }, "The plan"), plans.map(planView), (a.unsatisfiable ?? []).map(unsat),
          plans.length ? h("fieldset", { id: "emit-options", class: "panel manifests" }, h("legend", {}, "Manifests that enforce this plan"),
            h("div", { class: "fields" },
              field("image", h("input", { id: "emit-image", value: "ghcr.io/example/app:1.0", spellcheck: "false", autocomplete: "off" }), "the image the workload runs (a scenario names none)"),
              field("namespace", h("input", { id: "emit-namespace", placeholder: "default", spellcheck: "false", autocomplete: "off" }))),
            h("p", { class: "downloads" },
              h("button", { type: "button", id: "download-manifests", onclick: () => manifests("tar") }, "Download manifests (.tar.gz)"), " ",
              h("button", { type: "button", id: "download-manifests-yaml", onclick: () => manifests("yaml") }, "Download cluster objects (YAML)"), " ",
              h("span", { id: "manifests-status", class: "muted", role: "status" }))) : null);
      }

      if (params.get("scenario")) doScenario();
      else {
        intro(null);
        getJSON("/api/v1/scenarios", { signal }).then((rows) => { if (!signal.aborted && !ctl) intro(rows); }, () => {});
      }
    },
    update(route: Route) {
      const sc = route.params.get("scenario");
      if (!sc || !scenarioSel || !planScenario) return false;
      scenarioSel.value = sc;
      planScenario();
      return true;
    },
    dispose() {
      ctl?.abort();
    },
  };
}

function planView(p: Plan): HTMLElement {
  const json = new Blob([JSON.stringify(p, null, 2)], { type: "application/json" });
  return h("article", { class: "plan", id: "plan-" + p.workload },
    h("h3", {}, "Plan for ", p.workload),
    h("p", { class: "coords" }, "(X, Y, Z) = ", h("b", { id: "plan-coordinates" }, `(${p.coordinates.x}, ${p.coordinates.y}, ${p.coordinates.z})`), ", isolation layer ",
      h("a", { href: href("explorer", { focus: p.layer }) }, p.layer), p.asOf ? ` as of ${p.asOf}` : ""),
    p.requirements?.length ? h("div", { class: "reqs" }, "requirements: ", h("ul", { class: "inline-list", id: "plan-requirements" }, p.requirements.map((r) => h("li", {}, r)))) : null,
    table(["role", "technology", "why"], p.stack.map((c) => [c.role, h("a", { href: href("explorer", { focus: c.technology }) }, c.technology), (c.reasons ?? []).join("; ")]), "Stack"),
    h("h4", {}, "Coordinates"), h("ul", {}, p.reasons.map((r) => h("li", {}, r))),
    p.coordinates.z >= 2 ? h("p", { id: "plan-allowed" }, "The admission policy admits the runtime classes of ", (p.allowedRuntimes ?? []).join(", "),
      ": the chosen one and every other that meets the requirements and isolates at least as strongly.") : null,
    p.stack.some((c) => c.alternatives?.length) ? h("details", {}, h("summary", {}, "Alternatives and why they lost"),
      table(["role", "alternative", "lost because"], p.stack.flatMap((c) => (c.alternatives ?? []).map((x) => [c.role, x.technology, (x.excluded ? "excluded: " : "") + x.reason])), "Alternatives")) : null,
    h("p", {}, h("a", { href: URL.createObjectURL(json), download: p.workload + "-plan.json", id: "download-plan" }, "Download the plan (JSON)")));
}

function unsat(u: Unsatisfiable): HTMLElement {
  return h("article", { class: "plan unsat" }, h("h3", {}, u.workload, ": no ", u.role),
    h("p", {}, "requirements in conflict: ", (u.conflicts ?? []).join(", ")),
    table(["candidate", "rejected because"], (u.rejected ?? []).map((x) => [x.technology, x.reason]), "Candidates rejected"));
}

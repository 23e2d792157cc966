// The JSON API (/api/v1): its types and the calls the views make.
//
// The types are the server's own: api.gen.d.ts is generated from its OpenAPI document
// (/api/v1/openapi.json) by openapi-typescript, and internal/server's TestUIAPITypes
// regenerates it, fails when the committed copy differs, and runs tsc --noEmit. Calls name
// their route as the document spells it ("/api/v1/entities/{name}"), so a route the
// server drops, or an answer whose shape changes, fails the type check instead of the UI.
import type { components, paths } from "./api.gen";

type Schemas = components["schemas"];
export type Text = Schemas["NetworkText"];
export type Pos = Schemas["NetworkPos"];
export type Attribute = Schemas["NetworkAttribute"];
export type Entity = Schemas["NetworkEntity"];
export type Dimension = Schemas["NetworkDimension"];
export type RelationType = Schemas["NetworkRelationType"];
export type Fact = Schemas["NetworkFact"];
export type Formula = Schemas["NetworkFormulaDecl"];
export type NetworkDoc = Schemas["NetworkDoc"];
export type DerivedFacts = Schemas["DerivedFacts"];
export type EntitySummary = Schemas["EntitySummary"];
export type EntityAnswer = Schemas["EntityAnswer"];
export type RankAnswer = Schemas["RankAnswer"];
export type Front = Schemas["Front"];
export type Alternative = Schemas["Alternative"];
export type Choice = Schemas["Choice"];
export type Plan = Schemas["Plan"];
export type Unsatisfiable = Schemas["Unsatisfiable"];
export type PlanAnswer = Schemas["PlanAnswer"];
export type ScenarioRow = Schemas["ScenarioRow"];
export type Problem = Schemas["NetworkProblem"];
export type APIErrorBody = Schemas["ApiError"];
export type ResultFile = Schemas["ResultFile"];

// The answer a route gives as JSON for a method, as the document describes it.
type JSONOf<Op> = Op extends { responses: { 200: { content: { "application/json": infer T } } } } ? T : never;
type Method = "get" | "post";
type Routes<M extends Method, C extends string> = {
  [P in keyof paths]: paths[P][M] extends { responses: { 200: { content: Record<C, unknown> } } } ? P : never;
}[keyof paths];
/** Routes that answer a GET with JSON. */
export type JSONRoute = Routes<"get", "application/json">;
/** The JSON answer of a route. */
export type Answer<P extends keyof paths, M extends Method = "get"> = JSONOf<paths[P][M]>;
/** Routes that answer with a file to save (manifests), by method. */
type FileRoute<M extends Method> = Exclude<Routes<M, "application/gzip">, never> | Exclude<Routes<M, "application/yaml">, never>;

export interface Call {
  /** Values of the route's {placeholders}. */
  path?: Record<string, string>;
  query?: URLSearchParams | Record<string, string | undefined>;
  signal?: AbortSignal;
}

// A request body: the workload documents as YAML or JSON. The server refuses other media
// types (415), so the type is never left to the browser's default (text/plain).
export interface Body { type: "application/yaml" | "application/json"; data: string }

/** url fills a route's placeholders (each value escaped) and appends its query. */
export function url(route: string, call: Call = {}): string {
  const p = route.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = call.path?.[k];
    if (v === undefined) throw new Error(`url ${route}: no value for {${k}}`);
    return encodeURIComponent(v);
  });
  const q = call.query instanceof URLSearchParams ? call.query
    : new URLSearchParams(Object.entries(call.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""));
  const s = q.toString();
  return s ? p + "?" + s : p;
}

export class APIError extends Error {
  constructor(public body: APIErrorBody) { super(body.message); }
}

// A failed answer is the API's {"error": {...}}; anything else (a proxy's page, a network
// failure) becomes an error of the same shape.
async function fail(resp: Response): Promise<never> {
  const body = await resp.json().catch(() => null);
  throw new APIError(body?.error ?? { status: resp.status, code: "http", message: `${resp.status} ${resp.statusText}` });
}

export async function getJSON<P extends JSONRoute>(route: P, call: Call = {}): Promise<Answer<P>> {
  const resp = await fetch(url(route, call), { signal: call.signal, headers: { Accept: "application/json" } });
  if (!resp.ok) return fail(resp);
  return (await resp.json()) as Answer<P>;
}

export async function postJSON<P extends Routes<"post", "application/json">>(route: P, body: Body, call: Call = {}): Promise<Answer<P, "post">> {
  const resp = await fetch(url(route, call), { method: "POST", signal: call.signal, headers: { "Content-Type": body.type, Accept: "application/json" }, body: body.data });
  if (!resp.ok) return fail(resp);
  return (await resp.json()) as Answer<P, "post">;
}

// getRaw reads a JSON answer the document leaves open (a results file is whatever
// strata probe or bench wrote; results.ts describes the shapes it reads).
export async function getRaw(route: "/api/v1/results/{name}", call: Call): Promise<unknown> {
  const resp = await fetch(url(route, call), { signal: call.signal, headers: { Accept: "application/json" } });
  if (!resp.ok) return fail(resp);
  return resp.json();
}

/**
 * download fetches a file answer (GET, or POST with a body) and saves it under the name
 * the server gives (Content-Disposition), returning that name.
 */
export async function download(route: FileRoute<"get"> & FileRoute<"post">, call: Call, body?: Body): Promise<string> {
  const init: RequestInit = body ? { method: "POST", headers: { "Content-Type": body.type }, body: body.data, signal: call.signal } : { signal: call.signal };
  const resp = await fetch(url(route, call), init);
  if (!resp.ok) return fail(resp);
  const name = /filename="([^"]+)"/.exec(resp.headers.get("Content-Disposition") ?? "")?.[1] ?? "download";
  const href = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return name;
}

/** errorText is what to tell the user about a failed call. */
export function errorText(e: unknown): string {
  if (e instanceof APIError) return e.body.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === "AbortError";
}

export function posText(p: Pos | undefined): string {
  if (!p || !p.file) return "";
  return p.file + (p.line ? ":" + p.line + (p.col ? ":" + p.col : "") : "");
}

export function attrValue(a: Attribute): string {
  switch (a.type) {
    case "int": return String(a.int ?? 0);
    case "float": return String(a.float ?? 0);
    case "bool": return String(a.bool ?? false);
    case "text": return [a.text?.en, a.text?.zh].filter(Boolean).join(" / ");
    case "list": return (a.list ?? []).join(", ");
  }
  return a.string ?? "";
}

/** label is an entity's id and English (or Chinese) name. */
export function label(e: { id: string; names: Text }): string {
  const n = e.names.en || e.names.zh || "";
  return n && n !== e.id ? e.id + " " + n : e.id;
}

// ---- results files --------------------------------------------------------------------
// The document describes a results file only as a JSON object: it is what strata probe -o
// json and strata bench -o json write (probe.Report and bench.Results), read here as such.

export type ResultKind = "probe" | "bench" | "unknown";
export type CheckResult = "PASS" | "WARN" | "FAIL" | "SKIP";
export interface ProbeCheck { layer: string; id: string; result: CheckResult; evidence: string; hint?: string; path?: string; version?: string; needs_root?: boolean }
export interface ProbeCoordinate { axis: string; value: number; layer: string; offered: boolean; because: string; hint?: string; checks: string[] }
export interface ProbeHandler { name: string; layer: string; offered: boolean; because: string; checks: string[] }
export interface ProbeReport {
  host: { hostname: string; kernel: string; cpu: string; privileged: boolean; time: string; layers?: string[] };
  checks: ProbeCheck[]; coordinates: ProbeCoordinate[]; handlers: ProbeHandler[];
}
export interface BenchRatio { value: number; lo: number; hi: number; level: number }
export interface BenchWorkloadResult { workload: string; unit: string; samples?: number[]; summary: { n: number; median: number; min: number; max: number; mean: number; p99?: number; mad: number; outliers?: number[] }; vs_native?: BenchRatio; error?: string; clock?: string }
export interface BenchDriver { name: string; layer: string; available: boolean; reason?: string; version?: string; accel?: string; floor?: boolean; results?: BenchWorkloadResult[]; notes?: string[]; elapsed_s: number }
export interface BenchResults {
  version: number;
  host: { hostname: string; kernel: string; os: string; cpu: string; cores: number; memory_mb: number; virtualization: string; kvm: boolean; cgroup: string; go: string; runtimes: { name: string; version: string }[] | null };
  started: string; elapsed_s: number; runs: number; warmup: number; workloads: { name: string; n?: number }[]; drivers: BenchDriver[];
}

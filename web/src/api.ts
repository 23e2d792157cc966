// Types of the JSON API (/api/v1, described at /api/v1/openapi.json) and a fetch helper.

export interface Text { en?: string; zh?: string }
export interface Pos { file?: string; line?: number; col?: number }
export interface Attribute { name: string; type: string; string?: string; int?: number; float?: number; bool?: boolean; text?: Text; list?: string[]; source: Pos }
export interface Entity { id: string; category: string; names: Text; aliases?: string[]; dimension?: string; attributes?: Attribute[]; source: Pos }
export interface Dimension { id: string; names: Text; aliases?: string[]; definition?: Text; axis?: string; values: string[]; columns?: string[] }
export interface RelationType { id: string; names: Text; symbol?: string; inverse?: string; transitive: boolean; symmetric: boolean; greater?: string; less?: string }
export interface Fact { subject: string; relation: string; object: string; equal?: boolean; kind: string; source: Pos; note?: string }
export interface NetworkDoc { entities: Entity[]; dimensions: Dimension[]; relations: RelationType[]; facts: Fact[]; derived: Fact[]; orders: string[] }
export interface EntitySummary { id: string; category: string; names: Text; aliases?: string[]; dimension?: string; match?: string }
export interface EntityAnswer { entity: Entity; facts: Fact[]; derived: Fact[] }
export interface Layer { rank: number; entities: string[] }
export interface RankAnswer { relation: string; greatest: string; layers: Layer[] }
export interface Front { criteria: string[]; front: string[]; dominated: { entity: string; by: string; better: string[]; equal?: string[] }[] }
export interface Coordinates { x: number; y: number; z: number }
export interface Alternative { technology: string; excluded: boolean; reason: string }
export interface Choice { role: string; technology: string; name: string; reasons: string[] | null; alternatives?: Alternative[] }
export interface Plan { workload: string; coordinates: Coordinates; layer: string; stack: Choice[]; requirements: string[] | null; asOf?: number; reasons: string[]; allowedRuntimes: string[] }
export interface Unsatisfiable { workload: string; role: string; rejected: Alternative[] | null; conflicts: string[] | null }
export interface PlanAnswer { plans: Plan[]; unsatisfiable: Unsatisfiable[] }
export interface ScenarioRow { scenario: string; requirements: string[] | null; declared: { stack: string[] | null; coordinates: Record<string, number> }; plan?: Plan; error?: string; agrees: boolean; differences?: string[] }
export interface Problem { pos: Pos; code: string; message: string; hint?: string }
export interface APIErrorBody { status: number; code: string; message: string; suggestion?: string; candidates?: string[]; problems?: Problem[]; unsatisfiable?: Unsatisfiable[] }

// Results files (strata serve --results): what strata probe -o json and strata bench -o json
// write (probe.Report and bench.Results).
export type ResultKind = "probe" | "bench" | "unknown";
export interface ResultFile { name: string; size: number; modTime: string; kind: ResultKind; error?: string }
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

export class APIError extends Error {
  constructor(public body: APIErrorBody) { super(body.message); }
}

export async function get<T>(path: string, init?: RequestInit): Promise<T> {
  const resp = await fetch(path, init);
  if (!resp.ok) {
    const body = await resp.json().catch(() => null);
    throw new APIError(body?.error ?? { status: resp.status, code: "http", message: resp.statusText });
  }
  return (await resp.json()) as T;
}

// download fetches a file answer and saves it under the name the server gives
// (Content-Disposition), returning that name. Errors are the API's JSON errors.
export async function download(path: string, init?: RequestInit): Promise<string> {
  const resp = await fetch(path, init);
  if (!resp.ok) {
    const body = await resp.json().catch(() => null);
    throw new APIError(body?.error ?? { status: resp.status, code: "http", message: resp.statusText });
  }
  const name = /filename="([^"]+)"/.exec(resp.headers.get("Content-Disposition") ?? "")?.[1] ?? "download";
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

export function posText(p: Pos): string {
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

export function label(e: { id: string; names: Text }): string {
  const n = e.names.en || e.names.zh || "";
  return n && n !== e.id ? e.id + " " + n : e.id;
}

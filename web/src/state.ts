// State the views share: the network document, fetched once, and indexes over it.
import { getJSON, NetworkDoc, DerivedFacts, Entity, RelationType, Fact } from "./api";

let netPromise: Promise<NetworkDoc> | null = null;
let derivedPromise: Promise<DerivedFacts> | null = null;

/**
 * network is the whole network (/api/v1/network), fetched on first use and then shared.
 * A failed load is not kept: the next view asks again. signal stops this caller's wait,
 * not the shared request.
 */
export function network(signal?: AbortSignal): Promise<NetworkDoc> {
  if (!netPromise) {
    const p = getJSON("/api/v1/network");
    netPromise = p;
    p.catch(() => { if (netPromise === p) netPromise = null; });
  }
  return waitFor(netPromise, signal);
}

/** waitFor is a shared request's answer for one caller, whose signal stops only its own wait. */
function waitFor<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const stop = () => reject(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
  });
}

/**
 * derivedFacts are the facts the reasoner derives (/api/v1/network/derived), fetched when a
 * view first shows them and then shared, like the network. signal stops this caller's wait.
 */
export function derivedFacts(signal?: AbortSignal): Promise<DerivedFacts> {
  if (!derivedPromise) {
    const p = getJSON("/api/v1/network/derived");
    derivedPromise = p;
    p.catch(() => { if (derivedPromise === p) derivedPromise = null; });
  }
  return waitFor(derivedPromise, signal);
}

/** forgetNetwork drops the shared network document and derived facts: the next view fetches the new ones. */
export function forgetNetwork() {
  netPromise = null;
  derivedPromise = null;
}

/** Index holds lookups over a network document that several views need. */
export interface Index {
  entity: Map<string, Entity>;
  relation: Map<string, RelationType>;
  /** Declared facts by subject and by object. */
  out: Map<string, Fact[]>;
  in: Map<string, Fact[]>;
}

const indexes = new WeakMap<NetworkDoc, Index>();

export function index(net: NetworkDoc): Index {
  let ix = indexes.get(net);
  if (ix) return ix;
  const push = (m: Map<string, Fact[]>, k: string, f: Fact) => { const l = m.get(k); if (l) l.push(f); else m.set(k, [f]); };
  ix = { entity: new Map(net.entities.map((e) => [e.id, e])), relation: new Map(net.relations.map((r) => [r.id, r])), out: new Map(), in: new Map() };
  // The seed states some chains twice (in English and in Chinese): a fact counts once.
  const seen = new Set<string>();
  for (const f of net.facts) {
    const key = f.subject + "\u0000" + f.relation + "\u0000" + f.object + "\u0000" + (f.equal ? "=" : "");
    if (seen.has(key)) continue;
    seen.add(key);
    push(ix.out, f.subject, f);
    push(ix.in, f.object, f);
  }
  indexes.set(net, ix);
  return ix;
}

let yearsPromise: Promise<{ min: number; max: number } | null> | null = null;

/**
 * asOfYears is the range of years the API's asOf takes, as its OpenAPI document states it
 * (the schema of GET /api/v1/plan's asOf parameter), so that the planner's "as of" fields
 * take what the server takes. Null when the document does not say.
 */
export function asOfYears(): Promise<{ min: number; max: number } | null> {
  yearsPromise ??= getJSON("/api/v1/openapi.json").then((doc) => {
    const op = (doc.paths as Record<string, { get?: { parameters?: { name: string; schema?: { minimum?: number; maximum?: number } }[] } }>)?.["/api/v1/plan"]?.get;
    const sch = op?.parameters?.find((p) => p.name === "asOf")?.schema;
    return typeof sch?.minimum === "number" && typeof sch?.maximum === "number" ? { min: sch.minimum, max: sch.maximum } : null;
  }, () => { yearsPromise = null; return null; });
  return yearsPromise;
}

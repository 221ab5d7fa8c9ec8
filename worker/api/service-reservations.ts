// Each allocated ClusterIP and NodePort is a store row of its own, keyed by the value and created
// only if absent, so two Services never get one value: kube-apiserver's IPAddress objects (and,
// before them, the RangeAllocation bitmap under compare-and-swap). The rows have no ResourceDef:
// never served, listed or watched, but in backups with the Services that hold them.
import type { KubeObject } from "../resources/types";
import { StoreError, writeSingly, type BatchWrite, type ObjectKey, type Store, type StoredObject } from "../store/types";
import { KUBE_DNS_SERVICE_IP, KUBERNETES_SERVICE_IP } from "../../shared/cluster-network";
import { intToIp, ipToInt } from "../../shared/ipv4";

export const RESERVATION_GROUP = "edgeplane.dev";
export type ReservationKind = "serviceipaddresses" | "servicenodeports";

/**
 * A reservation its Service does not hold may belong to a write still in flight (reserved at
 * admission, stored a moment later), so only one older than this is taken over. Upstream's
 * repair loop likewise frees a leaked address only after it stayed leaked for several passes.
 */
export const ORPHAN_GRACE_MS = 60_000;
/** Create-or-take-over rounds for one value before it counts as taken (each lost to another writer). */
const CLAIM_TRIES = 3;
const LIST_PAGE_ROWS = 500;

/** Present once every Service's values have rows (clusters and backups from before the rows lack it). */
const BACKFILL_MARKER: ObjectKey = { group: RESERVATION_GROUP, resource: "serviceallocations", namespace: "", name: "reservations" };

/** The addresses every cluster keeps for its own Services, never handed to another. */
const SYSTEM_IPS = new Map([
  [KUBERNETES_SERVICE_IP, { namespace: "default", name: "kubernetes" }],
  [KUBE_DNS_SERVICE_IP, { namespace: "kube-system", name: "kube-dns" }],
]);

export interface Owner {
  namespace: string;
  name: string;
  uid: string;
}

export interface Holdings {
  ips: Set<string>;
  nodePorts: Set<string>;
}

interface ServiceSpecView {
  clusterIP?: unknown;
  clusterIPs?: unknown;
  ports?: { nodePort?: unknown }[];
}

/** `10.096.0.1` and `10.96.0.1` are one address and one row. */
export function canonicalIp(ip: string): string | undefined {
  const n = ipToInt(ip);
  return n === undefined ? undefined : intToIp(n);
}

export function ownerOf(svc: KubeObject): Owner {
  return { namespace: svc.metadata.namespace ?? "", name: svc.metadata.name ?? "", uid: svc.metadata.uid ?? "" };
}

/** The ClusterIPs and NodePorts a stored Service holds, as row names. */
export function holdingsOf(svc: KubeObject | null): Holdings {
  const out: Holdings = { ips: new Set(), nodePorts: new Set() };
  if (!svc) return out;
  const spec = (svc.spec ?? {}) as ServiceSpecView;
  const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : typeof spec.clusterIP === "string" ? [spec.clusterIP] : [];
  for (const ip of ips) {
    const canonical = typeof ip === "string" ? canonicalIp(ip) : undefined;
    if (canonical) out.ips.add(canonical);
  }
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    if (typeof p?.nodePort === "number" && p.nodePort > 0) out.nodePorts.add(String(p.nodePort));
  }
  return out;
}

/** Whether `ip` is a system address, and whether `owner` is the Service it is kept for. */
export function systemIp(ip: string, owner?: Pick<Owner, "namespace" | "name">): "own" | "other" | undefined {
  const holder = SYSTEM_IPS.get(ip);
  if (!holder) return undefined;
  return owner && holder.namespace === owner.namespace && holder.name === owner.name ? "own" : "other";
}

function keyOf(kind: ReservationKind, value: string): ObjectKey {
  return { group: RESERVATION_GROUP, resource: kind, namespace: "", name: value };
}

function rowOf(kind: ReservationKind, value: string, owner: Owner, now: Date): KubeObject {
  return {
    apiVersion: `${RESERVATION_GROUP}/v1`,
    kind: kind === "serviceipaddresses" ? "ServiceIPAddress" : "ServiceNodePort",
    metadata: { name: value },
    spec: { parentRef: { group: "", resource: "services", ...owner }, claimedAt: now.toISOString() },
  };
}

function rowOwner(row: KubeObject): { owner?: Owner; claimedAt: number } {
  const spec = (row.spec ?? {}) as { parentRef?: Partial<Owner>; claimedAt?: unknown };
  const ref = spec.parentRef;
  const claimedAt = typeof spec.claimedAt === "string" ? Date.parse(spec.claimedAt) : NaN;
  const owner = ref && typeof ref.uid === "string" && typeof ref.namespace === "string" && typeof ref.name === "string" ? { uid: ref.uid, namespace: ref.namespace, name: ref.name } : undefined;
  return { owner, claimedAt: Number.isFinite(claimedAt) ? claimedAt : 0 };
}

function holds(holdings: Holdings, kind: ReservationKind, value: string): boolean {
  return (kind === "serviceipaddresses" ? holdings.ips : holdings.nodePorts).has(value);
}

function isCode(error: unknown, ...codes: StoreError["code"][]): boolean {
  return error instanceof StoreError && codes.includes(error.code);
}

/**
 * Whether a row may be taken over: past the grace period, and its Service gone, replaced (another
 * uid) or no longer holding the value (a crash between the Service's write and the release).
 */
async function stale(store: Store, kind: ReservationKind, row: StoredObject, now: Date): Promise<boolean> {
  const { owner, claimedAt } = rowOwner(row.value);
  if (now.getTime() - claimedAt < ORPHAN_GRACE_MS) return false;
  if (!owner) return true;
  const svc = await store.get({ group: "", resource: "services", namespace: owner.namespace, name: owner.name });
  return !svc || svc.value.metadata.uid !== owner.uid || !holds(holdingsOf(svc.value), kind, row.key.name);
}

/** Reserves `value` for `owner` (create-if-absent, or a CAS take-over of a stale row); false when another holds it. */
export async function claim(store: Store, kind: ReservationKind, value: string, owner: Owner, now: Date): Promise<boolean> {
  const key = keyOf(kind, value);
  // Dated when claimed, not when the request began: a release by a write that began earlier
  // must be able to tell this claim is newer than the value it drops (see release).
  const row = rowOf(kind, value, owner, new Date(Math.max(now.getTime(), Date.now())));
  for (let attempt = 0; attempt < CLAIM_TRIES; attempt++) {
    try {
      await store.create(key, row);
      return true;
    } catch (e) {
      if (!isCode(e, "AlreadyExists")) throw e;
    }
    const existing = await store.get(key);
    if (!existing) continue;
    if (!(await stale(store, kind, existing, now))) return false;
    try {
      await store.update(key, row, existing.revision);
      return true;
    } catch (e) {
      if (!isCode(e, "Conflict", "NotFound")) throw e;
    }
  }
  return false;
}

/** What a dry run asks instead of claiming: would `claim` succeed now. */
export async function claimable(store: Store, kind: ReservationKind, value: string, now: Date): Promise<boolean> {
  const existing = await store.get(keyOf(kind, value));
  return !existing || (await stale(store, kind, existing, now));
}

/** Frees `value` if the row is still the one `uid` holds (at its revision: a concurrent take-over wins). */
export async function release(store: Store, kind: ReservationKind, value: string, uid: string, writeStartedAt = Infinity): Promise<void> {
  const key = keyOf(kind, value);
  const row = await store.get(key);
  if (!row) return;
  const { owner, claimedAt } = rowOwner(row.value);
  // Claimed again after the write that dropped it began (the same Service took it back in a
  // concurrent update): that claim is not this write's to free.
  if (owner?.uid !== uid || claimedAt > writeStartedAt) return;
  try {
    await store.delete(key, row.revision);
  } catch (e) {
    if (!isCode(e, "Conflict", "NotFound")) throw e;
  }
}

/** Every row of a kind, a page at a time. */
async function eachRow(store: Store, group: string, resource: string, visit: (row: StoredObject) => void): Promise<void> {
  let after: { namespace: string; name: string } | undefined;
  for (;;) {
    const page = await store.list(group, resource, { after, limit: LIST_PAGE_ROWS });
    for (const row of page.items) visit(row);
    const last = page.items[page.items.length - 1];
    if (!page.more || !last) return;
    after = { namespace: last.key.namespace, name: last.key.name };
  }
}

/** The values with a row, claimable or not: where a scan for a free value need not ask. */
export async function reservedValues(store: Store, kind: ReservationKind): Promise<Set<string>> {
  const out = new Set<string>();
  await eachRow(store, RESERVATION_GROUP, kind, (row) => out.add(row.key.name));
  return out;
}

/**
 * Rows past the grace period whose Service no longer holds them, found by listing the Services:
 * a full range's last resort. `claim` checks each again before taking it over.
 */
export async function staleCandidates(store: Store, kind: ReservationKind, now: Date): Promise<string[]> {
  const live = new Set<string>();
  await eachRow(store, "", "services", (svc) => {
    for (const value of holdingsOf(svc.value)[kind === "serviceipaddresses" ? "ips" : "nodePorts"]) live.add(`${svc.value.metadata.uid ?? ""}/${value}`);
  });
  const out: string[] = [];
  await eachRow(store, RESERVATION_GROUP, kind, (row) => {
    const { owner, claimedAt } = rowOwner(row.value);
    if (now.getTime() - claimedAt >= ORPHAN_GRACE_MS && !(owner && live.has(`${owner.uid}/${row.key.name}`))) out.push(row.key.name);
  });
  return out;
}

/**
 * Gives every stored Service's values their rows, once: a cluster upgraded from list-then-write
 * allocation, or restored from a backup taken before it, has Services without them. Creates only
 * (a value two old Services share keeps its first row); concurrent backfills are harmless.
 */
export async function ensureBackfilled(store: Store, now: Date): Promise<void> {
  if (await store.get(BACKFILL_MARKER)) return;
  const writes = new Map<string, BatchWrite>();
  await eachRow(store, "", "services", (svc) => {
    const owner = ownerOf(svc.value);
    const { ips, nodePorts } = holdingsOf(svc.value);
    const rows = [...[...ips].filter((ip) => !SYSTEM_IPS.has(ip)).map((ip) => ["serviceipaddresses", ip] as const), ...[...nodePorts].map((p) => ["servicenodeports", p] as const)];
    for (const [kind, value] of rows) {
      const id = `${kind}/${value}`;
      if (!writes.has(id)) writes.set(id, { op: "create", key: keyOf(kind, value), value: rowOf(kind, value, owner, now) });
    }
  });
  const batch = [...writes.values()];
  if (batch.length > 0) {
    const results = store.batch ? await store.batch(batch) : await Promise.all(batch.map((w) => writeSingly(store, w)));
    for (const r of results) if (!r.ok && r.code !== "AlreadyExists") throw new StoreError(r.code, undefined, `service address backfill: ${r.code}`);
  }
  try {
    await store.create(BACKFILL_MARKER, { apiVersion: `${RESERVATION_GROUP}/v1`, kind: "ServiceAllocationState", metadata: { name: BACKFILL_MARKER.name } });
  } catch (e) {
    if (!isCode(e, "AlreadyExists")) throw e;
  }
}

// The controller manager's bulk path: the creates, bindings and event recounts of one pass go
// through the same per-object admission as the verbs (admitNew), then ONE store batch (CAS per
// row: a conflicting row fails alone) and ONE watch publish per resource, not N API requests.
import { bindingRefused, boundPod } from "./bind";
import type { KubeObject, ResourceDef } from "../../resources/types";
import { StoreError, writeSingly, type BatchResult, type BatchWrite, type ChangeEvent, type Store } from "../../store/types";
import type { WriteContext } from "./context";
import { StatusError } from "../../../shared/status-error";
import { admitNew } from "./create";
import { validateObject } from "../validate";
import { deleteObject, keyOf, revisionOf, translateStoreError, watchHub } from "./store-writes";
import { prepareUpdate } from "./update";
import { noteWritten } from "../namespace-lifecycle";
import { notePolicyWritten } from "../rbac/policy";

/** What happened to one object of a bulk call, as the equivalent API request would answer. */
export interface BulkOutcome {
  status: number;
  object?: KubeObject;
  message?: string;
}

/** A bulk call's writer: the controller loop, with the field manager its objects record. */
export interface BulkContext extends Omit<WriteContext, "dryRun"> {
  /** managedFields manager of the created objects (kube-apiserver: the client's user agent). */
  manager: string;
}

/**
 * Admission is CPU work with no I/O in between (namespace-lifecycle.ts caches the lookups): yield to the
 * event loop after this many objects, so API requests sharing the isolate are not held for a
 * whole pass's worth of validation.
 */
const ADMISSION_SLICE = 50;

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** POST of each object (defaults, validation, admission), committed together. */
export async function bulkCreate(base: BulkContext, def: ResourceDef, objects: readonly KubeObject[]): Promise<BulkOutcome[]> {
  const ctx: WriteContext = { ...base, dryRun: false };
  const outcomes: BulkOutcome[] = new Array(objects.length);
  const writes: { index: number; write: BatchWrite }[] = [];
  for (const [index, input] of objects.entries()) {
    if (index > 0 && index % ADMISSION_SLICE === 0) await yieldToEventLoop();
    try {
      const copy = structuredClone(input);
      const obj = await admitNew(ctx, def, copy, base.manager, copy.metadata.namespace);
      writes.push({ index, write: { op: "create", key: keyOf(def, obj.metadata.namespace, obj.metadata.name ?? ""), value: obj } });
    } catch (e) {
      outcomes[index] = failure(e, def, input.metadata.name ?? "");
    }
  }
  await commit(base, def, writes, outcomes, "ADDED");
  return outcomes;
}

/**
 * pods/binding for each pod as the scheduler saw it: the CAS is on that resourceVersion, so a
 * pod changed (or bound) since is a 409 for that pod alone, retried on the next pass. The
 * object written is what bindingVerb writes.
 */
export async function bulkBind(base: BulkContext, def: ResourceDef, binds: readonly { pod: KubeObject; nodeName: string }[]): Promise<BulkOutcome[]> {
  const outcomes: BulkOutcome[] = new Array(binds.length);
  const writes: { index: number; write: BatchWrite }[] = [];
  for (const [index, { pod, nodeName }] of binds.entries()) {
    const name = pod.metadata.name ?? "";
    const expected = revisionOf(pod);
    const refused = bindingRefused(pod);
    if (refused) outcomes[index] = { status: 409, message: refused };
    else if (expected === undefined || expected < 0) outcomes[index] = { status: 409, message: "binding needs the pod's resourceVersion" };
    if (outcomes[index] || expected === undefined) continue;
    const value = boundPod(pod, nodeName, base.now);
    writes.push({ index, write: { op: "update", key: keyOf(def, pod.metadata.namespace, name), value, expectedRevision: expected } });
  }
  await commit(base, def, writes, outcomes, "MODIFIED");
  return outcomes;
}

/**
 * Status writes (PUT …/status) of objects as the caller's cache holds them: `old` is that cached
 * object, and the write is a CAS on its resourceVersion, so it lands only if the store still holds
 * exactly it (else a 409 for that object alone, as a stale single write would get). Each goes
 * through the update strategy, validation, admission and managedFields as the verb's would; a
 * no-op writes nothing, and one that completes a deletion is written on its own.
 */
export async function bulkUpdateStatus(base: BulkContext, def: ResourceDef, updates: readonly { old: KubeObject; next: KubeObject }[]): Promise<BulkOutcome[]> {
  const ctx: WriteContext = { ...base, dryRun: false };
  const outcomes: BulkOutcome[] = new Array(updates.length);
  const writes: { index: number; write: BatchWrite }[] = [];
  for (const [index, { old, next }] of updates.entries()) {
    if (index > 0 && index % ADMISSION_SLICE === 0) await yieldToEventLoop();
    const name = old.metadata.name ?? "";
    try {
      const expected = revisionOf(old);
      if (expected === undefined || expected < 0) throw new StatusError(409, "Conflict", `${name}: a status write needs the resourceVersion`);
      const prepared = await prepareUpdate(ctx, def, old, structuredClone(next), { manager: base.manager, subresource: "status", expectedRevision: expected });
      if (prepared.outcome === "unchanged") outcomes[index] = { status: 200, object: prepared.object };
      else if (prepared.outcome === "delete") outcomes[index] = { status: 200, object: await deleteObject(ctx, def, keyOf(def, old.metadata.namespace, name), expected) };
      else writes.push({ index, write: { op: "update", key: keyOf(def, old.metadata.namespace, name), value: prepared.object, expectedRevision: expected } });
    } catch (e) {
      outcomes[index] = failure(e, def, name);
    }
  }
  await commit(base, def, writes, outcomes, "MODIFIED");
  return outcomes;
}

/**
 * Objects this client wrote itself and now rewrites whole (an Event's count and lastTimestamp):
 * validated, CAS on each object's resourceVersion. Not a general update: no update strategy runs.
 */
export async function bulkRewrite(base: BulkContext, def: ResourceDef, objects: readonly KubeObject[]): Promise<BulkOutcome[]> {
  const outcomes: BulkOutcome[] = new Array(objects.length);
  const writes: { index: number; write: BatchWrite }[] = [];
  for (const [index, input] of objects.entries()) {
    const name = input.metadata.name ?? "";
    const expected = revisionOf(input);
    try {
      if (expected === undefined || expected < 0) throw new StatusError(409, "Conflict", `${name}: a rewrite needs the resourceVersion`);
      const obj = validateObject(def, input, input);
      writes.push({ index, write: { op: "update", key: keyOf(def, obj.metadata.namespace, name), value: obj, expectedRevision: expected } });
    } catch (e) {
      outcomes[index] = failure(e, def, name);
    }
  }
  await commit(base, def, writes, outcomes, "MODIFIED");
  return outcomes;
}

/** One batch (or, on a store without one, the single writes), then one publish for all that committed. */
async function commit(
  base: BulkContext,
  def: ResourceDef,
  writes: readonly { index: number; write: BatchWrite }[],
  outcomes: BulkOutcome[],
  type: ChangeEvent["type"],
): Promise<void> {
  if (writes.length === 0) return;
  const results = base.store.batch ? await base.store.batch(writes.map((w) => w.write)) : await singly(base.store, writes.map((w) => w.write));
  const events: ChangeEvent[] = [];
  for (const [i, result] of results.entries()) {
    const { index, write } = writes[i]!;
    if (result.ok) {
      outcomes[index] = { status: type === "ADDED" ? 201 : 200, object: result.stored.value };
      events.push({ revision: result.stored.revision, type, key: result.stored.key, value: result.stored.value });
      noteWritten(result.stored.key);
      notePolicyWritten(result.stored.key);
    } else {
      outcomes[index] = failure(translateStoreError(new StoreError(result.code, write.key), def, write.key.name), def, write.key.name);
    }
  }
  if (events.length > 0) {
    base.waitUntil(
      watchHub(base.env, def.group, def.plural)
        .publish(events)
        .catch(() => undefined),
    );
  }
}

/** The fallback for a store without `batch`: the verbs' own writes, one at a time (no publish here: commit does it). */
async function singly(store: Store, writes: readonly BatchWrite[]): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  for (const w of writes) results.push(await writeSingly(store, w));
  return results;
}

function failure(error: unknown, def: ResourceDef, name: string): BulkOutcome {
  if (error instanceof StatusError) return { status: error.code, message: error.message };
  return { status: 500, message: `${def.plural} ${name}: ${error instanceof Error ? error.message : String(error)}` };
}

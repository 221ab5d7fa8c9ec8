// The one path from a verb to the store: CAS writes with store errors translated to
// Kubernetes Status errors, and each committed change handed to the watch hub.
import type { Env } from "../../env";
import type { KubeObject, ResourceDef } from "../../resources/types";
import { MAX_OBJECT_BYTES, StoreError, type ChangeEvent, type ChangeType, type ObjectKey, type StoredObject } from "../../store/types";
import type { WriteContext } from "./context";
import { alreadyExists, conflict, gone, notFound, StatusError, tooLarge } from "../../../shared/status-error";
import { noteWritten } from "../namespace-lifecycle";
import { notePolicyWritten } from "../rbac/policy";
import { noteNodeWritten } from "../auth";
import { finishWrite } from "../admission-plugins";

export function keyOf(def: ResourceDef, namespace: string | undefined, name: string): ObjectKey {
  return { group: def.group, resource: def.plural, namespace: def.namespaced ? (namespace ?? "") : "", name };
}

/**
 * The 409 of a compare-and-swap that another write beat (the object changed, or was created,
 * since it was read). Verbs whose client set no precondition redo these (guaranteed-update.ts).
 */
export class LostRaceError extends StatusError {
  static from(error: StatusError): LostRaceError {
    return new LostRaceError(error.code, error.reason, error.message, error.details);
  }
}

export function translateStoreError(error: unknown, def: ResourceDef, name: string): unknown {
  if (!(error instanceof StoreError)) return error;
  const ref = { group: def.group, resource: def.plural };
  switch (error.code) {
    case "NotFound":
      return notFound(ref, name);
    case "AlreadyExists":
      return alreadyExists(ref, name);
    case "Conflict":
      return LostRaceError.from(conflict(ref, name));
    case "Compacted":
      return gone();
    case "TooLarge":
      return tooLarge(MAX_OBJECT_BYTES);
    case "Unreadable":
      // The row itself is bad (a Secret sealed with a key no longer configured): only it fails.
      return new StatusError(500, "InternalError", `Internal error occurred: ${ref.group ? `${ref.resource}.${ref.group}` : ref.resource} "${name}" cannot be read from storage: ${error.message}; it can still be deleted`);
  }
}

async function guarded<T>(def: ResourceDef, name: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw translateStoreError(e, def, name);
  }
}

export function watchHub(env: Env, group: string, resource: string) {
  return env.WATCH_HUB.get(env.WATCH_HUB.idFromName(`${group}/${resource}`));
}

/** The controller manager's own principal: its writes need no nudge, its loop re-runs itself. */
export const CONTROLLER_USER = "system:kube-controller-manager";

export function controllerLoop(env: Env) {
  return env.CONTROLLER_LOOP.get(env.CONTROLLER_LOOP.idFromName("controller-manager"));
}

/**
 * Writes within this window share nudges: the first sends one at once, any later ones one
 * trailing nudge at the window's end (sent after they committed, so the pass it starts sees
 * them). A burst of kubelet status writes is then two RPCs to the loop, not one per write.
 */
export const NUDGE_COALESCE_MS = 50;

let nudgeWindow: { trailing: boolean; done: Promise<unknown> } | undefined;

/**
 * Returns the promise for waitUntil, or nothing when an open window's request will send the
 * trailing nudge (a promise of another request is never awaited: workerd forbids that I/O).
 */
function nudgeCoalesced(env: Env): Promise<unknown> | undefined {
  if (nudgeWindow) {
    nudgeWindow.trailing = true;
    return undefined;
  }
  const window: { trailing: boolean; done: Promise<unknown> } = { trailing: false, done: Promise.resolve() };
  nudgeWindow = window;
  const send = () => controllerLoop(env).nudge().catch(() => undefined);
  window.done = Promise.all([
    send(),
    new Promise<void>((resolve) => setTimeout(resolve, NUDGE_COALESCE_MS)).then(() => {
      nudgeWindow = undefined;
      return window.trailing ? send() : undefined;
    }),
  ]);
  return window.done;
}

/**
 * After the response: the watch hub fans the change out (it fills any gap from the change
 * log itself) and the controller loop is nudged to reconcile.
 */
function publish(ctx: StoreWriteContext, def: ResourceDef, type: ChangeType, stored: StoredObject): void {
  noteWritten(stored.key);
  notePolicyWritten(stored.key);
  noteNodeWritten(stored.key);
  const event: ChangeEvent = { revision: stored.revision, type, key: stored.key, value: stored.value };
  ctx.waitUntil(
    watchHub(ctx.env, stored.key.group, stored.key.resource)
      .publish([event])
      .catch(() => undefined),
  );
  if (ctx.principal.user !== CONTROLLER_USER && def.wakesControllers !== false && ctx.env.CONTROLLERS_DISABLED !== "true") {
    const nudging = nudgeCoalesced(ctx.env);
    if (nudging) ctx.waitUntil(nudging);
  }
}

/** What a store write and its publish need (a lease verb's ApiContext has it too). */
export type StoreWriteContext = Pick<WriteContext, "env" | "store" | "waitUntil" | "principal">;

/**
 * The store write, then the kind's admission plugins' finish steps with the state it left: a
 * StoreError means nothing was written; any other failure may have written, so no hook runs.
 */
async function settled(ctx: StoreWriteContext, def: ResourceDef, name: string, states: { before: KubeObject | null; after: KubeObject | null }, write: () => Promise<StoredObject>): Promise<StoredObject> {
  let stored: StoredObject;
  const startedAt = Date.now();
  try {
    stored = await write();
  } catch (e) {
    if (e instanceof StoreError) await finishWrite(ctx.store, def, { kept: states.before, dropped: states.after, startedAt });
    throw translateStoreError(e, def, name);
  }
  await finishWrite(ctx.store, def, { kept: states.after, dropped: states.before, startedAt });
  return stored;
}

export async function createObject(ctx: StoreWriteContext, def: ResourceDef, obj: KubeObject): Promise<KubeObject> {
  const key = keyOf(def, obj.metadata.namespace, obj.metadata.name ?? "");
  const stored = await settled(ctx, def, key.name, { before: null, after: obj }, () => ctx.store.create(key, obj));
  publish(ctx, def, "ADDED", stored);
  return stored.value;
}

/** `before`: the object at `expectedRevision`, for the finish hooks; without it (a metadata-only write) none runs. */
export async function updateObject(
  ctx: StoreWriteContext,
  def: ResourceDef,
  obj: KubeObject,
  expectedRevision: number,
  before?: KubeObject,
): Promise<KubeObject> {
  const key = keyOf(def, obj.metadata.namespace, obj.metadata.name ?? "");
  const write = () => ctx.store.update(key, obj, expectedRevision);
  const stored = before ? await settled(ctx, def, key.name, { before, after: obj }, write) : await guarded(def, key.name, write);
  publish(ctx, def, "MODIFIED", stored);
  return stored.value;
}

export async function deleteObject(
  ctx: StoreWriteContext,
  def: ResourceDef,
  key: ObjectKey,
  expectedRevision?: number,
): Promise<KubeObject> {
  const startedAt = Date.now();
  const stored = await guarded(def, key.name, () => ctx.store.delete(key, expectedRevision));
  await finishWrite(ctx.store, def, { kept: null, dropped: stored.value, startedAt });
  publish(ctx, def, "DELETED", stored);
  return stored.value;
}

/** The stored object or null; an unreadable row is the 500 that names it (translateStoreError). */
export function readObject(ctx: Pick<WriteContext, "store">, def: ResourceDef, key: ObjectKey): Promise<StoredObject | null> {
  return guarded(def, key.name, () => ctx.store.get(key));
}

export async function getObject(ctx: Pick<WriteContext, "store">, def: ResourceDef, key: ObjectKey): Promise<StoredObject> {
  const stored = await readObject(ctx, def, key);
  if (!stored) throw notFound({ group: def.group, resource: def.plural }, key.name);
  return stored;
}

export function revisionOf(obj: KubeObject): number | undefined {
  const rv = obj.metadata.resourceVersion;
  if (rv === undefined || rv === "") return undefined;
  const n = Number(rv);
  return Number.isSafeInteger(n) && n > 0 ? n : -1;
}

// Group commit: creates and updates that arrive while another write to the same store is in
// flight wait, and then go together as one bulk statement (Store.batch), as a database groups
// the commits of concurrent transactions. A write that finds the store idle goes at once, on its
// own. The store's round trip, not the rows, is what a single write costs: under 16 concurrent
// clients a create spent more than half its time in it (BENCHMARKS.md, "Group commit").
//
// Each write's outcome is exactly its single write's: written, or the StoreError code it would
// have raised. A group's changes are handed on (to the watch hub) by the request that sent it, in
// revision order, as soon as they commit: the writers' own requests resume in whatever order the
// runtime schedules them, too late and out of order for the hub's short gap hold.
import { StoreError, writeSingly, type BatchResult, type BatchWrite, type ChangeEvent, type Store, type StoredObject } from "../../store/types";

/** Writes per group: a bound on the statement's size and on how long the last of them waits. */
export const MAX_GROUP = 64;

type Outcome = { result: BatchResult } | { error: unknown };

interface Waiter {
  write: BatchWrite;
  settle(outcome: Outcome): void;
  /** true: send the next group (from this writer's request); false: its write went in another's. */
  lead(leads: boolean): void;
}

interface Queue {
  /** A group is in flight, or its next leader was named and has not sent it yet. */
  busy: boolean;
  waiting: Waiter[];
}

// Per store object: the D1 store is one per isolate (store/open.ts), so requests share its
// queue; a store opened per request (libSQL) has a queue of its own and writes singly.
const queues = new WeakMap<Store, Queue>();

export interface GroupCommitContext {
  store: Store;
  /** Keeps the request alive for work after its response, or after its client went away. */
  waitUntil(promise: Promise<unknown>): void;
  /** The changes a group committed, in revision order (called by the request that sent it). */
  committed(events: ChangeEvent[]): void;
}

/** The write's outcome, as writeSingly gives it; a failure of the store itself is thrown. */
export async function commitWrite(ctx: GroupCommitContext, write: BatchWrite): Promise<BatchResult> {
  const { store } = ctx;
  if (!store.batch) {
    const result = await writeSingly(store, write);
    if (result.ok) ctx.committed([changeOf(write, result.stored)]);
    return result;
  }
  let queue = queues.get(store);
  if (!queue) queues.set(store, (queue = { busy: false, waiting: [] }));
  const q = queue;
  let waiter!: Waiter;
  const outcome = new Promise<Outcome>((settle) => {
    waiter = { write, settle, lead: () => undefined };
  });
  const named = new Promise<boolean>((lead) => {
    waiter.lead = lead;
  });
  // Leading runs in what the request waits until, not in its handler: a client that goes away
  // cancels the handler, and the writes waiting behind this one would wait forever.
  ctx.waitUntil(named.then((leads) => (leads ? flush(q, ctx) : undefined)));
  q.waiting.push(waiter);
  if (!q.busy) {
    q.busy = true;
    waiter.lead(true);
  }
  const done = await waitFor(ctx, outcome);
  if ("error" in done) throw done.error;
  return done.result;
}

/**
 * A promise another request settles, awaited with a timer of this request's own pending: workerd
 * cancels a request that waits on nothing of its own as hung. The timer only keeps it counted.
 */
async function waitFor<T>(ctx: GroupCommitContext, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const keepCounted = () => {
    timer = setTimeout(keepCounted, WATCHDOG_MS);
  };
  keepCounted();
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
  }
}

const WATCHDOG_MS = 1000;

/** Sends the waiting writes (the leader's first) as one group, then names the next leader. */
async function flush(queue: Queue, leader: GroupCommitContext): Promise<void> {
  const { store } = leader;
  const group = queue.waiting.splice(0, MAX_GROUP);
  for (const w of group) w.lead(false);
  try {
    const results = group.length === 1 ? [await writeSingly(store, group[0]!.write)] : await store.batch!(group.map((w) => w.write));
    const events: ChangeEvent[] = [];
    results.forEach((r, i) => {
      if (r.ok) events.push(changeOf(group[i]!.write, r.stored));
    });
    if (events.length > 0) {
      try {
        leader.committed(events.sort((a, b) => a.revision - b.revision));
      } catch (error) {
        console.error(`group commit: handing on committed changes failed: ${String(error)}`);
      }
    }
    group.forEach((w, i) => w.settle({ result: results[i]! }));
  } catch (error) {
    // The store failed (not a precondition): every write of the group failed with it.
    for (const w of group) w.settle({ error });
  } finally {
    const next = queue.waiting[0];
    if (next) next.lead(true);
    else queue.busy = false;
  }
}

function changeOf(write: BatchWrite, stored: StoredObject): ChangeEvent {
  return { revision: stored.revision, type: write.op === "create" ? "ADDED" : "MODIFIED", key: stored.key, value: stored.value };
}

/** A failed outcome as the StoreError its single write would have thrown. */
export function storedOrThrow(result: BatchResult, key: BatchWrite["key"]): StoredObject {
  if (result.ok) return result.stored;
  throw new StoreError(result.code, key);
}

// Group commit: creates and updates that arrive while another write to the same store is in
// flight wait, and then go together as one bulk statement (Store.batch), as a database groups
// the commits of concurrent transactions. A write that finds the store idle goes at once, on its
// own. The store's round trip, not the rows, is what a single write costs: under 16 concurrent
// clients a create spent more than half its time in it (BENCHMARKS.md, "Group commit").
//
// The first waiter leads the next group from its own request, so each request's I/O is its own
// (workerd ties I/O to the request that started it) and no request leads for longer than one
// round trip. Each write's outcome is exactly its single write's: written, or the StoreError
// code it would have raised.
import { StoreError, writeSingly, type BatchResult, type BatchWrite, type Store } from "../../store/types";

/** Writes per group: a bound on the statement's size and on how long the last of them waits. */
export const MAX_GROUP = 64;

type Outcome = { result: BatchResult } | { error: unknown } | { lead: true };

interface Waiter {
  write: BatchWrite;
  settle(outcome: Outcome): void;
}

interface Queue {
  /** A group is in flight, or its next leader was named and has not started it yet. */
  busy: boolean;
  waiting: Waiter[];
}

// Per store object: the D1 store is one per isolate (store/open.ts), so requests share its
// queue; a store opened per request (libSQL) has a queue of its own and writes singly.
const queues = new WeakMap<Store, Queue>();

export interface GroupCommitContext {
  store: Store;
  /** Keeps the request alive until its write settles, even if its client goes away meanwhile. */
  waitUntil(promise: Promise<unknown>): void;
}

/** The write's outcome, as writeSingly gives it; a failure of the store itself is thrown. */
export async function commitWrite(ctx: GroupCommitContext, write: BatchWrite): Promise<BatchResult> {
  const { store } = ctx;
  if (!store.batch) return writeSingly(store, write);
  let queue = queues.get(store);
  if (!queue) queues.set(store, (queue = { busy: false, waiting: [] }));
  const waiter: Waiter = { write, settle: () => undefined };
  const turn = new Promise<Outcome>((settle) => {
    waiter.settle = settle;
  });
  queue.waiting.push(waiter);
  if (!queue.busy) {
    queue.busy = true;
    waiter.settle({ lead: true });
  }
  let outcome = await waitFor(ctx, turn);
  if ("lead" in outcome) {
    const done = new Promise<Outcome>((settle) => {
      waiter.settle = settle;
    });
    void flush(store, queue);
    outcome = await waitFor(ctx, done);
  }
  if ("error" in outcome) throw outcome.error;
  if ("lead" in outcome) throw new Error("group commit: named to lead twice");
  return outcome.result;
}

/**
 * A promise another request settles, awaited with a timer of this request's own pending: workerd
 * cancels a request that waits on nothing of its own as hung. The timer only keeps it counted.
 */
async function waitFor<T>(ctx: GroupCommitContext, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const keepAlive = () => {
    timer = setTimeout(keepAlive, WATCHDOG_MS);
  };
  keepAlive();
  ctx.waitUntil(promise);
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
  }
}

const WATCHDOG_MS = 1000;

/** Sends the waiting writes (the leader's first) as one group, then names the next leader. */
async function flush(store: Store, queue: Queue): Promise<void> {
  const group = queue.waiting.splice(0, MAX_GROUP);
  try {
    const results = group.length === 1 ? [await writeSingly(store, group[0]!.write)] : await store.batch!(group.map((w) => w.write));
    group.forEach((w, i) => w.settle({ result: results[i]! }));
  } catch (error) {
    // The store failed (not a precondition): every write of the group failed with it.
    for (const w of group) w.settle({ error });
  } finally {
    const next = queue.waiting[0];
    if (next) next.settle({ lead: true });
    else queue.busy = false;
  }
}

/** A failed outcome as the StoreError its single write would have thrown. */
export function storedOrThrow(result: BatchResult, key: BatchWrite["key"]) {
  if (result.ok) return result.stored;
  throw new StoreError(result.code, key);
}

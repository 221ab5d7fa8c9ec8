// kube-apiserver's GuaranteedUpdate: a write with no resourceVersion precondition that lost a
// compare-and-swap race to another writer is read again, redone and tried again, so many
// writers to one object all land. Only a stale precondition the client sent answers 409.
import { StatusError } from "../../../shared/status-error";
import { LostRaceError } from "./store-writes";

/** Tries before giving up with the 409 (upstream retries without a bound; a Worker request must end). */
export const MAX_UPDATE_ATTEMPTS = 60;
/** The random pause after a lost race grows by this much per try, up to ten steps. */
export const CONFLICT_BACKOFF_MS = 4;

/**
 * Runs `attempt` (read, compute, compare-and-swap) until it lands. `mayRetry` is false when the
 * client pinned a resourceVersion: then the first lost race is the client's 409.
 */
export async function guaranteedUpdate<T>(attempt: () => Promise<T>, mayRetry: boolean): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof LostRaceError) || !mayRetry || n >= MAX_UPDATE_ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * CONFLICT_BACKOFF_MS * Math.min(n, 10)));
    }
  }
}

/**
 * For a create made by PUT or apply on a missing object: another create of that name landing
 * first is a lost race too, and the retry updates what it made (upstream's create-on-update).
 */
export function createRaceLost(error: unknown): never {
  throw error instanceof StatusError && error.reason === "AlreadyExists" ? LostRaceError.from(error) : error;
}

// Crash-loop back-off, as kubelet's flowcontrol.Backoff keyed per container: the first crash
// restarts at once; later ones wait 10 s, doubling to 300 s; an entry older than 10 min resets.
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
/** kubelet expires an entry after 2 × the maximum back-off without an update. */
export const BACKOFF_RESET_MS = 2 * BACKOFF_MAX_MS;

export interface BackoffEntry {
  delayMs: number;
  /** When the exit that last advanced this entry happened. */
  lastUpdateMs: number;
}

function expired(entry: BackoffEntry, eventMs: number): boolean {
  return eventMs - entry.lastUpdateMs > BACKOFF_RESET_MS;
}

/** Milliseconds still to wait before restarting a container that exited at `finishedMs` (0: go). */
export function backoffRemaining(entry: BackoffEntry | undefined, finishedMs: number, nowMs: number): number {
  if (!entry || expired(entry, finishedMs)) return 0;
  return Math.max(0, finishedMs + entry.delayMs - nowMs);
}

/** The entry after a restart of a container that exited at `finishedMs`. */
export function nextBackoff(entry: BackoffEntry | undefined, finishedMs: number): BackoffEntry {
  if (!entry || expired(entry, finishedMs)) return { delayMs: BACKOFF_INITIAL_MS, lastUpdateMs: finishedMs };
  return { delayMs: Math.min(entry.delayMs * 2, BACKOFF_MAX_MS), lastUpdateMs: finishedMs };
}

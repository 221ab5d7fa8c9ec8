// A collection kept live as a Map of small summaries keyed by uid, for views that add things up
// rather than list rows (the Overview): each object is cut down as it arrives, the list is read in
// pages (one page of full objects in memory at a time), and a burst of changes costs at most one
// render per animation frame.
import { useEffect, useState } from "preact/hooks";
import { listThenWatch } from "./api";

export interface Watched<T> {
  /** The same Map, changed in place; `version` says when. */
  items: ReadonlyMap<string, T>;
  version: number;
  /** True until the first complete list. */
  loading: boolean;
  /** Objects read so far by the first list (its pages arrive one by one). */
  loaded: number;
  error?: string;
}

interface List {
  metadata?: { resourceVersion?: string };
  items?: unknown[];
}

// Every watched map publishes in one frame callback, so changes to several collections in the
// same frame are one Preact render, not one each.
const due = new Set<() => void>();
let frame = 0;
function publishNextFrame(publish: () => void): void {
  due.add(publish);
  frame ||= requestAnimationFrame(() => {
    frame = 0;
    const now = [...due];
    due.clear();
    for (const p of now) p();
  });
}

const uidOf = (object: unknown) => (object as { metadata?: { uid?: string } } | null)?.metadata?.uid;

/**
 * `path` (a collection, with any selector) listed `pageSize` at a time, then watched. `summarize`
 * must be a stable function (a new one starts over); undefined from it drops the object.
 */
export function useWatchedMap<T>(path: string, token: string, summarize: (object: unknown) => T | undefined, pageSize = 500): Watched<T> {
  const [state, setState] = useState<Watched<T>>({ items: new Map(), version: 0, loading: true, loaded: 0 });
  useEffect(() => {
    const abort = new AbortController();
    let items = new Map<string, T>();
    let version = 0;
    let loading = true;
    let loaded = 0;
    let error: string | undefined;
    setState({ items, version, loading, loaded });
    const publish = () => {
      if (!abort.signal.aborted) setState({ items, version: ++version, loading, loaded, error });
    };
    const take = (into: Map<string, T>, objects: unknown[] | undefined) => {
      for (const object of objects ?? []) {
        const uid = uidOf(object);
        const summary = uid ? summarize(object) : undefined;
        if (uid && summary !== undefined) into.set(uid, summary);
      }
    };
    let next = new Map<string, T>();
    void listThenWatch<List>({
      path,
      token,
      accept: "application/json",
      signal: abort.signal,
      pageSize,
      listed: (list, page) => {
        if (page?.first ?? true) next = new Map();
        take(next, list.items);
        if (page && !page.last) {
          if (loading) {
            loaded = next.size;
            publishNextFrame(publish);
          }
          return;
        }
        // Swapped in whole: a re-list (after a 410) never shows a half-read set.
        items = next;
        loading = false;
        loaded = next.size;
        error = undefined;
        publishNextFrame(publish);
      },
      changed: (event) => {
        const uid = uidOf(event.object);
        if (!uid) return;
        const summary = event.type === "DELETED" ? undefined : summarize(event.object);
        if (summary === undefined) items.delete(uid);
        else items.set(uid, summary);
        error = undefined;
        publishNextFrame(publish);
      },
      failed: (message) => {
        if (message === error) return;
        error = message;
        publishNextFrame(publish);
      },
    });
    return () => abort.abort();
  }, [path, token, summarize, pageSize]);
  return state;
}

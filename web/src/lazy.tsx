// Parts the first view does not need (the YAML editor, rollout history, the logs of many pods)
// load on demand: each is its own chunk, fetched once, the first time a page shows it.
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Alert } from "./alert";

const RETRY_MS = 1_000;
const loaded = new Map<() => Promise<unknown>, unknown>();

/** `load` must be a module-level function (`() => import("./x")`): it is the cache's key. */
export function useModule<T>(load: () => Promise<T>, wanted = true): { module?: T; error?: string } {
  const [state, setState] = useState<{ module?: T; error?: string }>(() => ({ module: loaded.get(load) as T | undefined }));
  useEffect(() => {
    if (!wanted || state.module) return;
    let current = true;
    // Once more after a pause: a chunk's fetch cut by a network change is not a missing chunk.
    load()
      .catch(() => new Promise((r) => setTimeout(r, RETRY_MS)).then(load))
      .then(
      (module) => {
        loaded.set(load, module);
        if (current) setState({ module });
      },
      // A chunk gone since this page loaded (a new deploy): say so, a reload fixes it.
      (error: unknown) => current && setState({ error: `Could not load this part of the console (${error instanceof Error ? error.message : String(error)}); reload the page.` }),
    );
    return () => {
      current = false;
    };
  }, [load, wanted, state.module]);
  return state;
}

/** Renders `children(module)` once `load` has loaded; a failure to load shows as an alert. */
export function Lazy<M>({ load, children }: { load: () => Promise<M>; children: (module: M) => VNode }) {
  const { module, error } = useModule(load);
  if (module) return children(module);
  return <Alert message={error} />;
}

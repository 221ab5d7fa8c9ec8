// The ConfigMaps and Secrets this node's pods use, each watched on its own (fieldSelector
// metadata.name, which the Node authorizer allows for referenced objects), as kubelet's
// watch-based manager does: pods re-read them from this cache, so a quiet node sends no GETs,
// and a change reaches the pods that use it at once.
import type { ApiClient, Informer } from "../api-client";

export type ObjectKind = "configmaps" | "secrets";

interface Watched {
  informer: Informer;
  /** undefined until the first list; null when the object does not exist. */
  object: unknown;
  synced: boolean;
}

function keyOf(kind: ObjectKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export class ObjectWatches {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly api: ApiClient,
    /** Called when a watched object changed (or appeared, or was deleted). */
    private readonly changed: (kind: ObjectKind, namespace: string, name: string) => void,
    private readonly log: (message: string) => void,
    /** Also report the first list (the ingress waits for it; pods read the cache when they sync). */
    private readonly reportFirstList = false,
  ) {}

  /** Watches exactly these objects: starts the missing watches and stops the unused ones. */
  retain(wanted: Iterable<{ kind: ObjectKind; namespace: string; name: string }>): void {
    const keep = new Set<string>();
    for (const { kind, namespace, name } of wanted) {
      const key = keyOf(kind, namespace, name);
      keep.add(key);
      if (!this.watched.has(key)) this.start(key, kind, namespace, name);
    }
    for (const [key, entry] of this.watched) {
      if (keep.has(key)) continue;
      entry.informer.stop();
      this.watched.delete(key);
    }
  }

  /** The cached object: `undefined` when not (yet) known here, `null` when it does not exist. */
  get<T>(kind: ObjectKind, namespace: string, name: string): T | null | undefined {
    const entry = this.watched.get(keyOf(kind, namespace, name));
    return entry?.synced ? (entry.object as T | null) : undefined;
  }

  /**
   * The last object a list or watch gave, even while the watch is down and being re-established
   * (as an informer's cache keeps serving): `undefined` only before the first list.
   */
  lastKnown<T>(kind: ObjectKind, namespace: string, name: string): T | null | undefined {
    return this.watched.get(keyOf(kind, namespace, name))?.object as T | null | undefined;
  }

  stop(): void {
    for (const entry of this.watched.values()) entry.informer.stop();
    this.watched.clear();
  }

  private start(key: string, kind: ObjectKind, namespace: string, name: string): void {
    let reported = false;
    const entry: Watched = { informer: { stop: () => undefined }, object: undefined, synced: false };
    this.watched.set(key, entry);
    entry.informer = this.api.informer<{ metadata: { name: string; resourceVersion?: string } }>(
      `/api/v1/namespaces/${namespace}/${kind}`,
      { fieldSelector: `metadata.name=${name}` },
      {
        replace: (items) => {
          // First ever: a re-list after a dropped watch is not, and says only what changed.
          const first = entry.object === undefined;
          const before = JSON.stringify(entry.object ?? null);
          entry.object = items.find((item) => item.metadata.name === name) ?? null;
          entry.synced = true;
          if ((first && this.reportFirstList) || (!first && JSON.stringify(entry.object) !== before)) this.changed(kind, namespace, name);
        },
        event: (type, object) => {
          entry.object = type === "DELETED" ? null : object;
          entry.synced = true;
          this.changed(kind, namespace, name);
        },
        error: (error) => {
          // Pods still read the object directly (GET) while its watch is unavailable.
          entry.synced = false;
          if (reported) return;
          reported = true;
          this.log(`watch of ${kind} ${namespace}/${name}: ${error instanceof Error ? error.message : String(error)}`);
        },
      },
    );
  }
}

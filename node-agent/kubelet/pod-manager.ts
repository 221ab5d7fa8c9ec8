// The pods bound to this node: one informer (list + watch, fieldSelector spec.nodeName), a
// PodWorker per pod uid, re-syncs on Docker events, on changes to ConfigMaps/Secrets the pods
// use and on a periodic resync, and removal of containers whose pod no longer exists.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Informer } from "../api-client";
import { cleanupPodVolumes } from "../volumes/volumes";
import type { KubeletContext } from "./context";
import { ObjectWatches } from "./object-watches";
import { PodWorker } from "./pod-worker";
import type { Pod } from "./types";

/** kubelet's syncFrequency: every pod is re-synced this often even without events. */
export const RESYNC_INTERVAL_MS = 60_000;
const FINISHED_REMEMBERED = 1_000;

export class PodManager {
  private readonly workers = new Map<string, PodWorker>();
  /** Uids torn down and deleted here: a late MODIFIED event must not bring them back. */
  private readonly finished = new Set<string>();
  private readonly informers: Informer[] = [];
  private stopEvents: (() => void) | undefined;
  private resync: NodeJS.Timeout | undefined;
  private listed = false;
  private objects: ObjectWatches | undefined;

  constructor(private readonly ctx: KubeletContext) {}

  start(): void {
    const { api, nodeName } = this.ctx;
    this.informers.push(
      api.informer<Pod>("/api/v1/pods", { fieldSelector: `spec.nodeName=${nodeName}` }, {
        replace: (pods) => {
          const seen = new Set<string>();
          for (const pod of pods) {
            seen.add(pod.metadata.uid ?? "");
            this.upsert(pod);
          }
          for (const [uid, worker] of this.workers) if (!seen.has(uid)) worker.remove();
          this.listed = true;
          void this.removeOrphans();
        },
        event: (type, pod) => {
          if (type === "DELETED") this.workers.get(pod.metadata.uid ?? "")?.remove();
          else this.upsert(pod);
        },
        error: (error) => this.ctx.log(`pod watch: ${error instanceof Error ? error.message : String(error)}`),
      }),
    );
    this.objects = new ObjectWatches(
      api,
      (kind, namespace, name) => {
        for (const worker of this.workers.values()) if (worker.uses(kind, namespace, name)) worker.kick();
      },
      this.ctx.log,
    );
    this.ctx.objects = this.objects;
    this.stopEvents = this.ctx.runtime.watchEvents(
      (uid) => this.workers.get(uid)?.kick(),
      (error) => this.ctx.log(`docker events: ${String(error)}`),
    );
    this.resync = setInterval(() => {
      this.resyncAll();
      void this.removeOrphans();
    }, RESYNC_INTERVAL_MS);
  }

  private resyncAll(): void {
    for (const worker of this.workers.values()) worker.kick();
  }

  /** Watches what the current pods reference, and nothing else. */
  private retainObjects(): void {
    this.objects?.retain([...this.workers.values()].flatMap((worker) => worker.references()));
  }

  private upsert(pod: Pod): void {
    const uid = pod.metadata.uid ?? "";
    if (!uid || this.finished.has(uid)) return;
    const worker = this.workers.get(uid);
    if (worker) {
      worker.update(pod);
      this.retainObjects();
      return;
    }
    const created = new PodWorker(this.ctx, pod, (done) => {
      this.workers.delete(done);
      this.finished.add(done);
      if (this.finished.size > FINISHED_REMEMBERED) this.finished.delete(this.finished.values().next().value as string);
      this.retainObjects();
    });
    this.workers.set(uid, created);
    this.retainObjects();
    created.kick();
  }

  /** Containers and sandboxes of this node whose pod the API does not list any more. */
  private async removeOrphans(): Promise<void> {
    if (!this.listed) return;
    try {
      for (const container of await this.ctx.runtime.list()) {
        if (this.workers.has(container.pod.uid)) continue;
        this.ctx.log(`removing orphaned container ${container.containerName} of pod ${container.pod.namespace}/${container.pod.name}`);
        await this.ctx.runtime.stop(container.id, 0);
        await this.ctx.runtime.remove(container.id);
      }
      // Volume directories of pods this agent no longer runs (e.g. deleted while it was down).
      for (const uid of await readdir(join(this.ctx.dataDir, "pods")).catch(() => [] as string[])) {
        if (!this.workers.has(uid)) await cleanupPodVolumes(this.ctx.dataDir, uid);
      }
    } catch (error) {
      this.ctx.log(`orphan cleanup: ${String(error)}`);
    }
  }

  podCount(): number {
    return this.workers.size;
  }

  /** Stops watching and probing; containers keep running (the next start adopts them). */
  stop(): void {
    for (const informer of this.informers) informer.stop();
    this.objects?.stop();
    this.stopEvents?.();
    if (this.resync) clearInterval(this.resync);
    for (const worker of this.workers.values()) worker.stop();
  }
}

// Events about pods, as kubelet's recorder writes them (source.component "kubelet", source.host
// the node); a repeat of the same reason and message bumps count on the existing Event instead.
import { timestamp } from "../../shared/time";
import { randomBytes } from "node:crypto";
import type { ApiClient } from "../api-client";
import type { Pod } from "./types";

/** How long a repeat is folded into the earlier Event (kubelet's correlator uses 10 min). */
export const EVENT_AGGREGATE_WINDOW_MS = 10 * 60_000;
/**
 * Events wait this long, then go one at a time: a starting pod's Pulled/Created/Started must
 * not compete with the status report that makes it Running (kubelet's broadcaster is async too).
 */
export const EVENT_FLUSH_DELAY_MS = 50;
/** kubelet's broadcaster drops what does not fit its queue of 1,000 (the API being away). */
export const EVENT_QUEUE_LIMIT = 1_000;

interface Recorded {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  atMs: number;
}

export class EventRecorder {
  private readonly recent = new Map<string, Recorded>();
  private readonly queue: (() => Promise<void>)[] = [];
  private draining = false;

  constructor(
    private readonly api: ApiClient,
    private readonly nodeName: string,
    private readonly log: (message: string) => void,
  ) {}

  record(pod: Pod, type: "Normal" | "Warning", reason: string, message: string, fieldPath?: string): void {
    if (this.queue.length >= EVENT_QUEUE_LIMIT) this.queue.shift();
    this.queue.push(() => this.write(pod, type, reason, message, fieldPath).catch((error: unknown) => this.log(`event ${reason} for ${pod.metadata.name}: ${String(error)}`)));
    if (this.draining) return;
    this.draining = true;
    setTimeout(() => void this.drain(), EVENT_FLUSH_DELAY_MS);
  }

  private async drain(): Promise<void> {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) await job();
    this.draining = false;
  }

  private async write(pod: Pod, type: string, reason: string, message: string, fieldPath?: string): Promise<void> {
    const namespace = pod.metadata.namespace ?? "default";
    const key = `${pod.metadata.uid}|${fieldPath ?? ""}|${reason}|${message}`;
    const now = new Date();
    const stamp = timestamp(now);
    for (const [k, r] of this.recent) if (now.getTime() - r.atMs > EVENT_AGGREGATE_WINDOW_MS) this.recent.delete(k);
    const seen = this.recent.get(key);
    if (seen) {
      seen.count += 1;
      seen.atMs = now.getTime();
      try {
        await this.api.patch(`/api/v1/namespaces/${namespace}/events/${seen.name}`, { count: seen.count, lastTimestamp: stamp });
        return;
      } catch {
        this.recent.delete(key); // gone (TTL): write a new one
      }
    }
    const name = `${pod.metadata.name}.${randomBytes(8).toString("hex")}`;
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
      involvedObject: {
        kind: "Pod",
        apiVersion: "v1",
        namespace,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: "kubelet", host: this.nodeName },
      reportingComponent: "kubelet",
      reportingInstance: this.nodeName,
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
    };
    this.recent.set(key, { name, namespace, count: 1, firstTimestamp: stamp, atMs: now.getTime() });
    await this.api.create(`/api/v1/namespaces/${namespace}/events`, event);
  }
}

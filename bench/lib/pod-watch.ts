// One cluster-wide pod watch for benchmarks: every event goes to each listener, and a stream
// the server ends is re-opened from the last resourceVersion seen (as a reflector does).
import { Agent, request } from "node:https";
import { readKubeconfig } from "../../scripts/lib/kubeconfig";

export interface WatchedPod {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { name: string; image: string }[] };
  status?: { phase?: string };
}

export type PodListener = (type: string, pod: WatchedPod) => void;

export interface PodWatch {
  listen(listener: PodListener): () => void;
  /** Resolves once the server has answered the first watch request. */
  ready: Promise<void>;
  /** Times the stream ended and was opened again (the server closes a watcher that falls too far behind). */
  readonly reopened: number;
  close(): void;
}

const REOPEN_DELAY_MS = 200;

export function watchPods(kubeconfig: string, fromResourceVersion: string): PodWatch {
  const kc = readKubeconfig(kubeconfig);
  const server = new URL(kc.server);
  const ca = kc.caPem;
  const token = kc.token;
  const listeners = new Set<PodListener>();
  let rv = fromResourceVersion;
  let closed = false;
  let reopened = 0;
  let current: ReturnType<typeof request> | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  let opened = false;
  const open = () => {
    if (closed) return;
    if (opened) reopened++;
    opened = true;
    const path = `/api/v1/pods?watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(rv)}`;
    const req = request(
      { host: server.hostname, port: Number(server.port), path, method: "GET", ca, agent: new Agent({ keepAlive: false, ca }), headers: { authorization: `Bearer ${token}`, accept: "application/json" } },
      (res) => {
        resolveReady();
        let buffer = "";
        res.on("data", (chunk: Buffer) => {
          buffer += chunk.toString();
          let nl: number;
          while ((nl = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            const event = JSON.parse(line) as { type: string; object: WatchedPod };
            if (event.type === "ERROR") continue;
            rv = event.object.metadata.resourceVersion;
            if (event.type === "BOOKMARK") continue;
            for (const l of listeners) l(event.type, event.object);
          }
        });
        res.on("end", () => setTimeout(open, REOPEN_DELAY_MS));
        res.on("error", () => undefined);
      },
    );
    req.on("error", () => setTimeout(open, REOPEN_DELAY_MS));
    req.end();
    current = req;
  };
  open();

  return {
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready,
    get reopened() {
      return reopened;
    },
    close() {
      closed = true;
      current?.destroy();
    },
  };
}

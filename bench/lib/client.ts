// A small keep-alive HTTPS client for benchmarks: trusts the cluster's CA, sends the
// bearer token, and times each request with the monotonic clock.
import { Agent, request } from "node:https";
import { readKubeconfig } from "../../scripts/lib/kubeconfig";

export interface ApiClient {
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: string; ms: number }>;
  stream(path: string, onLine: (line: string) => void): { close(): void; ready: Promise<void> };
  agent: Agent;
}

export function clientFromKubeconfig(path: string, maxSockets = 16): ApiClient {
  const kc = readKubeconfig(path);
  const server = new URL(kc.server);
  const ca = kc.caPem;
  const token = kc.token;
  const agent = new Agent({ keepAlive: true, maxSockets, ca });
  const base = { host: server.hostname, port: Number(server.port), agent, ca };

  return {
    agent,
    call(method, path, body, contentType = "application/json") {
      const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const started = performance.now();
        const req = request(
          { ...base, method, path, headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(payload ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) } : {}) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: performance.now() - started }));
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        // With its length, as kubectl and client-go send a body (not chunked).
        req.end(payload);
      });
    },
    stream(path, onLine) {
      let resolveReady!: () => void;
      const ready = new Promise<void>((r) => (resolveReady = r));
      const req = request(
        { ...base, agent: new Agent({ keepAlive: false, ca }), method: "GET", path, headers: { authorization: `Bearer ${token}`, accept: "application/json" } },
        (res) => {
          resolveReady();
          let buffer = "";
          res.on("data", (c: Buffer) => {
            buffer += c.toString();
            let nl: number;
            while ((nl = buffer.indexOf("\n")) >= 0) {
              const line = buffer.slice(0, nl);
              buffer = buffer.slice(nl + 1);
              if (line.trim()) onLine(line);
            }
          });
          res.on("error", () => undefined);
        },
      );
      req.on("error", () => undefined);
      req.end();
      return { close: () => req.destroy(), ready };
    },
  };
}

/**
 * Lists `path`, then watches it from the list's resourceVersion, so no change between the two is
 * missed. Listed items arrive first as `listedType` events; resolves once the watch is open.
 */
export async function listThenWatch<T>(
  api: ApiClient,
  path: string,
  onEvent: (type: string, object: T) => void,
  listedType = "ADDED",
): Promise<() => void> {
  const list = JSON.parse((await api.call("GET", path)).body) as { metadata: { resourceVersion: string }; items: T[] };
  for (const object of list.items) onEvent(listedType, object);
  const separator = path.includes("?") ? "&" : "?";
  const stream = api.stream(`${path}${separator}watch=1&resourceVersion=${list.metadata.resourceVersion}`, (line) => {
    const event = JSON.parse(line) as { type: string; object: T };
    onEvent(event.type, event.object);
  });
  await stream.ready;
  return stream.close;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summary(label: string, values: number[]): string {
  return `${label.padEnd(34)} n=${String(values.length).padStart(5)}  p50=${percentile(values, 50).toFixed(2).padStart(8)} ms  p99=${percentile(values, 99).toFixed(2).padStart(8)} ms`;
}

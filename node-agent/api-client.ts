// A small typed client for the Kubernetes REST API (node:https, one keep-alive agent with the
// cluster's CA; no undici: it alone was ~0.8 MB of the agent's bundle): get, list, create, update,
// patch, delete, and an informer loop (list, then watch from the list's resourceVersion; re-list
// on 410 Gone, reconnect with back-off on any other failure).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { ObjectList, WatchEvent } from "./kubelet/types";

export const WATCH_RECONNECT_MIN_MS = 500;
export const WATCH_RECONNECT_MAX_MS = 15_000;
/** A watch is re-opened after this long even if healthy, as client-go's reflector does (5–10 min). */
export const WATCH_TIMEOUT_SECONDS = 300;
/** How long past its timeoutSeconds a watch may stay open before it is taken for dead. */
export const WATCH_STALL_GRACE_SECONDS = 30;
const REQUEST_TIMEOUT_MS = 30_000;
/** How long an idle keep-alive connection is kept: under workerd's 5 s. */
const IDLE_CONNECTION_MS = 4_000;

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.code === 404;
}
export function isConflict(error: unknown): boolean {
  return error instanceof ApiError && error.code === 409;
}

export interface ApiClientOptions {
  server: string;
  token: string;
  ca?: string;
}

export type PatchType = "merge" | "strategic" | "json";
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
};

export interface InformerHandlers<T> {
  /** The full set after a (re-)list; items missing from it were deleted meanwhile. */
  replace(items: T[]): void;
  event(type: "ADDED" | "MODIFIED" | "DELETED", object: T): void;
  error?(error: unknown): void;
}

export interface Informer {
  stop(): void;
}

function query(params: Record<string, string | undefined> | undefined): string {
  if (!params) return "";
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export class ApiClient {
  private readonly agent: HttpAgent;
  private readonly tls: boolean;
  readonly server: string;
  /** Replaced when the node credential is renewed; requests in flight keep the one they sent. */
  private token: string;

  constructor(options: ApiClientOptions) {
    this.server = options.server.replace(/\/+$/, "");
    this.token = options.token;
    this.tls = this.server.startsWith("https:");
    // One pool: requests reuse idle keep-alive connections; each open watch holds one. An idle
    // one is dropped before the server drops it (workerd does after 5 s): a request sent on a
    // connection the server is closing fails with ECONNRESET.
    const pool = { keepAlive: true, maxFreeSockets: 2, scheduling: "lifo" as const, timeout: IDLE_CONNECTION_MS };
    this.agent = this.tls ? new HttpsAgent({ ...pool, ...(options.ca ? { ca: options.ca } : {}) }) : new HttpAgent(pool);
  }

  /** The bearer token for the requests from now on (a renewed node credential). */
  setToken(token: string): void {
    this.token = token;
  }

  /** Closes the idle keep-alive connections (a client used once, e.g. for the join). */
  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, headers: Record<string, string>, payload: string | undefined, signal: AbortSignal, resent = false): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const request = (this.tls ? httpsRequest : httpRequest)(`${this.server}${path}`, { method, headers, agent: this.agent, signal }, (response) => {
        answered = true;
        resolve(response);
      });
      request.on("error", (error: NodeJS.ErrnoException) => {
        // A keep-alive connection the server closed as idle (workerd does after a few seconds)
        // fails a request sent on it before the close was seen, unanswered and unread: send it
        // once more on a new connection, as Node's documentation advises (request.reusedSocket).
        if (!answered && !resent && request.reusedSocket && error.code === "ECONNRESET" && !signal.aborted) {
          resolve(this.send(method, path, headers, payload, signal, true));
        } else reject(error);
      });
      request.end(payload);
    });
  }

  async request<T>(method: string, path: string, body?: unknown, contentType = "application/json", signal?: AbortSignal): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: "application/json" };
    if (payload !== undefined) {
      headers["content-type"] = contentType;
      headers["content-length"] = String(Buffer.byteLength(payload));
    }
    const response = await this.send(method, path, headers, payload, signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    const text = await readText(response);
    const status = response.statusCode ?? 0;
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (status < 200 || status > 299) {
      const failure = (parsed ?? {}) as { reason?: string; message?: string };
      throw new ApiError(status, failure.reason ?? "Unknown", `${method} ${path}: ${status} ${failure.message ?? text}`);
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }
  list<T>(path: string, params?: Record<string, string | undefined>): Promise<ObjectList<T>> {
    return this.request<ObjectList<T>>("GET", `${path}${query(params)}`);
  }
  create<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }
  update<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, body);
  }
  patch<T>(path: string, body: unknown, type: PatchType = "merge"): Promise<T> {
    return this.request<T>("PATCH", path, body, PATCH_CONTENT_TYPES[type]);
  }
  delete<T>(path: string, options?: unknown): Promise<T> {
    return this.request<T>("DELETE", path, options);
  }

  /** Lines of a watch stream until it ends or `signal` aborts; throws ApiError on a non-2xx answer. */
  private async *watchStream<T>(path: string, params: Record<string, string | undefined>, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const url = `${path}${query({ ...params, watch: "true", allowWatchBookmarks: "true", timeoutSeconds: String(WATCH_TIMEOUT_SECONDS) })}`;
    const response = await this.send("GET", url, { authorization: `Bearer ${this.token}`, accept: "application/json" }, undefined, signal);
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const text = await readText(response);
      throw new ApiError(status, "WatchFailed", `watch ${path}: ${status} ${text}`);
    }
    response.setEncoding("utf8");
    // The server ends every watch after timeoutSeconds; one still open well after that sits on a
    // connection that died without a word (a NAT dropped it): give it up and watch again.
    const stalled = setTimeout(() => response.destroy(new Error(`watch ${path}: no end after ${WATCH_TIMEOUT_SECONDS} s`)), (WATCH_TIMEOUT_SECONDS + WATCH_STALL_GRACE_SECONDS) * 1000);
    try {
      let buffered = "";
      for await (const chunk of response) {
        buffered += chunk as string;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) yield JSON.parse(line) as WatchEvent<T>;
        }
      }
    } finally {
      clearTimeout(stalled);
    }
  }

  /**
   * client-go's reflector in miniature: list, then watch from the list's resourceVersion; an
   * ERROR event or 410 means the revision was compacted, so list again.
   */
  informer<T extends { metadata: { resourceVersion?: string } }>(
    path: string,
    params: Record<string, string | undefined>,
    handlers: InformerHandlers<T>,
  ): Informer {
    const controller = new AbortController();
    const signal = controller.signal;
    const loop = async () => {
      let attempt = 0;
      let resourceVersion: string | undefined;
      while (!signal.aborted) {
        try {
          if (resourceVersion === undefined) {
            const list = await this.list<T>(path, params);
            resourceVersion = list.metadata.resourceVersion ?? "0";
            handlers.replace(list.items);
          }
          const watchStarted = Date.now();
          let delivered = false;
          for await (const event of this.watchStream<T>(path, { ...params, resourceVersion }, signal)) {
            attempt = 0;
            delivered = true;
            if (event.type === "ERROR") {
              const status = event.object as unknown as { code?: number };
              if (status.code === 410) resourceVersion = undefined;
              throw new ApiError(status.code ?? 500, "WatchError", `watch ${path}: ${JSON.stringify(event.object)}`);
            }
            const rv = event.object.metadata?.resourceVersion;
            if (rv) resourceVersion = rv;
            if (event.type !== "BOOKMARK") handlers.event(event.type, event.object);
          }
          // A watch the server ends at once (and empty) must not become a tight reconnect loop.
          if (!delivered && Date.now() - watchStarted < 1_000) {
            attempt += 1;
            await sleep(Math.min(WATCH_RECONNECT_MAX_MS, WATCH_RECONNECT_MIN_MS * 2 ** Math.min(attempt, 10)), signal);
          }
        } catch (error) {
          if (signal.aborted) return;
          if (error instanceof ApiError && error.code === 410) resourceVersion = undefined;
          else if (error instanceof ApiError && error.reason === "WatchError") {
            // already handled above
          } else {
            handlers.error?.(error);
          }
          attempt += 1;
          await sleep(Math.min(WATCH_RECONNECT_MAX_MS, WATCH_RECONNECT_MIN_MS * 2 ** Math.min(attempt, 10)), signal);
        }
      }
    };
    void loop();
    return { stop: () => controller.abort() };
  }
}

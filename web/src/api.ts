// The console's only way to the cluster: the Kubernetes API of the Worker that served it, with the
// user's bearer token. The token lives in this tab's session storage, never in a URL. Watches and
// log follows go over WebSockets, which do not count against HTTP/1.1's 6 connections per host.
import { bearerProtocol } from "../../shared/bearer-protocol";

const TOKEN_KEY = "edgeplane.token";

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function savedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Fired when the server refuses the token (it expired, or was revoked): the app signs out. */
export const UNAUTHORIZED_EVENT = "edgeplane:unauthorized";

/** A Kubernetes Status' message, or the HTTP status line. */
export async function errorOf(response: Response): Promise<ApiError> {
  if (response.status === 401) dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  try {
    const status = (await response.json()) as { message?: string };
    return new ApiError(response.status, status.message ?? response.statusText);
  } catch {
    return new ApiError(response.status, response.statusText);
  }
}

export async function apiGet<T>(path: string, token: string, accept = "application/json", signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept }, signal });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

/** A write (PATCH, DELETE): the answer's body, or the Status' message as an ApiError. */
export async function apiSend<T>(method: string, path: string, token: string, body?: unknown, contentType = "application/json"): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": contentType }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

/**
 * One watch request: calls `onEvent` for each line until the server ends it. Resolves "gone" when
 * the server says the resourceVersion is too old (410: list again), "ended" otherwise.
 */
async function watchLines(
  path: string,
  token: string,
  accept: string,
  onEvent: (event: WatchEvent) => void,
  signal: AbortSignal,
  /** The server accepted the watch: an earlier failure is over. */
  onOpen: () => void = () => undefined,
): Promise<"gone" | "ended"> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept }, signal });
  if (response.status === 410) return "gone";
  if (!response.ok || !response.body) throw await errorOf(response);
  onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return "ended";
      buffer += value;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        const event = JSON.parse(line) as WatchEvent;
        if (event.type === "ERROR") {
          const status = event.object as { code?: number; message?: string };
          if (status.code === 410) return "gone";
          throw new ApiError(status.code ?? 500, status.message ?? "the watch failed");
        }
        onEvent(event);
      }
    }
  } finally {
    // An early return or a throw must not leave the connection open (6 per host over HTTP/1.1).
    void reader.cancel().catch(() => undefined);
  }
}

/**
 * wsstream's base64 text frames, for logs. A watch echoes whichever one protocol is offered and
 * sends JSON text whatever it is named; offering this one there too keeps one name for both.
 */
export const BASE64_PROTOCOL = "base64.binary.k8s.io";

/** A WebSocket to the API server on `path`, speaking `protocol`, the token in its bearer subprotocol (never in the URL). */
export function openSocket(path: string, token: string, protocol: string): WebSocket {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return new WebSocket(`${scheme}://${location.host}${path}`, [protocol, bearerProtocol(token)]);
}

/**
 * Why an upgrade was refused: a browser shows a WebSocket nothing of the answer, so the same URL is
 * asked over HTTP; its Status (401 signs out, 403, 410, 429, a container not started) is the
 * reason. Should it be accepted this time, the stream is dropped at once.
 */
export async function refusalOf(path: string, token: string): Promise<ApiError> {
  const abort = new AbortController();
  try {
    const response = await fetch(path, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    if (!response.ok) return await errorOf(response);
    abort.abort();
    return new ApiError(0, "the connection was refused");
  } catch (error) {
    return new ApiError(0, error instanceof Error ? error.message : String(error));
  }
}

/**
 * A server-to-client stream over a WebSocket on `path` (the token in its bearer subprotocol, never
 * in the URL): `onMessage` hears each message, and returns true to end the stream early. Resolves
 * when it ends or `signal` aborts; rejects with why it was refused, or with what `onMessage` threw.
 */
export function readSocket(
  path: string,
  token: string,
  signal: AbortSignal,
  onMessage: (data: string) => boolean | void,
  onOpen: () => void = () => undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = openSocket(path, token, BASE64_PROTOCOL);
    let opened = false;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", aborted);
      socket.close();
      if (error === undefined) resolve();
      else reject(error);
    };
    const aborted = () => settle();
    signal.addEventListener("abort", aborted);
    if (signal.aborted) return settle();
    socket.onopen = () => {
      opened = true;
      onOpen();
    };
    socket.onmessage = (event: MessageEvent<unknown>) => {
      if (settled || typeof event.data !== "string") return;
      try {
        if (onMessage(event.data)) settle();
      } catch (error) {
        settle(error);
      }
    };
    socket.onclose = (event: CloseEvent) => {
      if (settled) return;
      // 1000 is the stream's end; anything else (1011 the server's failure, 1006 a cut) is not.
      if (opened) return settle(event.code === 1000 ? undefined : new ApiError(500, `the stream broke off (WebSocket close ${event.code}${event.reason ? `: ${event.reason}` : ""})`));
      void refusalOf(path, token).then((error) => settle(error));
    };
  });
}

/**
 * A pod's log over a WebSocket (wsstream's base64.binary.k8s.io: the first message is empty, each
 * other one base64 of the bytes): `onText` hears the text as it comes. Resolves when it ends.
 */
export function followLog(path: string, token: string, signal: AbortSignal, onText: (text: string) => void, onOpen?: () => void): Promise<void> {
  const decoder = new TextDecoder();
  return readSocket(path, token, signal, (data) => {
    // A chunk may end inside a character: the decoder keeps its first bytes for the next one.
    if (data !== "") onText(decoder.decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)), { stream: true }));
  }, onOpen);
}

/** One watch over a WebSocket: as watchLines, each event one message. */
async function watchSocket(path: string, token: string, onEvent: (event: WatchEvent) => void, signal: AbortSignal, onOpen: () => void): Promise<"gone" | "ended"> {
  let outcome: "gone" | "ended" = "ended";
  try {
    await readSocket(path, token, signal, (data) => {
      const event = JSON.parse(data) as WatchEvent;
      if (event.type !== "ERROR") {
        onEvent(event);
        return false;
      }
      const status = event.object as { code?: number; message?: string };
      if (status.code !== 410) throw new ApiError(status.code ?? 500, status.message ?? "the watch failed");
      outcome = "gone";
      return true;
    }, onOpen);
  } catch (error) {
    if (error instanceof ApiError && error.code === 410) return "gone";
    throw error;
  }
  return outcome;
}

/** Reconnects no sooner than this after the last one: a watch that keeps ending at once must not spin. */
const MIN_WATCH_INTERVAL_MS = 1_000;

/** Waits out the rest of MIN_WATCH_INTERVAL_MS since `startedAt`. */
function paced(startedAt: number): Promise<void> {
  const wait = MIN_WATCH_INTERVAL_MS - (Date.now() - startedAt);
  return wait > 0 ? new Promise((r) => setTimeout(r, wait)) : Promise.resolve();
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: unknown;
}

/** `path` may carry a query already (a selector): more parameters are added to it. */
export function withQuery(path: string, query: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}${query}`;
}

const RETRY_MS = 1_000;

export interface ListWatch<L> {
  /** The collection, with any query both the list and the watch take (a selector, includeObject). */
  path: string;
  token: string;
  accept: string;
  signal: AbortSignal;
  /** A (re-)list: the whole set as it is now. With `pageSize`, called once per page (below). */
  listed(list: L, page?: ListPage): void | Promise<void>;
  /**
   * List in pages of this many (kubectl's `limit` with `continue`): the first rows show after one
   * page, not after the whole collection has arrived. All pages are one snapshot.
   */
  pageSize?: number;
  /** Each change after it, in order (bookmarks only move the resourceVersion). */
  changed(event: WatchEvent): void | Promise<void>;
  /** A failure to show; undefined once the watch is open again. */
  failed(message: string | undefined): void;
}

export interface ListPage {
  /** The first page of a (re-)list: what was shown before is replaced. */
  first: boolean;
  /** The last page: the list is whole. */
  last: boolean;
}

/** Lists the collection, page by page when asked; resolves the snapshot's resourceVersion. */
async function listPages<L extends { metadata?: { resourceVersion?: string; continue?: string } }>(o: ListWatch<L>): Promise<string> {
  if (!o.pageSize) {
    const list = await apiGet<L>(o.path, o.token, o.accept, o.signal);
    await o.listed(list);
    return list.metadata?.resourceVersion ?? "";
  }
  let next = "";
  let first = true;
  for (;;) {
    const query = `limit=${o.pageSize}${next ? `&continue=${encodeURIComponent(next)}` : ""}`;
    const page = await apiGet<L>(withQuery(o.path, query), o.token, o.accept, o.signal);
    next = page.metadata?.continue ?? "";
    await o.listed(page, { first, last: !next });
    first = false;
    // Every page carries the snapshot's resourceVersion: the watch starts from it.
    if (!next) return page.metadata?.resourceVersion ?? "";
  }
}

/**
 * The informer's loop, for the console's views: list, then watch from the list's resourceVersion;
 * a dropped watch resumes where it was, a 410 lists again, a failure is retried after a pause.
 * Reconnects are paced, so a watch that keeps ending at once does not spin. Runs until aborted.
 */
export async function listThenWatch<L extends { metadata?: { resourceVersion?: string } }>(o: ListWatch<L>): Promise<void> {
  let listed = false;
  let resourceVersion = "";
  while (!o.signal.aborted) {
    try {
      if (!listed) {
        resourceVersion = await listPages(o);
        listed = true;
      }
      const startedAt = Date.now();
      let queue: Promise<void> = Promise.resolve();
      const query = `watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}`;
      const onEvent = (event: WatchEvent) => {
        resourceVersion = (event.object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? resourceVersion;
        if (event.type !== "BOOKMARK") queue = queue.then(() => o.changed(event));
      };
      const path = withQuery(o.path, query);
      // A browser cannot set Accept on a WebSocket: Table and metadata watches stay on fetch.
      const outcome = o.accept === "application/json"
        ? await watchSocket(path, o.token, onEvent, o.signal, () => o.failed(undefined))
        : await watchLines(path, o.token, o.accept, onEvent, o.signal, () => o.failed(undefined));
      await queue;
      if (outcome === "gone") listed = false;
      await paced(startedAt);
    } catch (error) {
      if (o.signal.aborted) return;
      o.failed(error instanceof Error ? error.message : String(error));
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}

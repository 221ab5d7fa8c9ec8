// The console's only way to the cluster: the Kubernetes API of the Worker that served it, with the
// user's bearer token. The token lives in this tab's session storage, never in a URL.
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

/** A Kubernetes Status' message, or the HTTP status line. */
async function errorOf(response: Response): Promise<ApiError> {
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
export async function watchLines(
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
      if (event.type === "ERROR" && (event.object as { code?: number }).code === 410) return "gone";
      onEvent(event);
    }
  }
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: unknown;
}

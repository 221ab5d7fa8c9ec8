// Pod streaming subresources (log, exec, attach, portforward): validated here as kube-apiserver's
// pod strategy does (LogLocation / streamLocation), then relayed to the node's tunnel DO. A log
// asked for as a WebSocket upgrade is relayed into one, as kube-apiserver's wsstream.Reader does.
import type { ApiContext } from "../context";
import { badRequest, methodNotAllowed, notFound, StatusError } from "../../../shared/status-error";
import { chooseSubprotocol, EXEC_SUBPROTOCOLS, PORT_FORWARD_SUBPROTOCOL } from "../../../shared/tunnel/channels";
import type { ExecOptions, LogOptions, StreamOpen } from "../../../shared/tunnel/frames";
import { internalHeaders, TUNNEL_OPEN_HEADER, TUNNEL_STREAM_HEADER, tunnelStub } from "../../tunnel/protocol";
import { isWebSocketRequest } from "../websocket-bearer";
import { readerFraming, readerSubprotocol, serveOverWebSocket } from "../websocket-stream";

/** A log's request to the tunnel DO is a plain GET: the client's upgrade is answered here, not there. */
const UPGRADE_HEADERS = ["upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol"];

interface PodShape {
  metadata?: { uid?: string };
  spec?: {
    nodeName?: string;
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    ephemeralContainers?: { name: string }[];
  };
}

function names(list: { name: string }[] | undefined): string[] {
  return (list ?? []).map((c) => c.name);
}

/** The container the request is for: kube-apiserver's defaulting and its error wording. */
export function resolveContainer(pod: PodShape, podName: string, requested: string | undefined): string {
  const containers = names(pod.spec?.containers);
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${podName}`);
    const init = names(pod.spec?.initContainers);
    let message = `a container name must be specified for pod ${podName}, choose one of: [${containers.join(" ")}]`;
    if (init.length > 0) message += ` or one of the init containers: [${init.join(" ")}]`;
    throw badRequest(message);
  }
  const all = [...containers, ...names(pod.spec?.initContainers), ...names(pod.spec?.ephemeralContainers)];
  if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${podName}`);
  return requested;
}

function flag(url: URL, name: string): boolean {
  const v = url.searchParams.get(name);
  return v === "true" || v === "1";
}

function integer(url: URL, name: string, min: number): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`${name}: Invalid value: "${v}": must be an integer`);
  if (n < min) throw badRequest(`${name}: Invalid value: ${n}: must be greater than or equal to ${min}`);
  return n;
}

/** PodLogOptions from the query, with kube's validation (PodLogOptions in pkg/apis/core/validation). */
export function parseLogOptions(url: URL): LogOptions {
  const options: LogOptions = {
    follow: flag(url, "follow"),
    previous: flag(url, "previous"),
    timestamps: flag(url, "timestamps"),
    tailLines: integer(url, "tailLines", 0),
    sinceSeconds: integer(url, "sinceSeconds", 1),
    limitBytes: integer(url, "limitBytes", 1),
  };
  const sinceTime = url.searchParams.get("sinceTime");
  if (sinceTime) {
    if (Number.isNaN(Date.parse(sinceTime))) throw badRequest(`sinceTime: Invalid value: "${sinceTime}": must be RFC 3339`);
    options.sinceTime = sinceTime;
  }
  if (options.sinceTime !== undefined && options.sinceSeconds !== undefined) {
    throw badRequest("at most one of `sinceTime` or `sinceSeconds` may be specified");
  }
  const stream = url.searchParams.get("stream");
  if (stream && stream !== "All") throw badRequest(`stream: Unsupported value: "${stream}": supported values: "All"`);
  return options;
}

/** PodExecOptions / PodAttachOptions from the query. */
export function parseExecOptions(url: URL, kind: "exec" | "attach"): ExecOptions {
  const options: ExecOptions = {
    command: url.searchParams.getAll("command"),
    stdin: flag(url, "stdin"),
    stdout: flag(url, "stdout"),
    stderr: flag(url, "stderr"),
    tty: flag(url, "tty"),
  };
  if (kind === "exec" && options.command.length === 0) throw badRequest("you must specify at least 1 command");
  if (!options.stdin && !options.stdout && !options.stderr) {
    throw badRequest("you must specify at least 1 of stdin, stdout, stderr");
  }
  if (options.tty && options.stderr) options.stderr = false; // a TTY merges stderr into stdout (kubelet does the same)
  return options;
}

function upgradeRequired(): StatusError {
  return badRequest("Upgrade request required");
}

export async function podStreamVerb(ctx: ApiContext): Promise<Response> {
  const { target, url, request } = ctx;
  const sub = target.subresource ?? "";
  const podName = target.name ?? "";
  const namespace = target.namespace ?? "default";
  const isLog = sub === "log";
  if (isLog ? request.method !== "GET" : request.method !== "GET" && request.method !== "POST") throw methodNotAllowed();

  const stored = await ctx.store.get({ group: "", resource: "pods", namespace, name: podName });
  if (!stored) throw notFound({ group: "", resource: "pods" }, podName);
  const pod = stored.value as PodShape;

  let open: StreamOpen;
  if (sub === "portforward") {
    open = { kind: "portforward", namespace, pod: podName, uid: pod.metadata?.uid, container: "", protocol: "" };
  } else {
    const container = resolveContainer(pod, podName, url.searchParams.get("container") ?? undefined);
    if (sub === "log") open = { kind: "log", namespace, pod: podName, uid: pod.metadata?.uid, container, log: parseLogOptions(url) };
    else open = { kind: sub === "exec" ? "exec" : "attach", namespace, pod: podName, uid: pod.metadata?.uid, container, protocol: "", exec: parseExecOptions(url, sub === "exec" ? "exec" : "attach") };
  }
  const node = pod.spec?.nodeName;
  if (!node) throw badRequest(`pod ${podName} does not have a host assigned`);

  if (open.kind !== "log") {
    // A Worker cannot pass an SPDY upgrade: only the WebSocket protocols are served (DESIGN).
    if ((request.headers.get("upgrade") ?? "").toLowerCase() !== "websocket") throw upgradeRequired();
    const supported = open.kind === "portforward" ? [PORT_FORWARD_SUBPROTOCOL] : EXEC_SUBPROTOCOLS;
    const protocol = chooseSubprotocol(request.headers.get("sec-websocket-protocol"), supported);
    if (!protocol) {
      throw badRequest(`none of the requested WebSocket subprotocols is supported; supported: ${supported.join(", ")}`);
    }
    open.protocol = protocol;
  }
  // Chosen before the node is asked: an offer it cannot answer costs the node nothing.
  const logProtocol = open.kind === "log" && isWebSocketRequest(request.headers) ? readerSubprotocol(request.headers) : undefined;
  const headers = internalHeaders(request.headers, "stream", node);
  headers.set(TUNNEL_OPEN_HEADER, encodeURIComponent(JSON.stringify(open)));
  if (open.kind === "log") for (const name of UPGRADE_HEADERS) headers.delete(name);
  const tunnel = tunnelStub(ctx.env, node);
  const answer = await tunnel.fetch(new Request(request.url, { method: "GET", headers }));
  const streamId = Number(answer.headers.get(TUNNEL_STREAM_HEADER));
  // The node's refusal (no tunnel, no container yet) is an HTTP answer, before any upgrade (as upstream's).
  if (logProtocol === undefined || !answer.ok || !answer.body) return withoutStreamId(answer);
  // The node's stream ends when the client goes, not at the container's next line.
  const release = () => (streamId > 0 ? ctx.waitUntil(tunnel.cancelLog(streamId).catch(() => undefined)) : undefined);
  return serveOverWebSocket(answer.body, readerFraming(logProtocol), logProtocol, ctx.waitUntil, release);
}

/** The DO's answer without its internal stream id, for the client. */
function withoutStreamId(answer: Response): Response {
  if (!answer.headers.has(TUNNEL_STREAM_HEADER)) return answer;
  const headers = new Headers(answer.headers);
  headers.delete(TUNNEL_STREAM_HEADER);
  return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers });
}

// WATCH: validates the request, then streams from the resource's WatchHub Durable
// Object (one fan-out point per kind, no per-watcher SQL polling). Table and
// PartialObjectMetadata watches are re-encoded line by line here. A WebSocket upgrade gets the
// same lines, one event per text message (kube-apiserver's HandleWS).
import { apiVersionOf } from "../../resources/meta";
import type { KubeObject, ResourceDef } from "../../resources/types";
import { WATCH_CLIENT_HEADER, WATCH_KEY_HEADER, watchParamsToUrl, type WatchParams } from "../../durable/watch-params";
import { inSystemMasters } from "../auth";
import type { ApiContext } from "../context";
import { query } from "../context";
import { parseFieldSelector, parseLabelSelector, requiredFieldValue, validateFieldSelector } from "../../../shared/selectors";
import { presentAs } from "../respond";
import { badRequest } from "../../../shared/status-error";
import { parseIncludeObject, partialObjectMetadata, toTable, type IncludeObject } from "../table";
import { watchHub } from "../write/store-writes";
import { isWebSocketRequest } from "../websocket-bearer";
import { serveOverWebSocket, watchSubprotocol } from "../websocket-stream";

/**
 * A watch stream must not be compressed: gzip holds events back until its buffer fills, and
 * Go clients (kubectl) always send Accept-Encoding: gzip. `identity` tells the runtime to leave it.
 */
const STREAM_HEADERS = { "content-type": "application/json", "content-encoding": "identity", "cache-control": "no-cache" };

interface WatchLine {
  type: string;
  object: KubeObject;
}

export async function watchVerb(ctx: ApiContext): Promise<Response> {
  const { def, namespace } = ctx.target;
  const labelSelector = query(ctx, "labelSelector");
  // GET …/{name}?watch=true (the legacy form) watches that object only: its name joins the selector.
  const urlName = ctx.target.name;
  const givenSelector = query(ctx, "fieldSelector");
  const fieldSelector = urlName ? [givenSelector, `metadata.name=${urlName}`].filter(Boolean).join(",") : givenSelector;
  if (labelSelector) parseLabelSelector(labelSelector);
  let name: string | undefined;
  if (fieldSelector) {
    const fields = parseFieldSelector(fieldSelector);
    validateFieldSelector(fields, def);
    name = requiredFieldValue(fields, "metadata.name");
    // A selector naming another object than the URL matches nothing: refuse it rather than guess.
    if (urlName && name !== urlName) throw badRequest(`fieldSelector names another object than the URL (${urlName})`);
  }
  const timeoutText = query(ctx, "timeoutSeconds");
  const timeoutSeconds = timeoutText === undefined ? undefined : Number(timeoutText);
  if (timeoutSeconds !== undefined && (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0)) {
    throw badRequest(`timeoutSeconds: Invalid value: "${timeoutText}": must be a non-negative integer`);
  }
  const params: WatchParams = {
    group: def.group,
    resource: def.plural,
    apiVersion: apiVersionOf(def, ctx.target.version),
    kind: def.kind,
    allowWatchBookmarks: ["1", "true"].includes(query(ctx, "allowWatchBookmarks") ?? ""),
  };
  if (def.namespaced && namespace !== undefined) params.namespace = namespace;
  if (name !== undefined) params.name = name;
  const rv = query(ctx, "resourceVersion");
  if (rv !== undefined && rv !== "") params.resourceVersion = rv;
  if (labelSelector) params.labelSelector = labelSelector;
  if (fieldSelector) params.fieldSelector = fieldSelector;
  if (timeoutSeconds !== undefined) params.timeoutSeconds = timeoutSeconds;
  const initial = query(ctx, "sendInitialEvents");
  if (initial !== undefined) params.sendInitialEvents = initial === "true";

  // Refused before a slot is taken: a bad includeObject (read for Table output only, as
  // kube-apiserver reads it), a subprotocol it cannot answer (kube-apiserver's 400).
  const include = ctx.output.type === "table" ? parseIncludeObject(query(ctx, "includeObject")) : "Metadata";
  const socket = isWebSocketRequest(ctx.request.headers);
  const protocol = socket ? watchSubprotocol(ctx.request.headers) : undefined;

  // Counted per client by the hub, except system:masters (see watchesPerClient).
  const headers: Record<string, string> = inSystemMasters(ctx.principal) ? {} : { [WATCH_CLIENT_HEADER]: ctx.principal.user };
  const hub = watchHub(ctx.env, def.group, def.plural);
  const upstream = await hub.fetch(watchParamsToUrl(params), { headers });
  if (!upstream.ok || !upstream.body) return upstream;
  const output = ctx.output;
  const version = ctx.target.version;
  const reencode = (line: WatchLine): unknown => {
    if (line.type === "ERROR" || line.type === "BOOKMARK") return line;
    if (output.type === "json" || output.type === "yaml") return { type: line.type, object: presentAs(def, version, line.object) };
    if (output.type === "meta") return { type: line.type, object: partialObjectMetadata(line.object, output.version) };
    return { type: line.type, object: tableFor(def, line.object, include, output.version) };
  };
  const asStored = (output.type === "json" || output.type === "yaml") && version === def.version;
  if (socket) {
    // Each message ends in a newline, as the JSON serializer writes each event upstream.
    const lines = lineSplitter();
    const message = (text: string) => (asStored ? text : JSON.stringify(reencode(JSON.parse(text) as WatchLine))) + "\n";
    const framing = { chunk: (bytes: Uint8Array) => lines.push(bytes).map(message), end: () => lines.end().map(message) };
    const key = upstream.headers.get(WATCH_KEY_HEADER);
    // The slot is given back at once, not at the hub's next write to a body no one reads.
    const release = () => (key ? ctx.waitUntil(hub.cancel(key).catch(() => undefined)) : undefined);
    return serveOverWebSocket(upstream.body, framing, protocol, ctx.waitUntil, release);
  }
  if (asStored) return new Response(upstream.body, { status: 200, headers: STREAM_HEADERS });
  const encoder = new TextEncoder();
  const lines = upstream.body.pipeThrough(splitLines()).pipeThrough(mapStream((text) => encoder.encode(JSON.stringify(reencode(JSON.parse(text) as WatchLine)) + "\n")));
  return new Response(lines, { status: 200, headers: STREAM_HEADERS });
}

/** Rows are computed at send time, so AGE reflects the moment of the change. */
function tableFor(def: ResourceDef, obj: KubeObject, include: IncludeObject, version: "v1" | "v1beta1") {
  return toTable(def, [obj], { now: new Date(), include, version, resourceVersion: obj.metadata.resourceVersion });
}

/** Splits a byte stream into its non-empty lines (JSON texts, one event each). */
function lineSplitter(): { push(bytes: Uint8Array): string[]; end(): string[] } {
  const decoder = new TextDecoder();
  let buffer = "";
  const complete = (): string[] => {
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    return parts.map((p) => p.trim()).filter(Boolean);
  };
  return {
    push(bytes) {
      buffer += decoder.decode(bytes, { stream: true });
      return complete();
    },
    end() {
      buffer += decoder.decode() + "\n";
      return complete();
    },
  };
}

function splitLines(): TransformStream<Uint8Array, string> {
  const lines = lineSplitter();
  return new TransformStream({
    transform(chunk, controller) {
      for (const line of lines.push(chunk)) controller.enqueue(line);
    },
    flush(controller) {
      for (const line of lines.end()) controller.enqueue(line);
    },
  });
}

function mapStream<I, O>(fn: (value: I) => O): TransformStream<I, O> {
  return new TransformStream({
    transform(value, controller) {
      controller.enqueue(fn(value));
    },
  });
}

// WATCH: validates the request, then streams from the resource's WatchHub Durable
// Object (one fan-out point per kind, no per-watcher SQL polling). Table and
// PartialObjectMetadata watches are re-encoded line by line here.
import { apiVersionOf } from "../../resources/meta";
import type { KubeObject, ResourceDef } from "../../resources/types";
import { WATCH_CLIENT_HEADER, watchParamsToUrl, type WatchParams } from "../../durable/watch-params";
import { inSystemMasters } from "../auth";
import type { ApiContext } from "../context";
import { query } from "../context";
import { parseFieldSelector, parseLabelSelector, requiredFieldValue, validateFieldSelector } from "../../../shared/selectors";
import { presentAs } from "../respond";
import { badRequest } from "../../../shared/status-error";
import { parseIncludeObject, partialObjectMetadata, toTable, type IncludeObject } from "../table";
import { watchHub } from "../write/store-writes";

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

  // Counted per client by the hub, except system:masters (see watchesPerClient).
  const headers: Record<string, string> = inSystemMasters(ctx.principal) ? {} : { [WATCH_CLIENT_HEADER]: ctx.principal.user };
  const upstream = await watchHub(ctx.env, def.group, def.plural).fetch(watchParamsToUrl(params), { headers });
  if (!upstream.ok || !upstream.body) return upstream;
  const output = ctx.output;
  const version = ctx.target.version;
  if ((output.type === "json" || output.type === "yaml") && version === def.version) {
    return new Response(upstream.body, { status: 200, headers: STREAM_HEADERS });
  }
  const include = parseIncludeObject(query(ctx, "includeObject"));
  const reencode = (line: WatchLine): unknown => {
    if (line.type === "ERROR" || line.type === "BOOKMARK") return line;
    if (output.type === "json" || output.type === "yaml") return { type: line.type, object: presentAs(def, version, line.object) };
    if (output.type === "meta") return { type: line.type, object: partialObjectMetadata(line.object, output.version) };
    return { type: line.type, object: tableFor(def, line.object, include, output.version) };
  };
  return new Response(upstream.body.pipeThrough(mapLines(reencode)), { status: 200, headers: STREAM_HEADERS });
}

/** Rows are computed at send time, so AGE reflects the moment of the change. */
function tableFor(def: ResourceDef, obj: KubeObject, include: IncludeObject, version: "v1" | "v1beta1") {
  return toTable(def, [obj], { now: new Date(), include, version, resourceVersion: obj.metadata.resourceVersion });
}

/** Splits a byte stream into JSON lines, maps each, and writes them back as lines. */
function mapLines(fn: (line: WatchLine) => unknown): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const text = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (text) controller.enqueue(encoder.encode(JSON.stringify(fn(JSON.parse(text) as WatchLine)) + "\n"));
      }
    },
    flush(controller) {
      const text = buffer.trim();
      if (text) controller.enqueue(encoder.encode(JSON.stringify(fn(JSON.parse(text) as WatchLine)) + "\n"));
    },
  });
}

// The normalized watch request the Worker hands to a WatchHub: it parses and authorizes
// the HTTP request, then calls `hub.fetch(watchParamsToUrl(params))`.
import { matchFields, matchLabels, parseFieldSelector, parseLabelSelector, validateFieldSelector } from "../../shared/selectors";
import { badRequest } from "../../shared/status-error";
import type { KubeObject, ResourceDef } from "../resources/types";
import type { WatchSpec } from "./watch-fanout";
import type { WatchFilter } from "./watch-ring";
export interface WatchParams {
  group: string;
  resource: string;
  /** Written into BOOKMARK objects and into events whose stored object lacks them. */
  apiVersion: string;
  kind: string;
  /** Only this namespace; absent = all namespaces (or a cluster-scoped kind). */
  namespace?: string;
  /** Single-object watch (`fieldSelector=metadata.name=x`). */
  name?: string;
  /** Absent or "0": synthetic ADDED for the current state first (unless sendInitialEvents is false). */
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks: boolean;
  timeoutSeconds?: number;
  /** WatchList (KEP-3157): initial ADDED events then a BOOKMARK annotated `k8s.io/initial-events-end`. */
  sendInitialEvents?: boolean;
}

const HUB_WATCH_URL = "https://hub/watch";

/** The WatchHub of a resource type: `env.WATCH_HUB.idFromName(watchHubName(group, resource))`. */
export function watchHubName(group: string, resource: string): string {
  return `${group}/${resource}`;
}

/**
 * Names the client (the user) a watch is for, set by the Worker on its request to the hub, never
 * taken from outside; absent for system:masters, whose watches are not counted.
 */
export const WATCH_CLIENT_HEADER = "x-edgeplane-watch-client";
/** On the hub's answer: the key the Worker passes to its `cancel` when the watch's client is gone. */
export const WATCH_KEY_HEADER = "x-edgeplane-watch-key";

export function watchParamsToUrl(params: WatchParams): string {
  const q = new URLSearchParams();
  q.set("group", params.group);
  q.set("resource", params.resource);
  q.set("apiVersion", params.apiVersion);
  q.set("kind", params.kind);
  if (params.namespace !== undefined) q.set("namespace", params.namespace);
  if (params.name !== undefined) q.set("name", params.name);
  if (params.resourceVersion !== undefined) q.set("resourceVersion", params.resourceVersion);
  if (params.labelSelector) q.set("labelSelector", params.labelSelector);
  if (params.fieldSelector) q.set("fieldSelector", params.fieldSelector);
  if (params.allowWatchBookmarks) q.set("allowWatchBookmarks", "true");
  if (params.timeoutSeconds !== undefined) q.set("timeoutSeconds", String(params.timeoutSeconds));
  if (params.sendInitialEvents !== undefined) q.set("sendInitialEvents", String(params.sendInitialEvents));
  return `${HUB_WATCH_URL}?${q.toString()}`;
}

/** Inverse of watchParamsToUrl; throws on a URL the Worker would never build. */
export function watchParamsFromUrl(url: string | URL): WatchParams {
  const q = new URL(url).searchParams;
  const required = (name: string): string => {
    const value = q.get(name);
    if (value === null) throw new Error(`watch hub: missing ${name}`);
    return value;
  };
  const optional = (name: string): string | undefined => q.get(name) ?? undefined;
  const params: WatchParams = {
    group: required("group"),
    resource: required("resource"),
    apiVersion: required("apiVersion"),
    kind: required("kind"),
    allowWatchBookmarks: q.get("allowWatchBookmarks") === "true",
  };
  const namespace = optional("namespace");
  if (namespace !== undefined) params.namespace = namespace;
  const name = optional("name");
  if (name !== undefined) params.name = name;
  const rv = optional("resourceVersion");
  if (rv !== undefined) params.resourceVersion = rv;
  const labels = optional("labelSelector");
  if (labels) params.labelSelector = labels;
  const fields = optional("fieldSelector");
  if (fields) params.fieldSelector = fields;
  const timeout = optional("timeoutSeconds");
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`watch hub: bad timeoutSeconds ${timeout}`);
    params.timeoutSeconds = seconds;
  }
  const initial = optional("sendInitialEvents");
  if (initial !== undefined) params.sendInitialEvents = initial === "true";
  return params;
}

/** Turns parsed parameters into the fan-out's watch spec; bad selectors or versions → 400. */
export function watchSpecFrom(params: WatchParams, def: Pick<ResourceDef, "selectableFields">): WatchSpec {
  const labels = params.labelSelector ? parseLabelSelector(params.labelSelector) : undefined;
  const fields = params.fieldSelector ? parseFieldSelector(params.fieldSelector) : undefined;
  if (fields) validateFieldSelector(fields, def);
  const filter: WatchFilter = {};
  if (params.namespace !== undefined) filter.namespace = params.namespace;
  if (params.name !== undefined) filter.name = params.name;
  if (labels || fields) {
    filter.matches = (obj: KubeObject) =>
      (!labels || matchLabels(labels, obj.metadata.labels)) && (!fields || matchFields(fields, obj, def));
  }
  const rv = params.resourceVersion;
  let start: WatchSpec["start"];
  if (params.sendInitialEvents === true) start = "list";
  else if (rv === undefined || rv === "" || rv === "0") start = params.sendInitialEvents === false ? "now" : "list";
  else if (/^\d+$/.test(rv)) start = Number(rv);
  else throw badRequest(`invalid resource version: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`);
  return {
    filter,
    start,
    bookmarks: params.allowWatchBookmarks,
    initialEventsEnd: params.sendInitialEvents === true,
    typeMeta: { apiVersion: params.apiVersion, kind: params.kind },
  };
}

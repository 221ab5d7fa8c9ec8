// The `paths` of a group-version document: every resource URL with its operations and query
// parameters, shaped as kube-apiserver's. kubectl reads the PATCH operation's parameters to
// learn that the server validates fields itself (fieldValidation), and its request content
// types to learn that strategic merge patch is accepted.
import type { ResourceDef } from "../resources/types";
import { API_RESOURCE_LIST, DELETE_OPTIONS, PATCH, SCALE, STATUS, WATCH_EVENT } from "./openapi-meta";
import { gvk, hasOwnSchema, schemaName } from "./openapi-kinds";
import { refTo } from "./openapi-schema";
import { type Json } from "../../shared/json";

function param(name: string, type: string, description: string, extra: Json = {}): Json {
  return { name, in: "query", description, schema: { type, uniqueItems: true }, ...extra };
}

const P = {
  pretty: param("pretty", "string", "If 'true', then the output is pretty printed."),
  dryRun: param("dryRun", "string", "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed"),
  fieldManager: param("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes."),
  fieldValidation: param(
    "fieldValidation",
    "string",
    "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict",
  ),
  force: param("force", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people."),
  allowWatchBookmarks: param("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\"."),
  continue: param("continue", "string", "The continue option should be set when retrieving more results from the server."),
  fieldSelector: param("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
  labelSelector: param("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
  limit: param("limit", "integer", "limit is a maximum number of responses to return for a list call."),
  resourceVersion: param("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from."),
  resourceVersionMatch: param("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls."),
  sendInitialEvents: param("sendInitialEvents", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`."),
  timeoutSeconds: param("timeoutSeconds", "integer", "Timeout for the list/watch call."),
  watch: param("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications."),
  gracePeriodSeconds: param("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted."),
  orphanDependents: param("orphanDependents", "boolean", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7."),
  propagationPolicy: param("propagationPolicy", "string", "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'."),
};

const LIST_PARAMS = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];

const pathParam = (name: string, description: string): Json => ({ name, in: "path", description, required: true, schema: { type: "string", uniqueItems: true } });
const NAMESPACE = pathParam("namespace", "object name and auth scope, such as for teams and projects");

function content(schemaRef: string, types = ["application/json", "application/yaml"]): Json {
  return Object.fromEntries(types.map((t) => [t, { schema: refTo(schemaRef) }]));
}

function responses(schemaRef: string, codes: string[]): Json {
  const out: Json = {};
  for (const code of codes) out[code] = { description: code === "201" ? "Created" : code === "202" ? "Accepted" : "OK", content: content(schemaRef) };
  out["401"] = { description: "Unauthorized" };
  return out;
}

function camel(s: string): string {
  return s
    .split(/[.\-]/)
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
}

/** kube-openapi's tag / operationId group part: core → Core, networking.k8s.io → Networking. */
function groupTag(group: string): string {
  if (group === "") return "Core";
  return camel(group.endsWith(".k8s.io") ? group.slice(0, -".k8s.io".length).split(".")[0]! : group);
}

interface OpSpec {
  action: string;
  verb: string;
  description: string;
  params?: Json[];
  requestBody?: Json;
  response: string;
  codes: string[];
  kind: ReturnType<typeof gvk>;
}

function operation(def: ResourceDef, version: string, idSuffix: string, op: OpSpec): Json {
  const tag = `${groupTag(def.group).replace(/^./, (c) => c.toLowerCase())}_${version}`;
  const out: Json = {
    tags: [tag],
    description: op.description,
    operationId: `${op.verb}${groupTag(def.group)}${camel(version)}${idSuffix}`,
  };
  if (op.params?.length) out.parameters = op.params;
  if (op.requestBody) out.requestBody = op.requestBody;
  out.responses = responses(op.response, op.codes);
  out["x-kubernetes-action"] = op.action;
  out["x-kubernetes-group-version-kind"] = op.kind;
  return out;
}

function patchBody(strategic: boolean): Json {
  const types = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"];
  if (strategic) types.push("application/strategic-merge-patch+json");
  return { content: Object.fromEntries(types.map((t) => [t, { schema: refTo(PATCH) }])), required: true };
}

/** Every path of one resource at one version, keyed by URL template. */
export function resourcePaths(def: ResourceDef, version: string): Record<string, Json> {
  const prefix = def.group ? `/apis/${def.group}/${version}` : `/api/${version}`;
  const kindRef = schemaName(def.group, version, def.kind);
  const listRef = schemaName(def.group, version, def.listKind);
  const kind = gvk(def.group, version, def.kind);
  const has = (verb: string) => def.verbs.includes(verb);
  const scoped = def.namespaced ? "Namespaced" : "";
  const base = def.namespaced ? `${prefix}/namespaces/{namespace}/${def.plural}` : `${prefix}/${def.plural}`;
  const scopeParams = def.namespaced ? [NAMESPACE] : [];
  const paths: Record<string, Json> = {};
  const writeBody = (ref: string): Json => ({ content: content(ref), required: true });
  // Strategic merge patch needs the kind's real schema; without one kubectl must fall back.
  const strategic = hasOwnSchema(def, version);

  const collection: Json = {};
  if (has("list")) collection.get = operation(def, version, `${scoped}${def.kind}`, { action: "list", verb: "list", description: `list or watch objects of kind ${def.kind}`, params: LIST_PARAMS, response: listRef, codes: ["200"], kind });
  if (has("create"))
    collection.post = operation(def, version, `${scoped}${def.kind}`, { action: "post", verb: "create", description: `create a ${def.kind}`, params: WRITE_PARAMS, requestBody: writeBody(kindRef), response: kindRef, codes: ["200", "201", "202"], kind });
  if (has("deletecollection"))
    collection.delete = operation(def, version, `Collection${scoped}${def.kind}`, { action: "deletecollection", verb: "delete", description: `delete collection of ${def.kind}`, params: [...LIST_PARAMS.filter((p) => p.name !== "watch" && p.name !== "allowWatchBookmarks"), ...DELETE_PARAMS], requestBody: { content: content(DELETE_OPTIONS) }, response: STATUS, codes: ["200"], kind });
  if (Object.keys(collection).length) paths[base] = { ...collection, parameters: [...scopeParams, P.pretty] };

  if (def.namespaced && has("list")) {
    paths[`${prefix}/${def.plural}`] = {
      get: operation(def, version, `${def.kind}ForAllNamespaces`, { action: "list", verb: "list", description: `list or watch objects of kind ${def.kind}`, response: listRef, codes: ["200"], kind }),
      parameters: [...LIST_PARAMS, P.pretty],
    };
  }

  const named: Json = {};
  const nameParams = [pathParam("name", `name of the ${def.kind}`), ...scopeParams, P.pretty];
  const id = `${scoped}${def.kind}`;
  if (has("get")) named.get = operation(def, version, id, { action: "get", verb: "read", description: `read the specified ${def.kind}`, response: kindRef, codes: ["200"], kind });
  if (has("update")) named.put = operation(def, version, id, { action: "put", verb: "replace", description: `replace the specified ${def.kind}`, params: WRITE_PARAMS, requestBody: writeBody(kindRef), response: kindRef, codes: ["200", "201"], kind });
  if (has("delete")) named.delete = operation(def, version, id, { action: "delete", verb: "delete", description: `delete a ${def.kind}`, params: DELETE_PARAMS, requestBody: { content: content(DELETE_OPTIONS) }, response: STATUS, codes: ["200", "202"], kind });
  if (has("patch")) named.patch = operation(def, version, id, { action: "patch", verb: "patch", description: `partially update the specified ${def.kind}`, params: [...WRITE_PARAMS, P.force], requestBody: patchBody(strategic), response: kindRef, codes: ["200", "201"], kind });
  if (Object.keys(named).length) paths[`${base}/{name}`] = { ...named, parameters: nameParams };

  const sub = (name: string, ref: string, subKind: ReturnType<typeof gvk>, what: string) => {
    const sid = `${id}${name[0]!.toUpperCase()}${name.slice(1)}`;
    paths[`${base}/{name}/${name}`] = {
      get: operation(def, version, sid, { action: "get", verb: "read", description: `read ${what} of the specified ${def.kind}`, response: ref, codes: ["200"], kind: subKind }),
      put: operation(def, version, sid, { action: "put", verb: "replace", description: `replace ${what} of the specified ${def.kind}`, params: WRITE_PARAMS, requestBody: writeBody(ref), response: ref, codes: ["200", "201"], kind: subKind }),
      patch: operation(def, version, sid, { action: "patch", verb: "patch", description: `partially update ${what} of the specified ${def.kind}`, params: [...WRITE_PARAMS, P.force], requestBody: patchBody(strategic), response: ref, codes: ["200", "201"], kind: subKind }),
      parameters: [pathParam("name", `name of the ${name === "scale" ? "Scale" : def.kind}`), ...scopeParams, P.pretty],
    };
  };
  if (def.subresources.status) sub("status", kindRef, kind, "status");
  if (def.subresources.scale) sub("scale", SCALE, gvk("autoscaling", "v1", "Scale"), "scale");
  return paths;
}

/** `GET /apis/<group>/<version>/`: the group version's APIResourceList. */
export function resourcesPath(group: string, version: string): Record<string, Json> {
  const prefix = group ? `/apis/${group}/${version}/` : `/api/${version}/`;
  const tag = `${groupTag(group).replace(/^./, (c) => c.toLowerCase())}_${version}`;
  return {
    [prefix]: {
      get: {
        tags: [tag],
        description: "get available resources",
        operationId: `get${groupTag(group)}${camel(version)}APIResources`,
        responses: responses(API_RESOURCE_LIST, ["200"]),
      },
    },
  };
}

/** Meta types every document carries even where no operation refers to them (as upstream's do). */
export const SHARED_ALWAYS = [STATUS, DELETE_OPTIONS, PATCH, WATCH_EVENT];

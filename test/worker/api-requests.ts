// How the property suites turn a (valid or spoiled) manifest into one request: create, update,
// the four patch types, a /status patch or a /scale write, with query options, an Accept
// header and the body as JSON, YAML, protobuf or raw text.
import fc from "fast-check";
import { stringify as toYaml } from "yaml";
import { call, collectionOf, type Answer } from "./api-client";
import type { Json, JsonObject, KindCase } from "./manifest-arbitraries";
import { isObject, oddString } from "./manifest-mutations";

export const VERBS = ["create", "update", "merge", "strategic", "json", "apply", "status", "scale"] as const;
export type Verb = (typeof VERBS)[number];

export interface Query {
  fieldValidation?: string;
  dryRun?: string;
  fieldManager?: string;
  force?: string;
}

export const query: fc.Arbitrary<Query> = fc.record(
  {
    fieldValidation: fc.constantFrom("Strict", "Warn", "Ignore", "bogus"),
    dryRun: fc.constantFrom("All", "All", "bogus"),
    fieldManager: fc.oneof(fc.constantFrom("prop-tester", "kubectl"), oddString),
    force: fc.constantFrom("true", "false", "bogus"),
  },
  { requiredKeys: [] },
);

/** Options a valid create must be accepted with (the rest are refused on their own account). */
export function saneQuery(q: Query): boolean {
  return q.dryRun !== "bogus" && q.fieldValidation !== "bogus" && (q.fieldManager === undefined || ["prop-tester", "kubectl"].includes(q.fieldManager));
}

export const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";
export const accept = fc.constantFrom<string | undefined>(undefined, undefined, "application/json", "application/yaml", TABLE, "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io", "text/html");
export const SANE_ACCEPT = new Set([undefined, "application/json", "application/yaml", TABLE, "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"]);

export function queryString(q: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : "";
}

/** JSON patch ops that set each field of `doc` (metadata field by field), as a PUT would. */
export function toJsonPatch(doc: Json, junk: { at: number; op: JsonObject }[]): Json {
  if (!isObject(doc)) return doc;
  const ops: Json[] = [];
  const esc = (k: string) => k.replaceAll("~", "~0").replaceAll("/", "~1");
  for (const [k, v] of Object.entries(doc)) {
    if (k === "metadata" && isObject(v)) for (const [mk, mv] of Object.entries(v)) ops.push({ op: "add", path: `/metadata/${esc(mk)}`, value: mv });
    else ops.push({ op: "add", path: `/${esc(k)}`, value: v });
  }
  for (const j of junk) ops.splice(j.at % (ops.length + 1), 0, j.op);
  return ops;
}

export const jsonPatchJunk = fc.array(
  fc.record({
    at: fc.nat(),
    op: fc.record(
      {
        op: fc.constantFrom<Json>("add", "remove", "replace", "move", "copy", "test", "bogus", 5),
        path: fc.oneof(fc.constantFrom<Json>("", "/", "/spec", "/metadata/labels/x", "/metadata/labels/a~1b", "/spec/containers/-", "/spec/containers/0", "/spec/containers/99", "/spec/containers/-1", "/spec/containers/01", "/data/~2", "nope", "/metadata/name", "/metadata/uid", "/kind", "/status", "/metadata/managedFields", "/spec/ports/0/port", 5), oddString),
        from: fc.constantFrom<Json>("/metadata/labels", "/spec", "/nope", "/metadata/name"),
        value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
      },
      { requiredKeys: ["op", "path"] },
    ) as fc.Arbitrary<JsonObject>,
  }),
  { maxLength: 2 },
);

/** A status a client (a kubelet, a controller) might write, right or wrong; mutations spoil it further. */
export const statusBody: fc.Arbitrary<JsonObject> = fc.record(
  {
    phase: fc.constantFrom("Pending", "Running", "Bogus"),
    replicas: fc.integer({ min: -2, max: 5 }),
    readyReplicas: fc.integer({ min: 0, max: 5 }),
    observedGeneration: fc.integer({ min: -1, max: 5 }),
    podIP: fc.constantFrom("10.0.0.7", "nope", ""),
    conditions: fc.array(fc.record({ type: fc.constantFrom("Ready", "Available", "Progressing"), status: fc.constantFrom("True", "False", "Maybe"), lastTransitionTime: fc.constantFrom<Json>("2024-01-01T00:00:00Z", "yesterday", null) }), { maxLength: 3 }),
    loadBalancer: fc.record({ ingress: fc.array(fc.record({ ip: fc.constantFrom("192.0.2.1", "nope") }), { maxLength: 2 }) }),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<JsonObject>;

export type Body = Json | { raw: string } | { protobuf: Uint8Array };

export interface Sent {
  verb: Verb;
  name: string;
  body: Body;
  yaml: boolean;
  query: Query;
  accept?: string;
  junkOps: { at: number; op: JsonObject }[];
}

function isRaw(b: Body): b is { raw: string } {
  return isObject(b) && typeof b.raw === "string" && Object.keys(b).length === 1;
}

function isProtobuf(b: Body): b is { protobuf: Uint8Array } {
  return typeof b === "object" && b !== null && "protobuf" in b && b.protobuf instanceof Uint8Array;
}

/** yaml's stringify recurses per level and overflows on the deeply nested bodies; JSON is YAML too. */
export function yamlOrJson(v: Json): string {
  try {
    return toYaml(v);
  } catch (e) {
    if (e instanceof RangeError) return JSON.stringify(v);
    throw e;
  }
}

/** Sends `s` to objects of `kind` in `namespace`; a protobuf body goes as protobuf whatever the verb. */
export function send(kind: KindCase, namespace: string, s: Sent): Promise<Answer> {
  const collection = collectionOf(kind, namespace);
  const item = `${collection}/${encodeURIComponent(s.name)}`;
  const q = queryString(s.query);
  const headers = (contentType: string): Record<string, string> => ({ "content-type": contentType, ...(s.accept ? { accept: s.accept } : {}) });
  const objectType = s.yaml ? "application/yaml" : "application/json";
  const [method, url, contentType] = ((): [string, string, string] => {
    switch (s.verb) {
      case "create":
        return ["POST", `${collection}${q}`, objectType];
      case "update":
        return ["PUT", `${item}${q}`, objectType];
      case "merge":
      case "status":
        return ["PATCH", `${s.verb === "status" ? `${item}/status` : item}${q}`, "application/merge-patch+json"];
      case "strategic":
        return ["PATCH", `${item}${q}`, "application/strategic-merge-patch+json"];
      case "json":
        return ["PATCH", `${item}${q}`, "application/json-patch+json"];
      case "apply":
        return ["PATCH", `${item}${q}`, "application/apply-patch+yaml"];
      case "scale":
        return ["PUT", `${item}/scale${q}`, objectType];
    }
  })();
  const b = s.body;
  if (isProtobuf(b)) return call(method, url, b.protobuf, headers("application/vnd.kubernetes.protobuf"));
  if (isRaw(b)) return call(method, url, b.raw, headers(contentType));
  const payload = s.verb === "json" ? toJsonPatch(b, s.junkOps) : b;
  const text = s.yaml && (s.verb === "create" || s.verb === "update" || s.verb === "apply" || s.verb === "scale") ? yamlOrJson(payload) : JSON.stringify(payload);
  return call(method, url, text, headers(contentType));
}

/** The body a verb sends for a manifest: the manifest itself, or the Scale a /scale write takes. */
export function bodyFor(verb: Verb, doc: JsonObject, status: JsonObject, replicas: Json): JsonObject {
  if (verb === "status") return { ...doc, status };
  if (verb === "scale") return { apiVersion: "autoscaling/v1", kind: "Scale", metadata: doc.metadata ?? {}, spec: { replicas } };
  return doc;
}

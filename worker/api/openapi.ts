// /openapi/v3 and its per-group-version documents (what kubectl 1.27+ reads to learn that
// the server validates fields and how to compute strategic merge patches), and /openapi/v2
// in JSON and gnostic protobuf. Built from the registry on first use, and again after a kind is added or removed.
import type { Registry } from "../resources/registry";
import { KUBERNETES_VERSION } from "./discovery";
import { kindComponents } from "./openapi-kinds";
import { sharedSchemas } from "./openapi-meta";
import { resourcePaths, resourcesPath, SHARED_ALWAYS } from "./openapi-paths";
import { refsIn } from "./openapi-schema";
import { type Json } from "../../shared/json";
import { swaggerV2 } from "./openapi-v2";
import { encodeOpenApiV2 } from "./openapi-v2-proto";
import { respondJson } from "./respond";
import { notAcceptable } from "../../shared/status-error";

interface BuiltDocument {
  doc: Json;
  hash: string;
}

/** "api/v1", "apis/apps/v1": the keys of /openapi/v3 and of the cache. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** Components reachable from `roots` (kube-apiserver serves only the schemas a document uses). */
function closure(roots: Iterable<string>, available: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  const queue = [...roots];
  while (queue.length) {
    const name = queue.pop()!;
    if (out[name] || !available[name]) continue;
    out[name] = available[name]!;
    for (const ref of refsIn(available[name])) queue.push(ref);
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]!]));
}

export function buildGroupVersionDocument(registry: Registry, group: string, version: string): Json | undefined {
  const defs = registry.resourcesAt(group, version);
  if (defs.length === 0) return undefined;
  const available: Record<string, Json> = { ...sharedSchemas().schemas };
  const roots = new Set<string>(SHARED_ALWAYS);
  let paths: Record<string, Json> = resourcesPath(group, version);
  for (const def of defs) {
    const components = kindComponents(def, version);
    Object.assign(available, components);
    for (const name of Object.keys(components)) roots.add(name);
    paths = { ...paths, ...resourcePaths(def, version) };
  }
  for (const ref of refsIn(paths)) roots.add(ref);
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: KUBERNETES_VERSION.gitVersion },
    paths: Object.fromEntries(Object.keys(paths).sort().map((k) => [k, paths[k]!])),
    components: {
      schemas: closure(roots, available),
      securitySchemes: { BearerToken: { type: "apiKey", description: "Bearer Token authentication", name: "authorization", in: "header" } },
    },
    security: [{ BearerToken: [] }],
  };
}

/**
 * A content hash, synchronous (the Worker's crypto.subtle is async): four 32-bit FNV-1a-style
 * lanes with different seeds, 128 bits in upper-case hex like kube-apiserver's etag-style hash.
 */
export function contentHash(text: string): string {
  const lanes = [0x811c9dc5, 0x01000193 ^ 0x9e3779b9, 0x85ebca6b, 0xc2b2ae35];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    for (let l = 0; l < 4; l++) {
      let h = lanes[l]! ^ (c + l * 0x3b);
      h = Math.imul(h, 0x01000193);
      lanes[l] = (h ^ (h >>> 15)) >>> 0;
    }
  }
  for (let l = 0; l < 4; l++) {
    let h = lanes[l]! ^ text.length;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    lanes[l] = (h ^ (h >>> 16)) >>> 0;
  }
  return lanes.map((h) => h.toString(16).toUpperCase().padStart(8, "0")).join("");
}

/** Every served group version's document, built on first use and kept while the kinds stay the same. */
function allDocuments(registry: Registry): Map<string, BuiltDocument> {
  return registry.memo("openapi/v3", () => {
    const built = new Map<string, BuiltDocument>();
    for (const group of ["", ...registry.apiGroups()]) {
      for (const version of registry.groupVersions(group)) {
        const doc = buildGroupVersionDocument(registry, group, version);
        if (doc) built.set(groupVersionPath(group, version), { doc, hash: contentHash(JSON.stringify(doc)) });
      }
    }
    return built;
  });
}

/** GET /openapi/v3: where each group version's document is, with a hash that changes with it. */
export function openapiV3Paths(registry: Registry): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, { hash }] of allDocuments(registry)) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  return { paths };
}

/** The content hash of a group version's document (its ETag). */
export function openapiV3Hash(registry: Registry, group: string, version: string): string | undefined {
  return allDocuments(registry).get(groupVersionPath(group, version))?.hash;
}

/** GET /openapi/v3/api/{v} and /openapi/v3/apis/{group}/{version}. */
export function openapiV3GroupVersion(registry: Registry, group: string, version: string): object | undefined {
  return allDocuments(registry).get(groupVersionPath(group, version))?.doc;
}

interface BuiltV2 {
  json: string;
  protobuf?: Uint8Array<ArrayBuffer>;
  etag: string;
}

/**
 * gnostic's protobuf form. kubectl ≤ 1.28 asks for the older "…v2@v1.0+protobuf" name; kube-openapi
 * answers with this one, since Go's mime parser rejects an "@" in a Content-Type it reads back.
 */
const PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
const PROTOBUF_V2_PREFIX = "application/com.github.proto-openapi.spec.v2";
const JSON_RANGES = new Set(["application/json", "application/*", "*/*", ""]);

function builtV2(registry: Registry): BuiltV2 {
  return registry.memo("openapi/v2", () => {
    const json = JSON.stringify(swaggerV2([...allDocuments(registry).values()].map((d) => d.doc)));
    return { json, etag: `"${contentHash(json)}"` };
  });
}

/**
 * GET /openapi/v2 in JSON or, when asked for, gnostic's protobuf, from the same document. The
 * first media range the client lists that we can serve wins; an ETag lets clients revalidate.
 */
export function openapiV2(registry: Registry, accept: string | undefined, ifNoneMatch?: string): Response {
  const ranges = (accept ?? "*/*").split(",").map((r) => r.split(";")[0]!.trim().toLowerCase());
  const chosen = ranges.find((r) => r.startsWith(PROTOBUF_V2_PREFIX) || JSON_RANGES.has(r));
  if (chosen === undefined) {
    const err = notAcceptable(accept ?? "");
    return respondJson(err.toStatus(), err.code);
  }
  const built = builtV2(registry);
  const protobuf = chosen.startsWith(PROTOBUF_V2_PREFIX);
  const etag = protobuf ? built.etag.replace(/"$/, "-pb\"") : built.etag;
  const headers = { etag, "cache-control": "no-cache, private", vary: "Accept" };
  if (ifNoneMatch !== undefined && ifNoneMatch.split(",").some((t) => t.trim() === etag)) return new Response(null, { status: 304, headers });
  if (!protobuf) return new Response(built.json, { headers: { ...headers, "content-type": "application/json" } });
  built.protobuf ??= new Uint8Array(encodeOpenApiV2(JSON.parse(built.json) as Json));
  return new Response(built.protobuf, { headers: { ...headers, "content-type": PROTOBUF_V2 } });
}

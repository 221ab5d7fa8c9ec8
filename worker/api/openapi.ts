// /openapi/v3 and its per-group-version documents (what kubectl 1.27+ reads to learn that
// the server validates fields and how to compute strategic merge patches), and /openapi/v2
// as JSON. Built once per isolate from the kind table: they never change at run time.
import { apiGroups, groupVersions, resourcesAt } from "../resources/registry";
import { KUBERNETES_VERSION } from "./discovery";
import { kindComponents } from "./openapi-kinds";
import { sharedSchemas } from "./openapi-meta";
import { resourcePaths, resourcesPath, SHARED_ALWAYS } from "./openapi-paths";
import { refsIn, type Json } from "./openapi-schema";
import { swaggerV2 } from "./openapi-v2";
import { respondJson } from "./respond";
import { notAcceptable, StatusError } from "./status-error";

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

export function buildGroupVersionDocument(group: string, version: string): Json | undefined {
  const defs = resourcesAt(group, version);
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

let documents: Map<string, BuiltDocument> | undefined;

/** Every served group version's document, built on first use and kept for the isolate's life. */
function allDocuments(): Map<string, BuiltDocument> {
  if (documents) return documents;
  const built = new Map<string, BuiltDocument>();
  for (const group of ["", ...apiGroups()]) {
    for (const version of groupVersions(group)) {
      const doc = buildGroupVersionDocument(group, version);
      if (doc) built.set(groupVersionPath(group, version), { doc, hash: contentHash(JSON.stringify(doc)) });
    }
  }
  documents = built;
  return built;
}

/** GET /openapi/v3: where each group version's document is, with a hash that changes with it. */
export function openapiV3Paths(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, { hash }] of allDocuments()) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  return { paths };
}

/** The content hash of a group version's document (its ETag). */
export function openapiV3Hash(group: string, version: string): string | undefined {
  return allDocuments().get(groupVersionPath(group, version))?.hash;
}

/** GET /openapi/v3/api/{v} and /openapi/v3/apis/{group}/{version}. */
export function openapiV3GroupVersion(group: string, version: string): object | undefined {
  return allDocuments().get(groupVersionPath(group, version))?.doc;
}

let v2Document: Json | undefined;

const PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2";

/**
 * GET /openapi/v2 as JSON. kubectl asks for the gnostic protobuf encoding only, which we do
 * not produce: it gets 406 and, since kubectl 1.27, uses /openapi/v3 (client-side validation
 * and patch computation fall back there or to kubectl's built-in types).
 */
export function openapiV2(accept: string | undefined): Response {
  const ranges = (accept ?? "*/*").split(",").map((r) => r.split(";")[0]!.trim().toLowerCase());
  const json = ranges.some((r) => r === "application/json" || r === "application/*" || r === "*/*" || r === "");
  if (!json) {
    const err = ranges.some((r) => r.startsWith(PROTOBUF_V2))
      ? new StatusError(406, "NotAcceptable", `the OpenAPI v2 document is served as application/json only (got "${accept}")`)
      : notAcceptable(accept ?? "");
    return respondJson(err.toStatus(), err.code);
  }
  v2Document ??= swaggerV2([...allDocuments().values()].map((d) => d.doc));
  return respondJson(v2Document);
}

// The OpenAPI v3 documents read as kubectl reads them: the fieldValidation check on PATCH
// (cli-runtime queryParamVerifierV3), strategic-merge metadata lookup (apimachinery
// PatchMetaFromOpenAPIV3), explain's GVR → GVK → schema search, and OpenAPI 3.0 well-formedness.
import { describe, expect, it } from "vitest";
import { isRecord, type Json } from "../../shared/json";
import { GNOSTIC, type GnosticDocument } from "./fixtures/gnostic-openapi-v2";

import { contentHash, openapiV2 as openapiV2Of, openapiV3GroupVersion as openapiV3GroupVersionOf, openapiV3Paths as openapiV3PathsOf } from "../../worker/api/openapi";
import { refsIn, REF_PREFIX } from "../../worker/api/openapi-schema";
import { Registry } from "../../worker/resources/registry";
import { FIXTURE_RESOURCES } from "./openapi-fixture";

const REGISTRY = new Registry(FIXTURE_RESOURCES);
const openapiV3GroupVersion = (group: string, version: string) => openapiV3GroupVersionOf(REGISTRY, group, version);
const openapiV3Paths = () => openapiV3PathsOf(REGISTRY);
const openapiV2 = (accept: string, ifNoneMatch?: string) => openapiV2Of(REGISTRY, accept, ifNoneMatch);
type Gvk = { group: string; version: string; kind: string };

function doc(group: string, version: string): Json {
  const d = openapiV3GroupVersion(group, version);
  if (!d) throw new Error(`no document for ${group}/${version}`);
  return d as Json;
}

function schemas(d: Json): Record<string, Json> {
  return (d.components as Json).schemas as Record<string, Json>;
}

function sameGvk(ext: unknown, gvk: Gvk): boolean {
  return isRecord(ext) && ext.group === gvk.group && ext.version === gvk.version && ext.kind === gvk.kind;
}

/** cli-runtime supportsQueryParamV3: the first PATCH operation for the GVK must list the parameter. */
function supportsQueryParam(d: Json, gvk: Gvk, name: string): boolean {
  for (const item of Object.values(d.paths as Record<string, Json>)) {
    const patch = item.patch as Json | undefined;
    if (!patch || !sameGvk(patch["x-kubernetes-group-version-kind"], gvk)) continue;
    return ((patch.parameters as Json[]) ?? []).some((p) => p.name === name && p.in === "query");
  }
  throw new Error(`Path not found for GVK ${JSON.stringify(gvk)}`);
}

/** kubectl apply's gvkSupportsPatchOpenAPIV3. */
function supportsStrategicPatch(d: Json, gvk: Gvk): boolean {
  for (const item of Object.values(d.paths as Record<string, Json>)) {
    const patch = item.patch as Json | undefined;
    if (!patch || !sameGvk(patch["x-kubernetes-group-version-kind"], gvk)) continue;
    const content = ((patch.requestBody as Json | undefined)?.content ?? {}) as Json;
    return "application/strategic-merge-patch+json" in content;
  }
  return false;
}

/** apimachinery's PatchMetaFromOpenAPIV3: walk fields (and list items) as the SMP engine does. */
function patchMeta(d: Json, gvk: Gvk, path: string[]): { mergeKey?: string; strategy?: string } {
  const all = schemas(d);
  const resolve = (s: Json): Json => {
    let cur = s;
    if (Array.isArray(cur.allOf) && cur.allOf.length) cur = cur.allOf[0] as Json;
    if (typeof cur.$ref === "string") {
      const target = all[cur.$ref.slice(REF_PREFIX.length)];
      if (!target) throw new Error(`unable to resolve ${cur.$ref}`);
      return target;
    }
    return cur;
  };
  let schema = Object.values(all).find((s) => Array.isArray(s["x-kubernetes-group-version-kind"]) && (s["x-kubernetes-group-version-kind"] as Json[]).some((e) => sameGvk(e, gvk)));
  if (!schema) throw new Error("no schema for gvk");
  let meta: { mergeKey?: string; strategy?: string } = {};
  for (const key of path) {
    const props = schema.properties as Record<string, Json> | undefined;
    if (!props || !props[key]) throw new Error(`unable to find api field "${key}"`);
    const sub = props[key]!;
    meta = { mergeKey: sub["x-kubernetes-patch-merge-key"] as string | undefined, strategy: sub["x-kubernetes-patch-strategy"] as string | undefined };
    let next = sub;
    if (next.items) next = next.items as Json;
    schema = resolve(next);
  }
  return meta;
}

function walk(value: unknown, visit: (node: Json) => void): void {
  if (Array.isArray(value)) for (const v of value) walk(v, visit);
  else if (isRecord(value)) {
    visit(value);
    for (const v of Object.values(value)) walk(v, visit);
  }
}

describe("/openapi/v3", () => {
  it("lists every served group version with a content hash", () => {
    const { paths } = openapiV3Paths();
    expect(Object.keys(paths).sort()).toEqual(["api/v1", "apis/apps/v1", "apis/networking.k8s.io/v1", "apis/networking.k8s.io/v1beta1"]);
    const url = paths["apis/apps/v1"]!.serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{32}$/);
    expect(url.split("hash=")[1]).toBe(contentHash(JSON.stringify(doc("apps", "v1"))));
    expect(openapiV3Paths()).toEqual(openapiV3Paths());
    expect(openapiV3GroupVersion("apps", "v2")).toBeUndefined();
  });

  it("hashes differ with content", () => {
    expect(contentHash("a")).not.toBe(contentHash("b"));
    expect(contentHash("")).toMatch(/^[0-9A-F]{32}$/);
  });

  it("serves the resource URLs with kube-apiserver's operations", () => {
    const paths = doc("apps", "v1").paths as Record<string, Json>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        "/apis/apps/v1/",
        "/apis/apps/v1/widgets",
        "/apis/apps/v1/namespaces/{namespace}/widgets",
        "/apis/apps/v1/namespaces/{namespace}/widgets/{name}",
        "/apis/apps/v1/namespaces/{namespace}/widgets/{name}/status",
        "/apis/apps/v1/namespaces/{namespace}/widgets/{name}/scale",
      ]),
    );
    const named = paths["/apis/apps/v1/namespaces/{namespace}/widgets/{name}"]!;
    expect(Object.keys(named).sort()).toEqual(["delete", "get", "parameters", "patch", "put"]);
    expect((named.patch as Json).operationId).toBe("patchAppsV1NamespacedWidget");
    expect((named.patch as Json)["x-kubernetes-action"]).toBe("patch");
    const scale = paths["/apis/apps/v1/namespaces/{namespace}/widgets/{name}/scale"]!;
    expect((scale.get as Json)["x-kubernetes-group-version-kind"]).toEqual({ group: "autoscaling", version: "v1", kind: "Scale" });
    const list = paths["/apis/apps/v1/namespaces/{namespace}/widgets"]!;
    const listParams = ((list.get as Json).parameters as Json[]).map((p) => p.name);
    expect(listParams).toEqual(expect.arrayContaining(["labelSelector", "fieldSelector", "watch", "limit", "continue", "resourceVersion"]));
    const postParams = ((list.post as Json).parameters as Json[]).map((p) => p.name);
    expect(postParams).toEqual(["dryRun", "fieldManager", "fieldValidation"]);
    const core = doc("", "v1").paths as Record<string, Json>;
    expect(core["/api/v1/namespaces/{name}"]).toBeDefined();
    expect(core["/api/v1/namespaces/{namespace}/services/{name}/status"]).toBeDefined();
  });

  it("tells kubectl the server validates fields (so it sends fieldValidation=Strict)", () => {
    expect(supportsQueryParam(doc("apps", "v1"), { group: "apps", version: "v1", kind: "Widget" }, "fieldValidation")).toBe(true);
    expect(supportsQueryParam(doc("", "v1"), { group: "", version: "v1", kind: "Service" }, "fieldValidation")).toBe(true);
    expect(supportsQueryParam(doc("", "v1"), { group: "", version: "v1", kind: "Namespace" }, "fieldValidation")).toBe(true);
  });

  it("carries the strategic-merge keys where kubectl apply looks them up", () => {
    const apps = doc("apps", "v1");
    const widget = { group: "apps", version: "v1", kind: "Widget" };
    expect(supportsStrategicPatch(apps, widget)).toBe(true);
    expect(patchMeta(apps, widget, ["spec", "template", "spec", "containers"])).toEqual({ mergeKey: "name", strategy: "merge" });
    expect(patchMeta(apps, widget, ["spec", "template", "spec", "containers", "ports"])).toEqual({ mergeKey: "containerPort", strategy: "merge" });
    expect(patchMeta(apps, widget, ["metadata", "ownerReferences"])).toEqual({ mergeKey: "uid", strategy: "merge" });
    expect(patchMeta(apps, widget, ["spec", "template", "metadata", "finalizers"]).strategy).toBe("merge");
    expect(patchMeta(apps, widget, ["spec", "paused"])).toEqual({});
    const core = doc("", "v1");
    expect(patchMeta(core, { group: "", version: "v1", kind: "Service" }, ["spec", "ports"])).toEqual({ mergeKey: "port", strategy: "merge" });
  });

  it("names schemas as kube-openapi does and tags kinds with their GVK", () => {
    const s = schemas(doc("apps", "v1"));
    expect(s["io.k8s.api.apps.v1.Widget"]!["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", kind: "Widget", version: "v1" }]);
    expect(s["io.k8s.api.apps.v1.WidgetList"]!["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", kind: "WidgetList", version: "v1" }]);
    expect((s["io.k8s.api.apps.v1.Widget"]!.properties as Json).metadata).toEqual({
      allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" }],
      description: expect.any(String),
    });
    for (const name of ["ObjectMeta", "ListMeta", "Status", "DeleteOptions", "Patch", "LabelSelector", "OwnerReference", "ManagedFieldsEntry"]) {
      expect(s[`io.k8s.apimachinery.pkg.apis.meta.v1.${name}`], name).toBeDefined();
    }
    expect(s["io.k8s.api.autoscaling.v1.Scale"]).toBeDefined();
    const spec = (s["io.k8s.api.apps.v1.Widget"]!.properties as Json).spec as Json;
    const specProps = spec.properties as Record<string, Json>;
    expect(specProps.selector).toEqual({ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector" });
    expect(specProps.maxSurge).toEqual({ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString" });
    expect(specProps.paused).toEqual({ type: "boolean", nullable: true });
    expect((s["io.k8s.api.apps.v1.Widget"]!.properties as Json).status).toMatchObject({ properties: { replicas: { type: "integer", minimum: 0, exclusiveMinimum: true } } });
    expect(schemas(doc("networking.k8s.io", "v1"))["io.k8s.api.networking.v1.Ingress"]).toBeDefined();
  });

  it("is OpenAPI 3.0: no 2020-12 keywords, no null types, every $ref resolvable", () => {
    for (const key of Object.keys(openapiV3Paths().paths)) {
      const [, group, version] = key.startsWith("apis/") ? key.split("/") : ["", "", key.split("/")[1]];
      const d = doc(group!, version!);
      expect(d.openapi).toBe("3.0.0");
      const s = schemas(d);
      for (const ref of refsIn(d)) expect(s[ref], `${key}: ${ref}`).toBeDefined();
      walk(d, (node) => {
        for (const bad of ["$schema", "$defs", "propertyNames", "const", "prefixItems"]) expect(node[bad], `${key}: ${bad}`).toBeUndefined();
        if ("type" in node && typeof node.type !== "object") expect(node.type, key).not.toBe("null");
        if (Array.isArray(node.type)) throw new Error(`${key}: type array`);
        if ("exclusiveMinimum" in node) expect(typeof node.exclusiveMinimum).toBe("boolean");
        if (typeof node.$ref === "string") expect(node.$ref.startsWith(REF_PREFIX)).toBe(true);
      });
    }
    // The recursive schema's $defs are lifted into components.
    expect(Object.keys(schemas(doc("apps", "v1"))).some((n) => n.startsWith("io.k8s.api.apps.v1.Widget."))).toBe(true);
  });

  it("lets kubectl explain find a resource's kind from its paths, then its schema", () => {
    const d = doc("apps", "v1");
    const paths = d.paths as Record<string, Json>;
    const gvk = (paths["/apis/apps/v1/namespaces/{namespace}/widgets"]!.get as Json)["x-kubernetes-group-version-kind"] as Gvk;
    const found = Object.values(schemas(d)).filter((s) => ((s["x-kubernetes-group-version-kind"] as Gvk[] | undefined) ?? []).some((e) => sameGvk(e, gvk)));
    expect(found).toHaveLength(1);
    expect(Object.keys(found[0]!.properties as Json)).toEqual(expect.arrayContaining(["apiVersion", "kind", "metadata", "spec", "status"]));
  });

  it("does not claim a strategic-merge schema for a version only converted (v1beta1 Ingress)", () => {
    const d = doc("networking.k8s.io", "v1beta1");
    const gvk = { group: "networking.k8s.io", version: "v1beta1", kind: "Ingress" };
    expect(supportsQueryParam(d, gvk, "fieldValidation")).toBe(true);
    expect(supportsStrategicPatch(d, gvk)).toBe(false);
    expect(supportsStrategicPatch(doc("networking.k8s.io", "v1"), { ...gvk, version: "v1" })).toBe(true);
  });
});

describe("/openapi/v2", () => {
  it("answers JSON with definitions under #/definitions", async () => {
    const res = openapiV2("application/json");
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.swagger).toBe("2.0");
    const defs = body.definitions as Record<string, Json>;
    expect(defs["io.k8s.api.apps.v1.Widget"]).toBeDefined();
    const text = JSON.stringify(body);
    expect(text).not.toContain("#/components/");
    expect(text).not.toContain('"nullable"');
    const patch = ((body.paths as Record<string, Json>)["/apis/apps/v1/namespaces/{namespace}/widgets/{name}"]!.patch as Json);
    expect((patch.parameters as Json[]).map((p) => p.name)).toEqual(["body", "dryRun", "fieldManager", "fieldValidation", "force"]);
  });

  it("answers kubectl 1.27's protobuf request with gnostic's openapi_v2.Document", async () => {
    const res = openapiV2("application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
    expect(res.status).toBe(200);
    // kube-openapi's answer: Go's mime parser, which client-go runs on it, rejects an "@".
    expect(res.headers.get("content-type")).toBe("application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
    const doc = GNOSTIC.lookupType("Document").decode(new Uint8Array(await res.arrayBuffer())).toJSON() as GnosticDocument;
    expect(doc.swagger).toBe("2.0");
    const defs = new Map(doc.definitions.additionalProperties.map((d) => [d.name, d.value]));
    const widget = defs.get("io.k8s.api.apps.v1.Widget")!;
    const extensions = new Map(widget.vendorExtension.map((e) => [e.name, JSON.parse(e.value.yaml) as unknown]));
    expect(extensions.get("x-kubernetes-group-version-kind")).toEqual([{ group: "apps", kind: "Widget", version: "v1" }]);
    const props = new Map(widget.properties.additionalProperties.map((p) => [p.name, p.value]));
    // A reference with its own description is a plain $ref, which kubectl's v2 parser follows.
    expect(props.get("metadata")!._ref).toBe("#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    expect(props.get("kind")!.type.value).toEqual(["string"]);
    const paths = new Map(doc.paths.path.map((p) => [p.name, p.value]));
    const patch = paths.get("/apis/apps/v1/namespaces/{namespace}/widgets/{name}")!.patch!;
    expect(patch.parameters[0]!.parameter.bodyParameter).toMatchObject({ name: "body", in: "body", required: true });
    expect(patch.parameters[1]!.parameter.nonBodyParameter.querySubSchema).toMatchObject({ name: "dryRun", in: "query" });
  });

  it("picks the first media range it can serve, refuses the others, and revalidates by ETag", async () => {
    const json = openapiV2("application/json, application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
    expect(json.headers.get("content-type")).toBe("application/json");
    const refused = openapiV2("application/xml");
    expect(refused.status).toBe(406);
    expect(((await refused.json()) as Json).reason).toBe("NotAcceptable");
    const etag = json.headers.get("etag")!;
    expect(openapiV2("application/json", etag).status).toBe(304);
    expect(openapiV2("application/com.github.proto-openapi.spec.v2@v1.0+protobuf", etag).status).toBe(200);
  });
});

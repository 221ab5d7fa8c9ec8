// The negative suite every resource runs (STYLE rule 8): no token → 401, another
// namespace → 403, malformed body → 400, schema violation → 422 naming the field, stale
// resourceVersion → 409, wrong content type → 415, for POST, PUT, PATCH and DELETE, and a node
// credential's 403 — and the store is unchanged afterwards.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../worker/index";
import { beforeAll, describe, expect, it } from "vitest";
import { builtInRegistry } from "../../worker/resources/registry";
import type { ResourceDef } from "../../worker/resources/types";
import { SAMPLES } from "./samples";

const registry = builtInRegistry();

const ADMIN = { authorization: "Bearer test-admin-token" };
const NS = "neg";

function base(def: ResourceDef, namespace = NS): string {
  const prefix = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
  return def.namespaced ? `${prefix}/namespaces/${namespace}/${def.plural}` : `${prefix}/${def.plural}`;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = ADMIN) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await SELF.fetch(`https://edgeplane.test${path}`, init);
  const text = await res.text();
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // non-JSON bodies are checked by status only
  }
  return { status: res.status, json };
}

/** The global revision: any write anywhere moves it, so equality means nothing was written. */
async function revision(): Promise<string> {
  const res = await call("GET", "/api/v1/namespaces?limit=1");
  return res.json.metadata.resourceVersion as string;
}

function sample(def: ResourceDef, name: string): Record<string, unknown> {
  const body = structuredClone(SAMPLES[`${def.group}/${def.plural}`] ?? {});
  return { apiVersion: def.group ? `${def.group}/${def.version}` : def.version, kind: def.kind, metadata: { name }, ...body };
}

let saToken = "";
let nodeToken = "";

beforeAll(async () => {
  expect((await call("POST", "/api/v1/namespaces", { metadata: { name: NS } })).status).toBe(201);
  expect((await call("POST", "/api/v1/namespaces", { metadata: { name: "other" } })).status).toBe(201);
  expect((await call("POST", "/api/v1/namespaces/other/serviceaccounts", { metadata: { name: "robot" } })).status).toBe(201);
  const token = await call("POST", "/api/v1/namespaces/other/serviceaccounts/robot/token", { spec: {} });
  expect(token.status).toBe(201);
  saToken = token.json.status.token;
  // A node credential, joined the kubeadm way: a bootstrap-token Secret, then /edgeplane/v1/join.
  const bootstrap = {
    metadata: { name: "bootstrap-token-negneg" },
    type: "bootstrap.kubernetes.io/token",
    stringData: { "token-id": "negneg", "token-secret": "0123456789abcdef", "usage-bootstrap-authentication": "true" },
  };
  expect((await call("POST", "/api/v1/namespaces/kube-system/secrets", bootstrap)).status).toBe(201);
  const joined = await call("POST", "/edgeplane/v1/join", { nodeName: "neg-node" }, { authorization: "Bearer negneg.0123456789abcdef" });
  expect(joined.status, JSON.stringify(joined.json)).toBe(200);
  nodeToken = joined.json.token;
});

describe.each(registry.all.map((def) => [`${def.group || "core"}/${def.plural}`, def] as const))("%s", (_label, def) => {
  it("creates a valid sample, then rejects bad requests without writing anything", async () => {
    const created = await call("POST", base(def), sample(def, "good"));
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const before = await revision();

    const noToken = await call("GET", base(def), undefined, {});
    expect(noToken.status).toBe(401);
    expect(noToken.json).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });

    const foreign = await call("POST", base(def), sample(def, "sa-made"), { authorization: `Bearer ${saToken}` });
    expect(foreign.status).toBe(403);
    expect(foreign.json).toMatchObject({ kind: "Status", reason: "Forbidden" });

    const malformed = await call("POST", base(def), "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ kind: "Status", reason: "BadRequest" });

    // RBAC names are path segments (any character but "/" and "%"), the rest DNS names.
    const badName = await call("POST", base(def), sample(def, def.nameFormat === "path-segment" ? "a%b" : "Not_A_Name"));
    expect(badName.status).toBe(422);
    expect(badName.json.details.causes).toEqual(expect.arrayContaining([expect.objectContaining({ field: "metadata.name" })]));

    const wrongType = await call("POST", base(def), { ...sample(def, "typed"), metadata: { name: "typed", labels: "not-a-map" } });
    expect(wrongType.status).toBe(422);
    expect(wrongType.json.details.causes[0].field).toBe("metadata.labels");

    const stale = { ...created.json, metadata: { ...created.json.metadata, resourceVersion: "1" } };
    const conflict = await call("PUT", `${base(def)}/good`, stale);
    expect(conflict.status).toBe(409);
    expect(conflict.json).toMatchObject({ kind: "Status", reason: "Conflict" });

    const otherUid = { ...created.json, metadata: { ...created.json.metadata, uid: "00000000-0000-0000-0000-000000000000" } };
    const uidMismatch = await call("PUT", `${base(def)}/good`, otherUid);
    expect(uidMismatch.status).toBe(409);
    expect(uidMismatch.json.message).toContain("Precondition failed: UID in precondition");

    const unsupported = await call("POST", base(def), "x", { ...ADMIN, "content-type": "text/plain" });
    expect(unsupported.status).toBe(415);

    const missing = await call("GET", `${base(def)}/absent`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ reason: "NotFound", details: { name: "absent" } });

    const mergePatch = { ...ADMIN, "content-type": "application/merge-patch+json" };
    const patchForeign = await call("PATCH", `${base(def)}/good`, { metadata: { labels: { x: "y" } } }, { "content-type": "application/merge-patch+json", authorization: `Bearer ${saToken}` });
    expect(patchForeign.status).toBe(403);
    const patchMalformed = await call("PATCH", `${base(def)}/good`, "{not json", mergePatch);
    expect(patchMalformed.status).toBe(400);
    expect(patchMalformed.json).toMatchObject({ kind: "Status", reason: "BadRequest" });
    const patchInvalid = await call("PATCH", `${base(def)}/good`, { metadata: { labels: "not-a-map" } }, mergePatch);
    expect(patchInvalid.status, JSON.stringify(patchInvalid.json)).toBe(422);
    expect(patchInvalid.json.details.causes[0].field).toBe("metadata.labels");
    const patchUnsupported = await call("PATCH", `${base(def)}/good`, "{}", { ...ADMIN, "content-type": "text/plain" });
    expect(patchUnsupported.status).toBe(415);

    const deleteForeign = await call("DELETE", `${base(def)}/good`, undefined, { authorization: `Bearer ${saToken}` });
    expect(deleteForeign.status).toBe(403);
    // A node may delete only its own Node, its own Lease and pods bound to it.
    const deleteByNode = await call("DELETE", `${base(def)}/good`, undefined, { authorization: `Bearer ${nodeToken}` });
    expect(deleteByNode.status).toBe(403);
    expect(deleteByNode.json).toMatchObject({ kind: "Status", reason: "Forbidden" });
    const deleteStale = await call("DELETE", `${base(def)}/good`, { preconditions: { resourceVersion: "1" } });
    expect(deleteStale.status).toBe(409);
    const deleteMissing = await call("DELETE", `${base(def)}/absent`);
    expect(deleteMissing.status).toBe(404);

    if (!def.subresources.status) {
      // No status subresource: /status is not there at all (it once answered 200 and wrote nothing).
      for (const [method, body] of [["GET", undefined], ["PUT", created.json], ["PATCH", { status: { x: 1 } }]] as const) {
        const res = await call(method, `${base(def)}/good/status`, body, method === "PATCH" ? { ...ADMIN, "content-type": "application/merge-patch+json" } : undefined);
        expect(res.status, `${method} ${def.plural}/good/status`).toBe(404);
        expect(res.json).toMatchObject({ kind: "Status", reason: "NotFound" });
      }
    }

    expect(await revision()).toBe(before);
  });
});

describe("service-account tokens", () => {
  it("may do what RBAC grants them and nothing else", async () => {
    const sa = { authorization: `Bearer ${saToken}` };
    // No binding yet: not even its own namespace.
    const before = await revision();
    const refused = await call("POST", "/api/v1/namespaces/other/configmaps", { metadata: { name: "mine" } }, sa);
    expect(refused.status).toBe(403);
    expect(refused.json.message).toBe('configmaps is forbidden: User "system:serviceaccount:other:robot" cannot create resource "configmaps" in API group "" in the namespace "other"');
    expect(await revision()).toBe(before);
    const binding = {
      metadata: { name: "robot-edit" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
      subjects: [{ kind: "ServiceAccount", name: "robot", namespace: "other" }],
    };
    expect((await call("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/other/rolebindings", binding)).status).toBe(201);
    expect((await call("POST", "/api/v1/namespaces/other/configmaps", { metadata: { name: "mine" } }, sa)).status).toBe(201);
    expect((await call("GET", "/api/v1/namespaces/other/configmaps/mine", undefined, sa)).status).toBe(200);
    expect((await call("GET", "/api/v1/namespaces/neg/configmaps", undefined, sa)).status).toBe(403);
    expect((await call("GET", "/api/v1/configmaps", undefined, sa)).status).toBe(403);
    expect((await call("GET", "/api/v1/nodes", undefined, sa)).status).toBe(403);
  });

  it("get tokens no longer than the cluster's maximum, nor than the requester's own", async () => {
    const path = "/api/v1/namespaces/other/serviceaccounts/robot/token";
    const year = { spec: { expirationSeconds: 365 * 24 * 3600 } };
    const byAdmin = await call("POST", path, year);
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.json.spec.expirationSeconds).toBe(24 * 3600);
    // robot's own token (from beforeAll) lasts an hour: one it asks for cannot outlive it.
    const bySelf = await call("POST", path, year, { authorization: `Bearer ${saToken}` });
    expect(bySelf.status).toBe(201);
    expect(bySelf.json.spec.expirationSeconds).toBeLessThanOrEqual(3600);
    expect(Date.parse(bySelf.json.status.expirationTimestamp)).toBeLessThanOrEqual(Date.now() + 3600 * 1000);
    const tooLong = await call("POST", path, { spec: { expirationSeconds: 2 ** 33 } });
    expect(tooLong.status).toBe(422);
    expect(tooLong.json.details.causes[0].field).toBe("spec.expirationSeconds");
  });
});

describe("a patch that drops or moves the namespace", () => {
  const MERGE = { "content-type": "application/merge-patch+json" };
  const svc = `/api/v1/namespaces/${NS}/services`;

  it("keeps the stored namespace when metadata is patched away", async () => {
    const made = await call("POST", svc, { metadata: { name: "drop-meta" }, spec: { ports: [{ port: 80 }] } });
    expect(made.status).toBe(201);
    const res = await call("PATCH", `${svc}/drop-meta`, { metadata: null, spec: { type: "NodePort" } }, { ...ADMIN, ...MERGE });
    expect(res.status).toBe(200);
    expect(res.json.metadata).toMatchObject({ name: "drop-meta", namespace: NS, uid: made.json.metadata.uid });
    expect(res.json.spec.ports[0].nodePort).toBeGreaterThan(0);
  });

  it("refuses another namespace with 400 before anything is reserved or written", async () => {
    const made = await call("POST", svc, { metadata: { name: "move-ns" }, spec: { ports: [{ port: 80 }] } });
    expect(made.status).toBe(201);
    const before = await revision();
    const res = await call("PATCH", `${svc}/move-ns`, { metadata: { namespace: "default" }, spec: { type: "NodePort" } }, { ...ADMIN, ...MERGE });
    expect(res.status).toBe(400);
    expect(res.json.message).toContain("the namespace of the provided object does not match");
    expect(await revision()).toBe(before);
  });
});

describe("request limits", () => {
  it("rejects an oversized body with 413 and writes nothing", async () => {
    const before = await revision();
    const big = { metadata: { name: "big" }, data: { blob: "x".repeat(4 * 1024 * 1024) } };
    const res = await call("POST", `/api/v1/namespaces/${NS}/configmaps`, big);
    expect(res.status).toBe(413);
    expect(await revision()).toBe(before);
  });

  it("refuses a 2 MiB ConfigMap with 422 at its data, and any object over 1.5 MiB with 413, writing nothing", async () => {
    const before = await revision();
    const configMap = await call("POST", `/api/v1/namespaces/${NS}/configmaps`, { metadata: { name: "two-mib" }, data: { blob: "x".repeat(2 * 1024 * 1024) } });
    expect(configMap.status).toBe(422);
    expect(configMap.json.message).toContain("Too long: must have at most 1048576 bytes");
    // A kind with no size rule of its own: the store's limit (etcd's 1.5 MiB request limit) applies.
    const env = [{ name: "BIG", value: "x".repeat(1600 * 1024) }];
    const pod = { metadata: { name: "huge" }, spec: { containers: [{ name: "c", image: "busybox", env }] } };
    const created = await call("POST", `/api/v1/namespaces/${NS}/pods`, pod);
    expect(created.status).toBe(413);
    expect(created.json).toMatchObject({ kind: "Status", reason: "RequestEntityTooLarge" });
    expect(await revision()).toBe(before);
  });

  it("rejects a body nested thousands of levels deep with 400 and writes nothing", async () => {
    const before = await revision();
    const deep = `{"metadata":{"name":"deep"},"data":${"[".repeat(20_000)}${"]".repeat(20_000)}}`;
    const res = await call("POST", `/api/v1/namespaces/${NS}/configmaps`, deep);
    expect(res.status).toBe(400);
    expect(res.json.message).toMatch(/nested more than \d+ levels/);
    const patched = await call("PATCH", `/api/v1/namespaces/${NS}/configmaps/deep`, deep, { ...ADMIN, "content-type": "application/merge-patch+json" });
    expect(patched.status).toBeLessThan(500);
    expect(await revision()).toBe(before);
  });

  it("answers Status for unknown resources and unknown verbs", async () => {
    expect((await call("GET", "/api/v1/widgets")).status).toBe(404);
    expect((await call("GET", "/apis/nope.example.com/v1/things")).status).toBe(404);
  });

  it("serves nothing but the reason when deployed without a Secrets key, unless plaintext is chosen", async () => {
    const without = { ...env, SECRETS_ENCRYPTION_KEY: undefined } as unknown as typeof env;
    const ask = async (path: string, bindings: typeof env) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`https://edgeplane.test${path}`, { headers: ADMIN }), bindings, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, text: await res.text() };
    };
    const refused = await ask(`/api/v1/namespaces/${NS}/secrets`, without);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.text)).toMatchObject({ kind: "Status", reason: "ServiceUnavailable", code: 503 });
    expect(refused.text).toContain("SECRETS_ENCRYPTION_KEY is not set");
    expect((await ask("/readyz", without)).status).toBe(503);
    expect((await ask("/livez", without)).status).toBe(200);
    expect((await ask(`/api/v1/namespaces/${NS}/configmaps`, { ...without, ALLOW_PLAINTEXT_SECRETS: "true" } as typeof env)).status).toBe(200);
  });
});

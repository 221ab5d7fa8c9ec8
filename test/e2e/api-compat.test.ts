// What charts and real clients send that a strict reading would refuse, and what kube-apiserver
// refuses that a lax one would take. Through the real kubectl:
//   - JSON null for an optional field is "not set" at any depth (helm renders `limits:` so),
//     in create, apply, and every patch type; a required field set to null is a 422;
//   - object metadata is validated as apimachinery validates it: a table of invalid names,
//     labels, annotations, generateName, finalizers and ownerReferences, each a 422 at its field
//     with nothing written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool, startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";

let cluster: Cluster;
const kubectl = (...args: string[]) => kubectlOk(cluster, args);

beforeAll(async () => {
  cluster = await startCluster({ requestLog: false });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Whether `value` holds a null anywhere. */
function hasNull(value: unknown): boolean {
  if (value === null) return true;
  if (Array.isArray(value)) return value.some(hasNull);
  if (typeof value === "object") return Object.values(value as object).some(hasNull);
  return false;
}

describe.skipIf(!requireTool("kubectl"))("JSON null is \"not set\"", () => {
  it("a Deployment as helm renders it, with empty blocks as null, is created and stored without them", async () => {
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "nulls", labels: { app: "nulls" }, annotations: null },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "nulls" } },
        strategy: null,
        template: {
          metadata: { labels: { app: "nulls" }, annotations: null },
          spec: {
            nodeSelector: null,
            tolerations: null,
            affinity: null,
            imagePullSecrets: null,
            securityContext: null,
            containers: [{ name: "web", image: "nginx:1.25", args: null, env: null, ports: null, resources: { limits: null, requests: null }, livenessProbe: null, volumeMounts: null }],
            volumes: null,
          },
        },
      },
    };
    const created = await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(deployment) });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain("deployment.apps/nulls created");
    const stored = JSON.parse(await kubectl("get", "deploy", "nulls", "-o", "json")) as { spec: { template: { spec: { containers: { resources?: unknown }[] } } } };
    expect(hasNull(stored.spec)).toBe(false);
    expect(stored.spec.template.spec.containers[0]!.resources).toEqual({});
    // The same manifest again. kubectl sends its nulls as deletions (so it says "configured", as
    // on any cluster); nothing changes: the generation stays.
    const again = await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(deployment) });
    expect(again.code, again.stderr).toBe(0);
    expect(await kubectl("get", "deploy", "nulls", "-o", "jsonpath={.metadata.generation}")).toBe("1");
  });

  it("a required field set to null is a 422 naming it, and nothing is written", async () => {
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "no-containers" }, spec: { containers: null } };
    const result = await cluster.kubectl(["create", "-f", "-"], { stdin: JSON.stringify(pod) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/spec\.containers: Required value/);
    expect((await cluster.kubectl(["get", "pod", "no-containers"])).stderr).toMatch(/NotFound/);
  });

  it("null in a merge patch still deletes; null from a JSON patch or an update means not set", async () => {
    await kubectl("create", "configmap", "patched", "--from-literal=a=1", "--from-literal=b=2");
    await kubectl("patch", "configmap", "patched", "--type", "merge", "-p", '{"data":{"a":null}}');
    expect(JSON.parse(await kubectl("get", "cm", "patched", "-o", "jsonpath={.data}"))).toEqual({ b: "2" });
    await kubectl("patch", "configmap", "patched", "--type", "json", "-p", '[{"op":"add","path":"/metadata/annotations","value":null}]');
    await kubectl("patch", "configmap", "patched", "--type", "strategic", "-p", '{"metadata":{"labels":null}}');
    const stored = JSON.parse(await kubectl("get", "cm", "patched", "-o", "json")) as { metadata: Record<string, unknown> };
    expect(hasNull(stored)).toBe(false);
    expect(stored.metadata.annotations).toBeUndefined();
    const replaced = { ...stored, metadata: { ...stored.metadata, labels: null }, data: { b: "3" } };
    const result = await cluster.kubectl(["replace", "-f", "-"], { stdin: JSON.stringify(replaced) });
    expect(result.code, result.stderr).toBe(0);
    expect(await kubectl("get", "cm", "patched", "-o", "jsonpath={.data.b}")).toBe("3");
  });
});

interface Case {
  what: string;
  /** The object to create (its name is checked to be absent afterwards). */
  object: Record<string, unknown>;
  field: string;
}

const cm = (name: string, metadata: Record<string, unknown> = {}): Record<string, unknown> => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...metadata } });
const owner = (ref: Record<string, unknown>) => ({ apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "6a1c5d1e-1b1a-4c59-9c52-1f1f1f1f1f1f", ...ref });

const CASES: Case[] = [
  // Names, by each kind's rule.
  { what: "name with an underscore", object: cm("bad_name"), field: "metadata.name" },
  { what: "name in upper case", object: cm("UPPER"), field: "metadata.name" },
  { what: "name starting with a dash", object: cm("-dash"), field: "metadata.name" },
  { what: "name ending with a dash", object: cm("dash-"), field: "metadata.name" },
  { what: "name with an empty DNS label", object: cm("a..b"), field: "metadata.name" },
  { what: "name of 254 characters", object: cm("a".repeat(254)), field: "metadata.name" },
  { what: "namespace name with a dot", object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "has.dot" } }, field: "metadata.name" },
  { what: "namespace name of 64 characters", object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "n".repeat(64) } }, field: "metadata.name" },
  { what: "Service name starting with a digit", object: { apiVersion: "v1", kind: "Service", metadata: { name: "1web" }, spec: { ports: [{ port: 80 }] } }, field: "metadata.name" },
  { what: "Service name with a dot", object: { apiVersion: "v1", kind: "Service", metadata: { name: "web.v1" }, spec: { ports: [{ port: 80 }] } }, field: "metadata.name" },
  // generateName is a prefix: its trailing dash is fine, the rest is a name.
  { what: "generateName with an underscore", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { generateName: "bad_" } }, field: "metadata.generateName" },
  { what: "generateName in upper case", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { generateName: "UPPER-" } }, field: "metadata.generateName" },
  // Label keys.
  { what: "label key with a space and !", object: cm("l1", { labels: { "bad key!": "x" } }), field: "metadata.labels" },
  { what: "label key starting with a dash", object: cm("l2", { labels: { "-start": "x" } }), field: "metadata.labels" },
  { what: "label key ending with a dot", object: cm("l3", { labels: { "end.": "x" } }), field: "metadata.labels" },
  { what: "label key with two slashes", object: cm("l4", { labels: { "a/b/c": "x" } }), field: "metadata.labels" },
  { what: "label key with an empty prefix", object: cm("l5", { labels: { "/name": "x" } }), field: "metadata.labels" },
  { what: "label key with an empty name", object: cm("l6", { labels: { "example.com/": "x" } }), field: "metadata.labels" },
  { what: "label key with an upper-case prefix", object: cm("l7", { labels: { "Example.com/name": "x" } }), field: "metadata.labels" },
  { what: "label key name part of 64 characters", object: cm("l8", { labels: { ["k".repeat(64)]: "x" } }), field: "metadata.labels" },
  { what: "label key prefix of 254 characters", object: cm("l9", { labels: { [`${"p".repeat(254)}/name`]: "x" } }), field: "metadata.labels" },
  { what: "label key with a NUL byte", object: cm("l10", { labels: { "a\u0000b": "x" } }), field: "metadata.labels" },
  { what: "label key starting with an underscore", object: cm("l11", { labels: { _hidden: "x" } }), field: "metadata.labels" },
  // Label values.
  { what: "label value of 64 characters", object: cm("v1", { labels: { app: "v".repeat(64) } }), field: "metadata.labels" },
  { what: "label value starting with a dash", object: cm("v2", { labels: { app: "-web" } }), field: "metadata.labels" },
  { what: "label value ending with a dot", object: cm("v3", { labels: { app: "web." } }), field: "metadata.labels" },
  { what: "label value with a space", object: cm("v4", { labels: { app: "my web" } }), field: "metadata.labels" },
  { what: "label value with a slash", object: cm("v5", { labels: { app: "a/b" } }), field: "metadata.labels" },
  { what: "label value with non-ASCII letters", object: cm("v6", { labels: { app: "wéb" } }), field: "metadata.labels" },
  // Annotations.
  { what: "annotation key with a space", object: cm("a1", { annotations: { "bad key": "x" } }), field: "metadata.annotations" },
  { what: "annotation key starting with a dash", object: cm("a2", { annotations: { "-x": "x" } }), field: "metadata.annotations" },
  { what: "annotation key with two slashes", object: cm("a3", { annotations: { "a/b/c": "x" } }), field: "metadata.annotations" },
  { what: "annotation key name part of 64 characters", object: cm("a4", { annotations: { ["k".repeat(64)]: "x" } }), field: "metadata.annotations" },
  { what: "annotation key with an empty prefix", object: cm("a5", { annotations: { "/x": "x" } }), field: "metadata.annotations" },
  { what: "annotations over 256 KiB in all", object: cm("a6", { annotations: { one: "x".repeat(140_000), two: "y".repeat(140_000) } }), field: "metadata.annotations" },
  // Finalizers.
  { what: "finalizer with a space", object: cm("f1", { finalizers: ["bad finalizer"] }), field: "metadata.finalizers" },
  { what: "finalizer neither standard nor qualified", object: cm("f2", { finalizers: ["custom"] }), field: "metadata.finalizers" },
  { what: "finalizer with two slashes", object: cm("f3", { finalizers: ["a/b/c"] }), field: "metadata.finalizers" },
  { what: "finalizer with an empty name part", object: cm("f4", { finalizers: ["example.com/"] }), field: "metadata.finalizers" },
  { what: "orphan and foregroundDeletion together", object: cm("f5", { finalizers: ["orphan", "foregroundDeletion"] }), field: "metadata.finalizers" },
  // Owner references.
  { what: "owner reference without uid", object: cm("o1", { ownerReferences: [owner({ uid: "" })] }), field: "metadata.ownerReferences.uid" },
  { what: "owner reference without kind", object: cm("o2", { ownerReferences: [owner({ kind: "" })] }), field: "metadata.ownerReferences.kind" },
  { what: "owner reference without name", object: cm("o3", { ownerReferences: [owner({ name: "" })] }), field: "metadata.ownerReferences.name" },
  { what: "owner reference without apiVersion", object: cm("o4", { ownerReferences: [owner({ apiVersion: "" })] }), field: "metadata.ownerReferences.apiVersion" },
  { what: "two controller owner references", object: cm("o5", { ownerReferences: [owner({ controller: true }), owner({ name: "p", uid: "7b2d6e2f-2c2b-4d6a-8d63-2f2f2f2f2f2f", controller: true })] }), field: "metadata.ownerReferences" },
];

describe.skipIf(!requireTool("kubectl"))("metadata validation", () => {
  it(`refuses ${CASES.length} kinds of invalid metadata, each with a 422 at its field and nothing written`, async () => {
    const failures: string[] = [];
    const batch = 6;
    for (let i = 0; i < CASES.length; i += batch) {
      await Promise.all(
        CASES.slice(i, i + batch).map(async (c) => {
          const result = await cluster.kubectl(["create", "-f", "-"], { stdin: JSON.stringify(c.object) });
          const wanted = new RegExp(`is invalid: [\\s\\S]*${c.field.replace(/\./g, "\\.")}: (Invalid value|Forbidden|Too long)`);
          if (result.code === 0 || !wanted.test(result.stderr)) failures.push(`${c.what}: exit ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
        }),
      );
    }
    expect(failures).toEqual([]);
    // Nothing was written: no ConfigMap, Namespace or Service of any case exists.
    const names = (await kubectl("get", "configmaps,services", "-A", "-o", "jsonpath={.items[*].metadata.name}")).split(" ");
    const namespaces = (await kubectl("get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}")).split(" ");
    for (const c of CASES) {
      const meta = c.object.metadata as { name?: string; generateName?: string };
      if (meta.name) expect([...names, ...namespaces]).not.toContain(meta.name);
      if (meta.generateName) expect(names.some((n) => n.startsWith(meta.generateName!))).toBe(false);
    }
  });

  it("kubectl label with a bad key changes nothing; a qualified one works", async () => {
    await kubectl("create", "configmap", "labelled");
    const before = await kubectl("get", "cm", "labelled", "-o", "jsonpath={.metadata.resourceVersion}");
    // kubectl checks values itself; keys it sends on, and the server refuses them.
    for (const bad of ["bad key!=x", `${"k".repeat(70)}=x`, "a/b/c=x"]) {
      const result = await cluster.kubectl(["label", "cm", "labelled", bad]);
      expect(result.code, bad).not.toBe(0);
      expect(result.stderr, bad).toMatch(/metadata\.labels: Invalid value/);
    }
    expect(await kubectl("get", "cm", "labelled", "-o", "jsonpath={.metadata.resourceVersion}")).toBe(before);
    await kubectl("label", "cm", "labelled", "example.com/tier=front-end_1.0");
    expect(await kubectl("get", "cm", "labelled", "-o", "jsonpath={.metadata.labels}")).toBe('{"example.com/tier":"front-end_1.0"}');
  });
});

describe.skipIf(!requireTool("kubectl"))("concurrent patches", () => {
  it("twenty kubectl label runs at once on one object all land, as kube-apiserver retries them", async () => {
    await kubectl("create", "configmap", "contended");
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => cluster.kubectl(["label", "cm", "contended", `w${i}=x`])));
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    const labels = JSON.parse(await kubectl("get", "cm", "contended", "-o", "jsonpath={.metadata.labels}")) as Record<string, string>;
    expect(Object.keys(labels).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `w${i}`).sort());
  });

  // `kubectl replace -f` reads the object first and pins its resourceVersion (so concurrent ones
  // 409 on Kubernetes too); `--raw` sends the body as it is, a PUT without one.
  const CM_URL = "/api/v1/namespaces/default/configmaps/replaced";
  it("twenty PUTs without a resourceVersion all land; a stale pinned one is a 409", async () => {
    await kubectl("create", "configmap", "replaced");
    const body = (i: number) => JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "replaced" }, data: { writer: String(i) } });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => cluster.kubectl(["replace", "--raw", CM_URL, "-f", "-"], { stdin: body(i) })));
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    const writer = Number(await kubectl("get", "cm", "replaced", "-o", "jsonpath={.data.writer}"));
    expect(writer).toBeGreaterThanOrEqual(0);
    expect(writer).toBeLessThan(20);
    const rv = await kubectl("get", "cm", "replaced", "-o", "jsonpath={.metadata.resourceVersion}");
    await kubectl("label", "cm", "replaced", "moved=on");
    const stale = await cluster.kubectl(["replace", "--raw", CM_URL, "-f", "-"], { stdin: JSON.stringify({ ...JSON.parse(body(99)), metadata: { name: "replaced", resourceVersion: rv } }) });
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toMatch(/Conflict|the object has been modified/);
  });

  it("ten PUTs that race to create the same Lease all land (create on update, then update)", async () => {
    const lease = (i: number) => JSON.stringify({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "raced" }, spec: { holderIdentity: `holder-${i}` } });
    const url = "/apis/coordination.k8s.io/v1/namespaces/default/leases/raced";
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => cluster.kubectl(["replace", "--raw", url, "-f", "-"], { stdin: lease(i) })));
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    expect(await kubectl("get", "lease", "raced", "-o", "jsonpath={.spec.holderIdentity}")).toMatch(/^holder-\d$/);
  });

  it("the controllers' own writes land while clients contend for the same Deployment", async () => {
    await kubectl("create", "deployment", "busy", "--image=nginx", "--replicas=2");
    const writes = [
      ...Array.from({ length: 15 }, (_, i) => ["label", "deployment", "busy", `l${i}=x`]),
      ...Array.from({ length: 10 }, (_, i) => ["annotate", "deployment", "busy", `example.com/a${i}=x`]),
      ["scale", "deployment", "busy", "--replicas=5"],
    ];
    const results = await Promise.all(writes.map((args) => cluster.kubectl(args)));
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    // The deployment and replicaset controllers wrote the ReplicaSet, its pods and both statuses
    // through all of that: everything converges on five replicas, and no client write was lost.
    await eventually(async () => (await kubectl("get", "deployment", "busy", "-o", "jsonpath={.status.replicas}/{.status.updatedReplicas}/{.status.observedGeneration}/{.metadata.generation}")).match(/^5\/5\/(\d+)\/\1$/) !== null, "the Deployment's status to show 5 replicas of its latest generation", 30_000);
    expect(await kubectl("get", "replicasets", "-l", "app=busy", "-o", "jsonpath={.items[*].status.replicas}")).toBe("5");
    const meta = JSON.parse(await kubectl("get", "deployment", "busy", "-o", "jsonpath={.metadata}")) as { labels: Record<string, string>; annotations: Record<string, string> };
    for (let i = 0; i < 15; i++) expect(meta.labels[`l${i}`]).toBe("x");
    for (let i = 0; i < 10; i++) expect(meta.annotations[`example.com/a${i}`]).toBe("x");
  });

  it("a node agent's status patches (uid precondition, no resourceVersion) land among label writes; a wrong uid is a 409", async () => {
    await kubectl("run", "watched", "--image=nginx");
    const uid = await kubectl("get", "pod", "watched", "-o", "jsonpath={.metadata.uid}");
    // The agent's own request: a merge patch of /status carrying the pod's uid (pod-worker.ts).
    const status = (i: number) => JSON.stringify({ metadata: { uid }, status: { message: `sync ${i}`, conditions: [{ type: "example.com/probe", status: "True", reason: `R${i}` }] } });
    const writes = [
      ...Array.from({ length: 10 }, (_, i) => ["patch", "pod", "watched", "--subresource=status", "--type=merge", "-p", status(i)]),
      ...Array.from({ length: 10 }, (_, i) => ["label", "pod", "watched", `p${i}=x`]),
    ];
    const results = await Promise.all(writes.map((args) => cluster.kubectl(args)));
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    const pod = JSON.parse(await kubectl("get", "pod", "watched", "-o", "json")) as { metadata: { labels: Record<string, string> }; status: { message: string } };
    expect(Object.keys(pod.metadata.labels).filter((k) => k.startsWith("p")).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`).sort());
    expect(pod.status.message).toMatch(/^sync \d$/);
    const wrongUid = await cluster.kubectl(["patch", "pod", "watched", "--subresource=status", "--type=merge", "-p", JSON.stringify({ metadata: { uid: "00000000-0000-0000-0000-000000000000" }, status: { message: "stale" } })]);
    expect(wrongUid.code).not.toBe(0);
    expect(wrongUid.stderr).toContain("Precondition failed: UID in precondition");
  });

  it("a patch pinned to a stale resourceVersion is still a 409", async () => {
    await kubectl("create", "configmap", "pinned");
    const rv = await kubectl("get", "cm", "pinned", "-o", "jsonpath={.metadata.resourceVersion}");
    await kubectl("label", "cm", "pinned", "first=1");
    const stale = await cluster.kubectl(["patch", "cm", "pinned", "--type", "merge", "-p", JSON.stringify({ metadata: { resourceVersion: rv, labels: { second: "2" } } })]);
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toMatch(/Conflict|the object has been modified/);
  });
});

describe.skipIf(!requireTool("kubectl"))("graceful deletion", () => {
  // kube-apiserver's BeforeDelete and ShouldDeleteDuringUpdate: a pod its node is stopping stays in
  // the API until the node's final delete, whatever else removes finalizers or deletes again.
  it("a pending graceful delete survives a second delete and finalizer removal; a shorter grace shortens it; 0 ends it", async () => {
    const overrides = JSON.stringify({ spec: { nodeName: "ghost-node" }, metadata: { finalizers: ["example.com/hold"] } });
    await kubectl("run", "stopping", "--image=nginx", `--overrides=${overrides}`);
    const meta = async () => JSON.parse(await kubectl("get", "pod", "stopping", "-o", "jsonpath={.metadata}")) as { deletionTimestamp?: string; deletionGracePeriodSeconds?: number; finalizers?: string[] };
    await kubectl("delete", "pod", "stopping", "--wait=false");
    const first = await meta();
    expect(first.deletionGracePeriodSeconds).toBe(30);
    await kubectl("delete", "pod", "stopping", "--wait=false");
    expect(await meta()).toEqual(first);
    await kubectl("patch", "pod", "stopping", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]');
    const released = await meta();
    expect(released.finalizers).toBeUndefined();
    expect(released.deletionTimestamp).toBe(first.deletionTimestamp);
    await kubectl("delete", "pod", "stopping", "--grace-period=5", "--wait=false");
    const shortened = await meta();
    expect(shortened.deletionGracePeriodSeconds).toBe(5);
    expect(Date.parse(first.deletionTimestamp!) - Date.parse(shortened.deletionTimestamp!)).toBe(25_000);
    await kubectl("delete", "pod", "stopping", "--grace-period=0", "--force", "--wait=false");
    const gone = await cluster.kubectl(["get", "pod", "stopping"]);
    expect(gone.stderr).toContain('pods "stopping" not found');
  });
});

// A kind added while the cluster runs (what CustomResourceDefinitions will stand on): one
// ResourceDef (fixtures/runtime-kind/widget.ts) registered at run time through the test's Worker
// entry, then served to the real kubectl through discovery, OpenAPI, CRUD, watch and Table output,
// collected by the garbage collector and namespace deletion, and gone again once removed.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool, startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";

const REPO = resolve(import.meta.dirname, "../..");
const ENTRY = join(import.meta.dirname, "fixtures/runtime-kind/worker.ts");
const KIND_PATH = "/__test__/kinds/widgets";

/** The repository's wrangler.toml with the test's entry as `main`, its paths made absolute. */
function testConfig(dir: string): string {
  const text = readFileSync(join(REPO, "wrangler.toml"), "utf8")
    .replace(/^main = .*$/m, `main = ${JSON.stringify(ENTRY)}`)
    .replace(/^migrations_dir = .*$/m, `migrations_dir = ${JSON.stringify(join(REPO, "migrations"))}`)
    .replace(/^directory = .*$/m, `directory = ${JSON.stringify(join(REPO, "dist/assets"))}`);
  const file = join(dir, "wrangler.toml");
  writeFileSync(file, text);
  return file;
}

const widget = (name: string, color: string, size: number, namespace = "default") => `apiVersion: example.edgeplane.dev/v1
kind: Widget
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  color: ${color}
  size: ${size}
`;

describe.skipIf(!requireTool("kubectl"))("a kind registered at run time", () => {
  let dir: string;
  let cluster: Cluster;
  const kubectl = (...args: string[]) => kubectlOk(cluster, args);
  const apply = (manifest: string) => cluster.kubectl(["apply", "-f", "-"], { stdin: manifest });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edgeplane-runtime-kind-"));
    cluster = await startCluster({ config: testConfig(dir) });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("is unknown before it is registered", async () => {
    const res = await cluster.kubectl(["get", "widgets"]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(`the server doesn't have a resource type "widgets"`);
  });

  it("shows up in discovery and OpenAPI once registered", async () => {
    expect(JSON.parse(await kubectl("create", "--raw", KIND_PATH, "-f", "/dev/null"))).toMatchObject({ served: true });
    const resources = await kubectl("api-resources", "--api-group=example.edgeplane.dev", "--no-headers");
    expect(resources.trim().split(/\s+/)).toEqual(["widgets", "wdg", "example.edgeplane.dev/v1", "true", "Widget"]);
    const legacy = JSON.parse(await kubectl("get", "--raw", "/apis/example.edgeplane.dev/v1")) as { resources: { name: string }[] };
    expect(legacy.resources.map((r) => r.name)).toEqual(["widgets", "widgets/status"]);
    const paths = JSON.parse(await kubectl("get", "--raw", "/openapi/v3")) as { paths: Record<string, unknown> };
    expect(Object.keys(paths.paths)).toContain("apis/example.edgeplane.dev/v1");
    const explained = await kubectl("explain", "widgets.spec");
    expect(explained).toMatch(/GROUP:\s+example\.edgeplane\.dev/);
    expect(explained).toMatch(/color\s+<string> -required-\n\s+The widget's colour\./);
    expect(explained).toMatch(/size\s+<integer> -required-/);
  });

  it("is created, listed with its printer columns, selected by field, updated and validated", async () => {
    for (const m of [widget("first", "red", 3), widget("second", "blue", 5)]) expect((await apply(m)).code).toBe(0);
    const table = await kubectl("get", "wdg");
    expect(table).toMatch(/^NAME\s+COLOR\s+SIZE\s+AGE$/m);
    expect(table).toMatch(/^first\s+red\s+3\s+\d+s$/m);
    expect(table).toMatch(/^second\s+blue\s+5\s+\d+s$/m);
    expect((await kubectl("get", "widgets", "--field-selector", "spec.color=blue", "-o", "name")).trim()).toBe("widget.example.edgeplane.dev/second");

    // A second apply of a changed manifest patches it (kubectl's three-way merge against the stored object).
    expect((await apply(widget("first", "green", 3))).stdout).toContain("widget.example.edgeplane.dev/first configured");
    expect(await kubectl("get", "widget", "first", "-o", "jsonpath={.spec.color}")).toBe("green");
    await kubectl("patch", "widget", "first", "--subresource=status", "--type=merge", "-p", '{"status":{"built":true}}');
    expect(await kubectl("get", "widget", "first", "-o", "jsonpath={.status.built}")).toBe("true");

    const invalid = await cluster.kubectl(["patch", "widget", "first", "--type=merge", "-p", '{"spec":{"size":0}}']);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain("spec.size");
    const unknown = await apply(widget("third", "red", 1).replace("size: 1", "size: 1\n  weight: 2"));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown field "spec\.weight"/);
    expect(await kubectl("get", "widget", "first", "-o", "jsonpath={.spec.size}")).toBe("3");
  });

  it("is watched: kubectl get -w prints a change made meanwhile", async () => {
    const watcher = spawn(process.env.KUBECTL ?? "kubectl", ["get", "widgets", "-w"], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
    let out = "";
    watcher.stdout.on("data", (d: Buffer) => (out += d.toString()));
    watcher.stderr.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await eventually(async () => /^second\s+blue\s+5/m.test(out), `the initial list in:\n${out}`);
      await kubectl("patch", "widget", "second", "--type=merge", "-p", '{"spec":{"color":"purple"}}');
      await eventually(async () => /^second\s+purple\s+5/m.test(out), `the modified widget in:\n${out}`);
    } finally {
      watcher.kill("SIGTERM");
    }
  });

  it("is collected by the garbage collector and by namespace deletion", async () => {
    await kubectl("create", "configmap", "owner");
    const uid = await kubectl("get", "configmap", "owner", "-o", "jsonpath={.metadata.uid}");
    const owned = widget("owned", "grey", 1).replace("  namespace: default\n", `  namespace: default\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: ${uid}}\n`);
    expect((await apply(owned)).code).toBe(0);
    await kubectl("delete", "configmap", "owner");
    await eventually(async () => (await cluster.kubectl(["get", "widget", "owned"])).code !== 0, "the owned widget to be collected");

    await kubectl("create", "namespace", "shop");
    expect((await apply(widget("stock", "red", 2, "shop"))).code).toBe(0);
    await kubectl("delete", "namespace", "shop", "--timeout=60s");
    expect((await cluster.kubectl(["get", "namespace", "shop"])).code).not.toBe(0);
    // Gone with it, not left behind in a namespace that no longer exists.
    const left = JSON.parse(await kubectl("get", "--raw", "/apis/example.edgeplane.dev/v1/namespaces/shop/widgets")) as { items: unknown[] };
    expect(left.items).toEqual([]);
  }, 90_000);

  it("is gone from discovery, OpenAPI and the API once removed", async () => {
    expect(JSON.parse((await cluster.kubectl(["delete", "--raw", KIND_PATH])).stdout)).toMatchObject({ served: false });
    const apis = JSON.parse(await kubectl("get", "--raw", "/apis")) as { groups: { name: string }[] };
    expect(apis.groups.map((g) => g.name)).not.toContain("example.edgeplane.dev");
    const paths = JSON.parse(await kubectl("get", "--raw", "/openapi/v3")) as { paths: Record<string, unknown> };
    expect(Object.keys(paths.paths)).not.toContain("apis/example.edgeplane.dev/v1");
    // kubectl still has the kind in its discovery cache: the list itself is a 404, as for a deleted CRD.
    const res = await cluster.kubectl(["get", "widgets"]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("Error from server (NotFound)");
    const fresh = await cluster.kubectl(["get", "widgets", "--cache-dir", join(dir, "fresh-cache")]);
    expect(fresh.stderr).toContain(`the server doesn't have a resource type "widgets"`);
  });
});

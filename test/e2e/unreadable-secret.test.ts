// One Secret the configured keys cannot open (its key was dropped before `npm run reencrypt`
// resealed it) fails only itself: a 500 naming it on GET, left out of lists with a Warning and of
// watches, a Warning Event from the controller loop, and it can still be deleted. Every other
// Secret, and the cluster, go on.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterPaths } from "../../scripts/lib/local-cluster";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";

describe("a Secret no configured key opens", () => {
  let root: string;
  let cluster: Cluster;
  let before: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "edgeplane-unreadable-"));
    const first = await startCluster({ root, requestLog: false });
    try {
      await kubectlOk(first, ["create", "secret", "generic", "lost", "--from-literal=password=gone-with-its-key"]);
      before = await kubectlOk(first, ["get", "secret", "lost", "-o", "jsonpath={.metadata.resourceVersion}"]);
    } finally {
      await first.stop();
    }
    // The key that sealed "lost" is replaced, not kept beside the new one.
    await writeFile(clusterPaths(root).secretsKey, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
    cluster = await startCluster({ root, requestLog: false });
    await kubectlOk(cluster, ["create", "secret", "generic", "kept", "--from-literal=password=still-here"]);
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("answers a 500 naming it, while every other Secret reads", async () => {
    const got = await cluster.kubectl(["get", "secret", "lost"]);
    expect(got.code).not.toBe(0);
    expect(got.stderr).toContain('secrets "lost" cannot be read from storage');
    expect(Buffer.from(await kubectlOk(cluster, ["get", "secret", "kept", "-o", "jsonpath={.data.password}"]), "base64").toString()).toBe("still-here");
  });

  it("is left out of lists with a Warning, and out of watches", async () => {
    const listed = await cluster.kubectl(["get", "secrets"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^kept\s/m);
    expect(listed.stdout).not.toMatch(/^lost\s/m);
    expect(listed.stderr).toContain('Warning: secrets "default/lost" is left out: it cannot be read from storage');
    // A watch from before both writes reads them from the change log: "kept" comes, "lost" does not.
    const watched = await kubectlOk(cluster, ["get", "--raw", `/api/v1/namespaces/default/secrets?watch=true&resourceVersion=${Number(before) - 1}&timeoutSeconds=2`]);
    expect(watched).toContain('"name":"kept"');
    expect(watched).not.toContain('"name":"lost"');
    // A watch from now starts with the list of what is there: "kept" only.
    const listedFirst = await kubectlOk(cluster, ["get", "--raw", "/api/v1/namespaces/default/secrets?watch=true&timeoutSeconds=1"]);
    expect(listedFirst).toContain('"name":"kept"');
    expect(listedFirst).not.toContain('"name":"lost"');
  });

  it("gets a Warning Event from the controller loop, which goes on working", async () => {
    await eventually(
      async () => (await kubectlOk(cluster, ["get", "events", "--field-selector", "reason=StorageReadFailed,involvedObject.name=lost", "-o", "name"])).trim() !== "",
      "the StorageReadFailed Event",
      30_000,
      500,
    );
    // The loop still runs its controllers: a new namespace gets its default ServiceAccount.
    await kubectlOk(cluster, ["create", "namespace", "after-the-bad-row"]);
    await eventually(async () => (await cluster.kubectl(["-n", "after-the-bad-row", "get", "serviceaccount", "default"])).code === 0, "the default ServiceAccount", 30_000, 500);
  });

  it("answers PATCH with the same 500, and can still be deleted (a server dry run deletes nothing)", async () => {
    expect((await cluster.kubectl(["patch", "secret", "lost", "-p", '{"metadata":{"labels":{"a":"b"}}}'])).stderr).toContain('secrets "lost" cannot be read from storage');
    // kubectl sends a server dry run's dryRun in DeleteOptions: nothing is deleted, readable or not.
    await kubectlOk(cluster, ["delete", "secret", "kept", "--dry-run=server"]);
    expect((await cluster.kubectl(["get", "secret", "kept"])).code).toBe(0);
    await kubectlOk(cluster, ["delete", "secret", "lost", "--dry-run=server"]);
    expect((await cluster.kubectl(["get", "secret", "lost"])).stderr).toContain("cannot be read from storage");
    await kubectlOk(cluster, ["delete", "secret", "lost"]);
    const got = await cluster.kubectl(["get", "secret", "lost"]);
    expect(got.stderr).toContain('secrets "lost" not found');
    const listed = await cluster.kubectl(["get", "secrets"]);
    expect(listed.stderr).not.toContain("Warning");
  });
});

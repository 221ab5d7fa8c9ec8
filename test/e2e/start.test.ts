// `npm start`'s local cluster, driven by the real kubectl: TLS verified with the kubeconfig's CA,
// the bearer token sent and checked, D1 migrations applied, and state, CA and token kept across restarts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { parse } from "yaml";
import { liveGroupMembers } from "../../scripts/lib/process-group";
import { requireTool, startCluster, type Cluster } from "./harness";

const HAVE_KUBECTL = requireTool("kubectl");
const FIXTURE = join(import.meta.dirname, "fixtures", "auth-echo");
const START_TIMEOUT_MS = 120_000;

function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

async function ok(cluster: Cluster, args: string[], stdin?: string): Promise<string> {
  const result = await cluster.kubectl(args, stdin === undefined ? {} : { stdin });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

describe.skipIf(!HAVE_KUBECTL)("local cluster with a stand-in Worker", () => {
  let dir: string;
  let cluster: Cluster;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "edgeplane-start-test-"));
    // A copy, so wrangler's .wrangler/ scratch files land in the temp directory, not the repository.
    cpSync(FIXTURE, join(dir, "worker"), { recursive: true });
    cluster = await startCluster({ root: join(dir, "cluster"), config: join(dir, "worker", "wrangler.toml") });
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes a kubeconfig that trusts the local CA and carries the admin token", () => {
    const config = parse(readFileSync(cluster.kubeconfig, "utf8")) as Record<string, unknown>;
    expect(config["current-context"]).toBe("edgeplane");
    expect(config.contexts).toEqual([{ name: "edgeplane", context: { cluster: "edgeplane", user: "admin", namespace: "default" } }]);
    const [entry] = config.clusters as { cluster: Record<string, unknown> }[];
    expect(entry?.cluster.server).toBe(cluster.url);
    expect(entry?.cluster["insecure-skip-tls-verify"]).toBeUndefined();
    expect(Buffer.from(String(entry?.cluster["certificate-authority-data"]), "base64").toString()).toBe(cluster.caPem);
    expect(config.users).toEqual([{ name: "admin", user: { token: cluster.token } }]);
    expect(cluster.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
  });

  it("kubectl reaches /healthz over TLS verified with that CA, by IP and by name", async () => {
    expect(await ok(cluster, ["get", "--raw", "/healthz"])).toBe("ok");
    const byName = cluster.url.replace("127.0.0.1", "localhost");
    expect(await ok(cluster, ["--server", byName, "get", "--raw", "/healthz"])).toBe("ok");
  });

  it("kubectl version shows the client and the server", async () => {
    const out = await ok(cluster, ["version"]);
    expect(out).toMatch(/^Client Version: v1\.\d+/m);
    expect(out).toMatch(/^Server Version: v1\.32\.0-fixture$/m);
  });

  it("kubectl sends the admin token; the Worker knows only its hash and gets the encryption key", async () => {
    expect(JSON.parse(await ok(cluster, ["get", "--raw", "/whoami"]))).toEqual({ user: "admin", secretsKeyBytes: 32 });
    const wrong = await cluster.kubectl(["--token", "not-the-token", "get", "--raw", "/whoami"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("Unauthorized");
  });

  it("a server the CA did not sign for is refused", async () => {
    const noCa = join(dir, "no-ca.kubeconfig");
    const config = parse(readFileSync(cluster.kubeconfig, "utf8")) as { clusters: { cluster: Record<string, unknown> }[] };
    delete config.clusters[0]!.cluster["certificate-authority-data"];
    writeFileSync(noCa, JSON.stringify(config));
    const result = await cluster.kubectl(["--kubeconfig", noCa, "get", "--raw", "/healthz"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/certificate signed by unknown authority/);
  });

  it("applies D1 migrations, and a restart keeps the data, the CA and the token", async () => {
    expect(JSON.parse(await ok(cluster, ["create", "--raw", "/notes", "-f", "-"], "kept across restarts"))).toEqual({
      created: true,
    });
    const before = {
      token: cluster.token,
      caPem: cluster.caPem,
      caKey: readFileSync(join(cluster.root, "pki", "ca.key"), "utf8"),
      serverCert: readFileSync(join(cluster.root, "pki", "server.crt"), "utf8"),
      secretsKey: readFileSync(join(cluster.root, "secrets-encryption-key"), "utf8"),
    };
    const { pid, url } = cluster;
    await cluster.stop();
    expect(liveGroupMembers(pid)).toEqual([]); // wrangler and every workerd are gone
    expect(await portOpen(url)).toBe(false);

    cluster = await startCluster({ root: cluster.root, config: join(dir, "worker", "wrangler.toml") });
    expect(cluster.token).toBe(before.token);
    expect(cluster.caPem).toBe(before.caPem);
    expect(readFileSync(join(cluster.root, "pki", "ca.key"), "utf8")).toBe(before.caKey);
    expect(readFileSync(join(cluster.root, "pki", "server.crt"), "utf8")).toBe(before.serverCert);
    expect(readFileSync(join(cluster.root, "secrets-encryption-key"), "utf8")).toBe(before.secretsKey);
    expect(JSON.parse(await ok(cluster, ["get", "--raw", "/notes"]))).toEqual({ notes: ["kept across restarts"] });
  }, START_TIMEOUT_MS);
});

describe.skipIf(!HAVE_KUBECTL)("local cluster with the repository's Worker", () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster();
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("kubectl version shows the client and a Kubernetes server version", async () => {
    const out = await ok(cluster, ["version"]);
    expect(out).toMatch(/^Client Version: v1\.\d+/m);
    expect(out).toMatch(/^Server Version: v1\.\d+/m);
  });

  it("the admin token from the kubeconfig is accepted, another one is not", async () => {
    expect(JSON.parse(await ok(cluster, ["get", "--raw", "/api"]))).toMatchObject({ kind: "APIVersions" });
    const wrong = await cluster.kubectl(["--token", "not-the-token", "get", "--raw", "/api"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("Unauthorized");
  });
});

// Joining with a bootstrap token against a real local cluster: the join-token script, the
// exchange at /edgeplane/v1/join, and what the node credential may and may not do (real kubectl).
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureAgentAssets } from "../../scripts/build-agent";
import { listTokens, revokeToken } from "../../scripts/tokens";
import { requireTool, startCluster, type Cluster, type KubectlResult } from "./harness";
import { kubectlOk } from "./helpers";

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, "../../scripts/create-join-token.ts");

describe.skipIf(!requireTool("kubectl"))("joining a node with a bootstrap token", () => {
  let cluster: Cluster;
  let dispatcher: Agent;

  /** `npm run join-token -- --token-only …` against this cluster's kubeconfig. */
  async function joinToken(...args: string[]): Promise<string> {
    const { stdout } = await run(process.execPath, ["--import", "tsx", SCRIPT, ...args], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig, KUBECACHEDIR: join(cluster.root, "kube-cache") },
      timeout: 60_000,
    });
    return stdout;
  }

  function exchange(token: string, nodeName: unknown) {
    return fetch(`${cluster.url}/edgeplane/v1/join`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ nodeName }),
      dispatcher,
    });
  }

  /** A kubeconfig carrying the node's credential, and kubectl run with it. */
  async function asNode(nodeName: string): Promise<(args: string[], stdin?: string) => Promise<KubectlResult>> {
    const token = (await joinToken("--token-only")).trim();
    const response = await exchange(token, nodeName);
    expect(response.status).toBe(200);
    const credential = (await response.json()) as { token: string };
    const path = join(cluster.root, `kubeconfig-${nodeName}`);
    const kubeconfig = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "edgeplane", cluster: { server: cluster.url, "certificate-authority-data": Buffer.from(cluster.caPem).toString("base64") } }],
      users: [{ name: nodeName, user: { token: credential.token } }],
      contexts: [{ name: nodeName, context: { cluster: "edgeplane", user: nodeName } }],
      "current-context": nodeName,
    };
    await writeFile(path, JSON.stringify(kubeconfig), { mode: 0o600 });
    return (args, stdin) => cluster.kubectl(["--kubeconfig", path, ...args], stdin === undefined ? {} : { stdin });
  }

  const node = (name: string) => JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name } });
  const lease = (name: string) =>
    JSON.stringify({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace: "kube-node-lease" },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace("Z", "000Z") },
    });

  beforeAll(async () => {
    // wrangler dev needs the [assets] directory (scripts/build-agent.ts); quick when current.
    await ensureAgentAssets();
    cluster = await startCluster();
    dispatcher = new Agent({ connect: { ca: cluster.caPem } });
  });
  afterAll(async () => {
    await dispatcher?.close();
    await cluster?.stop();
  });

  it("creates a bootstrap-token Secret and prints the install one-liner", async () => {
    const output = await joinToken("--ttl", "2h");
    const match = /--token ([a-z0-9]{6})\.([a-z0-9]{16})/.exec(output);
    expect(match, output).not.toBeNull();
    expect(output).toContain(`curl -fsSL ${cluster.url}/install.sh | sudo sh -s -- --token ${match![1]}.${match![2]}`);
    const secret = JSON.parse(await kubectlOk(cluster, ["-n", "kube-system", "get", "secret", `bootstrap-token-${match![1]}`, "-o", "json"])) as {
      type: string;
      data: Record<string, string>;
    };
    expect(secret.type).toBe("bootstrap.kubernetes.io/token");
    const data = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
    expect(data["token-id"]).toBe(match![1]);
    expect(data["token-secret"]).toBe(match![2]);
    expect(data["usage-bootstrap-authentication"]).toBe("true");
    const expiresInMs = Date.parse(data.expiration ?? "") - Date.now();
    expect(expiresInMs).toBeGreaterThan(110 * 60_000);
    expect(expiresInMs).toBeLessThan(121 * 60_000);
  });

  it("exchanges a join token for a node credential; bad tokens get 401, bad names 422", async () => {
    const token = (await joinToken("--token-only")).trim();
    const ok = await exchange(token, "join-vm0");
    expect(ok.status).toBe(200);
    const credential = (await ok.json()) as Record<string, unknown>;
    expect(credential).toMatchObject({ kind: "NodeCredential", apiVersion: "edgeplane.dev/v1", nodeName: "join-vm0" });
    expect(typeof credential.token).toBe("string");

    const [id] = token.split(".");
    const wrong = await exchange(`${id}.0000000000000000`, "join-vm0");
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { kind: string }).kind).toBe("Status");

    const badName = await exchange(token, "Not_A_Name");
    expect(badName.status).toBe(422);
    const status = (await badName.json()) as { details?: { causes?: { field?: string }[] } };
    expect(status.details?.causes?.[0]?.field).toBe("nodeName");
  });

  it("does not hand the name of an existing node to another machine, Ready or not", async () => {
    await cluster.kubectl(["apply", "-f", "-"], { stdin: node("join-taken") });
    const ready = { status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "ready" }] } };
    const patched = await cluster.kubectl(["patch", "node", "join-taken", "--subresource=status", "--type=merge", "-p", JSON.stringify(ready)]);
    expect(patched.code, patched.stderr).toBe(0);
    const token = (await joinToken("--token-only")).trim();
    const taken = await exchange(token, "join-taken");
    expect(taken.status).toBe(409);
    expect(((await taken.json()) as { message: string }).message).toContain('a Node with name "join-taken" and status "Ready" already exists');
    // A node that stopped heartbeating keeps its name too: a stolen join token cannot take it over.
    const notReady = { status: { conditions: [{ type: "Ready", status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status." }] } };
    expect((await cluster.kubectl(["patch", "node", "join-taken", "--subresource=status", "--type=merge", "-p", JSON.stringify(notReady)])).code).toBe(0);
    const stale = await exchange(token, "join-taken");
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { message: string }).message).toContain("You must delete the existing Node");
    // Once the Node is deleted, the name is free to join again.
    expect((await cluster.kubectl(["delete", "node", "join-taken"])).code).toBe(0);
    expect((await exchange(token, "join-taken")).status).toBe(200);
  });

  it("counts the uses of a token that has a limit, and deletes it when spent", async () => {
    const token = (await joinToken("--token-only", "--uses", "2")).trim();
    const [id] = token.split(".");
    const uses = async () => Buffer.from(await kubectlOk(cluster, ["-n", "kube-system", "get", "secret", `bootstrap-token-${id}`, "-o", "jsonpath={.data.uses-remaining}"]), "base64").toString();
    expect(await uses()).toBe("2");
    expect((await exchange(token, "join-uses-1")).status).toBe(200);
    expect(await uses()).toBe("1");
    // A refused join (a taken name) spends nothing.
    await cluster.kubectl(["apply", "-f", "-"], { stdin: node("join-uses-taken") });
    expect((await exchange(token, "join-uses-taken")).status).toBe(409);
    expect(await uses()).toBe("1");
    expect((await exchange(token, "join-uses-2")).status).toBe(200);
    expect((await cluster.kubectl(["-n", "kube-system", "get", "secret", `bootstrap-token-${id}`])).stderr).toContain("NotFound");
    expect((await exchange(token, "join-uses-3")).status).toBe(401);
  });

  it("lists the stored credentials by id and revokes one (npm run tokens), for system:masters only", async () => {
    const token = (await joinToken("--token-only")).trim();
    const joined = (await (await exchange(token, "join-revoked")).json()) as { token: string };
    const listed = await listTokens(cluster.kubeconfig);
    const mine = listed.find((t) => t.user === "system:node:join-revoked");
    expect(mine).toMatchObject({ kind: "node", id: expect.stringMatching(/^[0-9a-f]{12}$/) });
    // Nothing in the list is a usable token: ids are a prefix of a hash.
    expect(JSON.stringify(listed)).not.toContain(joined.token);
    const asNode = await fetch(`${cluster.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${joined.token}` }, dispatcher });
    expect(asNode.status).not.toBe(401);
    // A node may not list or revoke tokens.
    const forbidden = await fetch(`${cluster.url}/edgeplane/v1/tokens`, { headers: { authorization: `Bearer ${joined.token}` }, dispatcher });
    expect(forbidden.status).toBe(403);
    expect((await revokeToken(cluster.kubeconfig, mine!.id)).user).toBe("system:node:join-revoked");
    const after = await fetch(`${cluster.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${joined.token}` }, dispatcher });
    expect(after.status).toBe(401);
    await expect(revokeToken(cluster.kubeconfig, mine!.id)).rejects.toThrow(/404/);
    await expect(revokeToken(cluster.kubeconfig, "zz")).rejects.toThrow(/400/);
  });

  it("rejects an expired token with 401", async () => {
    await kubectlOk(cluster, [
      "-n", "kube-system", "create", "secret", "generic", "bootstrap-token-expird",
      "--type", "bootstrap.kubernetes.io/token",
      "--from-literal=token-id=expird", "--from-literal=token-secret=0123456789abcdef",
      "--from-literal=expiration=2020-01-01T00:00:00Z", "--from-literal=usage-bootstrap-authentication=true",
    ]);
    const response = await exchange("expird.0123456789abcdef", "join-vm0");
    expect(response.status).toBe(401);
  });

  it("registers its own Node and Lease, but no other node's", async () => {
    const kubectl = await asNode("join-a");
    const created = await kubectl(["create", "-f", "-"], node("join-a"));
    expect(created.code, created.stderr).toBe(0);
    const leaseCreated = await kubectl(["create", "-f", "-"], lease("join-a"));
    expect(leaseCreated.code, leaseCreated.stderr).toBe(0);
    const other = await kubectl(["create", "-f", "-"], node("join-z"));
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('User "system:node:join-a" cannot create resource "nodes"');
  });

  it("revokes a node's credential when its Node is deleted", async () => {
    const kubectl = await asNode("join-gone");
    const created = await kubectl(["create", "-f", "-"], node("join-gone"));
    expect(created.code, created.stderr).toBe(0);
    expect((await kubectl(["get", "node", "join-gone"])).code).toBe(0);
    await kubectlOk(cluster, ["delete", "node", "join-gone"]);
    const after = await kubectl(["get", "node", "join-gone"]);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/Unauthorized|provide credentials/);
    // Nor can it bring its Node back: the machine has to join again.
    expect((await kubectl(["create", "-f", "-"], node("join-gone"))).code).not.toBe(0);
  });

  it("updates its own Node and Lease; another node's are 403", async () => {
    // Joined before its Node exists, as a machine does: a name with a Node is not handed out.
    const kubectl = await asNode("join-b");
    for (const manifest of [node("join-b"), lease("join-b"), node("join-c"), lease("join-c")]) {
      const result = await cluster.kubectl(["create", "-f", "-"], { stdin: manifest });
      expect(result.code, result.stderr).toBe(0);
    }
    const labelled = await kubectl(["label", "node", "join-b", "edgeplane.dev/joined=yes"]);
    expect(labelled.code, labelled.stderr).toBe(0);
    const renewed = await kubectl(["-n", "kube-node-lease", "patch", "lease", "join-b", "--type", "merge", "-p", '{"spec":{"leaseDurationSeconds":41}}']);
    expect(renewed.code, renewed.stderr).toBe(0);

    const otherNode = await kubectl(["label", "node", "join-c", "edgeplane.dev/joined=yes"]);
    expect(otherNode.code).not.toBe(0);
    expect(otherNode.stderr).toContain('nodes "join-c" is forbidden: User "system:node:join-b" cannot patch resource "nodes"');
    const otherLease = await kubectl(["-n", "kube-node-lease", "patch", "lease", "join-c", "--type", "merge", "-p", '{"spec":{"leaseDurationSeconds":41}}']);
    expect(otherLease.code).not.toBe(0);
    expect(otherLease.stderr).toContain("forbidden");
    expect(await kubectlOk(cluster, ["get", "node", "join-c", "-o", "jsonpath={.metadata.labels}"])).not.toContain("joined");
  });

  it("reads a Secret only once a pod bound to it references it", async () => {
    await kubectlOk(cluster, ["create", "secret", "generic", "join-s1", "--from-literal=k=v"]);
    const kubectl = await asNode("join-d");
    const before = await kubectl(["get", "secret", "join-s1"]);
    expect(before.code).not.toBe(0);
    expect(before.stderr).toContain('secrets "join-s1" is forbidden: User "system:node:join-d" cannot get resource "secrets" in API group "" in the namespace "default"');
    const listAll = await kubectl(["get", "secrets"]);
    expect(listAll.code).not.toBe(0);

    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "join-p1", namespace: "default" },
      spec: {
        nodeName: "join-d",
        containers: [{ name: "c", image: "edgeplane.test/busybox:1", env: [{ name: "K", valueFrom: { secretKeyRef: { name: "join-s1", key: "k" } } }] }],
      },
    };
    const created = await cluster.kubectl(["create", "-f", "-"], { stdin: JSON.stringify(pod) });
    expect(created.code, created.stderr).toBe(0);
    const after = await kubectl(["get", "secret", "join-s1", "-o", "jsonpath={.data.k}"]);
    expect(after.code, after.stderr).toBe(0);
    expect(Buffer.from(after.stdout, "base64").toString()).toBe("v");

    const byName = await kubectl(["get", "secrets", "--field-selector", "metadata.name=join-s1", "-o", "name"]);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout.trim()).toBe("secret/join-s1");
    const otherByName = await kubectl(["get", "secrets", "--field-selector", "metadata.name=join-s2", "-o", "name"]);
    expect(otherByName.code).not.toBe(0);

    const status = await kubectl(["patch", "pod", "join-p1", "--subresource=status", "--type", "merge", "-p", '{"status":{"message":"from the node"}}']);
    expect(status.code, status.stderr).toBe(0);
    const otherNode = await asNode("join-e");
    const denied = await otherNode(["get", "secret", "join-s1"]);
    expect(denied.code).not.toBe(0);
    const deniedStatus = await otherNode(["patch", "pod", "join-p1", "--subresource=status", "--type", "merge", "-p", '{"status":{"message":"x"}}']);
    expect(deniedStatus.code).not.toBe(0);
    expect(deniedStatus.stderr).toContain('cannot patch resource "pods/status"');
  });
});

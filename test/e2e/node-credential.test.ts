// Node credentials lapse and the agent renews them, as kubelet rotates its client certificate:
// a cluster whose credentials live 20 s, a real agent (on the hollow runtime) that must keep
// heartbeating across several of them, and the endpoint's own rules through plain HTTPS.
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../../node-agent/api-client";
import { newJoinToken } from "../../scripts/create-join-token";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { startHollowNodes, type HollowNodes } from "./hollow-nodes";

const TTL_S = 20;

describe("node credentials", () => {
  let cluster: Cluster;
  let nodes: HollowNodes;
  let dispatcher: Agent;
  const renewals: number[] = [];
  let started = 0;

  beforeAll(async () => {
    cluster = await startCluster({ vars: { NODE_CREDENTIAL_TTL_SECONDS: String(TTL_S) } });
    dispatcher = new Agent({ connect: { ca: cluster.caPem } });
    started = Date.now();
    nodes = await startHollowNodes(cluster.kubeconfig, ["cred-a"], {
      onLog: (line) => {
        if (line.includes("node credential renewed")) renewals.push(Date.now());
      },
    });
  }, 120_000);

  afterAll(async () => {
    await nodes?.stop();
    await dispatcher?.close();
    await cluster?.stop();
  });

  const call = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${cluster.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      dispatcher,
    });

  it("the agent renews its credential before each lapse and keeps heartbeating past them", async () => {
    // Two renewals: the first replaces the join's credential, the second one the agent renewed.
    await eventually(async () => renewals.length >= 2, "two renewals", 60_000, 500);
    // By now the credential the agent joined with has lapsed (its life ran from the registration).
    expect(Date.now() - started).toBeGreaterThan(TTL_S * 1000);
    const leaseRenewed = async () => {
      const renewTime = await kubectlOk(cluster, ["-n", "kube-node-lease", "get", "lease", "cred-a", "-o", "jsonpath={.spec.renewTime}"]);
      return Date.now() - Date.parse(renewTime) < 12_000;
    };
    await eventually(leaseRenewed, "a Lease renewal with the renewed credential", 15_000, 500);
    expect(await kubectlOk(cluster, ["get", "node", "cred-a"])).toMatch(/^cred-a\s+Ready\s/m);
    // Each renewal left one credential; the old ones lapse (a grace of minutes, or their own end).
    const { stdout } = await cluster.kubectl(["get", "--raw", "/edgeplane/v1/tokens"]);
    const mine = (JSON.parse(stdout) as { items: { user: string; expires: string | null }[] }).items.filter((t) => t.user === "system:node:cred-a");
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.every((t) => t.expires !== null && Date.parse(t.expires) <= Date.now() + TTL_S * 1000 + 5_000)).toBe(true);
  }, 90_000);

  it("a credential past its life gets 401; one renewed from it works, and only a node's own renews", async () => {
    const admin = new ApiClient({ server: cluster.url, token: cluster.token, ca: cluster.caPem });
    const join = newJoinToken(3_600_000, "node-credential test");
    try {
      await admin.create("/api/v1/namespaces/kube-system/secrets", join.manifest);
    } finally {
      admin.close();
    }
    const joined = await call("POST", "/edgeplane/v1/join", `${join.id}.${join.secret}`, { nodeName: "cred-b" });
    expect(joined.status).toBe(200);
    const first = (await joined.json()) as { token: string; expirationTimestamp: string };
    // Unbound, it never outlives the configured life.
    expect(Date.parse(first.expirationTimestamp) - Date.now()).toBeLessThanOrEqual(TTL_S * 1000);
    const registered = await call("POST", "/api/v1/nodes", first.token, { apiVersion: "v1", kind: "Node", metadata: { name: "cred-b" } });
    expect(registered.status).toBe(201);
    // Its first use once the Node stands binds it to the Node, with a life of TTL_S from then.
    const bornAt = Date.now();
    expect((await call("GET", "/api/v1/nodes/cred-b", first.token)).status).toBe(200);

    await new Promise((r) => setTimeout(r, (TTL_S * 1000) / 2));
    const renewedResponse = await call("POST", "/edgeplane/v1/node-credential", first.token, {});
    expect(renewedResponse.status).toBe(200);
    const renewed = (await renewedResponse.json()) as { token: string; nodeName: string; expirationTimestamp: string };
    expect(renewed.nodeName).toBe("cred-b");
    expect(renewed.token).not.toBe(first.token);
    expect(Date.parse(renewed.expirationTimestamp)).toBeGreaterThan(bornAt + TTL_S * 1000);

    // Only a node's own credential renews: not the admin, not a node impersonated by the admin.
    expect((await call("POST", "/edgeplane/v1/node-credential", cluster.token, {})).status).toBe(403);
    const impersonated = await fetch(`${cluster.url}/edgeplane/v1/node-credential`, {
      method: "POST",
      headers: { authorization: `Bearer ${cluster.token}`, "impersonate-user": "system:node:cred-b", "impersonate-group": "system:nodes", "content-type": "application/json" },
      body: "{}",
      dispatcher,
    });
    expect(impersonated.status).toBe(403);

    await new Promise((r) => setTimeout(r, Math.max(0, bornAt + TTL_S * 1000 + 1_000 - Date.now())));
    expect((await call("GET", "/api/v1/nodes/cred-b", first.token)).status).toBe(401);
    expect((await call("GET", "/api/v1/nodes/cred-b", renewed.token)).status).toBe(200);
    // The lapsed one cannot renew itself back to life.
    expect((await call("POST", "/edgeplane/v1/node-credential", first.token, {})).status).toBe(401);
  }, 90_000);
});

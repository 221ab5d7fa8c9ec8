// Join tokens: parsing the bearer, the bootstrap-token Secret checks (secret, expiry, usage), the
// exchange that stores only the credential's SHA-256, and the join-token script's pure parts.
import { describe, expect, it } from "vitest";
import { authenticate, noteNodeWritten, noteTokenRevoked } from "../../worker/api/auth";
import { sha256Hex } from "../../shared/sha256";
import type { StatusError } from "../../shared/status-error";
import type { Env } from "../../worker/env";
import type { KubeObject } from "../../worker/resources/types";
import { exchangeJoinToken } from "../../worker/nodes/join";
import { DEFAULT_NODE_CREDENTIAL_TTL_S, mintNodeCredential, renewNodeCredential, RENEWED_CREDENTIAL_GRACE_MS, UNBOUND_CREDENTIAL_TTL_MS } from "../../worker/nodes/node-credential";
import { renewalDeadline } from "../../node-agent/node/credential-rotation";
import { dnsSubdomainError, parseJoinToken, rejectReason } from "../../worker/nodes/join-token";
import { installScript } from "../../worker/nodes/install-script";
import { installCommand, newJoinToken, parseTtlMs } from "../../scripts/create-join-token";
import { FakeStore } from "./fake-store";

const NOW = new Date("2030-01-01T00:00:00Z");
const TOKEN = { id: "abcdef", secret: "0123456789abcdef" };

function bootstrapSecret(data: Record<string, string>, type = "bootstrap.kubernetes.io/token"): KubeObject {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, btoa(v)]));
  return { apiVersion: "v1", kind: "Secret", metadata: { name: "bootstrap-token-abcdef", namespace: "kube-system" }, type, data: encoded };
}

const VALID = {
  "token-id": "abcdef",
  "token-secret": "0123456789abcdef",
  expiration: "2030-01-02T00:00:00Z",
  "usage-bootstrap-authentication": "true",
};

describe("parseJoinToken", () => {
  it.each([
    ["Bearer abcdef.0123456789abcdef", TOKEN],
    ["bearer abcdef.0123456789abcdef ", TOKEN],
    ["Bearer ABCDEF.0123456789abcdef", null],
    ["Bearer abcdef.0123456789abcde", null],
    ["Bearer abcdef0123456789abcdef", null],
    ["Basic abcdef.0123456789abcdef", null],
    ["", null],
    [null, null],
  ])("%s", (header, expected) => {
    expect(parseJoinToken(header)).toEqual(expected);
  });
});

describe("rejectReason", () => {
  it.each([
    ["a valid token", bootstrapSecret(VALID), undefined],
    ["no expiration", bootstrapSecret({ ...VALID, expiration: "" }), "expiration is not RFC3339"],
    ["missing secret", null, "no such token"],
    ["wrong type", bootstrapSecret(VALID, "Opaque"), "secret type is not bootstrap.kubernetes.io/token"],
    ["wrong secret", bootstrapSecret({ ...VALID, "token-secret": "0123456789abcdeX" }), "token-secret does not match"],
    ["wrong id", bootstrapSecret({ ...VALID, "token-id": "zzzzzz" }), "token-id does not match"],
    ["expired", bootstrapSecret({ ...VALID, expiration: "2029-12-31T23:59:59Z" }), "token has expired"],
    ["not for authentication", bootstrapSecret({ ...VALID, "usage-bootstrap-authentication": "false" }), "token is not usable for authentication"],
  ])("%s", (_what, secret, reason) => {
    expect(rejectReason(secret, TOKEN, NOW)).toBe(reason);
  });

  it("accepts a token without an expiration key", () => {
    const { expiration: _dropped, ...noExpiry } = VALID;
    expect(rejectReason(bootstrapSecret(noExpiry), TOKEN, NOW)).toBeUndefined();
  });
});

describe("dnsSubdomainError", () => {
  it.each([["vm1", true], ["vm-1.example.com", true], ["VM1", false], ["-vm", false], ["vm_1", false], ["a".repeat(254), false]])(
    "%s",
    (name, ok) => expect(dnsSubdomainError(name) === undefined).toBe(ok),
  );
});

describe("exchangeJoinToken", () => {
  const env = {} as Env;
  async function seeded(data = VALID): Promise<FakeStore> {
    const store = new FakeStore();
    await store.create({ group: "", resource: "secrets", namespace: "kube-system", name: "bootstrap-token-abcdef" }, bootstrapSecret(data));
    return store;
  }

  it("issues a node credential stored only as its SHA-256", async () => {
    const store = await seeded();
    const credential = await exchangeJoinToken(store, "Bearer abcdef.0123456789abcdef", { nodeName: "vm1" }, NOW);
    expect(credential).toMatchObject({ kind: "NodeCredential", apiVersion: "edgeplane.dev/v1", nodeName: "vm1" });
    expect(credential.token.length).toBeGreaterThanOrEqual(40);
    const record = await store.getToken(await sha256Hex(credential.token));
    // Bound to nothing yet: it lapses within the hour unless its Node appears.
    expect(record).toMatchObject({ kind: "node", scope: "vm1", user: "system:node:vm1", expiresAt: NOW.getTime() + UNBOUND_CREDENTIAL_TTL_MS });
    const request = new Request("https://x/api", { headers: { authorization: `Bearer ${credential.token}` } });
    const at = NOW.getTime() + 1000;
    expect(await authenticate(request, env, store, at)).toEqual({ user: "system:node:vm1", kind: "node", scope: "vm1", expiresAt: NOW.getTime() + UNBOUND_CREDENTIAL_TTL_MS });
    await expect(authenticate(request, env, store, NOW.getTime() + UNBOUND_CREDENTIAL_TTL_MS + 20_000)).rejects.toThrow(/Unauthorized/);

    // Its Node appears: the credential binds to it, gets a full life, and dies with it.
    const nodeKey = { group: "", resource: "nodes", namespace: "", name: "vm1" };
    await store.create(nodeKey, { apiVersion: "v1", kind: "Node", metadata: { name: "vm1", uid: "node-uid-1" } });
    noteNodeWritten(nodeKey);
    const fullLife = at + DEFAULT_NODE_CREDENTIAL_TTL_S * 1000;
    expect((await authenticate(request, env, store, at)).expiresAt).toBe(fullLife);
    expect(await store.getToken(await sha256Hex(credential.token))).toMatchObject({ boundUid: "node-uid-1", expiresAt: fullLife });
    noteNodeWritten(nodeKey);
    await expect(authenticate(request, env, store, fullLife + 1)).rejects.toThrow(/Unauthorized/);
    await store.delete(nodeKey);
    noteNodeWritten(nodeKey);
    await expect(authenticate(request, env, store, at)).rejects.toThrow(/Unauthorized/);
  });

  it("never mints an unbound credential that outlives NODE_CREDENTIAL_TTL_SECONDS", async () => {
    const store = await seeded();
    const credential = await exchangeJoinToken(store, "Bearer abcdef.0123456789abcdef", { nodeName: "vm1" }, NOW, undefined, 8_000);
    expect(Date.parse(credential.expirationTimestamp)).toBe(NOW.getTime() + 8_000);
  });

  it.each([
    ["no token", null],
    ["a wrong secret", "Bearer abcdef.0123456789abcdee"],
    ["an unknown id", "Bearer zzzzzz.0123456789abcdef"],
  ])("answers 401 for %s", async (_what, header) => {
    const store = await seeded();
    const error = await exchangeJoinToken(store, header, { nodeName: "vm1" }, NOW).catch((e: unknown) => e);
    expect((error as StatusError).code).toBe(401);
  });

  it("answers 401 for an expired token", async () => {
    const store = await seeded({ ...VALID, expiration: "2029-01-01T00:00:00Z" });
    const error = await exchangeJoinToken(store, "Bearer abcdef.0123456789abcdef", { nodeName: "vm1" }, NOW).catch((e: unknown) => e);
    expect((error as StatusError).code).toBe(401);
  });

  it.each([[{ nodeName: "Bad_Name" }], [{}], [{ nodeName: 7 }]])("answers 422 naming nodeName for %j", async (body) => {
    const store = await seeded();
    const error = (await exchangeJoinToken(store, "Bearer abcdef.0123456789abcdef", body, NOW).catch((e: unknown) => e)) as StatusError;
    expect(error.code).toBe(422);
    expect(error.toStatus().details?.causes?.[0]?.field).toBe("nodeName");
  });
});

describe("renewNodeCredential", () => {
  const env = { NODE_CREDENTIAL_TTL_SECONDS: "7200" } as Env;
  const LIFE = 7_200_000;
  const T = NOW.getTime();
  const bearer = (token: string) => `Bearer ${token}`;
  const authAt = (store: FakeStore, token: string, at: number) =>
    authenticate(new Request("https://x/api", { headers: { authorization: bearer(token) } }), env, store, at);

  async function boundCredential(store: FakeStore): Promise<string> {
    const old = await mintNodeCredential(store, "vm1", T + LIFE, "node-uid-1");
    await store.create({ group: "", resource: "nodes", namespace: "", name: "vm1" }, { apiVersion: "v1", kind: "Node", metadata: { name: "vm1", uid: "node-uid-1" } });
    return old.token;
  }

  it("gives a bound credential a full life, bound to the same Node, and the old one a grace period only", async () => {
    const store = new FakeStore();
    const old = await boundCredential(store);
    const at = T + LIFE - 100_000;
    const { credential, replacedHash } = await renewNodeCredential(store, env, bearer(old), at);
    expect(replacedHash).toBe(await sha256Hex(old));
    expect(credential).toMatchObject({ kind: "NodeCredential", nodeName: "vm1", expirationTimestamp: new Date(at + LIFE).toISOString().replace(/\.\d+Z$/, "Z") });
    expect(await store.getToken(await sha256Hex(credential.token))).toMatchObject({ scope: "vm1", kind: "node", boundUid: "node-uid-1", expiresAt: at + LIFE });
    // The old one had 100 s left, less than the grace: unchanged. A later renewal cuts the new one's to the grace.
    expect((await store.getToken(replacedHash))?.expiresAt).toBe(T + LIFE);
    const again = await renewNodeCredential(store, env, bearer(credential.token), at + 1_000);
    expect((await store.getToken(await sha256Hex(credential.token)))?.expiresAt).toBe(at + 1_000 + RENEWED_CREDENTIAL_GRACE_MS);
    expect((await authAt(store, again.credential.token, at + 2_000)).user).toBe("system:node:vm1");
    noteTokenRevoked(await sha256Hex(credential.token));
    await expect(authAt(store, credential.token, at + 1_000 + RENEWED_CREDENTIAL_GRACE_MS + 1)).rejects.toThrow(/Unauthorized/);
  });

  it("is refused for anything but a node credential, and for no credential", async () => {
    const store = new FakeStore();
    await store.putToken({ hash: await sha256Hex("sa-token"), user: "system:serviceaccount:ns:sa", kind: "serviceaccount", scope: "ns", expiresAt: null });
    expect(((await renewNodeCredential(store, env, bearer("sa-token"), T).catch((e: unknown) => e)) as StatusError).code).toBe(403);
    expect(((await renewNodeCredential(store, env, bearer("unknown"), T).catch((e: unknown) => e)) as StatusError).code).toBe(403);
    expect(((await renewNodeCredential(store, env, null, T).catch((e: unknown) => e)) as StatusError).code).toBe(401);
  });

  it("dates a credential bound before credentials lapsed", async () => {
    const store = new FakeStore();
    const legacy = await mintNodeCredential(store, "vm1", T, "node-uid-1");
    await store.putToken({ ...(await store.getToken(await sha256Hex(legacy.token)))!, expiresAt: null });
    await store.create({ group: "", resource: "nodes", namespace: "", name: "vm1" }, { apiVersion: "v1", kind: "Node", metadata: { name: "vm1", uid: "node-uid-1" } });
    expect((await authAt(store, legacy.token, T + 1)).expiresAt).toBe(T + 1 + 7_200_000);
  });
});

describe("renewalDeadline", () => {
  it("falls between 70 % and 90 % of the life, and at once when the life is unknown", () => {
    const credential = { token: "t", issuedAt: 1_000, expiresAt: 11_000 };
    expect(renewalDeadline(credential, 5_000, 0)).toBe(8_000);
    expect(renewalDeadline(credential, 5_000, 1)).toBe(10_000);
    expect(renewalDeadline({ token: "t" }, 5_000)).toBe(5_000);
  });
});

describe("create-join-token", () => {
  it.each([["24h", 86_400_000], ["1h30m", 5_400_000], ["90s", 90_000], ["0", 0]])("ttl %s", (text, ms) => {
    expect(parseTtlMs(text)).toBe(ms);
  });
  it.each([["1d"], ["h"], ["-1h"], ["24"]])("rejects ttl %s", (text) => {
    expect(() => parseTtlMs(text)).toThrow(/--ttl/);
  });

  it("makes a kubeadm bootstrap-token Secret", () => {
    const token = newJoinToken(3_600_000, "test", new Date("2030-01-01T00:00:00.123Z"));
    expect(token.id).toMatch(/^[a-z0-9]{6}$/);
    expect(token.secret).toMatch(/^[a-z0-9]{16}$/);
    expect(token.manifest).toMatchObject({
      metadata: { name: `bootstrap-token-${token.id}`, namespace: "kube-system" },
      type: "bootstrap.kubernetes.io/token",
      stringData: { "token-id": token.id, "token-secret": token.secret, expiration: "2030-01-01T01:00:00Z", "usage-bootstrap-authentication": "true" },
    });
    expect(newJoinToken(0, "x").expiration).toBeUndefined();
  });

  it("prints the install one-liner", () => {
    expect(installCommand("https://cp.example", "abcdef.0123456789abcdef")).toBe(
      "curl -fsSL https://cp.example/install.sh | sudo sh -s -- --token abcdef.0123456789abcdef",
    );
  });
});

describe("installScript", () => {
  it("defaults --server to the origin it was served from", () => {
    const script = installScript("https://127.0.0.1:8443");
    expect(script.startsWith("#!/bin/sh\n")).toBe(true);
    expect(script).toContain("SERVER='https://127.0.0.1:8443'");
    expect(script).not.toContain("__EDGEPLANE_SERVER__");
  });
  it("refuses a server that is not an origin", () => {
    expect(() => installScript("https://x/'; rm -rf /")).toThrow();
  });
});

// Join tokens: parsing the bearer, the bootstrap-token Secret checks (secret, expiry, usage), the
// exchange that stores only the credential's SHA-256, and the join-token script's pure parts.
import { describe, expect, it } from "vitest";
import { authenticate, noteNodeWritten, sha256Hex } from "../../worker/api/auth";
import type { StatusError } from "../../shared/status-error";
import type { Env } from "../../worker/env";
import type { KubeObject } from "../../worker/resources/types";
import { exchangeJoinToken, UNBOUND_CREDENTIAL_TTL_MS } from "../../worker/nodes/join";
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

    // Its Node appears: the credential binds to it for good, and dies with it.
    const nodeKey = { group: "", resource: "nodes", namespace: "", name: "vm1" };
    await store.create(nodeKey, { apiVersion: "v1", kind: "Node", metadata: { name: "vm1", uid: "node-uid-1" } });
    noteNodeWritten(nodeKey);
    expect((await authenticate(request, env, store, at)).expiresAt).toBeNull();
    expect(await store.getToken(await sha256Hex(credential.token))).toMatchObject({ boundUid: "node-uid-1", expiresAt: null });
    await store.delete(nodeKey);
    noteNodeWritten(nodeKey);
    await expect(authenticate(request, env, store, at)).rejects.toThrow(/Unauthorized/);
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

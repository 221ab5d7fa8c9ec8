// A browser's WebSocket credential, the `base64url.bearer.authorization.k8s.io.` subprotocol: read
// as kube-apiserver's websocket protocol authenticator reads it, refused with a plain 401 when bad,
// and never passed on to the node's tunnel.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authenticate } from "../../worker/api/auth";
import { isWebSocketRequest, protocolsWithoutBearer, webSocketBearer } from "../../worker/api/websocket-bearer";
import { BEARER_PROTOCOL_PREFIX, bearerProtocol } from "../../shared/bearer-protocol";
import { internalHeaders } from "../../worker/tunnel/protocol";
import { sha256Hex } from "../../shared/sha256";
import { StatusError } from "../../shared/status-error";
import type { Env } from "../../worker/env";
import { FakeStore } from "./fake-store";

const ADMIN_TOKEN = "admin-token-for-tests";

/** base64url without padding, as the console (and kubectl's client-go) encode it. */
function encode(token: string): string {
  return Buffer.from(token, "utf8").toString("base64url");
}

function upgrade(protocols: string, extra: Record<string, string> = {}): Headers {
  return new Headers({ connection: "Upgrade", upgrade: "websocket", "sec-websocket-protocol": protocols, ...extra });
}

describe("webSocketBearer", () => {
  it("reads the token of a WebSocket upgrade, beside the protocol to be chosen", () => {
    const headers = upgrade(`v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}${encode("abc.DEF-123_x")}`);
    expect(webSocketBearer(headers)).toEqual({ kind: "token", token: "abc.DEF-123_x" });
    // Every length a base64 tail can have, and bytes that take "-" and "_".
    for (const token of ["a", "ab", "abc", "abcd", "\u00ff\u00fe>?", "tøken"]) {
      expect(webSocketBearer(upgrade(`v4.channel.k8s.io,${BEARER_PROTOCOL_PREFIX}${encode(token)}`))).toEqual({ kind: "token", token });
    }
  });

  it("knows an upgrade as wsstream.IsWebSocketRequest does: Connection names upgrade, Upgrade is websocket", () => {
    expect(isWebSocketRequest(new Headers({ connection: "keep-alive, Upgrade", upgrade: "WebSocket" }))).toBe(true);
    expect(isWebSocketRequest(new Headers({ connection: "upgrade,keep-alive", upgrade: "websocket" }))).toBe(true);
    expect(isWebSocketRequest(new Headers({ upgrade: "websocket" }))).toBe(false);
    expect(isWebSocketRequest(new Headers({ connection: "upgraded", upgrade: "websocket" }))).toBe(false);
    expect(isWebSocketRequest(new Headers({ connection: "Upgrade", upgrade: "h2c" }))).toBe(false);
  });

  it("has nothing to say about a request that is not an upgrade, or carries no token entry", () => {
    const entry = `v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}${encode("abc")}`;
    expect(webSocketBearer(new Headers({ "sec-websocket-protocol": entry }))).toEqual({ kind: "none" });
    expect(webSocketBearer(new Headers({ upgrade: "websocket", "sec-websocket-protocol": entry }))).toEqual({ kind: "none" });
    expect(webSocketBearer(upgrade("v5.channel.k8s.io, v4.channel.k8s.io"))).toEqual({ kind: "none" });
    expect(webSocketBearer(new Headers({ connection: "Upgrade", upgrade: "websocket" }))).toEqual({ kind: "none" });
  });

  it("refuses padding, as Go's RawURLEncoding does (a browser refuses \"=\" in a subprotocol anyway)", () => {
    expect(encode("ab")).toBe("YWI");
    expect(webSocketBearer(upgrade(`v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}YWI=`))).toEqual({ kind: "invalid", reason: "invalid base64.bearer.authorization token encoding" });
    expect(webSocketBearer(upgrade(`v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}YQ==`)).kind).toBe("invalid");
  });

  it("refuses malformed base64: the standard alphabet's + and /, an impossible length, other bytes", () => {
    for (const bad of ["a+b/", "abcde", "ab cd", "ab.c", "%41%42", "\u00e9t\u00e9"]) {
      expect(webSocketBearer(upgrade(`v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}${bad}`)), bad).toEqual({ kind: "invalid", reason: "invalid base64.bearer.authorization token encoding" });
    }
    // Bytes that are not UTF-8 (0xff 0xfe).
    expect(webSocketBearer(upgrade(`v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}__4`))).toEqual({ kind: "invalid", reason: "invalid base64.bearer.authorization token" });
  });

  it("refuses an empty token, two token entries, and a token with no protocol left to choose", () => {
    expect(webSocketBearer(upgrade(`v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}`)).kind).toBe("invalid");
    const a = `${BEARER_PROTOCOL_PREFIX}${encode("a")}`;
    const b = `${BEARER_PROTOCOL_PREFIX}${encode("b")}`;
    expect(webSocketBearer(upgrade(`v5.channel.k8s.io, ${a}, ${b}`))).toEqual({ kind: "invalid", reason: "multiple base64.bearer.authorization tokens specified" });
    expect(webSocketBearer(upgrade(a))).toEqual({ kind: "invalid", reason: "missing additional subprotocol" });
  });

  it("never throws, whatever the client sends", () => {
    // Any byte a header value may hold (no NUL, CR or LF), the token entry's tail most of all.
    const text = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)) });
    fc.assert(
      fc.property(text, text, (tail, other) => {
        const value = `${other},${BEARER_PROTOCOL_PREFIX}${tail}`;
        const result = webSocketBearer(upgrade(value));
        expect(["none", "token", "invalid"]).toContain(result.kind);
      }),
    );
  });
});

describe("the token goes no further", () => {
  it("drops the token entry from the list passed on, keeping the others in order", () => {
    const entry = `${BEARER_PROTOCOL_PREFIX}${encode("secret")}`;
    expect(protocolsWithoutBearer(`v5.channel.k8s.io, ${entry}, v4.channel.k8s.io`)).toBe("v5.channel.k8s.io, v4.channel.k8s.io");
    expect(protocolsWithoutBearer(entry)).toBeNull();
    expect(protocolsWithoutBearer(null)).toBeNull();
  });

  it("is not among the headers the node's tunnel sees", () => {
    const entry = `${BEARER_PROTOCOL_PREFIX}${encode("secret")}`;
    const passed = internalHeaders(upgrade(`v5.channel.k8s.io, ${entry}`, { authorization: "Bearer secret" }), "stream", "vm1");
    expect(passed.get("sec-websocket-protocol")).toBe("v5.channel.k8s.io");
    expect(passed.get("authorization")).toBeNull();
    expect([...passed.values()].join("\n")).not.toContain(encode("secret"));
    expect(internalHeaders(upgrade(entry), "stream", "vm1").has("sec-websocket-protocol")).toBe(false);
  });
});

describe("authenticate", () => {
  const store = new FakeStore();
  const envOf = async (): Promise<Env> => ({ ADMIN_TOKEN_SHA256: await sha256Hex(ADMIN_TOKEN) }) as Env;
  const request = (headers: Headers) => new Request("https://x/api/v1/namespaces/default/pods/p/exec", { headers });
  const refusal = async (headers: Headers): Promise<unknown> => {
    try {
      await authenticate(request(headers), await envOf(), store);
      return "authenticated";
    } catch (error) {
      return error instanceof StatusError ? error.toStatus() : error;
    }
  };

  it("takes the subprotocol's token for a WebSocket upgrade", async () => {
    const headers = upgrade(`v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}${encode(ADMIN_TOKEN)}`);
    expect(await authenticate(request(headers), await envOf(), store)).toMatchObject({ user: "admin", kind: "admin" });
  });

  it("keeps taking the Authorization header, with or without an upgrade", async () => {
    const env = await envOf();
    expect(await authenticate(request(new Headers({ authorization: `Bearer ${ADMIN_TOKEN}` })), env, store)).toMatchObject({ kind: "admin" });
    const kubectl = upgrade("v5.channel.k8s.io, v4.channel.k8s.io", { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(await authenticate(request(kubectl), env, store)).toMatchObject({ kind: "admin" });
  });

  it("answers a plain 401 Status for a bad, empty or unknown token, and for one outside an upgrade", async () => {
    const status = { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Unauthorized", code: 401, message: "Unauthorized" };
    const cases = [
      upgrade(`v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}`),
      upgrade(`v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}not base64!`),
      upgrade(`v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}${encode(ADMIN_TOKEN)}=`),
      upgrade(`v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}${encode("someone-else")}`),
      upgrade(`${BEARER_PROTOCOL_PREFIX}${encode(ADMIN_TOKEN)}`),
      new Headers({ "sec-websocket-protocol": `v5.channel.k8s.io, ${BEARER_PROTOCOL_PREFIX}${encode(ADMIN_TOKEN)}` }),
    ];
    for (const headers of cases) expect(await refusal(headers), headers.get("sec-websocket-protocol") ?? "").toMatchObject(status);
  });

  it("reads back the token the console's bearerProtocol writes, any text included", () => {
    for (const token of ["abc.DEF", "ü-ñ/+=?", "x".repeat(300)]) {
      expect(webSocketBearer(upgrade(`v5.channel.k8s.io, ${bearerProtocol(token)}`))).toEqual({ kind: "token", token });
    }
  });
});

// The ingress data path for real: the routing table rendered for nginx (Debian's package),
// started and reloaded by the agent's supervisor, in front of plain HTTP servers on loopback
// standing in for pods. Host and path precedence as the Ingress spec defines it, TLS by SNI,
// redirects, rewrite-target, body limits, forwarded headers, WebSockets, HTTP/2, load spread,
// and a reload that drops nothing in flight. Everything listens and connects on 127.0.0.1.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect as http2Connect } from "node:http2";
import type { TLSSocket } from "node:tls";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket, WebSocketServer } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../../scripts/lib/local-cluster";
import { requireTool } from "../e2e/harness";
import { selfSignedPem } from "../e2e/tls-certs";
import { defaultCertificate, DEFAULT_CERTIFICATE_CN } from "../../node-agent/ingress/default-certificate";
import { renderNginxConfig } from "../../node-agent/ingress/nginx-config";
import { NginxProcess } from "../../node-agent/ingress/nginx-process";
import { buildRouteTable } from "../../node-agent/ingress/routes";
import type { Ingress, IngressClass, TlsSecret } from "../../node-agent/ingress/types";
import type { EndpointSlice, Service } from "../../node-agent/network/service-catalog";

const HAVE_NGINX = requireTool("nginx");
const LOOPBACK = "127.0.0.1";

/** A self-signed certificate for `names`, as a kubernetes.io/tls Secret's data. */
async function tlsData(names: string[]): Promise<Record<string, string>> {
  const { cert, key } = await selfSignedPem(names);
  return { "tls.crt": Buffer.from(cert).toString("base64"), "tls.key": Buffer.from(key).toString("base64") };
}

interface Reply {
  backend: string;
  url: string;
  headers: IncomingHttpHeaders;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** CN of the certificate the server showed (HTTPS only). */
  certificate?: string;
}

/** A "pod": answers every request with its name, the URL it saw and the headers. */
async function backend(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url?.startsWith("/slow")) {
      setTimeout(() => res.end(JSON.stringify({ backend: name, url: req.url, headers: req.headers })), 1_500);
      return;
    }
    req.resume();
    req.on("end", () => res.end(JSON.stringify({ backend: name, url: req.url ?? "", headers: req.headers } satisfies Reply)));
  });
  const wss = new WebSocketServer({ server });
  wss.on("connection", (socket) => socket.on("message", (data) => socket.send(`${name} echo ${String(data)}`)));
  const port = await findFreePort(LOOPBACK);
  await new Promise<void>((resolve) => server.listen(port, LOOPBACK, resolve));
  return { server, port };
}

const ingress = (name: string, spec: Ingress["spec"], annotations?: Record<string, string>, created = "2026-01-01T00:00:00Z"): Ingress => ({
  metadata: { name, namespace: "default", annotations, creationTimestamp: created },
  spec,
});
const svcBackend = (name: string, port: number | string = 80) => ({ service: { name, port: typeof port === "number" ? { number: port } : { name: port } } });

describe.skipIf(!HAVE_NGINX)("nginx as the ingress data path", () => {
  let dir: string;
  let httpPort: number;
  let httpsPort: number;
  const servers: Server[] = [];
  const services = new Map<string, Service>();
  const slices = new Map<string, EndpointSlice[]>();
  const secrets = new Map<string, TlsSecret>();
  let ingresses: Ingress[] = [];
  let classes: IngressClass[] = [];
  let nginx: NginxProcess;
  let defaultPem: string;
  const logs: string[] = [];

  /** A Service `name` (port 80 named http) whose ready endpoints are these backends. */
  async function service(name: string, pods: string[], notReady: string[] = []): Promise<void> {
    const endpoints = [];
    for (const pod of [...pods, ...notReady]) {
      const { server, port } = await backend(pod);
      servers.push(server);
      // Each "pod" listens on its own port; slices carry one port, so each gets its own slice.
      endpoints.push({ pod, port, ready: !notReady.includes(pod) });
    }
    services.set(`default/${name}`, { metadata: { name, namespace: "default" }, spec: { ports: [{ name: "http", port: 80, protocol: "TCP" }] } });
    slices.set(name, endpoints.map((e) => ({
      metadata: { name: `${name}-${e.pod}`, namespace: "default", labels: { "kubernetes.io/service-name": name } },
      addressType: "IPv4",
      ports: [{ name: "http", port: e.port, protocol: "TCP" }],
      endpoints: [{ addresses: [LOOPBACK], conditions: { ready: e.ready } }],
    })));
  }

  async function apply(): Promise<void> {
    const table = buildRouteTable({ ingresses, classes, services, slicesOf: (_ns, name) => slices.get(name) ?? [], secrets });
    await nginx.apply((paths) => renderNginxConfig(table, { ...paths, httpPort, httpsPort, bindAddress: LOOPBACK, defaultCertificate: defaultPem, http2: nginx.http2 }));
  }

  function send(host: string, path: string, options: { tls?: boolean; method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers = { host, ...options.headers };
      const common = { host: LOOPBACK, path, method: options.method ?? "GET", headers, agent: false as const };
      const onResponse = (res: import("node:http").IncomingMessage) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => (body += c));
        res.on("end", () => {
          const peer = options.tls ? (res.socket as TLSSocket).getPeerCertificate?.() : undefined;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, certificate: [peer?.subject?.CN].flat()[0] });
        });
      };
      const req = options.tls
        ? httpsRequest({ ...common, port: httpsPort, servername: host, rejectUnauthorized: false }, onResponse)
        : httpRequest({ ...common, port: httpPort }, onResponse);
      req.on("error", reject);
      req.setTimeout(10_000, () => req.destroy(new Error(`timeout ${host}${path}`)));
      req.end(options.body);
    });
  }

  const reply = (a: Answer): Reply => JSON.parse(a.body) as Reply;
  const routedTo = async (host: string, path: string, tls = true) => {
    const answer = await send(host, path, { tls });
    return answer.status === 200 ? `${reply(answer).backend} ${reply(answer).url}` : `${answer.status}`;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "edgeplane-ingress-"));
    httpPort = await findFreePort(LOOPBACK);
    httpsPort = await findFreePort(LOOPBACK);
    defaultPem = await defaultCertificate(join(dir, "default.pem"));
    nginx = new NginxProcess(join(dir, "nginx"), (m) => logs.push(m));
    expect(await nginx.available()).toBe(true);
    await service("analytics", ["analytics-a", "analytics-b", "analytics-c"], ["analytics-unready"]);
    await service("shopping", ["shopping-a"]);
    await service("web", ["web-a"]);
    await service("fallback", ["fallback-a"]);
    secrets.set("default/myapp-tls", { metadata: { name: "myapp-tls", namespace: "default" }, type: "kubernetes.io/tls", data: await tlsData(["myapp.com"]) });
    secrets.set("default/named-tls", { metadata: { name: "named-tls", namespace: "default" }, type: "kubernetes.io/tls", data: await tlsData(["named.example"]) });
    secrets.set("default/wild-tls", { metadata: { name: "wild-tls", namespace: "default" }, type: "kubernetes.io/tls", data: await tlsData(["*.wild.example"]) });
    ingresses = [
      // The course's fan-out (multiple paths on one host) with TLS, as networking.k8s.io/v1.
      ingress("fanout", {
        tls: [{ hosts: ["myapp.com"], secretName: "myapp-tls" }],
        rules: [{ host: "myapp.com", http: { paths: [
          { path: "/analytics", pathType: "Prefix", backend: svcBackend("analytics") },
          { path: "/shopping", pathType: "Prefix", backend: svcBackend("shopping", "http") },
          { path: "/shopping/cart", pathType: "Exact", backend: svcBackend("web") },
          { path: "/", pathType: "Prefix", backend: svcBackend("web") },
        ] } }],
      }),
      // The course's two subdomains.
      ingress("virtual-hosts", { rules: [
        { host: "analytics.myapp.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: svcBackend("analytics") }] } },
        { host: "shopping.myapp.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: svcBackend("shopping") }] } },
      ] }),
      ingress("wildcard", {
        tls: [{ hosts: ["*.wild.example"], secretName: "wild-tls" }],
        rules: [{ host: "*.wild.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: svcBackend("web") }] } }],
      }, { "nginx.ingress.kubernetes.io/ssl-redirect": "false" }),
      // A TLS entry without hosts serves the names its certificate is for.
      ingress("tls-no-hosts", {
        tls: [{ secretName: "named-tls" }],
        rules: [{ host: "named.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: svcBackend("web") }] } }],
      }),
      ingress("rewrite", { rules: [{ host: "rewrite.example", http: { paths: [
        { path: "/something(/|$)(.*)", pathType: "ImplementationSpecific", backend: svcBackend("shopping") },
      ] } }] }, { "nginx.ingress.kubernetes.io/rewrite-target": "/$2", "nginx.ingress.kubernetes.io/proxy-body-size": "1k" }),
      // An Exact path with a trailing slash; "/foo" itself must route as any other path would.
      ingress("trailing", { rules: [
        { host: "trailing.example", http: { paths: [
          { path: "/foo/", pathType: "Exact", backend: svcBackend("web") },
          { path: "/", pathType: "Prefix", backend: svcBackend("shopping") },
        ] } },
        { host: "trailing-only.example", http: { paths: [{ path: "/foo/", pathType: "Exact", backend: svcBackend("web") }] } },
      ] }),
      ingress("resource", { rules: [{ host: "bucket.example", http: { paths: [
        { path: "/", pathType: "Prefix", backend: { resource: { apiGroup: "example.com", kind: "Bucket", name: "assets" } } },
      ] } }] }),
      ingress("other-class", { ingressClassName: "nginx", rules: [{ host: "nginx-only.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: svcBackend("web") }] } }] }),
      // An Ingress with a default backend: requests no rule matches go there.
      ingress("with-default", { defaultBackend: svcBackend("fallback") }, undefined, "2026-01-02T00:00:00Z"),
    ];
    classes = [{ metadata: { name: "nginx" }, spec: { controller: "k8s.io/ingress-nginx" } }];
    await apply();
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const s of servers) s.closeAllConnections?.(), s.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("routes by path on one host: longest prefix, element-wise, Exact before Prefix", async () => {
    expect(await routedTo("myapp.com", "/analytics")).toMatch(/^analytics-. \/analytics$/);
    expect(await routedTo("myapp.com", "/analytics/report?day=1")).toMatch(/^analytics-. \/analytics\/report\?day=1$/);
    expect(await routedTo("myapp.com", "/analyticsfoo")).toBe("web-a /analyticsfoo");
    expect(await routedTo("myapp.com", "/shopping/")).toBe("shopping-a /shopping/");
    expect(await routedTo("myapp.com", "/shopping/cart")).toBe("web-a /shopping/cart");
    expect(await routedTo("myapp.com", "/shopping/cart/items")).toBe("shopping-a /shopping/cart/items");
    expect(await routedTo("MyApp.com", "/")).toBe("web-a /");
  });

  it("routes by host, exact and wildcard (one label only), and sends the rest to the default backend", async () => {
    expect(await routedTo("analytics.myapp.com", "/x", false)).toMatch(/^analytics-. \/x$/);
    expect(await routedTo("shopping.myapp.com:8080", "/x", false)).toBe("shopping-a /x");
    expect(await routedTo("a.wild.example", "/w")).toBe("web-a /w");
    expect(await routedTo("a.b.wild.example", "/w")).toBe("fallback-a /w");
    expect(await routedTo("unknown.example", "/u", false)).toBe("fallback-a /u");
  });

  it("routes a path one slash short of an Exact path as the other rules say, not with a redirect", async () => {
    expect(await routedTo("trailing.example", "/foo/", false)).toBe("web-a /foo/");
    expect(await routedTo("trailing.example", "/foo", false)).toBe("shopping-a /foo");
    expect(await routedTo("trailing-only.example", "/foo", false)).toBe("fallback-a /foo");
  });

  it("leaves an Ingress of another class alone", async () => {
    expect(await routedTo("nginx-only.example", "/", false)).toBe("fallback-a /");
  });

  it("spreads requests over every ready endpoint and never sends to a not-ready one", async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const b = reply(await send("analytics.myapp.com", "/spread")).backend;
      seen.set(b, (seen.get(b) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(["analytics-a", "analytics-b", "analytics-c"]);
    for (const count of seen.values()) expect(count).toBeGreaterThanOrEqual(10);
  });

  it("serves TLS by SNI from the Secrets, the default certificate for other names, and HTTP/2", async () => {
    expect((await send("myapp.com", "/", { tls: true })).certificate).toBe("myapp.com");
    expect((await send("x.wild.example", "/", { tls: true })).certificate).toBe("*.wild.example");
    expect((await send("unknown.example", "/", { tls: true })).certificate).toBe(DEFAULT_CERTIFICATE_CN);
    expect((await send("named.example", "/", { tls: true })).certificate).toBe("named.example");
    const session = http2Connect(`https://myapp.com:${httpsPort}`, { host: LOOPBACK, servername: "myapp.com", rejectUnauthorized: false });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ":path": "/analytics/h2", ":authority": "myapp.com" });
        let data = "";
        stream.setEncoding("utf8").on("data", (c: string) => (data += c)).on("end", () => resolve(data)).on("error", reject);
      });
      expect((JSON.parse(body) as Reply).url).toBe("/analytics/h2");
      // HTTP/2's :authority stands for the Host header.
      expect((JSON.parse(body) as Reply).headers["x-forwarded-host"]).toBe("myapp.com");
      expect(session.alpnProtocol).toBe("h2");
    } finally {
      session.close();
    }
  });

  it("redirects plain HTTP to HTTPS for TLS hosts (308), unless ssl-redirect is false", async () => {
    const redirected = await send("myapp.com", "/analytics?x=1");
    expect(redirected.status).toBe(308);
    // The HTTPS port is named when it is not 443 (`npm start` serves 8443).
    expect(redirected.headers.location).toBe(`https://myapp.com:${httpsPort}/analytics?x=1`);
    expect((await send("a.wild.example", "/plain")).status).toBe(200);
  });

  it("rewrites with rewrite-target's capture groups and limits bodies with proxy-body-size", async () => {
    expect(await routedTo("rewrite.example", "/something/new/path?q=2", false)).toBe("shopping-a /new/path?q=2");
    expect(await routedTo("rewrite.example", "/something", false)).toBe("shopping-a /");
    expect(await routedTo("rewrite.example", "/other", false)).toBe("fallback-a /other");
    const big = await send("rewrite.example", "/something/upload", { method: "POST", body: "x".repeat(2_048) });
    expect(big.status).toBe(413);
    const small = await send("rewrite.example", "/something/upload", { method: "POST", body: "x".repeat(512) });
    expect(small.status).toBe(200);
  });

  it("passes X-Forwarded-For, -Proto, -Host and X-Real-IP", async () => {
    const { headers } = reply(await send("myapp.com", "/analytics/h", { tls: true }));
    expect(headers["x-forwarded-for"]).toBe(LOOPBACK);
    expect(headers["x-real-ip"]).toBe(LOOPBACK);
    expect(headers["x-forwarded-proto"]).toBe("https");
    expect(headers["x-forwarded-host"]).toBe("myapp.com");
    expect(headers["x-forwarded-port"]).toBe(String(httpsPort));
    const plain = reply(await send("analytics.myapp.com", "/h")).headers;
    expect([plain["x-forwarded-proto"], plain["x-forwarded-port"]]).toEqual(["http", String(httpPort)]);
  });

  it("routes a table of Prefix paths, and sends hosts no rule names to the rules without a host, then to the 404 page", async () => {
    const all = ingresses;
    ingresses = [
      ingress("prefix-only", { rules: [
        { host: "myapp.com", http: { paths: [
          { path: "/analytics", pathType: "Prefix", backend: svcBackend("analytics") },
          { path: "/shopping", pathType: "Prefix", backend: svcBackend("shopping") },
          { path: "/", pathType: "Prefix", backend: svcBackend("web") },
        ] } },
        { host: "shopping.myapp.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: svcBackend("shopping") }] } },
        { http: { paths: [{ path: "/any", pathType: "Prefix", backend: svcBackend("fallback") }] } },
      ] }),
    ];
    await apply();
    try {
      expect(await routedTo("myapp.com", "/shopping/cart", false)).toBe("shopping-a /shopping/cart");
      expect(await routedTo("myapp.com", "/shopping", false)).toBe("shopping-a /shopping");
      expect(await routedTo("myapp.com", "/shoppingx", false)).toBe("web-a /shoppingx");
      expect(await routedTo("MyApp.com:80", "/", false)).toBe("web-a /");
      expect(await routedTo("shopping.myapp.com", "/x", false)).toBe("shopping-a /x");
      // Hosts no rule names fall to the rules without a host, then to the 404 page.
      expect(await routedTo("unknown.example", "/any/thing", false)).toBe("fallback-a /any/thing");
      expect(await routedTo("unknown.example", "/other", false)).toBe("404");
    } finally {
      ingresses = all;
      await apply();
    }
  });

  it("answers a resource backend with 503 and a clear message, and 404 with a page when nothing matches", async () => {
    const resource = await send("bucket.example", "/", {});
    expect(resource.status).toBe(503);
    expect(resource.body).toContain("resource backends (Bucket assets) are not served");
    const withDefault = ingresses;
    ingresses = ingresses.filter((i) => i.metadata.name !== "with-default");
    await apply();
    try {
      const missing = await send("unknown.example", "/nothing");
      expect(missing.status).toBe(404);
      expect(missing.body).toContain("No Ingress rule matches");
    } finally {
      ingresses = withDefault;
      await apply();
    }
  });

  it("carries a WebSocket through", async () => {
    const socket = new WebSocket(`ws://${LOOPBACK}:${httpPort}/ws`, { headers: { host: "shopping.myapp.com" } });
    const message = await new Promise<string>((resolve, reject) => {
      socket.on("open", () => socket.send("hello"));
      socket.on("message", (data) => resolve(String(data)));
      socket.on("error", reject);
    });
    socket.close();
    expect(message).toBe("shopping-a echo hello");
  });

  it("applies a rule change on reload without dropping a request in flight", async () => {
    const inFlight = send("shopping.myapp.com", "/slow");
    await new Promise((r) => setTimeout(r, 200));
    ingresses = [...ingresses, ingress("late", { rules: [{ host: "late.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: svcBackend("web") }] } }] })];
    const started = Date.now();
    await apply();
    const reloadMs = Date.now() - started;
    expect(await routedTo("late.example", "/", false)).toBe("web-a /");
    expect(reloadMs).toBeLessThan(5_000);
    const slow = await inFlight;
    expect(slow.status).toBe(200);
    expect(reply(slow).url).toBe("/slow");
  });

  it("refuses a configuration nginx would not load, and keeps serving the last good one", async () => {
    await expect(nginx.apply(() => new Map([["nginx.conf", "events {}\nhttp { server { listen notaport; } }\n"]]))).rejects.toThrow(/refused by nginx -t/);
    expect(await routedTo("shopping.myapp.com", "/still", false)).toBe("shopping-a /still");
    // The next good configuration loads again.
    ingresses = [...ingresses, ingress("after", { rules: [{ host: "after.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: svcBackend("web") }] } }] })];
    await apply();
    expect(await routedTo("after.example", "/", false)).toBe("web-a /");
  });
});

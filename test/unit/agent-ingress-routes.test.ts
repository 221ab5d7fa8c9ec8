// The ingress routing table (node-agent/ingress/routes.ts) as tables: which Ingresses are ours,
// route order, conflicts between Ingresses, backends resolved through Service ports and slices,
// certificates, and what is reported instead of served; and the nginx rendering of it.
import { describe, expect, it } from "vitest";
import { renderNginxConfig } from "../../node-agent/ingress/nginx-config";
import { refusedRegex } from "../../node-agent/ingress/nginx-process";
import { buildRouteTable, isOurs, tlsSecretRefs, type RouteSources } from "../../node-agent/ingress/routes";
import { parseSize, routeOptions } from "../../node-agent/ingress/annotations";
import type { Ingress, IngressClass } from "../../node-agent/ingress/types";
import { selfSignedPem } from "../e2e/tls-certs";
import type { EndpointSlice, Service } from "../../node-agent/network/service-catalog";

const ing = (name: string, spec: Ingress["spec"], extra: { annotations?: Record<string, string>; created?: string; namespace?: string } = {}): Ingress => ({
  metadata: { name, namespace: extra.namespace ?? "default", annotations: extra.annotations, creationTimestamp: extra.created ?? "2026-01-01T00:00:00Z" },
  spec,
});
const be = (name: string, port: number | string = 80) => ({ service: { name, port: typeof port === "number" ? { number: port } : { name: port } } });

function sources(ingresses: Ingress[], extra: Partial<RouteSources> = {}): RouteSources {
  const services = new Map<string, Service>([
    ["default/web", { metadata: { name: "web", namespace: "default" }, spec: { ports: [{ name: "http", port: 80, protocol: "TCP" }, { name: "admin", port: 9000, protocol: "TCP" }] } }],
  ]);
  const slices: EndpointSlice[] = [
    {
      metadata: { name: "web-1", namespace: "default", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }, { name: "admin", port: 9090, protocol: "TCP" }],
      endpoints: [
        { addresses: ["10.244.0.5"], conditions: { ready: true } },
        { addresses: ["10.244.0.6"], conditions: { ready: false } },
        { addresses: ["10.244.0.4"] },
      ],
    },
  ];
  return { ingresses, classes: [], services, slicesOf: (_ns, name) => (name === "web" ? slices : []), secrets: new Map(), ...extra };
}

describe("which Ingresses are ours", () => {
  const ours: IngressClass = { metadata: { name: "edgeplane", annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } }, spec: { controller: "edgeplane.dev/ingress-controller" } };
  const mine: IngressClass = { metadata: { name: "internal" }, spec: { controller: "edgeplane.dev/ingress-controller" } };
  const nginx: IngressClass = { metadata: { name: "nginx" }, spec: { controller: "k8s.io/ingress-nginx" } };
  const nginxDefault: IngressClass = { metadata: { name: "nginx", annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } }, spec: { controller: "k8s.io/ingress-nginx" } };
  it.each([
    ["no class, ours is the default", ing("a", {}), [ours, nginx], true],
    ["no class, no default at all", ing("a", {}), [nginx], true],
    ["no class, another controller's default", ing("a", {}), [nginxDefault], false],
    ["our class by name", ing("a", { ingressClassName: "edgeplane" }), [], true],
    ["another class of our controller", ing("a", { ingressClassName: "internal" }), [mine], true],
    ["nginx", ing("a", { ingressClassName: "nginx" }), [ours, nginx], false],
    ["a class that does not exist", ing("a", { ingressClassName: "some-invalid-class-name" }), [ours], false],
    ["the legacy annotation", ing("a", {}, { annotations: { "kubernetes.io/ingress.class": "nginx" } }), [ours, nginx], false],
  ] as const)("%s", (_what, ingress, classes, expected) => {
    expect(isOurs(ingress, [...classes])).toBe(expected);
  });

  it("watches only the TLS Secrets our Ingresses name", () => {
    const refs = tlsSecretRefs([ing("a", { tls: [{ secretName: "a-tls" }] }), ing("b", { ingressClassName: "nginx", tls: [{ secretName: "b-tls" }] }, { namespace: "shop" })], [nginx]);
    expect([...refs]).toEqual(["default/a-tls"]);
  });
});

describe("the routing table", () => {
  it("orders each host's routes Exact, then regex, then Prefix, longest first; normalises prefixes", () => {
    const table = buildRouteTable(sources([
      ing("a", { rules: [{ host: "Shop.Example.com", http: { paths: [
        { path: "/", pathType: "Prefix", backend: be("web") },
        { path: "/cart/", pathType: "Prefix", backend: be("web") },
        { path: "/cart/items", pathType: "ImplementationSpecific", backend: be("web") },
        { path: "/cart", pathType: "Exact", backend: be("web") },
      ] } }, { http: { paths: [{ path: "/", pathType: "Prefix", backend: be("web") }] } }] }),
    ]));
    expect(table.routes.map((r) => `${r.hostKey} ${r.match} ${r.path}`)).toEqual([
      "_ Prefix /",
      "shop.example.com Exact /cart",
      "shop.example.com Prefix /cart/items",
      "shop.example.com Prefix /cart",
      "shop.example.com Prefix /",
    ]);
    expect(table.hosts).toEqual(["_", "shop.example.com"]);
  });

  it("gives a host and path to the oldest Ingress and reports the younger one", () => {
    const table = buildRouteTable(sources([
      ing("young", { rules: [{ host: "a.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: be("web", "admin") }] } }] }, { created: "2026-02-01T00:00:00Z" }),
      ing("old", { rules: [{ host: "a.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: be("web") }] } }] }),
    ]));
    expect(table.routes).toHaveLength(1);
    expect(table.routes[0]!.ingress).toBe("default/old");
    expect(table.problems).toEqual(["Ingress default/young: a.example/ is already routed by an older Ingress"]);
  });

  it("resolves a Service port by number or name to the slices' ports and ready endpoints only", () => {
    const table = buildRouteTable(sources([
      ing("a", { rules: [{ host: "a.example", http: { paths: [
        { path: "/", pathType: "Prefix", backend: be("web", 80) },
        { path: "/admin", pathType: "Prefix", backend: be("web", "admin") },
      ] } }] }),
    ]));
    const [admin, root] = table.routes.map((r) => table.backends.get(r.backendId));
    expect(root).toEqual({ kind: "service", id: "svc:default:web:80", namespace: "default", service: "web", endpoints: [{ ip: "10.244.0.4", port: 8080 }, { ip: "10.244.0.5", port: 8080 }] });
    expect(admin).toMatchObject({ kind: "service", endpoints: [{ ip: "10.244.0.4", port: 9090 }, { ip: "10.244.0.5", port: 9090 }] });
  });

  it("answers what cannot be reached with 503 and says why", () => {
    const table = buildRouteTable(sources([
      ing("a", { rules: [{ host: "a.example", http: { paths: [
        { path: "/missing", pathType: "Prefix", backend: be("nowhere") },
        { path: "/badport", pathType: "Prefix", backend: be("web", 81) },
        { path: "/bucket", pathType: "Prefix", backend: { resource: { apiGroup: "k8s.example.com", kind: "StorageBucket", name: "static" } } },
      ] } }] }),
    ]));
    const messages = table.routes.map((r) => { const b = table.backends.get(r.backendId)!; return b.kind === "error" ? `${b.status} ${b.message}` : ""; });
    expect(messages).toEqual([
      "503 Service default/web has no port 81",
      "503 Service default/nowhere does not exist",
      "503 Ingress default/a path /bucket: resource backends (StorageBucket static) are not served by the edgeplane ingress controller",
    ]);
  });

  it("takes certificates from kubernetes.io/tls Secrets and reports a missing one", () => {
    const secrets = new Map([["default/a-tls", { metadata: { name: "a-tls", namespace: "default" }, type: "kubernetes.io/tls", data: { "tls.crt": Buffer.from("CERT").toString("base64"), "tls.key": Buffer.from("KEY").toString("base64") } }]]);
    const table = buildRouteTable(sources([
      ing("a", { tls: [{ hosts: ["A.example"], secretName: "a-tls" }, { hosts: ["b.example"], secretName: "gone" }], rules: [{ host: "a.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: be("web") }] } }] }),
    ], { secrets }));
    expect(table.certificates).toEqual([{ secret: "default/a-tls", hosts: ["a.example"], pem: "CERT\nKEY\n" }]);
    expect(table.routes[0]!.tls).toBe(true);
    expect(table.problems).toEqual(["Ingress default/a: TLS Secret default/gone does not exist; its hosts get the default certificate"]);
  });

  it("serves a TLS entry without hosts for the certificate's names that its own rules name, and no others", async () => {
    const { cert, key } = await selfSignedPem(["own.example", "other-team.example"]);
    const data = { "tls.crt": Buffer.from(cert).toString("base64"), "tls.key": Buffer.from(key).toString("base64") };
    const secrets = new Map([["default/wide", { metadata: { name: "wide", namespace: "default" }, type: "kubernetes.io/tls", data }]]);
    const table = buildRouteTable(sources([
      ing("a", { tls: [{ secretName: "wide" }], rules: [{ host: "own.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: be("web") }] } }] }),
    ], { secrets }));
    expect(table.certificates.map((c) => c.hosts)).toEqual([["own.example"]]);
  });

  it("uses the oldest Ingress default backend, else a default-http-backend Service", () => {
    const services = new Map<string, Service>([["kube-system/default-http-backend", { metadata: { name: "default-http-backend", namespace: "kube-system" }, spec: { ports: [{ port: 80 }] } }]]);
    expect(buildRouteTable(sources([], { services })).defaultBackendId).toBe("svc:kube-system:default-http-backend:80");
    expect(buildRouteTable(sources([ing("d", { defaultBackend: be("web") })])).defaultBackendId).toBe("svc:default:web:80");
    expect(buildRouteTable(sources([])).defaultBackendId).toBeUndefined();
  });

  it("reads rewrite-target paths as regular expressions and skips invalid ones", () => {
    const table = buildRouteTable(sources([
      ing("r", { rules: [{ host: "r.example", http: { paths: [
        { path: "/api(/|$)(.*)", pathType: "ImplementationSpecific", backend: be("web") },
        { path: "/broken(", pathType: "ImplementationSpecific", backend: be("web") },
        { path: "/exact", pathType: "Exact", backend: be("web") },
      ] } }] }, { annotations: { "nginx.ingress.kubernetes.io/rewrite-target": "/$2" } }),
    ]));
    expect(table.routes.map((r) => `${r.match} ${r.path} ${r.rewriteTarget}`)).toEqual(["Exact /exact /$2", "Regex /api(/|$)(.*) /$2"]);
    expect(table.problems).toEqual(['Ingress default/r: path "/broken(" is not a valid regular expression']);
  });
});

describe("annotations", () => {
  it("reads nginx sizes and flags", () => {
    expect([parseSize("8m"), parseSize("512k"), parseSize("1G"), parseSize("100"), parseSize("0"), parseSize("lots")]).toEqual([8 * 1024 ** 2, 512 * 1024, 1024 ** 3, 100, 0, undefined]);
    expect(routeOptions({ "nginx.ingress.kubernetes.io/proxy-body-size": "0" }).maxBodyBytes).toBeUndefined();
    expect(routeOptions({ "nginx.ingress.kubernetes.io/ssl-redirect": "false" }).sslRedirect).toBe(false);
    expect(routeOptions({ "nginx.ingress.kubernetes.io/proxy-body-size": "big" }).problems).toHaveLength(1);
  });
});

describe("the nginx rendering", () => {
  const options = { generation: "/gen", state: "/state", httpPort: 80, httpsPort: 443, defaultCertificate: "PEM", http2: "listen" as const };
  const render = (ingresses: Ingress[]) => renderNginxConfig(buildRouteTable(sources(ingresses)), options);

  it("writes the spec's precedence as nginx locations: = for Exact, an element-wise pair for Prefix, the default last", () => {
    const files = render([
      ing("a", { tls: [{ hosts: ["a.example"] }], rules: [{ host: "a.example", http: { paths: [
        { path: "/shop", pathType: "Prefix", backend: be("web") },
        { path: "/exact", pathType: "Exact", backend: be("web") },
        { path: "/exact", pathType: "Prefix", backend: be("web") },
      ] } }] }, { annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "1k" } }),
    ]);
    const cfg = files.get("nginx.conf")!;
    const server = cfg.slice(cfg.indexOf("server_name a.example;"));
    const locations = [...server.matchAll(/location ([^{]+) \{/g)].map((m) => m[1]);
    // "/exact" Exact takes `= /exact`; its Prefix twin keeps only "/exact/…".
    expect(locations).toEqual(['= "/exact"', '"/exact/"', '= "/shop"', '"/shop/"', "/"]);
    expect(server).toContain("if ($scheme = http) { return 308 https://$host$request_uri; }");
    expect(server).toContain("client_max_body_size 1024;");
    expect(cfg).toMatch(/upstream b1_svc_default_web_80 \{\n    server 10\.244\.0\.4:8080;\n    server 10\.244\.0\.5:8080;\n    keepalive 64;/);
    // Nothing matches "/other" on a.example and there is no default backend: the 404 page.
    expect(server.slice(server.lastIndexOf("location / {"))).toContain("return 404");
    expect(cfg).toContain("listen 443 ssl http2 default_server;");
  });

  it("sends a Prefix path's own name to a regular expression that matches it, as Regex comes before Prefix", () => {
    const cfg = render([
      ing("p", { rules: [{ host: "p.example", http: { paths: [{ path: "/v1", pathType: "Prefix", backend: be("web") }] } }] }),
      ing("r", { rules: [{ host: "p.example", http: { paths: [{ path: "/v[0-9]+", pathType: "ImplementationSpecific", backend: be("web", "admin") }] } }] }, { annotations: { "nginx.ingress.kubernetes.io/use-regex": "true" } }),
    ]).get("nginx.conf")!;
    const twin = cfg.slice(cfg.indexOf('location = "/v1" {'));
    expect(twin.slice(0, twin.indexOf("}"))).toContain("proxy_pass http://b2_svc_default_web_admin;");
  });

  it("serves `*.` hosts as one-label expressions and names the HTTPS port in redirects when it is not 443", () => {
    const table = buildRouteTable(sources([
      ing("w", { tls: [{ hosts: ["*.w.example"] }], rules: [{ host: "*.w.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: be("web") }] } }] }),
    ]));
    const cfg = renderNginxConfig(table, { ...options, httpsPort: 8443, http2: "directive" }).get("nginx.conf")!;
    expect(cfg).toContain('server_name "~^[^.]+\\\\.w\\\\.example$";');
    expect(cfg).toContain("return 308 https://$host:8443$request_uri;");
    expect(cfg).toContain("http2 on;");
  });

  it("leaves out (and reports) a path or rewrite it cannot write, keeping every other route", () => {
    const table = buildRouteTable(sources([
      ing("q", { rules: [{ host: "q.example", http: { paths: [
        { path: "/a\u0001b", pathType: "Prefix", backend: be("web") },
        { path: "/fine", pathType: "ImplementationSpecific", backend: be("web") },
      ] } }] }),
      ing("v", { rules: [{ host: "v.example", http: { paths: [{ path: "/v", pathType: "Prefix", backend: be("web") }] } }] }, { annotations: { "nginx.ingress.kubernetes.io/rewrite-target": "/$host" } }),
    ]));
    expect(table.routes.map((r) => r.path)).toEqual(["/fine"]);
    expect(table.problems).toHaveLength(2);
    expect(() => renderNginxConfig(table, options)).not.toThrow();
  });

  it("leaves out a regular expression nginx refused, read from its error, and keeps the rest", () => {
    // What nginx 1.22 prints for a class JavaScript accepts and PCRE2 does not.
    const error = new Error('the ingress configuration was refused by nginx -t: 2026/12/07 14:47:09 [emerg] 15155#15155: pcre2_compile() failed: invalid range in character class in "^/v[\\w-.]" at "-.]" in /x/nginx.conf:1');
    expect(refusedRegex(error)).toBe("/v[\\w-.]");
    expect(refusedRegex(new Error("bind() to 0.0.0.0:80 failed"))).toBeUndefined();
    const ingresses = [ing("r", { rules: [{ host: "r.example", http: { paths: [
      { path: "/v[\\w-.]", pathType: "ImplementationSpecific", backend: be("web") },
      { path: "/ok", pathType: "ImplementationSpecific", backend: be("web") },
    ] } }] }, { annotations: { "nginx.ingress.kubernetes.io/use-regex": "true" } })];
    const table = buildRouteTable(sources(ingresses, { refusedRegex: new Set([refusedRegex(error)!]) }));
    expect(table.routes.map((r) => r.path)).toEqual(["/ok"]);
    expect(table.problems).toEqual(['Ingress default/r: path "/v[\\w-.]" is not a valid regular expression']);
  });

  it("writes names from objects into answers and expressions without breaking the quoting", () => {
    const table = buildRouteTable(sources([
      ing("r", { rules: [{ host: "r.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { resource: { kind: 'Odd"Kind$x\\', name: "it's" } } }] } }] }),
      ing("x", { rules: [{ host: "x.example", http: { paths: [{ path: '/a"b\\d+', pathType: "ImplementationSpecific", backend: be("web") }] } }] }, { annotations: { "nginx.ingress.kubernetes.io/use-regex": "true" } }),
    ]));
    const cfg = renderNginxConfig(table, options).get("nginx.conf")!;
    expect(cfg).toContain("resource backends (Odd Kind x  it's) are not served");
    expect(cfg).toContain('location ~* "^/a\\"b\\\\d+" {');
  });
});

// The routing table as nginx configuration: a server per host (exact names hashed, `*.` wildcards
// as one-label regular expressions), the spec's path precedence as nginx's own location order
// (`=` exact, then regular expressions longest first, then the longest prefix), an upstream per
// Service port with the ready endpoints and a pool of idle connections, and a certificate per
// server so SNI picks it. Pure: returns file contents; nginx-process.ts writes them and reloads.
import type { Backend, Route, RouteTable } from "./routes";
import { CATCH_ALL } from "./routes";

export interface NginxPaths {
  /** This configuration's own directory (its certificates), absolute. */
  generation: string;
  /** Shared by every generation: the pid file and the temporary files of bodies in flight. */
  state: string;
}

export interface NginxOptions extends NginxPaths {
  httpPort: number;
  httpsPort: number;
  /** Address to listen on; default every address. */
  bindAddress?: string;
  /** Worker processes; default one per core. */
  workers?: number;
  /** The certificate for names no Secret covers (PEM: certificate then key). */
  defaultCertificate: string;
  /** nginx 1.25.1 and later switch HTTP/2 on with `http2 on`; older releases with a listen flag. */
  http2: "directive" | "listen";
}

export const CONFIG_FILE = "nginx.conf";
export const PID_FILE = "nginx.pid";
/** Seconds an old worker may finish in-flight requests after a reload. */
export const WORKER_SHUTDOWN_S = 30;
const DEFAULT_CERT_FILE = "default.pem";
/** Idle connections each worker keeps to each backend. */
const UPSTREAM_KEEPALIVE = 64;

const NOT_FOUND_PAGE =
  "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>" +
  "<p>No Ingress rule matches this host and path, and no default backend is set.</p><hr><p>edgeplane ingress</p></body></html>";

/** A double-quoted nginx word. Used for paths and expressions, where nginx expands no variables. */
function quoted(text: string): string {
  if (/[\r\n]/.test(text)) throw new Error(`cannot quote ${JSON.stringify(text)} for nginx`);
  return `"${text.replace(/[\\"]/g, "\\$&")}"`;
}

/** A message for a response body: `return` expands `$`, and names in it come from objects. */
function message(text: string): string {
  return quoted(text.replace(/[\\"$\r\n]/g, " "));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The expression of a Regex route, anchored at the path's start as ingress-nginx writes it. */
function anchored(path: string): string {
  return `^${path.startsWith("^") ? path.slice(1) : path}`;
}

/** server_name for a host key: `*.example.com` covers one label only, as the Ingress spec says. */
function serverName(host: string): string {
  return host.startsWith("*.") ? quoted(`~^[^.]+${escapeRegex(host.slice(1))}$`) : host;
}

/** Whether a certificate name (exact or `*.`) covers a host key. */
function covers(name: string, host: string): boolean {
  if (name === host) return true;
  return name.startsWith("*.") && !host.startsWith("*.") && host.slice(host.indexOf(".")) === name.slice(1);
}

/** Which rules serve a host: its own, else its wildcard's, else the rules without a host. */
function ruleHostFor(host: string, ruleHosts: Set<string>): string {
  if (ruleHosts.has(host)) return host;
  const wildcard = `*${host.slice(host.indexOf("."))}`;
  return !host.startsWith("*.") && host.includes(".") && ruleHosts.has(wildcard) ? wildcard : CATCH_ALL;
}

/** The route nginx would pick for `path` among the Regex and Prefix routes (the Exact ones are known not to match). */
function routeFor(path: string, routes: Route[]): Route | undefined {
  return (
    routes.find((r) => r.match === "Regex" && new RegExp(anchored(r.path), "i").test(path)) ??
    routes.find((r) => r.match === "Prefix" && (r.path === "/" || path === r.path || path.startsWith(`${r.path}/`)))
  );
}

export function renderNginxConfig(table: RouteTable, options: NginxOptions): Map<string, string> {
  const files = new Map<string, string>();
  const gen = (name: string) => `${options.generation}/${name}`;
  files.set(DEFAULT_CERT_FILE, options.defaultCertificate);
  const certFiles = table.certificates.map((cert, i) => {
    const name = `cert-${i + 1}.pem`;
    files.set(name, cert.pem);
    return { hosts: cert.hosts, file: gen(name) };
  });
  const certificateFor = (host: string) =>
    (certFiles.find((c) => c.hosts.includes(host)) ?? certFiles.find((c) => c.hosts.some((n) => covers(n, host))))?.file ?? gen(DEFAULT_CERT_FILE);

  // Upstream names are nginx words and proxy_pass host names: an index keeps them unique.
  const upstreams = new Map<string, string>();
  [...table.backends.values()].forEach((b, i) => upstreams.set(b.id, `b${i + 1}_${b.id.replace(/[^A-Za-z0-9]+/g, "_")}`));
  const backends = table.backends;

  /** Where a request goes once its route is known: a pool of endpoints, or a plain answer. */
  const send = (backend: Backend | undefined): string[] => {
    if (!backend) return ["default_type text/html;", `return 404 ${quoted(NOT_FOUND_PAGE)};`];
    if (backend.kind === "error") return ["default_type text/plain;", `return ${backend.status} ${message(`${backend.message}\n`)};`];
    if (backend.endpoints.length === 0) return ["default_type text/plain;", `return 503 ${message(`Service ${backend.namespace}/${backend.service} has no ready endpoints\n`)};`];
    return [`proxy_pass http://${upstreams.get(backend.id)};`];
  };
  const httpsAuthority = options.httpsPort === 443 ? "$host" : `$host:${options.httpsPort}`;
  const routeBody = (route: Route): string[] => [
    ...(route.forceSslRedirect || (route.tls && route.sslRedirect !== false) ? [`if ($scheme = http) { return 308 https://${httpsAuthority}$request_uri; }`] : []),
    ...(route.maxBodyBytes !== undefined ? [`client_max_body_size ${route.maxBodyBytes};`] : []),
    ...(route.rewriteTarget !== undefined
      ? [`rewrite ${quoted(`(?i)${route.match === "Regex" ? anchored(route.path) : `^${escapeRegex(route.path)}`}`)} ${quoted(route.rewriteTarget)} break;`]
      : []),
    ...send(backends.get(route.backendId)),
  ];
  const location = (selector: string, body: string[]) => [`    location ${selector} {`, ...body.map((l) => `      ${l}`), "    }"];

  /** The locations of one rule host, in the routes' order (Exact, Regex longest first, Prefix longest first). */
  const locationsOf = (routes: Route[]): string[] => {
    const lines: string[] = [];
    const exact = new Set(routes.filter((r) => r.match === "Exact").map((r) => r.path));
    let root = false;
    for (const r of routes) {
      const body = routeBody(r);
      if (r.match === "Exact") lines.push(...location(`= ${quoted(r.path)}`, body));
      else if (r.match === "Regex") lines.push(...location(`~* ${quoted(anchored(r.path))}`, body));
      else if (r.path === "/") {
        root = true;
        lines.push(...location("/", body));
      } else {
        // Element-wise: "/foo" serves "/foo" and "/foo/…", never "/foobar". nginx's `=` would beat
        // every regular expression, so "/foo" itself goes where the spec's order sends it.
        if (!exact.has(r.path)) lines.push(...location(`= ${quoted(r.path)}`, routeBody(routeFor(r.path, routes) ?? r)));
        lines.push(...location(quoted(`${r.path}/`), body));
      }
    }
    const fallback = send(table.defaultBackendId ? backends.get(table.defaultBackendId) : undefined);
    // nginx answers "/foo" with a 301 to "/foo/" when a proxying location is named "/foo/" and
    // none is named "/foo" exactly. An Exact "/foo/" gets that exact twin, routed as the rest of
    // the table would route "/foo".
    const exactNames = new Set([...exact, ...routes.filter((r) => r.match === "Prefix").map((r) => r.path)]);
    for (const r of routes) {
      if (r.match !== "Exact" || !r.path.endsWith("/") || r.path === "/") continue;
      const bare = r.path.slice(0, -1);
      if (exactNames.has(bare)) continue;
      exactNames.add(bare);
      const other = routeFor(bare, routes);
      lines.push(...location(`= ${quoted(bare)}`, other ? routeBody(other) : fallback));
    }
    // A host's unmatched paths go to the default backend, else the 404 page.
    if (!root) lines.push(...location("/", fallback));
    return lines;
  };

  const byRuleHost = new Map<string, Route[]>();
  for (const r of table.routes) byRuleHost.set(r.hostKey, [...(byRuleHost.get(r.hostKey) ?? []), r]);
  const ruleHosts = new Set(byRuleHost.keys());
  // A server for every host with rules, and for every name a certificate is for, so SNI finds it.
  const serverHosts = [...new Set([...ruleHosts, ...table.certificates.flatMap((c) => c.hosts)])].filter((h) => h !== CATCH_ALL).sort();

  const bind = options.bindAddress ? `${options.bindAddress}:` : "";
  const h2 = options.http2 === "listen" ? " http2" : "";
  const server = (names: string, certificate: string, routes: Route[], isDefault: boolean): string[] => {
    const flag = isDefault ? " default_server" : "";
    return [
      "  server {",
      `    listen ${bind}${options.httpPort}${flag};`,
      `    listen ${bind}${options.httpsPort} ssl${h2}${flag};`,
      ...(options.http2 === "directive" ? ["    http2 on;"] : []),
      `    server_name ${names};`,
      `    ssl_certificate ${quoted(certificate)};`,
      `    ssl_certificate_key ${quoted(certificate)};`,
      ...locationsOf(routes),
      "  }",
    ];
  };

  const upstreamLines = [...backends.values()].flatMap((b) =>
    b.kind === "service" && b.endpoints.length > 0
      ? [`  upstream ${upstreams.get(b.id)} {`, ...b.endpoints.map((ep) => `    server ${ep.ip}:${ep.port};`), `    keepalive ${UPSTREAM_KEEPALIVE};`, "  }"]
      : [],
  );
  const state = (name: string) => quoted(`${options.state}/${name}`);
  const cfg = [
    "daemon off;",
    "master_process on;",
    `worker_processes ${options.workers ?? "auto"};`,
    "worker_rlimit_nofile 65536;",
    `worker_shutdown_timeout ${WORKER_SHUTDOWN_S}s;`,
    `pid ${state(PID_FILE)};`,
    "error_log stderr notice;",
    "events { worker_connections 4096; }",
    "http {",
    "  access_log off;",
    "  server_tokens off;",
    `  client_body_temp_path ${state("tmp/body")}; proxy_temp_path ${state("tmp/proxy")};`,
    `  fastcgi_temp_path ${state("tmp/fastcgi")}; uwsgi_temp_path ${state("tmp/uwsgi")}; scgi_temp_path ${state("tmp/scgi")};`,
    "  server_names_hash_max_size 16384;",
    "  server_names_hash_bucket_size 256;",
    "  keepalive_requests 100000;",
    "  keepalive_timeout 60s;",
    // No limit unless proxy-body-size sets one (ingress-nginx defaults to 1m; the README says why not).
    "  client_max_body_size 0;",
    "  ssl_protocols TLSv1.2 TLSv1.3;",
    "  ssl_session_cache shared:edgeplane_tls:10m;",
    // Pooled HTTP/1.1 to pods; a WebSocket upgrade passes through, anything else keeps the pool.
    "  map $http_upgrade $edgeplane_connection { default upgrade; '' ''; }",
    "  proxy_http_version 1.1;",
    "  proxy_set_header Connection $edgeplane_connection;",
    "  proxy_set_header Upgrade $http_upgrade;",
    "  proxy_set_header Host $http_host;",
    "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "  proxy_set_header X-Real-IP $remote_addr;",
    "  proxy_set_header X-Forwarded-Proto $scheme;",
    "  proxy_set_header X-Forwarded-Host $http_host;",
    "  proxy_set_header X-Forwarded-Port $server_port;",
    // Bodies stream both ways (uploads, server-sent events, long polls) instead of being held.
    "  proxy_request_buffering off;",
    "  proxy_buffering off;",
    "  proxy_connect_timeout 5s;",
    "  proxy_read_timeout 60s;",
    "  proxy_send_timeout 60s;",
    ...upstreamLines,
    ...server("_", gen(DEFAULT_CERT_FILE), byRuleHost.get(CATCH_ALL) ?? [], true),
    ...serverHosts.flatMap((host) => server(serverName(host), certificateFor(host), byRuleHost.get(ruleHostFor(host, ruleHosts)) ?? [], false)),
    "}",
  ];
  files.set(CONFIG_FILE, `${cfg.join("\n")}\n`);
  return files;
}

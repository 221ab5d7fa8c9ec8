// The routing table as HAProxy configuration: one frontend on the HTTP and HTTPS ports whose
// lookups are map files (hash and prefix trees, so a thousand paths cost what ten do), a backend
// per Service port with the ready endpoints as servers, and the certificates as a crt-list.
// Pure: returns file contents; haproxy-process.ts writes them and reloads.
import type { Backend, Route, RouteTable } from "./routes";

export interface HaproxyOptions {
  /** Where the map, certificate and socket files live (absolute). */
  dir: string;
  httpPort: number;
  httpsPort: number;
  /** Address to listen on; default every address. */
  bindAddress?: string;
  /** Worker threads; default HAProxy's (one per core). */
  threads?: number;
  /** The certificate for names no Secret covers (PEM: certificate then key). */
  defaultCertificate: string;
}

export interface RenderedConfig {
  /** File name (relative to dir) → contents. `haproxy.cfg` is the configuration itself. */
  files: Map<string, string>;
}

/** Seconds an old worker may finish in-flight requests after a reload. */
export const HARD_STOP_AFTER_S = 30;
export const CONFIG_FILE = "haproxy.cfg";
export const ADMIN_SOCKET = "admin.sock";
const DEFAULT_CERT_FILE = "default.pem";

const NOT_FOUND_PAGE =
  "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>" +
  "<p>No Ingress rule matches this host and path, and no default backend is set.</p><hr><p>edgeplane ingress</p></body></html>";

/** A single-quoted HAProxy word: nothing inside is expanded or escaped (no quote may appear). */
function quoted(text: string): string {
  if (text.includes("'") || /[\r\n]/.test(text)) throw new Error(`cannot quote ${JSON.stringify(text)} for HAProxy`);
  return `'${text}'`;
}

/** HAProxy object names allow letters, digits and - _ . : only. */
function backendName(id: string): string {
  return `be_${id.replace(/[^A-Za-z0-9_.:-]/g, "_")}`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** map_reg key: the host key, then the path expression anchored at the path's start, case-insensitive as nginx's `~*`. */
function regexKey(route: Route): string {
  const body = route.path.startsWith("^") ? route.path.slice(1) : route.path;
  return `(?i)^${escapeRegex(route.hostKey)}${body}`;
}

/** The rewrite target with nginx's `$1` as HAProxy's `\1`. */
function rewriteFormat(target: string): string {
  return target.replace(/\$(\d)/g, "\\$1");
}

function listAcl(name: string, ids: string[]): string[] {
  return ids.length === 0 ? [] : [`  acl ${name} var(req.route) -m str ${ids.join(" ")}`];
}

/** A message for a response body: names in it come from objects, so nothing may break the quoting. */
function message(text: string): string {
  return quoted(text.replace(/['\r\n]/g, " "));
}

function backendSection(backend: Backend): string[] {
  const lines = [`backend ${backendName(backend.id)}`];
  if (backend.kind === "error") {
    lines.push(`  http-request return status ${backend.status} content-type text/plain string ${message(backend.message)}`);
    return lines;
  }
  if (backend.endpoints.length === 0) {
    lines.push(`  http-request return status 503 content-type text/plain string ${message(`Service ${backend.namespace}/${backend.service} has no ready endpoints`)}`);
    return lines;
  }
  lines.push("  balance roundrobin");
  backend.endpoints.forEach((ep, i) => lines.push(`  server e${i + 1} ${ep.ip}:${ep.port}`));
  return lines;
}

export function renderHaproxyConfig(table: RouteTable, options: HaproxyOptions): RenderedConfig {
  const files = new Map<string, string>();
  const path = (name: string) => `${options.dir}/${name}`;
  const mapLines = (entries: [string, string][]) => entries.map(([k, v]) => `${k} ${v}\n`).join("");

  files.set("hosts.map", mapLines(table.hosts.map((h) => [h, h])));
  files.set("exact.map", mapLines(table.routes.filter((r) => r.match === "Exact").map((r) => [`${r.hostKey}${r.path}`, r.id])));
  files.set("regex.map", mapLines(table.routes.filter((r) => r.match === "Regex").map((r) => [regexKey(r), r.id])));
  // Element-wise prefixes: "/foo" is stored as "host/foo/" and looked up with "host<path>/", so
  // "/foo" and "/foo/bar" match it and "/foobar" does not; the prefix tree finds the longest.
  files.set("prefix.map", mapLines(table.routes.filter((r) => r.match === "Prefix").map((r) => [`${r.hostKey}${r.path === "/" ? "/" : `${r.path}/`}`, r.id])));
  files.set("backends.map", mapLines(table.routes.map((r) => [r.id, backendName(r.backendId)])));

  files.set(DEFAULT_CERT_FILE, options.defaultCertificate);
  const crtList: string[] = [];
  table.certificates.forEach((cert, i) => {
    const name = `cert-${i + 1}.pem`;
    files.set(name, cert.pem);
    crtList.push(`${path(name)} ${cert.hosts.join(" ")}`.trimEnd());
  });
  files.set("certs.list", crtList.map((l) => `${l}\n`).join(""));

  const redirect = table.routes.filter((r) => r.forceSslRedirect || (r.tls && r.sslRedirect !== false)).map((r) => r.id);
  const bySize = new Map<number, string[]>();
  for (const r of table.routes) if (r.maxBodyBytes !== undefined) bySize.set(r.maxBodyBytes, [...(bySize.get(r.maxBodyBytes) ?? []), r.id]);

  const exact = table.routes.some((r) => r.match === "Exact");
  const regex = table.routes.some((r) => r.match === "Regex");
  const wildcard = table.hosts.some((h) => h.startsWith("*."));
  const host = "req.hdr(host),field(1,:),lower";
  // Every line here runs for every request: sample expressions only (no log-format strings, which
  // HAProxy renders through its log-line builder), and only the lookups this table needs.
  const lookup: string[] = [
    "  http-request set-var(req.p) path",
    ...(!exact && !regex && !wildcard
      ? // The common table: host key (else the catch-all "_") and the longest prefix in one chain.
        [`  http-request set-var(req.route) ${host},map_str(${path("hosts.map")},_),concat(,req.p,/),map_beg(${path("prefix.map")})`]
      : [
          // Host key: the exact host, else its `*.` wildcard form, else the catch-all "_".
          `  http-request set-var(req.hk) ${host},map_str(${path("hosts.map")})`,
          ...(wildcard ? [`  http-request set-var(req.hk) ${host},regsub(^[^.]+,*),map_str(${path("hosts.map")}) if !{ var(req.hk) -m found }`] : []),
          "  http-request set-var(req.hk) str(_) if !{ var(req.hk) -m found }",
          // Exact beats Regex beats Prefix; within each, the longest.
          ...(exact ? [`  http-request set-var(req.route) var(req.hk),concat(,req.p),map_str(${path("exact.map")})`] : []),
          ...(regex ? [`  http-request set-var(req.route) var(req.hk),concat(,req.p),map_reg(${path("regex.map")}) if !{ var(req.route) -m found }`] : []),
          `  http-request set-var(req.route) var(req.hk),concat(,req.p,/),map_beg(${path("prefix.map")}) if !{ var(req.route) -m found }`,
        ]),
  ];
  const rewrites = table.routes
    .filter((r) => r.rewriteTarget !== undefined)
    .map((r) => {
      const match = r.match === "Regex" ? `(?i)^${r.path.startsWith("^") ? r.path.slice(1) : r.path}` : `^${escapeRegex(r.path)}`;
      return `  http-request replace-path ${quoted(match)} ${quoted(rewriteFormat(r.rewriteTarget!))} if { var(req.route) -m str ${r.id} }`;
    });
  const frontend = (f: { name: string; bind: string; scheme: string; port: number; redirect: string[] }): string[] => [
    `frontend ${f.name}`,
    `  bind ${f.bind}`,
    ...lookup,
    ...listAcl("to_https", f.redirect),
    ...(f.redirect.length ? ["  http-request redirect scheme https code 308 if to_https"] : []),
    ...[...bySize].map(([size, ids]) => `  http-request deny deny_status 413 if { var(req.route) -m str ${ids.join(" ")} } { req.hdr_val(content-length) gt ${size} }`),
    `  http-request set-header X-Forwarded-Proto ${f.scheme}`,
    "  http-request set-header X-Forwarded-Host %[req.hdr(host)]",
    `  http-request set-header X-Forwarded-Port ${f.port}`,
    "  http-request set-header X-Real-IP %[src]",
    ...rewrites,
    `  use_backend %[var(req.route),map_str(${path("backends.map")})] if { var(req.route) -m found }`,
    `  default_backend ${table.defaultBackendId ? backendName(table.defaultBackendId) : "be_not_found"}`,
  ];

  const bind = options.bindAddress ?? "";
  const cfg: string[] = [
    "global",
    "  master-worker",
    ...(options.threads ? [`  nbthread ${options.threads}`] : []),
    `  hard-stop-after ${HARD_STOP_AFTER_S}s`,
    `  stats socket ${path(ADMIN_SOCKET)} mode 600 level admin expose-fd listeners`,
    "  ssl-default-bind-options ssl-min-ver TLSv1.2",
    "",
    "defaults",
    "  mode http",
    "  option forwardfor",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout http-request 30s",
    "  timeout http-keep-alive 60s",
    // WebSockets and other upgraded connections stay open this long without traffic.
    "  timeout tunnel 1h",
    // Idle backend connections serve any client's next request (they are plain HTTP/1.1 to pods).
    "  http-reuse always",
    "",
    // One frontend per port, so the scheme and port are constants rather than per-request lookups.
    ...frontend({ name: "http", bind: `${bind}:${options.httpPort}`, scheme: "http", port: options.httpPort, redirect }),
    "",
    ...frontend({ name: "https", bind: `${bind}:${options.httpsPort} ssl crt ${path(DEFAULT_CERT_FILE)} crt-list ${path("certs.list")} alpn h2,http/1.1`, scheme: "https", port: options.httpsPort, redirect: [] }),
    "",
    "backend be_not_found",
    `  http-request return status 404 content-type text/html string ${quoted(NOT_FOUND_PAGE)}`,
  ];
  for (const backend of table.backends.values()) cfg.push("", ...backendSection(backend));
  files.set(CONFIG_FILE, `${cfg.join("\n")}\n`);
  return { files };
}

// The data path we did not build, measured so the choice is a figure: a reverse proxy in the
// agent's own runtime (node:http, keep-alive agent, round-robin over the pods, the same host and
// path routing and forwarded headers). Run as its own process by bench/ingress.ts:
//   node --import tsx bench/lib/node-proxy.ts <port> <podIP:port>,<podIP:port>,...
import { Agent, createServer, request } from "node:http";
import { assertStaysLocal } from "../../test/e2e/local-route";

const [portText, backendsText] = process.argv.slice(2);
const backends = (backendsText ?? "").split(",").map((b) => ({ host: b.split(":")[0]!, port: Number(b.split(":")[1]) }));
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const ROUTES: Record<string, string[]> = { "a.bench": ["/api", "/"], "b.bench": ["/static"] };
let next = 0;

function routed(host: string, path: string): boolean {
  const prefixes = ROUTES[host.split(":")[0]!.toLowerCase()] ?? [];
  return prefixes.some((p) => p === "/" || path === p || path.startsWith(`${p}/`));
}

// Sends only to pod addresses that `ip route get` keeps on this machine (bench/ingress.ts checked
// them too; a proxy refuses to start otherwise).
for (const b of backends) await assertStaysLocal(b.host);

createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0]!;
  if (!routed(req.headers.host ?? "", path)) {
    res.writeHead(404).end();
    return;
  }
  const target = backends[next++ % backends.length]!;
  const headers = {
    ...req.headers,
    "x-forwarded-for": req.socket.remoteAddress ?? "",
    "x-forwarded-proto": "http",
    "x-forwarded-host": req.headers.host ?? "",
    "x-real-ip": req.socket.remoteAddress ?? "",
  };
  const upstream = request({ host: target.host, port: target.port, path: req.url, method: req.method, headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on("error", () => res.writeHead(502).end());
  req.pipe(upstream);
}).listen(Number(portText), "127.0.0.1", () => process.stdout.write("ready\n"));

// The Ingress scenario the npm start test runs on its one-node cluster: every Ingress manifest of
// the course ("Kubernetes Ingress" in ../shared/kubernetes-notes.md), each applied with kubectl,
// then requested through the node's ingress (nginx on 127.0.0.1) by a real HTTP client, then
// deleted: one host, the fan-out with rewrite-target, two subdomains, TLS by SNI with a Secret
// made by `kubectl create secret tls`, the dashboard rule, and the default-http-backend Service;
// also a not-ready pod left out of rotation and an HTTP Upgrade carried through.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { expect } from "vitest";
import { eventually } from "./helpers";
import { assertStaysLocal } from "./local-route";
import { selfSignedPem } from "./tls-certs";

const MANIFESTS = join(import.meta.dirname, "manifests", "course-ingress");
const LOOPBACK = "127.0.0.1";

type Kubectl = (...args: string[]) => Promise<string>;

export interface IngressPorts {
  http: number;
  https: number;
}

interface Answer {
  status: number;
  body: string;
  location?: string;
  certificate?: string;
}

function get(ports: IngressPorts, host: string, path: string, tls = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: LOOPBACK, path, headers: { host }, agent: false as const };
    const onResponse = (res: import("node:http").IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => {
        const peer = tls ? (res.socket as TLSSocket).getPeerCertificate?.() : undefined;
        resolve({ status: res.statusCode ?? 0, body: body.trim(), location: res.headers.location, certificate: [peer?.subject?.CN].flat()[0] });
      });
    };
    const req = tls
      ? httpsRequest({ ...options, port: ports.https, servername: host, rejectUnauthorized: false }, onResponse)
      : httpRequest({ ...options, port: ports.http }, onResponse);
    req.on("error", reject);
    req.setTimeout(5_000, () => req.destroy(new Error(`timeout: ${host}${path}`)));
    req.end();
  });
}

/** Opens `Upgrade: echo` to `host` on the ingress's HTTP port, sends `text` after the 101, returns what comes back. */
function upgradeEcho(ports: IngressPorts, host: string, text: string): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: LOOPBACK, port: ports.http, path: "/", headers: { host, connection: "Upgrade", upgrade: "echo" }, agent: false });
    const timer = setTimeout(() => (req.destroy(), resolve("")), 3_000);
    req.on("upgrade", (_res, socket) => {
      socket.setEncoding("utf8");
      let got = "";
      socket.on("data", (chunk: string) => {
        got += chunk;
        if (got.length >= text.length) {
          clearTimeout(timer);
          socket.destroy();
          resolve(got);
        }
      });
      socket.write(text);
    });
    req.on("response", () => (clearTimeout(timer), resolve("")));
    req.on("error", () => (clearTimeout(timer), resolve("")));
    req.end();
  });
}

/** Polls until `host`+`path` answers with a body matching `expected` (a rule change takes a moment). */
async function routes(ports: IngressPorts, host: string, path: string, expected: RegExp, tls = false): Promise<Answer> {
  let last: Answer = { status: 0, body: "" };
  await eventually(async () => {
    last = await get(ports, host, path, tls).catch((e: unknown) => ({ status: 0, body: String(e) }));
    return last.status === 200 && expected.test(last.body);
  }, `${tls ? "https" : "http"}://${host}${path} to answer ${expected}`, 20_000, 200).catch((error: unknown) => {
    throw new Error(`${String(error)}; the last answer: ${JSON.stringify(last)}`);
  });
  return last;
}

export async function checkIngressTraffic(kubectl: Kubectl, ports: IngressPorts): Promise<void> {
  const apply = (file: string) => kubectl("apply", "-f", join(MANIFESTS, file));
  const remove = (file: string) => kubectl("delete", "-f", join(MANIFESTS, file), "--wait=false", "--ignore-not-found");
  expect(await kubectl("get", "ingressclass")).toMatch(/^edgeplane\s+edgeplane\.dev\/ingress-controller\s/m);
  await apply("backends.yaml");
  await eventually(async () => {
    const pods = await kubectl("get", "pods", "-n", "course", "--no-headers");
    const others = await kubectl("get", "pods", "-A", "-l", "app in (default-http-backend,kubernetes-dashboard)", "--no-headers");
    return (pods.match(/\s1\/1\s+Running\s/g) ?? []).length === 5 && (others.match(/\s1\/1\s+Running\s/g) ?? []).length === 2;
  }, "the course's backends Running", 90_000, 500);
  // nginx on this machine connects to every pod address: each must stay on the machine.
  const podIPs = (await kubectl("get", "pods", "-A", "-o", "jsonpath={.items[*].status.podIP}")).split(" ").filter(Boolean);
  for (const ip of podIPs) await assertStaysLocal(ip);

  // One host, v1beta1; requests for hosts no rule names go to default-http-backend.
  await apply("myapp-ingress.yaml");
  await routes(ports, "myapp.com", "/", /^myapp myapp-/);
  await routes(ports, "unknown.example", "/", /^custom error page$/);
  await eventually(async () => /^myapp-ingress\s+edgeplane\s+myapp\.com\s+\d+\.\d+\.\d+\.\d+\s+80\s/m.test(await kubectl("get", "ingress", "-n", "course")), "kubectl get ingress to show the node's address", 20_000);

  // Multiple paths on one host, with rewrite-target: / (the backends see "/").
  await apply("simple-fanout-example.yaml");
  await routes(ports, "myapp.com", "/analytics", /^analytics analytics-/);
  await routes(ports, "myapp.com", "/analytics/reports/today", /^analytics analytics-/);
  await routes(ports, "myapp.com", "/shop", /^shopping shopping-/);
  await routes(ports, "myapp.com", "/", /^myapp myapp-/);
  await remove("simple-fanout-example.yaml");
  await remove("myapp-ingress.yaml");

  // Two subdomains; requests spread over both analytics pods.
  await apply("virtual-host-ingress.yaml");
  await routes(ports, "analytics.myapp.com", "/", /^analytics analytics-/);
  await routes(ports, "shop.myapp.com", "/", /^shopping shopping-/);
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) seen.add((await get(ports, "analytics.myapp.com", "/")).body);
  expect(seen.size).toBe(2);
  // A pod whose readiness probe fails gets no requests; back in, it gets them again.
  const [unready] = (await kubectl("get", "pods", "-n", "course", "-l", "app=analytics", "-o", "jsonpath={.items[*].metadata.name}")).split(" ");
  await kubectl("exec", "-n", "course", unready!, "--", "rm", "/ready");
  await eventually(async () => (await kubectl("get", "pod", unready!, "-n", "course")).includes("0/1"), `${unready} not ready`, 20_000);
  await eventually(async () => {
    const bodies = await Promise.all(Array.from({ length: 20 }, () => get(ports, "analytics.myapp.com", "/")));
    return bodies.every((b) => b.status === 200 && !b.body.includes(unready!));
  }, `no request reaching the not-ready ${unready}`, 20_000, 300);
  await kubectl("exec", "-n", "course", unready!, "--", "touch", "/ready");
  await eventually(async () => {
    const bodies = await Promise.all(Array.from({ length: 20 }, () => get(ports, "analytics.myapp.com", "/")));
    return bodies.some((b) => b.body.includes(unready!));
  }, `${unready} back in rotation`, 20_000, 300);
  await remove("virtual-host-ingress.yaml");

  // An HTTP Upgrade (the handshake WebSockets use) through the ingress, then bytes both ways.
  await apply("upgrade-ingress.yaml");
  await eventually(async () => (await upgradeEcho(ports, "ws.myapp.com", "ping")) === "ping", "an upgraded connection echoing through the ingress", 20_000, 300);
  await remove("upgrade-ingress.yaml");

  // TLS from a kubernetes.io/tls Secret in the Ingress's namespace, chosen by SNI; HTTP redirects.
  const dir = await mkdtemp(join(tmpdir(), "edgeplane-ingress-tls-"));
  try {
    const { cert, key } = await selfSignedPem(["myapp.com"]);
    await writeFile(join(dir, "tls.crt"), cert);
    await writeFile(join(dir, "tls.key"), key);
    await kubectl("create", "secret", "tls", "myapp-secret-tls", "-n", "course", `--cert=${join(dir, "tls.crt")}`, `--key=${join(dir, "tls.key")}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await apply("tls-example-ingress.yaml");
  const secure = await routes(ports, "myapp.com", "/", /^myapp myapp-/, true);
  expect(secure.certificate).toBe("myapp.com");
  await eventually(async () => (await get(ports, "myapp.com", "/index.html")).status === 308, "plain HTTP to myapp.com redirected", 20_000);
  expect((await get(ports, "myapp.com", "/index.html")).location).toBe(`https://myapp.com:${ports.https}/index.html`);
  await remove("tls-example-ingress.yaml");

  // The dashboard rule, in its own namespace.
  await apply("dashboard-ingress.yaml");
  await routes(ports, "dashboard.com", "/", /^dashboard$/);
  await remove("dashboard-ingress.yaml");
  // default-http-backend goes too: later scenarios expect the built-in 404.
  await remove("backends.yaml");
  await eventually(async () => !(await kubectl("get", "services", "-n", "kube-system", "-o", "name")).includes("default-http-backend"), "default-http-backend removed");
}

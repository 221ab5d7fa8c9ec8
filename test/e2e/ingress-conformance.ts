// The scenarios of kubernetes-sigs/ingress-controller-conformance (features/*.feature: default
// backend, host rules, ingress class, load balancing, path rules), run against the npm start
// cluster's node ingress with the same Ingress manifests and expectations. The suite's echo
// server is stood in for by busybox: one pod listens on a port per Service (nc -ll -e running a
// shell script from a ConfigMap), so each answer names the Service, pod and request it saw.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { eventually } from "./helpers";
import type { IngressPorts } from "./ingress-traffic";
import { assertStaysLocal } from "./local-route";
import { selfSignedPem } from "./tls-certs";

type Kubectl = (...args: string[]) => Promise<string>;

const NAMESPACE = "conformance";
const LOOPBACK = "127.0.0.1";

/** The Services the feature files name, each on its own port of the echo pods. */
const SERVICES = [
  "echo-service", "wildcard-foo-com", "foo-bar-com", "foo-exact", "foo-prefix", "aaa-slash-bbb-prefix",
  "aaa-prefix", "aaa-slash-bbb-slash-prefix", "foo-slash-exact", "ingress-class-prefix",
];
const FIRST_PORT = 8001;

/** One HTTP request per connection, as the conformance echoserver answers it (JSON of what it saw). */
const ECHO_SCRIPT = `#!/bin/sh
read -r method path proto
proto=$(printf %s "$proto" | tr -d '\\r')
host=''; agent=''; length=0
while IFS= read -r line; do
  line=$(printf %s "$line" | tr -d '\\r')
  [ -z "$line" ] && break
  case "$line" in
    [Hh]ost:*) host=\${line#*: } ;;
    [Uu]ser-[Aa]gent:*) agent=\${line#*: } ;;
    [Cc]ontent-[Ll]ength:*) length=\${line#*: } ;;
  esac
done
if [ "$length" -gt 0 ] 2>/dev/null; then head -c "$length" >/dev/null; fi
body="{\\"service\\":\\"$SERVICE\\",\\"pod\\":\\"$(hostname)\\",\\"method\\":\\"$method\\",\\"path\\":\\"$path\\",\\"proto\\":\\"$proto\\",\\"host\\":\\"$host\\",\\"userAgent\\":\\"$agent\\"}"
printf 'HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: %s\\r\\nServer: echoserver\\r\\nDate: %s\\r\\nConnection: close\\r\\n\\r\\n%s' "\${#body}" "$(date -u '+%a, %d %b %Y %H:%M:%S GMT')" "$body"
`;

function echoObjects(): object[] {
  const listeners = SERVICES.map((s, i) => `SERVICE=${s} nc -ll -p ${FIRST_PORT + i} -e /echo/echo.sh &`).join(" ");
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "echo", namespace: NAMESPACE }, data: { "echo.sh": ECHO_SCRIPT } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "echo", namespace: NAMESPACE },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "echo" } },
        template: {
          metadata: { labels: { app: "echo" } },
          spec: {
            containers: [{
              name: "echo",
              image: "edgeplane.test/busybox:1",
              imagePullPolicy: "Never",
              command: ["sh", "-c", `${listeners} wait`],
              ports: SERVICES.map((_, i) => ({ containerPort: FIRST_PORT + i })),
              volumeMounts: [{ name: "echo", mountPath: "/echo" }],
            }],
            volumes: [{ name: "echo", configMap: { name: "echo", defaultMode: 0o755 } }],
          },
        },
      },
    },
    ...SERVICES.map((name, i) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: NAMESPACE },
      spec: { selector: { app: "echo" }, ports: [{ name: "http", port: 8080, targetPort: FIRST_PORT + i }] },
    })),
  ];
}

interface Echo {
  service: string;
  pod: string;
  method: string;
  path: string;
  proto: string;
  host: string;
  userAgent: string;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  echo?: Echo;
  httpVersion: string;
  authorized?: boolean;
}

function send(ports: IngressPorts, method: string, url: string, ca?: string): Promise<Answer> {
  const target = new URL(url);
  const tls = target.protocol === "https:";
  return new Promise((resolve, reject) => {
    const options = {
      host: LOOPBACK,
      port: tls ? ports.https : ports.http,
      path: `${target.pathname}${target.search}`,
      method,
      headers: { host: target.hostname, "user-agent": "Go-http-client/1.1", ...(method === "GET" || method === "DELETE" ? {} : { "content-length": "0" }) },
      agent: false as const,
    };
    const onResponse = (res: import("node:http").IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => {
        let echo: Echo | undefined;
        try {
          echo = res.statusCode === 200 ? (JSON.parse(body) as Echo) : undefined;
        } catch {
          echo = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, echo, httpVersion: res.httpVersion, authorized: tls ? (res.socket as import("node:tls").TLSSocket).authorized : undefined });
      });
    };
    const req = tls
      ? httpsRequest({ ...options, servername: target.hostname, ca, rejectUnauthorized: true }, onResponse)
      : httpRequest(options, onResponse);
    req.on("error", reject);
    req.setTimeout(5_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.end();
  });
}

/** Applies a manifest (YAML text) in the conformance namespace. */
async function applyText(kubectl: Kubectl, text: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "edgeplane-conformance-"));
  try {
    await writeFile(join(dir, "manifest.yaml"), text);
    await kubectl("apply", "-n", NAMESPACE, "-f", join(dir, "manifest.yaml"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** "Then The Ingress status shows the IP address or FQDN where it is exposed". */
async function exposed(kubectl: Kubectl, name: string): Promise<void> {
  await eventually(async () => /^\d+\.\d+\.\d+\.\d+$/.test(await kubectl("get", "ingress", name, "-n", NAMESPACE, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")), `Ingress ${name} to show its address`, 20_000);
}

/** Waits until `url` is served by `service` (a new rule is live), then returns that answer. */
async function servedBy(ports: IngressPorts, url: string, service: string, ca?: string): Promise<Answer> {
  let last: Answer | undefined;
  await eventually(async () => {
    last = await send(ports, "GET", url, ca).catch(() => undefined);
    return last?.echo?.service === service;
  }, `${url} served by ${service}`, 20_000, 200).catch((error: unknown) => {
    throw new Error(`${String(error)}; last answer: ${JSON.stringify(last)}`);
  });
  return last!;
}

const specIngress = (name: string, spec: string) => `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ${name}\nspec:\n${spec.replace(/^/gm, "  ")}\n`;

export async function checkIngressConformance(kubectl: Kubectl, ports: IngressPorts): Promise<void> {
  await applyText(kubectl, JSON.stringify({ apiVersion: "v1", kind: "List", items: echoObjects() }));
  await eventually(async () => /\s1\/1\s+Running\s/.test(await kubectl("get", "pods", "-n", NAMESPACE, "-l", "app=echo", "--no-headers")), "the echo pod Running", 90_000, 500);
  for (const ip of (await kubectl("get", "pods", "-n", NAMESPACE, "-o", "jsonpath={.items[*].status.podIP}")).split(" ").filter(Boolean)) await assertStaysLocal(ip);

  // Feature: Default backend.
  await applyText(kubectl, specIngress("default-backend", "defaultBackend:\n  service:\n    name: echo-service\n    port:\n      number: 8080"));
  await exposed(kubectl, "default-backend");
  await servedBy(ports, "http://my-host/", "echo-service");
  for (const [method, host, path] of [["GET", "my-host", ""], ["GET", "my-host", "sub-path"], ["POST", "some-host", ""], ["PUT", "", "resource"], ["DELETE", "some-host", "resource"], ["PATCH", "my-host", "resource"]] as const) {
    const answer = await send(ports, method, `http://${host || LOOPBACK}/${path}`);
    expect(answer.status, `${method} ${host}/${path}`).toBe(200);
    expect(answer.echo?.service).toBe("echo-service");
    expect(answer.httpVersion).toBe("1.1");
    for (const header of ["content-length", "content-type", "date", "server"]) expect(answer.headers[header], header).toBeDefined();
    expect(answer.echo?.method).toBe(method);
    expect(answer.echo?.path).toBe(`/${path}`);
    expect(answer.echo?.proto).toBe("HTTP/1.1");
    expect(answer.echo?.userAgent).toBe("Go-http-client/1.1");
  }

  // Feature: Load Balancing (the default backend scaled to 10 pods; 100 requests reach all of them).
  await kubectl("scale", "deployment", "echo", "-n", NAMESPACE, "--replicas=10");
  await eventually(async () => ((await kubectl("get", "pods", "-n", NAMESPACE, "-l", "app=echo", "--no-headers")).match(/\s1\/1\s+Running\s/g) ?? []).length === 10, "10 echo pods Running", 120_000, 500);
  for (const ip of (await kubectl("get", "pods", "-n", NAMESPACE, "-o", "jsonpath={.items[*].status.podIP}")).split(" ").filter(Boolean)) await assertStaysLocal(ip);
  await eventually(async () => {
    const pods = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const answer = await send(ports, "GET", "http://load-balancing/");
      if (answer.status !== 200) return false;
      pods.add(answer.echo?.pod ?? "");
    }
    return pods.size === 10;
  }, "100 requests answered by 10 different pods", 30_000, 500);
  await kubectl("delete", "ingress", "default-backend", "-n", NAMESPACE);
  await kubectl("scale", "deployment", "echo", "-n", NAMESPACE, "--replicas=1");

  // Feature: Host rules.
  const { cert, key } = await selfSignedPem(["foo.bar.com"]);
  const dir = await mkdtemp(join(tmpdir(), "edgeplane-conformance-tls-"));
  try {
    await writeFile(join(dir, "tls.crt"), cert);
    await writeFile(join(dir, "tls.key"), key);
    await kubectl("create", "secret", "tls", "conformance-tls", "-n", NAMESPACE, `--cert=${join(dir, "tls.crt")}`, `--key=${join(dir, "tls.key")}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await applyText(kubectl, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: host-rules
spec:
  tls:
    - hosts:
        - foo.bar.com
      secretName: conformance-tls
  rules:
    - host: "*.foo.com"
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: wildcard-foo-com
                port:
                  number: 8080
    - host: foo.bar.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: foo-bar-com
                port:
                  name: http
`);
  await exposed(kubectl, "host-rules");
  const secure = await servedBy(ports, "https://foo.bar.com/", "foo-bar-com", cert);
  expect(secure.authorized).toBe(true);
  expect(secure.echo?.host).toBe("foo.bar.com");
  // The suite's plain-HTTP request to a TLS host: ingress-nginx redirects it, the suite follows.
  const plain = await send(ports, "GET", "http://foo.bar.com/");
  expect([200, 308]).toContain(plain.status);
  // The tests listen on a free HTTPS port, which the redirect names (443 would go unnamed).
  if (plain.status === 308) expect(plain.headers.location).toBe(`https://foo.bar.com:${ports.https}/`);
  else expect(plain.echo?.service).toBe("foo-bar-com");
  expect((await send(ports, "GET", "http://subdomain.bar.com/")).status).toBe(404);
  const wildcard = await send(ports, "GET", "http://bar.foo.com/");
  expect(wildcard.echo?.service).toBe("wildcard-foo-com");
  expect(wildcard.echo?.host).toBe("bar.foo.com");
  expect((await send(ports, "GET", "http://baz.bar.foo.com/")).status).toBe(404);
  expect((await send(ports, "GET", "http://foo.com/")).status).toBe(404);
  await kubectl("delete", "ingress", "host-rules", "-n", NAMESPACE);

  // Feature: Ingress class.
  await applyText(kubectl, specIngress("test-ingress-class", `ingressClassName: some-invalid-class-name
rules:
  - host: "ingress-class"
    http:
      paths:
        - path: /
          pathType: Prefix
          backend:
            service:
              name: ingress-class-prefix
              port:
                number: 8080`));
  // Give the controllers a pass to (not) act on it.
  await new Promise((r) => setTimeout(r, 2_000));
  expect(await kubectl("get", "ingress", "test-ingress-class", "-n", NAMESPACE, "-o", "jsonpath={.status.loadBalancer}")).toMatch(/^(\{\})?$/);
  expect((await send(ports, "GET", "http://ingress-class/")).status).toBe(404);
  await kubectl("delete", "ingress", "test-ingress-class", "-n", NAMESPACE);

  // Feature: Path rules.
  const backend = (name: string) => `backend:\n                service:\n                  name: ${name}\n                  port:\n                    number: 8080`;
  const path = (p: string, type: string, name: string) => `            - path: ${p}\n              pathType: ${type}\n              ${backend(name)}`;
  await applyText(kubectl, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: path-rules
spec:
  rules:
    - host: "exact-path-rules"
      http:
        paths:
${path("/foo", "Exact", "foo-exact")}
    - host: "prefix-path-rules"
      http:
        paths:
${path("/foo", "Prefix", "foo-prefix")}
${path("/aaa/bbb", "Prefix", "aaa-slash-bbb-prefix")}
${path("/aaa", "Prefix", "aaa-prefix")}
    - host: "mixed-path-rules"
      http:
        paths:
${path("/foo", "Prefix", "foo-prefix")}
${path("/foo", "Exact", "foo-exact")}
    - host: "trailing-slash-path-rules"
      http:
        paths:
${path("/aaa/bbb/", "Prefix", "aaa-slash-bbb-slash-prefix")}
${path("/foo/", "Exact", "foo-slash-exact")}
`);
  await exposed(kubectl, "path-rules");
  await servedBy(ports, "http://exact-path-rules/foo", "foo-exact");
  const cases: [string, string | 404][] = [
    ["http://exact-path-rules/foo", "foo-exact"],
    ["http://exact-path-rules/foo/", 404],
    ["http://exact-path-rules/FOO", 404],
    ["http://exact-path-rules/bar", 404],
    ["http://prefix-path-rules/foo", "foo-prefix"],
    ["http://prefix-path-rules/foo/", "foo-prefix"],
    ["http://prefix-path-rules/FOO", 404],
    ["http://prefix-path-rules/aaa/bbb", "aaa-slash-bbb-prefix"],
    ["http://prefix-path-rules/aaa/bbb/ccc", "aaa-slash-bbb-prefix"],
    ["http://prefix-path-rules/aaa/ccc", "aaa-prefix"],
    ["http://prefix-path-rules/aaaccc", 404],
    ["http://mixed-path-rules/foo", "foo-exact"],
    ["http://trailing-slash-path-rules/aaa/bbb", "aaa-slash-bbb-slash-prefix"],
    ["http://trailing-slash-path-rules/aaa/bbb/", "aaa-slash-bbb-slash-prefix"],
    ["http://trailing-slash-path-rules/foo", 404],
  ];
  for (const [url, expected] of cases) {
    const answer = await send(ports, "GET", url);
    if (expected === 404) expect(answer.status, url).toBe(404);
    else expect(answer.echo?.service, url).toBe(expected);
  }
  await kubectl("delete", "namespace", NAMESPACE, "--wait=false");
}

// The Services scenario the npm start test runs on its one-node cluster: traffic through
// ClusterIP, DNS names across namespaces, NodePort, LoadBalancer, headless and StatefulSet names,
// SRV, PTR, ExternalName and UDP. Every address is checked to stay on this machine before use.
import dgram from "node:dgram";
import { connect, createServer, type AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import packet from "dns-packet";
import { expect } from "vitest";
import { eventually } from "./helpers";
import { assertStaysLocal } from "./local-route";

export { assertStaysLocal };

export const TRAFFIC_MANIFEST = join(import.meta.dirname, "manifests", "traffic.yaml");

type Kubectl = (...args: string[]) => Promise<string>;


async function httpGet(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return (await response.text()).trim();
}

/** The source address a plain 127.0.0.1 → 127.0.0.1 TCP connection arrives with. */
async function loopbackPeer(): Promise<string | undefined> {
  const server = createServer();
  const seen = new Promise<string | undefined>((resolve) => server.once("connection", (socket) => { resolve(socket.remoteAddress); socket.destroy(); }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
  client.on("error", () => {});
  try {
    return await seen;
  } finally {
    client.destroy();
    server.close();
  }
}

/** A UDP responder on the node's bridge address that answers every A question with 10.1.2.3. */
async function udpResponder(address: string): Promise<{ port: number; close(): void }> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (message, remote) => {
    const query = packet.decode(message);
    const answers = (query.questions ?? []).filter((q) => q.type === "A").map((q) => ({ type: "A" as const, name: q.name, ttl: 1, data: "10.1.2.3" }));
    socket.send(packet.encode({ type: "response", id: query.id, flags: packet.AUTHORITATIVE_ANSWER, questions: query.questions, answers }), remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return { port: socket.address().port, close: () => socket.close() };
}

export async function checkServiceTraffic(kubectl: Kubectl, node: string): Promise<void> {
  const sh = (ns: string, script: string) => kubectl("-n", ns, "exec", "client", "--", "sh", "-c", script);
  // busybox's nslookup tries every search suffix and exits with the last one's result: read its output.
  const lookup = (ns: string, args: string) => sh(ns, `nslookup ${args}; true`);
  await kubectl("apply", "-f", TRAFFIC_MANIFEST);
  await eventually(async () => {
    const pods = await kubectl("get", "pods", "-A", "--no-headers");
    return (pods.match(/\s1\/1\s+Running\s/g) ?? []).length === 7;
  }, "7 pods Running and Ready", 90_000, 500);

  const podCIDR = await kubectl("get", "node", node, "-o", "jsonpath={.spec.podCIDR}");
  expect(podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/);
  const gateway = podCIDR.replace(/0\/24$/, "1");
  const clusterIP = await kubectl("-n", "shop", "get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}");
  const webPods = (await kubectl("-n", "shop", "get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}")).split(" ");
  expect(webPods).toHaveLength(3);
  // Before any traffic: every address the pods will reach (the cluster DNS, the Services, every
  // pod IP behind them, the node's bridge) must be delivered on this machine, not via the gateway.
  const podIPs = (await kubectl("get", "pods", "-A", "-o", "jsonpath={.items[*].status.podIP}")).split(" ").filter(Boolean);
  const serviceIPs = (await kubectl("get", "svc", "-A", "-o", "jsonpath={.items[*].spec.clusterIP}")).split(" ").filter((ip) => /^\d/.test(ip));
  expect(serviceIPs).toContain("10.96.0.10");
  for (const ip of [...serviceIPs, ...podIPs, gateway]) await assertStaysLocal(ip);

  // By every name and by address, from the same namespace and from another.
  await assertStaysLocal(clusterIP);
  expect(await sh("shop", "wget -qO- http://web/")).toMatch(/^web-/);
  for (const name of ["web.shop", "web.shop.svc", "web.shop.svc.cluster.local", clusterIP]) {
    expect(await sh("default", `wget -qO- http://${name}/`), name).toMatch(/^web-/);
  }
  // Spread over all three replicas.
  const seen = new Set((await sh("default", "for i in $(seq 1 40); do wget -qO- http://web.shop/; done")).split("\n").filter(Boolean));
  expect([...seen].sort()).toEqual([...webPods].sort());

  // A replica made not-ready gets nothing new.
  const [unready] = webPods as [string];
  await kubectl("-n", "shop", "exec", unready, "--", "rm", "/www/ready");
  await eventually(async () => !(await kubectl("-n", "shop", "get", "endpointslices", "-o", "jsonpath={.items[*].endpoints[?(@.conditions.ready==true)].targetRef.name}")).includes(unready), `${unready} out of the endpoints`, 30_000, 250);
  await new Promise((r) => setTimeout(r, 1_000)); // the 1 s budget for rules to follow
  const after = (await sh("default", "for i in $(seq 1 30); do wget -qO- http://web.shop/; done")).split("\n").filter(Boolean);
  expect(after).toHaveLength(30);
  expect(after).not.toContain(unready);
  await kubectl("-n", "shop", "exec", unready, "--", "touch", "/www/ready");

  // NodePort: on the node's 127.0.0.1, and on its bridge address from a pod.
  const nodePort = await kubectl("-n", "shop", "get", "svc", "web-np", "-o", "jsonpath={.spec.ports[0].nodePort}");
  expect(await httpGet(`http://127.0.0.1:${nodePort}/`)).toMatch(/^web-/);
  // Only NodePort connections are masqueraded: any other loopback connection keeps 127.0.0.1.
  expect(await loopbackPeer()).toBe("127.0.0.1");
  await assertStaysLocal(gateway);
  expect(await sh("default", `wget -qO- http://${gateway}:${nodePort}/`)).toMatch(/^web-/);

  // LoadBalancer: the node's address as the external IP, answering there and on 127.0.0.1.
  await eventually(async () => /^\d+\.\d+\.\d+\.\d+$/.test(await kubectl("-n", "shop", "get", "svc", "web-lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")), "web-lb has an external IP", 30_000);
  const externalIP = await kubectl("-n", "shop", "get", "svc", "web-lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}");
  expect(await kubectl("-n", "shop", "get", "svc", "web-lb")).toContain(externalIP);
  expect(await httpGet("http://127.0.0.1:8088/")).toMatch(/^web-/);
  await assertStaysLocal(externalIP);
  expect(await httpGet(`http://${externalIP}:8088/`)).toMatch(/^web-/);

  // Headless: every pod; StatefulSet pods by their stable names; SRV; PTR; ExternalName.
  const dbIPs = (await kubectl("-n", "shop", "get", "pods", "db-0", "db-1", "-o", "jsonpath={.items[*].status.podIP}")).split(" ");
  for (const ip of dbIPs) await assertStaysLocal(ip);
  // The endpoints controller publishes the pods once they are Ready; DNS follows the slices.
  await eventually(async () => {
    const headless = await lookup("default", "db.shop.svc.cluster.local");
    return dbIPs.every((ip) => headless.includes(ip));
  }, `db.shop resolving to ${dbIPs.join(", ")}`, 15_000, 500);
  // busybox's nslookup searches only dot-less names; wget resolves through libc, which honours ndots:5.
  expect(await lookup("shop", "db-0.db.shop.svc.cluster.local")).toContain(dbIPs[0]);
  expect((await sh("shop", "wget -qO- http://db-0.db/")).trim()).toBe("db-0");
  expect((await sh("shop", "wget -qO- http://db-1.db/")).trim()).toBe("db-1");
  expect(await lookup("default", "-type=srv _web._tcp.db.shop.svc.cluster.local")).toMatch(/db-0\.db\.shop\.svc\.cluster\.local/);
  expect(await lookup("default", "-type=srv _http._tcp.web.shop.svc.cluster.local")).toMatch(/80 web\.shop\.svc\.cluster\.local/);
  expect(await lookup("default", clusterIP)).toContain("name = web.shop.svc.cluster.local");
  expect(await lookup("default", "-type=cname alias.default.svc.cluster.local")).toContain("canonical name = web.shop.svc.cluster.local");

  // UDP through a Service: a selector-less Service whose slice points at a responder on the node.
  await assertStaysLocal(gateway);
  const responder = await udpResponder(gateway);
  try {
    const manifest = [
        { apiVersion: "v1", kind: "Service", metadata: { name: "udp-probe", namespace: "default" }, spec: { ports: [{ name: "dns", port: 53, protocol: "UDP" }] } },
        {
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: { name: "udp-probe-1", namespace: "default", labels: { "kubernetes.io/service-name": "udp-probe" } },
          addressType: "IPv4",
          ports: [{ name: "dns", port: responder.port, protocol: "UDP" }],
          endpoints: [{ addresses: [gateway], conditions: { ready: true } }],
        },
    ];
    await applyDocuments(kubectl, manifest);
    const udpIP = await kubectl("get", "svc", "udp-probe", "-o", "jsonpath={.spec.clusterIP}");
    await assertStaysLocal(udpIP);
    await eventually(async () => (await lookup("default", `probe.test. ${udpIP}`)).includes("10.1.2.3"), "an answer through the UDP Service", 15_000, 500);
  } finally {
    responder.close();
  }
}

/** `kubectl apply -f` of a multi-document file (each document JSON, which YAML reads as is). */
async function applyDocuments(kubectl: Kubectl, documents: unknown[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "edgeplane-manifest-"));
  const file = join(dir, "manifest.yaml");
  try {
    await writeFile(file, documents.map((d) => `---\n${JSON.stringify(d)}\n`).join(""));
    await kubectl("apply", "-f", file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

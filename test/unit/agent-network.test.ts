// The agent's pod network as pure functions: proxy plans, their nft difference, the DNS zone and
// the DNS server's answers, and pods' resolv.conf.
import packet from "dns-packet";
import { describe, expect, it } from "vitest";
import { Forwarder } from "../../node-agent/network/dns/forwarder";
import { DnsServer } from "../../node-agent/network/dns/server";
import { ClusterZone } from "../../node-agent/network/dns/zone";
import { diffScript, fullScript } from "../../node-agent/network/nft-script";
import { emptyPlan, planProxy, REJECT_VERDICT } from "../../node-agent/network/proxy-plan";
import { podResolvConf } from "../../node-agent/network/resolv-conf";
import type { EndpointSlice, Service } from "../../node-agent/network/service-catalog";
import { staleUdpFlows } from "../../node-agent/network/udp-conntrack";

const svc = (name: string, spec: Service["spec"], status?: Service["status"]): Service => ({ metadata: { name, namespace: "shop" }, spec, status });
const slice = (service: string, endpoints: EndpointSlice["endpoints"], ports: EndpointSlice["ports"] = [{ name: "http", port: 8080, protocol: "TCP" }]): EndpointSlice => ({
  metadata: { name: `${service}-x`, namespace: "shop", labels: { "kubernetes.io/service-name": service } },
  addressType: "IPv4",
  endpoints,
  ports,
});
const ep = (ip: string, ready = true, nodeName = "n1", hostname?: string) => ({ addresses: [ip], conditions: { ready, serving: ready }, nodeName, ...(hostname ? { hostname } : {}) });

function plan(services: Service[], slices: EndpointSlice[]) {
  return planProxy({
    services,
    slicesOf: (ns, name) => slices.filter((s) => s.metadata.namespace === ns && s.metadata.labels?.["kubernetes.io/service-name"] === name),
    nodeName: "n1",
    servedLocally: new Set(["10.96.0.10"]),
  });
}

const web = svc("web", { clusterIP: "10.96.0.20", ports: [{ name: "http", port: 80, protocol: "TCP" }] });

describe("proxy plan", () => {
  it("sends a ClusterIP port to a random ready endpoint, each DNATed to its target port", () => {
    const p = plan([web], [slice("web", [ep("10.244.0.2"), ep("10.244.0.3"), ep("10.244.0.4", false)])]);
    const verdict = p.serviceIps.get("10.96.0.20 . tcp . 80");
    expect(verdict).toMatch(/^goto svc-/);
    const svcRules = p.chains.get(verdict!.slice(5))!;
    expect(svcRules).toHaveLength(1);
    expect(svcRules[0]).toMatch(/^numgen random mod 2 vmap \{ 0 : goto sep-\S+, 1 : goto sep-\S+ \}$/);
    const dnats = [...p.chains.values()].flat().filter((r) => r.includes("dnat"));
    expect(dnats).toEqual(["meta l4proto tcp dnat to 10.244.0.2:8080", "meta l4proto tcp dnat to 10.244.0.3:8080"]);
  });

  it("rejects a Service port with no ready endpoint instead of letting it time out", () => {
    const p = plan([web], [slice("web", [ep("10.244.0.4", false)])]);
    expect(p.serviceIps.size).toBe(0);
    expect(p.noEndpointIps.get("10.96.0.20 . tcp . 80")).toBe(REJECT_VERDICT);
  });

  it("skips headless, ExternalName and the locally served cluster DNS", () => {
    const p = plan([svc("h", { clusterIP: "None", ports: [{ port: 80 }] }), svc("e", { type: "ExternalName", externalName: "x.example" }), svc("kube-dns", { clusterIP: "10.96.0.10", ports: [{ port: 53, protocol: "UDP" }] })], []);
    expect(p.serviceIps.size + p.noEndpointIps.size + p.chains.size).toBe(0);
  });

  it("opens NodePorts and LoadBalancer addresses (and 127.0.0.1) through a masquerading chain", () => {
    const lb = svc("lb", { type: "LoadBalancer", clusterIP: "10.96.0.30", ports: [{ name: "http", port: 8088, nodePort: 30080, protocol: "TCP" }] }, { loadBalancer: { ingress: [{ ip: "192.0.2.2" }] } });
    const p = plan([lb], [slice("lb", [ep("10.244.0.2")])]);
    const ext = p.nodePorts.get("tcp . 30080");
    expect(ext).toMatch(/^goto ext-/);
    expect(p.serviceIps.get("192.0.2.2 . tcp . 8088")).toBe(ext);
    expect(p.serviceIps.get("127.0.0.1 . tcp . 8088")).toBe(ext);
    expect(p.chains.get(ext!.slice(5))![0]).toBe("meta mark set meta mark | 0x4000");
  });

  it("keeps externalTrafficPolicy Local to this node's endpoints, and ClientIP affinity in a timed set", () => {
    const s = svc("np", { type: "NodePort", clusterIP: "10.96.0.40", externalTrafficPolicy: "Local", sessionAffinity: "ClientIP", ports: [{ name: "http", port: 80, nodePort: 30090 }] });
    const p = plan([s], [slice("np", [ep("10.244.0.2", true, "n1"), ep("10.244.1.2", true, "n2")])]);
    const ext = p.chains.get(p.nodePorts.get("tcp . 30090")!.slice(5))!;
    const local = p.chains.get(ext[ext.length - 1]!.slice(5))!;
    expect(local.join("\n")).toContain("sep-");
    expect([...p.chains.values()].flat().filter((r) => r.startsWith("update @aff-"))).toHaveLength(2);
    expect([...p.affinitySets.values()]).toEqual([10800, 10800]);
    // The local chain names one endpoint, the node's own.
    const localTargets = local.filter((r) => r.includes("goto sep-"));
    expect(localTargets.length).toBeGreaterThan(0);
    const target = localTargets[localTargets.length - 1]!.replace(/.*goto /, "");
    expect(p.chains.get(target)!.join("\n")).toContain("dnat to 10.244.0.2:8080");
  });
});

describe("nft scripts", () => {
  it("writes the whole table once, chains declared before any rule names them", () => {
    const script = fullScript(plan([web], [slice("web", [ep("10.244.0.2")])]), { clusterCIDR: "10.244.0.0/16", podCIDR: "10.244.0.0/24", bridge: "edgeplane0" });
    const lines = script.trim().split("\n");
    expect(lines.slice(0, 3)).toEqual(["add table ip edgeplane", "delete table ip edgeplane", "add table ip edgeplane"]);
    const firstRule = lines.findIndex((l) => l.startsWith("add rule"));
    expect(lines.slice(firstRule).some((l) => l.startsWith("add chain"))).toBe(false);
    expect(script).toContain('oifname != "edgeplane0" masquerade');
  });

  it("changes only what changed: a new endpoint rewrites one service chain, never the table", () => {
    const before = plan([web], [slice("web", [ep("10.244.0.2")])]);
    const after = plan([web], [slice("web", [ep("10.244.0.2"), ep("10.244.0.3")])]);
    const script = diffScript(before, after);
    expect(script).not.toMatch(/table/);
    expect(script.match(/^add chain .*sep-/gm)).toHaveLength(1);
    expect(script.match(/^flush chain .*svc-/gm)).toHaveLength(1);
    expect(script).not.toMatch(/element/);
    expect(diffScript(after, after)).toBe("");
  });

  it("removes a deleted Service's map entry before its chains, and its chains last", () => {
    const before = plan([web], [slice("web", [ep("10.244.0.2")])]);
    const lines = diffScript(before, emptyPlan()).trim().split("\n");
    expect(lines[0]).toMatch(/^delete element ip edgeplane service-ips \{ 10\.96\.0\.20 \. tcp \. 80 \}$/);
    expect(lines.filter((l) => l.startsWith("delete chain"))).toHaveLength(2);
    expect(lines.findIndex((l) => l.startsWith("flush chain"))).toBeGreaterThan(0);
  });
});

describe("cluster DNS zone", () => {
  const zone = new ClusterZone("cluster.local");
  zone.rebuild(
    [web, svc("db", { clusterIP: "None", ports: [{ name: "web", port: 80 }] }), svc("alias", { type: "ExternalName", externalName: "web.shop.svc.cluster.local" })],
    (_ns, name) => (name === "db" ? [slice("db", [ep("10.244.0.5", true, "n1", "db-0"), ep("10.244.0.6", true, "n1", "db-1"), ep("10.244.0.7", false, "n1", "db-2")], [{ name: "web", port: 80, protocol: "TCP" }])] : []),
  );

  it("answers Services, headless pods, stable names, SRV, PTR and CNAME", () => {
    expect(zone.lookup("web.shop.svc.cluster.local", "A").answers.map((a) => a.data)).toEqual(["10.96.0.20"]);
    expect(zone.lookup("WEB.shop.svc.cluster.local", "A").answers[0]?.name).toBe("WEB.shop.svc.cluster.local");
    expect(zone.lookup("db.shop.svc.cluster.local", "A").answers.map((a) => a.data)).toEqual(["10.244.0.5", "10.244.0.6"]);
    expect(zone.lookup("db-1.db.shop.svc.cluster.local", "A").answers.map((a) => a.data)).toEqual(["10.244.0.6"]);
    const srv = zone.lookup("_web._tcp.db.shop.svc.cluster.local", "SRV");
    expect(srv.answers.map((a) => a.type === "SRV" && a.data.target)).toEqual(["db-0.db.shop.svc.cluster.local", "db-1.db.shop.svc.cluster.local"]);
    expect(srv.additionals.map((a) => a.data)).toEqual(["10.244.0.5", "10.244.0.6"]);
    expect(zone.lookup("_http._tcp.web.shop.svc.cluster.local", "SRV").answers[0]?.data).toEqual({ priority: 0, weight: 100, port: 80, target: "web.shop.svc.cluster.local" });
    expect(zone.lookup("20.0.96.10.in-addr.arpa", "PTR").answers[0]?.data).toBe("web.shop.svc.cluster.local");
    expect(zone.lookup("alias.shop.svc.cluster.local", "A").answers).toEqual([{ type: "CNAME", name: "alias.shop.svc.cluster.local", data: "web.shop.svc.cluster.local" }]);
    expect(zone.lookup("10-244-0-9.shop.pod.cluster.local", "A").answers[0]?.data).toBe("10.244.0.9");
  });

  it("tells a missing name (NXDOMAIN) from an existing one without that type (NODATA)", () => {
    expect(zone.lookup("nope.shop.svc.cluster.local", "A").rcode).toBe(3);
    expect(zone.lookup("db-2.db.shop.svc.cluster.local", "A").rcode).toBe(3);
    expect(zone.lookup("web.shop.svc.cluster.local", "AAAA")).toEqual({ rcode: 0, answers: [], additionals: [] });
    expect(zone.lookup("shop.svc.cluster.local", "A").rcode).toBe(0);
    expect(zone.owns("example.com")).toBe(false);
    expect(zone.owns("1.2.3.4.in-addr.arpa")).toBe(false);
  });

  it("serves over the wire: authoritative answers, FORMERR for garbage, SERVFAIL with no upstream", async () => {
    const server = new DnsServer({ zone, forwarder: new Forwarder(() => []), address: "127.0.0.1", log: () => undefined });
    const ask = async (name: string, type: "A" | "AAAA") => packet.decode((await server.answer(packet.encode({ type: "query", id: 7, flags: packet.RECURSION_DESIRED, questions: [{ name, type, class: "IN" }] }), true))!);
    const a = await ask("web.shop.svc.cluster.local", "A");
    expect(a).toMatchObject({ id: 7, flag_aa: true, rcode: "NOERROR", answers: [{ type: "A", data: "10.96.0.20", ttl: 5 }] });
    expect(await ask("nope.shop.svc.cluster.local", "A")).toMatchObject({ rcode: "NXDOMAIN", authorities: [{ type: "SOA" }] });
    expect(await ask("example.com", "A")).toMatchObject({ rcode: "SERVFAIL" });
    const garbage = Buffer.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 99]);
    expect(packet.decode((await server.answer(garbage, true))!)).toMatchObject({ id: 9, rcode: "FORMERR" });
    expect(await server.answer(Buffer.from([1, 2]), true)).toBeUndefined();
  });
});

describe("pod resolv.conf", () => {
  const cluster = { clusterDNS: "10.96.0.10", clusterDomain: "cluster.local" };
  const host = "nameserver 192.0.2.53\nsearch corp.example\n";

  it("ClusterFirst: the cluster DNS, the namespace's search path, ndots:5", () => {
    expect(podResolvConf({ namespace: "shop" }, cluster, host)).toBe("nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n");
  });

  it("hostNetwork and Default take the node's file; None only dnsConfig; dnsConfig merges", () => {
    expect(podResolvConf({ namespace: "a", hostNetwork: true }, cluster, host)).toBe("nameserver 192.0.2.53\nsearch corp.example\n");
    expect(podResolvConf({ namespace: "a", dnsPolicy: "ClusterFirstWithHostNet", hostNetwork: true }, cluster, host)).toMatch(/^nameserver 10\.96\.0\.10\n/);
    expect(podResolvConf({ namespace: "a", dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], searches: ["x.example"], options: [{ name: "ndots", value: "2" }] } }, cluster, host)).toBe("nameserver 1.1.1.1\nsearch x.example\noptions ndots:2\n");
    expect(podResolvConf({ namespace: "a", dnsConfig: { options: [{ name: "ndots", value: "1" }, { name: "edns0" }] } }, cluster, host)).toContain("options ndots:1 edns0\n");
  });
});

describe("stale UDP flows", () => {
  const dns = svc("dns", { clusterIP: "10.96.0.20", type: "NodePort", ports: [{ name: "dns", port: 53, protocol: "UDP", targetPort: 5353, nodePort: 30053 }] });
  const udpSlice = (eps: ReturnType<typeof ep>[]) => slice("dns", eps, [{ name: "dns", port: 5353, protocol: "UDP" }]);

  it("deletes flows DNATed to a removed endpoint, and a port's flows once it gets its first endpoint", () => {
    const none = plan([dns], [udpSlice([])]);
    const two = plan([dns], [udpSlice([ep("10.244.0.5"), ep("10.244.0.6")])]);
    const one = plan([dns], [udpSlice([ep("10.244.0.5")])]);
    expect(staleUdpFlows(none, two)).toEqual([
      ["-p", "udp", "--orig-dst", "10.96.0.20", "--dport", "53"],
      ["-p", "udp", "--dport", "30053"],
    ]);
    expect(staleUdpFlows(two, one)).toEqual([["-p", "udp", "--dst-nat", "10.244.0.6"]]);
    expect(staleUdpFlows(one, one)).toEqual([]);
  });

  it("leaves TCP alone: its connections end on their own", () => {
    const web = (eps: ReturnType<typeof ep>[]) => plan([svc("web", { clusterIP: "10.96.0.30", ports: [{ name: "http", port: 80, targetPort: "http" }] })], [slice("web", eps)]);
    expect(staleUdpFlows(web([ep("10.244.0.5"), ep("10.244.0.6")]), web([ep("10.244.0.5")]))).toEqual([]);
  });
});

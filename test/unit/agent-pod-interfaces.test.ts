// The agent's own pod interfaces: how a node's block is split between the agent and Docker, the
// round-robin address allocator, the ip -batch scripts, and kubelet's managed hosts file.
import { afterEach, describe, expect, it, vi } from "vitest";
import { podHosts } from "../../node-agent/kubelet/resolv-conf-file";
import type { Pod } from "../../node-agent/kubelet/types";
import { ALLOCATION_GRACE_MS, hostVethName, interfaceScripts, PodAddresses, splitBlock } from "../../node-agent/network/pod-interfaces";

describe("a node's block", () => {
  it("keeps .1 for the bridge, the lower half for the agent and the upper half for Docker", () => {
    expect(splitBlock("10.244.3.0/24")).toEqual({ first: "10.244.3.2", last: "10.244.3.127", gateway: "10.244.3.1", prefix: 24, dockerRange: "10.244.3.128/25" });
    expect(splitBlock("10.244.0.0/23")).toMatchObject({ first: "10.244.0.2", last: "10.244.0.255", dockerRange: "10.244.1.0/24" });
    expect(() => splitBlock("10.244.0.0/30")).toThrow(/expected an IPv4 block/);
  });
});

describe("pod addresses", () => {
  afterEach(() => vi.useRealTimers());

  it("never give one address twice, even to allocations racing a re-read", async () => {
    const addresses = new PodAddresses("10.244.3.0/28", async () => []);
    const got = await Promise.all(Array.from({ length: 6 }, () => addresses.allocate()));
    expect(new Set(got).size).toBe(6);
    await expect(addresses.allocate()).rejects.toThrow(/no free pod address/);
  });

  it("skip what the sandboxes already hold, go round-robin, and reread the sandboxes when they wrap", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    let existing = ["10.244.3.2", "10.244.3.4"];
    let reads = 0;
    const addresses = new PodAddresses("10.244.3.0/28", async () => {
      reads++;
      return existing;
    });
    // A /28 gives the agent .2–.7.
    expect(await addresses.allocate()).toBe("10.244.3.3");
    expect(await addresses.allocate()).toBe("10.244.3.5");
    expect(await addresses.allocate()).toBe("10.244.3.6");
    expect(await addresses.allocate()).toBe("10.244.3.7");
    expect(reads).toBe(1);
    // Full, and Docker does not list .3's and .5's sandboxes: they may still be on their way, so
    // within the grace period nothing is free.
    existing = ["10.244.3.2", "10.244.3.4", "10.244.3.6", "10.244.3.7"];
    await expect(addresses.allocate()).rejects.toThrow(/no free pod address/);
    // Later, their sandboxes are really gone: those two come back.
    vi.setSystemTime(Date.now() + ALLOCATION_GRACE_MS + 1);
    expect(await addresses.allocate()).toBe("10.244.3.3");
    expect(await addresses.allocate()).toBe("10.244.3.5");
    existing = ["10.244.3.2", "10.244.3.3", "10.244.3.4", "10.244.3.5", "10.244.3.6", "10.244.3.7"];
    await expect(addresses.allocate()).rejects.toThrow(/no free pod address in 10\.244\.3\.0\/28/);
  });
});

describe("pod interface scripts", () => {
  it("put a veth on the bridge with hairpin on, and address and route the pod's end", () => {
    const id = "0123456789abcdef";
    expect(hostVethName(id)).toBe("veth0123456789a");
    expect(hostVethName(id).length).toBeLessThanOrEqual(15);
    const scripts = interfaceScripts({ pid: 4242, ip: "10.244.3.9", cidr: "10.244.3.0/24", bridge: "edgeplane0", hostIf: "veth0123456789a" });
    expect(scripts.host).toBe(
      "link add veth0123456789a mtu 1500 type veth peer name eth0 mtu 1500 address 0a:58:0a:f4:03:09 netns 4242\n" +
        "link set veth0123456789a master edgeplane0\n" +
        "link set veth0123456789a type bridge_slave hairpin on\n" +
        "link set veth0123456789a up\n",
    );
    expect(scripts.pod).toBe("link set lo up\naddr add 10.244.3.9/24 dev eth0\nlink set eth0 up\nroute add default via 10.244.3.1 dev eth0\n");
  });
});

describe("the pod's hosts file", () => {
  const pod = (spec: Partial<Pod["spec"]>): Pod => ({ metadata: { name: "web-0", namespace: "shop", uid: "u" }, spec: { containers: [], ...spec } }) as Pod;

  it("names the pod's IP with its hostname, and its FQDN when it has a subdomain", () => {
    expect(podHosts(pod({}), "10.244.3.9", "cluster.local").split("\n").slice(-2)).toEqual(["10.244.3.9\tweb-0", ""]);
    expect(podHosts(pod({ hostname: "db-0", subdomain: "db" }), "10.244.3.9", "cluster.local")).toContain("10.244.3.9\tdb-0.db.shop.svc.cluster.local\tdb-0\n");
    expect(podHosts(pod({}), "10.244.3.9", "cluster.local")).toMatch(/^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
  });
});

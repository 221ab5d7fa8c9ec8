// ClusterIP and NodePort allocation under concurrency, through the real Worker in workerd: many
// Services created at once (interleaving at every D1 await) never share an address or a port,
// freed values are handed out again, and a value another Service holds is a 422 naming the field.
import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { builtInRegistry } from "../../worker/resources/registry";
import { openStore } from "../../worker/store/open";
import { NODE_PORT_RANGE } from "../../shared/cluster-network";
import { asObject, call, createNamespace, type Answer } from "./api-client";
import type { Json } from "./manifest-arbitraries";

const NS = "allocation";
const SERVICES = `/api/v1/namespaces/${NS}/services`;
const CLIENTS = 40;
const FREED = 5;
const CONTENDERS = 20;
/** Forty creates from one starting point lose dozens of claims each: more than the default 5 s. */
const CONCURRENT_TIMEOUT_MS = 120_000;
const JSON_TYPE = { "content-type": "application/json" };
const MERGE_PATCH = { "content-type": "application/merge-patch+json" };
const STALE_MS = 10 * 60_000;

interface Held {
  name: string;
  namespace: string;
  ip: string | undefined;
  nodePorts: number[];
}

function service(name: string, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { type: "NodePort", selector: { app: name }, ports: [{ port: 80 }], ...spec } });
}

function heldBy(obj: Json | undefined): Held {
  const o = asObject(obj);
  const meta = asObject(o.metadata);
  const spec = asObject(o.spec);
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  const ip = typeof spec.clusterIP === "string" && spec.clusterIP !== "None" && spec.clusterIP !== "" ? spec.clusterIP : undefined;
  return { name: String(meta.name), namespace: String(meta.namespace), ip, nodePorts: ports.map((p) => asObject(p).nodePort).filter((p): p is number => typeof p === "number") };
}

async function allServices(): Promise<Held[]> {
  const res = await call("GET", "/api/v1/services");
  expect(res.status, res.text).toBe(200);
  const items = asObject(res.json).items;
  return (Array.isArray(items) ? items : []).map(heldBy);
}

/** No address and no port twice in the whole cluster. */
async function expectAllDistinct(): Promise<void> {
  const all = await allServices();
  const ips = all.flatMap((s) => (s.ip ? [`${s.ip} ${s.namespace}/${s.name}`] : []));
  const ports = all.flatMap((s) => [...new Set(s.nodePorts)].map((p) => `${p} ${s.namespace}/${s.name}`));
  const dupes = (xs: string[]) => {
    const seen = new Map<string, string[]>();
    for (const x of xs) {
      const [value, owner] = x.split(" ") as [string, string];
      seen.set(value, [...(seen.get(value) ?? []), owner]);
    }
    return [...seen].filter(([, owners]) => owners.length > 1);
  };
  expect(dupes(ips)).toEqual([]);
  expect(dupes(ports)).toEqual([]);
}

function expectCreated(answers: Answer[]): Held[] {
  const failed = answers.map((a, i) => ({ i, status: a.status, text: a.text.slice(0, 300) })).filter((a) => a.status !== 201);
  expect(failed).toEqual([]);
  return answers.map((a) => heldBy(a.json));
}

function causesOf(res: Answer): { field?: string; message?: string }[] {
  const causes = asObject(asObject(res.json).details).causes;
  return Array.isArray(causes) ? causes.map((c) => asObject(c) as { field?: string; message?: string }) : [];
}

/** Every allocator starts its scan at the same value, so concurrent creates contend for each one. */
function sameStartingPoint(): void {
  vi.spyOn(crypto, "getRandomValues").mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
    if (array) new Uint8Array(array.buffer, array.byteOffset, array.byteLength).fill(0);
    return array;
  });
}

/** A port no Service holds and no row reserves, from the top of the range down (allocations here start at the bottom). */
async function freePort(skip = 0): Promise<number> {
  const held = new Set((await allServices()).flatMap((s) => s.nodePorts));
  const rows = await openStore(env, builtInRegistry()).list("edgeplane.dev", "servicenodeports");
  for (const r of rows.items) held.add(Number(r.key.name));
  let left = skip;
  for (let p = NODE_PORT_RANGE.max; p >= NODE_PORT_RANGE.min; p--) if (!held.has(p) && left-- === 0) return p;
  throw new Error("no free node port");
}

afterEach(() => {
  vi.restoreAllMocks();
});

beforeAll(() => createNamespace(NS));

describe("Service allocation under concurrency", () => {
  let created: Held[] = [];

  it(`gives ${CLIENTS} Services created at once distinct ClusterIPs and NodePorts`, async () => {
    sameStartingPoint();
    const answers = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => call("POST", SERVICES, service(`svc-${i}`), JSON_TYPE)));
    created = expectCreated(answers);
    for (const s of created) {
      expect(s.ip).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
      expect(s.nodePorts).toHaveLength(1);
    }
    await expectAllDistinct();
  }, CONCURRENT_TIMEOUT_MS);

  it("hands the addresses and ports of deleted Services out again", async () => {
    sameStartingPoint();
    const gone = created.slice(0, FREED);
    const deleted = await Promise.all(gone.map((s) => call("DELETE", `${SERVICES}/${s.name}`)));
    expect(deleted.map((d) => d.status)).toEqual(gone.map(() => 200));
    // Scanning from the same point, the first free values are exactly the ones just freed.
    const again = expectCreated(await Promise.all(gone.map((_, i) => call("POST", SERVICES, service(`again-${i}`), JSON_TYPE))));
    expect(new Set(again.map((s) => s.ip))).toEqual(new Set(gone.map((s) => s.ip)));
    expect(new Set(again.flatMap((s) => s.nodePorts))).toEqual(new Set(gone.flatMap((s) => s.nodePorts)));
    await expectAllDistinct();
  }, CONCURRENT_TIMEOUT_MS);

  it("answers 422 naming the field for a nodePort or clusterIP another Service holds", async () => {
    const holder = created[FREED]!;
    const port = await call("POST", SERVICES, service("wants-port", { ports: [{ port: 80, nodePort: holder.nodePorts[0] }] }), JSON_TYPE);
    expect(port.status, port.text).toBe(422);
    expect(causesOf(port)).toEqual([expect.objectContaining({ field: "spec.ports[0].nodePort", message: `Invalid value: ${holder.nodePorts[0]}: provided port is already allocated` })]);

    const ip = await call("POST", SERVICES, service("wants-ip", { type: "ClusterIP", clusterIP: holder.ip }), JSON_TYPE);
    expect(ip.status, ip.text).toBe(422);
    expect(causesOf(ip)).toEqual([expect.objectContaining({ field: "spec.clusterIPs", message: expect.stringContaining("provided IP is already allocated") })]);

    const dns = await call("POST", SERVICES, service("wants-dns", { type: "ClusterIP", clusterIP: "10.96.0.10" }), JSON_TYPE);
    expect(dns.status, dns.text).toBe(422);
    expect(causesOf(dns)[0]?.field).toBe("spec.clusterIPs");
    // Nothing was reserved for the refused Services: their free values are not held either.
    expect((await call("GET", `${SERVICES}/wants-port`)).status).toBe(404);
  });

  it(`lets exactly one of ${CONTENDERS} creates requesting one nodePort (or one clusterIP) have it`, async () => {
    const port = await freePort();
    const forPort = await Promise.all(Array.from({ length: CONTENDERS }, (_, i) => call("POST", SERVICES, service(`port-race-${i}`, { ports: [{ port: 80, nodePort: port }] }), JSON_TYPE)));
    expect(forPort.filter((a) => a.status === 201)).toHaveLength(1);
    for (const a of forPort.filter((a) => a.status !== 201)) {
      expect(a.status, a.text).toBe(422);
      expect(causesOf(a)[0]?.field).toBe("spec.ports[0].nodePort");
    }

    const held = new Set((await allServices()).map((s) => s.ip));
    let n = 200;
    while (held.has(`10.111.250.${n}`)) n++;
    const ip = `10.111.250.${n}`;
    const forIp = await Promise.all(Array.from({ length: CONTENDERS }, (_, i) => call("POST", SERVICES, service(`ip-race-${i}`, { type: "ClusterIP", clusterIP: ip }), JSON_TYPE)));
    expect(forIp.filter((a) => a.status === 201)).toHaveLength(1);
    for (const a of forIp.filter((a) => a.status !== 201)) {
      expect(a.status, a.text).toBe(422);
      expect(causesOf(a)[0]?.field).toBe("spec.clusterIPs");
    }
    await expectAllDistinct();
  }, CONCURRENT_TIMEOUT_MS);

  it("keeps a nodePort reserved across updates that keep it, and frees it when the Service turns ClusterIP", async () => {
    const port = await freePort();
    const owner = await call("POST", SERVICES, service("changes-type", { ports: [{ port: 80, nodePort: port }] }), JSON_TYPE);
    expect(owner.status, owner.text).toBe(201);
    const relabeled = await call("PATCH", `${SERVICES}/changes-type`, JSON.stringify({ metadata: { labels: { touched: "yes" } } }), MERGE_PATCH);
    expect(relabeled.status, relabeled.text).toBe(200);
    expect((await call("POST", SERVICES, service("after-relabel", { ports: [{ port: 80, nodePort: port }] }), JSON_TYPE)).status).toBe(422);

    const toClusterIp = await call("PATCH", `${SERVICES}/changes-type`, JSON.stringify({ spec: { type: "ClusterIP" } }), MERGE_PATCH);
    expect(toClusterIp.status, toClusterIp.text).toBe(200);
    expect(heldBy(toClusterIp.json).nodePorts).toEqual([]);
    const taker = await call("POST", SERVICES, service("after-type-change", { ports: [{ port: 80, nodePort: port }] }), JSON_TYPE);
    expect(taker.status, taker.text).toBe(201);
    // The ClusterIP did not change, so it stays the first Service's.
    const ip = heldBy(toClusterIp.json).ip;
    expect((await call("POST", SERVICES, service("wants-kept-ip", { type: "ClusterIP", clusterIP: ip }), JSON_TYPE)).status).toBe(422);
  });

  it("reserves nothing on a dry run", async () => {
    const port = await freePort();
    const dry = await call("POST", `${SERVICES}?dryRun=All`, service("dry", { ports: [{ port: 80, nodePort: port }] }), JSON_TYPE);
    expect(dry.status, dry.text).toBe(201);
    const real = await call("POST", SERVICES, service("real", { ports: [{ port: 80, nodePort: port }] }), JSON_TYPE);
    expect(real.status, real.text).toBe(201);
  });
});

describe("Service reservations in the store", () => {
  const store = () => openStore(env, builtInRegistry());
  const row = (resource: string, name: string) => ({ group: "edgeplane.dev", resource, namespace: "", name });
  const orphan = (name: string, claimedAt: Date) => ({
    apiVersion: "edgeplane.dev/v1",
    kind: "ServiceNodePort",
    metadata: { name },
    spec: { parentRef: { group: "", resource: "services", namespace: NS, name: "long-gone", uid: "00000000-0000-0000-0000-00000000dead" }, claimedAt: claimedAt.toISOString() },
  });

  it("takes over a stale reservation whose Service is gone, but not one that may be a write in flight", async () => {
    const [stale, young] = [await freePort(), await freePort(1)];
    await store().create(row("servicenodeports", String(stale)), orphan(String(stale), new Date(Date.now() - STALE_MS)));
    await store().create(row("servicenodeports", String(young)), orphan(String(young), new Date()));
    const takes = await call("POST", SERVICES, service("takes-stale", { ports: [{ port: 80, nodePort: stale }] }), JSON_TYPE);
    expect(takes.status, takes.text).toBe(201);
    const waits = await call("POST", SERVICES, service("takes-young", { ports: [{ port: 80, nodePort: young }] }), JSON_TYPE);
    expect(waits.status, waits.text).toBe(422);
    const owner = (await store().get(row("servicenodeports", String(stale))))?.value.spec as { parentRef?: { name?: string } } | undefined;
    expect(owner?.parentRef?.name).toBe("takes-stale");
  });

  it("rebuilds the reservations of Services stored without them (an upgraded cluster, an older backup)", async () => {
    const port = await freePort();
    const old = await call("POST", SERVICES, service("from-before", { ports: [{ port: 80, nodePort: port }] }), JSON_TYPE);
    expect(old.status, old.text).toBe(201);
    const held = heldBy(old.json);
    // As a cluster from before the rows: the Service's rows and the backfill marker are not there.
    await store().delete(row("servicenodeports", String(port)));
    await store().delete(row("serviceipaddresses", held.ip!));
    await store().delete(row("serviceallocations", "reservations"));
    const port2 = await call("POST", SERVICES, service("wants-old-port", { ports: [{ port: 80, nodePort: port }] }), JSON_TYPE);
    expect(port2.status, port2.text).toBe(422);
    const ip2 = await call("POST", SERVICES, service("wants-old-ip", { type: "ClusterIP", clusterIP: held.ip }), JSON_TYPE);
    expect(ip2.status, ip2.text).toBe(422);
  });

  it("keeps the rows out of the API, and in backups with the Services that hold them", async () => {
    for (const path of ["/apis/edgeplane.dev/v1/servicenodeports", "/apis/edgeplane.dev/v1/serviceipaddresses", "/apis/edgeplane.dev/v1"]) {
      expect((await call("GET", path)).status, path).toBe(404);
    }
    const groups = await call("GET", "/apis");
    expect(groups.text).not.toContain("edgeplane.dev");

    const backup = await call("GET", "/edgeplane/v1/backup");
    expect(backup.status).toBe(200);
    const rows = new Map<string, string>();
    for (const line of backup.text.split("\n").filter(Boolean)) {
      const object = (JSON.parse(line) as { object?: { group: string; resource: string; name: string; value: string } }).object;
      if (object?.group !== "edgeplane.dev") continue;
      const ref = (JSON.parse(object.value) as { spec?: { parentRef?: { namespace?: string; name?: string } } }).spec?.parentRef;
      rows.set(`${object.resource}/${object.name}`, `${ref?.namespace}/${ref?.name}`);
    }
    for (const s of (await allServices()).filter((s) => s.namespace === NS)) {
      if (s.ip) expect(rows.get(`serviceipaddresses/${s.ip}`), s.name).toBe(`${NS}/${s.name}`);
      for (const p of s.nodePorts) expect(rows.get(`servicenodeports/${p}`), s.name).toBe(`${NS}/${s.name}`);
    }
  });
});

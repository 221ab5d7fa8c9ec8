// Fifty clients over real HTTPS to a local cluster (Miniflare, workerd) patch one object at
// once, each adding its own label or annotation by merge, strategic, JSON patch or apply, none
// with a resourceVersion: every request answers 200 and every key lands (controllers running).
// Then creates and updates at once, racing each other's compare-and-swap: each answers as it
// would alone, and a watch sees every change once, in order.
import fc from "fast-check";
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENTS, expectedEntries, patchOf, writers } from "../concurrent-label-patches";
import { KIND_CASES, manifest, type KindCase } from "../worker/manifest-arbitraries";
import { startCluster, type Cluster } from "./harness";

const NS = "default";
const RUNS = 3;
const PROPERTY_TIMEOUT_MS = 120_000;
/** fast-check stops (and reports what it has) before the test's timeout, shrinking included. */
const PROPERTY_TIME_LIMIT_MS = 90_000;
const BASE = { labels: { base: "kept" }, annotations: { base: "kept" } };

let cluster: Cluster;
let dispatcher: Agent;

beforeAll(async () => {
  cluster = await startCluster({ requestLog: false });
  // One connection per client, so the fifty requests really are in flight together.
  dispatcher = new Agent({ connect: { ca: cluster.caPem }, connections: CLIENTS });
}, 120_000);

afterAll(async () => {
  await dispatcher?.close();
  await cluster?.stop();
});

function kindOf(key: string): KindCase {
  const kind = KIND_CASES.find((k) => k.key === key);
  if (!kind) throw new Error(`no kind case ${key}`);
  return kind;
}

function collection(kind: KindCase): string {
  const [group, plural] = kind.key.split("/") as [string, string];
  return `${cluster.url}${group ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`}/namespaces/${NS}/${plural}`;
}

async function request(method: string, url: string, body?: string, contentType = "application/json", signal?: AbortSignal): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method, body, dispatcher, signal, headers: { authorization: `Bearer ${cluster.token}`, "content-type": contentType } });
  return { status: res.status, text: await res.text() };
}

let serial = 0;

describe("concurrent patches without a resourceVersion, over HTTPS", () => {
  it(`from ${CLIENTS} clients at once all land`, async () => {
    // Kinds are drawn by key, so a counterexample prints as a name, not as the kind's arbitraries.
    const run = fc.constantFrom(...KIND_CASES.map((k) => k.key)).chain((key) => fc.record({ kind: fc.constant(key), base: manifest(kindOf(key)), writers }));
    await fc.assert(
      fc.asyncProperty(run, async ({ kind: key, base, writers: ws }) => {
        const kind = kindOf(key);
        const name = `contended-${++serial}`;
        const created = await request("POST", collection(kind), JSON.stringify({ ...base, metadata: { name, ...BASE } }));
        expect(created.status, created.text).toBe(201);

        const answers = await Promise.all(
          ws.map((w, i) => {
            const p = patchOf(i, w, { apiVersion: kind.apiVersion, kind: kind.kind, name });
            return request("PATCH", `${collection(kind)}/${name}${p.query}`, p.body, p.contentType);
          }),
        );
        const failed = answers.map((a, i) => ({ client: i, ...ws[i], status: a.status, text: a.text.slice(0, 300) })).filter((a) => a.status !== 200);
        expect(failed).toEqual([]);

        const got = await request("GET", `${collection(kind)}/${name}`);
        const meta = (JSON.parse(got.text) as { metadata: { labels?: unknown; annotations?: unknown } }).metadata;
        const want = expectedEntries(ws);
        // toMatchObject: controllers may add their own (the deployment controller's revision annotation).
        expect(meta.labels).toMatchObject({ ...BASE.labels, ...want.labels });
        expect(meta.annotations).toMatchObject({ ...BASE.annotations, ...want.annotations });
      }),
      { numRuns: Number(process.env.FC_RUNS) || RUNS, interruptAfterTimeLimit: PROPERTY_TIME_LIMIT_MS, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
    );
  }, PROPERTY_TIMEOUT_MS);
});

const configMap = (name: string, data: Record<string, string> = {}, resourceVersion?: string) =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...(resourceVersion ? { resourceVersion } : {}) }, data });

describe("concurrent creates and updates answer as each would alone", () => {
  const url = () => `${cluster.url}/api/v1/namespaces/${NS}/configmaps`;

  it("creates: distinct names all land with their own revisions, a name taken twice answers 409 once", async () => {
    const names = Array.from({ length: CLIENTS }, (_, i) => `racing-${i}`);
    const answers = await Promise.all([
      ...names.map((n) => request("POST", url(), configMap(n, { n }))),
      ...Array.from({ length: 8 }, (_, i) => request("POST", url(), configMap("racing-twice", { i: String(i) }))),
    ]);
    const distinct = answers.slice(0, names.length);
    expect(distinct.map((a) => a.status)).toEqual(names.map(() => 201));
    const revisions = distinct.map((a) => (JSON.parse(a.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
    expect(new Set(revisions).size).toBe(names.length);
    for (const [i, a] of distinct.entries()) expect(JSON.parse(a.text)).toMatchObject({ metadata: { name: names[i] }, data: { n: names[i] } });
    const twice = answers.slice(names.length);
    expect(twice.filter((a) => a.status === 201)).toHaveLength(1);
    for (const a of twice.filter((a) => a.status !== 201)) expect(JSON.parse(a.text)).toMatchObject({ code: 409, reason: "AlreadyExists" });
    // What the one 201 answered is what is stored.
    const stored = JSON.parse((await request("GET", `${url()}/racing-twice`)).text) as { data: unknown };
    expect(stored.data).toEqual((JSON.parse(twice.find((a) => a.status === 201)!.text) as { data: unknown }).data);
  });

  it("updates at one resourceVersion: one lands, the others answer 409 Conflict, an absent object 404", async () => {
    const created = await request("POST", url(), configMap("racing-cas", { v: "0" }));
    expect(created.status, created.text).toBe(201);
    const rv = (JSON.parse(created.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const answers = await Promise.all([
      ...Array.from({ length: CLIENTS }, (_, i) => request("PUT", `${url()}/racing-cas`, configMap("racing-cas", { v: String(i + 1) }, rv))),
      request("PUT", `${url()}/racing-absent`, configMap("racing-absent", {}, rv)),
    ]);
    const cas = answers.slice(0, CLIENTS);
    expect(cas.filter((a) => a.status === 200)).toHaveLength(1);
    for (const a of cas.filter((a) => a.status !== 200)) expect(JSON.parse(a.text)).toMatchObject({ code: 409, reason: "Conflict" });
    expect(JSON.parse(answers[CLIENTS]!.text)).toMatchObject({ code: 404, reason: "NotFound" });
  });

  it("clients that go away mid-write do not hold up the writes after them", async () => {
    // Aborted 1 to 8 ms in: some before their write, some during it, some after.
    for (let round = 0; round < 5; round++) {
      const gone = Array.from({ length: CLIENTS }, (_, i) =>
        request("POST", url(), configMap(`gone-${round}-${i}`), "application/json", AbortSignal.timeout(1 + (i % 8))).catch(() => undefined),
      );
      await Promise.all(gone);
      const after = await Promise.all(Array.from({ length: 8 }, (_, i) => request("POST", url(), configMap(`after-${round}-${i}`), "application/json", AbortSignal.timeout(10_000))));
      expect(after.map((a) => a.status)).toEqual(after.map(() => 201));
    }
  }, 90_000);

  it("a watch sees every change of concurrent writes once, in revision order, without a 410", async () => {
    const label = "concurrent-watch";
    const list = await request("GET", `${url()}?labelSelector=${label}`);
    const from = (JSON.parse(list.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const abort = new AbortController();
    const watch = await fetch(`${url()}?watch=1&labelSelector=${label}&resourceVersion=${from}`, { dispatcher, signal: abort.signal, headers: { authorization: `Bearer ${cluster.token}` } });
    const lines: { type: string; object: { metadata: { name: string; resourceVersion: string } } }[] = [];
    const reading = (async () => {
      let buffer = "";
      for await (const chunk of watch.body!) {
        buffer += Buffer.from(chunk as Uint8Array).toString();
        for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
          if (buffer.slice(0, nl).trim()) lines.push(JSON.parse(buffer.slice(0, nl)));
          buffer = buffer.slice(nl + 1);
        }
      }
    })().catch(() => undefined);

    const PER_CLIENT = 60;
    let writes = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; i < PER_CLIENT; i++) {
          const name = `watched-${c}-${i}`;
          const created = await request("POST", url(), JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels: { [label]: "1" } }, data: { v: "0" } }));
          expect(created.status, created.text).toBe(201);
          writes++;
          if (i % 2 === 1) continue;
          const body = JSON.parse(created.text) as Record<string, unknown>;
          const updated = await request("PUT", `${url()}/${name}`, JSON.stringify({ ...body, data: { v: "1" } }));
          expect(updated.status, updated.text).toBe(200);
          writes++;
        }
      }),
    );
    const deadline = Date.now() + 15_000;
    while (lines.length < writes && Date.now() < deadline && !lines.some((l) => l.type === "ERROR")) await new Promise((r) => setTimeout(r, 50));
    abort.abort();
    await reading;
    expect(lines.filter((l) => l.type === "ERROR")).toEqual([]);
    expect(lines).toHaveLength(writes);
    const revisions = lines.map((l) => Number(l.object.metadata.resourceVersion));
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    const stored = JSON.parse((await request("GET", `${url()}?labelSelector=${label}`)).text) as { items: { metadata: { name: string; resourceVersion: string } }[] };
    const last = new Map(lines.map((l) => [l.object.metadata.name, l.object.metadata.resourceVersion]));
    expect(new Map(stored.items.map((o) => [o.metadata.name, o.metadata.resourceVersion]))).toEqual(last);
  }, 60_000);
});

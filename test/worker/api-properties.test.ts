// Property tests for API compatibility (issue 10), inside workerd: thousands of valid, spoiled
// and null-sprinkled manifests of five kinds as create, update, all four patch types, /status and
// /scale writes (JSON, YAML, protobuf). Every answer is 2xx or a 4xx Status, a failed request
// writes nothing, and JSON null means "not set".
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { SchemaNode } from "../../worker/api/patch";
import { jsonSchemaOf } from "../../worker/resources/json-schema";
import { asObject, call, collectionOf, createNamespace, defOf, kindOf, requestsSent, runParameters, type Answer } from "./api-client";
import { KIND_CASES, manifest, type Json, type JsonObject, type KindCase } from "./manifest-arbitraries";
import { accept, bodyFor, jsonPatchJunk, query, queryString, SANE_ACCEPT, saneQuery, send as sendTo, statusBody, TABLE, VERBS, type Query, type Sent, type Verb } from "./api-requests";
import { getAt, junkBody, mutate, mutations, oddDocument, oddNumber, paths, sprinkleNulls, type Path } from "./manifest-mutations";
import { protobufBody } from "./protobuf-bodies";

const NS = "props";

const RANDOM_RUNS = 800;
const NULL_RUNS = 250;
/** Long enough for the runs above plus shrinking a failure; each request takes a few ms. */
const PROPERTY_TIMEOUT_MS = 300_000;
/**
 * fast-check stops a property after this long, so that a failure whose shrinking takes long (each
 * step is a few requests) is still reported, with its smallest case so far, before the timeout.
 */
const SHRINK_LIMIT_MS = 200_000;

const collection = (kind: KindCase) => collectionOf(kind, NS);

let serial = 0;
/** A fresh object name per run: runs (and fast-check's shrinking reruns) never share objects. */
const freshName = (prefix: string) => `${prefix}-${++serial}`;

/**
 * The object (null when absent) and a list's resourceVersion: the store's revision, which any
 * write anywhere moves. The namespaces list is read for it, as it stays a few items long (a
 * field-selected list of the kind scans every object of the kind, which grows with each run).
 */
async function snapshot(kind: KindCase, name: string): Promise<{ object: Json | undefined; revision: Json | undefined }> {
  const got = await call("GET", `${collection(kind)}/${encodeURIComponent(name)}`);
  expect([200, 404]).toContain(got.status);
  const list = await call("GET", "/api/v1/namespaces?limit=1");
  expect(list.status).toBe(200);
  return { object: got.status === 200 ? got.json : null, revision: asObject(asObject(list.json).metadata).resourceVersion };
}

const send = (kind: KindCase, s: Sent) => sendTo(kind, NS, s);

function describeRequest(kind: KindCase, s: Sent, res: Answer): string {
  return `${s.verb} ${kind.kind} ${s.name}${queryString(s.query)}${s.accept ? ` (accept ${s.accept})` : ""} → ${res.status}: ${res.text.slice(0, 600)}`;
}

function expectStatusBody(res: Answer, context: string): void {
  expect(res.json, context).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", code: res.status });
}

function nullPaths(v: Json): string[] {
  return paths(v, (x) => x === null).map((p) => p.join("."));
}

/** The created object's name: a spoiled create may have named it otherwise (or generated it). */
function storedName(res: Answer, fallback: string): string {
  const name = asObject(asObject(res.json).metadata).name;
  return typeof name === "string" ? name : fallback;
}

async function createTarget(kind: KindCase, doc: JsonObject, name: string): Promise<void> {
  const res = await call("POST", collection(kind), JSON.stringify({ ...doc, metadata: { ...asObject(doc.metadata), name } }), { "content-type": "application/json" });
  expect(res.status, `a valid ${kind.kind} was refused: ${res.text.slice(0, 600)}`).toBe(201);
}

beforeAll(() => createNamespace(NS));

const kindArb = fc.constantFrom(...KIND_CASES.map((k) => k.key));

describe("random manifests", () => {
  it("are answered 2xx or with a 4xx Status that wrote nothing; valid ones are created", async () => {
    const before = requestsSent;
    const parameters = runParameters(RANDOM_RUNS);
    const run = fc
      .record({
        kind: kindArb,
        verb: fc.constantFrom(...VERBS),
        shape: fc.constantFrom("valid", "mutated", "mutated", "junk", "odd", "protobuf"),
        mutations,
        junk: junkBody,
        odd: oddDocument,
        yaml: fc.boolean(),
        query,
        accept,
        junkOps: jsonPatchJunk,
        plainQuery: fc.boolean(),
        status: statusBody,
        replicas: fc.oneof(fc.integer({ min: 0, max: 5 }), oddNumber),
      })
      .chain((r) => {
        const kind = kindOf(r.kind);
        return fc.record({ base: manifest(kind), doc: manifest(kind), protobuf: protobufBody(kind.apiVersion, kind.kind) }).map((m) => ({ ...r, ...m }));
      });
    await fc.assert(
      fc.asyncProperty(run, async (drawn) => {
        const r = { ...drawn, kind: kindOf(drawn.kind) };
        const name = freshName(r.kind.kind.toLowerCase());
        if (r.verb !== "create") await createTarget(r.kind, r.base, name);
        const valid = bodyFor(r.verb, { ...r.doc, metadata: { ...asObject(r.doc.metadata), name } }, r.status, r.replicas);
        const bodies = { valid, mutated: mutate(valid, r.mutations), junk: r.junk, odd: r.odd, protobuf: { protobuf: r.protobuf } };
        const body = bodies[r.shape];
        const q: Query = r.plainQuery ? {} : { ...r.query };
        if (r.verb === "apply" && q.fieldManager === undefined) q.fieldManager = "prop-apply";
        const sent: Sent = { verb: r.verb, name, body, yaml: r.yaml, query: q, accept: r.plainQuery ? undefined : r.accept, junkOps: r.shape === "valid" ? [] : r.junkOps };

        const earlier = await snapshot(r.kind, name);
        const res = await send(r.kind, sent);
        const context = describeRequest(r.kind, sent, res);
        expect(res.status, context).toBeGreaterThanOrEqual(200);
        expect(res.status, context).toBeLessThan(500);
        if (r.shape === "junk" && r.verb !== "json") expect(res.status, `a body that is no object (or no document): ${context}`).toBeGreaterThanOrEqual(400);
        if (r.shape === "valid" && r.verb === "create" && saneQuery(q) && SANE_ACCEPT.has(sent.accept)) {
          expect(res.status, `a valid manifest: ${context}`).toBe(201);
        }
        if (res.status >= 400 || q.dryRun === "All") {
          if (res.status >= 400) expectStatusBody(res, context);
          expect(await snapshot(r.kind, name), `the store changed: ${context}`).toEqual(earlier);
          return;
        }
        // The stored object reads back, holds no null, and prints as a Table row (kubectl get).
        const stored = await call("GET", `${collection(r.kind)}/${encodeURIComponent(r.verb === "create" ? storedName(res, name) : name)}`);
        expect(stored.status, context).toBe(200);
        expect(asObject(stored.json).kind, context).toBe(r.kind.kind);
        expect(nullPaths(stored.json ?? null), `stored with nulls: ${context}`).toEqual([]);
        const row = await call("GET", `${collection(r.kind)}/${encodeURIComponent(String(asObject(asObject(stored.json).metadata).name))}`, undefined, { accept: TABLE });
        expect(row.status, `as a Table: ${row.text.slice(0, 300)}; ${context}`).toBe(200);
      }),
      { ...parameters, interruptAfterTimeLimit: SHRINK_LIMIT_MS },
    );
    // Thousands of requests in all: each run creates its target, reads twice, sends one request and reads twice again.
    expect(requestsSent - before).toBeGreaterThanOrEqual(parameters.numRuns * 5);
  }, PROPERTY_TIMEOUT_MS);
});

/** What differs between two objects made by equal requests: identity, timestamps, allocated ports and IPs. */
function normalized(obj: Json | undefined): Json {
  const o = structuredClone(asObject(obj ?? null));
  const meta = asObject(o.metadata);
  for (const k of ["name", "uid", "resourceVersion", "creationTimestamp"]) delete meta[k];
  if (Array.isArray(meta.managedFields)) for (const e of meta.managedFields) delete asObject(e).time;
  const spec = asObject(o.spec);
  if (o.kind === "Service") {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    if (Array.isArray(spec.ports)) for (const p of spec.ports) delete asObject(p).nodePort;
  }
  return o;
}

/**
 * Where a null may go so that it still means "not set" for this verb. Merge and strategic
 * patches delete with null, so there only fields the live object lacks (strategic: nor a list
 * on the way, whose items it merges by key); JSON patch replaces whole values, so only its own
 * op targets (top-level fields, metadata fields) must be absent from the live object.
 */
function nullAllowed(verb: Verb, live: Json | undefined): (p: Path) => boolean {
  const absent = (p: Path) => getAt(live, p) === undefined;
  const firstIndex = (p: Path) => p.findIndex((x) => typeof x === "number");
  switch (verb) {
    case "merge":
      return (p) => firstIndex(p) >= 0 || absent(p);
    case "strategic":
      return (p) => absent(p) && (firstIndex(p) < 0 || absent(p.slice(0, firstIndex(p))));
    case "json":
      return (p) => p.length > (p[0] === "metadata" ? 2 : 1) || absent(p);
    default:
      return () => true;
  }
}

/** The verbs that write a whole manifest: where a null in it must mean "not set". */
const NULL_VERBS = VERBS.filter((v) => v !== "status" && v !== "scale");

describe("valid manifests with JSON null at optional fields", () => {
  it("are stored exactly as the same manifests without the nulls", async () => {
    const run = kindArb.chain((key) =>
      fc.record({
        kind: fc.constant(key),
        verb: fc.constantFrom(...NULL_VERBS),
        base: manifest(kindOf(key)),
        next: manifest(kindOf(key)),
        metadataOnly: fc.boolean(),
        picks: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        yaml: fc.boolean(),
      }),
    );
    await fc.assert(
      fc.asyncProperty(run, async (drawn) => {
        const r = { ...drawn, kind: kindOf(drawn.kind) };
        const [a, b] = [freshName("clean"), freshName("nulled")];
        if (r.verb !== "create") {
          await createTarget(r.kind, r.base, a);
          await createTarget(r.kind, r.base, b);
        }
        const live = r.verb === "create" ? undefined : (await call("GET", `${collection(r.kind)}/${a}`)).json;
        // Half the updates change only metadata, so kinds with an immutable spec (Pods) still update.
        const next = r.metadataOnly && r.verb !== "create" ? { ...r.base, metadata: r.next.metadata ?? {} } : r.next;
        const { clean, nulled, at } = sprinkleNulls(next, SchemaNode.of(jsonSchemaOf(defOf(r.kind))), r.picks, nullAllowed(r.verb, live));
        const named = (doc: JsonObject, name: string): JsonObject => ({ ...doc, metadata: { ...asObject(doc.metadata), name } });
        const q: Query = r.verb === "apply" ? { fieldManager: "prop-apply", force: "true" } : {};
        const resA = await send(r.kind, { verb: r.verb, name: a, body: named(clean, a), yaml: r.yaml, query: q, junkOps: [] });
        const sentB: Sent = { verb: r.verb, name: b, body: named(nulled, b), yaml: r.yaml, query: q, junkOps: [] };
        const resB = await send(r.kind, sentB);
        const context = `nulls at ${at.join(", ")}: ${describeRequest(r.kind, sentB, resB)}\nwithout them: ${resA.status} ${resA.text.slice(0, 300)}`;
        expect(resB.status, context).toBeLessThan(500);
        expect(resB.status, context).toBe(resA.status);
        // A valid object is created, and its labels and annotations can be rewritten by every verb
        // (unless the nulls went where the manifest had values: then the clean one lacks them).
        const stillValid = JSON.stringify(clean) === JSON.stringify(next);
        if (stillValid && (r.verb === "create" || r.metadataOnly)) expect(resA.status, `a valid write: ${context}`).toBeLessThan(300);
        if (resB.status >= 400) {
          expectStatusBody(resB, context);
          return;
        }
        const [storedA, storedB] = [await call("GET", `${collection(r.kind)}/${a}`), await call("GET", `${collection(r.kind)}/${b}`)];
        expect(nullPaths(storedB.json ?? null), context).toEqual([]);
        expect(normalized(storedB.json), context).toEqual(normalized(storedA.json));
      }),
      { ...runParameters(NULL_RUNS), interruptAfterTimeLimit: SHRINK_LIMIT_MS },
    );
  }, PROPERTY_TIMEOUT_MS);
});

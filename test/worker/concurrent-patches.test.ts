// Fifty clients patch one object at once inside workerd, each adding its own label or annotation
// by merge, strategic, JSON patch or apply, none with a resourceVersion: every one must land.
// Requests interleave at each D1 await, so the compare-and-swap loses races and is retried.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { CLIENTS, expectedEntries, patchOf, writers } from "../concurrent-label-patches";
import { asObject, call, collectionOf, createNamespace, kindOf, runParameters } from "./api-client";
import { KIND_CASES, manifest } from "./manifest-arbitraries";

const NS = "contended";
const RUNS = 8;
const PROPERTY_TIMEOUT_MS = 120_000;
/** fast-check stops (and reports what it has) before the test's timeout, shrinking included. */
const PROPERTY_TIME_LIMIT_MS = 90_000;
const BASE = { labels: { base: "kept" }, annotations: { base: "kept" } };

beforeAll(() => createNamespace(NS));

let serial = 0;

describe("concurrent patches without a resourceVersion", () => {
  it(`from ${CLIENTS} clients at once all land`, async () => {
    // Each run: a fresh object of a random kind, then fifty writers with random patch types and fields.
    const run = fc.constantFrom(...KIND_CASES.map((k) => k.key)).chain((key) => fc.record({ kind: fc.constant(key), base: manifest(kindOf(key)), writers }));
    await fc.assert(
      fc.asyncProperty(run, async ({ kind: key, base, writers: ws }) => {
        const kind = kindOf(key);
        const name = `contended-${++serial}`;
        const url = `${collectionOf(kind, NS)}/${name}`;
        const created = await call("POST", collectionOf(kind, NS), JSON.stringify({ ...base, metadata: { name, ...BASE } }), { "content-type": "application/json" });
        expect(created.status, created.text).toBe(201);

        const answers = await Promise.all(
          ws.map((w, i) => {
            const p = patchOf(i, w, { apiVersion: kind.apiVersion, kind: kind.kind, name });
            return call("PATCH", `${url}${p.query}`, p.body, { "content-type": p.contentType });
          }),
        );
        const failed = answers.map((a, i) => ({ client: i, ...ws[i], status: a.status, text: a.text.slice(0, 300) })).filter((a) => a.status !== 200);
        expect(failed).toEqual([]);

        const meta = asObject(asObject((await call("GET", url)).json).metadata);
        const want = expectedEntries(ws);
        expect(meta.labels).toMatchObject({ ...BASE.labels, ...want.labels });
        expect(meta.annotations).toMatchObject({ ...BASE.annotations, ...want.annotations });
      }),
      { ...runParameters(RUNS), interruptAfterTimeLimit: PROPERTY_TIME_LIMIT_MS },
    );
  }, PROPERTY_TIMEOUT_MS);
});

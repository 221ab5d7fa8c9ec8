// apimachinery's metadata rules as pure functions: qualified names, label values, and JSON null
// read as "not set".
import { describe, expect, it } from "vitest";
import { labelValueErrors, metadataErrors, qualifiedNameErrors } from "../../worker/api/meta-validation";
import { MAX_NESTING, withoutNulls } from "../../worker/api/validate";

describe("qualified names", () => {
  it.each(["app", "app.kubernetes.io/name", "a", "A_b.c-D", "example.com/x", `${"p".repeat(253)}/n`, "k".repeat(63)])("accepts %s", (key) => {
    expect(qualifiedNameErrors(key)).toEqual([]);
  });

  it.each([
    ["bad key!", /name part must consist/],
    ["/x", /prefix part must be non-empty/],
    ["x/", /name part must be non-empty/],
    ["a/b/c", /a qualified name must consist/],
    ["Upper.com/x", /prefix part a lowercase RFC 1123 subdomain/],
    ["k".repeat(64), /name part must be no more than 63 characters/],
    [`${"p".repeat(254)}/n`, /prefix part must be no more than 253 characters/],
  ])("refuses %s", (key, message) => {
    expect(qualifiedNameErrors(key).join("; ")).toMatch(message);
  });
});

describe("label values", () => {
  it("may be empty, are at most 63 characters and start and end alphanumeric", () => {
    expect(labelValueErrors("")).toEqual([]);
    expect(labelValueErrors("front-end_1.0")).toEqual([]);
    expect(labelValueErrors("v".repeat(64))).toEqual(["must be no more than 63 characters"]);
    expect(labelValueErrors("-x")[0]).toMatch(/a valid label must be an empty string/);
  });
});

describe("metadata", () => {
  it("reports each bad field once, at the field kube-apiserver names", () => {
    const causes = metadataErrors({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x", labels: { "bad key": "ok", good: "bad value" }, annotations: { "a/b/c": "" }, finalizers: ["custom"], ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "p", uid: "" }] },
    } as never);
    expect(causes.map((c) => c.field)).toEqual(["metadata.labels", "metadata.labels", "metadata.annotations", "metadata.finalizers", "metadata.ownerReferences.uid"]);
  });
});

describe("JSON null", () => {
  it("drops object keys whose value is null at every depth and keeps list elements", () => {
    expect(withoutNulls({ a: null, b: { c: null, d: 1 }, e: [null, { f: null, g: "x" }] })).toEqual({ b: { d: 1 }, e: [null, { g: "x" }] });
  });

  it("refuses a body nested deeper than any object, with a 400 rather than a blown stack", () => {
    const deep = JSON.parse("[".repeat(20_000) + "]".repeat(20_000)) as unknown;
    expect(() => withoutNulls(deep)).toThrow(new RegExp(`nested more than ${MAX_NESTING} levels`));
    const ok = JSON.parse("[".repeat(MAX_NESTING) + "]".repeat(MAX_NESTING)) as unknown;
    expect(withoutNulls(ok)).toEqual(ok);
  });
});

describe("values a YAML body has and JSON lacks", () => {
  it("become what Go's YAML-to-JSON conversion makes of them", () => {
    const decoded = { data: { bin: new TextEncoder().encode("hello"), when: new Date("2001-12-14T21:59:43.100Z"), big: 12n }, set: new Set(["a"]), omap: new Map<unknown, unknown>([[1, "x"]]) };
    expect(withoutNulls(decoded)).toEqual({ data: { bin: "aGVsbG8=", when: "2001-12-14T21:59:43.100Z", big: 12 }, set: {}, omap: { "1": "x" } });
  });

  it("keeps a __proto__ key an own (unknown) field, never the object's prototype", () => {
    const out = withoutNulls(JSON.parse('{"spec":{"__proto__":{"replicas":5}}}') as { spec: Record<string, unknown> });
    expect(Object.getPrototypeOf(out.spec)).toBe(Object.prototype);
    expect(out.spec.replicas).toBeUndefined();
    expect(Object.keys(out.spec)).toEqual(["__proto__"]);
  });
});

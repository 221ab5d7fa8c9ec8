// JSON patch (RFC 6902) and merge patch (RFC 7386) engines: tables of (live, patch, expected)
// plus the errors kube-apiserver answers (400 malformed, 422 cannot apply).
import { describe, expect, it } from "vitest";
import { applyJsonPatch, applyMergePatch, applyPatch, PatchError } from "../../../worker/api/patch";

const live = {
  metadata: { name: "web", labels: { app: "web", "a/b": "x", "t~1": "y" } },
  spec: { replicas: 1, list: ["a", "b"] },
};

describe("JSON patch", () => {
  const cases: [string, unknown[], unknown][] = [
    ["replace a scalar", [{ op: "replace", path: "/spec/replicas", value: 3 }], { ...live, spec: { ...live.spec, replicas: 3 } }],
    ["add appends with -", [{ op: "add", path: "/spec/list/-", value: "c" }], { ...live, spec: { ...live.spec, list: ["a", "b", "c"] } }],
    ["add inserts at an index", [{ op: "add", path: "/spec/list/0", value: "z" }], { ...live, spec: { ...live.spec, list: ["z", "a", "b"] } }],
    ["remove an item", [{ op: "remove", path: "/spec/list/0" }], { ...live, spec: { ...live.spec, list: ["b"] } }],
    [
      "~1 and ~0 escapes",
      [
        { op: "remove", path: "/metadata/labels/a~1b" },
        { op: "replace", path: "/metadata/labels/t~01", value: "z" },
      ],
      { ...live, metadata: { name: "web", labels: { app: "web", "t~1": "z" } } },
    ],
    [
      "move and copy",
      [
        { op: "copy", from: "/metadata/labels/app", path: "/metadata/labels/copy" },
        { op: "move", from: "/spec/replicas", path: "/spec/count" },
      ],
      { metadata: { name: "web", labels: { ...live.metadata.labels, copy: "web" } }, spec: { list: ["a", "b"], count: 1 } },
    ],
    ["a passing test", [{ op: "test", path: "/spec/replicas", value: 1 }, { op: "add", path: "/spec/x", value: true }], { ...live, spec: { ...live.spec, x: true } }],
  ];
  it.each(cases)("%s", (_name, ops, expected) => {
    expect(applyJsonPatch(live, ops)).toEqual(expected);
    expect(live.spec.replicas).toBe(1);
  });

  const failures: [string, unknown, number][] = [
    ["failed test", [{ op: "test", path: "/spec/replicas", value: 2 }], 422],
    ["missing parent", [{ op: "add", path: "/nope/x", value: 1 }], 422],
    ["remove a missing key", [{ op: "remove", path: "/spec/nope" }], 422],
    ["replace a missing key", [{ op: "replace", path: "/spec/nope", value: 1 }], 422],
    ["index out of range", [{ op: "add", path: "/spec/list/5", value: 1 }], 422],
    ["unknown op", [{ op: "frobnicate", path: "/spec" }], 422],
    ["not a list", { op: "add" }, 400],
  ];
  it.each(failures)("%s → %i", (_name, ops, code) => {
    let err: unknown;
    try {
      applyJsonPatch(live, ops);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PatchError);
    expect((err as PatchError).code).toBe(code);
  });

  it("is selected by its content type", () => {
    expect(applyPatch("application/json-patch+json", { a: 1 }, [{ op: "remove", path: "/a" }], undefined)).toEqual({});
  });
});

describe("merge patch", () => {
  // RFC 7386 appendix A, plus kube-style object patches.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    [live, { metadata: { labels: { app: null, tier: "fe" } } }, { ...live, metadata: { name: "web", labels: { "a/b": "x", "t~1": "y", tier: "fe" } } }],
  ];
  it.each(cases)("%j + %j", (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
    expect(applyPatch("application/merge-patch+json", target, patch, undefined)).toEqual(expected);
  });
});

// checkTypeMeta, the shape check every create, update and patch result passes through: what the
// Go decoder would refuse is a 400, never an object rebuilt from its spread characters.
import { describe, expect, it } from "vitest";
import { checkTypeMeta } from "../../worker/api/object-meta";
import { StatusError } from "../../shared/status-error";
import { builtInRegistry } from "../../worker/resources/registry";
import type { KubeObject } from "../../worker/resources/types";

const configmaps = builtInRegistry().byPlural("", "configmaps")!;

function refusal(value: unknown): StatusError {
  try {
    checkTypeMeta(configmaps, "v1", value as KubeObject);
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe("checkTypeMeta", () => {
  it("fills a missing apiVersion and kind from the URL", () => {
    expect(checkTypeMeta(configmaps, "v1", { metadata: { name: "a" } } as KubeObject)).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } });
  });

  it.each([["x"], [5], [[{ metadata: {} }]], [null]])("refuses a patch result that is no object: %j", (value) => {
    expect(refusal(value)).toMatchObject({ code: 400, reason: "BadRequest" });
    expect(refusal(value).message).toMatch(/^couldn't get version\/kind; json parse error/);
  });

  it.each([[true], [0], [{}], [["v1"]]])("refuses an apiVersion or kind that is no string: %j", (value) => {
    expect(refusal({ apiVersion: value, metadata: {} }).message).toMatch(/Go struct field \.apiVersion of type string/);
    expect(refusal({ kind: value, metadata: {} }).message).toMatch(/Go struct field \.kind of type string/);
  });

  it.each([["labels"], [[]], [7]])("refuses metadata that is no object: %j", (metadata) => {
    expect(refusal({ apiVersion: "v1", kind: "ConfigMap", metadata })).toMatchObject({ code: 400, message: "metadata: must be an object" });
  });
});

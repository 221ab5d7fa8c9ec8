// The merge patch the console's YAML editor sends (kubectl edit's): only what changed, and applying
// it to the original gives the edited object back, as the server's merge-patch code applies it.
import { describe, expect, it } from "vitest";
import { mergePatchBetween } from "../../shared/merge-patch-diff";
import { applyMergePatch } from "../../worker/api/patch/merge-patch";

const original = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", resourceVersion: "7", labels: { app: "web", tier: "front" } },
  spec: { replicas: 3, template: { spec: { containers: [{ name: "app", image: "a:1" }] } } },
  status: { replicas: 3 },
};

describe("mergePatchBetween", () => {
  it("is empty for an unchanged object, whatever the key order", () => {
    const reordered = { status: original.status, spec: original.spec, metadata: original.metadata, kind: original.kind, apiVersion: original.apiVersion };
    expect(mergePatchBetween(original, reordered)).toEqual({});
  });

  it("holds only the changed fields: no resourceVersion, so no precondition, and status untouched", () => {
    const edited = structuredClone(original);
    edited.spec.replicas = 2;
    expect(mergePatchBetween(original, edited)).toEqual({ spec: { replicas: 2 } });
  });

  it("removes a deleted key with null, and replaces a changed list whole", () => {
    const edited = structuredClone(original) as typeof original & { metadata: { annotations?: Record<string, string> } };
    delete (edited.metadata.labels as Partial<typeof edited.metadata.labels>).tier;
    edited.metadata.annotations = { note: "x" };
    edited.spec.template.spec.containers[0]!.image = "a:2";
    expect(mergePatchBetween(original, edited)).toEqual({
      metadata: { labels: { tier: null }, annotations: { note: "x" } },
      spec: { template: { spec: { containers: [{ name: "app", image: "a:2" }] } } },
    });
  });

  it("round-trips through the server's merge-patch application", () => {
    const edited = structuredClone(original) as Record<string, unknown> & typeof original;
    edited.spec.replicas = 5;
    delete (edited as Partial<typeof edited>).status;
    (edited.metadata as Record<string, unknown>).finalizers = ["a/b"];
    expect(applyMergePatch(original, mergePatchBetween(original, edited))).toEqual(edited);
  });
});

// Server-side apply and managedFields: create by apply, re-apply changed / with a field
// removed, conflicts with another manager (409 with kube's message), force, and the
// ownership non-apply writes record through updateManagedFields.
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../worker/resources/types";
import { applyPatch, applyServerSide, FieldSet, PatchError, updateManagedFields } from "../../../worker/api/patch";
import { deploymentSchema, serviceSchema } from "./schemas";

const NOW = new Date("2025-01-02T03:04:05.678Z");
const opts = { manager: "kubectl", schema: deploymentSchema, apiVersion: "apps/v1", now: NOW };

function manifest(over: { image?: string; replicas?: number; labels?: Record<string, string>; sidecar?: boolean } = {}) {
  const containers: Record<string, unknown>[] = [{ name: "web", image: over.image ?? "nginx:1.25" }];
  if (over.sidecar) containers.push({ name: "sidecar", image: "busybox" });
  const spec: Record<string, unknown> = { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers } } };
  if (over.replicas !== undefined) spec.replicas = over.replicas;
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", labels: over.labels ?? { app: "web" } }, spec };
}

function entry(obj: KubeObject, manager: string) {
  return obj.metadata.managedFields?.find((e) => e.manager === manager);
}

function conflictOf(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error("expected a conflict");
}

describe("server-side apply", () => {
  it("creates by apply and records FieldsV1 as kube writes it", () => {
    const obj = applyServerSide(null, manifest({ replicas: 2, sidecar: true }), opts);
    expect(obj.spec).toEqual(manifest({ replicas: 2, sidecar: true }).spec);
    expect(obj.metadata.managedFields).toEqual([
      {
        manager: "kubectl",
        operation: "Apply",
        apiVersion: "apps/v1",
        time: "2025-01-02T03:04:05Z",
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { "f:app": {} } },
          "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
              "f:metadata": { "f:labels": { "f:app": {} } },
              "f:spec": {
                "f:containers": {
                  'k:{"name":"sidecar"}': { ".": {}, "f:image": {}, "f:name": {} },
                  'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {} },
                },
              },
            },
          },
        },
      },
    ]);
  });

  it("re-applies a changed field and removes fields dropped from the config", () => {
    const first = applyServerSide(null, manifest({ replicas: 2, labels: { app: "web", tier: "fe" }, sidecar: true }), opts);
    const second = applyServerSide(first, manifest({ image: "nginx:1.26", labels: { app: "web" } }), opts);
    const spec = second.spec as { replicas?: number; template: { spec: { containers: { name: string; image: string }[] } } };
    expect(spec.template.spec.containers).toEqual([{ name: "web", image: "nginx:1.26" }]);
    expect(spec.replicas).toBeUndefined();
    expect(second.metadata.labels).toEqual({ app: "web" });
    expect(second.metadata.managedFields).toHaveLength(1);
    const fields = FieldSet.fromFieldsV1(entry(second, "kubectl")?.fieldsV1);
    expect(fields.has(["f:spec", "f:replicas"])).toBe(false);
    expect(fields.has(["f:metadata", "f:labels", "f:app"])).toBe(true);
  });

  it("keeps a dropped field another manager also owns", () => {
    const first = applyServerSide(null, manifest({ replicas: 2 }), opts);
    const shared = applyServerSide(first, manifest({ replicas: 2 }), { ...opts, manager: "helm" });
    const after = applyServerSide(shared, manifest(), opts);
    expect((after.spec as { replicas?: number }).replicas).toBe(2);
    expect(after.metadata.managedFields?.map((e) => e.manager).sort()).toEqual(["helm", "kubectl"]);
  });

  it("a change to another manager's field is a 409 naming it; the same value is shared", () => {
    // Created by client-side apply (an Update by kubectl-client-side-apply), then scaled.
    const created = { ...manifest({ replicas: 2 }), metadata: { name: "web", labels: { app: "web" } } } as KubeObject;
    created.metadata.managedFields = updateManagedFields(null, created, { manager: "kubectl-client-side-apply", apiVersion: "apps/v1", time: "2025-01-01T00:00:00Z", schema: deploymentSchema });
    const err = conflictOf(() => applyServerSide(created, manifest({ replicas: 3 }), opts));
    expect(err.code).toBe(409);
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    expect(err.causes).toEqual([{ reason: "FieldManagerConflict", message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: ".spec.replicas" }]);

    const same = applyServerSide(created, manifest({ replicas: 2 }), opts);
    expect(FieldSet.fromFieldsV1(entry(same, "kubectl-client-side-apply")?.fieldsV1).has(["f:spec", "f:replicas"])).toBe(true);
    expect(FieldSet.fromFieldsV1(entry(same, "kubectl")?.fieldsV1).has(["f:spec", "f:replicas"])).toBe(true);
  });

  it("lists every conflict, grouped by manager", () => {
    const base = applyServerSide(null, manifest({ replicas: 2 }), { ...opts, manager: "helm" });
    const err = conflictOf(() => applyServerSide(base, manifest({ replicas: 3, image: "nginx:2" }), opts));
    expect(err.message).toBe('Apply failed with 2 conflicts: conflicts with "helm":\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image');
  });

  it("force takes ownership from the other manager", () => {
    const base = applyServerSide(null, manifest({ replicas: 2 }), { ...opts, manager: "helm" });
    const forced = applyServerSide(base, manifest({ replicas: 5 }), { ...opts, force: true });
    expect((forced.spec as { replicas: number }).replicas).toBe(5);
    expect(FieldSet.fromFieldsV1(entry(forced, "helm")?.fieldsV1).has(["f:spec", "f:replicas"])).toBe(false);
    expect(FieldSet.fromFieldsV1(entry(forced, "kubectl")?.fieldsV1).has(["f:spec", "f:replicas"])).toBe(true);
  });

  it("conflicts after an Update (kubectl scale) took the field", () => {
    const applied = applyServerSide(null, manifest({ replicas: 2 }), opts);
    const scaled = structuredClone(applied);
    (scaled.spec as { replicas: number }).replicas = 4;
    scaled.metadata.managedFields = updateManagedFields(applied, scaled, { manager: "kubectl", operation: "Update", apiVersion: "apps/v1", time: "2025-01-03T00:00:00Z", schema: deploymentSchema, subresource: "scale" });
    const err = conflictOf(() => applyServerSide(scaled, manifest({ replicas: 2 }), opts));
    expect(err.message).toContain('conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas');
  });

  it("rejects managedFields in the applied config and goes through applyPatch", () => {
    const bad = { ...manifest(), metadata: { name: "web", managedFields: [{ manager: "x" }] } };
    expect(() => applyServerSide(null, bad, opts)).toThrow(PatchError);
    const viaDispatcher = applyPatch("application/apply-patch+yaml", null, manifest(), deploymentSchema, { apply: opts }) as KubeObject;
    expect(entry(viaDispatcher, "kubectl")?.operation).toBe("Apply");
  });
});

describe("server-side apply of YAML-only values", () => {
  it("reads !!binary as base64 text, as Go does: metadata that is bytes is no map of its indexes", () => {
    const applied = { apiVersion: "apps/v1", kind: "Deployment", metadata: new TextEncoder().encode("hello") };
    expect(() => applyServerSide(null, applied, opts)).toThrow(new PatchError("failed to create typed patch object: .metadata: expected map, got string", 400));
    const labelled = applyServerSide(null, { ...manifest(), metadata: { name: "web", labels: { bin: new TextEncoder().encode("hi") } } }, opts);
    expect(labelled.metadata.labels).toEqual({ bin: "aGk=" });
  });

  it("refuses a config that contains itself (YAML `x: &x [*x]`) with a 400, not a blown stack", () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => applyServerSide(null, { ...manifest(), x: cyclic }, opts)).toThrow(expect.objectContaining({ code: 400, message: expect.stringMatching(/nested more than \d+ levels/) }));
  });
});

describe("updateManagedFields (non-apply writes)", () => {
  const time = "2025-01-01T00:00:00Z";
  const base = { manager: "kubectl-client-side-apply", apiVersion: "apps/v1", time, schema: deploymentSchema };

  it("a create owns every field it set, maps it created marked with '.'", () => {
    const obj = manifest({ replicas: 1 }) as KubeObject;
    const mf = updateManagedFields(null, obj, base);
    expect(mf).toHaveLength(1);
    expect(mf?.[0]).toMatchObject({ manager: "kubectl-client-side-apply", operation: "Update", apiVersion: "apps/v1", time, fieldsType: "FieldsV1" });
    expect(mf?.[0]?.fieldsV1).toEqual({
      "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
      "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
          ".": {},
          "f:metadata": { ".": {}, "f:labels": { ".": {}, "f:app": {} } },
          "f:spec": { ".": {}, "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {} } } },
        },
      },
    });
  });

  it("an update takes the fields it changed; removed fields leave every owner", () => {
    const created = manifest({ replicas: 1, labels: { app: "web", tier: "fe" } }) as KubeObject;
    created.metadata.managedFields = updateManagedFields(null, created, base);
    const next = structuredClone(created);
    (next.spec as { replicas: number }).replicas = 3;
    delete next.metadata.labels?.tier;
    const mf = updateManagedFields(created, next, { ...base, manager: "kubectl-scale", time: "2025-01-02T00:00:00Z" });
    const csa = FieldSet.fromFieldsV1(mf?.find((e) => e.manager === "kubectl-client-side-apply")?.fieldsV1);
    const scale = FieldSet.fromFieldsV1(mf?.find((e) => e.manager === "kubectl-scale")?.fieldsV1);
    expect(csa.has(["f:spec", "f:replicas"])).toBe(false);
    expect(csa.has(["f:metadata", "f:labels", "f:tier"])).toBe(false);
    expect(scale.paths()).toEqual([["f:spec", "f:replicas"]]);
    expect(mf?.map((e) => e.manager)).toEqual(["kubectl-client-side-apply", "kubectl-scale"]);
  });

  it("a no-op write records nothing and keeps entries; [{}] resets them", () => {
    const created = manifest() as KubeObject;
    created.metadata.managedFields = updateManagedFields(null, created, base);
    const same = updateManagedFields(created, structuredClone(created), { ...base, manager: "other" });
    expect(same).toEqual(created.metadata.managedFields);
    const reset = structuredClone(created);
    reset.metadata.managedFields = [{}];
    expect(updateManagedFields(created, reset, base)).toBeUndefined();
  });

  it("merges entries per manager, operation and apiVersion", () => {
    const created = manifest() as KubeObject;
    created.metadata.managedFields = updateManagedFields(null, created, base);
    const next = structuredClone(created);
    next.metadata.labels = { ...next.metadata.labels, extra: "1" };
    const mf = updateManagedFields(created, next, { ...base, time: "2025-01-05T00:00:00Z" });
    expect(mf).toHaveLength(1);
    expect(mf?.[0]?.time).toBe("2025-01-05T00:00:00Z");
    expect(FieldSet.fromFieldsV1(mf?.[0]?.fieldsV1).has(["f:metadata", "f:labels", "f:extra"])).toBe(true);
    const v1beta1 = updateManagedFields(next, { ...structuredClone(next), spec: { ...(next.spec as object), replicas: 9 } }, { ...base, apiVersion: "apps/v1beta1" });
    expect(v1beta1).toHaveLength(2);
  });
});

describe("server-side apply on keyed lists", () => {
  it("an applied port without protocol matches the live port the server defaulted to TCP", () => {
    const svcOpts = { manager: "kubectl", schema: serviceSchema, apiVersion: "v1", now: NOW };
    const applied = { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: 80, targetPort: 8080 }] } };
    const created = applyServerSide(null, applied, svcOpts);
    (created.spec as { ports: Record<string, unknown>[] }).ports[0]!.protocol = "TCP";
    const again = applyServerSide(created, { ...applied, spec: { ports: [{ port: 80, targetPort: 9090 }] } }, svcOpts);
    expect((again.spec as { ports: unknown[] }).ports).toEqual([{ port: 80, protocol: "TCP", targetPort: 9090 }]);
    expect(Object.keys((entry(again, "kubectl")?.fieldsV1 as { "f:spec": { "f:ports": object } })["f:spec"]["f:ports"])).toEqual(['k:{"port":80,"protocol":"TCP"}']);
  });

  it("keeps live-only items in place and follows the applied order for shared ones", () => {
    const helm = applyServerSide(null, manifest({ sidecar: true }), { ...opts, manager: "helm" });
    const reordered = { ...manifest(), spec: { template: { spec: { containers: [{ name: "extra", image: "x" }, { name: "web", image: "nginx:1.25" }] } } } };
    const out = applyServerSide(helm, reordered, opts);
    const names = (out.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers.map((c) => c.name);
    expect(names).toEqual(["extra", "web", "sidecar"]);
  });
});

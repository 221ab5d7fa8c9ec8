// Strategic merge patch: merge keys and patch strategies read from zod-built JSON Schemas,
// and the directives real kubectl sends ($setElementOrder, $patch, $retainKeys, ...).
import { describe, expect, it } from "vitest";
import { applyPatch, applyStrategicMergePatch, PatchError } from "../../../worker/api/patch";
import { deploymentSchema, deploymentSchemaWithRefs, serviceSchema } from "./schemas";

const SMP = "application/strategic-merge-patch+json";

function deployment(spec: Record<string, unknown>, meta: Record<string, unknown> = {}) {
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", ...meta }, spec: { replicas: 1, template: { spec } } };
}

interface Container {
  name: string;
  [key: string]: unknown;
}
interface Patched {
  metadata: { annotations?: unknown; labels?: unknown; finalizers?: string[] };
  spec: {
    replicas?: number;
    strategy?: unknown;
    template: { spec: { containers: Container[]; initContainers?: unknown; tolerations?: unknown; nodeSelector?: unknown } };
  };
}

function smp(live: unknown, patch: unknown, schema: Parameters<typeof applyStrategicMergePatch>[2]): Patched {
  return applyStrategicMergePatch(live, patch, schema) as Patched;
}

const web = { name: "web", image: "nginx:1.25", env: [{ name: "A", value: "1" }, { name: "B", value: "2" }, { name: "C", value: "3" }] };
const sidecar = { name: "sidecar", image: "busybox" };

describe.each([
  ["inline schema", deploymentSchema],
  ["$ref schema", deploymentSchemaWithRefs],
])("strategic merge patch (%s)", (_label, schema) => {
  it("applies kubectl apply's patch after an image change and an env var removal", () => {
    const live = deployment({ containers: [web, sidecar] });
    // What kubectl apply (client-side) computes from last-applied, the new manifest and the live object.
    const patch = {
      metadata: { annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } },
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "web" }, { name: "sidecar" }],
            containers: [{ "$setElementOrder/env": [{ name: "A" }, { name: "C" }], env: [{ $patch: "delete", name: "B" }], image: "nginx:1.26", name: "web" }],
          },
        },
      },
    };
    const out = smp(live, patch, schema);
    expect(out.spec.template.spec.containers).toEqual([
      { name: "web", image: "nginx:1.26", env: [{ name: "A", value: "1" }, { name: "C", value: "3" }] },
      sidecar,
    ]);
    expect(out.metadata.annotations).toEqual({ "kubectl.kubernetes.io/last-applied-configuration": "{}" });
  });

  it("orders a new item by $setElementOrder", () => {
    const live = deployment({ containers: [web] });
    const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "web" }, { name: "sidecar" }], containers: [sidecar] } } } };
    const out = smp(live, patch, schema);
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(["web", "sidecar"]);
  });

  it("reorders an unchanged list by $setElementOrder alone", () => {
    const live = deployment({ containers: [web, sidecar] });
    const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "sidecar" }, { name: "web" }] } } } };
    const out = smp(live, patch, schema);
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(["sidecar", "web"]);
  });

  it("puts a new merge-list item first without $setElementOrder, as upstream does", () => {
    const live = deployment({ containers: [web] });
    const out = smp(live, { spec: { template: { spec: { containers: [sidecar] } } } }, schema);
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(["sidecar", "web"]);
  });

  it("kubectl set image: merges one container by name and keeps the rest", () => {
    const live = deployment({ containers: [web, sidecar] });
    const out = smp(live, { spec: { template: { spec: { containers: [{ name: "sidecar", image: "busybox:2" }] } } } }, schema);
    expect(out.spec.template.spec.containers).toEqual([web, { name: "sidecar", image: "busybox:2" }]);
  });

  it("replaces atomic and strategy-less lists, merges maps, null deletes", () => {
    const live = deployment({ containers: [web], tolerations: [{ key: "a" }, { key: "b" }], nodeSelector: { disk: "ssd", zone: "a" } }, { labels: { app: "web", tier: "fe" } });
    const patch = {
      metadata: { labels: { tier: null, new: "1" } },
      spec: { replicas: 3, template: { spec: { tolerations: [{ key: "c" }], nodeSelector: { zone: "b" }, containers: [{ name: "web", args: ["x"] }] } } },
    };
    const out = smp(live, patch, schema);
    expect(out.metadata.labels).toEqual({ app: "web", new: "1" });
    expect(out.spec.replicas).toBe(3);
    expect(out.spec.template.spec.tolerations).toEqual([{ key: "c" }]);
    expect(out.spec.template.spec.nodeSelector).toEqual({ disk: "ssd", zone: "b" });
    expect(out.spec.template.spec.containers[0]?.args).toEqual(["x"]);
  });

  it("primitive merge lists: union, $deleteFromPrimitiveList and $setElementOrder", () => {
    const live = deployment({ containers: [web] }, { finalizers: ["a", "b"] });
    const added = smp(live, { metadata: { finalizers: ["b", "c"] } }, schema);
    expect(added.metadata.finalizers).toEqual(["a", "b", "c"]);
    const removed = smp(live, { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"], "$setElementOrder/finalizers": ["b"] } }, schema);
    expect(removed.metadata.finalizers).toEqual(["b"]);
  });

  it("$retainKeys clears what the patch does not keep (Recreate strategy)", () => {
    const live = { ...deployment({ containers: [web] }) };
    (live.spec as Record<string, unknown>).strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%" } };
    const patch = { spec: { strategy: { $retainKeys: ["type"], rollingUpdate: null, type: "Recreate" } } };
    const out = smp(live, patch, schema);
    expect(out.spec.strategy).toEqual({ type: "Recreate" });
  });

  it("$patch: replace and $patch: delete in maps and lists", () => {
    const live = deployment({ containers: [web, sidecar], nodeSelector: { disk: "ssd", zone: "a" } });
    const replaced = smp(live, { spec: { template: { spec: { nodeSelector: { $patch: "replace", only: "x" } } } } }, schema);
    expect(replaced.spec.template.spec.nodeSelector).toEqual({ only: "x" });
    const listReplaced = smp(live, { spec: { template: { spec: { containers: [{ name: "solo", image: "x" }, { $patch: "replace" }] } } } }, schema);
    expect(listReplaced.spec.template.spec.containers).toEqual([{ name: "solo", image: "x" }]);
    const deleted = smp(live, { spec: { template: { spec: { nodeSelector: { $patch: "delete" } } } } }, schema);
    expect(deleted.spec.template.spec.nodeSelector).toEqual({});
    const itemDeleted = smp(live, { spec: { template: { spec: { containers: [{ name: "web", $patch: "delete" }] } } } }, schema);
    expect(itemDeleted.spec.template.spec.containers).toEqual([sidecar]);
  });

  it("drops directives from values the live object lacks", () => {
    const live = deployment({ containers: [web] });
    const out = smp(live, { spec: { template: { spec: { initContainers: [{ name: "init", image: "x" }, { name: "gone", $patch: "delete" }] } } } }, schema);
    expect(out.spec.template.spec.initContainers).toEqual([{ name: "init", image: "x" }]);
  });

  it("merges nested lists by their own keys (env by name, ports by containerPort)", () => {
    const live = deployment({ containers: [{ name: "web", ports: [{ containerPort: 80 }], env: [{ name: "A", value: "1" }] }] });
    const patch = { spec: { template: { spec: { containers: [{ name: "web", ports: [{ containerPort: 443 }], env: [{ name: "A", value: "2" }] }] } } } };
    const out = smp(live, patch, schema);
    expect(out.spec.template.spec.containers[0]).toEqual({ name: "web", ports: [{ containerPort: 443 }, { containerPort: 80 }], env: [{ name: "A", value: "2" }] });
  });
});

describe("strategic merge patch errors and fallbacks", () => {
  it("a merge-list item without its merge key is 422", () => {
    const live = deployment({ containers: [web] });
    expect(() => applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ image: "x" }] } } } }, deploymentSchema)).toThrow(PatchError);
  });

  it("a non-object patch is 400", () => {
    try {
      applyPatch(SMP, {}, [1], deploymentSchema);
      expect.unreachable();
    } catch (e) {
      expect((e as PatchError).code).toBe(400);
    }
  });

  it("unknown fields and no schema: lists replace, maps merge", () => {
    const live = { spec: { extra: { a: 1, list: [1, 2] } } };
    expect(applyPatch(SMP, live, { spec: { extra: { b: 2, list: [3] } } }, deploymentSchema)).toEqual({ spec: { extra: { a: 1, b: 2, list: [3] } } });
    expect(applyPatch(SMP, live, { spec: { extra: { list: [3] } } }, undefined)).toEqual({ spec: { extra: { a: 1, list: [3] } } });
  });

  it("service ports merge by port (kubectl patch svc)", () => {
    const live = { spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }], selector: { app: "web" } } };
    const out = applyPatch(SMP, live, { spec: { ports: [{ port: 80, targetPort: 9090 }, { name: "https", port: 443 }] } }, serviceSchema);
    expect(out).toEqual({ spec: { ports: [{ name: "http", port: 80, targetPort: 9090 }, { name: "https", port: 443 }], selector: { app: "web" } } });
  });

  it("does not mutate its inputs", () => {
    const live = deployment({ containers: [web] });
    const patch = { spec: { template: { spec: { containers: [{ name: "web", image: "x", $patch: "merge" }] } } } };
    const before = JSON.stringify([live, patch]);
    applyStrategicMergePatch(live, patch, deploymentSchema);
    expect(JSON.stringify([live, patch])).toBe(before);
  });
});

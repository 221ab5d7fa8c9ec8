// Table-wide checks of OTHER_KINDS: names as upstream, a JSON Schema for every kind,
// one printRow cell per printer column, and the patch metadata kubectl reads.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { OTHER_KINDS } from "../../../worker/resources/kinds";
import type { KubeObject, ResourceDef } from "../../../worker/resources/types";
import { NOW } from "./cluster-resources-harness";

const byPlural = (plural: string): ResourceDef => {
  const def = OTHER_KINDS.find((d) => d.plural === plural);
  if (!def) throw new Error(`no ${plural}`);
  return def;
};

describe("OTHER_KINDS", () => {
  it("names kinds, short names and scope as kube-apiserver's discovery does", () => {
    const table = OTHER_KINDS.map((d) => [d.group, d.version, d.plural, d.kind, d.namespaced, d.shortNames ?? []]);
    expect(table).toEqual([
      ["", "v1", "namespaces", "Namespace", false, ["ns"]],
      ["", "v1", "services", "Service", true, ["svc"]],
      ["", "v1", "endpoints", "Endpoints", true, ["ep"]],
      ["", "v1", "configmaps", "ConfigMap", true, ["cm"]],
      ["", "v1", "secrets", "Secret", true, []],
      ["", "v1", "serviceaccounts", "ServiceAccount", true, ["sa"]],
      ["", "v1", "events", "Event", true, ["ev"]],
      ["", "v1", "nodes", "Node", false, ["no"]],
      ["", "v1", "persistentvolumes", "PersistentVolume", false, ["pv"]],
      ["", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, ["pvc"]],
      ["", "v1", "resourcequotas", "ResourceQuota", true, ["quota"]],
      ["", "v1", "limitranges", "LimitRange", true, ["limits"]],
      ["networking.k8s.io", "v1", "ingresses", "Ingress", true, ["ing"]],
      ["networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, []],
      ["storage.k8s.io", "v1", "storageclasses", "StorageClass", false, ["sc"]],
      ["coordination.k8s.io", "v1", "leases", "Lease", true, []],
      ["discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, []],
      ["rbac.authorization.k8s.io", "v1", "roles", "Role", true, []],
      ["rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, []],
      ["rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, []],
      ["rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, []],
    ]);
    expect(byPlural("services").categories).toEqual(["all"]);
    expect(byPlural("namespaces").verbs).not.toContain("deletecollection");
    expect(byPlural("ingresses").servedVersions).toEqual(["v1beta1"]);
    for (const plural of ["namespaces", "services", "nodes", "persistentvolumes", "persistentvolumeclaims", "resourcequotas", "ingresses"]) {
      expect(byPlural(plural).subresources.status, plural).toBe(true);
    }
  });

  it.each(OTHER_KINDS.map((d) => [d.plural, d] as const))("%s converts to JSON Schema", (_plural, def) => {
    const schema = z.toJSONSchema(def.schema, { io: "input" }) as Record<string, unknown>;
    expect(schema.type).toBe("object");
  });

  it.each(OTHER_KINDS.map((d) => [d.plural, d] as const))("%s prints one cell per column, even for an empty object", (_plural, def) => {
    const obj: KubeObject = { apiVersion: "v1", kind: def.kind, metadata: { name: "x", creationTimestamp: "2024-12-31T23:59:00Z" } };
    expect(def.printRow(obj, NOW)).toHaveLength(def.printerColumns.length);
  });

  it("carries Kubernetes' list metadata for strategic merge and apply", () => {
    const props = (plural: string) => z.toJSONSchema(byPlural(plural).schema, { io: "input" }) as { properties: Record<string, { properties: Record<string, unknown> }> };
    expect(props("services").properties.spec!.properties.ports).toMatchObject({
      "x-kubernetes-patch-merge-key": "port",
      "x-kubernetes-patch-strategy": "merge",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["port", "protocol"],
    });
    expect(props("nodes").properties.status!.properties.conditions).toMatchObject({ "x-kubernetes-patch-merge-key": "type" });
    expect(props("nodes").properties.status!.properties.addresses).toMatchObject({ "x-kubernetes-patch-merge-key": "type" });
    expect(props("nodes").properties.spec!.properties.taints).toMatchObject({ "x-kubernetes-list-type": "atomic" });
    expect((props("endpoints").properties as Record<string, unknown>).subsets).toMatchObject({ "x-kubernetes-list-type": "atomic" });
    expect((props("serviceaccounts").properties as Record<string, unknown>).secrets).toMatchObject({ "x-kubernetes-patch-merge-key": "name" });
    expect(props("services").properties.spec!.properties.selector).toMatchObject({ "x-kubernetes-map-type": "atomic" });
  });

  it("offers the field selectors kubectl uses", () => {
    const events = byPlural("events");
    expect(Object.keys(events.selectableFields ?? {}).sort()).toEqual(
      [
        "involvedObject.apiVersion",
        "involvedObject.fieldPath",
        "involvedObject.kind",
        "involvedObject.name",
        "involvedObject.namespace",
        "involvedObject.resourceVersion",
        "involvedObject.uid",
        "reason",
        "reportingComponent",
        "source",
        "type",
      ].sort(),
    );
    const ev: KubeObject = { apiVersion: "v1", kind: "Event", metadata: { name: "e" }, involvedObject: { kind: "Pod", name: "p", uid: "u1" }, source: { component: "kubelet" } };
    expect(events.selectableFields!["involvedObject.uid"]!(ev)).toBe("u1");
    expect(events.selectableFields!["involvedObject.namespace"]!(ev)).toBe("");
    expect(events.selectableFields!.source!(ev)).toBe("kubelet");
    expect(byPlural("secrets").selectableFields!.type!({ apiVersion: "v1", kind: "Secret", metadata: {}, type: "kubernetes.io/tls" })).toBe("kubernetes.io/tls");
    expect(byPlural("nodes").selectableFields!["spec.unschedulable"]!({ apiVersion: "v1", kind: "Node", metadata: {} })).toBe("false");
    expect(byPlural("namespaces").selectableFields!["status.phase"]!({ apiVersion: "v1", kind: "Namespace", metadata: {}, status: { phase: "Active" } })).toBe("Active");
  });
});

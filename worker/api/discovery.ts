// Discovery: /version, /api, /apis and each group version's APIResourceList, built
// from the registry so a new kind shows up in `kubectl api-resources` by itself.
import type { ServedSubresource } from "../resources/types";
import { SUBRESOURCES } from "./subresources";
import type { Registry } from "../resources/registry";
import type { ResourceDef } from "../resources/types";

/** What /version reports; charts check `kubeVersion: >=1.23` against it. */
export const KUBERNETES_VERSION = { major: "1", minor: "32", gitVersion: "v1.32.0-edgeplane" } as const;

export function versionInfo() {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: "edgeplane",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.23.0",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function coreVersions(host: string) {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: host }],
  };
}

function groupEntry(registry: Registry, group: string) {
  const versions = registry.groupVersions(group).map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions, preferredVersion: versions[0]! };
}

export function groupList(registry: Registry) {
  return { kind: "APIGroupList", apiVersion: "v1", groups: registry.apiGroups().map((g) => groupEntry(registry, g)) };
}

export function group(registry: Registry, name: string) {
  if (!registry.apiGroups().includes(name)) return undefined;
  return { kind: "APIGroup", apiVersion: "v1", ...groupEntry(registry, name) };
}

/** Subresources each kind serves, with the verbs kubectl looks for. */
export function subresourcesOf(def: ResourceDef): { name: string; kind: string; group?: string; version?: string; verbs: string[] }[] {
  const subs: { name: string; kind: string; group?: string; version?: string; verbs: string[] }[] = [];
  if (def.subresources.status) subs.push({ name: "status", kind: def.kind, verbs: ["get", "patch", "update"] });
  if (def.subresources.scale) subs.push({ name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: ["get", "patch", "update"] });
  for (const [name, sub] of Object.entries(SUBRESOURCES)) {
    if (def.subresources[name as ServedSubresource]) subs.push({ name, ...sub.discovery });
  }
  return subs;
}

export function resourceList(registry: Registry, groupName: string, version: string) {
  const defs = registry.resourcesAt(groupName, version);
  if (defs.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const def of defs) {
    const entry: Record<string, unknown> = {
      name: def.plural,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs,
    };
    if (def.shortNames?.length) entry.shortNames = def.shortNames;
    if (def.categories?.length) entry.categories = def.categories;
    resources.push(entry);
    for (const sub of subresourcesOf(def)) {
      const subEntry: Record<string, unknown> = {
        name: `${def.plural}/${sub.name}`,
        singularName: "",
        namespaced: def.namespaced,
        kind: sub.kind,
        verbs: sub.verbs,
      };
      if (sub.group !== undefined) Object.assign(subEntry, { group: sub.group, version: sub.version });
      resources.push(subEntry);
    }
  }
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: groupName ? `${groupName}/${version}` : version,
    resources,
  };
}

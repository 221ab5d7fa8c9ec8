// The registry's functions over the fixture table, for vi.mock of worker/resources/registry
// (the real table pulls in every kind module, some still being written).
import type { ResourceDef } from "../../worker/resources/types";
import { FIXTURE_RESOURCES } from "./openapi-fixture";

export function registryOver(resources: readonly ResourceDef[] = FIXTURE_RESOURCES) {
  const groupVersions = (group: string): string[] => {
    const versions: string[] = [];
    for (const def of resources) {
      if (def.group !== group) continue;
      for (const v of [def.version, ...(def.servedVersions ?? [])]) if (!versions.includes(v)) versions.push(v);
    }
    return versions;
  };
  return {
    RESOURCES: resources,
    groupVersions,
    apiGroups: () => [...new Set(resources.filter((d) => d.group).map((d) => d.group))],
    resourcesAt: (group: string, version: string) =>
      resources.filter((d) => d.group === group && (d.version === version || (d.servedVersions ?? []).includes(version))),
    resourceByPlural: (group: string, plural: string) => resources.find((d) => d.group === group && d.plural === plural),
    resourceByKind: (group: string, kind: string) => resources.find((d) => d.group === group && d.kind === kind),
    apiVersionOf: (def: ResourceDef, version = def.version) => (def.group ? `${def.group}/${version}` : version),
  };
}

// The kind table: every served resource, looked up by URL plural or by kind.
// Adding a kind means adding its ResourceDef to the lists in kinds.ts.
import { BUILT_IN_KINDS } from "./kinds";
import type { ResourceDef } from "./types";

export const RESOURCES: readonly ResourceDef[] = BUILT_IN_KINDS;

const byPlural = new Map<string, ResourceDef>();
const byKind = new Map<string, ResourceDef>();
for (const def of RESOURCES) {
  byPlural.set(`${def.group}/${def.plural}`, def);
  byKind.set(`${def.group}/${def.kind}`, def);
}

export function resourceByPlural(group: string, plural: string): ResourceDef | undefined {
  return byPlural.get(`${group}/${plural}`);
}

export function resourceByKind(group: string, kind: string): ResourceDef | undefined {
  return byKind.get(`${group}/${kind}`);
}

/** Every version a group serves, the storage version first. */
export function groupVersions(group: string): string[] {
  const versions: string[] = [];
  for (const def of RESOURCES) {
    if (def.group !== group) continue;
    for (const v of [def.version, ...(def.servedVersions ?? [])]) if (!versions.includes(v)) versions.push(v);
  }
  return versions;
}

/** The groups other than core, in discovery order. */
export function apiGroups(): string[] {
  const groups: string[] = [];
  for (const def of RESOURCES) if (def.group && !groups.includes(def.group)) groups.push(def.group);
  return groups;
}

/** Resources served at group/version (a kind served only at its storage version is absent elsewhere). */
export function resourcesAt(group: string, version: string): ResourceDef[] {
  return RESOURCES.filter(
    (d) => d.group === group && (d.version === version || (d.servedVersions ?? []).includes(version)),
  );
}

export function apiVersionOf(def: ResourceDef, version = def.version): string {
  return def.group ? `${def.group}/${version}` : version;
}

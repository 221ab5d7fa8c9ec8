// The kind table: every served resource, looked up by URL plural or by kind. One Registry is
// built at startup (builtInRegistry) and passed to the app and the Durable Objects; kinds can be
// added and removed at run time (custom resources), and discovery and OpenAPI follow.
import { BUILT_IN_KINDS } from "./kinds";
import type { ResourceDef } from "./types";

function keyOf(group: string, name: string): string {
  return `${group}/${name}`;
}

export class Registry {
  private defs: ResourceDef[] = [];
  private readonly byPluralKey = new Map<string, ResourceDef>();
  private readonly byKindKey = new Map<string, ResourceDef>();
  /** Values derived from the kinds (OpenAPI documents), dropped whenever the kinds change. */
  private readonly derived = new Map<string, unknown>();
  private changes = 0;

  constructor(defs: readonly ResourceDef[] = []) {
    for (const def of defs) this.add(def);
  }

  /** Every kind, in registration order (discovery's order). */
  get all(): readonly ResourceDef[] {
    return this.defs;
  }

  /** Counts adds and removes: a client-visible document built from the kinds changes with it. */
  get generation(): number {
    return this.changes;
  }

  /** Serves a new kind; its plural and its kind must be free in its group. */
  add(def: ResourceDef): void {
    const plural = keyOf(def.group, def.plural);
    const kind = keyOf(def.group, def.kind);
    if (this.byPluralKey.has(plural)) throw new Error(`resource ${plural} is already served`);
    if (this.byKindKey.has(kind)) throw new Error(`kind ${kind} is already served`);
    this.defs = [...this.defs, def];
    this.byPluralKey.set(plural, def);
    this.byKindKey.set(kind, def);
    this.changed();
  }

  /** Stops serving a kind (its stored objects stay until the caller deletes them). */
  remove(group: string, plural: string): boolean {
    const def = this.byPluralKey.get(keyOf(group, plural));
    if (!def) return false;
    this.defs = this.defs.filter((d) => d !== def);
    this.byPluralKey.delete(keyOf(group, plural));
    this.byKindKey.delete(keyOf(group, def.kind));
    this.changed();
    return true;
  }

  byPlural(group: string, plural: string): ResourceDef | undefined {
    return this.byPluralKey.get(keyOf(group, plural));
  }

  byKind(group: string, kind: string): ResourceDef | undefined {
    return this.byKindKey.get(keyOf(group, kind));
  }

  /** Every version a group serves, the storage version first. */
  groupVersions(group: string): string[] {
    const versions: string[] = [];
    for (const def of this.defs) {
      if (def.group !== group) continue;
      for (const v of [def.version, ...(def.servedVersions ?? [])]) if (!versions.includes(v)) versions.push(v);
    }
    return versions;
  }

  /** The groups other than core, in discovery order. */
  apiGroups(): string[] {
    const groups: string[] = [];
    for (const def of this.defs) if (def.group && !groups.includes(def.group)) groups.push(def.group);
    return groups;
  }

  /** Resources served at group/version (a kind served only at its storage version is absent elsewhere). */
  resourcesAt(group: string, version: string): ResourceDef[] {
    return this.defs.filter((d) => d.group === group && (d.version === version || (d.servedVersions ?? []).includes(version)));
  }

  /** `build()`'s value, kept until a kind is added or removed. */
  memo<T>(key: string, build: () => T): T {
    if (this.derived.has(key)) return this.derived.get(key) as T;
    const value = build();
    this.derived.set(key, value);
    return value;
  }

  private changed(): void {
    this.changes++;
    this.derived.clear();
  }
}

/** A registry of every built-in kind: what a Worker isolate or a Durable Object starts with. */
export function builtInRegistry(): Registry {
  return new Registry(BUILT_IN_KINDS);
}

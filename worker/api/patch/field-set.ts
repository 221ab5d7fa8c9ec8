// A set of field paths as structured-merge-diff keeps them, stored as a trie whose edges are
// FieldsV1 path elements (`f:name`, `k:{"name":"web"}`, `v:"x"`, `i:0`); encodes to and
// decodes from the FieldsV1 JSON that metadata.managedFields carries.
import { isRecord } from "../../../shared/json";

export class FieldSet {
  /** True when the path ending at this node is itself in the set (FieldsV1 `.`). */
  member = false;
  readonly children = new Map<string, FieldSet>();

  static fromFieldsV1(raw: unknown): FieldSet {
    const set = new FieldSet();
    if (!isRecord(raw)) return set;
    const keys = Object.keys(raw);
    if (keys.length === 0) set.member = true;
    for (const key of keys) {
      if (key === ".") set.member = true;
      else set.children.set(key, FieldSet.fromFieldsV1(raw[key]));
    }
    return set;
  }

  /** FieldsV1 JSON: `{}` for a leaf, `.` beside children for a member with children; keys sorted. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.member && this.children.size > 0) out["."] = {};
    for (const key of [...this.children.keys()].sort()) out[key] = this.children.get(key)!.toFieldsV1();
    return out;
  }

  child(element: string): FieldSet {
    let c = this.children.get(element);
    if (!c) {
      c = new FieldSet();
      this.children.set(element, c);
    }
    return c;
  }

  insert(path: readonly string[]): void {
    let node: FieldSet = this;
    for (const e of path) node = node.child(e);
    node.member = true;
  }

  /** The sub-trie at `path`, if any. */
  at(path: readonly string[]): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const e of path) node = node?.children.get(e);
    return node;
  }

  has(path: readonly string[]): boolean {
    return this.at(path)?.member ?? false;
  }

  isEmpty(): boolean {
    if (this.member) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    out.mergeIn(other);
    return out;
  }

  private mergeIn(other: FieldSet): void {
    this.member ||= other.member;
    for (const [k, c] of other.children) this.child(k).mergeIn(c);
  }

  copy(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    for (const [k, c] of this.children) out.children.set(k, c.copy());
    return out;
  }

  /** Paths of this set not in `other` (exact membership, as fieldpath.Set.Difference). */
  difference(other: FieldSet | undefined): FieldSet {
    const out = new FieldSet();
    out.member = this.member && !(other?.member ?? false);
    for (const [k, c] of this.children) {
      const d = c.difference(other?.children.get(k));
      if (!d.isEmpty()) out.children.set(k, d);
    }
    return out;
  }

  intersection(other: FieldSet | undefined): FieldSet {
    const out = new FieldSet();
    if (!other) return out;
    out.member = this.member && other.member;
    for (const [k, c] of this.children) {
      const o = other.children.get(k);
      if (!o) continue;
      const i = c.intersection(o);
      if (!i.isEmpty()) out.children.set(k, i);
    }
    return out;
  }

  /** Every member path, parents before children, children in sorted order. */
  paths(prefix: string[] = []): string[][] {
    const out: string[][] = this.member ? [prefix] : [];
    for (const key of [...this.children.keys()].sort()) out.push(...this.children.get(key)!.paths([...prefix, key]));
    return out;
  }
}

/** structured-merge-diff's Path.String(): `.spec.containers[name="web"].image`, `[="x"]`, `[0]`. */
export function pathToString(path: readonly string[]): string {
  return path
    .map((e) => {
      const body = e.slice(2);
      if (e.startsWith("f:")) return `.${body}`;
      if (e.startsWith("i:")) return `[${body}]`;
      if (e.startsWith("v:")) return `[=${body}]`;
      if (e.startsWith("k:")) {
        try {
          const key = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}]`;
        } catch {
          return `[${body}]`;
        }
      }
      return e;
    })
    .join("");
}

export function fieldElement(name: string): string {
  return `f:${name}`;
}

/** `k:{...}` with the key fields in sorted order, values JSON-encoded as kube writes them. */
export function keyElement(key: Record<string, unknown>): string {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(key).sort()) sorted[k] = key[k];
  return `k:${JSON.stringify(sorted)}`;
}

export function valueElement(value: unknown): string {
  return `v:${JSON.stringify(value)}`;
}

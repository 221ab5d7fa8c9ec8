// RFC 6902 JSON Patch over RFC 6901 pointers, as kube-apiserver applies it (evanphx/json-patch):
// a body that is not a list of operations is 400; an operation that cannot apply
// (missing path, failed test) is 422 Invalid, which is what kube-apiserver answers.
import { PatchError } from "./errors";
import { deepEqual } from "../../../shared/deep-equal";
import { isRecord, type Json } from "../../../shared/json";
import { clone } from "./json-value";

interface Operation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
  hasValue: boolean;
}

function decodeOperations(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) {
    throw new PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch", 400);
  }
  return patch.map((raw) => {
    if (!isRecord(raw)) throw new PatchError("json: cannot unmarshal into Go value of type jsonpatch.Operation", 400);
    const op = raw.op;
    const path = raw.path;
    if (typeof op !== "string") throw new PatchError("Unexpected kind: <nil>", 422);
    if (typeof path !== "string") throw new PatchError(`${op} operation does not apply: doc is missing path: <nil>`, 422);
    const from = typeof raw.from === "string" ? raw.from : undefined;
    return { op, path, value: raw.value, from, hasValue: Object.hasOwn(raw, "value") };
  });
}

/** RFC 6901: "" is the whole document; "/a~1b/~0c" names keys "a/b" then "~c". */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchError(`invalid JSON pointer: ${JSON.stringify(pointer)}`, 422);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** A wrapper so the root can be replaced like any other member. */
interface Doc {
  root: unknown;
}

type Container = Json | unknown[];

/** The container holding the last token of `tokens`, or a 422 naming the path. */
function parentOf(doc: Doc, tokens: string[], op: string, pointer: string): Container {
  let cur: unknown = doc.root;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(token, cur.length - 1, op, pointer)];
    else if (isRecord(cur) && Object.hasOwn(cur, token)) cur = cur[token];
    else cur = undefined;
    if (cur === undefined) throw missing(op, pointer);
  }
  if (!Array.isArray(cur) && !isRecord(cur)) throw missing(op, pointer);
  return cur;
}

function missing(op: string, pointer: string): PatchError {
  return new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`, 422);
}

function arrayIndex(token: string, max: number, op: string, pointer: string): number {
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`${op} operation does not apply: invalid index "${token}" in "${pointer}"`, 422);
  const i = Number(token);
  if (i > max) throw new PatchError(`${op} operation does not apply: index out of bounds ${i} in "${pointer}"`, 422);
  return i;
}

function getAt(doc: Doc, pointer: string, op: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc.root;
  const parent = parentOf(doc, tokens, op, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length - 1, op, pointer)];
  if (!Object.hasOwn(parent, last)) throw missing(op, pointer);
  return parent[last];
}

function addAt(doc: Doc, pointer: string, value: unknown, op: string): void {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) {
    doc.root = value;
    return;
  }
  const parent = parentOf(doc, tokens, op, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = last === "-" ? parent.length : arrayIndex(last, parent.length, op, pointer);
    parent.splice(i, 0, value);
  } else {
    parent[last] = value;
  }
}

function removeAt(doc: Doc, pointer: string, op: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) {
    const old = doc.root;
    doc.root = null;
    return old;
  }
  const parent = parentOf(doc, tokens, op, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length - 1, op, pointer);
    return parent.splice(i, 1)[0];
  }
  if (!Object.hasOwn(parent, last)) {
    throw new PatchError(`${op} operation does not apply: doc is missing key: ${pointer}: missing value`, 422);
  }
  const old = parent[last];
  delete parent[last];
  return old;
}

function requireValue(o: Operation): unknown {
  if (!o.hasValue) throw new PatchError(`${o.op} operation does not apply: missing value`, 422);
  return clone(o.value);
}

function requireFrom(o: Operation): string {
  if (o.from === undefined) throw new PatchError(`${o.op} operation does not apply: missing from`, 422);
  return o.from;
}

/** Applies a JSON Patch to a copy of `doc`; the input is left untouched. */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  const ops = decodeOperations(patch);
  const state: Doc = { root: clone(doc) };
  for (const o of ops) {
    switch (o.op) {
      case "add":
        addAt(state, o.path, requireValue(o), o.op);
        break;
      case "remove":
        removeAt(state, o.path, o.op);
        break;
      case "replace": {
        const value = requireValue(o);
        removeAt(state, o.path, o.op);
        addAt(state, o.path === "" ? "" : o.path, value, o.op);
        break;
      }
      case "move": {
        const from = requireFrom(o);
        if (o.path.startsWith(`${from}/`)) {
          throw new PatchError(`move operation does not apply: "${o.path}" is a child of "${from}"`, 422);
        }
        const value = removeAt(state, from, o.op);
        addAt(state, o.path, value, o.op);
        break;
      }
      case "copy":
        addAt(state, o.path, clone(getAt(state, requireFrom(o), o.op)), o.op);
        break;
      case "test": {
        let actual: unknown;
        try {
          actual = getAt(state, o.path, o.op);
        } catch {
          actual = undefined;
        }
        const expected = o.hasValue ? o.value : undefined;
        if (!(actual === undefined && expected === null) && !deepEqual(actual, expected)) {
          throw new PatchError(`testing value ${o.path} failed: test failed`, 422);
        }
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${o.op}`, 422);
    }
  }
  return state.root;
}

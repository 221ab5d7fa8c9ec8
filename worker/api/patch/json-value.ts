// Small helpers over decoded JSON values shared by the patch engines.
export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A deep copy of a JSON value (the engines never mutate their inputs). */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export { deepEqual as deepEqualJson } from "../../lib/deep-equal";

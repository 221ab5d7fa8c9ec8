// Narrowing helpers for parsed JSON (objects as clients and the store send them), one set for the
// Worker and the agent. Two ways to read a part that may be missing or of the wrong type: `rec` and
// `records` read through it as empty; `asRecord` and `asArray` say it is not there (undefined).

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** v when it is an object, else `{}`. */
export function rec(v: unknown): Json {
  return isRecord(v) ? v : {};
}

/** v when it is an object, else undefined. */
export function asRecord(v: unknown): Json | undefined {
  return isRecord(v) ? v : undefined;
}

/** The objects in v when it is an array (other items dropped), else `[]`. */
export function records(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

/** v when it is an array, else undefined. */
export function asArray(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** The strings in v when it is an array, else `[]`. */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** v when it is a finite number, else `fallback`. */
export function num(v: unknown, fallback = 0): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

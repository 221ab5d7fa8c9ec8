// Small helpers over decoded JSON values shared by the patch engines.

/** A deep copy of a JSON value (the engines never mutate their inputs). */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

/**
 * One decoded YAML value JSON has no type for, as Go's YAML-to-JSON conversion (sigs.k8s.io/yaml)
 * turns it: `!!binary` bytes into base64 text, `!!timestamp` into an RFC 3339 string, `!!omap`
 * and `!!set` into plain maps (a set's members map to null), a big integer into a number. Left as
 * they are, bytes became `{"0":104,…}` (a map of their indexes) and a Date an empty map.
 */
export function yamlValueAsJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return base64(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), x]));
  if (v instanceof Set) return Object.fromEntries([...v].map((k) => [String(k), null]));
  if (typeof v === "bigint") return Number(v);
  return v;
}

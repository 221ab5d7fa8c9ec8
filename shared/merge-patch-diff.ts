// The JSON merge patch (RFC 7386) that turns one object into another: what kubectl edit sends for
// a kind without a strategic-merge schema, here for any kind. Only what changed is in it, so a
// field someone else changed meanwhile (the status a controller writes) is left as they left it.
import { deepEqual } from "./deep-equal";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The patch from `from` to `to`; `{}` when they are equal. Lists change whole (RFC 7386 has no list merge). */
export function mergePatchBetween(from: object, to: object): Record<string, unknown> {
  const was = from as Record<string, unknown>;
  const after = to as Record<string, unknown>;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(was)) if (!(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    const before = was[key];
    if (isObject(before) && isObject(value)) {
      const inner = mergePatchBetween(before, value);
      if (Object.keys(inner).length > 0) patch[key] = inner;
    } else if (!(key in was) || !deepEqual(before, value)) {
      patch[key] = value;
    }
  }
  return patch;
}

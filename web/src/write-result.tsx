// A write's outcome as the server states it: the object written, or its Status, with each field a
// 422 names. The Apply view and the YAML editor show a refusal the same way, next to its cause.
import { UNAUTHORIZED_EVENT } from "./api";

/** Who the server records as writing the fields (managedFields), as kubectl names itself. */
export const FIELD_MANAGER = "edgeplane-console";

export interface Cause {
  field?: string;
  message: string;
}

export type Written<T> = { ok: true; object: T } | { ok: false; code: number; message: string; causes?: Cause[] };

/** Sends `body` as JSON (apply's YAML is JSON too); a refusal is a value here, not a throw. */
export async function write<T>(method: string, path: string, token: string, body: unknown, contentType = "application/json"): Promise<Written<T>> {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: "application/json", "content-type": contentType },
    body: JSON.stringify(body),
  });
  if (response.status === 401) dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  const answer = (await response.json().catch(() => ({}))) as { message?: string; details?: { causes?: Cause[] } };
  if (response.ok) return { ok: true, object: answer as T };
  return { ok: false, code: response.status, message: answer.message ?? `${response.status} ${response.statusText}`, causes: answer.details?.causes };
}

/** A 422's causes, each at its field path (`spec.replicas`). */
export function Causes({ causes }: { causes: Cause[] | undefined }) {
  if (!causes || causes.length === 0) return null;
  return (
    <ul>
      {causes.map((c, i) => (
        <li key={i}>
          <code>{c.field ?? "(object)"}</code>: {c.message}
        </li>
      ))}
    </ul>
  );
}

// How objects become rows and back: JSON without metadata.resourceVersion (the row's revision
// is the truth and is injected on read), optionally passed through a ValueTransformer; and how
// a driver error raised by the CAS guard (migrations/0001_cas_guard.sql) becomes a StoreError.
import type { KubeObject } from "../resources/types";
import type { ObjectKey, StoreErrorCode, ValueTransformer } from "./types";
import { MAX_OBJECT_BYTES, StoreError } from "./types";

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`, counted only when its length alone cannot settle the limit. */
function overLimit(text: string): boolean {
  if (text.length * 3 <= MAX_OBJECT_BYTES) return false;
  if (text.length > MAX_OBJECT_BYTES) return true;
  return encoder.encode(text).length > MAX_OBJECT_BYTES;
}

/** Any transformer's self-describing prefix (secret-transformer.ts writes `enc:v2:`). */
const ENCRYPTED_PREFIX = "enc:";

export class ValueCodec {
  constructor(readonly transformer?: ValueTransformer) {}

  /** The stored value sealed as a write would seal it now, or undefined when it already is (or is not encrypted). */
  async resealed(key: ObjectKey, stored: string): Promise<string | undefined> {
    const t = this.transformer;
    if (!t?.appliesTo(key) || !(await t.stale(stored))) return undefined;
    return t.encode(await t.decode(stored, key), key);
  }

  /** Throws StoreError TooLarge for an object over MAX_OBJECT_BYTES (before encryption). */
  async encode(key: ObjectKey, value: KubeObject): Promise<string> {
    const { resourceVersion: _ignored, ...metadata } = value.metadata;
    const json = JSON.stringify({ ...value, metadata });
    if (overLimit(json)) throw new StoreError("TooLarge", key, `the object is over the store's limit of ${MAX_OBJECT_BYTES} bytes`);
    return this.transformer?.appliesTo(key) ? this.transformer.encode(json, key) : json;
  }

  /**
   * The stored JSON with resourceVersion spliced in, skipping parse and stringify. encode()
   * writes apiVersion, kind and metadata first (the schemas' key order), so the first
   * `"metadata":{` is the top-level one; anything else takes the parsing path.
   */
  async decodeText(key: ObjectKey, stored: string, revision: number): Promise<string> {
    const at = this.transformer?.appliesTo(key) ? -1 : stored.indexOf('"metadata":{');
    if (at < 0 || at > 200) return JSON.stringify(await this.decode(key, stored, revision));
    const open = at + '"metadata":{'.length;
    const rv = `"resourceVersion":"${revision}"`;
    return stored.slice(0, open) + rv + (stored[open] === "}" ? "" : ",") + stored.slice(open);
  }

  /** Throws StoreError Unreadable when the row cannot be decrypted or parsed: the caller decides what that row costs. */
  async decode(key: ObjectKey, stored: string, revision: number): Promise<KubeObject> {
    let value: KubeObject;
    try {
      const json = this.transformer?.appliesTo(key) ? await this.transformer.decode(stored, key) : stored;
      if (json.startsWith(ENCRYPTED_PREFIX)) throw new Error("it is encrypted at rest but no key is configured (SECRETS_ENCRYPTION_KEY)");
      value = JSON.parse(json) as KubeObject;
    } catch (error) {
      throw new StoreError("Unreadable", key, error instanceof Error ? error.message : String(error));
    }
    value.metadata ??= {};
    value.metadata.resourceVersion = String(revision);
    return value;
  }
}

/** What stands for an unreadable row: its name, namespace and revision, nothing it held. */
export function unreadableStub(key: ObjectKey, revision: number): KubeObject {
  return { metadata: { name: key.name, ...(key.namespace ? { namespace: key.namespace } : {}), resourceVersion: String(revision) } } as KubeObject;
}

/** The decoded value, or, for an unreadable row, undefined and its reason. */
export async function decodeOrReason<T>(decode: () => Promise<T>): Promise<{ value: T } | { reason: string }> {
  try {
    return { value: await decode() };
  } catch (error) {
    if (error instanceof StoreError && error.code === "Unreadable") return { reason: error.message };
    throw error;
  }
}

const GUARD_CODES: readonly StoreErrorCode[] = ["NotFound", "Conflict", "AlreadyExists"];
const GUARD_MESSAGE = /edgeplane:(\w+)/;

/**
 * The guard's RAISE(ABORT, 'edgeplane:<Code>') reaches us wrapped differently per driver
 * (D1: "D1_ERROR: edgeplane:Conflict: SQLITE_CONSTRAINT"; libSQL: a LibsqlBatchError; drizzle
 * may wrap either in DrizzleQueryError), so walk the cause chain for the marker.
 */
export function guardErrorCode(error: unknown): StoreErrorCode | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const match = GUARD_MESSAGE.exec(current.message);
    const code = GUARD_CODES.find((c) => c === match?.[1]);
    if (code) return code;
    current = current.cause;
  }
  return undefined;
}

/** Runs a guarded batch, turning a guard abort into the StoreError it stands for. */
export async function guarded<T>(key: ObjectKey, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const code = guardErrorCode(error);
    if (code) throw new StoreError(code, key);
    throw error;
  }
}

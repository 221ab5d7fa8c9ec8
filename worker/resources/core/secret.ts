// Secret (core/v1): base64 data, write-only stringData merged into data (as upstream's
// conversion does), type-specific required keys, type and `immutable` data frozen.
import { z } from "zod";
import { deepEqual } from "../../../shared/deep-equal";
import { AGE_COLUMN, NAME_COLUMN, age, objectSchema, resource, stringMap } from "../meta";
import type { KubeObject } from "../types";
import { configKeyCauses, immutable, immutableDataCauses, invalid, metadataNameCauses, required, type Cause } from "../shared/field-errors";
import { dropGeneration, utf8ToBase64 } from "../shared/prepare-helpers";
import { asRecord, str } from "../../../shared/json";

const MAX_SECRET_BYTES = 1024 * 1024;

export const secretSchema = objectSchema({
  immutable: z.boolean().optional(),
  data: z.record(z.string(), z.base64()).optional(),
  stringData: stringMap.optional(),
  type: z.string().optional(),
});

/** stringData wins over data for the same key and never reaches storage. */
function mergeStringData(obj: KubeObject): void {
  const stringData = asRecord(obj.stringData);
  if (stringData) {
    const data: Record<string, unknown> = { ...(asRecord(obj.data) ?? {}) };
    for (const [k, v] of Object.entries(stringData)) if (typeof v === "string") data[k] = utf8ToBase64(v);
    obj.data = data;
  }
  delete obj.stringData;
  if (!obj.type) obj.type = "Opaque";
}

function decodeText(b64: unknown): string | undefined {
  if (typeof b64 !== "string") return undefined;
  try {
    const bin = atob(b64);
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

function typeCauses(obj: KubeObject): Cause[] {
  const data = asRecord(obj.data) ?? {};
  const has = (k: string) => Object.hasOwn(data, k);
  const out: Cause[] = [];
  const jsonKey = (key: string) => {
    if (!has(key)) return [required(`data[${key}]`)];
    try {
      const parsed: unknown = JSON.parse(decodeText(data[key]) ?? "");
      if (asRecord(parsed)) return [];
      throw new Error("json: cannot unmarshal into Go value of type map[string]interface {}");
    } catch (e) {
      return [invalid(`data[${key}]`, "<secret contents redacted>", e instanceof Error ? e.message : String(e))];
    }
  };
  switch (obj.type) {
    case "kubernetes.io/service-account-token":
      if (!str(obj.metadata.annotations?.["kubernetes.io/service-account.name"])) {
        out.push(required("metadata.annotations[kubernetes.io/service-account.name]"));
      }
      break;
    case "kubernetes.io/dockercfg":
      out.push(...jsonKey(".dockercfg"));
      break;
    case "kubernetes.io/dockerconfigjson":
      out.push(...jsonKey(".dockerconfigjson"));
      break;
    case "kubernetes.io/basic-auth":
      if (!has("username") && !has("password")) out.push(required("data[username]"), required("data[password]"));
      break;
    case "kubernetes.io/ssh-auth":
      if (!str(data["ssh-privatekey"])) out.push(required("data[ssh-privatekey]"));
      break;
    case "kubernetes.io/tls":
      if (!has("tls.crt")) out.push(required("data[tls.crt]"));
      if (!has("tls.key")) out.push(required("data[tls.key]"));
      break;
  }
  return out;
}

export const secrets = resource({
  group: "",
  version: "v1",
  kind: "Secret",
  listKind: "SecretList",
  plural: "secrets",
  encryptAtRest: true,
  singular: "secret",
  namespaced: true,
  schema: secretSchema,
  subresources: {},
  selectableFields: { type: (o) => str(o.type) ?? "" },
  printerColumns: [
    NAME_COLUMN,
    { name: "Type", type: "string", description: "Used to facilitate programmatic handling of secret data.", priority: 0 },
    { name: "Data", type: "string", description: "Data contains the secret data.", priority: 0 },
    AGE_COLUMN,
  ],
  printRow: (o, now) => [o.metadata.name ?? "", str(o.type) ?? "", Object.keys(asRecord(o.data) ?? {}).length, age(o, now)],
  prepareForCreate(obj) {
    dropGeneration(obj);
    mergeStringData(obj);
  },
  prepareForUpdate(obj) {
    mergeStringData(obj);
  },
  validate(obj, old) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    const data = asRecord(obj.data) ?? {};
    let total = 0;
    for (const [key, value] of Object.entries(data)) {
      causes.push(...configKeyCauses(`data[${key}]`, key));
      total += typeof value === "string" ? Math.floor((value.length * 3) / 4) : 0;
    }
    if (total > MAX_SECRET_BYTES) {
      causes.push({ field: "data", reason: "FieldValueTooLong", message: `Too long: must have at most ${MAX_SECRET_BYTES} bytes` });
    }
    causes.push(...typeCauses(obj));
    if (old) {
      if ((old.type ?? "Opaque") !== (obj.type ?? "Opaque")) causes.push(immutable("type", obj.type));
      causes.push(...immutableDataCauses(["data"], obj, old, deepEqual));
    }
    return causes;
  },
});

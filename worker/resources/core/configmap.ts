// ConfigMap (core/v1): string data and binary data under config-key rules, frozen once
// `immutable` is set, as kube-apiserver's ValidateConfigMap(Update) enforce.
import { z } from "zod";
import { deepEqual } from "../../../shared/deep-equal";
import { AGE_COLUMN, NAME_COLUMN, age, objectSchema, resource, stringMap } from "../meta";
import { configKeyCauses, immutableDataCauses, invalid, metadataNameCauses, type Cause } from "../shared/field-errors";
import { dropGeneration } from "../shared/prepare-helpers";
import { asRecord } from "../../../shared/json";

const MAX_TOTAL_BYTES = 1024 * 1024;

export const configMapSchema = objectSchema({
  immutable: z.boolean().optional(),
  data: stringMap.optional(),
  binaryData: z.record(z.string(), z.base64()).optional(),
});

export const configmaps = resource({
  group: "",
  version: "v1",
  kind: "ConfigMap",
  listKind: "ConfigMapList",
  plural: "configmaps",
  singular: "configmap",
  shortNames: ["cm"],
  namespaced: true,
  schema: configMapSchema,
  subresources: {},
  printerColumns: [
    NAME_COLUMN,
    { name: "Data", type: "string", description: "Data contains the configuration data.", priority: 0 },
    AGE_COLUMN,
  ],
  printRow: (o, now) => [
    o.metadata.name ?? "",
    Object.keys(asRecord(o.data) ?? {}).length + Object.keys(asRecord(o.binaryData) ?? {}).length,
    age(o, now),
  ],
  prepareForCreate: (obj) => dropGeneration(obj),
  validate(obj, old) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    const data = asRecord(obj.data) ?? {};
    const binary = asRecord(obj.binaryData) ?? {};
    let total = 0;
    for (const [key, value] of Object.entries(data)) {
      causes.push(...configKeyCauses(`data[${key}]`, key));
      if (key in binary) causes.push(invalid(`data[${key}]`, key, "duplicate of key present in binaryData"));
      total += typeof value === "string" ? value.length : 0;
    }
    for (const [key, value] of Object.entries(binary)) {
      causes.push(...configKeyCauses(`binaryData[${key}]`, key));
      total += typeof value === "string" ? Math.floor((value.length * 3) / 4) : 0;
    }
    if (total > MAX_TOTAL_BYTES) {
      causes.push({ field: "", reason: "FieldValueTooLong", message: `Too long: must have at most ${MAX_TOTAL_BYTES} bytes` });
    }
    if (old) causes.push(...immutableDataCauses(["data", "binaryData"], obj, old, deepEqual));
    return causes;
  },
});

// LimitRange (core/v1): per-namespace min/max/default resources for containers, pods and
// claims; kubectl prints only NAME and CREATED AT.
import { z } from "zod";
import { NAME_COLUMN, atomicList, objectSchema, resource } from "../meta";
import { forbidden, invalid, metadataNameCauses, notSupported, required, type Cause } from "../shared/field-errors";
import { resourceListSchema } from "../shared/common-schemas";
import { parseQuantity } from "../../../shared/quantity";
import { dropGeneration } from "../shared/prepare-helpers";
import { asArray, asRecord } from "../../../shared/json";
import { resourceListCauses } from "./resourcequota";

const LIMIT_TYPES = ["Container", "PersistentVolumeClaim", "Pod"];

export const limitRangeSchema = objectSchema({
  spec: z
    .object({
      limits: atomicList(
        z.object({
          type: z.string(),
          max: resourceListSchema.optional(),
          min: resourceListSchema.optional(),
          default: resourceListSchema.optional(),
          defaultRequest: resourceListSchema.optional(),
          maxLimitRequestRatio: resourceListSchema.optional(),
        }),
      ),
    })
    .optional(),
});

/** ValidateLimitRange: min ≤ defaultRequest ≤ default ≤ max per resource. */
function itemCauses(path: string, item: Record<string, unknown>): Cause[] {
  const out: Cause[] = [];
  const type = String(item.type ?? "");
  if (!LIMIT_TYPES.includes(type)) out.push(notSupported(`${path}.type`, type, LIMIT_TYPES));
  for (const key of ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"]) out.push(...resourceListCauses(`${path}.${key}`, item[key]));
  if (type === "Pod") {
    if (asRecord(item.default)) out.push(forbidden(`${path}.default`, "may not be specified when `type` is 'Pod'"));
    if (asRecord(item.defaultRequest)) out.push(forbidden(`${path}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
  }
  if (type === "PersistentVolumeClaim" && !asRecord(item.min)?.storage && !asRecord(item.max)?.storage) {
    out.push(required(`${path}.limits`, "either minimum or maximum storage value is required, but neither was provided"));
  }
  const q = (key: string, name: string) => parseQuantity(asRecord(item[key])?.[name]);
  const names = new Set(["max", "min", "default", "defaultRequest"].flatMap((k) => Object.keys(asRecord(item[k]) ?? {})));
  for (const name of names) {
    const [min, max, def, req] = [q("min", name), q("max", name), q("default", name), q("defaultRequest", name)];
    const raw = (key: string) => asRecord(item[key])?.[name];
    if (min !== undefined && max !== undefined && min > max) out.push(invalid(`${path}.min[${name}]`, raw("min"), `min value ${String(raw("min"))} is greater than max value ${String(raw("max"))}`));
    if (req !== undefined && min !== undefined && min > req) out.push(invalid(`${path}.defaultRequest[${name}]`, raw("defaultRequest"), `min value ${String(raw("min"))} is greater than default request value ${String(raw("defaultRequest"))}`));
    if (req !== undefined && max !== undefined && req > max) out.push(invalid(`${path}.defaultRequest[${name}]`, raw("defaultRequest"), `default request value ${String(raw("defaultRequest"))} is greater than max value ${String(raw("max"))}`));
    if (req !== undefined && def !== undefined && req > def) out.push(invalid(`${path}.defaultRequest[${name}]`, raw("defaultRequest"), `default request value ${String(raw("defaultRequest"))} is greater than default limit value ${String(raw("default"))}`));
    if (def !== undefined && min !== undefined && min > def) out.push(invalid(`${path}.default[${name}]`, raw("default"), `min value ${String(raw("min"))} is greater than default value ${String(raw("default"))}`));
    if (def !== undefined && max !== undefined && def > max) out.push(invalid(`${path}.default[${name}]`, raw("default"), `default value ${String(raw("default"))} is greater than max value ${String(raw("max"))}`));
  }
  return out;
}

export const limitranges = resource({
  group: "",
  version: "v1",
  kind: "LimitRange",
  listKind: "LimitRangeList",
  plural: "limitranges",
  singular: "limitrange",
  shortNames: ["limits"],
  namespaced: true,
  schema: limitRangeSchema,
  subresources: {},
  printerColumns: [
    NAME_COLUMN,
    { name: "Created At", type: "date", description: "CreationTimestamp is a timestamp representing the server time when this object was created.", priority: 0 },
  ],
  printRow: (o) => [o.metadata.name ?? "", o.metadata.creationTimestamp ?? ""],
  prepareForCreate: (obj) => dropGeneration(obj),
  validate(obj) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    (asArray(asRecord(obj.spec)?.limits) ?? []).forEach((l, i) => causes.push(...itemCauses(`spec.limits[${i}]`, asRecord(l) ?? {})));
    return causes;
  },
});

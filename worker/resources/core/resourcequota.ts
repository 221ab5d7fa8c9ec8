// ResourceQuota (core/v1): hard limits per namespace; the quota controller fills
// status.hard/used, which kubectl prints as "resource: used/hard" under REQUEST and LIMIT.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, objectSchema, resource } from "../meta";
import { invalid, metadataNameCauses, notSupported, qualifiedNameCauses, type Cause } from "../shared/field-errors";
import { resourceListSchema } from "../shared/common-schemas";
import { parseQuantity, quantityString } from "../../../shared/quantity";
import { dropGeneration } from "../shared/prepare-helpers";
import { asArray, asRecord, str } from "../../../shared/json";

const SCOPES = ["BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating", "PriorityClass", "Terminating", "VolumeAttributesClass"];
const OPERATORS = ["DoesNotExist", "Exists", "In", "NotIn"];

export const resourceQuotaSchema = objectSchema({
  spec: z
    .object({
      hard: resourceListSchema.optional(),
      scopes: atomicList(z.string()).optional(),
      scopeSelector: z
        .object({
          matchExpressions: atomicList(
            z.object({ scopeName: z.string(), operator: z.string(), values: atomicList(z.string()).optional() }),
          ).optional(),
        })
        .optional(),
    })
    .optional(),
  status: z.object({ hard: resourceListSchema.optional(), used: resourceListSchema.optional() }).optional(),
});

/** printers.go printResourceQuota: "name: used/hard" sorted, limits.* under LIMIT. */
export function quotaColumns(status: unknown): [string, string] {
  const hard = asRecord(asRecord(status)?.hard) ?? {};
  const used = asRecord(asRecord(status)?.used) ?? {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const cell = `${name}: ${quantityString(used[name])}/${quantityString(hard[name])}`;
    const pieces = name.split(".");
    (pieces.length > 1 && pieces[0] === "limits" ? limit : request).push(cell);
  }
  return [request.join(", "), limit.join(", ")];
}

export function resourceListCauses(path: string, list: unknown): Cause[] {
  const out: Cause[] = [];
  for (const [name, value] of Object.entries(asRecord(list) ?? {})) {
    out.push(...qualifiedNameCauses(`${path}[${name}]`, name));
    const n = parseQuantity(value);
    if (n !== undefined && n < 0) out.push(invalid(`${path}[${name}]`, value, "must be greater than or equal to 0"));
  }
  return out;
}

export const resourcequotas = resource({
  group: "",
  version: "v1",
  kind: "ResourceQuota",
  listKind: "ResourceQuotaList",
  plural: "resourcequotas",
  singular: "resourcequota",
  shortNames: ["quota"],
  namespaced: true,
  schema: resourceQuotaSchema,
  subresources: { status: true },
  printerColumns: [
    NAME_COLUMN,
    AGE_COLUMN,
    { name: "Request", type: "string", description: "Request represents a minimum amount of cpu/memory that a container may consume.", priority: 0 },
    { name: "Limit", type: "string", description: "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.", priority: 0 },
  ],
  printRow: (o, now) => [o.metadata.name ?? "", age(o, now), ...quotaColumns(o.status)],
  prepareForCreate(obj) {
    dropGeneration(obj);
    obj.status = {};
  },
  prepareForUpdate(obj, old) {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
  },
  validate(obj) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    const spec = asRecord(obj.spec) ?? {};
    causes.push(...resourceListCauses("spec.hard", spec.hard));
    (asArray(spec.scopes) ?? []).forEach((s, i) => {
      if (!SCOPES.includes(String(s))) causes.push(notSupported(`spec.scopes[${i}]`, s, SCOPES));
    });
    (asArray(asRecord(spec.scopeSelector)?.matchExpressions) ?? []).forEach((e, i) => {
      const expr = asRecord(e) ?? {};
      const path = `spec.scopeSelector.matchExpressions[${i}]`;
      if (!SCOPES.includes(str(expr.scopeName) ?? "")) causes.push(notSupported(`${path}.scopeName`, expr.scopeName, SCOPES));
      if (!OPERATORS.includes(str(expr.operator) ?? "")) causes.push(notSupported(`${path}.operator`, expr.operator, OPERATORS));
    });
    return causes;
  },
});

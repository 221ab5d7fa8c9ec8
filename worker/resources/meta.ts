// Shared pieces of every kind: ObjectMeta's schema, name rules, the standard verbs,
// and the AGE formatting kubectl shows (apimachinery's duration.HumanDuration).
import { z } from "zod";
import { deepEqual } from "../../shared/deep-equal";
import type { KubeObject, ResourceDef } from "./types";
import { humanDuration } from "../../shared/human-duration";

/** Kubernetes' schema extensions, attached with zod's `.meta()` and emitted into OpenAPI. */
export interface KubeSchemaExtensions {
  "x-kubernetes-patch-merge-key"?: string;
  "x-kubernetes-patch-strategy"?: string;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  description?: string;
}

/** A list merged by a key on SMP and owned per item by SSA (containers by name, …). */
export function mapList<T extends z.ZodType>(item: T, key: string, extraKeys: string[] = []) {
  return z.array(item).meta({
    "x-kubernetes-patch-merge-key": key,
    "x-kubernetes-patch-strategy": "merge",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": [key, ...extraKeys],
  } satisfies KubeSchemaExtensions);
}

/** A list replaced whole on every patch. */
export function atomicList<T extends z.ZodType>(item: T) {
  return z.array(item).meta({ "x-kubernetes-list-type": "atomic" } satisfies KubeSchemaExtensions);
}

/** IntOrString (ports, maxSurge, …). */
export const intOrString = z
  .union([z.number().int(), z.string()])
  .meta({ "x-kubernetes-int-or-string": true } satisfies KubeSchemaExtensions);

/** resource.Quantity: "500m", "128Mi", 1. Kept as given; parsed where arithmetic needs it. */
export const quantity = z.union([z.string().regex(/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$/, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"), z.number()]);

export const stringMap = z.record(z.string(), z.string());

export const ownerReferenceSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

export const managedFieldsEntrySchema = z.object({
  manager: z.string().optional(),
  operation: z.enum(["Apply", "Update"]).optional(),
  apiVersion: z.string().optional(),
  time: z.string().optional(),
  fieldsType: z.string().optional(),
  fieldsV1: z.record(z.string(), z.unknown()).optional(),
  subresource: z.string().optional(),
});

export const objectMetaSchema = z.object({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().nullable().optional(),
  deletionTimestamp: z.string().optional(),
  deletionGracePeriodSeconds: z.number().int().optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  ownerReferences: mapList(ownerReferenceSchema, "uid").optional(),
  finalizers: z
    .array(z.string())
    .meta({ "x-kubernetes-patch-strategy": "merge", "x-kubernetes-list-type": "set" } satisfies KubeSchemaExtensions)
    .optional(),
  managedFields: atomicList(managedFieldsEntrySchema).optional(),
  selfLink: z.string().optional(),
});

/** apiVersion + kind + metadata: the frame every kind's schema extends. */
export function objectSchema<S extends z.ZodRawShape>(shape: S) {
  return z.object({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    metadata: objectMetaSchema.optional(),
    ...shape,
  });
}

export const labelSelectorRequirementSchema = z.object({
  key: z.string(),
  operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
  values: z.array(z.string()).optional(),
});

export const labelSelectorSchema = z
  .object({
    matchLabels: stringMap.optional(),
    matchExpressions: z.array(labelSelectorRequirementSchema).optional(),
  })
  .meta({ "x-kubernetes-map-type": "atomic" } satisfies KubeSchemaExtensions);

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** kube's IsDNS1123Label message, so 422s read as they do upstream. */
export function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push("must be no more than 63 characters");
  if (!DNS1123_LABEL.test(value))
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
  return errs;
}

export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push("must be no more than 253 characters");
  if (!DNS1123_SUBDOMAIN.test(value))
    errs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  return errs;
}

export const NAMESPACED_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
export const CLUSTER_VERBS = NAMESPACED_VERBS;

/** The AGE cell: time since creationTimestamp, "<unknown>" when unset (as kubectl prints). */
export function age(obj: KubeObject, now: Date): string {
  const ts = obj.metadata.creationTimestamp;
  if (!ts) return "<unknown>";
  return humanDuration(now.getTime() - Date.parse(ts));
}

export const NAME_COLUMN = { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace.", priority: 0 } as const;
export const AGE_COLUMN = { name: "Age", type: "string", description: "CreationTimestamp is a timestamp representing the server time when this object was created.", priority: 0 } as const;

/** Read a nested field without type gymnastics: `field(obj, "spec", "replicas")`. */
export function field(obj: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/** Bump metadata.generation when anything but metadata and status changed (kube's strategy rule). */
export function bumpGenerationOnSpecChange(obj: KubeObject, old: KubeObject): void {
  const strip = (o: KubeObject) => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  const gen = old.metadata.generation ?? 1;
  obj.metadata.generation = deepEqual(strip(obj), strip(old)) ? gen : gen + 1;
}

/** Defaults shared by ResourceDef entries; each kind's module spreads its own fields over these. */
export function resource(def: Omit<ResourceDef, "verbs"> & { verbs?: string[] }): ResourceDef {
  return { verbs: def.namespaced ? NAMESPACED_VERBS : CLUSTER_VERBS, ...def };
}

/** `group/version`, or `version` alone for the core group: what an object's apiVersion says. */
export function apiVersionOf(def: ResourceDef, version = def.version): string {
  return def.group ? `${def.group}/${version}` : version;
}

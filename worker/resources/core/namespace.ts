// Namespace (core/v1): status.phase Active on create, the "kubernetes" finalizer kept
// by the server, and the kubernetes.io/metadata.name label upstream's defaulting adds.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, field, mapList, objectSchema, resource } from "../meta";
import type { KubeObject } from "../types";
import { metadataNameCauses, qualifiedNameCauses, type Cause } from "../shared/field-errors";
import { timeSchema } from "../shared/common-schemas";
import { dropGeneration, specOf } from "../shared/prepare-helpers";
import { asArray, asRecord, str } from "../../../shared/json";

const FINALIZER_KUBERNETES = "kubernetes";
const NAME_LABEL = "kubernetes.io/metadata.name";

const namespaceConditionSchema = z.object({
  type: z.string(),
  status: z.enum(["False", "True", "Unknown"]),
  lastTransitionTime: timeSchema,
  reason: z.string().optional(),
  message: z.string().optional(),
});

/**
 * How long an API isolate may go on admitting new content into a namespace it last saw active
 * (NamespaceLifecycle's cache, worker/api/namespace-lifecycle.ts); the namespace controller
 * finalizes a terminating namespace no sooner than twice this after its deletion.
 */
export const NAMESPACE_ADMISSION_CACHE_MS = 1_000;

export const namespaceSchema = objectSchema({
  spec: z.object({ finalizers: atomicList(z.string()).optional() }).optional(),
  status: z
    .object({
      phase: z.enum(["Active", "Terminating"]).optional(),
      conditions: mapList(namespaceConditionSchema, "type").optional(),
    })
    .optional(),
});

/** SetDefaults_Namespace: the immutable name label, on every write. */
function applyDefaults(obj: KubeObject): void {
  const name = obj.metadata.name;
  if (!name) return;
  obj.metadata.labels = { ...(asRecord(obj.metadata.labels) as Record<string, string> | undefined), [NAME_LABEL]: name };
}

export const namespaces = resource({
  group: "",
  version: "v1",
  kind: "Namespace",
  listKind: "NamespaceList",
  plural: "namespaces",
  nameFormat: "dns1123-label",
  singular: "namespace",
  shortNames: ["ns"],
  namespaced: false,
  verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
  schema: namespaceSchema,
  subresources: { status: true, finalize: true },
  selectableFields: { "status.phase": (o) => str(field(o, "status", "phase")) ?? "" },
  printerColumns: [
    NAME_COLUMN,
    { name: "Status", type: "string", description: "The status of the namespace", priority: 0 },
    AGE_COLUMN,
  ],
  printRow: (o, now) => [o.metadata.name ?? "", str(field(o, "status", "phase")) ?? "", age(o, now)],
  prepareForCreate(obj) {
    dropGeneration(obj);
    obj.status = { phase: "Active" };
    const spec = specOf(obj);
    if (spec) {
      const finalizers = (asArray(spec.finalizers) ?? []).slice();
      if (!finalizers.includes(FINALIZER_KUBERNETES)) finalizers.push(FINALIZER_KUBERNETES);
      spec.finalizers = finalizers;
    }
    applyDefaults(obj);
  },
  specFinalizers: (obj) => (asArray(field(obj, "spec", "finalizers")) ?? []).filter((f): f is string => typeof f === "string"),
  markTerminating(obj) {
    obj.status = { ...(asRecord(obj.status) ?? {}), phase: "Terminating" };
  },
  prepareForUpdate(obj, old) {
    // spec.finalizers change only through the finalize subresource (namespaceStrategy).
    obj.spec = old.spec === undefined ? {} : structuredClone(old.spec);
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
    applyDefaults(obj);
  },
  validate(obj) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "label");
    const finalizers = asArray(field(obj, "spec", "finalizers")) ?? [];
    finalizers.forEach((f, i) => {
      if (typeof f === "string" && f !== FINALIZER_KUBERNETES && !f.includes("/")) {
        causes.push(...qualifiedNameCauses(`spec.finalizers[${i}]`, f));
      }
    });
    return causes;
  },
});

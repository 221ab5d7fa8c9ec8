// StorageClass (storage.k8s.io/v1, cluster-scoped): top-level fields, no spec. Provisioner,
// parameters, reclaimPolicy and volumeBindingMode are fixed after creation.
import { z } from "zod";
import { deepEqual } from "../../../shared/deep-equal";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, objectSchema, resource, stringMap } from "../meta";
import type { KubeObject } from "../types";
import { forbidden, immutable, metadataNameCauses, qualifiedNameCauses, required, type Cause } from "../shared/field-errors";
import { topologySelectorTermSchema } from "../shared/common-schemas";
import { dropGeneration } from "../shared/prepare-helpers";
import { asArray, asRecord, str } from "../../../shared/json";

const DEFAULT_CLASS_ANNOTATIONS = ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"];
const MAX_PARAMETERS = 512;

export const storageClassSchema = objectSchema({
  provisioner: z.string(),
  parameters: stringMap.optional(),
  reclaimPolicy: z.enum(["Delete", "Retain"]).optional(),
  mountOptions: atomicList(z.string()).optional(),
  allowVolumeExpansion: z.boolean().optional(),
  volumeBindingMode: z.enum(["Immediate", "WaitForFirstConsumer"]).optional(),
  allowedTopologies: atomicList(topologySelectorTermSchema).optional(),
});

/** storageutil.IsDefaultAnnotation. */
export function isDefaultClass(obj: KubeObject): boolean {
  return DEFAULT_CLASS_ANNOTATIONS.some((a) => obj.metadata.annotations?.[a] === "true");
}

function applyDefaults(obj: KubeObject): void {
  if (!obj.reclaimPolicy) obj.reclaimPolicy = "Delete";
  if (!obj.volumeBindingMode) obj.volumeBindingMode = "Immediate";
}

function validateStorageClass(obj: KubeObject, old?: KubeObject): Cause[] {
  const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
  const provisioner = str(obj.provisioner) ?? "";
  if (provisioner === "") causes.push(required("provisioner"));
  else causes.push(...qualifiedNameCauses("provisioner", provisioner));
  if (Object.keys(asRecord(obj.parameters) ?? {}).length > MAX_PARAMETERS) {
    causes.push({ field: "parameters", reason: "FieldValueTooMany", message: `Too many: must have at most ${MAX_PARAMETERS} items` });
  }
  (asArray(obj.allowedTopologies) ?? []).forEach((t, i) => {
    if ((asArray(asRecord(t)?.matchLabelExpressions) ?? []).length === 0) {
      causes.push(required(`allowedTopologies[${i}].matchLabelExpressions`, "must have at least one label match expression"));
    }
  });
  if (old) {
    if (!deepEqual(obj.parameters ?? {}, old.parameters ?? {})) causes.push(forbidden("parameters", "updates to parameters are forbidden."));
    if (obj.provisioner !== old.provisioner) causes.push(forbidden("provisioner", "updates to provisioner are forbidden."));
    if (obj.reclaimPolicy !== old.reclaimPolicy) causes.push(forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
    if (obj.volumeBindingMode !== old.volumeBindingMode) causes.push(immutable("volumeBindingMode", obj.volumeBindingMode));
  }
  return causes;
}

export const storageclasses = resource({
  group: "storage.k8s.io",
  version: "v1",
  kind: "StorageClass",
  listKind: "StorageClassList",
  plural: "storageclasses",
  singular: "storageclass",
  shortNames: ["sc"],
  namespaced: false,
  schema: storageClassSchema,
  subresources: {},
  printerColumns: [
    NAME_COLUMN,
    { name: "Provisioner", type: "string", description: "provisioner indicates the type of the provisioner.", priority: 0 },
    { name: "ReclaimPolicy", type: "string", description: "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.", priority: 0 },
    { name: "VolumeBindingMode", type: "string", description: "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.", priority: 0 },
    { name: "AllowVolumeExpansion", type: "string", description: "allowVolumeExpansion shows whether the storage class allow volume expand.", priority: 0 },
    AGE_COLUMN,
  ],
  printRow: (o, now) => [
    `${o.metadata.name ?? ""}${isDefaultClass(o) ? " (default)" : ""}`,
    str(o.provisioner) ?? "",
    str(o.reclaimPolicy) ?? "Delete",
    str(o.volumeBindingMode) ?? "Immediate",
    o.allowVolumeExpansion === true,
    age(o, now),
  ],
  prepareForCreate(obj) {
    dropGeneration(obj);
    applyDefaults(obj);
  },
  prepareForUpdate: (obj) => applyDefaults(obj),
  validate: validateStorageClass,
});

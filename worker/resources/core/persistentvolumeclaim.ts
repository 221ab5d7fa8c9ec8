// PersistentVolumeClaim (core/v1): a request for storage, Pending until the binder binds
// it; the spec is immutable except a bound claim's resources.requests (expansion).
import { z } from "zod";
import { deepEqual } from "../../../shared/deep-equal";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, field, mapList, objectSchema, resource } from "../meta";
import type { KubeObject } from "../types";
import { dns1123SubdomainCauses, forbidden, invalid, metadataNameCauses, required, type Cause } from "../shared/field-errors";
import {
  accessModeSchema,
  labelSelectorSchema,
  resourceListSchema,
  timeSchema,
  typedLocalObjectReferenceSchema,
  typedObjectReferenceSchema,
  volumeModeSchema,
} from "../shared/common-schemas";
import { accessModesString } from "../shared/print-cells";
import { parseQuantity, quantityString } from "../../../shared/quantity";
import { addFinalizer, dropGeneration, specOf } from "../shared/prepare-helpers";
import { asRecord, str } from "../../../shared/json";
import { STORAGE_CLASS_ANNOTATION, accessModeCauses } from "./persistentvolume";

const pvcConditionSchema = z.object({
  type: z.string(),
  status: z.enum(["False", "True", "Unknown"]),
  lastProbeTime: timeSchema,
  lastTransitionTime: timeSchema,
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const persistentVolumeClaimSpecSchema = z.object({
  accessModes: atomicList(accessModeSchema).optional(),
  selector: labelSelectorSchema.optional(),
  resources: z.object({ limits: resourceListSchema.optional(), requests: resourceListSchema.optional() }).optional(),
  volumeName: z.string().optional(),
  storageClassName: z.string().optional(),
  volumeMode: volumeModeSchema.optional(),
  dataSource: typedLocalObjectReferenceSchema.optional(),
  dataSourceRef: typedObjectReferenceSchema.optional(),
  volumeAttributesClassName: z.string().optional(),
});

export const persistentVolumeClaimSchema = objectSchema({
  spec: persistentVolumeClaimSpecSchema.optional(),
  status: z
    .object({
      phase: z.enum(["Bound", "Lost", "Pending"]).optional(),
      accessModes: atomicList(accessModeSchema).optional(),
      capacity: resourceListSchema.optional(),
      conditions: mapList(pvcConditionSchema, "type").optional(),
      allocatedResources: resourceListSchema.optional(),
      allocatedResourceStatuses: z.record(z.string(), z.string()).meta({ "x-kubernetes-map-type": "granular" }).optional(),
      currentVolumeAttributesClassName: z.string().optional(),
      modifyVolumeStatus: z.object({ targetVolumeAttributesClassName: z.string().optional(), status: z.string() }).optional(),
    })
    .optional(),
});

/** SetDefaults_PersistentVolumeClaim(Spec). */
function applyDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  if (spec && !spec.volumeMode) spec.volumeMode = "Filesystem";
  const status = asRecord(obj.status);
  if (status && !status.phase) status.phase = "Pending";
}

/** ValidatePersistentVolumeClaimSpec, shared with StatefulSet volumeClaimTemplates. */
export function pvcSpecCauses(spec: Record<string, unknown>, path = "spec"): Cause[] {
  const causes: Cause[] = accessModeCauses(`${path}.accessModes`, spec.accessModes, "at least 1 access mode is required");
  const requests = asRecord(asRecord(spec.resources)?.requests) ?? {};
  if (requests.storage === undefined) causes.push(required(`${path}.resources[storage]`));
  else if (!((parseQuantity(requests.storage) ?? 0) > 0)) causes.push(invalid(`${path}.resources[storage]`, requests.storage, "must be greater than zero"));
  const sc = str(spec.storageClassName);
  if (sc) causes.push(...dns1123SubdomainCauses(`${path}.storageClassName`, sc));
  for (const key of ["dataSource", "dataSourceRef"]) {
    const ref = asRecord(spec[key]);
    if (!ref) continue;
    if (!str(ref.kind)) causes.push(required(`${path}.${key}.kind`));
    if (!str(ref.name)) causes.push(required(`${path}.${key}.name`));
  }
  return causes;
}

function updateCauses(obj: KubeObject, old: KubeObject): Cause[] {
  const spec = structuredClone(asRecord(obj.spec) ?? {});
  const oldSpec = structuredClone(asRecord(old.spec) ?? {});
  const bound = field(old, "status", "phase") === "Bound";
  // As ValidatePersistentVolumeClaimUpdate: volumeName may be set once (the binder binding the claim).
  if (!str(oldSpec.volumeName) && spec.volumeName !== undefined) oldSpec.volumeName = spec.volumeName;
  const newStorage = field(spec, "resources", "requests", "storage");
  const oldStorage = field(oldSpec, "resources", "requests", "storage");
  if (bound) {
    // Expansion and the attributes class are the only mutable parts of a bound claim.
    for (const s of [spec, oldSpec]) {
      const requests = asRecord(asRecord(s.resources)?.requests);
      if (requests) delete requests.storage;
      delete s.volumeAttributesClassName;
    }
  }
  const causes: Cause[] = [];
  if (!deepEqual(spec, oldSpec) || (!bound && !deepEqual(newStorage, oldStorage))) {
    causes.push(forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
  }
  if (bound) {
    // Only a shrink is checked (other updates keep a request below a bigger volume's capacity):
    // recovering from a failed expansion may lower it, but not to the capacity or below.
    const next = parseQuantity(newStorage);
    const previous = parseQuantity(oldStorage);
    if (next !== undefined && previous !== undefined && next < previous) {
      const capacity = parseQuantity(field(old, "status", "capacity", "storage"));
      if (capacity === undefined) causes.push(forbidden("spec.resources.requests.storage", "field can not be less than previous value"));
      else if (next <= capacity) causes.push(forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"));
    }
  }
  return causes;
}

/**
 * kube-apiserver's StorageObjectInUseProtection admission puts this on every new claim; the
 * pvc-protection controller removes it once no running pod uses the claim, so deleting a claim
 * in use leaves it Terminating instead of pulling the volume from under the pod.
 */
export const PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection";

export const persistentvolumeclaims = resource({
  group: "",
  version: "v1",
  kind: "PersistentVolumeClaim",
  listKind: "PersistentVolumeClaimList",
  plural: "persistentvolumeclaims",
  singular: "persistentvolumeclaim",
  shortNames: ["pvc"],
  namespaced: true,
  schema: persistentVolumeClaimSchema,
  subresources: { status: true },
  printerColumns: [
    NAME_COLUMN,
    { name: "Status", type: "string", description: "phase represents the current phase of PersistentVolumeClaim.", priority: 0 },
    { name: "Volume", type: "string", description: "volumeName is the binding reference to the PersistentVolume backing this claim.", priority: 0 },
    { name: "Capacity", type: "string", description: "capacity represents the actual resources of the underlying volume.", priority: 0 },
    { name: "Access Modes", type: "string", description: "accessModes contains the actual access modes the volume backing the PVC has.", priority: 0 },
    { name: "StorageClass", type: "string", description: "StorageClass of the pvc", priority: 0 },
    { name: "VolumeAttributesClass", type: "string", description: "VolumeAttributesClass of the pvc", priority: 0 },
    AGE_COLUMN,
    { name: "VolumeMode", type: "string", description: "volumeMode defines what type of volume is required by the claim.", priority: 1 },
  ],
  printRow(o, now) {
    const spec = asRecord(o.spec) ?? {};
    const status = asRecord(o.status) ?? {};
    const volumeName = str(spec.volumeName) ?? "";
    const phase = o.metadata.deletionTimestamp ? "Terminating" : (str(status.phase) ?? "");
    return [
      o.metadata.name ?? "",
      phase,
      volumeName,
      volumeName ? quantityString(asRecord(status.capacity)?.storage) : "",
      volumeName ? accessModesString(status.accessModes) : "",
      o.metadata.annotations?.[STORAGE_CLASS_ANNOTATION] ?? str(spec.storageClassName) ?? "",
      str(spec.volumeAttributesClassName) ?? "<unset>",
      age(o, now),
      str(spec.volumeMode) ?? "<unset>",
    ];
  },
  prepareForCreate(obj) {
    dropGeneration(obj);
    obj.status = { phase: "Pending" };
    applyDefaults(obj);
    addFinalizer(obj, PVC_PROTECTION_FINALIZER);
  },
  prepareForUpdate(obj, old) {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
    applyDefaults(obj);
  },
  validate(obj, old) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    causes.push(...pvcSpecCauses(asRecord(obj.spec) ?? {}));
    if (old) causes.push(...updateCauses(obj, old));
    return causes;
  },
});

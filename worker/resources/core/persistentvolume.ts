// PersistentVolume (core/v1, cluster-scoped): exactly one volume source, capacity.storage,
// Pending on create (the binder makes it Available), source and volumeMode immutable.
import { timestamp } from "../../../shared/time";
import { z } from "zod";
import { deepEqual } from "../../../shared/deep-equal";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, field, objectSchema, resource, stringMap } from "../meta";
import type { KubeObject, RequestContext } from "../types";
import { dns1123SubdomainCauses, forbidden, immutable, invalid, metadataNameCauses, notSupported, required, type Cause } from "../shared/field-errors";
import {
  accessModeSchema,
  nodeSelectorSchema,
  objectReferenceSchema,
  resourceListSchema,
  secretReferenceSchema,
  timeSchema,
  volumeModeSchema,
} from "../shared/common-schemas";
import { accessModesString } from "../shared/print-cells";
import { quantityString } from "../../../shared/quantity";
import { addFinalizer, dropGeneration, specOf } from "../shared/prepare-helpers";
import { asArray, asRecord, str } from "../../../shared/json";

export const STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

/** The in-tree sources edgeplane's agent can mount, modelled; the rest kept as given. */
export const SOURCE_FIELDS = [
  "gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "iscsi", "cinder", "cephfs", "fc",
  "flocker", "flexVolume", "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume",
  "scaleIO", "local", "storageos", "csi",
] as const;

const opaqueSource = z.looseObject({});

const sourceShape = {
  gcePersistentDisk: z
    .object({ pdName: z.string(), fsType: z.string().optional(), partition: z.number().int().optional(), readOnly: z.boolean().optional() })
    .optional(),
  awsElasticBlockStore: z
    .object({ volumeID: z.string(), fsType: z.string().optional(), partition: z.number().int().optional(), readOnly: z.boolean().optional() })
    .optional(),
  hostPath: z
    .object({
      path: z.string(),
      type: z.enum(["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"]).optional(),
    })
    .optional(),
  nfs: z.object({ server: z.string(), path: z.string(), readOnly: z.boolean().optional() }).optional(),
  local: z.object({ path: z.string(), fsType: z.string().optional() }).optional(),
  csi: z
    .object({
      driver: z.string(),
      volumeHandle: z.string(),
      readOnly: z.boolean().optional(),
      fsType: z.string().optional(),
      volumeAttributes: stringMap.optional(),
      controllerPublishSecretRef: secretReferenceSchema.optional(),
      nodeStageSecretRef: secretReferenceSchema.optional(),
      nodePublishSecretRef: secretReferenceSchema.optional(),
      controllerExpandSecretRef: secretReferenceSchema.optional(),
      nodeExpandSecretRef: secretReferenceSchema.optional(),
    })
    .optional(),
  glusterfs: opaqueSource.optional(),
  rbd: opaqueSource.optional(),
  iscsi: opaqueSource.optional(),
  cinder: opaqueSource.optional(),
  cephfs: opaqueSource.optional(),
  fc: opaqueSource.optional(),
  flocker: opaqueSource.optional(),
  flexVolume: opaqueSource.optional(),
  azureFile: opaqueSource.optional(),
  vsphereVolume: opaqueSource.optional(),
  quobyte: opaqueSource.optional(),
  azureDisk: opaqueSource.optional(),
  photonPersistentDisk: opaqueSource.optional(),
  portworxVolume: opaqueSource.optional(),
  scaleIO: opaqueSource.optional(),
  storageos: opaqueSource.optional(),
};

export const persistentVolumeSchema = objectSchema({
  spec: z
    .object({
      capacity: resourceListSchema.optional(),
      ...sourceShape,
      accessModes: atomicList(accessModeSchema).optional(),
      claimRef: objectReferenceSchema.meta({ "x-kubernetes-map-type": "granular" }).optional(),
      persistentVolumeReclaimPolicy: z.enum(["Delete", "Recycle", "Retain"]).optional(),
      storageClassName: z.string().optional(),
      mountOptions: atomicList(z.string()).optional(),
      volumeMode: volumeModeSchema.optional(),
      nodeAffinity: z.object({ required: nodeSelectorSchema.optional() }).optional(),
      volumeAttributesClassName: z.string().optional(),
    })
    .optional(),
  status: z
    .object({
      phase: z.enum(["Available", "Bound", "Failed", "Pending", "Released"]).optional(),
      message: z.string().optional(),
      reason: z.string().optional(),
      lastPhaseTransitionTime: timeSchema,
    })
    .optional(),
});

/** SetDefaults_PersistentVolume. */
function applyDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  if (spec) {
    if (!spec.persistentVolumeReclaimPolicy) spec.persistentVolumeReclaimPolicy = "Retain";
    if (!spec.volumeMode) spec.volumeMode = "Filesystem";
  }
  const status = asRecord(obj.status);
  if (status && !status.phase) status.phase = "Pending";
}

/** helper.GetPersistentVolumeClass: the beta annotation wins over spec.storageClassName. */
function storageClassOf(obj: KubeObject): string {
  return obj.metadata.annotations?.[STORAGE_CLASS_ANNOTATION] ?? str(field(obj, "spec", "storageClassName")) ?? "";
}

function sourceCauses(spec: Record<string, unknown>): Cause[] {
  const out: Cause[] = [];
  const present = SOURCE_FIELDS.filter((f) => spec[f] !== undefined && spec[f] !== null);
  if (present.length === 0) out.push(required("spec", "must specify a volume type"));
  for (const extra of present.slice(1)) out.push(forbidden(`spec.${extra}`, "may not specify more than 1 volume type"));
  const hostPath = asRecord(spec.hostPath);
  if (hostPath) {
    if (!str(hostPath.path)) out.push(required("spec.hostPath.path"));
    else if (hostPath.path === "/" && spec.persistentVolumeReclaimPolicy === "Recycle") {
      out.push(forbidden("spec.persistentVolumeReclaimPolicy", "may not be 'recycle' for a hostPath mount of '/'"));
    }
  }
  const nfs = asRecord(spec.nfs);
  if (nfs) {
    if (!str(nfs.server)) out.push(required("spec.nfs.server"));
    const path = str(nfs.path) ?? "";
    if (!path) out.push(required("spec.nfs.path"));
    else if (!path.startsWith("/")) out.push(invalid("spec.nfs.path", path, "must be an absolute path"));
  }
  const local = asRecord(spec.local);
  if (local) {
    if (!str(local.path)) out.push(required("spec.local.path"));
    if (!asRecord(spec.nodeAffinity)) out.push(required("spec.nodeAffinity", "Local volume requires node affinity"));
  }
  const csi = asRecord(spec.csi);
  if (csi) {
    if (!str(csi.driver)) out.push(required("spec.csi.driver"));
    if (!str(csi.volumeHandle)) out.push(required("spec.csi.volumeHandle"));
  }
  return out;
}

export function accessModeCauses(path: string, modes: unknown, requiredDetail = ""): Cause[] {
  const list = asArray(modes) ?? [];
  if (list.length === 0) return [required(path, requiredDetail)];
  if (list.includes("ReadWriteOncePod") && list.length > 1) return [forbidden(path, "may not use ReadWriteOncePod with other access modes")];
  return [];
}

function validatePV(obj: KubeObject, old?: KubeObject): Cause[] {
  const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
  const spec = asRecord(obj.spec) ?? {};
  causes.push(...accessModeCauses("spec.accessModes", spec.accessModes));
  const capacity = asRecord(spec.capacity) ?? {};
  const keys = Object.keys(capacity);
  if (keys.length === 0) causes.push(required("spec.capacity"));
  else if (!keys.includes("storage") || keys.length > 1) causes.push(notSupported("spec.capacity", capacity, ["storage"]));
  const sc = str(spec.storageClassName);
  if (sc) causes.push(...dns1123SubdomainCauses("spec.storageClassName", sc));
  const terms = asArray(asRecord(asRecord(spec.nodeAffinity)?.required)?.nodeSelectorTerms);
  if (asRecord(spec.nodeAffinity)?.required && (terms ?? []).length === 0) {
    causes.push(required("spec.nodeAffinity.required.nodeSelectorTerms", "must have at least one node selector term"));
  }
  causes.push(...sourceCauses(spec));
  if (old) {
    const oldSpec = asRecord(old.spec) ?? {};
    const pick = (s: Record<string, unknown>) => Object.fromEntries(SOURCE_FIELDS.map((f) => [f, s[f]]));
    if (!deepEqual(pick(spec), pick(oldSpec))) {
      causes.push(forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"));
    }
    if (spec.volumeMode !== oldSpec.volumeMode) causes.push(immutable("spec.volumeMode", spec.volumeMode));
  }
  return causes;
}

/** As for claims: a PV is removed only once it is no longer Bound (pv-protection controller). */
export const PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection";

export const persistentvolumes = resource({
  group: "",
  version: "v1",
  kind: "PersistentVolume",
  listKind: "PersistentVolumeList",
  plural: "persistentvolumes",
  singular: "persistentvolume",
  shortNames: ["pv"],
  namespaced: false,
  schema: persistentVolumeSchema,
  subresources: { status: true },
  printerColumns: [
    NAME_COLUMN,
    { name: "Capacity", type: "string", description: "capacity is the description of the persistent volume's resources and capacity.", priority: 0 },
    { name: "Access Modes", type: "string", description: "accessModes contains all ways the volume can be mounted.", priority: 0 },
    { name: "Reclaim Policy", type: "string", description: "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.", priority: 0 },
    { name: "Status", type: "string", description: "phase indicates if a volume is available, bound to a claim, or released by a claim.", priority: 0 },
    { name: "Claim", type: "string", description: "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.", priority: 0 },
    { name: "StorageClass", type: "string", description: "StorageClass of the pv", priority: 0 },
    { name: "VolumeAttributesClass", type: "string", description: "VolumeAttributesClass of the pv", priority: 0 },
    { name: "Reason", type: "string", description: "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.", priority: 0 },
    AGE_COLUMN,
    { name: "VolumeMode", type: "string", description: "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", priority: 1 },
  ],
  printRow(o, now) {
    const spec = asRecord(o.spec) ?? {};
    const claim = asRecord(spec.claimRef);
    const phase = o.metadata.deletionTimestamp ? "Terminating" : (str(field(o, "status", "phase")) ?? "");
    return [
      o.metadata.name ?? "",
      quantityString(asRecord(spec.capacity)?.storage),
      accessModesString(spec.accessModes),
      str(spec.persistentVolumeReclaimPolicy) ?? "",
      phase,
      claim ? `${str(claim.namespace) ?? ""}/${str(claim.name) ?? ""}` : "",
      storageClassOf(o),
      str(spec.volumeAttributesClassName) ?? "<unset>",
      str(field(o, "status", "reason")) ?? "",
      age(o, now),
      str(spec.volumeMode) ?? "<unset>",
    ];
  },
  prepareForCreate(obj: KubeObject, ctx: RequestContext) {
    dropGeneration(obj);
    obj.status = { phase: "Pending", lastPhaseTransitionTime: timestamp(ctx.now) };
    applyDefaults(obj);
    addFinalizer(obj, PV_PROTECTION_FINALIZER);
  },
  prepareForUpdate(obj, old) {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
    applyDefaults(obj);
  },
  validate: validatePV,
});

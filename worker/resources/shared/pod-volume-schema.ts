// core/v1 Volume: the common sources modelled field by field, exotic cloud/legacy sources
// kept whole as loose objects so a manifest that uses them loses nothing.
import { z } from "zod";
import { atomicList, labelSelectorSchema, objectMetaSchema, quantity } from "../meta";
import { persistentVolumeClaimSpecSchema } from "../core/persistentvolumeclaim";
import { objectFieldSelectorSchema, resourceFieldSelectorSchema } from "./pod-container-schema";

const loose = () => z.looseObject({});

const keyToPathSchema = z.object({ key: z.string(), path: z.string(), mode: z.number().int().optional() });

const downwardAPIFileSchema = z.object({
  path: z.string(),
  fieldRef: objectFieldSelectorSchema.optional(),
  resourceFieldRef: resourceFieldSelectorSchema.optional(),
  mode: z.number().int().optional(),
});

const secretProjection = z.object({ name: z.string().optional(), items: atomicList(keyToPathSchema).optional(), optional: z.boolean().optional() });

const projectionSchema = z.object({
  secret: secretProjection.optional(),
  configMap: secretProjection.optional(),
  downwardAPI: z.object({ items: atomicList(downwardAPIFileSchema).optional() }).optional(),
  serviceAccountToken: z
    .object({ audience: z.string().optional(), expirationSeconds: z.number().int().optional(), path: z.string() })
    .optional(),
  clusterTrustBundle: z
    .object({
      name: z.string().optional(),
      signerName: z.string().optional(),
      labelSelector: labelSelectorSchema.optional(),
      optional: z.boolean().optional(),
      path: z.string(),
    })
    .optional(),
});

export const volumeSchema = z.object({
  name: z.string(),
  hostPath: z.object({ path: z.string(), type: z.string().optional() }).optional(),
  emptyDir: z.object({ medium: z.string().optional(), sizeLimit: quantity.optional() }).optional(),
  secret: z
    .object({
      secretName: z.string().optional(),
      items: atomicList(keyToPathSchema).optional(),
      defaultMode: z.number().int().optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  configMap: z
    .object({
      name: z.string().optional(),
      items: atomicList(keyToPathSchema).optional(),
      defaultMode: z.number().int().optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  persistentVolumeClaim: z.object({ claimName: z.string(), readOnly: z.boolean().optional() }).optional(),
  nfs: z.object({ server: z.string(), path: z.string(), readOnly: z.boolean().optional() }).optional(),
  downwardAPI: z.object({ items: atomicList(downwardAPIFileSchema).optional(), defaultMode: z.number().int().optional() }).optional(),
  projected: z.object({ sources: atomicList(projectionSchema).optional(), defaultMode: z.number().int().optional() }).optional(),
  csi: z
    .object({
      driver: z.string(),
      readOnly: z.boolean().optional(),
      fsType: z.string().optional(),
      volumeAttributes: z.record(z.string(), z.string()).optional(),
      nodePublishSecretRef: z.object({ name: z.string().optional() }).optional(),
    })
    .optional(),
  ephemeral: z
    .object({
      volumeClaimTemplate: z.object({ metadata: objectMetaSchema.optional(), spec: persistentVolumeClaimSpecSchema }).optional(),
    })
    .optional(),
  image: z.object({ reference: z.string().optional(), pullPolicy: z.enum(["Always", "Never", "IfNotPresent"]).optional() }).optional(),
  iscsi: loose().optional(),
  gcePersistentDisk: loose().optional(),
  awsElasticBlockStore: loose().optional(),
  gitRepo: loose().optional(),
  glusterfs: loose().optional(),
  rbd: loose().optional(),
  flexVolume: loose().optional(),
  cinder: loose().optional(),
  cephfs: loose().optional(),
  flocker: loose().optional(),
  fc: loose().optional(),
  azureFile: loose().optional(),
  azureDisk: loose().optional(),
  vsphereVolume: loose().optional(),
  quobyte: loose().optional(),
  photonPersistentDisk: loose().optional(),
  portworxVolume: loose().optional(),
  scaleIO: loose().optional(),
  storageos: loose().optional(),
});

/** Every source field of a Volume (all but `name`), for "exactly one source" checks and defaults. */
export const VOLUME_SOURCES = Object.keys(volumeSchema.shape).filter((k) => k !== "name");

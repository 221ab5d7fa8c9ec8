// StatefulSet (apps/v1): ordered pods with sticky names and a claim per pod. Only replicas,
// template, updateStrategy, minReadySeconds, ordinals and the claim retention policy may change.
import { z } from "zod";
import { deepEqual } from "../../lib/deep-equal";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, bumpGenerationOnSpecChange, labelSelectorSchema, mapList, objectSchema, resource } from "../meta";
import { podTemplateSpecSchema } from "../core/pod-spec";
import { forbidden, notSupported, type Cause } from "../shared/cfg-causes";
import { rec, type Json } from "../shared/cfg-util";
import { persistentVolumeClaimSchema } from "../core/persistentvolumeclaim";
import { workloadConditionSchema } from "./deployment";
import { WIDE_COLUMNS, applyTemplateDefaults, keepStatus, readyCount, specReplicas, validateWorkload, wideCells } from "./workload-rules";

export const statefulSetSchema = objectSchema({
  spec: z
    .object({
      replicas: z.number().int().optional(),
      selector: labelSelectorSchema.optional(),
      template: podTemplateSpecSchema.optional(),
      volumeClaimTemplates: atomicList(persistentVolumeClaimSchema).optional(),
      serviceName: z.string().optional(),
      podManagementPolicy: z.enum(["OrderedReady", "Parallel"]).optional(),
      updateStrategy: z
        .object({
          type: z.enum(["RollingUpdate", "OnDelete"]).optional(),
          rollingUpdate: z.object({ partition: z.number().int().optional(), maxUnavailable: z.union([z.number().int(), z.string()]).optional() }).optional(),
        })
        .optional(),
      revisionHistoryLimit: z.number().int().optional(),
      minReadySeconds: z.number().int().optional(),
      persistentVolumeClaimRetentionPolicy: z
        .object({ whenDeleted: z.enum(["Retain", "Delete"]).optional(), whenScaled: z.enum(["Retain", "Delete"]).optional() })
        .optional(),
      ordinals: z.object({ start: z.number().int().optional() }).optional(),
    })
    .optional(),
  status: z
    .object({
      observedGeneration: z.number().int().optional(),
      replicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      currentReplicas: z.number().int().optional(),
      updatedReplicas: z.number().int().optional(),
      currentRevision: z.string().optional(),
      updateRevision: z.string().optional(),
      collisionCount: z.number().int().optional(),
      conditions: mapList(workloadConditionSchema, "type").optional(),
      availableReplicas: z.number().int().optional(),
    })
    .optional(),
});

function applyDefaults(spec: Json): void {
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= "OrderedReady";
  spec.revisionHistoryLimit ??= 10;
  const strategy = (rec(spec.updateStrategy) ?? {}) as Json;
  spec.updateStrategy = strategy;
  strategy.type ??= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const ru = (rec(strategy.rollingUpdate) ?? {}) as Json;
    strategy.rollingUpdate = ru;
    ru.partition ??= 0;
  }
  const retention = (rec(spec.persistentVolumeClaimRetentionPolicy) ?? {}) as Json;
  spec.persistentVolumeClaimRetentionPolicy = retention;
  retention.whenDeleted ??= "Retain";
  retention.whenScaled ??= "Retain";
  for (const t of (spec.volumeClaimTemplates as Json[] | undefined) ?? []) {
    const claimSpec = rec(t.spec);
    if (claimSpec) claimSpec.volumeMode ??= "Filesystem";
    t.apiVersion ??= "v1";
    t.kind ??= "PersistentVolumeClaim";
  }
  applyTemplateDefaults(spec);
}

const MUTABLE = ["replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds", "ordinals", "revisionHistoryLimit"];

export const statefulsets = resource({
  group: "apps",
  version: "v1",
  kind: "StatefulSet",
  listKind: "StatefulSetList",
  plural: "statefulsets",
  singular: "statefulset",
  shortNames: ["sts"],
  categories: ["all"],
  namespaced: true,
  schema: statefulSetSchema,
  subresources: { status: true, scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas", labelSelectorPath: ".status.selector" } },
  printerColumns: [
    NAME_COLUMN,
    { name: "Ready", type: "string", description: "Number of the pod with ready state", priority: 0 },
    AGE_COLUMN,
    WIDE_COLUMNS[0]!,
    WIDE_COLUMNS[1]!,
  ],
  printRow: (o, now) => [o.metadata.name ?? "", `${readyCount(o)}/${specReplicas(o)}`, age(o, now), ...wideCells(o, false)],
  prepareForCreate(obj) {
    obj.spec = rec(obj.spec) ?? {};
    applyDefaults(obj.spec as Json);
    delete obj.status;
  },
  prepareForUpdate(obj, old) {
    obj.spec = rec(obj.spec) ?? {};
    applyDefaults(obj.spec as Json);
    keepStatus(obj, old);
    bumpGenerationOnSpecChange(obj, old);
  },
  validate(obj, old) {
    const causes: Cause[] = validateWorkload(obj, old);
    const spec = rec(obj.spec) ?? {};
    const policy = spec.podManagementPolicy;
    if (policy !== undefined && policy !== "OrderedReady" && policy !== "Parallel") causes.push(notSupported("spec.podManagementPolicy", policy, ["OrderedReady", "Parallel"]));
    if (old) {
      const frozen = (s: Json) => Object.fromEntries(Object.entries(s).filter(([k]) => !MUTABLE.includes(k) && k !== "selector"));
      if (!deepEqual(frozen(spec), frozen(rec(old.spec) ?? {}))) {
        causes.push(forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
      }
    }
    return causes;
  },
});

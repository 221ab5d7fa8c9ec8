// StatefulSet (apps/v1): ordered pods with sticky names and a claim per pod. Only replicas,
// template, updateStrategy, minReadySeconds, ordinals, revisionHistoryLimit and the claim
// retention policy may change (ValidateStatefulSetUpdate).
import { z } from "zod";
import { deepEqual } from "../../../shared/deep-equal";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, intOrString, labelSelectorSchema, mapList, objectSchema, resource } from "../meta";
import { persistentVolumeClaimSchema } from "../core/persistentvolumeclaim";
import { forbidden, invalid, type Cause } from "../shared/field-errors";
import { asArray, asRecord, type Json } from "../../../shared/json";
import { podTemplateSpecSchema } from "../shared/pod-spec-schema";
import {
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  applyTemplateDefaults,
  containerCells,
  count,
  validateWorkload,
  workloadPrepare,
} from "./workload-rules";
import { workloadConditionSchema } from "./deployment";

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
          rollingUpdate: z.object({ partition: z.number().int().optional(), maxUnavailable: intOrString.optional() }).optional(),
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
      conditions: mapList(workloadConditionSchema.omit({ lastUpdateTime: true }), "type").optional(),
      availableReplicas: z.number().int().optional(),
    })
    .optional(),
});

const DEFAULT_REVISION_HISTORY_LIMIT = 10;

function isUnset(v: unknown): boolean {
  return v === undefined || v === null;
}

/** SetDefaults_StatefulSet, plus the PVC defaults inside each volumeClaimTemplate. */
function applyDefaults(spec: Json): void {
  if (!spec.podManagementPolicy) spec.podManagementPolicy = "OrderedReady";
  const strategy = asRecord(spec.updateStrategy) ?? {};
  spec.updateStrategy = strategy;
  if (!strategy.type) {
    strategy.type = "RollingUpdate";
    if (isUnset(strategy.rollingUpdate)) strategy.rollingUpdate = {};
  }
  const ru = asRecord(strategy.rollingUpdate);
  if (strategy.type === "RollingUpdate" && ru && isUnset(ru.partition)) ru.partition = 0;
  const retention = asRecord(spec.persistentVolumeClaimRetentionPolicy) ?? {};
  spec.persistentVolumeClaimRetentionPolicy = retention;
  if (!retention.whenDeleted) retention.whenDeleted = "Retain";
  if (!retention.whenScaled) retention.whenScaled = "Retain";
  if (isUnset(spec.replicas)) spec.replicas = 1;
  if (isUnset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = DEFAULT_REVISION_HISTORY_LIMIT;
  for (const raw of asArray(spec.volumeClaimTemplates) ?? []) {
    const claim = asRecord(raw);
    if (!claim) continue;
    // Embedded objects are served with their type meta and the PVC's own defaults.
    if (!claim.apiVersion) claim.apiVersion = "v1";
    if (!claim.kind) claim.kind = "PersistentVolumeClaim";
    const claimSpec = asRecord(claim.spec);
    if (claimSpec && !claimSpec.volumeMode) claimSpec.volumeMode = "Filesystem";
    const claimStatus = asRecord(claim.status) ?? {};
    claim.status = claimStatus;
    if (!claimStatus.phase) claimStatus.phase = "Pending";
  }
  applyTemplateDefaults(spec);
}

const MUTABLE_SPEC_FIELDS = ["replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy"];

function specCauses(spec: Json, old: Json | undefined): Cause[] {
  const causes: Cause[] = [];
  const strategy = asRecord(spec.updateStrategy) ?? {};
  if (strategy.type === "OnDelete" && asRecord(strategy.rollingUpdate)) {
    causes.push(forbidden("spec.updateStrategy.rollingUpdate", "only allowed for updateStrategy 'RollingUpdate'"));
  }
  const partition = asRecord(strategy.rollingUpdate)?.partition;
  if (typeof partition === "number" && partition < 0) {
    causes.push(invalid("spec.updateStrategy.rollingUpdate.partition", partition, "must be greater than or equal to 0"));
  }
  const start = asRecord(spec.ordinals)?.start;
  if (typeof start === "number" && start < 0) causes.push(invalid("spec.ordinals.start", start, "must be greater than or equal to 0"));
  if (old) {
    const frozen = (s: Json) => Object.fromEntries(Object.entries(s).filter(([k]) => !MUTABLE_SPEC_FIELDS.includes(k)));
    if (!deepEqual(frozen(spec), frozen(old))) {
      causes.push(
        forbidden(
          "spec",
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  return causes;
}

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
  subresources: {
    status: true,
    scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas", labelSelectorPath: ".status.selector" },
  },
  printerColumns: [
    NAME_COLUMN,
    { name: "Ready", type: "string", description: "Number of the pod with ready state", priority: 0 },
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
  ],
  printRow(o, now) {
    const [names, images] = containerCells(o);
    return [o.metadata.name ?? "", `${count(o, "status", "readyReplicas")}/${count(o, "spec", "replicas")}`, age(o, now), names, images];
  },
  ...workloadPrepare(applyDefaults),
  validate(obj, old) {
    // The selector falls under the frozen-spec rule below, not a separate "immutable" cause.
    const claims = (asArray(asRecord(obj.spec)?.volumeClaimTemplates) ?? []).map((c) => String(asRecord(asRecord(c)?.metadata)?.name ?? ""));
    const causes = validateWorkload(obj, old, { selectorNoun: "statefulset", selectorImmutable: false, extraVolumes: claims, deadlineNoun: "StatefulSet" });
    const spec = asRecord(obj.spec);
    if (spec) causes.push(...specCauses(spec, old ? (asRecord(old.spec) ?? {}) : undefined));
    return causes;
  },
});

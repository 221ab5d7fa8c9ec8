// Deployment (apps/v1): replicas and a rolling-update strategy over a pod template; the
// deployment controller turns it into ReplicaSets. Defaults as SetDefaults_Deployment.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, bumpGenerationOnSpecChange, intOrString, labelSelectorSchema, mapList, objectSchema, resource } from "../meta";
import { podTemplateSpecSchema } from "../core/pod-spec";
import { invalid, notSupported, type Cause } from "../shared/cfg-causes";
import { rec, type Json } from "../shared/cfg-util";
import { WIDE_COLUMNS, applyTemplateDefaults, keepStatus, readyCount, specReplicas, validateWorkload, wideCells } from "./workload-rules";

export const workloadConditionSchema = z.object({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  lastUpdateTime: z.string().nullable().optional(),
  lastTransitionTime: z.string().nullable().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const deploymentSchema = objectSchema({
  spec: z
    .object({
      replicas: z.number().int().optional(),
      selector: labelSelectorSchema.optional(),
      template: podTemplateSpecSchema.optional(),
      strategy: z
        .object({
          type: z.enum(["Recreate", "RollingUpdate"]).optional(),
          rollingUpdate: z.object({ maxUnavailable: intOrString.optional(), maxSurge: intOrString.optional() }).optional(),
        })
        .meta({ "x-kubernetes-patch-strategy": "retainKeys" })
        .optional(),
      minReadySeconds: z.number().int().optional(),
      revisionHistoryLimit: z.number().int().optional(),
      paused: z.boolean().optional(),
      progressDeadlineSeconds: z.number().int().optional(),
    })
    .optional(),
  status: z
    .object({
      observedGeneration: z.number().int().optional(),
      replicas: z.number().int().optional(),
      updatedReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      unavailableReplicas: z.number().int().optional(),
      terminatingReplicas: z.number().int().optional(),
      conditions: mapList(workloadConditionSchema, "type").optional(),
      collisionCount: z.number().int().optional(),
    })
    .optional(),
});

function applyDefaults(spec: Json): void {
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  const strategy = (rec(spec.strategy) ?? {}) as Json;
  spec.strategy = strategy;
  strategy.type ??= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const ru = (rec(strategy.rollingUpdate) ?? {}) as Json;
    strategy.rollingUpdate = ru;
    ru.maxUnavailable ??= "25%";
    ru.maxSurge ??= "25%";
  }
  applyTemplateDefaults(spec);
}

function intOrPercentCauses(field: string, value: unknown): Cause[] {
  if (value === undefined) return [];
  if (typeof value === "number") return value < 0 ? [invalid(field, value, "must be greater than or equal to 0")] : [];
  if (typeof value === "string" && /^\d+%$/.test(value)) return [];
  return [invalid(field, value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
}

function isZero(v: unknown): boolean {
  return v === 0 || v === "0%";
}

export const deployments = resource({
  group: "apps",
  version: "v1",
  kind: "Deployment",
  listKind: "DeploymentList",
  plural: "deployments",
  singular: "deployment",
  shortNames: ["deploy"],
  categories: ["all"],
  namespaced: true,
  schema: deploymentSchema,
  subresources: { status: true, scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas", labelSelectorPath: ".status.selector" } },
  printerColumns: [
    NAME_COLUMN,
    { name: "Ready", type: "string", description: "Number of the pod with ready state", priority: 0 },
    { name: "Up-to-date", type: "string", description: "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", priority: 0 },
    { name: "Available", type: "string", description: "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", priority: 0 },
    AGE_COLUMN,
    ...WIDE_COLUMNS,
  ],
  printRow: (o, now) => [
    o.metadata.name ?? "",
    `${readyCount(o)}/${specReplicas(o)}`,
    readyCount(o, "updatedReplicas"),
    readyCount(o, "availableReplicas"),
    age(o, now),
    ...wideCells(o),
  ],
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
    const causes = validateWorkload(obj, old);
    const strategy = rec(rec(obj.spec)?.strategy) ?? {};
    if (strategy.type !== undefined && strategy.type !== "RollingUpdate" && strategy.type !== "Recreate") {
      causes.push(notSupported("spec.strategy.type", strategy.type, ["Recreate", "RollingUpdate"]));
    }
    const ru = rec(strategy.rollingUpdate);
    if (ru) {
      causes.push(...intOrPercentCauses("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable));
      causes.push(...intOrPercentCauses("spec.strategy.rollingUpdate.maxSurge", ru.maxSurge));
      if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) {
        causes.push(invalid("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable, "may not be 0 when `maxSurge` is 0"));
      }
      if (strategy.type === "Recreate") causes.push({ field: "spec.strategy.rollingUpdate", reason: "FieldValueForbidden", message: "Forbidden: may not be specified when strategy `type` is 'Recreate'" });
    }
    return causes;
  },
});

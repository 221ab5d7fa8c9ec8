// Deployment (apps/v1): replicas and a rollout strategy over a pod template; the deployment
// controller turns it into ReplicaSets. Defaults as SetDefaults_Deployment.
import { selectorString } from "../../../shared/selectors";
import { z } from "zod";
import {
  AGE_COLUMN,
  NAME_COLUMN,
  age,
  intOrString,
  labelSelectorSchema,
  mapList,
  objectSchema,
  resource,
} from "../meta";
import { forbidden, invalid, type Cause } from "../shared/field-errors";
import { asRecord, type Json } from "../../../shared/json";
import { podTemplateSpecSchema } from "../shared/pod-spec-schema";
import {
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  SELECTOR_COLUMN,
  applyTemplateDefaults,
  containerCells,
  count,
  validateWorkload,
  workloadPrepare,
} from "./workload-rules";

export const workloadConditionSchema = z.object({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  lastUpdateTime: z.string().nullable().optional(),
  lastTransitionTime: z.string().nullable().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const deploymentSpecSchema = z.object({
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
});

export const deploymentStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  replicas: z.number().int().optional(),
  updatedReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  unavailableReplicas: z.number().int().optional(),
  terminatingReplicas: z.number().int().optional(),
  conditions: mapList(workloadConditionSchema, "type").optional(),
  collisionCount: z.number().int().optional(),
});

export const deploymentSchema = objectSchema({
  spec: deploymentSpecSchema.optional(),
  status: deploymentStatusSchema.optional(),
});

const DEFAULT_REVISION_HISTORY_LIMIT = 10;
const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

function applyDefaults(spec: Json): void {
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  const strategy = asRecord(spec.strategy) ?? {};
  spec.strategy = strategy;
  if (!strategy.type) strategy.type = "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const ru = asRecord(strategy.rollingUpdate) ?? {};
    strategy.rollingUpdate = ru;
    if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = "25%";
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = "25%";
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = DEFAULT_REVISION_HISTORY_LIMIT;
  if (spec.progressDeadlineSeconds === undefined || spec.progressDeadlineSeconds === null) spec.progressDeadlineSeconds = DEFAULT_PROGRESS_DEADLINE_SECONDS;
  applyTemplateDefaults(spec);
}

const PERCENT = /^[0-9]+%$/;

/** ValidatePositiveIntOrPercent and IsNotMoreThan100Percent. */
function intOrPercentCauses(field: string, value: unknown): Cause[] {
  if (value === undefined) return [];
  if (typeof value === "number") return value < 0 ? [invalid(field, value, "must be greater than or equal to 0")] : [];
  if (typeof value === "string" && PERCENT.test(value)) {
    return Number(value.slice(0, -1)) > 100 ? [invalid(field, value, "must not be greater than 100%")] : [];
  }
  return [
    invalid(field, value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"),
  ];
}

function isZero(v: unknown): boolean {
  return v === 0 || v === "0%";
}

function strategyCauses(spec: Json): Cause[] {
  const causes: Cause[] = [];
  const strategy = asRecord(spec.strategy) ?? {};
  const ru = asRecord(strategy.rollingUpdate);
  if (strategy.type === "Recreate" && ru) {
    causes.push(forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
  }
  if (strategy.type === "RollingUpdate" && ru) {
    causes.push(...intOrPercentCauses("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable));
    causes.push(...intOrPercentCauses("spec.strategy.rollingUpdate.maxSurge", ru.maxSurge));
    if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) {
      causes.push(invalid("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable, "may not be 0 when `maxSurge` is 0"));
    }
  }
  const deadline = spec.progressDeadlineSeconds;
  if (typeof deadline === "number") {
    if (deadline < 0) causes.push(invalid("spec.progressDeadlineSeconds", deadline, "must be greater than or equal to 0"));
    const minReady = typeof spec.minReadySeconds === "number" ? spec.minReadySeconds : 0;
    if (deadline <= minReady) causes.push(invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"));
  }
  return causes;
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
  subresources: {
    status: true,
    scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas", labelSelectorPath: ".status.selector" },
  },
  printerColumns: [
    NAME_COLUMN,
    { name: "Ready", type: "string", description: "Number of the pod with ready state", priority: 0 },
    { name: "Up-to-date", type: "string", description: "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", priority: 0 },
    { name: "Available", type: "string", description: "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", priority: 0 },
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  printRow(o, now) {
    const [names, images] = containerCells(o);
    return [
      o.metadata.name ?? "",
      `${count(o, "status", "readyReplicas")}/${count(o, "spec", "replicas")}`,
      count(o, "status", "updatedReplicas"),
      count(o, "status", "availableReplicas"),
      age(o, now),
      names,
      images,
      selectorString(asRecord(o.spec)?.selector),
    ];
  },
  ...workloadPrepare(applyDefaults),
  validate(obj, old) {
    const causes = validateWorkload(obj, old, { selectorNoun: "deployment", selectorImmutable: true });
    const spec = asRecord(obj.spec);
    if (spec) causes.push(...strategyCauses(spec));
    return causes;
  },
});

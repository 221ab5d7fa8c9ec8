// ReplicaSet (apps/v1): keeps N pods from a template; owned by Deployments, usable alone.
import { formatLabelSelector } from "../../../shared/selectors";
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, labelSelectorSchema, mapList, objectSchema, resource } from "../meta";
import { asRecord } from "../../../shared/json";
import { podTemplateSpecSchema } from "../shared/pod-spec-schema";
import { workloadConditionSchema } from "./deployment";
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

export const replicaSetSchema = objectSchema({
  spec: z
    .object({
      replicas: z.number().int().optional(),
      minReadySeconds: z.number().int().optional(),
      selector: labelSelectorSchema.optional(),
      template: podTemplateSpecSchema.optional(),
    })
    .optional(),
  status: z
    .object({
      replicas: z.number().int().optional(),
      fullyLabeledReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      terminatingReplicas: z.number().int().optional(),
      observedGeneration: z.number().int().optional(),
      conditions: mapList(workloadConditionSchema.omit({ lastUpdateTime: true }), "type").optional(),
    })
    .optional(),
});

/** SetDefaults_ReplicaSet: one replica, and the pod template's own defaults. */
function applyDefaults(spec: Record<string, unknown>): void {
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  applyTemplateDefaults(spec);
}

export const replicasets = resource({
  group: "apps",
  version: "v1",
  kind: "ReplicaSet",
  listKind: "ReplicaSetList",
  plural: "replicasets",
  singular: "replicaset",
  shortNames: ["rs"],
  categories: ["all"],
  namespaced: true,
  schema: replicaSetSchema,
  subresources: {
    status: true,
    scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas", labelSelectorPath: ".status.selector" },
  },
  selectableFields: { "status.replicas": (o) => String(count(o, "status", "replicas")) },
  printerColumns: [
    NAME_COLUMN,
    { name: "Desired", type: "integer", description: "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works", priority: 0 },
    { name: "Current", type: "integer", description: "Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works", priority: 0 },
    { name: "Ready", type: "integer", description: "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.", priority: 0 },
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    { ...SELECTOR_COLUMN, description: "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors" },
  ],
  printRow(o, now) {
    const [names, images] = containerCells(o);
    return [
      o.metadata.name ?? "",
      count(o, "spec", "replicas"),
      count(o, "status", "replicas"),
      count(o, "status", "readyReplicas"),
      age(o, now),
      names,
      images,
      formatLabelSelector(asRecord(o.spec)?.selector),
    ];
  },
  ...workloadPrepare(applyDefaults),
  validate: (obj, old) => validateWorkload(obj, old, { selectorNoun: "deployment", selectorImmutable: true }),
});

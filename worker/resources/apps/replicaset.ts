// ReplicaSet (apps/v1): keeps N pods from a template; owned by Deployments, usable alone.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, bumpGenerationOnSpecChange, labelSelectorSchema, mapList, objectSchema, resource } from "../meta";
import { podTemplateSpecSchema } from "../core/pod-spec";
import { rec, type Json } from "../shared/cfg-util";
import { workloadConditionSchema } from "./deployment";
import { WIDE_COLUMNS, applyTemplateDefaults, keepStatus, readyCount, specReplicas, validateWorkload, wideCells } from "./workload-rules";

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
      conditions: mapList(workloadConditionSchema, "type").optional(),
    })
    .optional(),
});

function applyDefaults(spec: Json): void {
  spec.replicas ??= 1;
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
  subresources: { status: true, scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas", labelSelectorPath: ".status.selector" } },
  selectableFields: { "status.replicas": (o) => String(rec(o.status)?.replicas ?? 0) },
  printerColumns: [
    NAME_COLUMN,
    { name: "Desired", type: "integer", description: "Number of desired pods.", priority: 0 },
    { name: "Current", type: "integer", description: "Number of actual replicas.", priority: 0 },
    { name: "Ready", type: "integer", description: "The number of ready replicas for this replica set.", priority: 0 },
    AGE_COLUMN,
    ...WIDE_COLUMNS,
  ],
  printRow: (o, now) => [o.metadata.name ?? "", specReplicas(o), readyCount(o, "replicas"), readyCount(o), age(o, now), ...wideCells(o)],
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
  validate: (obj, old) => validateWorkload(obj, old),
});

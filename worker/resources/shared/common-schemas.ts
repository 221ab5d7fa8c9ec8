// Sub-schemas several core/storage/networking kinds share (object references, node
// selectors, load balancer status, conditions), with upstream's list metadata.
import { z } from "zod";
import { atomicList, labelSelectorSchema, mapList, quantity, stringMap } from "../meta";

/** metav1.Time / MicroTime as JSON: RFC 3339, or null for the zero time. */
export const timeSchema = z.string().nullable().optional();

export const resourceListSchema = z.record(z.string(), quantity);

export const objectReferenceSchema = z.object({
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiVersion: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});

export const localObjectReferenceSchema = z.object({ name: z.string().optional() });

export const typedLocalObjectReferenceSchema = z.object({
  apiGroup: z.string().nullable().optional(),
  kind: z.string(),
  name: z.string(),
});

export const typedObjectReferenceSchema = typedLocalObjectReferenceSchema.extend({
  namespace: z.string().optional(),
});

export const secretReferenceSchema = z.object({ name: z.string().optional(), namespace: z.string().optional() });

export const nodeSelectorRequirementSchema = z.object({
  key: z.string(),
  operator: z.enum(["DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"]),
  values: atomicList(z.string()).optional(),
});

export const nodeSelectorSchema = z.object({
  nodeSelectorTerms: atomicList(
    z.object({
      matchExpressions: atomicList(nodeSelectorRequirementSchema).optional(),
      matchFields: atomicList(nodeSelectorRequirementSchema).optional(),
    }),
  ),
});

export const topologySelectorTermSchema = z.object({
  matchLabelExpressions: atomicList(z.object({ key: z.string(), values: atomicList(z.string()) })).optional(),
});

export const protocolSchema = z.enum(["SCTP", "TCP", "UDP"]);

export const portStatusSchema = z.object({
  port: z.number().int(),
  protocol: protocolSchema,
  error: z.string().optional(),
});

export const loadBalancerStatusSchema = z.object({
  ingress: atomicList(
    z.object({
      ip: z.string().optional(),
      hostname: z.string().optional(),
      ipMode: z.enum(["Proxy", "VIP"]).optional(),
      ports: atomicList(portStatusSchema).optional(),
    }),
  ).optional(),
});

/** metav1.Condition (Service status conditions and the like). */
export const metaConditionSchema = z.object({
  type: z.string(),
  status: z.enum(["False", "True", "Unknown"]),
  observedGeneration: z.number().int().optional(),
  lastTransitionTime: timeSchema,
  reason: z.string(),
  message: z.string(),
});

export const conditionsByType = <T extends z.ZodType>(item: T) => mapList(item, "type");

export const accessModeSchema = z.enum(["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]);
export const volumeModeSchema = z.enum(["Block", "Filesystem"]);

export { labelSelectorSchema, stringMap };

// Test schemas built the way resource modules build them: zod + .meta() extensions,
// turned into JSON Schema with z.toJSONSchema exactly as worker/resources/json-schema.ts does.
import { z } from "zod";
import type { JsonSchema } from "../../../worker/api/patch";

const stringMap = z.record(z.string(), z.string());

function mapList<T extends z.ZodType>(item: T, key: string, extraKeys: string[] = []) {
  return z.array(item).meta({
    "x-kubernetes-patch-merge-key": key,
    "x-kubernetes-patch-strategy": "merge",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": [key, ...extraKeys],
  });
}

const envVar = z.object({ name: z.string(), value: z.string().optional() });
const containerPort = z.object({ containerPort: z.number().int(), protocol: z.string().default("TCP") });
const volumeMount = z.object({ name: z.string(), mountPath: z.string() });

/** Reused by reference so z.toJSONSchema may emit $defs / $ref. */
export const container = z.object({
  name: z.string(),
  image: z.string().optional(),
  args: z.array(z.string()).optional(),
  env: mapList(envVar, "name").optional(),
  ports: mapList(containerPort, "containerPort").optional(),
  volumeMounts: mapList(volumeMount, "mountPath").optional(),
  resources: z.object({ limits: stringMap.optional() }).optional(),
});

const podSpec = z.object({
  containers: mapList(container, "name"),
  initContainers: mapList(container, "name").optional(),
  volumes: mapList(z.object({ name: z.string(), emptyDir: z.object({}).optional(), hostPath: z.object({ path: z.string() }).optional() }).meta({}), "name").optional(),
  tolerations: z.array(z.object({ key: z.string().optional(), operator: z.string().optional() })).meta({ "x-kubernetes-list-type": "atomic" }).optional(),
  nodeSelector: stringMap.optional(),
  hostname: z.string().nullable().optional(),
});

const meta = z.object({
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  finalizers: z.array(z.string()).meta({ "x-kubernetes-patch-strategy": "merge", "x-kubernetes-list-type": "set" }).optional(),
  ownerReferences: mapList(z.object({ uid: z.string(), name: z.string(), kind: z.string(), apiVersion: z.string() }), "uid").optional(),
  managedFields: z.array(z.record(z.string(), z.unknown())).meta({ "x-kubernetes-list-type": "atomic" }).optional(),
});

const strategy = z
  .object({
    type: z.string().optional(),
    rollingUpdate: z.object({ maxSurge: z.union([z.number(), z.string()]).optional(), maxUnavailable: z.union([z.number(), z.string()]).optional() }).optional(),
  })
  .meta({ "x-kubernetes-patch-strategy": "retainKeys" });

export const deploymentZod = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: meta.optional(),
  spec: z
    .object({
      replicas: z.number().int().default(1),
      selector: z.object({ matchLabels: stringMap.optional() }).meta({ "x-kubernetes-map-type": "atomic" }).optional(),
      strategy: strategy.optional(),
      template: z.object({ metadata: meta.optional(), spec: podSpec }).optional(),
    })
    .optional(),
  status: z.object({ replicas: z.number().optional() }).optional(),
});

export const deploymentSchema = z.toJSONSchema(deploymentZod, { io: "input", unrepresentable: "any" }) as JsonSchema;

/** The same schema with shared sub-schemas emitted as $defs and $ref (reused: "ref"). */
export const deploymentSchemaWithRefs = z.toJSONSchema(deploymentZod, { io: "input", unrepresentable: "any", reused: "ref" }) as JsonSchema;

const servicePort = z.object({ name: z.string().optional(), protocol: z.string().optional(), port: z.number().int(), targetPort: z.union([z.number(), z.string()]).optional() });
export const serviceSchema = z.toJSONSchema(
  z.object({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    metadata: meta.optional(),
    spec: z.object({ ports: mapList(servicePort, "port", ["protocol"]).optional(), selector: stringMap.optional() }).optional(),
  }),
  { io: "input", unrepresentable: "any" },
) as JsonSchema;

// Node (core/v1, cluster-scoped): registered by the agent with its status (upstream keeps
// status on create), podCIDR/podCIDRs kept in step, taints unique by key and effect.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, field, mapList, objectSchema, resource } from "../meta";
import type { KubeObject } from "../types";
import { cidrCauses, duplicate, forbidden, invalid, metadataNameCauses, qualifiedNameCauses, required, type Cause } from "../shared/field-errors";
import { resourceListSchema, timeSchema } from "../shared/common-schemas";
import { dropGeneration, specOf } from "../shared/prepare-helpers";
import { asArray, asRecord, str } from "../../../shared/json";

const ROLE_LABEL_PREFIX = "node-role.kubernetes.io/";
const ROLE_LABEL = "kubernetes.io/role";
const TAINT_EFFECTS = ["NoExecute", "NoSchedule", "PreferNoSchedule"] as const;

const taintSchema = z.object({
  key: z.string(),
  value: z.string().optional(),
  effect: z.string(),
  timeAdded: timeSchema,
});

const configSourceSchema = z.object({
  configMap: z
    .object({
      namespace: z.string(),
      name: z.string(),
      uid: z.string().optional(),
      resourceVersion: z.string().optional(),
      kubeletConfigKey: z.string(),
    })
    .optional(),
});

const nodeConditionSchema = z.object({
  type: z.string(),
  status: z.enum(["False", "True", "Unknown"]),
  lastHeartbeatTime: timeSchema,
  lastTransitionTime: timeSchema,
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const nodeSchema = objectSchema({
  spec: z
    .object({
      podCIDR: z.string().optional(),
      podCIDRs: z.array(z.string()).meta({ "x-kubernetes-patch-strategy": "merge", "x-kubernetes-list-type": "set" }).optional(),
      providerID: z.string().optional(),
      unschedulable: z.boolean().optional(),
      taints: atomicList(taintSchema).optional(),
      configSource: configSourceSchema.optional(),
      externalID: z.string().optional(),
    })
    .optional(),
  status: z
    .object({
      capacity: resourceListSchema.optional(),
      allocatable: resourceListSchema.optional(),
      phase: z.string().optional(),
      conditions: mapList(nodeConditionSchema, "type").optional(),
      addresses: mapList(z.object({ type: z.string(), address: z.string() }), "type").optional(),
      daemonEndpoints: z.object({ kubeletEndpoint: z.object({ Port: z.number().int() }).optional() }).optional(),
      nodeInfo: z
        .object({
          machineID: z.string(),
          systemUUID: z.string(),
          bootID: z.string(),
          kernelVersion: z.string(),
          osImage: z.string(),
          containerRuntimeVersion: z.string(),
          kubeletVersion: z.string(),
          kubeProxyVersion: z.string(),
          operatingSystem: z.string(),
          architecture: z.string(),
        })
        .partial()
        .optional(),
      images: atomicList(z.object({ names: atomicList(z.string()).optional(), sizeBytes: z.number().int().optional() })).optional(),
      volumesInUse: atomicList(z.string()).optional(),
      volumesAttached: atomicList(z.object({ name: z.string(), devicePath: z.string() })).optional(),
      config: z
        .object({
          assigned: configSourceSchema.optional(),
          active: configSourceSchema.optional(),
          lastKnownGood: configSourceSchema.optional(),
          error: z.string().optional(),
        })
        .optional(),
      runtimeHandlers: atomicList(
        z.object({
          name: z.string().optional(),
          features: z.object({ recursiveReadOnlyMounts: z.boolean().optional(), userNamespaces: z.boolean().optional() }).optional(),
        }),
      ).optional(),
      features: z.object({ supplementalGroupsPolicy: z.boolean().optional() }).optional(),
    })
    .optional(),
});

/** The v1 ↔ internal conversion keeps podCIDR == podCIDRs[0]; allocatable defaults to capacity. */
function applyDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  if (spec) {
    const cidrs = asArray(spec.podCIDRs) ?? [];
    if (cidrs.length === 0 && typeof spec.podCIDR === "string" && spec.podCIDR !== "") spec.podCIDRs = [spec.podCIDR];
    else if (cidrs.length > 0 && typeof cidrs[0] === "string") spec.podCIDR = cidrs[0];
  }
  const status = asRecord(obj.status);
  if (status && status.allocatable === undefined && asRecord(status.capacity)) status.allocatable = structuredClone(status.capacity);
}

/** printers.go findNodeRoles: node-role.kubernetes.io/<role> keys and kubernetes.io/role values, sorted. */
export function nodeRoles(obj: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    if (k.startsWith(ROLE_LABEL_PREFIX)) {
      const role = k.slice(ROLE_LABEL_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === ROLE_LABEL && v !== "") roles.add(v);
  }
  return roles.size ? [...roles].sort().join(",") : "<none>";
}

export function nodeStatusString(obj: KubeObject): string {
  const conditions = (asArray(field(obj, "status", "conditions")) ?? []).map(asRecord);
  const ready = conditions.find((c) => c?.type === "Ready");
  const parts = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (field(obj, "spec", "unschedulable") === true) parts.push("SchedulingDisabled");
  return parts.join(",");
}

function address(obj: KubeObject, type: string): string {
  const found = (asArray(field(obj, "status", "addresses")) ?? []).map(asRecord).find((a) => a?.type === type);
  return str(found?.address) ?? "<none>";
}

function taintCauses(spec: Record<string, unknown>): Cause[] {
  const out: Cause[] = [];
  const seen = new Set<string>();
  (asArray(spec.taints) ?? []).forEach((t, i) => {
    const taint = asRecord(t) ?? {};
    const path = `spec.taints[${i}]`;
    const key = str(taint.key) ?? "";
    out.push(...qualifiedNameCauses(`${path}.key`, key));
    const effect = str(taint.effect) ?? "";
    if (effect === "") out.push(required(`${path}.effect`));
    else if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) {
      out.push({ field: `${path}.effect`, reason: "FieldValueNotSupported", message: `Unsupported value: ${JSON.stringify(effect)}: supported values: ${TAINT_EFFECTS.map((e) => `"${e}"`).join(", ")}` });
    }
    const id = `${effect}\u0000${key}`;
    if (seen.has(id)) {
      const shown = `core.Taint{Key:${JSON.stringify(key)}, Value:${JSON.stringify(str(taint.value) ?? "")}, Effect:${JSON.stringify(effect)}, TimeAdded:<nil>}`;
      out.push({ ...duplicate(path, ""), message: `Duplicate value: ${shown}: taints must be unique by key and effect pair` });
    }
    seen.add(id);
  });
  return out;
}

function validateNode(obj: KubeObject, old?: KubeObject): Cause[] {
  const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
  const spec = asRecord(obj.spec) ?? {};
  const cidrs = (asArray(spec.podCIDRs) ?? []).map(String);
  cidrs.forEach((c, i) => causes.push(...cidrCauses(`spec.podCIDRs[${i}]`, c)));
  if (cidrs.length > 2 || (cidrs.length === 2 && cidrs[0]!.includes(":") === cidrs[1]!.includes(":"))) {
    causes.push(invalid("spec.podCIDRs", cidrs, "may specify no more than one CIDR for each IP family"));
  }
  causes.push(...taintCauses(spec));
  if (old) {
    const oldSpec = asRecord(old.spec) ?? {};
    const oldCidrs = (asArray(oldSpec.podCIDRs) ?? []).map(String);
    if (oldCidrs.length > 0 && (oldCidrs.length !== cidrs.length || oldCidrs.some((c, i) => c !== cidrs[i]))) {
      causes.push(forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'));
    }
    if (oldSpec.providerID && oldSpec.providerID !== spec.providerID) {
      causes.push(forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'));
    }
  }
  return causes;
}

export const nodes = resource({
  group: "",
  version: "v1",
  kind: "Node",
  listKind: "NodeList",
  plural: "nodes",
  singular: "node",
  shortNames: ["no"],
  namespaced: false,
  schema: nodeSchema,
  subresources: { status: true },
  selectableFields: { "spec.unschedulable": (o) => String(field(o, "spec", "unschedulable") === true) },
  printerColumns: [
    NAME_COLUMN,
    { name: "Status", type: "string", description: "The status of the node", priority: 0 },
    { name: "Roles", type: "string", description: "The roles of the node", priority: 0 },
    AGE_COLUMN,
    { name: "Version", type: "string", description: "Kubelet Version reported by the node.", priority: 0 },
    { name: "Internal-IP", type: "string", description: "List of addresses reachable to the node.", priority: 1 },
    { name: "External-IP", type: "string", description: "List of addresses reachable to the node.", priority: 1 },
    { name: "OS-Image", type: "string", description: "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", priority: 1 },
    { name: "Kernel-Version", type: "string", description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", priority: 1 },
    { name: "Container-Runtime", type: "string", description: "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", priority: 1 },
  ],
  printRow(o, now) {
    const info = asRecord(field(o, "status", "nodeInfo")) ?? {};
    const orUnknown = (v: unknown) => str(v) || "<unknown>";
    return [
      o.metadata.name ?? "",
      nodeStatusString(o),
      nodeRoles(o),
      age(o, now),
      str(info.kubeletVersion) ?? "",
      address(o, "InternalIP"),
      address(o, "ExternalIP"),
      orUnknown(info.osImage),
      orUnknown(info.kernelVersion),
      orUnknown(info.containerRuntimeVersion),
    ];
  },
  prepareForCreate(obj) {
    dropGeneration(obj);
    applyDefaults(obj);
  },
  prepareForUpdate(obj, old) {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
    applyDefaults(obj);
  },
  validate: validateNode,
});

// Service (core/v1): the table entry. Defaults and rules live in shared/service-rules.ts;
// ClusterIP and NodePort allocation belong to the service controller, not to this module.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, intOrString, mapList, objectSchema, resource, stringMap } from "../meta";
import type { KubeObject } from "../types";
import { loadBalancerStatusSchema, metaConditionSchema, protocolSchema } from "../shared/common-schemas";
import { formatLabels, loadBalancerIngressString } from "../shared/print-cells";
import { dropGeneration } from "../shared/prepare-helpers";
import { asArray, asRecord, str } from "../../../shared/json";
import { applyServiceDefaults, carryAllocatedValues, resetServiceStatus, validateService } from "../shared/service-rules";

export const servicePortSchema = z.object({
  name: z.string().optional(),
  protocol: protocolSchema.optional(),
  appProtocol: z.string().optional(),
  port: z.number().int(),
  targetPort: intOrString.optional(),
  nodePort: z.number().int().optional(),
});

export const serviceSpecSchema = z.object({
  ports: mapList(servicePortSchema, "port", ["protocol"]).optional(),
  selector: stringMap.meta({ "x-kubernetes-map-type": "atomic" }).optional(),
  clusterIP: z.string().optional(),
  clusterIPs: atomicList(z.string()).optional(),
  type: z.enum(["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]).optional(),
  externalIPs: atomicList(z.string()).optional(),
  sessionAffinity: z.enum(["ClientIP", "None"]).optional(),
  loadBalancerIP: z.string().optional(),
  loadBalancerSourceRanges: atomicList(z.string()).optional(),
  externalName: z.string().optional(),
  externalTrafficPolicy: z.enum(["Cluster", "Local"]).optional(),
  healthCheckNodePort: z.number().int().optional(),
  publishNotReadyAddresses: z.boolean().optional(),
  sessionAffinityConfig: z.object({ clientIP: z.object({ timeoutSeconds: z.number().int().optional() }).optional() }).optional(),
  ipFamilies: atomicList(z.enum(["IPv4", "IPv6"])).optional(),
  ipFamilyPolicy: z.enum(["PreferDualStack", "RequireDualStack", "SingleStack"]).optional(),
  allocateLoadBalancerNodePorts: z.boolean().optional(),
  loadBalancerClass: z.string().optional(),
  internalTrafficPolicy: z.enum(["Cluster", "Local"]).optional(),
  trafficDistribution: z.string().optional(),
});

export const serviceSchema = objectSchema({
  spec: serviceSpecSchema.optional(),
  status: z
    .object({
      loadBalancer: loadBalancerStatusSchema.optional(),
      conditions: mapList(metaConditionSchema, "type").optional(),
    })
    .optional(),
});

/** printers.go makePortString: "80/TCP", "80:30080/TCP", joined by commas. */
export function servicePortsString(spec: unknown): string {
  const pieces = (asArray(asRecord(spec)?.ports) ?? []).map((p) => {
    const r = asRecord(p) ?? {};
    const proto = str(r.protocol) ?? "";
    const nodePort = typeof r.nodePort === "number" && r.nodePort > 0 ? r.nodePort : 0;
    return nodePort ? `${String(r.port)}:${nodePort}/${proto}` : `${String(r.port)}/${proto}`;
  });
  return pieces.length ? pieces.join(",") : "<none>";
}

/** printers.go getServiceExternalIP, generated wide as server-side tables are. */
export function serviceExternalIP(obj: KubeObject): string {
  const spec = asRecord(obj.spec) ?? {};
  const externalIPs = (asArray(spec.externalIPs) ?? []).map(String);
  switch (spec.type) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = loadBalancerIngressString(asRecord(obj.status)?.loadBalancer);
      const all = [...(lb ? lb.split(",") : []), ...externalIPs];
      return all.length ? all.join(",") : "<pending>";
    }
    case "ExternalName":
      return str(spec.externalName) ?? "";
  }
  return "<unknown>";
}

export const services = resource({
  group: "",
  version: "v1",
  kind: "Service",
  listKind: "ServiceList",
  plural: "services",
  nameFormat: "dns1035-label",
  singular: "service",
  shortNames: ["svc"],
  categories: ["all"],
  namespaced: true,
  schema: serviceSchema,
  subresources: { status: true },
  printerColumns: [
    NAME_COLUMN,
    { name: "Type", type: "string", description: "type determines how the Service is exposed.", priority: 0 },
    { name: "Cluster-IP", type: "string", description: "clusterIP is the IP address of the service and is usually assigned randomly.", priority: 0 },
    { name: "External-IP", type: "string", description: "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.", priority: 0 },
    { name: "Port(s)", type: "string", description: "The list of ports that are exposed by this service.", priority: 0 },
    AGE_COLUMN,
    { name: "Selector", type: "string", description: "Route service traffic to pods with label keys and values matching this selector.", priority: 1 },
  ],
  printRow(o, now) {
    const spec = asRecord(o.spec) ?? {};
    const clusterIPs = asArray(spec.clusterIPs) ?? [];
    return [
      o.metadata.name ?? "",
      str(spec.type) ?? "",
      clusterIPs.length ? String(clusterIPs[0]) : "<none>",
      serviceExternalIP(o),
      servicePortsString(spec),
      age(o, now),
      formatLabels(spec.selector),
    ];
  },
  prepareForCreate(obj) {
    dropGeneration(obj);
    resetServiceStatus(obj);
    applyServiceDefaults(obj);
  },
  prepareForUpdate(obj, old) {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
    carryAllocatedValues(obj, old);
    applyServiceDefaults(obj);
  },
  validate: validateService,
});

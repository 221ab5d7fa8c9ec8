// Service defaults and validation (SetDefaults_Service, ValidateService, the REST layer's
// allocated-value carry-over), kept beside service.ts's table entry to stay readable.
import { NODE_PORT_RANGE } from "../../../shared/cluster-network";
import type { KubeObject } from "../types";
import {
  dns1123LabelCauses,
  dns1123SubdomainCauses,
  duplicate,
  forbidden,
  invalid,
  ipCauses,
  metadataNameCauses,
  isIP,
  portNumCauses,
  portNumOrNameCauses,
  qualifiedNameCauses,
  required,
  type Cause,
} from "./field-errors";
import { ensureRec, specOf } from "./prepare-helpers";
import { asArray, asRecord, str, type Json } from "../../../shared/json";

export const NODE_PORT_MIN = NODE_PORT_RANGE.min;
export const NODE_PORT_MAX = NODE_PORT_RANGE.max;
const CLIENT_IP_TIMEOUT_DEFAULT_SECONDS = 10800;
const CLIENT_IP_TIMEOUT_MAX_SECONDS = 86400;

const ports = (spec: Json | undefined): Json[] => (asArray(spec?.ports) ?? []).map(asRecord).filter((p): p is Json => p !== undefined);

export function isHeadless(spec: Json | undefined): boolean {
  return spec?.clusterIP === "None";
}

function needsClusterIP(spec: Json | undefined): boolean {
  return spec?.type !== "ExternalName";
}

function needsNodePorts(spec: Json | undefined): boolean {
  return spec?.type === "NodePort" || (spec?.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts !== false);
}

function externallyAccessible(spec: Json): boolean {
  return spec.type === "LoadBalancer" || spec.type === "NodePort" || (spec.type === "ClusterIP" && (asArray(spec.externalIPs) ?? []).length > 0);
}

/** SetDefaults_Service plus the IP-family fields the allocator fills on a single-stack IPv4 cluster. */
export function applyServiceDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  if (!spec) return;
  if (!spec.sessionAffinity) spec.sessionAffinity = "None";
  if (spec.sessionAffinity === "None") delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === "ClientIP" && asRecord(asRecord(asRecord(spec.sessionAffinityConfig)?.clientIP))?.timeoutSeconds === undefined) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: CLIENT_IP_TIMEOUT_DEFAULT_SECONDS } };
  }
  if (!spec.type) spec.type = "ClusterIP";
  for (const p of ports(spec)) {
    if (!p.protocol) p.protocol = "TCP";
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
  }
  if (externallyAccessible(spec) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = "Cluster";
  if (spec.internalTrafficPolicy === undefined && spec.type !== "ExternalName") spec.internalTrafficPolicy = "Cluster";
  if (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
  if (typeof spec.clusterIP === "string" && spec.clusterIP !== "" && (asArray(spec.clusterIPs) ?? []).length === 0) {
    spec.clusterIPs = [spec.clusterIP];
  }
  if (needsClusterIP(spec)) {
    const headlessNoSelector = isHeadless(spec) && Object.keys(asRecord(spec.selector) ?? {}).length === 0;
    if (spec.ipFamilyPolicy === undefined) spec.ipFamilyPolicy = headlessNoSelector ? "RequireDualStack" : "SingleStack";
    if (spec.ipFamilies === undefined) spec.ipFamilies = ["IPv4"];
  }
  const status = asRecord(obj.status);
  if (spec.type === "LoadBalancer" && status) {
    for (const ing of asArray(asRecord(status.loadBalancer)?.ingress) ?? []) {
      const r = asRecord(ing);
      if (r && r.ip && r.ipMode === undefined) r.ipMode = "VIP";
    }
  }
}

export function resetServiceStatus(obj: KubeObject): void {
  obj.status = { loadBalancer: {} };
}

/**
 * An update that omits allocated values keeps them (the REST layer's patchAllocatedValues),
 * and values a new type no longer uses are dropped (dropTypeDependentFields).
 */
export function carryAllocatedValues(obj: KubeObject, old: KubeObject): void {
  const spec = specOf(obj);
  const oldSpec = asRecord(old.spec);
  if (!spec || !oldSpec) return;
  const type = spec.type || "ClusterIP";
  const next = { ...spec, type };
  if (needsClusterIP(oldSpec) && needsClusterIP(next)) {
    if (!spec.clusterIP && oldSpec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    if ((asArray(spec.clusterIPs) ?? []).length === 0 && spec.clusterIP === oldSpec.clusterIP && oldSpec.clusterIPs) {
      spec.clusterIPs = structuredClone(oldSpec.clusterIPs);
    }
  }
  if (type === "ExternalName" && oldSpec.type !== "ExternalName") {
    if (spec.clusterIP === oldSpec.clusterIP) delete spec.clusterIP;
    if (JSON.stringify(spec.clusterIPs) === JSON.stringify(oldSpec.clusterIPs)) delete spec.clusterIPs;
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
  }
  const oldPorts = ports(oldSpec);
  if (needsNodePorts(oldSpec) && needsNodePorts(next)) {
    for (const p of ports(spec)) {
      if (p.nodePort) continue;
      const match = oldPorts.find((o) => o.port === p.port && (o.protocol ?? "TCP") === (p.protocol ?? "TCP"));
      if (match?.nodePort) p.nodePort = match.nodePort;
    }
    if (!spec.healthCheckNodePort && oldSpec.healthCheckNodePort) spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  } else if (needsNodePorts(oldSpec) && !needsNodePorts(next)) {
    for (const p of ports(spec)) {
      const match = oldPorts.find((o) => o.port === p.port && (o.protocol ?? "TCP") === (p.protocol ?? "TCP"));
      if (match && p.nodePort === match.nodePort) delete p.nodePort;
    }
  }
  if (type !== "LoadBalancer" && oldSpec.type === "LoadBalancer") {
    if (spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass === oldSpec.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (!externallyAccessible(next) && spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  ensureRec(obj, "status");
}

/** The one-line value Go prints for a duplicate ServicePort key. */
function servicePortKey(p: Json): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(p.protocol ?? "")}, AppProtocol:(*string)(nil), Port:${String(p.port)}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

function portCauses(spec: Json): Cause[] {
  const out: Cause[] = [];
  const list = ports(spec);
  const names = new Set<string>();
  const keys = new Set<string>();
  const nodePorts = new Set<string>();
  list.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    const name = str(p.name) ?? "";
    if (list.length > 1 && name === "") out.push(required(`${path}.name`));
    else if (name !== "") {
      out.push(...dns1123LabelCauses(`${path}.name`, name));
      if (names.has(name)) out.push(duplicate(`${path}.name`, name));
      names.add(name);
    }
    out.push(...portNumCauses(`${path}.port`, p.port));
    out.push(...portNumOrNameCauses(`${path}.targetPort`, p.targetPort));
    if (typeof p.appProtocol === "string") out.push(...qualifiedNameCauses(`${path}.appProtocol`, p.appProtocol));
    const nodePort = p.nodePort;
    if (typeof nodePort === "number" && nodePort !== 0) {
      if (spec.type === "ClusterIP") out.push(forbidden(`${path}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else if (nodePort < NODE_PORT_MIN || nodePort > NODE_PORT_MAX) {
        out.push(invalid(`${path}.nodePort`, nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`));
      }
      const nk = `${String(p.protocol)}/${nodePort}`;
      if (nodePorts.has(nk)) out.push(duplicate(`${path}.nodePort`, nodePort));
      nodePorts.add(nk);
    }
  });
  list.forEach((p, i) => {
    const key = `${String(p.protocol)}/${String(p.port)}`;
    if (keys.has(key)) out.push({ field: `spec.ports[${i}]`, reason: "FieldValueDuplicate", message: `Duplicate value: ${servicePortKey(p)}` });
    keys.add(key);
  });
  return out;
}

function clusterIPCauses(spec: Json): Cause[] {
  const out: Cause[] = [];
  const ips = (asArray(spec.clusterIPs) ?? []).map((v) => String(v));
  if (spec.type === "ExternalName") {
    if (ips.length > 0) out.push(forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
    if ((asArray(spec.ipFamilies) ?? []).length > 0) out.push(forbidden("spec.ipFamilies", "may not be set for ExternalName services"));
    if (spec.ipFamilyPolicy !== undefined) out.push(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"));
    const cname = (str(spec.externalName) ?? "").replace(/\.$/, "");
    if (cname) out.push(...dns1123SubdomainCauses("spec.externalName", cname));
    else out.push(required("spec.externalName"));
    return out;
  }
  if (ips.length > 0 && (spec.clusterIP ?? "") !== ips[0]) {
    out.push(invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"));
  }
  ips.forEach((ip, i) => {
    if (ip === "None" && i === 0) return;
    if (ip === "None") out.push(invalid(`spec.clusterIPs[${i}]`, ip, "must be empty, 'None', or a valid IP address"));
    else if (!isIP(ip)) out.push(invalid(`spec.clusterIPs[${i}]`, ip, "must be empty, 'None', or a valid IP address"));
  });
  if (ips.length > 2) out.push(invalid("spec.clusterIPs", ips, "may only hold up to 2 values"));
  return out;
}

export function validateService(obj: KubeObject, old?: KubeObject): Cause[] {
  const spec = asRecord(obj.spec) ?? {};
  const out: Cause[] = metadataNameCauses(obj.metadata.name, "dns1035");
  if (ports(spec).length === 0 && !isHeadless(spec) && spec.type !== "ExternalName") out.push(required("spec.ports"));
  out.push(...portCauses(spec));
  out.push(...clusterIPCauses(spec));
  (asArray(spec.externalIPs) ?? []).forEach((ip, i) => out.push(...ipCauses(`spec.externalIPs[${i}]`, String(ip))));
  const timeout = asRecord(asRecord(spec.sessionAffinityConfig)?.clientIP)?.timeoutSeconds;
  if (spec.sessionAffinity === "ClientIP" && (typeof timeout !== "number" || timeout <= 0 || timeout > CLIENT_IP_TIMEOUT_MAX_SECONDS)) {
    out.push(invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout, `must be greater than 0 and less than ${CLIENT_IP_TIMEOUT_MAX_SECONDS}`));
  }
  if (spec.type !== "LoadBalancer" && (asArray(spec.loadBalancerSourceRanges) ?? []).length > 0) {
    out.push(forbidden("spec.loadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.type === "LoadBalancer" && typeof spec.loadBalancerIP === "string" && spec.loadBalancerIP !== "") {
    out.push(...ipCauses("spec.loadBalancerIP", spec.loadBalancerIP));
  }
  if (!externallyAccessible(spec) && spec.externalTrafficPolicy) {
    out.push(invalid("spec.externalTrafficPolicy", spec.externalTrafficPolicy, "may only be set for externally-accessible services"));
  }
  if (old) out.push(...clusterIPUpdateCauses(spec, asRecord(old.spec) ?? {}));
  return out;
}

/** validateUpgradeDowngradeClusterIPs: an allocated primary clusterIP never changes. */
function clusterIPUpdateCauses(spec: Json, oldSpec: Json): Cause[] {
  if (spec.type === "ExternalName" || oldSpec.type === "ExternalName") return [];
  if (isHeadless(spec) && isHeadless(oldSpec)) return [];
  const ips = (asArray(spec.clusterIPs) ?? []).map(String);
  const oldIps = (asArray(oldSpec.clusterIPs) ?? []).map(String);
  if (oldIps.length === 0) return [];
  if (ips.length === 0) return [invalid("spec.clusterIPs[0]", ips, "primary clusterIP can not be unset")];
  const out: Cause[] = [];
  for (let i = 0; i < Math.min(ips.length, oldIps.length); i++) {
    if (ips[i] !== oldIps[i]) out.push(invalid(`spec.clusterIPs[${i}]`, ips, "may not change once set"));
  }
  return out;
}


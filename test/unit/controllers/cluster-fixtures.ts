// Object builders for the cluster controller tests (nodes, pods, services, volumes), so each
// table row states only what it is about.
import type { SnapshotEntry } from "./snapshot";
import type { KubeObject } from "../../../worker/resources/types";

export const NOW = new Date("2025-01-01T00:10:00Z");
export const REF = {
  pods: { group: "", resource: "pods" },
  nodes: { group: "", resource: "nodes" },
  services: { group: "", resource: "services" },
  endpoints: { group: "", resource: "endpoints" },
  endpointslices: { group: "discovery.k8s.io", resource: "endpointslices" },
  namespaces: { group: "", resource: "namespaces" },
  serviceaccounts: { group: "", resource: "serviceaccounts" },
  configmaps: { group: "", resource: "configmaps" },
  leases: { group: "coordination.k8s.io", resource: "leases" },
  pvs: { group: "", resource: "persistentvolumes" },
  pvcs: { group: "", resource: "persistentvolumeclaims" },
  storageclasses: { group: "storage.k8s.io", resource: "storageclasses" },
  replicasets: { group: "apps", resource: "replicasets" },
  deployments: { group: "apps", resource: "deployments" },
} as const;

type Extra = Record<string, unknown>;

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: string;
  ready?: "True" | "False" | "Unknown";
  labels?: Record<string, string>;
  taints?: Extra[];
  unschedulable?: boolean;
  addresses?: Extra[];
  heartbeat?: string;
}

export function node(name: string, o: NodeOpts = {}): SnapshotEntry {
  return {
    ref: REF.nodes,
    object: {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, uid: `uid-${name}`, resourceVersion: "1", labels: { "kubernetes.io/hostname": name, ...o.labels }, creationTimestamp: "2025-01-01T00:00:00Z" },
      spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
      status: {
        allocatable: { cpu: o.cpu ?? "4", memory: o.memory ?? "8Gi", pods: o.pods ?? "110" },
        conditions: [{ type: "Ready", status: o.ready ?? "True", reason: "KubeletReady", lastHeartbeatTime: o.heartbeat ?? "2025-01-01T00:09:50Z", lastTransitionTime: "2025-01-01T00:00:00Z" }],
        addresses: o.addresses ?? [{ type: "InternalIP", address: "192.168.0.10" }],
      },
    },
  };
}

export interface PodOpts {
  ns?: string;
  node?: string;
  cpu?: string;
  memory?: string;
  owner?: string;
  labels?: Record<string, string>;
  spec?: Extra;
  status?: Extra;
  deleting?: string;
  ip?: string;
  ready?: boolean;
}

export function pod(name: string, o: PodOpts = {}): SnapshotEntry {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  const status: Extra = { phase: o.node ? "Running" : "Pending", ...o.status };
  if (o.ip) status.podIP = o.ip;
  if (o.ready !== undefined) status.conditions = [{ type: "Ready", status: o.ready ? "True" : "False" }];
  return {
    ref: REF.pods,
    object: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: o.ns ?? "default",
        uid: `uid-${name}`,
        resourceVersion: "1",
        creationTimestamp: "2025-01-01T00:01:00Z",
        labels: o.labels ?? {},
        ...(o.owner ? { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: o.owner, uid: `uid-${o.owner}`, controller: true, blockOwnerDeletion: true }] } : {}),
        ...(o.deleting ? { deletionTimestamp: o.deleting } : {}),
      },
      spec: { containers: [{ name: "c", image: "nginx", resources: { requests } }], ...(o.node ? { nodeName: o.node } : {}), ...o.spec },
      status,
    },
  };
}

export function obj(ref: { group: string; resource: string }, kind: string, name: string, body: Extra = {}, meta: Extra = {}): SnapshotEntry {
  const apiVersion = ref.group ? `${ref.group}/v1` : "v1";
  const object: KubeObject = { apiVersion, kind, metadata: { name, uid: `uid-${name}`, resourceVersion: "1", ...meta }, ...body };
  return { ref, object };
}

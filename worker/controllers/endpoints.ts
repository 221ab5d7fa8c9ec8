// The endpoints and endpointslice controllers in one pass (pkg/controller/endpoint,
// pkg/controller/endpointslice): each selector Service's pods become ready / not-ready
// addresses with per-pod resolved ports, written as Endpoints and as EndpointSlices.
import { deepEqual } from "../../shared/deep-equal";
import { labelSelectorFromSpec, matchLabels } from "../../shared/selectors";
import type { KubeObject } from "../resources/types";
import { conditionOf, ENDPOINT_SLICES, ENDPOINTS, isDeleting, isTerminal, NAMESPACES, PODS, SERVICES, stringMap } from "./controller-util";
import { records, rec, str, type Json } from "../../shared/json";
import type { Action, Controller, ControllerConfig, Snapshot } from "./types";

/** Upstream (1.33+) marks controller-written Endpoints with this label; we delete only those. */
export const ENDPOINTS_MANAGED_BY = "endpoints.kubernetes.io/managed-by";
export const ENDPOINTS_CONTROLLER = "endpoint-controller";
export const SLICE_MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
export const SLICE_CONTROLLER = "endpointslice-controller.k8s.io";
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

interface Address {
  ip: string;
  nodeName?: string;
  hostname?: string;
  targetRef: Json;
  ready: boolean;
  terminating: boolean;
}

interface Group {
  ports: Json[];
  addresses: Address[];
}

/** podutil: a container port number by name, for a Service's named targetPort. */
function resolvePort(pod: KubeObject, target: unknown, fallback: number): number | undefined {
  if (typeof target === "number") return target;
  if (typeof target !== "string" || target === "") return fallback;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of records(rec(pod.spec).containers)) for (const p of records(c.ports)) if (p.name === target && typeof p.containerPort === "number") return p.containerPort;
  return undefined;
}

/** Groups each usable pod by its resolved port set (RepackSubsets). */
function groupPods(svc: KubeObject, pods: readonly KubeObject[]): Group[] {
  const spec = rec(svc.spec);
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const groups = new Map<string, Group>();
  for (const pod of pods) {
    const status = rec(pod.status);
    const ip = str(status.podIP);
    if (!ip || isTerminal(pod)) continue;
    const terminating = isDeleting(pod);
    if (terminating && !publishNotReady) continue;
    const ready = publishNotReady || (!terminating && str(conditionOf(pod, "Ready")?.status) === "True");
    const ports: Json[] = [];
    for (const sp of records(spec.ports)) {
      const port = resolvePort(pod, sp.targetPort, typeof sp.port === "number" ? sp.port : 0);
      if (port === undefined) continue;
      ports.push({ ...(str(sp.name) ? { name: sp.name } : {}), port, protocol: str(sp.protocol) ?? "TCP", ...(str(sp.appProtocol) ? { appProtocol: sp.appProtocol } : {}) });
    }
    if (records(spec.ports).length > 0 && ports.length === 0) continue;
    ports.sort((a, b) => (String(a.name ?? "") < String(b.name ?? "") ? -1 : String(a.name ?? "") > String(b.name ?? "") ? 1 : Number(a.port) - Number(b.port)));
    const podSpec = rec(pod.spec);
    const hostname = str(podSpec.hostname) && str(podSpec.subdomain) === svc.metadata.name ? str(podSpec.hostname) : undefined;
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, addresses: [] }));
    group.addresses.push({
      ip,
      ...(str(podSpec.nodeName) ? { nodeName: str(podSpec.nodeName) } : {}),
      ...(hostname ? { hostname } : {}),
      targetRef: { kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
      ready,
      terminating,
    });
  }
  const out = [...groups.values()].sort((a, b) => (JSON.stringify(a.ports) < JSON.stringify(b.ports) ? -1 : 1));
  for (const g of out) g.addresses.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  return out;
}

function endpointAddress(a: Address): Json {
  return { ip: a.ip, ...(a.hostname ? { hostname: a.hostname } : {}), ...(a.nodeName ? { nodeName: a.nodeName } : {}), targetRef: a.targetRef };
}

function subsetsOf(groups: readonly Group[]): Json[] {
  return groups.map((g) => {
    const ready = g.addresses.filter((a) => a.ready).map(endpointAddress);
    const notReady = g.addresses.filter((a) => !a.ready).map(endpointAddress);
    return { ...(ready.length ? { addresses: ready } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ...(g.ports.length ? { ports: g.ports } : {}) };
  });
}

function endpointLabels(svc: KubeObject, extra: Record<string, string>): Record<string, string> {
  const labels = { ...svc.metadata.labels, ...extra };
  if (rec(svc.spec).clusterIP === "None") labels["service.kubernetes.io/headless"] = "";
  return labels;
}

function sliceOf(svc: KubeObject, group: Group): Json {
  return {
    addressType: "IPv4",
    endpoints: group.addresses.map((a) => ({
      addresses: [a.ip],
      conditions: { ready: a.ready, serving: a.ready || a.terminating, terminating: a.terminating },
      ...(a.hostname ? { hostname: a.hostname } : {}),
      ...(a.nodeName ? { nodeName: a.nodeName } : {}),
      targetRef: a.targetRef,
    })),
    // The API defaults a slice port's name to "" (endpointslice.ts applyDefaults): match it, or every pass rewrites.
    ports: group.ports.map((p) => ({ name: "", ...p })),
  };
}

function isSelectorService(svc: KubeObject): boolean {
  const spec = rec(svc.spec);
  // An absent or empty selector means the user manages the Endpoints (upstream: nil selector).
  return spec.type !== "ExternalName" && Object.keys(stringMap(spec.selector)).length > 0;
}

function reconcileSlices(svc: KubeObject, groups: readonly Group[], existing: KubeObject[], actions: Action[], budget: { creates: number }): void {
  const labels = endpointLabels(svc, { [SERVICE_NAME_LABEL]: svc.metadata.name ?? "", [SLICE_MANAGED_BY]: SLICE_CONTROLLER });
  const unused = [...existing];
  const wanted = groups.length > 0 ? groups : [{ ports: [], addresses: [] }];
  for (const g of wanted) {
    const body = sliceOf(svc, g);
    const i = unused.findIndex((s) => deepEqual(s.ports ?? [], body.ports));
    const current = i >= 0 ? unused.splice(i, 1)[0] : unused.shift();
    if (current) {
      const next = { ...current, ...body, metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...labels } } };
      if (!deepEqual(next, current)) actions.push({ type: "update", ref: ENDPOINT_SLICES, object: next });
      continue;
    }
    if (budget.creates <= 0) continue;
    budget.creates--;
    const ownerReferences = [{ apiVersion: "v1", kind: "Service", name: svc.metadata.name ?? "", uid: svc.metadata.uid ?? "", controller: true, blockOwnerDeletion: true }];
    actions.push({
      type: "create",
      ref: ENDPOINT_SLICES,
      object: { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { generateName: `${(svc.metadata.name ?? "").slice(0, 57)}-`, namespace: svc.metadata.namespace, labels, ownerReferences }, ...body },
    });
  }
  for (const s of unused) actions.push({ type: "delete", ref: ENDPOINT_SLICES, namespace: s.metadata.namespace, name: s.metadata.name ?? "", uid: s.metadata.uid });
}

export function reconcileEndpoints(snapshot: Snapshot, config: ControllerConfig): Action[] {
  const actions: Action[] = [];
  const budget = { creates: config.maxCreatesPerPass };
  const podsByNs = new Map<string, KubeObject[]>();
  for (const p of snapshot.list(PODS)) {
    const ns = p.metadata.namespace ?? "";
    const list = podsByNs.get(ns);
    if (list) list.push(p);
    else podsByNs.set(ns, [p]);
  }
  const slicesBySvc = new Map<string, KubeObject[]>();
  for (const s of snapshot.list(ENDPOINT_SLICES)) {
    const labels = s.metadata.labels ?? {};
    if (labels[SLICE_MANAGED_BY] !== SLICE_CONTROLLER || !labels[SERVICE_NAME_LABEL]) continue;
    const key = `${s.metadata.namespace}/${labels[SERVICE_NAME_LABEL]}`;
    slicesBySvc.set(key, [...(slicesBySvc.get(key) ?? []), s]);
  }
  const handled = new Set<string>();
  for (const svc of snapshot.list(SERVICES)) {
    const ns = svc.metadata.namespace ?? "";
    const name = svc.metadata.name ?? "";
    if (!isSelectorService(svc)) continue;
    handled.add(`${ns}/${name}`);
    if (isDeleting(svc) || isDeleting(snapshot.get(NAMESPACES, undefined, ns) ?? svc)) continue;
    const selector = labelSelectorFromSpec({ matchLabels: stringMap(rec(svc.spec).selector) });
    const groups = groupPods(svc, (podsByNs.get(ns) ?? []).filter((p) => matchLabels(selector, p.metadata.labels)));
    const subsets = subsetsOf(groups);
    const labels = endpointLabels(svc, { [ENDPOINTS_MANAGED_BY]: ENDPOINTS_CONTROLLER });
    const current = snapshot.get(ENDPOINTS, ns, name);
    if (!current) {
      if (budget.creates > 0) {
        budget.creates--;
        actions.push({ type: "create", ref: ENDPOINTS, object: { apiVersion: "v1", kind: "Endpoints", metadata: { name, namespace: ns, labels }, subsets } });
      }
    } else {
      const next = { ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...labels } }, subsets };
      if (!deepEqual(next, { ...current, subsets: current.subsets ?? [] })) actions.push({ type: "update", ref: ENDPOINTS, object: next });
    }
    reconcileSlices(svc, groups, slicesBySvc.get(`${ns}/${name}`) ?? [], actions, budget);
  }
  for (const ep of snapshot.list(ENDPOINTS)) {
    const key = `${ep.metadata.namespace}/${ep.metadata.name}`;
    if (handled.has(key) || ep.metadata.labels?.[ENDPOINTS_MANAGED_BY] !== ENDPOINTS_CONTROLLER) continue;
    actions.push({ type: "delete", ref: ENDPOINTS, namespace: ep.metadata.namespace, name: ep.metadata.name ?? "", uid: ep.metadata.uid });
  }
  for (const [key, slices] of slicesBySvc) {
    if (handled.has(key)) continue;
    for (const s of slices) actions.push({ type: "delete", ref: ENDPOINT_SLICES, namespace: s.metadata.namespace, name: s.metadata.name ?? "", uid: s.metadata.uid });
  }
  return actions;
}

export const endpointsController: Controller = {
  name: "endpoints",
  watches: [SERVICES, PODS, ENDPOINTS, ENDPOINT_SLICES, NAMESPACES],
  reconcile: ({ snapshot, config }) => ({ actions: reconcileEndpoints(snapshot, config) }),
};

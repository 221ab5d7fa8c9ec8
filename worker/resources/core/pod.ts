// Pod (core/v1): the table entry. Status column follows kubectl's printPod (Init:x/y,
// CrashLoopBackOff, Completed, Terminating, …); the spec is immutable after creation except
// for the fields upstream allows (images, activeDeadlineSeconds, tolerations added).
import { deepEqual } from "../../lib/deep-equal";
import { AGE_COLUMN, NAME_COLUMN, age, objectSchema, resource } from "../meta";
import { forbidden, metadataNameCauses, type Cause } from "../shared/cfg-causes";
import { since } from "../shared/cfg-print";
import { arr, rec, str, type Json } from "../shared/cfg-util";
import { parseQuantity } from "../shared/cfg-quantity";
import type { KubeObject } from "../types";
import { applyPodSpecDefaults, podSpecSchema, podStatusSchema, validatePodSpec } from "./pod-spec";

export { containerSchema, podSpecSchema, podTemplateSpecSchema } from "./pod-spec";

export const podSchema = objectSchema({
  spec: podSpecSchema.optional(),
  status: podStatusSchema.optional(),
});

/** DefaultTolerationSeconds admission: pods tolerate an unreachable/not-ready node for 300 s. */
const DEFAULT_TOLERATION_SECONDS = 300;

function addDefaultTolerations(spec: Json): void {
  const tolerations = (arr(spec.tolerations) ?? []) as Json[];
  for (const key of ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]) {
    if (tolerations.some((t) => t.key === key && (t.effect === "NoExecute" || t.effect === undefined))) continue;
    tolerations.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  spec.tolerations = tolerations;
}

/** QoS class from requests and limits, as kubelet's GetPodQOS computes it. */
export function qosClass(spec: Json): "Guaranteed" | "Burstable" | "BestEffort" {
  const containers = [...(arr(spec.initContainers) ?? []), ...(arr(spec.containers) ?? [])].map((c) => rec(c) ?? {});
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const res = rec(c.resources) ?? {};
    const limits = rec(res.limits) ?? {};
    const requests = rec(res.requests) ?? {};
    for (const name of ["cpu", "memory"]) {
      const l = limits[name];
      const r = requests[name];
      if (l !== undefined || r !== undefined) any = true;
      if (l === undefined || (r !== undefined && parseQuantity(String(r)) !== parseQuantity(String(l)))) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; running?: unknown; terminated?: { reason?: string; exitCode?: number; signal?: number; finishedAt?: string } };
  lastState?: { terminated?: { finishedAt?: string } };
}

/** kubectl's printPod: the STATUS cell and the RESTARTS cell. */
export function podStatusCells(pod: KubeObject, now: Date): { ready: string; status: string; restarts: string } {
  const spec = rec(pod.spec) ?? {};
  const status = rec(pod.status) ?? {};
  const containers = arr(spec.containers) ?? [];
  let reason = str(status.reason) ?? str(status.phase) ?? "Pending";
  let restarts = 0;
  let lastRestart: string | undefined;
  let readyCount = 0;
  const noteRestart = (cs: ContainerStatus) => {
    restarts += cs.restartCount ?? 0;
    const finished = cs.lastState?.terminated?.finishedAt;
    if (finished && (!lastRestart || finished > lastRestart)) lastRestart = finished;
  };

  const initStatuses = (arr(status.initContainerStatuses) ?? []) as ContainerStatus[];
  const initCount = (arr(spec.initContainers) ?? []).length;
  let initializing = false;
  initStatuses.forEach((cs, i) => {
    noteRestart(cs);
    const t = cs.state?.terminated;
    if (t && t.exitCode === 0) return;
    if (initializing) return;
    if (t) reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    else if (cs.state?.waiting?.reason && cs.state.waiting.reason !== "PodInitializing") reason = `Init:${cs.state.waiting.reason}`;
    else reason = `Init:${i}/${initCount}`;
    initializing = true;
  });

  if (!initializing) {
    restarts = 0;
    let hasRunning = false;
    const statuses = (arr(status.containerStatuses) ?? []) as ContainerStatus[];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      noteRestart(cs);
      const waiting = cs.state?.waiting?.reason;
      const terminated = cs.state?.terminated;
      if (waiting) reason = waiting;
      else if (terminated) reason = terminated.reason ?? (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`);
      else if (cs.ready && cs.state?.running !== undefined) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === "Completed" && hasRunning) {
      const readyCondition = (arr(status.conditions) ?? []).map((c) => rec(c) ?? {}).find((c) => c.type === "Ready");
      reason = readyCondition?.status === "True" ? "Running" : "NotReady";
    }
  }
  if (pod.metadata.deletionTimestamp) reason = status.reason === "NodeLost" ? "Unknown" : "Terminating";
  const restartText = lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${readyCount}/${containers.length}`, status: reason, restarts: restartText };
}

function readinessGates(pod: KubeObject): string {
  const gates = (arr(rec(pod.spec)?.readinessGates) ?? []).map((g) => str(rec(g)?.conditionType) ?? "");
  if (gates.length === 0) return "<none>";
  const conditions = (arr(rec(pod.status)?.conditions) ?? []).map((c) => rec(c) ?? {});
  const ready = gates.filter((g) => conditions.some((c) => c.type === g && c.status === "True")).length;
  return `${ready}/${gates.length}`;
}

/** Pod spec fields an update may change (ValidatePodUpdate); everything else is frozen. */
function mutableView(spec: Json): Json {
  const copy = structuredClone(spec);
  for (const list of ["containers", "initContainers"]) for (const c of arr(copy[list]) ?? []) delete (rec(c) ?? {}).image;
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  delete copy.schedulingGates;
  return copy;
}

export const pods = resource({
  group: "",
  version: "v1",
  kind: "Pod",
  listKind: "PodList",
  plural: "pods",
  singular: "pod",
  shortNames: ["po"],
  categories: ["all"],
  namespaced: true,
  schema: podSchema,
  subresources: { status: true },
  selectableFields: {
    "spec.nodeName": (o) => str(rec(o.spec)?.nodeName) ?? "",
    "spec.restartPolicy": (o) => str(rec(o.spec)?.restartPolicy) ?? "",
    "spec.schedulerName": (o) => str(rec(o.spec)?.schedulerName) ?? "",
    "spec.serviceAccountName": (o) => str(rec(o.spec)?.serviceAccountName) ?? "",
    "spec.hostNetwork": (o) => String(rec(o.spec)?.hostNetwork === true),
    "status.phase": (o) => str(rec(o.status)?.phase) ?? "",
    "status.podIP": (o) => str(rec(o.status)?.podIP) ?? "",
    "status.nominatedNodeName": (o) => str(rec(o.status)?.nominatedNodeName) ?? "",
  },
  printerColumns: [
    NAME_COLUMN,
    { name: "Ready", type: "string", description: "The aggregate readiness state of this pod for accepting traffic.", priority: 0 },
    { name: "Status", type: "string", description: "The aggregate status of the containers in this pod.", priority: 0 },
    { name: "Restarts", type: "string", description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", priority: 0 },
    AGE_COLUMN,
    { name: "IP", type: "string", description: "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", priority: 1 },
    { name: "Node", type: "string", description: "NodeName is a request to schedule this pod onto a specific node.", priority: 1 },
    { name: "Nominated Node", type: "string", description: "nominatedNodeName is set only when this pod preempts other pods on the node.", priority: 1 },
    { name: "Readiness Gates", type: "string", description: "If specified, all readiness gates will be evaluated for pod readiness.", priority: 1 },
  ],
  printRow(o, now) {
    const cells = podStatusCells(o, now);
    const status = rec(o.status) ?? {};
    return [
      o.metadata.name ?? "",
      cells.ready,
      cells.status,
      cells.restarts,
      age(o, now),
      str(status.podIP) || "<none>",
      str(rec(o.spec)?.nodeName) || "<none>",
      str(status.nominatedNodeName) || "<none>",
      readinessGates(o),
    ];
  },
  prepareForCreate(obj) {
    const spec = (rec(obj.spec) ?? {}) as Json;
    obj.spec = spec;
    applyPodSpecDefaults(spec);
    spec.serviceAccountName ??= "default";
    spec.serviceAccount = spec.serviceAccountName;
    spec.priority ??= 0;
    spec.preemptionPolicy ??= "PreemptLowerPriority";
    addDefaultTolerations(spec);
    obj.status = { phase: "Pending", qosClass: qosClass(spec) };
    delete obj.metadata.generation;
  },
  prepareForUpdate(obj, old) {
    obj.status = old.status;
    if (obj.status === undefined) delete obj.status;
    const spec = (rec(obj.spec) ?? {}) as Json;
    obj.spec = spec;
    applyPodSpecDefaults(spec);
    delete obj.metadata.generation;
  },
  validate(obj, old) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    causes.push(...validatePodSpec("spec", rec(obj.spec)));
    if (old && !deepEqual(mutableView(rec(obj.spec) ?? {}), mutableView(rec(old.spec) ?? {}))) {
      causes.push(
        forbidden(
          "spec",
          "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
        ),
      );
    }
    return causes;
  },
});

// Pod (core/v1): the table entry. Defaults are SetDefaults_Pod plus what admission adds
// (service account, priority, default tolerations); the spec is frozen after creation
// except what ValidatePodUpdate allows; STATUS/RESTARTS are computed as kubectl's printPod.
import { AGE_COLUMN, NAME_COLUMN, age, objectSchema, resource } from "../meta";
import { metadataNameCauses, type Cause } from "../shared/field-errors";
import { specOf } from "../shared/prepare-helpers";
import { asArray, asRecord, str, type Json } from "../../../shared/json";
import { applyPodOnlyDefaults, applyPodSpecDefaults } from "../shared/pod-defaults";
import { podIPCell, podStatusCells, qosClass, readinessGatesCell } from "../shared/pod-print";
import { podSpecSchema, podStatusSchema } from "../shared/pod-spec-schema";
import { validatePodUpdate } from "../shared/pod-update";
import { validatePodSpec } from "../shared/pod-validation";
import type { KubeObject } from "../types";

export { containerSchema, ephemeralContainerSchema } from "../shared/pod-container-schema";
export { podSpecSchema, podStatusSchema, podTemplateSpecSchema } from "../shared/pod-spec-schema";
export { applyPodSpecDefaults } from "../shared/pod-defaults";
export { validatePodSpec } from "../shared/pod-validation";
export { podStatusCells, qosClass } from "../shared/pod-print";

export const podSchema = objectSchema({
  spec: podSpecSchema.optional(),
  status: podStatusSchema.optional(),
});

/** DefaultTolerationSeconds admission: pods ride out a not-ready/unreachable node for 300 s. */
const DEFAULT_TOLERATION_SECONDS = 300;
const DEFAULT_TOLERATION_KEYS = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];

/** The Priority admission plugin's built-in classes; any other class name resolves to 0 here. */
const SYSTEM_PRIORITIES: Record<string, number> = {
  "system-node-critical": 2000001000,
  "system-cluster-critical": 2000000000,
};

function addDefaultTolerations(spec: Json, seconds: number): void {
  const tolerations = (asArray(spec.tolerations) ?? []).slice();
  for (const key of DEFAULT_TOLERATION_KEYS) {
    const covered = tolerations.some((raw) => {
      const t = asRecord(raw) ?? {};
      const matchesKey = t.key === key || (t.key === undefined && t.operator === "Exists");
      return matchesKey && (t.effect === "NoExecute" || t.effect === undefined || t.effect === "");
    });
    if (!covered) tolerations.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: seconds });
  }
  spec.tolerations = tolerations;
}

function applyPodDefaults(spec: Json, tolerationSeconds = DEFAULT_TOLERATION_SECONDS): void {
  applyPodSpecDefaults(spec);
  applyPodOnlyDefaults(spec);
  addDefaultTolerations(spec, tolerationSeconds);
}

function specStr(o: KubeObject, key: string): string {
  return str(asRecord(o.spec)?.[key]) ?? "";
}

function statusStr(o: KubeObject, key: string): string {
  return str(asRecord(o.status)?.[key]) ?? "";
}

/** The pod spec's default terminationGracePeriodSeconds. */
const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

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
  subresources: { status: true, binding: true, log: true, exec: true, attach: true, portforward: true },
  indexedFields: ["spec.nodeName"],
  selectableFields: {
    "spec.nodeName": (o) => specStr(o, "nodeName"),
    "spec.restartPolicy": (o) => specStr(o, "restartPolicy"),
    "spec.schedulerName": (o) => specStr(o, "schedulerName"),
    "spec.serviceAccountName": (o) => specStr(o, "serviceAccountName"),
    "spec.hostNetwork": (o) => String(asRecord(o.spec)?.hostNetwork === true),
    "status.phase": (o) => statusStr(o, "phase"),
    "status.podIP": (o) => str(asRecord((asArray(asRecord(o.status)?.podIPs) ?? [])[0])?.ip) ?? statusStr(o, "podIP"),
    "status.nominatedNodeName": (o) => statusStr(o, "nominatedNodeName"),
  },
  printerColumns: [
    NAME_COLUMN,
    { name: "Ready", type: "string", description: "The aggregate readiness state of this pod for accepting traffic.", priority: 0 },
    { name: "Status", type: "string", description: "The aggregate status of the containers in this pod.", priority: 0 },
    {
      name: "Restarts",
      type: "string",
      description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
      priority: 0,
    },
    AGE_COLUMN,
    { name: "IP", type: "string", description: "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", priority: 1 },
    { name: "Node", type: "string", description: "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename", priority: 1 },
    { name: "Nominated Node", type: "string", description: "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.", priority: 1 },
    { name: "Readiness Gates", type: "string", description: "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates", priority: 1 },
  ],
  printRow(o, now) {
    const cells = podStatusCells(o, now);
    return [
      o.metadata.name ?? "",
      cells.ready,
      cells.status,
      cells.restarts,
      age(o, now),
      podIPCell(o),
      specStr(o, "nodeName") || "<none>",
      statusStr(o, "nominatedNodeName") || "<none>",
      readinessGatesCell(o),
    ];
  },
  checkGracefulDelete(obj, requested) {
    // Only a pod a node runs has containers to stop; the node deletes it once they have stopped.
    if (!specStr(obj, "nodeName")) return undefined;
    const own = asRecord(obj.spec)?.terminationGracePeriodSeconds;
    return requested ?? (typeof own === "number" ? own : DEFAULT_TERMINATION_GRACE_SECONDS);
  },
  prepareForCreate(obj, ctx) {
    const spec = specOf(obj);
    if (!spec) return;
    applyPodDefaults(spec, ctx.defaultTolerationSeconds);
    // A negative grace period means "immediately"; upstream stores it as 1.
    if (typeof spec.terminationGracePeriodSeconds === "number" && spec.terminationGracePeriodSeconds < 0) spec.terminationGracePeriodSeconds = 1;
    // ServiceAccount admission: every pod runs as some account.
    if (!spec.serviceAccountName) spec.serviceAccountName = "default";
    spec.serviceAccount = spec.serviceAccountName;
    // Priority admission: resolve the class to a number, with the preemption default.
    const className = str(spec.priorityClassName);
    if (spec.priority === undefined || spec.priority === null) spec.priority = (className && SYSTEM_PRIORITIES[className]) || 0;
    if (!spec.preemptionPolicy) spec.preemptionPolicy = "PreemptLowerPriority";
    obj.status = { phase: "Pending", qosClass: qosClass(spec) };
    // Pods carry no metadata.generation before 1.33 (PodGeneration feature).
    delete obj.metadata.generation;
  },
  prepareForUpdate(obj, old) {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
    const spec = specOf(obj);
    const oldSpec = asRecord(old.spec) ?? {};
    if (spec) {
      applyPodDefaults(spec);
      // Admission fills these on create only; an update that omits them keeps the stored values.
      for (const key of ["serviceAccountName", "serviceAccount", "priority", "preemptionPolicy"]) {
        if (spec[key] === undefined && oldSpec[key] !== undefined) spec[key] = oldSpec[key];
      }
    }
    delete obj.metadata.generation;
  },
  validate(obj, old) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    const spec = asRecord(obj.spec);
    causes.push(...validatePodSpec("spec", spec));
    if (old && spec) {
      // Compare against the stored spec as today's defaults would leave it, so an object
      // stored before a new default existed can still be updated.
      const oldSpec = structuredClone(asRecord(old.spec) ?? {});
      applyPodDefaults(oldSpec);
      causes.push(...validatePodUpdate(spec, oldSpec));
    }
    return causes;
  },
});

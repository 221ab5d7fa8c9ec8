// The PersistentVolume binder and provisioner (pkg/controller/volume/persistentvolume): claims
// bind to the smallest fitting volume (or a pre-bound one), ours get provisioned, released
// volumes are retained, deleted or recycled. Each object gets at most one write per pass.
import { deepEqual } from "../../shared/deep-equal";
import { labelSelectorFromSpec, matchLabels, type LabelSelectorSpec } from "../../shared/selectors";
import type { KubeObject } from "../resources/types";
import { isDeleting, NODES, PODS, PVCS, PVS, quantity, STORAGE_CLASSES } from "./controller-util";
import { isRecord, rec, str, strings, type Json } from "../../shared/json";
import { SELECTED_NODE_ANNOTATION } from "./scheduler";
import { matchNodeSelectorTerms } from "./scheduler-nodes";
import type { Action, Controller, ControllerConfig, Snapshot } from "./types";
import { isOurProvisioner, provision } from "./volume-provisioning";

export const BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller";
export const BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
export const STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner";

function claimRefOf(pv: KubeObject): Json | undefined {
  const ref = rec(pv.spec).claimRef;
  return isRecord(ref) ? ref : undefined;
}

function refersTo(ref: Json | undefined, pvc: KubeObject): boolean {
  return !!ref && ref.name === pvc.metadata.name && ref.namespace === pvc.metadata.namespace && (!str(ref.uid) || ref.uid === pvc.metadata.uid);
}

function requestOf(pvc: KubeObject): number {
  return quantity(rec(rec(rec(pvc.spec).resources).requests).storage);
}

function capacityOf(pv: KubeObject): number {
  return quantity(rec(rec(pv.spec).capacity).storage);
}

/** checkVolumeSatisfyClaim + FindMatchingVolume's filters. */
function satisfies(pv: KubeObject, pvc: KubeObject, node: KubeObject | undefined): boolean {
  const pvSpec = rec(pv.spec);
  const spec = rec(pvc.spec);
  if ((str(pvSpec.storageClassName) ?? "") !== (str(spec.storageClassName) ?? "")) return false;
  if ((str(pvSpec.volumeMode) ?? "Filesystem") !== (str(spec.volumeMode) ?? "Filesystem")) return false;
  const modes = new Set(strings(pvSpec.accessModes));
  if (!strings(spec.accessModes).every((m) => modes.has(m))) return false;
  if (capacityOf(pv) < requestOf(pvc)) return false;
  if (isRecord(spec.selector) && !matchLabels(labelSelectorFromSpec(spec.selector as LabelSelectorSpec), pv.metadata.labels)) return false;
  const terms = rec(rec(pvSpec.nodeAffinity).required).nodeSelectorTerms;
  if (node && Array.isArray(terms) && !matchNodeSelectorTerms(terms.filter(isRecord), node.metadata.name ?? "", node.metadata.labels ?? {})) return false;
  return true;
}

function withAnnotation(o: KubeObject, annotations: Record<string, string>): KubeObject {
  return { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...annotations } } };
}

function claimRef(pvc: KubeObject): Json {
  return { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion };
}

export function reconcileVolumes(snapshot: Snapshot, config: ControllerConfig): Action[] {
  const actions: Action[] = [];
  const written = new Set<string>();
  const pvs = snapshot.list(PVS);
  let creates = config.maxCreatesPerPass;
  const writePv = (action: Action, pv: KubeObject) => {
    if (written.has(pv.metadata.name ?? "")) return;
    written.add(pv.metadata.name ?? "");
    actions.push(action);
  };
  const bindPv = (pv: KubeObject, pvc: KubeObject, byController: boolean) => {
    const next = { ...pv, spec: { ...rec(pv.spec), claimRef: claimRef(pvc) } };
    writePv({ type: "update", ref: PVS, object: byController ? withAnnotation(next, { [BOUND_BY_CONTROLLER]: "yes" }) : next }, pv);
  };

  for (const pvc of snapshot.list(PVCS)) {
    if (isDeleting(pvc)) continue;
    const spec = rec(pvc.spec);
    const status = rec(pvc.status);
    const volumeName = str(spec.volumeName);
    if (volumeName) {
      const pv = snapshot.get(PVS, undefined, volumeName);
      const ref = pv && claimRefOf(pv);
      if (!pv) {
        if (status.phase === "Bound") actions.push({ type: "updateStatus", ref: PVCS, object: { ...pvc, status: { ...status, phase: "Lost" } } });
      } else if (ref && ref.uid === pvc.metadata.uid) {
        const next = { ...status, phase: "Bound", accessModes: strings(rec(pv.spec).accessModes), capacity: rec(rec(pv.spec).capacity) };
        if (!deepEqual(next, status)) actions.push({ type: "updateStatus", ref: PVCS, object: { ...pvc, status: next } });
      } else if (refersTo(ref, pvc) || (!ref && satisfies(pv, pvc, undefined))) {
        bindPv(pv, pvc, false); // the claim names this volume: finish the bind from the volume's side
      }
      continue;
    }
    // A volume already pre-bound to this claim (by us, by a provisioner, or by the user).
    const reserved = pvs.find((pv) => !isDeleting(pv) && refersTo(claimRefOf(pv), pvc));
    if (reserved) {
      if (claimRefOf(reserved)?.uid === pvc.metadata.uid) {
        const next = withAnnotation({ ...pvc, spec: { ...spec, volumeName: reserved.metadata.name } }, { [BIND_COMPLETED]: "yes", [BOUND_BY_CONTROLLER]: "yes" });
        actions.push({ type: "update", ref: PVCS, object: next });
      } else bindPv(reserved, pvc, false);
      continue;
    }
    const className = str(spec.storageClassName) ?? "";
    const sc = className ? snapshot.get(STORAGE_CLASSES, undefined, className) : undefined;
    const delayed = str(sc?.volumeBindingMode) === "WaitForFirstConsumer";
    const selectedName = pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    const selectedNode = selectedName ? snapshot.get(NODES, undefined, selectedName) : undefined;
    if (!delayed || selectedName) {
      const best = pvs
        .filter((pv) => !isDeleting(pv) && !claimRefOf(pv) && !written.has(pv.metadata.name ?? "") && (rec(pv.status).phase ?? "Available") === "Available")
        .filter((pv) => satisfies(pv, pvc, selectedNode))
        .sort((a, b) => capacityOf(a) - capacityOf(b) || ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1))[0];
      if (best) {
        bindPv(best, pvc, true);
        continue;
      }
    }
    if (!sc || isRecord(spec.selector)) continue; // only a class without a selector is provisioned
    const provisioner = str(sc.provisioner) ?? "";
    const result = provision(pvc, sc, selectedNode, selectedName);
    if ("pv" in result) {
      if (creates <= 0 || snapshot.get(PVS, undefined, result.pv.metadata.name ?? "")) continue;
      creates--;
      actions.push({ type: "create", ref: PVS, object: result.pv });
      actions.push({ type: "event", regarding: pvc, eventType: "Normal", reason: "ProvisioningSucceeded", message: `Successfully provisioned volume ${result.pv.metadata.name}` });
      continue;
    }
    // Events ride on the annotation's first write, so a waiting or broken claim is told once,
    // not on every pass (an idle cluster makes no writes).
    if (pvc.metadata.annotations?.[STORAGE_PROVISIONER] === provisioner) continue;
    actions.push({ type: "update", ref: PVCS, object: withAnnotation(pvc, { [STORAGE_PROVISIONER]: provisioner }) });
    if ("error" in result) actions.push({ type: "event", regarding: pvc, eventType: "Warning", reason: "ProvisioningFailed", message: result.error });
    else if (delayed && isOurProvisioner(sc)) actions.push({ type: "event", regarding: pvc, eventType: "Normal", reason: "WaitForFirstConsumer", message: result.waiting });
    else actions.push({ type: "event", regarding: pvc, eventType: "Normal", reason: "ExternalProvisioning", message: result.waiting });
  }

  for (const pv of pvs) {
    if (written.has(pv.metadata.name ?? "")) continue;
    const status = rec(pv.status);
    const ref = claimRefOf(pv);
    let phase = "Available";
    if (ref) {
      const claim = snapshot.get(PVCS, str(ref.namespace), str(ref.name) ?? "");
      const gone = str(ref.uid) && (!claim || claim.metadata.uid !== ref.uid);
      if (!gone) phase = str(ref.uid) ? "Bound" : "Available";
      else if (isDeleting(pv)) phase = "Released"; // already going: no reclaim, but pv-protection waits for this phase
      else {
        const policy = str(rec(pv.spec).persistentVolumeReclaimPolicy) ?? "Retain";
        if (policy === "Delete") {
          writePv({ type: "delete", ref: PVS, name: pv.metadata.name ?? "", uid: pv.metadata.uid }, pv);
          continue;
        }
        if (policy === "Recycle") {
          const spec = { ...rec(pv.spec) };
          delete spec.claimRef;
          writePv({ type: "update", ref: PVS, object: { ...pv, spec } }, pv);
          continue;
        }
        phase = "Released";
      }
    }
    if (status.phase !== phase) writePv({ type: "updateStatus", ref: PVS, object: { ...pv, status: { ...status, phase } } }, pv);
  }
  return actions;
}

export const volumesController: Controller = {
  name: "volumes",
  watches: [PVS, PVCS, STORAGE_CLASSES, NODES, PODS],
  reconcile: ({ snapshot, config }) => ({ actions: reconcileVolumes(snapshot, config) }),
};

// kube-controller-manager's pvc-protection and pv-protection controllers: a deleted claim keeps
// its finalizer (Terminating) while a pod that is not finished uses it, a deleted volume while it
// is Bound; then the finalizer goes and the delete completes.
import { PV_PROTECTION_FINALIZER } from "../resources/core/persistentvolume";
import { PVC_PROTECTION_FINALIZER } from "../resources/core/persistentvolumeclaim";
import type { KubeObject } from "../resources/types";
import { isDeleting, isTerminal, PODS, PVCS, PVS } from "./controller-util";
import { records, rec, str } from "../../shared/json";
import type { Action, Controller, Snapshot } from "./types";

function withoutFinalizer(o: KubeObject, finalizer: string): KubeObject {
  return { ...o, metadata: { ...o.metadata, finalizers: (o.metadata.finalizers ?? []).filter((f) => f !== finalizer) } };
}

/** kubelet keeps a claim's volume mounted until the pod has finished or is gone. */
function claimInUse(snapshot: Snapshot, pvc: KubeObject): boolean {
  return snapshot
    .list(PODS, pvc.metadata.namespace)
    .some((pod) => !isTerminal(pod) && records(rec(pod.spec).volumes).some((v) => str(rec(v.persistentVolumeClaim).claimName) === pvc.metadata.name));
}

export function reconcileStorageProtection(snapshot: Snapshot): Action[] {
  const actions: Action[] = [];
  for (const pvc of snapshot.list(PVCS)) {
    if (!isDeleting(pvc) || !pvc.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER)) continue;
    if (!claimInUse(snapshot, pvc)) actions.push({ type: "update", ref: PVCS, object: withoutFinalizer(pvc, PVC_PROTECTION_FINALIZER) });
  }
  for (const pv of snapshot.list(PVS)) {
    if (!isDeleting(pv) || !pv.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER)) continue;
    if (str(rec(pv.status).phase) !== "Bound") actions.push({ type: "update", ref: PVS, object: withoutFinalizer(pv, PV_PROTECTION_FINALIZER) });
  }
  return actions;
}

export const storageProtectionController: Controller = {
  name: "storage-protection",
  watches: [PVCS, PVS, PODS],
  reconcile: ({ snapshot }) => ({ actions: reconcileStorageProtection(snapshot) }),
};

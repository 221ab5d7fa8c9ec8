// kubectl drain, where the server does not serve pods/eviction (kubectl then deletes): cordon the
// node, then delete its pods but mirror and DaemonSet pods, each with its own grace period, and
// follow the node's pods until those deleted are gone. Pods whose emptyDir data would be lost, and
// pods no controller would recreate, are refused unless the user says otherwise
// (kubectl drain --delete-emptydir-data, --force).
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, apiGet, apiSend, listThenWatch } from "./api";
import { messageOf } from "./kube-object";
import type { OwnerReference } from "./label-selector";
import { Alert } from "./alert";
import "./object-parts.css";

const MIRROR = "kubernetes.io/config.mirror";

interface DrainPod {
  metadata: { name: string; namespace?: string; uid?: string; annotations?: Record<string, string>; ownerReferences?: OwnerReference[] };
  spec?: { volumes?: { emptyDir?: unknown }[] };
  status?: { phase?: string };
}

/** What the user agreed to lose: kubectl drain's --delete-emptydir-data and --force. */
export interface DrainConsent {
  emptyDirData: boolean;
  unmanaged: boolean;
}

export interface DrainPlan {
  remove: DrainPod[];
  /** Left on the node: mirror pods and DaemonSet pods (kubectl --ignore-daemonsets). */
  skipped: { pod: DrainPod; why: string }[];
  /** Not to be deleted without consent: emptyDir data, or no controller to bring it back. */
  refused: { pod: DrainPod; why: string }[];
}

/** kubectl's drain filters, in its order: DaemonSet, mirror, local storage, unreplicated (drain/filters.go). */
export function planDrain(pods: DrainPod[], consent: DrainConsent): DrainPlan {
  const plan: DrainPlan = { remove: [], skipped: [], refused: [] };
  for (const pod of pods) {
    const controller = pod.metadata.ownerReferences?.find((o) => o.controller);
    const finished = pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
    const emptyDir = pod.spec?.volumes?.some((v) => v.emptyDir !== undefined) ?? false;
    if (controller?.kind === "DaemonSet" && !finished) plan.skipped.push({ pod, why: "DaemonSet" });
    else if (pod.metadata.annotations?.[MIRROR] !== undefined) plan.skipped.push({ pod, why: "mirror" });
    else if (emptyDir && !finished && !consent.emptyDirData) plan.refused.push({ pod, why: "emptyDir data" });
    else if (controller || finished || consent.unmanaged) plan.remove.push(pod);
    else plan.refused.push({ pod, why: "no controller" });
  }
  return plan;
}

const countPods = (n: number) => `${n} ${n === 1 ? "pod" : "pods"}`;
const nameOf = (pod: DrainPod) => `${pod.metadata.namespace ?? ""}/${pod.metadata.name}`;
const podsPath = (node: string) => `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`;

type Progress =
  | { step: "cordoning" }
  | { step: "refused"; pods: string[] }
  | { step: "deleting"; total: number; gone: number; skipped: string[] }
  | { step: "drained"; total: number; skipped: string[] };

/** Resolves once no pod of `uids` is left on the node, as the node's pod watch says. */
function untilGone(node: string, uids: Set<string>, token: string, signal: AbortSignal, onGone: (left: number) => void): Promise<void> {
  return new Promise((resolve) => {
    const left = new Set(uids);
    const done = new AbortController();
    // Given up (the page left): settled, so nothing waits on it.
    const stop = () => {
      done.abort();
      resolve();
    };
    signal.addEventListener("abort", stop, { once: true });
    const report = () => {
      onGone(left.size);
      if (left.size === 0) {
        signal.removeEventListener("abort", stop);
        stop();
      }
    };
    void listThenWatch<{ metadata?: { resourceVersion?: string }; items: DrainPod[] }>({
      path: podsPath(node),
      token,
      accept: "application/json",
      signal: done.signal,
      listed: (list) => {
        const present = new Set(list.items.map((p) => p.metadata.uid));
        for (const uid of left) if (!present.has(uid)) left.delete(uid);
        report();
      },
      changed: (event) => {
        if (event.type === "DELETED") left.delete((event.object as DrainPod).metadata.uid ?? "");
        report();
      },
      failed: () => undefined,
    });
  });
}

export function DrainButton({ name, token }: { name: string; token: string }) {
  const [confirming, setConfirming] = useState(false);
  const [consent, setConsent] = useState<DrainConsent>({ emptyDirData: false, unmanaged: false });
  const [progress, setProgress] = useState<Progress>();
  const [error, setError] = useState<string>();
  const abort = useRef<AbortController>();
  useEffect(() => () => abort.current?.abort(), []);
  const drain = async () => {
    abort.current?.abort();
    const stop = (abort.current = new AbortController());
    setError(undefined);
    setProgress({ step: "cordoning" });
    try {
      await apiSend("PATCH", `/api/v1/nodes/${encodeURIComponent(name)}`, token, { spec: { unschedulable: true } }, "application/merge-patch+json");
      const pods = (await apiGet<{ items: DrainPod[] }>(podsPath(name), token, "application/json", stop.signal)).items;
      const plan = planDrain(pods, consent);
      // kubectl drain stops here too, the node left cordoned: nothing is deleted.
      if (plan.refused.length > 0) return setProgress({ step: "refused", pods: plan.refused.map((r) => `${nameOf(r.pod)} (${r.why})`) });
      const skipped = plan.skipped.map((s) => `${nameOf(s.pod)} (${s.why})`);
      setConfirming(false);
      setProgress({ step: "deleting", total: plan.remove.length, gone: 0, skipped });
      // No grace period given: each pod's own terminationGracePeriodSeconds applies.
      const deleted = await Promise.all(
        plan.remove.map((pod) =>
          apiSend("DELETE", `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? "")}/pods/${encodeURIComponent(pod.metadata.name)}`, token).then(
            () => pod.metadata.uid ?? "",
            // Already gone: what drain wanted.
            (e: unknown) => (e instanceof ApiError && e.code === 404 ? "" : Promise.reject(e)),
          ),
        ),
      );
      const total = plan.remove.length;
      await untilGone(name, new Set(deleted.filter((uid) => uid !== "")), token, stop.signal, (left) => setProgress({ step: "deleting", total, gone: total - left, skipped }));
      if (!stop.signal.aborted) setProgress({ step: "drained", total, skipped });
    } catch (e) {
      if (!stop.signal.aborted) setError(messageOf(e));
    }
  };
  return (
    <div class="drain">
      {confirming ? (
        <div class="action confirm" role="group" aria-label={`Drain node ${name}`}>
          <span>
            Drain node {name}? It is cordoned, then its pods are deleted (DaemonSet and mirror pods stay).
          </span>
          <label>
            <input type="checkbox" checked={consent.unmanaged} onChange={(e) => setConsent({ ...consent, unmanaged: (e.target as HTMLInputElement).checked })} /> also delete pods not managed by a controller
          </label>
          <label>
            <input type="checkbox" checked={consent.emptyDirData} onChange={(e) => setConsent({ ...consent, emptyDirData: (e.target as HTMLInputElement).checked })} /> also delete pods with emptyDir data
          </label>
          <button type="button" class="danger" onClick={drain}>
            Yes, drain
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Drain
        </button>
      )}
      {progress?.step === "refused" ? (
        <p class="error" role="alert">
          Node {name} is cordoned, but nothing was deleted: {countPods(progress.pods.length)} would lose what no controller brings back: {progress.pods.join(", ")}. Tick the matching box above to delete them
          too.
        </p>
      ) : (
        <p class="state" role="status">
          {progress?.step === "cordoning"
            ? `Cordoning ${name}…`
            : progress?.step === "deleting"
              ? `Cordoned. Deleting ${countPods(progress.total)}: ${progress.gone} gone…`
              : progress?.step === "drained"
                ? `Drained ${name}: ${countPods(progress.total)} deleted.${progress.skipped.length > 0 ? ` Left: ${progress.skipped.join(", ")}.` : ""}`
                : ""}
        </p>
      )}
      <Alert message={error} />
    </div>
  );
}

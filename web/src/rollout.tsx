// A Deployment's or StatefulSet's rollout, as kubectl rollout gives it: its progress (status), a
// restart (the restartedAt annotation on the pod template), and for a Deployment its revisions
// (its ReplicaSets) with an undo to a chosen one, which writes exactly kubectl's patch.
import { useEffect, useState } from "preact/hooks";
import { apiGet, apiSend } from "./api";
import { useCan } from "./can";
import { objectPath, type Kind } from "./discovery";
import { age, messageOf, type KubeObject } from "./kube-object";
import { ownedBy, selectorQuery, type LabelSelector, type OwnerReference } from "./label-selector";
import { Alert } from "./alert";
import "./object-parts.css";
import { useThrottled } from "./throttled";

const REVISION = "deployment.kubernetes.io/revision";
const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
const POD_TEMPLATE_HASH = "pod-template-hash";
/** kubectl rollout undo keeps these of the Deployment's own, and copies none of them from the ReplicaSet. */
const ANNOTATIONS_TO_SKIP = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION,
  "deployment.kubernetes.io/revision-history",
  "deployment.kubernetes.io/desired-replicas",
  "deployment.kubernetes.io/max-replicas",
  "deprecated.deployment.rollback.to",
]);

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: { name: string; image?: string }[] };
}

interface Workload extends KubeObject {
  spec?: { replicas?: number; paused?: boolean; selector?: LabelSelector; template?: PodTemplate; updateStrategy?: { type?: string } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

interface ReplicaSet {
  metadata: { name: string; uid?: string; creationTimestamp?: string; annotations?: Record<string, string>; ownerReferences?: OwnerReference[] };
  spec?: { replicas?: number; template?: PodTemplate };
  status?: { replicas?: number; readyReplicas?: number };
}

/** kubectl rollout status' line for a Deployment (DeploymentStatusViewer). */
function deploymentProgress(d: Workload): string {
  const s = d.status ?? {};
  const name = d.metadata.name;
  const want = d.spec?.replicas ?? 1;
  if ((d.metadata.generation ?? 0) > (s.observedGeneration ?? 0)) return "Waiting for deployment spec update to be observed…";
  if (s.conditions?.some((c) => c.type === "Progressing" && c.reason === "ProgressDeadlineExceeded")) return `Deployment "${name}" exceeded its progress deadline.`;
  if ((s.updatedReplicas ?? 0) < want) return `Waiting for rollout to finish: ${s.updatedReplicas ?? 0} out of ${want} new replicas have been updated…`;
  if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) return `Waiting for rollout to finish: ${(s.replicas ?? 0) - (s.updatedReplicas ?? 0)} old replicas are pending termination…`;
  if ((s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0)) return `Waiting for rollout to finish: ${s.availableReplicas ?? 0} of ${s.updatedReplicas ?? 0} updated replicas are available…`;
  return `Deployment "${name}" successfully rolled out.`;
}

/** kubectl rollout status' line for a StatefulSet (StatefulSetStatusViewer). */
function statefulSetProgress(s: Workload): string {
  const st = s.status ?? {};
  if (!st.observedGeneration || (s.metadata.generation ?? 0) > st.observedGeneration) return "Waiting for statefulset spec update to be observed…";
  const want = s.spec?.replicas ?? 1;
  if ((st.readyReplicas ?? 0) < want) return `Waiting for ${want - (st.readyReplicas ?? 0)} pods to be ready…`;
  if (st.updateRevision !== st.currentRevision) return `Waiting for the rolling update to complete: ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision ?? "?"}…`;
  return `Rolling update complete: ${st.readyReplicas ?? 0} pods at revision ${st.currentRevision ?? "?"}.`;
}

function Progress({ kind, object }: { kind: Kind; object: Workload }) {
  const s = object.status ?? {};
  const want = object.spec?.replicas ?? 1;
  return (
    <>
      <p>{kind.kind === "Deployment" ? deploymentProgress(object) : statefulSetProgress(object)}</p>
      <dl class="summary rollout-counts">
        <dt>Updated</dt>
        <dd>
          {s.updatedReplicas ?? 0} of {want}
        </dd>
        <dt>Ready</dt>
        <dd>
          {s.readyReplicas ?? 0} of {want}
        </dd>
        <dt>Available</dt>
        <dd>
          {s.availableReplicas ?? 0} of {want}
        </dd>
      </dl>
    </>
  );
}

function RestartButton({ kind, object, token }: { kind: Kind; object: Workload; token: string }) {
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  const restart = async () => {
    // kubectl refuses too: a paused Deployment would not roll the change out.
    if (object.spec?.paused) return setMessage({ text: "A paused Deployment cannot be restarted: resume it first.", error: true });
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    try {
      const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } };
      await apiSend("PATCH", objectPath(kind, object.metadata.namespace, object.metadata.name), token, patch, "application/strategic-merge-patch+json");
      setMessage({ text: `Restarted at ${at}.`, error: false });
    } catch (e) {
      setMessage({ text: messageOf(e), error: true });
    }
  };
  return (
    <div class="action">
      <button type="button" onClick={restart}>
        Restart
      </button>
      {message && (
        <span class={message.error ? "error" : "state"} role={message.error ? "alert" : "status"}>
          {message.text}
        </span>
      )}
    </div>
  );
}

const revisionOf = (rs: ReplicaSet) => Number(rs.metadata.annotations?.[REVISION] ?? "0");

/** JSON with keys sorted: two templates the server stored compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

function withoutHash(template: PodTemplate | undefined): PodTemplate {
  const { [POD_TEMPLATE_HASH]: _hash, ...labels } = template?.metadata?.labels ?? {};
  return { ...template, metadata: { ...template?.metadata, labels } };
}

/**
 * kubectl rollout undo --to-revision (polymorphichelpers/rollback.go): the revision's pod template,
 * without its pod-template-hash label, replaces the Deployment's, and the ReplicaSet's annotations
 * (but the revision bookkeeping) replace the Deployment's, in one JSON patch.
 */
async function undo(kind: Kind, deployment: Workload, target: ReplicaSet, token: string): Promise<string> {
  const revision = revisionOf(target);
  if (deployment.spec?.paused) throw new Error("You cannot roll back a paused Deployment: resume it first.");
  const template = withoutHash(target.spec?.template);
  if (canonical(template) === canonical(withoutHash(deployment.spec?.template))) return `Skipped: the current template already matches revision ${revision}.`;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(deployment.metadata.annotations ?? {})) if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(target.metadata.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  const patch = [
    { op: "replace", path: "/spec/template", value: template },
    { op: "replace", path: "/metadata/annotations", value: annotations },
  ];
  await apiSend("PATCH", objectPath(kind, deployment.metadata.namespace, deployment.metadata.name), token, patch, "application/json-patch+json");
  return `Rolled back to revision ${revision}.`;
}

/** The history is listed again at most this often while the Deployment keeps changing. */
const RELIST_MS = 1_000;

function History({ kind, object, token, mayUndo }: { kind: Kind; object: Workload; token: string; mayUndo: boolean }) {
  const [sets, setSets] = useState<ReplicaSet[]>();
  const [error, setError] = useState<string>();
  const [chosen, setChosen] = useState<string>();
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  const meta = object.metadata;
  const version = useThrottled(meta.resourceVersion, RELIST_MS);
  useEffect(() => {
    const abort = new AbortController();
    const path = `/apis/apps/v1/namespaces/${encodeURIComponent(meta.namespace ?? "")}/replicasets?labelSelector=${encodeURIComponent(selectorQuery(object.spec?.selector))}`;
    apiGet<{ items: ReplicaSet[] }>(path, token, "application/json", abort.signal).then(
      (list) => {
        setSets(list.items.filter((rs) => ownedBy(rs, meta.uid)).sort((a, b) => revisionOf(b) - revisionOf(a)));
        setError(undefined);
      },
      (e: unknown) => !abort.signal.aborted && setError(messageOf(e)),
    );
    return () => abort.abort();
    // Listed again whenever the Deployment changes (the page watches it): a rollout updates it.
  }, [version, token]);
  if (!sets) return error ? <Alert message={error} /> : <p class="state">Loading revisions…</p>;
  const current = meta.annotations?.[REVISION];
  const older = sets.filter((rs) => String(revisionOf(rs)) !== current);
  const choice = chosen ?? (older[0] ? String(revisionOf(older[0])) : undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    const target = sets.find((rs) => String(revisionOf(rs)) === choice);
    if (!target) return;
    try {
      setMessage({ text: await undo(kind, object, target, token), error: false });
      setChosen(undefined);
    } catch (e) {
      setMessage({ text: messageOf(e), error: true });
    }
  };
  return (
    <>
      <Alert message={error} />
      {/* Scrolls sideways at a phone's width: focusable, so the keyboard can scroll it too. */}
      <div class="scroll" role="region" aria-label="Revision history" tabIndex={0}>
        <table aria-label="Revisions">
          <thead>
            <tr>
              <th scope="col">Revision</th>
              <th scope="col">ReplicaSet</th>
              <th scope="col">Images</th>
              <th scope="col">Pods</th>
              <th scope="col">Age</th>
            </tr>
          </thead>
          <tbody>
            {sets.map((rs) => (
              <tr key={rs.metadata.uid ?? rs.metadata.name}>
                <td>
                  {revisionOf(rs)}
                  {String(revisionOf(rs)) === current ? " (current)" : ""}
                </td>
                <td>
                  <a href={`#/replicasets.apps/${encodeURIComponent(meta.namespace ?? "")}/${encodeURIComponent(rs.metadata.name)}`}>{rs.metadata.name}</a>
                </td>
                <td>{(rs.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? "").join(", ")}</td>
                <td>
                  {rs.status?.readyReplicas ?? 0}/{rs.spec?.replicas ?? 0}
                </td>
                <td>{age(rs.metadata.creationTimestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {mayUndo && older.length > 0 && (
        <form class="action" onSubmit={submit}>
          <label>
            Roll back to revision{" "}
            <select value={choice} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
              {older.map((rs) => (
                <option key={rs.metadata.name} value={String(revisionOf(rs))}>
                  {revisionOf(rs)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Undo</button>
        </form>
      )}
      {message && (
        <p class={message.error ? "error" : "state"} role={message.error ? "alert" : "status"}>
          {message.text}
        </p>
      )}
    </>
  );
}

export function Rollout({ kind, object, token }: { kind: Kind; object: KubeObject; token: string }) {
  const workload = object as Workload;
  const meta = object.metadata;
  const mayPatch = useCan(token, { verb: "patch", group: kind.group, resource: kind.plural, namespace: meta.namespace, name: meta.name }) === true;
  return (
    <section aria-label="Rollout">
      <h3>Rollout</h3>
      <Progress kind={kind} object={workload} />
      {mayPatch && <RestartButton kind={kind} object={workload} token={token} />}
      {kind.kind === "Deployment" && (
        <>
          <h4>Revisions</h4>
          <History kind={kind} object={workload} token={token} mayUndo={mayPatch} />
        </>
      )}
    </section>
  );
}

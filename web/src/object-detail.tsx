// One object: what it is and what is around it (owners, owned objects, references, as links), its
// conditions, its Events (live), its YAML, and the actions its kind allows and the user may take
// (scale, edit, restart, undo, delete; cordon and drain for a node). It follows the object with a
// watch of its name, so a change or its deletion shows at once. The heavier parts (the YAML
// editor, rollout history, merged logs, drain, related objects) load on demand (lazy.tsx).
import { useEffect, useRef, useState } from "preact/hooks";
import { apiSend, listThenWatch } from "./api";
import { useCan } from "./can";
import { collectionPath, kindId, objectPath, type Kind } from "./discovery";
import type { KubeObject } from "./kube-object";
import { Lazy } from "./lazy";
import { CordonButton, NodePods } from "./nodes";
import { PodLogs } from "./pod-logs";
import { Terminal, type TerminalProps } from "./terminal";
import { LiveTableView } from "./resource-table";
import { Alert } from "./alert";
import "./object-actions.css";

const loadRelated = () => import("./related-objects");
const loadEditor = () => import("./yaml-editor");
const loadRollout = () => import("./rollout");
const loadDrain = () => import("./node-drain");
const loadWorkloadLogs = () => import("./workload-logs");

const is = (kind: Kind, group: string, name: string) => kind.group === group && kind.kind === name;
const isNode = (kind: Kind) => is(kind, "", "Node");
const hasRollout = (kind: Kind) => is(kind, "apps", "Deployment") || is(kind, "apps", "StatefulSet");
const hasPods = (kind: Kind) => hasRollout(kind) || is(kind, "apps", "ReplicaSet");

/** What the user may do to this object, asked of the server (can.ts). */
function useMay(kind: Kind, object: KubeObject, token: string, verb: string, subresource?: string): boolean {
  const { namespace, name } = object.metadata;
  return useCan(token, { verb, group: kind.group, resource: kind.plural, subresource, namespace: kind.namespaced ? namespace : undefined, name }) === true;
}

/** The object, kept current by a watch of its name; null once it is gone. */
function useLiveObject(kind: Kind, namespace: string, name: string, token: string): { object?: KubeObject | null; error?: string } {
  const [state, setState] = useState<{ object?: KubeObject | null; error?: string }>({});
  useEffect(() => {
    const abort = new AbortController();
    setState({}); // nothing of another object's is shown while this one loads
    const collection = collectionPath(kind, kind.namespaced ? namespace : undefined);
    // Listed by name, so the watch starts from the list's resourceVersion: an object untouched
    // for long would otherwise be watched from a compacted revision and get 410 every time.
    void listThenWatch<{ metadata?: { resourceVersion?: string }; items: KubeObject[] }>({
      path: `${collection}?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`,
      token,
      accept: "application/json",
      signal: abort.signal,
      listed: (list) => setState({ object: list.items[0] ?? null }),
      changed: (event) => setState({ object: event.type === "DELETED" ? null : (event.object as KubeObject) }),
      failed: (error) => setState((s) => (s.error === error ? s : { object: s.object, error })),
    });
    return () => abort.abort();
  }, [kind, namespace, name, token]);
  return state;
}

function Yaml({ object }: { object: KubeObject }) {
  const [text, setText] = useState<string>();
  useEffect(() => {
    let current = true;
    // As kubectl get -o yaml shows it: without managedFields (--show-managed-fields=false).
    const { managedFields: _fields, ...metadata } = object.metadata as KubeObject["metadata"] & { managedFields?: unknown };
    void import("yaml").then(({ stringify }) => current && setText(stringify({ ...object, metadata })));
    return () => {
      current = false;
    };
  }, [object]);
  return text === undefined ? <p class="state">Loading YAML…</p> : <pre class="yaml" aria-label="YAML" tabIndex={0}>{text}</pre>;
}

function ScaleForm({ kind, object, token }: { kind: Kind; object: KubeObject; token: string }) {
  const may = useMay(kind, object, token, "patch", "scale");
  const [replicas, setReplicas] = useState(String(object.spec?.replicas ?? 1));
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      const path = `${objectPath(kind, object.metadata.namespace, object.metadata.name)}/scale`;
      await apiSend("PATCH", path, token, { spec: { replicas: Number(replicas) } }, "application/merge-patch+json");
      setMessage({ text: `Scaled to ${replicas}.`, error: false });
    } catch (error) {
      setMessage({ text: error instanceof Error ? error.message : String(error), error: true });
    }
  };
  if (!may) return null;
  return (
    <form class="action" onSubmit={submit}>
      <label>
        Replicas{" "}
        <input type="number" min="0" value={replicas} onInput={(e) => setReplicas((e.target as HTMLInputElement).value)} required />
      </label>
      <button type="submit">Scale</button>
      {message && (
        <span class={message.error ? "error" : "state"} role={message.error ? "alert" : "status"}>
          {message.text}
        </span>
      )}
    </form>
  );
}

function DeleteButton({ kind, object, token }: { kind: Kind; object: KubeObject; token: string }) {
  const may = useMay(kind, object, token, "delete");
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  const confirmButton = useRef<HTMLButtonElement>(null);
  // Focus moves to "Yes, delete" once, when asked; a re-render (every watch event) must not move it.
  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);
  const remove = async () => {
    try {
      await apiSend("DELETE", objectPath(kind, object.metadata.namespace, object.metadata.name), token);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  if (!may) return null;
  return (
    <div class="action">
      {confirming ? (
        <>
          <span>
            Delete {kind.kind} {object.metadata.name}?
          </span>
          <button type="button" class="danger" onClick={remove} ref={confirmButton}>
            Yes, delete
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Delete
        </button>
      )}
      <Alert message={error} inline />
    </div>
  );
}

function EditButton({ kind, object, token, onEdit }: { kind: Kind; object: KubeObject; token: string; onEdit: () => void }) {
  // Saved as kubectl edit saves: a PATCH.
  if (!useMay(kind, object, token, "patch")) return null;
  return (
    <div class="action">
      <button type="button" onClick={onEdit}>
        Edit
      </button>
    </div>
  );
}

function DrainAction({ name, token }: { name: string; token: string }) {
  // Drain cordons the node and deletes pods in any namespace: both must be allowed.
  const mayCordon = useCan(token, { verb: "patch", group: "", resource: "nodes", name });
  const mayDelete = useCan(token, { verb: "delete", group: "", resource: "pods" });
  if (!mayCordon || !mayDelete) return null;
  return <Lazy load={loadDrain}>{(m) => <m.DrainButton name={name} token={token} />}</Lazy>;
}

/** The logs of all a workload's pods, merged: started on request, as each pod holds a connection. */
function WorkloadLogsPart({ object, token }: { object: KubeObject; token: string }) {
  const [on, setOn] = useState(false);
  return (
    <>
      <div class="actions">
        <button type="button" aria-pressed={on} onClick={() => setOn(!on)}>
          {on ? "Stop following" : "Follow logs of all pods"}
        </button>
      </div>
      {on && <Lazy load={loadWorkloadLogs}>{(m) => <m.WorkloadLogs object={object} token={token} />}</Lazy>}
    </>
  );
}

/** A shell in the pod, for a user who may create pods/exec there (kubectl exec's permission). */
function PodTerminal(props: TerminalProps) {
  // The server authorizes a WebSocket exec's GET as `get` (kube-apiserver before 1.31's extra `create` check).
  const may = useCan(props.token, { verb: "get", group: "", resource: "pods", subresource: "exec", namespace: props.namespace, name: props.pod });
  if (may !== true) return null;
  return (
    <>
      <h3>Terminal</h3>
      <Terminal {...props} />
    </>
  );
}

export function ObjectDetail({ kind, namespace, name, token }: { kind: Kind; namespace: string; name: string; token: string }) {
  const { object, error } = useLiveObject(kind, namespace, name, token);
  const [editing, setEditing] = useState(false);
  const back = `#/${encodeURIComponent(kindId(kind))}/${encodeURIComponent(namespace)}`;
  if (object === undefined) return error ? <Alert message={error} /> : <p class="state">Loading {name}…</p>;
  if (object === null) {
    return (
      <p class="state">
        {kind.kind} {name} is gone. <a href={back}>Back to {kind.plural}</a>
      </p>
    );
  }
  const meta = object.metadata;
  const events = `${kind.namespaced && meta.namespace ? `/api/v1/namespaces/${encodeURIComponent(meta.namespace)}/events` : "/api/v1/events"}?fieldSelector=${encodeURIComponent(`involvedObject.uid=${meta.uid ?? ""}`)}`;
  return (
    <article aria-label={`${kind.kind} ${meta.name}`} class="object-detail">
      <p>
        <a href={back}>← {kind.plural}</a>
      </p>
      <dl class="summary">
        {meta.namespace && (
          <>
            <dt>Namespace</dt>
            <dd>{meta.namespace}</dd>
          </>
        )}
        <dt>Created</dt>
        <dd>{meta.creationTimestamp}</dd>
        <dt>UID</dt>
        <dd>{meta.uid}</dd>
        <dt>Labels</dt>
        <dd>{Object.entries(meta.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(", ") || "none"}</dd>
      </dl>
      <Lazy load={loadRelated}>{(m) => <m.RelatedObjects kind={kind} object={object} namespace={namespace} token={token} />}</Lazy>
      <div class="actions" aria-label="Actions" role="group">
        {isNode(kind) && <CordonButton name={meta.name} unschedulable={object.spec?.unschedulable === true} token={token} />}
        {isNode(kind) && <DrainAction name={meta.name} token={token} />}
        {kind.scalable && <ScaleForm kind={kind} object={object} token={token} />}
        {!editing && <EditButton kind={kind} object={object} token={token} onEdit={() => setEditing(true)} />}
        {kind.deletable && <DeleteButton kind={kind} object={object} token={token} />}
      </div>
      {hasRollout(kind) && <Lazy load={loadRollout}>{(m) => <m.Rollout kind={kind} object={object} token={token} />}</Lazy>}
      {object.status?.conditions && object.status.conditions.length > 0 && (
        <>
          <h3>Conditions</h3>
          <div class="scroll" role="region" aria-label="Conditions" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {object.status.conditions.map((c) => (
                  <tr key={c.type}>
                    <td>{c.type}</td>
                    <td>{c.status}</td>
                    <td>{c.reason ?? ""}</td>
                    <td>{c.message ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {is(kind, "", "Pod") && (
        <>
          <h3>Logs</h3>
          <PodLogs path={objectPath(kind, meta.namespace, meta.name)} token={token} podName={meta.name} containers={(object.spec?.containers ?? []).map((c) => c.name)} />
          <PodTerminal namespace={meta.namespace ?? "default"} pod={meta.name} containers={(object.spec?.containers ?? []).map((c) => c.name)} token={token} />
        </>
      )}
      {hasPods(kind) && (
        <>
          <h3>Logs of all pods</h3>
          <WorkloadLogsPart object={object} token={token} />
        </>
      )}
      {isNode(kind) && (
        <>
          <h3>Pods on this node</h3>
          <NodePods name={meta.name} token={token} />
        </>
      )}
      <h3>Events</h3>
      <LiveTableView path={events} token={token} label="events" empty="No events." />
      <h3>YAML</h3>
      {editing ? (
        <Lazy load={loadEditor}>{(m) => <m.YamlEditor kind={kind} object={object} token={token} onClose={() => setEditing(false)} />}</Lazy>
      ) : (
        <Yaml object={object} />
      )}
    </article>
  );
}

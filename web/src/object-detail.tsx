// One object: what it is, its conditions, its Events (live), its YAML (the YAML library loads only
// here), and the actions its kind allows (scale, delete). It follows the object with a watch of
// its name, so a change or its deletion shows at once.
import { useEffect, useState } from "preact/hooks";
import { apiSend, listThenWatch } from "./api";
import { collectionPath, kindId, objectPath, type Kind } from "./discovery";
import { CordonButton } from "./nodes";
import { PodLogs } from "./pod-logs";
import { LiveTableView } from "./resource-table";
import { Alert } from "./alert";

interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; creationTimestamp?: string; labels?: Record<string, string>; resourceVersion?: string };
  spec?: { replicas?: number; containers?: { name: string }[]; unschedulable?: boolean };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

const isNode = (kind: Kind) => kind.group === "" && kind.plural === "nodes";

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
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  const remove = async () => {
    try {
      await apiSend("DELETE", objectPath(kind, object.metadata.namespace, object.metadata.name), token);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div class="action">
      {confirming ? (
        <>
          <span>
            Delete {kind.kind} {object.metadata.name}?
          </span>
          <button type="button" class="danger" onClick={remove} ref={(el) => el?.focus()}>
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

export function ObjectDetail({ kind, namespace, name, token }: { kind: Kind; namespace: string; name: string; token: string }) {
  const { object, error } = useLiveObject(kind, namespace, name, token);
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
    <article aria-label={`${kind.kind} ${meta.name}`}>
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
      {(kind.scalable || kind.deletable || isNode(kind)) && (
        <div class="actions">
          {isNode(kind) && <CordonButton name={meta.name} unschedulable={object.spec?.unschedulable === true} token={token} />}
          {kind.scalable && <ScaleForm kind={kind} object={object} token={token} />}
          {kind.deletable && <DeleteButton kind={kind} object={object} token={token} />}
        </div>
      )}
      {object.status?.conditions && object.status.conditions.length > 0 && (
        <>
          <h3>Conditions</h3>
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
        </>
      )}
      {kind.group === "" && kind.plural === "pods" && (
        <>
          <h3>Logs</h3>
          <PodLogs path={objectPath(kind, meta.namespace, meta.name)} token={token} podName={meta.name} containers={(object.spec?.containers ?? []).map((c) => c.name)} />
        </>
      )}
      <h3>Events</h3>
      <LiveTableView path={events} token={token} label="events" empty="No events." />
      <h3>YAML</h3>
      <Yaml object={object} />
    </article>
  );
}

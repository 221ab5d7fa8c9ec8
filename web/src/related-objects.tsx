// The objects around this one, as links: its owners (ownerReferences), what it owns (a Deployment's
// ReplicaSets, a ReplicaSet's or StatefulSet's Pods), and what its kind refers to (a Pod's Node, a
// Service's EndpointSlices and their Pods, a claim's volume and back, an Ingress' Services). Listed
// when the page opens and again whenever the object changes (the page watches it).
import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import { apiGet } from "./api";
import { collectionPath, discoverKinds, kindId, type Kind } from "./discovery";
import type { KubeObject } from "./kube-object";
import { messageOf } from "./kube-object";
import { ownedBy, selectorQuery, type LabelSelector, type OwnerReference } from "./label-selector";
import { Alert } from "./alert";
import "./object-parts.css";
import { useThrottled } from "./throttled";

/** One object named by group, kind, namespace (for a namespaced kind) and name. */
interface Ref {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
}

interface Related {
  title: string;
  refs: Ref[];
}

/** Listing stops here: a ReplicaSet of 500 pods links the first ones and says how many more. */
const MAX_LINKS = 50;

// Discovery once per token for the page's life: each page resolves owner kinds (apps/v1
// ReplicaSet) to the console's address (replicasets.apps) with it.
const discovered = new Map<string, Promise<Kind[]>>();
function kindsFor(token: string): Promise<Kind[]> {
  let kinds = discovered.get(token);
  if (!kinds) {
    kinds = discoverKinds(token);
    kinds.catch(() => discovered.delete(token));
    discovered.set(token, kinds);
  }
  return kinds;
}

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0]! : "");

/** What a workload owns, by kind: the children listed by its selector, kept if they name its uid. */
const OWNED: Record<string, { group: string; kind: string }> = {
  "apps/Deployment": { group: "apps", kind: "ReplicaSet" },
  "apps/ReplicaSet": { group: "", kind: "Pod" },
  "apps/StatefulSet": { group: "", kind: "Pod" },
};

interface Spec {
  nodeName?: string;
  volumeName?: string;
  claimRef?: { namespace?: string; name?: string };
  selector?: LabelSelector;
  defaultBackend?: Backend;
  rules?: { http?: { paths?: { backend?: Backend }[] } }[];
}
interface Backend {
  service?: { name?: string };
}

/** The references an object carries itself: no request needed. */
export function ownReferences(kind: Kind, object: KubeObject): Related[] {
  const meta = object.metadata;
  const spec = (object.spec ?? {}) as Spec;
  const ns = meta.namespace;
  const related: Related[] = [];
  const owners = (meta.ownerReferences ?? []).map((o: OwnerReference) => ({ group: groupOf(o.apiVersion), kind: o.kind, namespace: ns, name: o.name }));
  if (owners.length > 0) related.push({ title: "Owned by", refs: owners });
  const is = (group: string, k: string) => kind.group === group && kind.kind === k;
  if (is("", "Pod") && spec.nodeName) related.push({ title: "Node", refs: [{ group: "", kind: "Node", name: spec.nodeName }] });
  if (is("", "PersistentVolumeClaim") && spec.volumeName) related.push({ title: "Volume", refs: [{ group: "", kind: "PersistentVolume", name: spec.volumeName }] });
  if (is("", "PersistentVolume") && spec.claimRef?.name) {
    related.push({ title: "Claim", refs: [{ group: "", kind: "PersistentVolumeClaim", namespace: spec.claimRef.namespace, name: spec.claimRef.name }] });
  }
  if (is("networking.k8s.io", "Ingress")) {
    const names = new Set<string>();
    if (spec.defaultBackend?.service?.name) names.add(spec.defaultBackend.service.name);
    for (const rule of spec.rules ?? []) for (const path of rule.http?.paths ?? []) if (path.backend?.service?.name) names.add(path.backend.service.name);
    if (names.size > 0) related.push({ title: "Services", refs: [...names].map((name) => ({ group: "", kind: "Service", namespace: ns, name })) });
  }
  return related;
}

interface Listed {
  metadata: { name: string; namespace?: string; ownerReferences?: OwnerReference[] };
  endpoints?: { targetRef?: { kind?: string; name?: string; namespace?: string } }[];
}

const find = (kinds: Kind[], group: string, kind: string) => kinds.find((k) => k.group === group && k.kind === kind);

/** The references found by listing: what it owns, a Service's EndpointSlices and their Pods. */
async function listedReferences(kinds: Kind[], kind: Kind, object: KubeObject, token: string, signal: AbortSignal): Promise<Related[]> {
  const meta = object.metadata;
  const ns = meta.namespace;
  const list = async (child: Kind, selector: string) =>
    (await apiGet<{ items: Listed[] }>(`${collectionPath(child, ns)}?labelSelector=${encodeURIComponent(selector)}`, token, "application/json", signal)).items;
  const owned = OWNED[`${kind.group}/${kind.kind}`];
  const child = owned && find(kinds, owned.group, owned.kind);
  if (owned && child) {
    const items = (await list(child, selectorQuery((object.spec as Spec | undefined)?.selector))).filter((i) => ownedBy(i, meta.uid));
    return [{ title: `Owns (${items.length})`, refs: items.map((i) => ({ group: owned.group, kind: owned.kind, namespace: ns, name: i.metadata.name })) }];
  }
  const slices = find(kinds, "discovery.k8s.io", "EndpointSlice");
  if (kind.group === "" && kind.kind === "Service" && slices) {
    const items = await list(slices, `kubernetes.io/service-name=${meta.name}`);
    const pods = new Map<string, Ref>();
    for (const slice of items) {
      for (const e of slice.endpoints ?? []) {
        const ref = e.targetRef;
        if (ref?.kind === "Pod" && ref.name) pods.set(`${ref.namespace ?? ns}/${ref.name}`, { group: "", kind: "Pod", namespace: ref.namespace ?? ns, name: ref.name });
      }
    }
    return [
      { title: "EndpointSlices", refs: items.map((s) => ({ group: "discovery.k8s.io", kind: "EndpointSlice", namespace: ns, name: s.metadata.name })) },
      { title: `Endpoint pods (${pods.size})`, refs: [...pods.values()] },
    ];
  }
  return [];
}

function RefLink({ kinds, target, pageNamespace }: { kinds: Kind[] | undefined; target: Ref; pageNamespace: string }) {
  const kind = kinds && find(kinds, target.group, target.kind);
  const text = `${target.kind} ${target.name}`;
  if (!kind) return <span>{text}</span>;
  // A cluster-scoped object keeps the namespace the console is showing.
  const ns = kind.namespaced ? (target.namespace ?? pageNamespace) : pageNamespace;
  return <a href={`#/${encodeURIComponent(kindId(kind))}/${encodeURIComponent(ns)}/${encodeURIComponent(target.name)}`}>{text}</a>;
}

/** Related objects are listed again at most this often while the object keeps changing. */
const RELIST_MS = 1_000;

export function RelatedObjects({ kind, object, namespace, token }: { kind: Kind; object: KubeObject; namespace: string; token: string }) {
  const [kinds, setKinds] = useState<Kind[]>();
  const [listed, setListed] = useState<Related[]>([]);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let current = true;
    kindsFor(token).then(
      (k) => current && setKinds(k),
      (e: unknown) => current && setError(messageOf(e)),
    );
    return () => {
      current = false;
    };
  }, [token]);
  const version = useThrottled(object.metadata.resourceVersion, RELIST_MS);
  useEffect(() => {
    if (!kinds) return;
    const abort = new AbortController();
    listedReferences(kinds, kind, object, token, abort.signal).then(
      (related) => {
        setListed(related);
        setError(undefined);
      },
      (e: unknown) => !abort.signal.aborted && setError(messageOf(e)),
    );
    return () => abort.abort();
    // Listed again when the object changes: its resourceVersion says so.
  }, [kinds, kind, version, token]);
  const related = [...ownReferences(kind, object), ...listed];
  if (related.length === 0 && !error) return null;
  return (
    <section aria-label="Related objects">
      <dl class="summary related">
        {related.map((r) => (
          <Fragment key={r.title}>
            <dt>{r.title}</dt>
            <dd>
              {r.refs.length === 0 ? (
                "none"
              ) : (
                <ul class="inline-list">
                  {r.refs.slice(0, MAX_LINKS).map((target) => (
                    <li key={`${target.kind}/${target.namespace ?? ""}/${target.name}`}>
                      <RefLink kinds={kinds} target={target} pageNamespace={namespace} />
                    </li>
                  ))}
                  {r.refs.length > MAX_LINKS && <li>and {r.refs.length - MAX_LINKS} more</li>}
                </ul>
              )}
            </dd>
          </Fragment>
        ))}
      </dl>
      <Alert message={error} />
    </section>
  );
}

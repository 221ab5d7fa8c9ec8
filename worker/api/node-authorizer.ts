// What a node credential (user system:node:<name>) may do: Kubernetes' Node authorizer plus the
// NodeRestriction admission plugin in one table. A node writes only its Node, its Lease and its
// pods' status, and reads ConfigMaps/Secrets/claims only when a pod bound to it references them
// (and TLS Secrets an Ingress names, for the ingress controller every node runs).
import type { KubeObject } from "../resources/types";
import type { Store } from "../store/types";
import type { AccessRequest } from "./access";
import { podNodeName, podReferences, type ReferencedKind } from "./node-authorizer-refs";
import { bodyTypeOf, decodeBody, isPlainObject, readBodyText } from "./negotiate";
import { parseFieldSelector, requiredFieldValue } from "../../shared/selectors";

export const NODE_LEASE_NAMESPACE = "kube-node-lease";

const READ_VERBS = new Set(["get", "list", "watch"]);

/**
 * Kinds every node may read in full: the agent proxies Services (endpoints, slices), routes Ingress,
 * and watches pods with a spec.nodeName field selector (kube's Node authorizer allows all pods too).
 */
const READABLE = new Set([
  "/nodes",
  "/pods",
  "/services",
  "/endpoints",
  "/namespaces",
  "discovery.k8s.io/endpointslices",
  "networking.k8s.io/ingresses",
  "networking.k8s.io/ingressclasses",
]);

const REFERENCED: Record<string, ReferencedKind> = {
  "/configmaps": "configmaps",
  "/secrets": "secrets",
  "/persistentvolumeclaims": "persistentvolumeclaims",
};

function rec(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The one name a list or watch asks for through `fieldSelector=metadata.name=<name>`, if any. */
export function selectedName(access: AccessRequest): string | undefined {
  if (!access.request) return undefined;
  const text = new URL(access.request.url).searchParams.get("fieldSelector");
  if (!text) return undefined;
  try {
    return requiredFieldValue(parseFieldSelector(text), "metadata.name");
  } catch {
    return undefined;
  }
}

/** The name `access` targets: the URL's, else for list/watch the one its field selector names. */
function targetName(access: AccessRequest): string | undefined {
  if (access.name) return access.name;
  if (access.verb === "list" || access.verb === "watch") return selectedName(access);
  return undefined;
}

/**
 * metadata.name of a create's body, read from a clone so the create verb still reads the original.
 * Protobuf bodies are not inspected (the agent sends JSON): such a create is denied.
 */
async function createdName(access: AccessRequest): Promise<string | undefined> {
  const request = access.request;
  if (!request || !request.body) return undefined;
  const type = bodyTypeOf(request.headers.get("content-type") ?? undefined);
  if (type !== "json" && type !== "yaml") return undefined;
  try {
    const value = decodeBody(await readBodyText(request.clone() as Request), type);
    if (!isPlainObject(value)) return undefined;
    const name = rec(value.metadata)?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    // A malformed body is the create verb's to reject (400); here it simply names nobody.
    return undefined;
  }
}

/** Through the store's spec.nodeName index: a node's pods, not every pod of the namespace. */
async function podsOnNode(store: Store, nodeName: string, namespace: string): Promise<KubeObject[]> {
  const { items } = await store.list("", "pods", { namespace, field: { path: "spec.nodeName", value: nodeName } });
  return items.map((item) => item.value).filter((pod) => podNodeName(pod) === nodeName);
}

/** Whether a pod bound to `nodeName` in `namespace` references the named object. */
export async function referencedByNode(store: Store, nodeName: string, kind: ReferencedKind, namespace: string, name: string): Promise<boolean> {
  for (const pod of await podsOnNode(store, nodeName, namespace)) {
    if (podReferences(pod)[kind].has(name)) return true;
  }
  return false;
}

/**
 * Every node runs the ingress controller (node-agent/ingress), which serves the TLS Secrets
 * Ingresses name: readable by any node when an Ingress in its namespace lists it in spec.tls,
 * as ingress-nginx's ServiceAccount reads Secrets.
 */
async function referencedByIngress(store: Store, namespace: string, name: string): Promise<boolean> {
  const { items } = await store.list("networking.k8s.io", "ingresses", { namespace });
  return items.some(({ value }) => {
    const tls = rec(value.spec)?.tls;
    return Array.isArray(tls) && tls.some((t) => rec(t)?.secretName === name);
  });
}

/** A PersistentVolume is readable when bound to a claim that a pod on the node references. */
async function volumeReadable(store: Store, nodeName: string, pvName: string): Promise<boolean> {
  const pv = await store.get({ group: "", resource: "persistentvolumes", namespace: "", name: pvName });
  const claimRef = rec(rec(pv?.value.spec)?.claimRef);
  const namespace = claimRef?.namespace;
  const claimName = claimRef?.name;
  if (typeof namespace !== "string" || typeof claimName !== "string") return false;
  const claim = await store.get({ group: "", resource: "persistentvolumeclaims", namespace, name: claimName });
  if (rec(claim?.value.spec)?.volumeName !== pvName) return false;
  return referencedByNode(store, nodeName, "persistentvolumeclaims", namespace, claimName);
}

/**
 * A pod this node may write: bound to it, or gone (NodeRestriction answers a missing pod with
 * NotFound, so the verb's 404 tells the node to stop, where a 403 would read as a fault).
 */
async function podOnNode(store: Store, nodeName: string, namespace: string | undefined, name: string | undefined): Promise<boolean> {
  if (!namespace || !name) return false;
  const pod = await store.get({ group: "", resource: "pods", namespace, name });
  return pod === null || podNodeName(pod.value) === nodeName;
}

/** Its own Node: any verb but deletecollection; create names it in the body (NodeRestriction). */
async function nodeWrite(nodeName: string, access: AccessRequest): Promise<boolean> {
  if (access.subresource !== undefined && access.subresource !== "status") return false;
  if (access.verb === "create") return access.subresource === undefined && (await createdName(access)) === nodeName;
  if (access.verb === "delete") return access.subresource === undefined && access.name === nodeName;
  return (access.verb === "update" || access.verb === "patch") && access.name === nodeName;
}

/** Its own Lease in kube-node-lease and no other. */
async function leaseAccess(nodeName: string, access: AccessRequest): Promise<boolean> {
  if (access.namespace !== NODE_LEASE_NAMESPACE || access.subresource !== undefined) return false;
  if (access.verb === "create") return (await createdName(access)) === nodeName;
  if (!["get", "list", "watch", "update", "patch", "delete"].includes(access.verb)) return false;
  return targetName(access) === nodeName;
}

/** Resolves true when the node may perform `access`; every rule not listed here denies. */
export async function nodeMayAccess(store: Store, nodeName: string, access: AccessRequest): Promise<boolean> {
  const kind = `${access.group}/${access.resource}`;
  const { verb, subresource } = access;

  if (kind === "/events" || kind === "events.k8s.io/events") {
    return subresource === undefined && (verb === "create" || verb === "update" || verb === "patch");
  }
  if (kind === "coordination.k8s.io/leases") return leaseAccess(nodeName, access);
  if (kind === "/nodes" && !READ_VERBS.has(verb)) return nodeWrite(nodeName, access);
  if (kind === "/pods" && !READ_VERBS.has(verb)) {
    const allowed =
      (subresource === "status" && (verb === "update" || verb === "patch")) || (subresource === undefined && verb === "delete");
    return allowed && podOnNode(store, nodeName, access.namespace, access.name);
  }
  // Reading status is reading the object (kubectl patch --subresource=status GETs it first).
  if (READABLE.has(kind)) return READ_VERBS.has(verb) && (subresource === undefined || (subresource === "status" && verb === "get"));

  const referenced = REFERENCED[kind];
  if (referenced) {
    if (!READ_VERBS.has(verb) || subresource !== undefined || !access.namespace) return false;
    const name = targetName(access);
    if (name === undefined) return false;
    if (await referencedByNode(store, nodeName, referenced, access.namespace, name)) return true;
    return referenced === "secrets" && referencedByIngress(store, access.namespace, name);
  }
  if (kind === "/persistentvolumes") {
    return verb === "get" && subresource === undefined && access.name !== undefined && volumeReadable(store, nodeName, access.name);
  }
  return false;
}

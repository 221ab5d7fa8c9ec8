// The objects a cluster has from its first moment: the system namespaces (default,
// kube-system, kube-public, kube-node-lease), the `kubernetes` and `kube-dns` Services and the
// default StorageClass. Checked once per isolate.
import { LOCAL_PATH_PROVISIONER } from "../controllers/volume-provisioning";
import { resourceByPlural } from "../resources/registry";
import type { KubeObject } from "../resources/types";
import type { Store } from "../store/types";
import { StoreError } from "../store/types";
import { timestamp } from "./context";
import { KUBE_DNS_SERVICE_IP, KUBERNETES_SERVICE_IP } from "./service-allocation";
import { validateObject } from "./validate";

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

let bootstrapped: Promise<void> | undefined;

async function ensureNamespaces(store: Store, now: Date): Promise<void> {
  const def = resourceByPlural("", "namespaces");
  if (!def) return;
  for (const name of SYSTEM_NAMESPACES) {
    const key = { group: "", resource: "namespaces", namespace: "", name };
    if (await store.get(key)) continue;
    const obj: KubeObject = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, uid: crypto.randomUUID(), creationTimestamp: timestamp(now), generation: 1 },
    };
    def.prepareForCreate?.(obj, { now, user: "system:apiserver" });
    try {
      await store.create(key, validateObject(def, obj));
    } catch (e) {
      if (!(e instanceof StoreError && e.code === "AlreadyExists")) throw e;
    }
  }
}

/** The `kubernetes` Service in default, at the first address of the service range (as upstream). */
async function ensureKubernetesService(store: Store, now: Date): Promise<void> {
  const def = resourceByPlural("", "services");
  const key = { group: "", resource: "services", namespace: "default", name: "kubernetes" };
  if (!def || (await store.get(key))) return;
  const obj: KubeObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "kubernetes",
      namespace: "default",
      uid: crypto.randomUUID(),
      creationTimestamp: timestamp(now),
      labels: { component: "apiserver", provider: "kubernetes" },
    },
    spec: {
      type: "ClusterIP",
      clusterIP: KUBERNETES_SERVICE_IP,
      clusterIPs: [KUBERNETES_SERVICE_IP],
      ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 443 }],
      sessionAffinity: "None",
    },
  };
  def.prepareForCreate?.(obj, { now, user: "system:apiserver" });
  try {
    await store.create(key, validateObject(def, obj));
  } catch (e) {
    if (!(e instanceof StoreError && e.code === "AlreadyExists")) throw e;
  }
}

/**
 * kube-system/kube-dns, the cluster DNS Service every pod's resolv.conf names. Every node agent
 * answers on its address itself (as NodeLocal DNSCache does), so it has no selector and no
 * endpoints; the labels are CoreDNS's, so `kubectl cluster-info` lists it.
 */
async function ensureClusterDnsService(store: Store, now: Date): Promise<void> {
  const def = resourceByPlural("", "services");
  const key = { group: "", resource: "services", namespace: "kube-system", name: "kube-dns" };
  if (!def || (await store.get(key))) return;
  const obj: KubeObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "kube-dns",
      namespace: "kube-system",
      uid: crypto.randomUUID(),
      creationTimestamp: timestamp(now),
      labels: { "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" },
    },
    spec: {
      type: "ClusterIP",
      clusterIP: KUBE_DNS_SERVICE_IP,
      clusterIPs: [KUBE_DNS_SERVICE_IP],
      ports: [
        { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
        { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
      ],
      sessionAffinity: "None",
    },
  };
  def.prepareForCreate?.(obj, { now, user: "system:apiserver" });
  try {
    await store.create(key, validateObject(def, obj));
  } catch (e) {
    if (!(e instanceof StoreError && e.code === "AlreadyExists")) throw e;
  }
}

/**
 * `standard`, the default StorageClass, as minikube has one: the built-in local-path provisioner,
 * binding when the first pod is scheduled. Created once; an admin may change or delete it.
 */
async function ensureDefaultStorageClass(store: Store, now: Date): Promise<void> {
  const def = resourceByPlural("storage.k8s.io", "storageclasses");
  const key = { group: "storage.k8s.io", resource: "storageclasses", namespace: "", name: "standard" };
  if (!def || (await store.get(key))) return;
  const { items } = await store.list("storage.k8s.io", "storageclasses", { limit: 1 });
  if (items.length > 0) return;
  const obj: KubeObject = {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name: "standard",
      uid: crypto.randomUUID(),
      creationTimestamp: timestamp(now),
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
  };
  def.prepareForCreate?.(obj, { now, user: "system:apiserver" });
  try {
    await store.create(key, validateObject(def, obj));
  } catch (e) {
    if (!(e instanceof StoreError && e.code === "AlreadyExists")) throw e;
  }
}

/** Idempotent and cheap after the first call in an isolate. */
export function ensureBootstrapped(store: Store, now = new Date()): Promise<void> {
  bootstrapped ??= ensureNamespaces(store, now).then(() => ensureKubernetesService(store, now))
    .then(() => ensureClusterDnsService(store, now))
    .then(() => ensureDefaultStorageClass(store, now)).catch((e) => {
    bootstrapped = undefined;
    throw e;
  });
  return bootstrapped;
}

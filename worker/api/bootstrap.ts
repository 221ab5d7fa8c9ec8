// The objects a cluster has from its first moment: the system namespaces (default,
// kube-system, kube-public, kube-node-lease), the `kubernetes` and `kube-dns` Services, the
// default StorageClass, the default IngressClass and the default RBAC policy. Checked once per isolate.
import { timestamp } from "../../shared/time";
import { LOCAL_PATH_PROVISIONER } from "../controllers/volume-provisioning";
import type { Registry } from "../resources/registry";
import type { KubeObject } from "../resources/types";
import type { Store } from "../store/types";
import { StoreError } from "../store/types";
import { KUBE_DNS_SERVICE_IP } from "../../shared/cluster-network";
import { kubernetesService } from "../resources/core/kubernetes-service";
import { validateObject } from "./validate";
import { defaultClusterRoleBindings, defaultClusterRoles } from "./rbac/defaults";

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

let bootstrapped: Promise<void> | undefined;

/** Creates `obj` (with uid and creationTimestamp) unless an object of its key exists already. */
async function createOnce(store: Store, registry: Registry, now: Date, group: string, resource: string, obj: KubeObject): Promise<void> {
  const def = registry.byPlural(group, resource);
  const key = { group, resource, namespace: obj.metadata.namespace ?? "", name: obj.metadata.name ?? "" };
  if (!def || (await store.get(key))) return;
  obj.metadata = { ...obj.metadata, uid: crypto.randomUUID(), creationTimestamp: timestamp(now) };
  def.prepareForCreate?.(obj, { now, user: "system:apiserver" });
  try {
    await store.create(key, validateObject(def, obj));
  } catch (e) {
    if (!(e instanceof StoreError && e.code === "AlreadyExists")) throw e;
  }
}

async function ensureNamespaces(store: Store, registry: Registry, now: Date): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    await createOnce(store, registry, now, "", "namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name, generation: 1 } });
  }
}

/** The `kubernetes` Service in default, at the first address of the service range (as upstream). */
function ensureKubernetesService(store: Store, registry: Registry, now: Date): Promise<void> {
  return createOnce(store, registry, now, "", "services", kubernetesService());
}

/**
 * kube-system/kube-dns, the cluster DNS Service every pod's resolv.conf names. Every node agent
 * answers on its address itself (as NodeLocal DNSCache does), so it has no selector and no
 * endpoints; the labels are CoreDNS's, so `kubectl cluster-info` lists it.
 */
function ensureClusterDnsService(store: Store, registry: Registry, now: Date): Promise<void> {
  return createOnce(store, registry, now, "", "services", {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kube-dns", namespace: "kube-system", labels: { "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" } },
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
  });
}

/**
 * `standard`, the default StorageClass, as minikube has one: the built-in local-path provisioner,
 * binding when the first pod is scheduled. Created once, and only while no StorageClass exists;
 * an admin may change or delete it.
 */
async function ensureDefaultStorageClass(store: Store, registry: Registry, now: Date): Promise<void> {
  const { items } = await store.list("storage.k8s.io", "storageclasses", { limit: 1 });
  if (items.length > 0) return;
  await createOnce(store, registry, now, "storage.k8s.io", "storageclasses", {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "standard", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
  });
}

/** The IngressClass every node's agent serves (node-agent/ingress); its controller names it. */
export const INGRESS_CLASS = "edgeplane";
export const INGRESS_CONTROLLER = "edgeplane.dev/ingress-controller";

/**
 * `edgeplane`, the default IngressClass, as k3s has `traefik`: Ingresses that name no class are
 * served by the ingress controller in every node agent. Created only while no IngressClass exists.
 */
async function ensureDefaultIngressClass(store: Store, registry: Registry, now: Date): Promise<void> {
  const { items } = await store.list("networking.k8s.io", "ingressclasses", { limit: 1 });
  if (items.length > 0) return;
  await createOnce(store, registry, now, "networking.k8s.io", "ingressclasses", {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: INGRESS_CLASS, annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } },
    spec: { controller: INGRESS_CONTROLLER },
  });
}

/**
 * The default ClusterRoles and bindings (rbac/defaults.ts), each created when missing, as
 * kube-apiserver's bootstrap-roles hook does; one an admin changed is left as it is.
 */
async function ensureDefaultPolicy(store: Store, registry: Registry, now: Date): Promise<void> {
  for (const role of defaultClusterRoles()) await createOnce(store, registry, now, "rbac.authorization.k8s.io", "clusterroles", role);
  for (const binding of defaultClusterRoleBindings()) await createOnce(store, registry, now, "rbac.authorization.k8s.io", "clusterrolebindings", binding);
}

/** Idempotent and cheap after the first call in an isolate. */
export function ensureBootstrapped(store: Store, registry: Registry, now = new Date()): Promise<void> {
  bootstrapped ??= ensureNamespaces(store, registry, now).then(() => ensureKubernetesService(store, registry, now))
    .then(() => ensureClusterDnsService(store, registry, now))
    .then(() => ensureDefaultStorageClass(store, registry, now))
    .then(() => ensureDefaultIngressClass(store, registry, now))
    .then(() => ensureDefaultPolicy(store, registry, now)).catch((e) => {
    bootstrapped = undefined;
    throw e;
  });
  return bootstrapped;
}

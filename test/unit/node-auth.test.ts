// The Node authorizer as a table: given pods bound to node vm1 (and one on vm2), which requests a
// node credential may make (Kubernetes' Node authorizer + NodeRestriction) and the 403 it gets.
import { beforeAll, describe, expect, it } from "vitest";
import type { AccessRequest, Principal } from "../../worker/api/access";
import { authorizeRequest } from "../../worker/api/auth";
import { notePolicyWritten } from "../../worker/api/rbac/policy";
import { podReferences } from "../../worker/api/node-authorizer-refs";
import type { KubeObject } from "../../worker/resources/types";
import { StatusError } from "../../shared/status-error";
import { FakeStore } from "./fake-store";

const vm1: Principal = { user: "system:node:vm1", kind: "node", scope: "vm1" };
const BASE = "https://edgeplane.test";

function podOn(node: string, name: string, spec: Record<string, unknown>, namespace = "default"): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec: { nodeName: node, containers: [], ...spec } };
}

const WEB = podOn("vm1", "web", {
  volumes: [
    { name: "conf", configMap: { name: "web-config" } },
    { name: "tls", secret: { secretName: "web-tls" } },
    { name: "data", persistentVolumeClaim: { claimName: "web-data" } },
    { name: "scratch", ephemeral: { volumeClaimTemplate: { spec: {} } } },
    { name: "all", projected: { sources: [{ configMap: { name: "proj-cm" } }, { secret: { name: "proj-secret" } }] } },
  ],
  containers: [
    {
      name: "app",
      env: [{ name: "PASSWORD", valueFrom: { secretKeyRef: { name: "db-password", key: "p" } } }],
      envFrom: [{ configMapRef: { name: "env-cm" } }, { secretRef: { name: "env-secret" } }],
    },
  ],
  initContainers: [{ name: "init", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "init-cm", key: "x" } } }] }],
  imagePullSecrets: [{ name: "registry" }],
});
const OTHER = podOn("vm2", "other", { volumes: [{ name: "s", secret: { secretName: "other-secret" } }] });

function request(path: string, init: { method?: string; body?: unknown } = {}): Request {
  return new Request(`${BASE}${path}`, {
    method: init.method ?? "GET",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

interface Case {
  what: string;
  access: AccessRequest;
  allowed: boolean;
}

const core = (verb: string, resource: string, namespace?: string, name?: string, extra: Partial<AccessRequest> = {}): AccessRequest => ({
  verb,
  group: "",
  resource,
  namespace,
  name,
  ...extra,
});
const lease = (verb: string, name: string | undefined, extra: Partial<AccessRequest> = {}): AccessRequest => ({
  verb,
  group: "coordination.k8s.io",
  resource: "leases",
  namespace: "kube-node-lease",
  name,
  ...extra,
});
const nameSelector = (path: string, name: string) => request(`${path}?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`);

const CASES: Case[] = [
  { what: "get any node", access: core("get", "nodes", undefined, "vm2"), allowed: true },
  { what: "list nodes", access: core("list", "nodes"), allowed: true },
  { what: "watch nodes", access: core("watch", "nodes"), allowed: true },
  { what: "create its own node", access: core("create", "nodes", undefined, undefined, { request: request("/api/v1/nodes", { method: "POST", body: { metadata: { name: "vm1" } } }) }), allowed: true },
  { what: "create another node", access: core("create", "nodes", undefined, undefined, { request: request("/api/v1/nodes", { method: "POST", body: { metadata: { name: "vm2" } } }) }), allowed: false },
  { what: "create a node without the body", access: core("create", "nodes"), allowed: false },
  { what: "update its own node", access: core("update", "nodes", undefined, "vm1"), allowed: true },
  { what: "patch its own node status", access: core("patch", "nodes", undefined, "vm1", { subresource: "status" }), allowed: true },
  { what: "delete its own node", access: core("delete", "nodes", undefined, "vm1"), allowed: true },
  { what: "update another node", access: core("update", "nodes", undefined, "vm2"), allowed: false },
  { what: "patch another node's status", access: core("patch", "nodes", undefined, "vm2", { subresource: "status" }), allowed: false },
  { what: "delete all nodes", access: core("deletecollection", "nodes"), allowed: false },
  { what: "get a node's status", access: core("get", "nodes", undefined, "vm2", { subresource: "status" }), allowed: true },
  { what: "nodes/proxy", access: core("get", "nodes", undefined, "vm1", { subresource: "proxy" }), allowed: false },

  { what: "get its own lease", access: lease("get", "vm1"), allowed: true },
  { what: "update its own lease", access: lease("update", "vm1"), allowed: true },
  { what: "create its own lease", access: lease("create", undefined, { request: request("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", { method: "POST", body: { metadata: { name: "vm1" } } }) }), allowed: true },
  { what: "create another node's lease", access: lease("create", undefined, { request: request("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", { method: "POST", body: { metadata: { name: "vm2" } } }) }), allowed: false },
  { what: "update another node's lease", access: lease("update", "vm2"), allowed: false },
  { what: "list all leases", access: lease("list", undefined), allowed: false },
  { what: "watch its own lease by name", access: lease("watch", undefined, { request: nameSelector("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", "vm1") }), allowed: true },
  { what: "a lease in another namespace", access: { ...lease("get", "vm1"), namespace: "default" }, allowed: false },

  { what: "list all pods", access: core("list", "pods"), allowed: true },
  { what: "watch pods", access: core("watch", "pods"), allowed: true },
  { what: "get a pod on another node", access: core("get", "pods", "default", "other"), allowed: true },
  { what: "patch status of its pod", access: core("patch", "pods", "default", "web", { subresource: "status" }), allowed: true },
  { what: "update status of its pod", access: core("update", "pods", "default", "web", { subresource: "status" }), allowed: true },
  { what: "delete its pod", access: core("delete", "pods", "default", "web"), allowed: true },
  { what: "patch status of another node's pod", access: core("patch", "pods", "default", "other", { subresource: "status" }), allowed: false },
  { what: "delete another node's pod", access: core("delete", "pods", "default", "other"), allowed: false },
  // NodeRestriction answers NotFound for a missing pod: the verb says 404, not the authorizer 403.
  { what: "delete a missing pod", access: core("delete", "pods", "default", "missing"), allowed: true },
  { what: "patch status of a missing pod", access: core("patch", "pods", "default", "missing", { subresource: "status" }), allowed: true },
  { what: "update its pod's spec", access: core("update", "pods", "default", "web"), allowed: false },
  { what: "create a pod", access: core("create", "pods", "default"), allowed: false },
  { what: "get a pod's status", access: core("get", "pods", "default", "other", { subresource: "status" }), allowed: true },
  { what: "read its pod's log", access: core("get", "pods", "default", "web", { subresource: "log" }), allowed: false },
  { what: "exec into its pod", access: core("create", "pods", "default", "web", { subresource: "exec" }), allowed: false },

  { what: "get a volume configmap", access: core("get", "configmaps", "default", "web-config"), allowed: true },
  { what: "get an envFrom configmap", access: core("get", "configmaps", "default", "env-cm"), allowed: true },
  { what: "get an init container's configmap", access: core("get", "configmaps", "default", "init-cm"), allowed: true },
  { what: "get a projected configmap", access: core("get", "configmaps", "default", "proj-cm"), allowed: true },
  { what: "get an unreferenced configmap", access: core("get", "configmaps", "default", "nobody"), allowed: false },
  { what: "get a referenced configmap name in another namespace", access: core("get", "configmaps", "other", "web-config"), allowed: false },
  { what: "get a volume secret", access: core("get", "secrets", "default", "web-tls"), allowed: true },
  { what: "get an env secret", access: core("get", "secrets", "default", "db-password"), allowed: true },
  { what: "get an envFrom secret", access: core("get", "secrets", "default", "env-secret"), allowed: true },
  { what: "get a projected secret", access: core("get", "secrets", "default", "proj-secret"), allowed: true },
  { what: "get an image pull secret", access: core("get", "secrets", "default", "registry"), allowed: true },
  { what: "get another node's secret", access: core("get", "secrets", "default", "other-secret"), allowed: false },
  // Every node serves every Ingress (node-agent/ingress), so it reads the TLS Secrets they name.
  { what: "watch a TLS secret an Ingress names", access: core("watch", "secrets", "shop", undefined, { request: nameSelector("/api/v1/namespaces/shop/secrets", "shop-tls") }), allowed: true },
  { what: "get that name in another namespace", access: core("get", "secrets", "default", "shop-tls"), allowed: false },
  { what: "get another secret beside the Ingress", access: core("get", "secrets", "shop", "shop-db"), allowed: false },
  { what: "list secrets", access: core("list", "secrets", "default", undefined, { request: request("/api/v1/namespaces/default/secrets") }), allowed: false },
  { what: "list all secrets cluster-wide", access: core("list", "secrets"), allowed: false },
  { what: "list one referenced secret by name", access: core("list", "secrets", "default", undefined, { request: nameSelector("/api/v1/namespaces/default/secrets", "web-tls") }), allowed: true },
  { what: "watch one referenced configmap by name", access: core("watch", "configmaps", "default", undefined, { request: nameSelector("/api/v1/namespaces/default/configmaps", "web-config") }), allowed: true },
  { what: "watch an unreferenced secret by name", access: core("watch", "secrets", "default", undefined, { request: nameSelector("/api/v1/namespaces/default/secrets", "nobody") }), allowed: false },
  { what: "update a referenced secret", access: core("update", "secrets", "default", "web-tls"), allowed: false },
  { what: "get a referenced claim", access: core("get", "persistentvolumeclaims", "default", "web-data"), allowed: true },
  { what: "get an ephemeral volume's claim", access: core("get", "persistentvolumeclaims", "default", "web-scratch"), allowed: true },
  { what: "get an unreferenced claim", access: core("get", "persistentvolumeclaims", "default", "nobody"), allowed: false },
  { what: "get the volume bound to its claim", access: core("get", "persistentvolumes", undefined, "pv-web"), allowed: true },
  { what: "get a volume bound to another claim", access: core("get", "persistentvolumes", undefined, "pv-other"), allowed: false },
  { what: "list volumes", access: core("list", "persistentvolumes"), allowed: false },

  { what: "create an event anywhere", access: core("create", "events", "kube-system"), allowed: true },
  { what: "patch an event", access: core("patch", "events", "default", "web.123"), allowed: true },
  { what: "create an events.k8s.io event", access: { verb: "create", group: "events.k8s.io", resource: "events", namespace: "default" }, allowed: true },
  { what: "delete an event", access: core("delete", "events", "default", "web.123"), allowed: false },
  { what: "read events", access: core("list", "events", "default"), allowed: false },

  { what: "list services", access: core("list", "services"), allowed: true },
  { what: "watch endpoints", access: core("watch", "endpoints"), allowed: true },
  { what: "watch endpointslices", access: { verb: "watch", group: "discovery.k8s.io", resource: "endpointslices" }, allowed: true },
  { what: "get a namespace", access: core("get", "namespaces", undefined, "default"), allowed: true },
  { what: "list ingresses", access: { verb: "list", group: "networking.k8s.io", resource: "ingresses" }, allowed: true },
  { what: "list ingressclasses", access: { verb: "list", group: "networking.k8s.io", resource: "ingressclasses" }, allowed: true },
  { what: "update a service", access: core("update", "services", "default", "web"), allowed: false },
  { what: "delete a namespace", access: core("delete", "namespaces", undefined, "default"), allowed: false },
  { what: "list deployments", access: { verb: "list", group: "apps", resource: "deployments" }, allowed: false },
  { what: "list serviceaccounts", access: core("list", "serviceaccounts", "default"), allowed: false },
];

describe("node authorizer", () => {
  const store = new FakeStore();
  beforeAll(async () => {
    for (const p of [WEB, OTHER]) await store.create({ group: "", resource: "pods", namespace: "default", name: p.metadata.name ?? "" }, p);
    const pvc = (name: string, volumeName: string): KubeObject => ({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name, namespace: "default" }, spec: { volumeName } });
    const pv = (name: string, claim: string): KubeObject => ({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name }, spec: { claimRef: { namespace: "default", name: claim } } });
    await store.create({ group: "", resource: "persistentvolumeclaims", namespace: "default", name: "web-data" }, pvc("web-data", "pv-web"));
    await store.create({ group: "", resource: "persistentvolumeclaims", namespace: "default", name: "other-data" }, pvc("other-data", "pv-other"));
    await store.create({ group: "", resource: "persistentvolumes", namespace: "", name: "pv-web" }, pv("pv-web", "web-data"));
    await store.create({ group: "", resource: "persistentvolumes", namespace: "", name: "pv-other" }, pv("pv-other", "other-data"));
    const ingress: KubeObject = { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "site", namespace: "shop" }, spec: { tls: [{ hosts: ["shop.example"], secretName: "shop-tls" }] } };
    await store.create({ group: "networking.k8s.io", resource: "ingresses", namespace: "shop", name: "site" }, ingress);
  });

  it.each(CASES)("$what → allowed: $allowed", async ({ access, allowed }) => {
    const outcome = await authorizeRequest(store, vm1, access).then(
      () => "allowed",
      (error: unknown) => error,
    );
    if (allowed) {
      expect(outcome).toBe("allowed");
      return;
    }
    expect(outcome).toBeInstanceOf(StatusError);
    const status = (outcome as StatusError).toStatus();
    expect(status.code).toBe(403);
    expect(status.reason).toBe("Forbidden");
    expect(status.message).toContain(`User "system:node:vm1" cannot ${access.verb} resource`);
  });

  it("words the 403 as kube-apiserver does", async () => {
    const error = await authorizeRequest(store, vm1, core("get", "secrets", "default", "other-secret")).catch((e: unknown) => e);
    expect((error as StatusError).message).toBe(
      'secrets "other-secret" is forbidden: User "system:node:vm1" cannot get resource "secrets" in API group "" in the namespace "default"',
    );
    const status = await authorizeRequest(store, vm1, core("patch", "nodes", undefined, "vm2", { subresource: "status" })).catch((e: unknown) => e);
    expect((status as StatusError).message).toBe(
      'nodes "vm2" is forbidden: User "system:node:vm1" cannot patch resource "nodes/status" in API group "" at the cluster scope',
    );
  });

  it("leaves the create body readable for the verb", async () => {
    const req = request("/api/v1/nodes", { method: "POST", body: { metadata: { name: "vm1" } } });
    await authorizeRequest(store, vm1, core("create", "nodes", undefined, undefined, { request: req }));
    expect(await req.json()).toEqual({ metadata: { name: "vm1" } });
  });

  it("lets the admin do anything, and a service account only what RBAC grants it", async () => {
    await authorizeRequest(store, { user: "admin", kind: "admin", scope: "" }, core("delete", "nodes", undefined, "vm1"));
    const sa: Principal = { user: "system:serviceaccount:team:default", kind: "serviceaccount", scope: "team" };
    // No binding: nothing, not even in its own namespace.
    await expect(authorizeRequest(store, sa, core("list", "secrets", "team"))).rejects.toBeInstanceOf(StatusError);
    await store.create(
      { group: "rbac.authorization.k8s.io", resource: "clusterroles", namespace: "", name: "edit" },
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "edit" }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }] },
    );
    await store.create(
      { group: "rbac.authorization.k8s.io", resource: "rolebindings", namespace: "team", name: "default-edit" },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "default-edit", namespace: "team" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
        subjects: [{ kind: "ServiceAccount", name: "default", namespace: "team" }],
      },
    );
    notePolicyWritten({ group: "rbac.authorization.k8s.io" });
    await authorizeRequest(store, sa, core("list", "secrets", "team"));
    await expect(authorizeRequest(store, sa, core("list", "secrets", "default"))).rejects.toBeInstanceOf(StatusError);
  });

  it("finds every reference of a pod", () => {
    const refs = podReferences(WEB);
    expect([...refs.configmaps].sort()).toEqual(["env-cm", "init-cm", "proj-cm", "web-config"]);
    expect([...refs.secrets].sort()).toEqual(["db-password", "env-secret", "proj-secret", "registry", "web-tls"]);
    expect([...refs.persistentvolumeclaims].sort()).toEqual(["web-data", "web-scratch"]);
  });
});

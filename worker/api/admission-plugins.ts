// Kind-specific admission, as kube-apiserver's admission plugins: each names the resource and the
// operations it handles, and the write path runs the chain after validation for every kind. A new
// plugin is one entry here; the verbs never branch on a kind for admission.
import type { KubeObject, ResourceDef } from "../resources/types";
import type { WriteContext } from "./write/context";
import { applyDefaultIngressClass } from "./default-ingress-class";
import { applyDefaultStorageClass } from "./default-storage-class";
import { admitNodeWrite } from "./node-restriction";
import { allocateServiceAddresses, releaseServiceAddresses } from "./service-allocation";
import type { Store } from "../store/types";
import { confirmBindingAllowed, confirmNoEscalation } from "./rbac/escalation";
import { admitPod, admitPodTemplate } from "./pod-security/admission";

type Operation = "CREATE" | "UPDATE";

interface AdmissionPlugin {
  /** Upstream's name for the plugin, or what it does where upstream does it elsewhere. */
  name: string;
  group: string;
  resource: string;
  operations: readonly Operation[];
  /** Whether writes to subresources (status, finalize) go through it too; most act on spec only. */
  subresources?: boolean;
  admit(ctx: WriteContext, obj: KubeObject, old: KubeObject | null): Promise<void> | void;
  /**
   * Once the store write has settled (committed or not), as the finish functions of kube-apiserver's
   * BeginCreate/BeginUpdate and its AfterDelete: frees what the write dropped or never stored.
   * Runs for deletes too (whatever the operations), with `kept` null.
   */
  finish?(store: Store, write: SettledWrite): Promise<void>;
}

/** A settled write as two states of one object: what the store holds now, and the other one. */
export interface SettledWrite {
  /** Committed: the object written (null for a delete). Failed: the object as it was (null for a create). */
  kept: KubeObject | null;
  /** Committed: the object as it was. Failed: the object the write meant to store. */
  dropped: KubeObject | null;
  /** When the store write began (ms since the epoch): what was claimed later is not this write's. */
  startedAt: number;
}

const PLUGINS: readonly AdmissionPlugin[] = [
  // Nodes may create and change only their own Node, and not its taints or labels under
  // node-restriction.kubernetes.io/ (status writes included).
  { name: "NodeRestriction", group: "", resource: "nodes", operations: ["CREATE", "UPDATE"], subresources: true, admit: (ctx, obj, old) => admitNodeWrite(ctx.principal, old, obj) },
  // ClusterIP and NodePort allocation (the Service REST storage's), also when a Service turns into NodePort.
  {
    name: "ServiceAllocation",
    group: "",
    resource: "services",
    operations: ["CREATE", "UPDATE"],
    admit: (ctx, obj, old) => allocateServiceAddresses(ctx, obj, old),
    finish: (store, w) => releaseServiceAddresses(store, w.kept, w.dropped, w.startedAt),
  },
  { name: "DefaultStorageClass", group: "", resource: "persistentvolumeclaims", operations: ["CREATE"], admit: (ctx, obj) => applyDefaultStorageClass(ctx.store, obj) },
  { name: "DefaultIngressClass", group: "networking.k8s.io", resource: "ingresses", operations: ["CREATE"], admit: (ctx, obj) => applyDefaultIngressClass(ctx.store, obj) },
  // Pod Security admission: pods by the namespace's enforce level; workload templates are warned about.
  { name: "PodSecurity", group: "", resource: "pods", operations: ["CREATE"], admit: (ctx, obj) => admitPod(ctx, obj) },
  ...(["deployments", "replicasets", "statefulsets"] as const).map((resource) => ({ name: "PodSecurity", group: "apps", resource, operations: ["CREATE", "UPDATE"] as const, admit: (ctx: WriteContext, obj: KubeObject) => admitPodTemplate(ctx, obj) })),
  // RBAC's escalation check (the rbac REST storage's): grant only what you hold.
  ...(["roles", "clusterroles"] as const).map((resource) => ({ name: "RBACNoEscalation", group: "rbac.authorization.k8s.io", resource, operations: ["CREATE", "UPDATE"] as const, admit: (ctx: WriteContext, obj: KubeObject) => confirmNoEscalation(ctx.store, ctx.principal, obj, resource) })),
  ...(["rolebindings", "clusterrolebindings"] as const).map((resource) => ({ name: "RBACBindingAuthorized", group: "rbac.authorization.k8s.io", resource, operations: ["CREATE", "UPDATE"] as const, admit: (ctx: WriteContext, obj: KubeObject) => confirmBindingAllowed(ctx.store, ctx.principal, obj, resource) })),
];

/** Runs every plugin that handles this write; `old` is null for a create. Throws the plugin's Status. */
export async function admit(ctx: WriteContext, def: ResourceDef, obj: KubeObject, old: KubeObject | null, subresource?: string): Promise<void> {
  const operation: Operation = old ? "UPDATE" : "CREATE";
  for (const plugin of PLUGINS) {
    if (plugin.group !== def.group || plugin.resource !== def.plural || !plugin.operations.includes(operation)) continue;
    if (subresource && !plugin.subresources) continue;
    await plugin.admit(ctx, obj, old);
  }
}

/**
 * Runs the finish step of every plugin of the kind. Its failure fails no request: the write has
 * settled either way, and what a plugin did not free is reclaimed once stale (service-reservations.ts).
 */
export async function finishWrite(store: Store, def: ResourceDef, write: SettledWrite): Promise<void> {
  if (!write.dropped) return;
  for (const plugin of PLUGINS) {
    if (plugin.finish && plugin.group === def.group && plugin.resource === def.plural) await plugin.finish(store, write).catch(() => undefined);
  }
}

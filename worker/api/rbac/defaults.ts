// The ClusterRoles and ClusterRoleBindings every cluster starts with, as kube-apiserver's RBAC
// bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy) makes them, limited to what a
// cluster serves today plus the kinds charts commonly name: cluster-admin, the user-facing admin,
// edit and view (aggregated from system:aggregate-to-* by label, as upstream), discovery, basic
// user and public info.
import type { KubeObject } from "../../resources/types";
import { RBAC_GROUP } from "../../resources/rbac/roles";
import type { PolicyRule } from "./evaluate";

const READ = ["get", "list", "watch"];
const WRITE = ["create", "delete", "deletecollection", "patch", "update"];

type Rule = Partial<PolicyRule> & { verbs: string[] };

const rule = (apiGroups: string[], resources: string[], verbs: string[]): Rule => ({ apiGroups, resources, verbs });

const VIEW_RULES: Rule[] = [
  rule([""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"], READ),
  rule([""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"], READ),
  rule([""], ["namespaces"], READ),
  rule(["discovery.k8s.io"], ["endpointslices"], READ),
  rule(["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"], READ),
  rule(["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], READ),
  rule(["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], READ),
  rule(["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], READ),
  rule(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], READ),
];

const EDIT_RULES: Rule[] = [
  rule([""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"], READ),
  rule([""], ["serviceaccounts"], ["impersonate"]),
  rule([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], WRITE),
  rule([""], ["pods/eviction"], ["create"]),
  rule([""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"], WRITE),
  rule([""], ["serviceaccounts/token"], ["create"]),
  rule(["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"], WRITE),
  rule(["autoscaling"], ["horizontalpodautoscalers"], WRITE),
  rule(["batch"], ["cronjobs", "jobs"], WRITE),
  rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], WRITE),
  rule(["policy"], ["poddisruptionbudgets"], WRITE),
];

const ADMIN_RULES: Rule[] = [
  rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
  rule([RBAC_GROUP], ["rolebindings", "roles"], [...WRITE, ...READ]),
];

const DISCOVERY_URLS = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"];
const PUBLIC_URLS = ["/healthz", "/livez", "/readyz", "/version", "/version/"];

const BOOTSTRAP_LABELS = { "kubernetes.io/bootstrapping": "rbac-defaults" };
const AUTOUPDATE = { "rbac.authorization.kubernetes.io/autoupdate": "true" };
const AGGREGATE = (to: string) => ({ [`rbac.authorization.k8s.io/aggregate-to-${to}`]: "true" });

function clusterRole(name: string, rules: Rule[], extra: { labels?: Record<string, string>; aggregateFrom?: string } = {}): KubeObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRole",
    metadata: { name, labels: { ...BOOTSTRAP_LABELS, ...extra.labels }, annotations: { ...AUTOUPDATE } },
    ...(extra.aggregateFrom ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: AGGREGATE(extra.aggregateFrom) }] } } : {}),
    rules,
  };
}

function clusterRoleBinding(name: string, role: string, groups: string[]): KubeObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRoleBinding",
    metadata: { name, labels: { ...BOOTSTRAP_LABELS }, annotations: { ...AUTOUPDATE } },
    roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: role },
    subjects: groups.map((group) => ({ apiGroup: RBAC_GROUP, kind: "Group", name: group })),
  };
}

/**
 * The default ClusterRoles. view, edit and admin aggregate (view ⊂ edit ⊂ admin, by label); their
 * stored rules are the aggregation's result at bootstrap, and the authorizer aggregates again when
 * it reads them, so a ClusterRole labelled later extends them at once.
 */
export function defaultClusterRoles(): KubeObject[] {
  const view = [...VIEW_RULES];
  const edit = [...EDIT_RULES, ...view];
  const admin = [...ADMIN_RULES, ...edit];
  return [
    clusterRole("cluster-admin", [
      { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
      { nonResourceURLs: ["*"], verbs: ["*"] },
    ]),
    clusterRole("system:aggregate-to-view", VIEW_RULES, { labels: AGGREGATE("view") }),
    clusterRole("system:aggregate-to-edit", EDIT_RULES, { labels: AGGREGATE("edit") }),
    clusterRole("system:aggregate-to-admin", ADMIN_RULES, { labels: AGGREGATE("admin") }),
    clusterRole("view", view, { labels: AGGREGATE("edit"), aggregateFrom: "view" }),
    clusterRole("edit", edit, { labels: AGGREGATE("admin"), aggregateFrom: "edit" }),
    clusterRole("admin", admin, { aggregateFrom: "admin" }),
    clusterRole("system:discovery", [{ nonResourceURLs: DISCOVERY_URLS, verbs: ["get"] }]),
    clusterRole("system:public-info-viewer", [{ nonResourceURLs: PUBLIC_URLS, verbs: ["get"] }]),
    clusterRole("system:basic-user", [
      rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"]),
      rule(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
    ]),
  ];
}

export function defaultClusterRoleBindings(): KubeObject[] {
  return [
    clusterRoleBinding("cluster-admin", "cluster-admin", ["system:masters"]),
    clusterRoleBinding("system:discovery", "system:discovery", ["system:authenticated"]),
    clusterRoleBinding("system:basic-user", "system:basic-user", ["system:authenticated"]),
    clusterRoleBinding("system:public-info-viewer", "system:public-info-viewer", ["system:authenticated", "system:unauthenticated"]),
  ];
}

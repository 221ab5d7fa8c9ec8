// RBAC's decision (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac): a request is allowed when
// a binding that names the subject grants a role with a rule covering it. Pure functions over a
// policy snapshot (policy.ts loads and caches it).
import type { KubeObject } from "../../resources/types";
import { labelSelectorFromSpec, matchLabels, type LabelSelector, type LabelSelectorSpec } from "../../../shared/selectors";
import { asArray, asRecord, str } from "../../../shared/json";

export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

/** Who asks: the user name and the groups authentication gave it. */
export interface Subject {
  user: string;
  groups: readonly string[];
}

export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Every Role, ClusterRole and binding, as read at one moment. */
export interface PolicySnapshot {
  clusterRoles: ReadonlyMap<string, KubeObject>;
  /** namespace → name → Role */
  roles: ReadonlyMap<string, ReadonlyMap<string, KubeObject>>;
  clusterRoleBindings: readonly KubeObject[];
  /** namespace → RoleBindings */
  roleBindings: ReadonlyMap<string, readonly KubeObject[]>;
}

const strings = (value: unknown): string[] => (asArray(value) ?? []).filter((v): v is string => typeof v === "string");

/** A Role's or ClusterRole's own rules (no aggregation), as the evaluator reads them. */
export function toRules(role: KubeObject | undefined): PolicyRule[] {
  return (asArray(role?.rules) ?? []).map((raw) => {
    const r = asRecord(raw) ?? {};
    return { verbs: strings(r.verbs), apiGroups: strings(r.apiGroups), resources: strings(r.resources), resourceNames: strings(r.resourceNames), nonResourceURLs: strings(r.nonResourceURLs) };
  });
}

/**
 * A ClusterRole's rules with those of the ClusterRoles its aggregationRule selects, transitively
 * (the aggregation controller's result, computed when asked instead of written back).
 */
export function clusterRoleRules(policy: PolicySnapshot, name: string, seen = new Set<string>()): PolicyRule[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const role = policy.clusterRoles.get(name);
  if (!role) return [];
  const rules = toRules(role);
  const selectors = asArray(asRecord(role.aggregationRule)?.clusterRoleSelectors) ?? [];
  if (selectors.length === 0) return rules;
  const parsed = selectors.map(selectorOf);
  for (const [other, candidate] of policy.clusterRoles) {
    if (other === name) continue;
    const labels = candidate.metadata.labels ?? {};
    if (parsed.some((selector) => selector !== undefined && selector !== null && matchLabels(selector, labels))) rules.push(...clusterRoleRules(policy, other, seen));
  }
  return rules;
}

function bindingRules(policy: PolicySnapshot, binding: KubeObject, namespace: string | undefined): PolicyRule[] {
  const ref = asRecord(binding.roleRef) ?? {};
  const name = str(ref.name) ?? "";
  if (ref.kind === "ClusterRole") return clusterRoleRules(policy, name);
  if (ref.kind === "Role" && namespace) return toRules(policy.roles.get(namespace)?.get(name));
  return [];
}

/** Whether a binding's subjects include `who` (appliesTo in upstream's rbac.go). */
export function bindingNames(binding: KubeObject, who: Subject, bindingNamespace: string | undefined): boolean {
  for (const raw of asArray(binding.subjects) ?? []) {
    const s = asRecord(raw) ?? {};
    const name = str(s.name) ?? "";
    if (s.kind === "User" && name === who.user) return true;
    if (s.kind === "Group" && who.groups.includes(name)) return true;
    if (s.kind === "ServiceAccount") {
      const namespace = str(s.namespace) ?? bindingNamespace ?? "";
      if (who.user === `system:serviceaccount:${namespace}:${name}`) return true;
    }
  }
  return false;
}

/** Every rule granted to `who` cluster-wide, and in `namespace` when given. */
export function rulesFor(policy: PolicySnapshot, who: Subject, namespace?: string): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const binding of policy.clusterRoleBindings) {
    if (bindingNames(binding, who, undefined)) rules.push(...bindingRules(policy, binding, undefined));
  }
  if (namespace) {
    for (const binding of policy.roleBindings.get(namespace) ?? []) {
      if (bindingNames(binding, who, namespace)) rules.push(...bindingRules(policy, binding, namespace));
    }
  }
  return rules;
}

/** A clusterRoleSelector; one that does not parse selects nothing (validation refuses those). */
function selectorOf(spec: unknown): LabelSelector | undefined {
  try {
    return labelSelectorFromSpec(asRecord(spec) as LabelSelectorSpec | undefined);
  } catch {
    return undefined;
  }
}

/** What system:masters holds: cluster-admin's two rules. */
export const EVERYTHING: readonly PolicyRule[] = [
  { verbs: ["*"], apiGroups: ["*"], resources: ["*"], resourceNames: [], nonResourceURLs: [] },
  { verbs: ["*"], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ["*"] },
];

const has = (list: readonly string[], value: string) => list.includes("*") || list.includes(value);

/** ResourceMatches: "*", the resource (with its subresource), or "*\/subresource". */
function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return rule.resources.some((r) => r === "*" || r === combined || (subresource !== undefined && r === `*/${subresource}`));
}

export function ruleAllows(rule: PolicyRule, request: ResourceAttributes): boolean {
  return (
    has(rule.verbs, request.verb) &&
    has(rule.apiGroups, request.group) &&
    resourceMatches(rule, request.resource, request.subresource) &&
    (rule.resourceNames.length === 0 || (request.name !== undefined && rule.resourceNames.includes(request.name)))
  );
}

/** NonResourceURLMatches: exact, or a prefix ending in "*". */
export function ruleAllowsURL(rule: PolicyRule, verb: string, path: string): boolean {
  if (!has(rule.verbs, verb)) return false;
  return rule.nonResourceURLs.some((u) => u === "*" || u === path || (u.endsWith("*") && path.startsWith(u.slice(0, -1))));
}

export function allows(policy: PolicySnapshot, who: Subject, request: ResourceAttributes): boolean {
  return rulesFor(policy, who, request.namespace).some((rule) => ruleAllows(rule, request));
}

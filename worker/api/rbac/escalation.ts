// RBAC's escalation prevention (pkg/registry/rbac: ConfirmNoEscalation, BindingAuthorized): no one
// writes a Role holding rules they do not hold themselves, nor binds a role whose rules they do
// not hold, unless granted the `escalate` (roles) or `bind` (bindings) verb for it.
import type { KubeObject } from "../../resources/types";
import { RBAC_GROUP } from "../../resources/rbac/roles";
import type { Store } from "../../store/types";
import type { Principal } from "../access";
import { mayAccess, subjectOf } from "../auth";
import { clusterRoleRules, EVERYTHING, ruleAllows, ruleAllowsURL, rulesFor, toRules, type PolicyRule } from "./evaluate";
import { policyOf } from "./policy";
import { notFound, StatusError } from "../../../shared/status-error";
import { asRecord, str } from "../../../shared/json";

/** validation.Covers: every atomic piece of each servant rule is allowed by some owner rule. */
export function uncovered(owner: readonly PolicyRule[], servant: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of servant) {
    for (const verb of rule.verbs) {
      for (const url of rule.nonResourceURLs) {
        if (!owner.some((o) => ruleAllowsURL(o, verb, url))) missing.push({ verbs: [verb], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [url] });
      }
      for (const group of rule.apiGroups) {
        for (const combined of rule.resources) {
          const [resource = "", subresource] = combined.split("/", 2);
          const names = rule.resourceNames.length > 0 ? rule.resourceNames : [undefined];
          for (const name of names) {
            // A rule with no resourceNames is covered only by owner rules with none either.
            const held = owner.some((o) => (name === undefined ? o.resourceNames.length === 0 : true) && ruleAllows(o, { verb, group, resource, subresource, name }));
            if (!held) missing.push({ verbs: [verb], apiGroups: [group], resources: [combined], resourceNames: name ? [name] : [], nonResourceURLs: [] });
          }
        }
      }
    }
  }
  return missing;
}

function describe(rules: PolicyRule[]): string {
  return rules
    .slice(0, 10)
    .map((r) => (r.nonResourceURLs.length ? `{NonResourceURLs:${JSON.stringify(r.nonResourceURLs)}, Verbs:${JSON.stringify(r.verbs)}}` : `{APIGroups:${JSON.stringify(r.apiGroups)}, Resources:${JSON.stringify(r.resources)}${r.resourceNames.length ? `, ResourceNames:${JSON.stringify(r.resourceNames)}` : ""}, Verbs:${JSON.stringify(r.verbs)}}`))
    .join(", ");
}

function escalationError(principal: Principal, kind: string, name: string, missing: PolicyRule[], namespace?: string): StatusError {
  const who = subjectOf(principal);
  const scope = namespace ? `in namespace "${namespace}"` : "cluster-wide";
  return new StatusError(
    403,
    "Forbidden",
    `${kind} "${name}" is forbidden: user "${who.user}" (groups=${JSON.stringify(who.groups)}) is attempting to grant RBAC permissions not currently held:\n${describe(missing)} ${scope}`,
    { name, group: RBAC_GROUP, kind },
  );
}

/** Roles and ClusterRoles: their rules must be held by the writer, or the writer may `escalate`. */
export async function confirmNoEscalation(store: Store, principal: Principal, obj: KubeObject, resource: "roles" | "clusterroles"): Promise<void> {
  if (principal.kind === "admin") return;
  const namespace = resource === "roles" ? obj.metadata.namespace : undefined;
  const name = obj.metadata.name ?? "";
  if (await mayAccess(store, principal, { verb: "escalate", group: RBAC_GROUP, resource, namespace, name })) return;
  const policy = await policyOf(store);
  // An aggregating ClusterRole grants whatever is labelled to match it, now or later: as upstream,
  // only someone who holds everything may write one.
  const granted = resource === "clusterroles" && asRecord(obj.aggregationRule) ? EVERYTHING : toRules(obj);
  const missing = uncovered(rulesFor(policy, subjectOf(principal), namespace), granted);
  if (missing.length > 0) throw escalationError(principal, resource === "roles" ? "roles.rbac.authorization.k8s.io" : "clusterroles.rbac.authorization.k8s.io", name, missing, namespace);
}


/** Bindings: the writer holds the role's rules where it binds them, or may `bind` that role. */
export async function confirmBindingAllowed(store: Store, principal: Principal, obj: KubeObject, resource: "rolebindings" | "clusterrolebindings"): Promise<void> {
  if (principal.kind === "admin") return;
  const namespace = resource === "rolebindings" ? obj.metadata.namespace : undefined;
  const ref = asRecord(obj.roleRef) ?? {};
  const roleKind = str(ref.kind) ?? "";
  const roleName = str(ref.name) ?? "";
  const roleResource = roleKind === "Role" ? "roles" : "clusterroles";
  if (await mayAccess(store, principal, { verb: "bind", group: RBAC_GROUP, resource: roleResource, namespace: roleKind === "Role" ? namespace : undefined, name: roleName })) return;
  const policy = await policyOf(store);
  // A role that does not exist yet cannot be checked: binding it would grant whatever it later holds.
  const role = roleKind === "Role" ? policy.roles.get(namespace ?? "")?.get(roleName) : policy.clusterRoles.get(roleName);
  if (!role) throw notFound({ group: RBAC_GROUP, resource: roleResource }, roleName);
  const granted = roleKind === "Role" ? toRules(role) : clusterRoleRules(policy, roleName);
  const missing = uncovered(rulesFor(policy, subjectOf(principal), namespace), granted);
  if (missing.length > 0) throw escalationError(principal, `${resource}.rbac.authorization.k8s.io`, obj.metadata.name ?? "", missing, namespace);
}

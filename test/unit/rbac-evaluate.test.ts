// RBAC's rule matching, aggregation and escalation coverage, on a policy snapshot.
import { describe, expect, it } from "vitest";
import { allows, clusterRoleRules, rulesFor, type PolicyRule, type PolicySnapshot } from "../../worker/api/rbac/evaluate";
import { uncovered } from "../../worker/api/rbac/escalation";
import { defaultClusterRoleBindings, defaultClusterRoles } from "../../worker/api/rbac/defaults";
import type { KubeObject } from "../../worker/resources/types";

const RBAC = "rbac.authorization.k8s.io";

function snapshot(extra: { roles?: KubeObject[]; bindings?: KubeObject[] } = {}): PolicySnapshot {
  const clusterRoles = new Map(defaultClusterRoles().map((r) => [r.metadata.name!, r]));
  const roles = new Map<string, Map<string, KubeObject>>();
  for (const r of extra.roles ?? []) {
    if (!roles.has(r.metadata.namespace!)) roles.set(r.metadata.namespace!, new Map());
    roles.get(r.metadata.namespace!)!.set(r.metadata.name!, r);
  }
  const roleBindings = new Map<string, KubeObject[]>();
  for (const b of extra.bindings ?? []) roleBindings.set(b.metadata.namespace!, [...(roleBindings.get(b.metadata.namespace!) ?? []), b]);
  return { clusterRoles, roles, clusterRoleBindings: defaultClusterRoleBindings(), roleBindings };
}

const binding = (namespace: string, kind: "Role" | "ClusterRole", role: string, sa: string): KubeObject => ({
  apiVersion: `${RBAC}/v1`,
  kind: "RoleBinding",
  metadata: { name: `${sa}-${role}`, namespace },
  roleRef: { apiGroup: RBAC, kind, name: role },
  subjects: [{ kind: "ServiceAccount", name: sa }],
});

const sa = (namespace: string, name: string) => ({ user: `system:serviceaccount:${namespace}:${name}`, groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"] });
const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames: string[] = []): PolicyRule => ({ verbs, apiGroups, resources, resourceNames, nonResourceURLs: [] });

describe("RBAC evaluation", () => {
  it("grants a bound ClusterRole in the binding's namespace only; a ServiceAccount subject defaults to it", () => {
    const policy = snapshot({ bindings: [binding("team", "ClusterRole", "view", "ci")] });
    const who = sa("team", "ci");
    expect(allows(policy, who, { verb: "list", group: "", resource: "pods", namespace: "team" })).toBe(true);
    expect(allows(policy, who, { verb: "get", group: "", resource: "pods", subresource: "log", namespace: "team", name: "p" })).toBe(true);
    expect(allows(policy, who, { verb: "get", group: "", resource: "secrets", namespace: "team" })).toBe(false);
    expect(allows(policy, who, { verb: "create", group: "", resource: "pods", subresource: "exec", namespace: "team" })).toBe(false);
    expect(allows(policy, who, { verb: "list", group: "", resource: "pods", namespace: "other" })).toBe(false);
    expect(allows(policy, sa("other", "ci"), { verb: "list", group: "", resource: "pods", namespace: "team" })).toBe(false);
  });

  it("matches resourceNames, */subresource and wildcards as upstream", () => {
    const role: KubeObject = { apiVersion: `${RBAC}/v1`, kind: "Role", metadata: { name: "r", namespace: "n" }, rules: [rule(["get"], [""], ["configmaps"], ["one"]), rule(["*"], ["apps"], ["*/scale"])] };
    const policy = snapshot({ roles: [role], bindings: [binding("n", "Role", "r", "x")] });
    const who = sa("n", "x");
    expect(allows(policy, who, { verb: "get", group: "", resource: "configmaps", namespace: "n", name: "one" })).toBe(true);
    expect(allows(policy, who, { verb: "get", group: "", resource: "configmaps", namespace: "n", name: "two" })).toBe(false);
    expect(allows(policy, who, { verb: "list", group: "", resource: "configmaps", namespace: "n" })).toBe(false);
    expect(allows(policy, who, { verb: "update", group: "apps", resource: "deployments", subresource: "scale", namespace: "n", name: "d" })).toBe(true);
    expect(allows(policy, who, { verb: "update", group: "apps", resource: "deployments", namespace: "n", name: "d" })).toBe(false);
  });

  it("aggregates by label, transitively: admin ⊃ edit ⊃ view, and a labelled ClusterRole joins them", () => {
    const policy = snapshot();
    const extra: KubeObject = { apiVersion: `${RBAC}/v1`, kind: "ClusterRole", metadata: { name: "widgets-view", labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } }, rules: [rule(["get"], ["example.com"], ["widgets"])] };
    (policy.clusterRoles as Map<string, KubeObject>).set("widgets-view", extra);
    for (const role of ["view", "edit", "admin"]) {
      const rules = clusterRoleRules(policy, role);
      expect(rules.some((r) => r.resources.includes("widgets")), role).toBe(true);
    }
    expect(clusterRoleRules(policy, "view").some((r) => r.resources.includes("secrets"))).toBe(false);
  });

  it("gives every authenticated user discovery and self-reviews, and system:masters everything", () => {
    const policy = snapshot();
    const rules = rulesFor(policy, sa("x", "y"));
    expect(rules.some((r) => r.nonResourceURLs.includes("/apis/*"))).toBe(true);
    expect(allows(policy, sa("x", "y"), { verb: "create", group: "authorization.k8s.io", resource: "selfsubjectaccessreviews" })).toBe(true);
    expect(allows(policy, { user: "u", groups: ["system:masters"] }, { verb: "delete", group: "", resource: "nodes", name: "n" })).toBe(true);
  });

  it("finds what a servant rule grants beyond the owner's", () => {
    const owner = [rule(["get", "list"], [""], ["pods", "pods/log"]), rule(["get"], [""], ["configmaps"], ["one"])];
    expect(uncovered(owner, [rule(["get"], [""], ["pods"])])).toEqual([]);
    expect(uncovered(owner, [rule(["get"], [""], ["configmaps"], ["one"])])).toEqual([]);
    expect(uncovered(owner, [rule(["get"], [""], ["configmaps"])])).toHaveLength(1);
    expect(uncovered(owner, [rule(["get", "delete"], [""], ["pods"])]).map((r) => r.verbs[0])).toEqual(["delete"]);
    expect(uncovered(owner, [rule(["*"], [""], ["pods"])])).toHaveLength(1);
    expect(uncovered([rule(["*"], ["*"], ["*"])], [rule(["*"], ["apps"], ["deployments/scale"])])).toEqual([]);
  });
});

// Role and ClusterRole (rbac.authorization.k8s.io/v1): lists of PolicyRules, validated as
// kube-apiserver's ValidatePolicyRule does; a ClusterRole may aggregate others by label.
import { z } from "zod";
import { NAME_COLUMN, atomicList, labelSelectorSchema, objectSchema, resource } from "../meta";
import type { KubeObject } from "../types";
import { invalid, required, type Cause } from "../shared/field-errors";
import { dropGeneration } from "../shared/prepare-helpers";
import { asArray, asRecord } from "../../../shared/json";

export const RBAC_GROUP = "rbac.authorization.k8s.io";

const stringList = atomicList(z.string());

export const policyRuleSchema = z.object({
  verbs: stringList,
  apiGroups: stringList.optional(),
  resources: stringList.optional(),
  resourceNames: stringList.optional(),
  nonResourceURLs: stringList.optional(),
});

export type PolicyRule = z.infer<typeof policyRuleSchema>;

const roleSchema = objectSchema({ rules: atomicList(policyRuleSchema).nullish() });

const clusterRoleSchema = objectSchema({
  rules: atomicList(policyRuleSchema).nullish(),
  aggregationRule: z.object({ clusterRoleSelectors: atomicList(labelSelectorSchema).optional() }).optional(),
});

const list = (value: unknown): unknown[] => asArray(value) ?? [];

/** ValidatePolicyRule: verbs always; resource rules need groups and resources; URL rules only cluster-wide. */
export function policyRuleCauses(rule: unknown, path: string, namespaced: boolean): Cause[] {
  const r = asRecord(rule) ?? {};
  const causes: Cause[] = [];
  if (list(r.verbs).length === 0) causes.push(required(`${path}.verbs`, "verbs must contain at least one value"));
  const urls = list(r.nonResourceURLs);
  if (urls.length > 0) {
    if (namespaced) causes.push(invalid(`${path}.nonResourceURLs`, urls, "namespaced rules cannot apply to non-resource URLs"));
    if (list(r.apiGroups).length > 0 || list(r.resources).length > 0 || list(r.resourceNames).length > 0) {
      causes.push(invalid(`${path}.nonResourceURLs`, urls, "rules cannot apply to both regular resources and non-resource URLs"));
    }
    return causes;
  }
  if (list(r.apiGroups).length === 0) causes.push(required(`${path}.apiGroups`, "resource rules must supply at least one api group"));
  if (list(r.resources).length === 0) causes.push(required(`${path}.resources`, "resource rules must supply at least one resource"));
  return causes;
}

function rulesCauses(obj: KubeObject, namespaced: boolean): Cause[] {
  return list(obj.rules).flatMap((rule, i) => policyRuleCauses(rule, `rules[${i}]`, namespaced));
}

/** Roles have no spec: kubectl shows their creation time, as kube-apiserver's table does. */
const CREATED_AT_COLUMN = { name: "Created At", type: "date", description: "CreationTimestamp is a timestamp representing the server time when this object was created.", priority: 0 } as const;

export const roles = resource({
  group: RBAC_GROUP,
  version: "v1",
  kind: "Role",
  listKind: "RoleList",
  plural: "roles",
  singular: "role",
  namespaced: true,
  nameFormat: "path-segment",
  schema: roleSchema,
  subresources: {},
  printerColumns: [NAME_COLUMN, CREATED_AT_COLUMN],
  printRow: (o) => [o.metadata.name ?? "", o.metadata.creationTimestamp ?? ""],
  prepareForCreate: (obj) => dropGeneration(obj),
  validate: (obj) => rulesCauses(obj, true),
});

export const clusterroles = resource({
  group: RBAC_GROUP,
  version: "v1",
  kind: "ClusterRole",
  listKind: "ClusterRoleList",
  plural: "clusterroles",
  singular: "clusterrole",
  namespaced: false,
  nameFormat: "path-segment",
  schema: clusterRoleSchema,
  subresources: {},
  printerColumns: [NAME_COLUMN, CREATED_AT_COLUMN],
  printRow: (o) => [o.metadata.name ?? "", o.metadata.creationTimestamp ?? ""],
  prepareForCreate: (obj) => dropGeneration(obj),
  validate(obj) {
    const causes = rulesCauses(obj, false);
    const aggregation = asRecord(obj.aggregationRule);
    if (aggregation && list(aggregation.clusterRoleSelectors).length === 0) {
      causes.push(required("aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is non-nil"));
    }
    return causes;
  },
});

// RoleBinding and ClusterRoleBinding (rbac.authorization.k8s.io/v1): subjects granted a role,
// validated as kube-apiserver's ValidateRoleBinding does; roleRef never changes once set.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, objectSchema, resource } from "../meta";
import type { KubeObject, ResourceDef } from "../types";
import { invalid, notSupported, required, type Cause } from "../shared/field-errors";
import { dropGeneration } from "../shared/prepare-helpers";
import { asArray, asRecord, str } from "../../../shared/json";
import { deepEqual } from "../../../shared/deep-equal";
import { RBAC_GROUP } from "./roles";

const subjectSchema = z.object({
  kind: z.string(),
  apiGroup: z.string().optional(),
  name: z.string(),
  namespace: z.string().optional(),
});

const roleRefSchema = z.object({ apiGroup: z.string(), kind: z.string(), name: z.string() });

const bindingSchema = objectSchema({ subjects: atomicList(subjectSchema).nullish(), roleRef: roleRefSchema });

const SUBJECT_KINDS = ["ServiceAccount", "User", "Group"];

function subjectCauses(subject: unknown, path: string, clusterWide: boolean): Cause[] {
  const s = asRecord(subject) ?? {};
  const kind = str(s.kind) ?? "";
  const causes: Cause[] = [];
  if (!str(s.name)) causes.push(required(`${path}.name`));
  if (kind === "ServiceAccount") {
    if ((str(s.apiGroup) ?? "") !== "") causes.push(notSupported(`${path}.apiGroup`, s.apiGroup, [""]));
    if (clusterWide && !str(s.namespace)) causes.push(required(`${path}.namespace`));
  } else if (kind === "User" || kind === "Group") {
    if (s.apiGroup !== RBAC_GROUP) causes.push(notSupported(`${path}.apiGroup`, s.apiGroup ?? "", [RBAC_GROUP]));
  } else {
    causes.push(notSupported(`${path}.kind`, kind, SUBJECT_KINDS));
  }
  return causes;
}

function bindingCauses(obj: KubeObject, old: KubeObject | undefined, roleKinds: string[], clusterWide: boolean): Cause[] {
  const causes: Cause[] = [];
  const ref = asRecord(obj.roleRef) ?? {};
  if (ref.apiGroup !== RBAC_GROUP) causes.push(notSupported("roleRef.apiGroup", ref.apiGroup ?? "", [RBAC_GROUP]));
  if (!roleKinds.includes(str(ref.kind) ?? "")) causes.push(notSupported("roleRef.kind", ref.kind ?? "", roleKinds));
  if (!str(ref.name)) causes.push(required("roleRef.name"));
  (asArray(obj.subjects) ?? []).forEach((s, i) => causes.push(...subjectCauses(s, `subjects[${i}]`, clusterWide)));
  if (old && !deepEqual(old.roleRef, obj.roleRef)) causes.push(invalid("roleRef", obj.roleRef, "cannot change roleRef"));
  return causes;
}

/** Subjects of one kind, by name (namespace/name for ServiceAccounts), as kubectl's wide columns. */
function subjectNames(obj: KubeObject, kind: string): string {
  return (asArray(obj.subjects) ?? [])
    .map(asRecord)
    .filter((s) => s?.kind === kind)
    .map((s) => (kind === "ServiceAccount" ? `${str(s?.namespace) ?? ""}/${str(s?.name) ?? ""}` : (str(s?.name) ?? "")))
    .join(", ");
}

const COLUMNS = [
  NAME_COLUMN,
  { name: "Role", type: "string", description: "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.", priority: 0 },
  AGE_COLUMN,
  { name: "Users", type: "string", description: "Users in the binding", priority: 1 },
  { name: "Groups", type: "string", description: "Groups in the binding", priority: 1 },
  { name: "ServiceAccounts", type: "string", description: "ServiceAccounts in the binding", priority: 1 },
] as const;

function printBinding(o: KubeObject, now: Date): unknown[] {
  const ref = asRecord(o.roleRef) ?? {};
  return [o.metadata.name ?? "", `${str(ref.kind) ?? ""}/${str(ref.name) ?? ""}`, age(o, now), subjectNames(o, "User"), subjectNames(o, "Group"), subjectNames(o, "ServiceAccount")];
}

/** RoleBinding (namespaced: a Role or ClusterRole) and ClusterRoleBinding (a ClusterRole, cluster-wide). */
function bindingResource(kind: string, namespaced: boolean, roleKinds: string[]): ResourceDef {
  return resource({
    group: RBAC_GROUP,
    version: "v1",
    kind,
    listKind: `${kind}List`,
    plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    namespaced,
    nameFormat: "path-segment",
    schema: bindingSchema,
    subresources: {},
    printerColumns: [...COLUMNS],
    printRow: printBinding,
    prepareForCreate: (obj) => dropGeneration(obj),
    validate: (obj, old) => bindingCauses(obj, old, roleKinds, !namespaced),
  });
}

export const rolebindings = bindingResource("RoleBinding", true, ["Role", "ClusterRole"]);
export const clusterrolebindings = bindingResource("ClusterRoleBinding", false, ["ClusterRole"]);

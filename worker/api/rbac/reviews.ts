// The access reviews kubectl's `auth` commands send: SelfSubjectAccessReview (`auth can-i`),
// SelfSubjectRulesReview (`auth can-i --list`) and SelfSubjectReview (`auth whoami`). Each
// answers for the requester, from the same authorizers that judge its requests.
import type { Store } from "../../store/types";
import type { Principal } from "../access";
import { mayAccess, principalFor, subjectOf } from "../auth";
import { EVERYTHING, ruleAllowsURL, rulesFor } from "./evaluate";
import { policyOf } from "./policy";
import { forbidden, invalid } from "../../../shared/status-error";
import { asRecord, str } from "../../../shared/json";

const AUTHORIZATION = "authorization.k8s.io";
const AUTHENTICATION = "authentication.k8s.io";

type Json = Record<string, unknown>;

function echo(body: Json, apiGroup: string, kind: string, status: Json): Json {
  return { kind, apiVersion: `${apiGroup}/v1`, metadata: { creationTimestamp: null }, spec: asRecord(body.spec) ?? {}, status };
}

export async function selfSubjectAccessReview(store: Store, principal: Principal, body: Json): Promise<Json> {
  return echo(body, AUTHORIZATION, "SelfSubjectAccessReview", await decide(store, principal, body, "SelfSubjectAccessReview"));
}

/**
 * SubjectAccessReview (and its namespaced form, LocalSubjectAccessReview): what another user may
 * do, for whoever may create the review (cluster-admin; admin for the local form in its namespace).
 */
export async function subjectAccessReview(store: Store, requester: Principal, body: Json, namespace?: string): Promise<Json> {
  const kind = namespace ? "LocalSubjectAccessReview" : "SubjectAccessReview";
  const resource = namespace ? "localsubjectaccessreviews" : "subjectaccessreviews";
  if (!(await mayAccess(store, requester, { verb: "create", group: AUTHORIZATION, resource, namespace }))) {
    throw forbidden(requester.user, "create", { group: AUTHORIZATION, resource }, namespace);
  }
  const spec = asRecord(body.spec) ?? {};
  const ref = { group: AUTHORIZATION, resource, kind };
  const user = str(spec.user) ?? "";
  const groups = (Array.isArray(spec.groups) ? spec.groups : []).filter((g): g is string => typeof g === "string");
  if (!user && groups.length === 0) throw invalid(ref, "", [{ reason: "FieldValueInvalid", field: "spec.user", message: 'Invalid value: "": at least one of user or group must be specified' }]);
  const attributes = asRecord(spec.resourceAttributes);
  if (namespace && spec.nonResourceAttributes !== undefined) {
    throw invalid(ref, "", [{ reason: "FieldValueInvalid", field: "spec.nonResourceAttributes", message: "Invalid value: \"\": disallowed on this kind of request" }]);
  }
  if (namespace && attributes && (str(attributes.namespace) ?? "") !== namespace) {
    throw invalid(ref, "", [{ reason: "FieldValueInvalid", field: "spec.resourceAttributes.namespace", message: `Invalid value: ${JSON.stringify(str(attributes.namespace) ?? "")}: must match metadata.namespace` }]);
  }
  const result = await decide(store, principalFor(user, groups), body, kind);
  return { ...echo(body, AUTHORIZATION, kind, result), ...(namespace ? { metadata: { namespace, creationTimestamp: null } } : {}) };
}

async function decide(store: Store, principal: Principal, body: Json, kind: string): Promise<Json> {
  const spec = asRecord(body.spec) ?? {};
  const resource = asRecord(spec.resourceAttributes);
  const nonResource = asRecord(spec.nonResourceAttributes);
  const ref = { group: AUTHORIZATION, resource: `${kind.toLowerCase()}s`, kind };
  if (Boolean(resource) === Boolean(nonResource)) {
    throw invalid(ref, "", [{ reason: "FieldValueInvalid", field: "spec.resourceAttributes", message: `Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified` }]);
  }
  let allowed: boolean;
  if (resource) {
    const verb = str(resource.verb) ?? "";
    if (!verb) throw invalid(ref, "", [{ reason: "FieldValueRequired", field: "spec.resourceAttributes.verb", message: "Required value" }]);
    allowed = await mayAccess(store, principal, {
      verb,
      group: str(resource.group) ?? "",
      resource: str(resource.resource) ?? "",
      namespace: str(resource.namespace) || undefined,
      name: str(resource.name) || undefined,
      subresource: str(resource.subresource) || undefined,
    });
  } else {
    const path = str(nonResource!.path) ?? "";
    const verb = str(nonResource!.verb) ?? "";
    allowed = principal.kind === "admin" || (principal.kind !== "node" && rulesFor(await policyOf(store), subjectOf(principal)).some((rule) => ruleAllowsURL(rule, verb, path)));
  }
  return allowed ? { allowed: true } : { allowed: false };
}


export async function selfSubjectRulesReview(store: Store, principal: Principal, body: Json): Promise<Json> {
  const namespace = str(asRecord(body.spec)?.namespace) ?? "";
  if (principal.kind === "node") {
    return echo(body, AUTHORIZATION, "SelfSubjectRulesReview", {
      resourceRules: [],
      nonResourceRules: [],
      incomplete: true,
      evaluationError: "node authorizer does not support user rule resolution",
    });
  }
  const rules = principal.kind === "admin" ? EVERYTHING : rulesFor(await policyOf(store), subjectOf(principal), namespace || undefined);
  const resourceRules = rules
    .filter((r) => r.nonResourceURLs.length === 0)
    .map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources, ...(r.resourceNames.length ? { resourceNames: r.resourceNames } : {}) }));
  const nonResourceRules = rules.filter((r) => r.nonResourceURLs.length > 0).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
  return echo(body, AUTHORIZATION, "SelfSubjectRulesReview", { resourceRules, nonResourceRules, incomplete: false });
}

export function selfSubjectReview(principal: Principal): Json {
  const who = subjectOf(principal);
  return {
    kind: "SelfSubjectReview",
    apiVersion: `${AUTHENTICATION}/v1`,
    metadata: { creationTimestamp: null },
    status: { userInfo: { username: who.user, groups: [...who.groups] } },
  };
}

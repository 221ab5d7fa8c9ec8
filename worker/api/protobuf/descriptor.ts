// The message table our decoder walks: field lines "N jsonName type" (type may end in [] for
// repeated, be map:V for map<string,V>; "name?" marks a Go pointer, "*" an inlined embedded struct).
import { CORE_MESSAGES } from "./descriptor-core";
import { GROUP_MESSAGES } from "./descriptor-groups";
import { META_MESSAGES } from "./descriptor-meta";
import type { FieldDef, MessageTable } from "./descriptor-types";

const TABLE: MessageTable = { ...META_MESSAGES, ...CORE_MESSAGES, ...GROUP_MESSAGES };

/** Envelope (apiVersion, kind) → top-level message. DeleteOptions is registered in every group version. */
const KINDS: Record<string, string> = {
  "v1/Namespace": "Namespace",
  "v1/ConfigMap": "ConfigMap",
  "v1/Secret": "Secret",
  "v1/Service": "Service",
  "v1/ServiceAccount": "ServiceAccount",
  "v1/ResourceQuota": "ResourceQuota",
  "v1/Pod": "Pod",
  "v1/Node": "Node",
  "apps/v1/Deployment": "Deployment",
  "apps/v1/ReplicaSet": "ReplicaSet",
  "networking.k8s.io/v1/Ingress": "Ingress",
  "authentication.k8s.io/v1/TokenRequest": "TokenRequest",
  "autoscaling/v1/Scale": "Scale",
  "apps/v1/Scale": "Scale",
  "autoscaling/v1/HorizontalPodAutoscaler": "HorizontalPodAutoscaler",
  "policy/v1/Eviction": "Eviction",
  "rbac.authorization.k8s.io/v1/Role": "Role",
  "rbac.authorization.k8s.io/v1/ClusterRole": "ClusterRole",
  "rbac.authorization.k8s.io/v1/RoleBinding": "RoleBinding",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "ClusterRoleBinding",
  "authorization.k8s.io/v1/SelfSubjectAccessReview": "SelfSubjectAccessReview",
  "authorization.k8s.io/v1/SelfSubjectRulesReview": "SelfSubjectRulesReview",
  "authentication.k8s.io/v1/SelfSubjectReview": "SelfSubjectReview",
};
const ANY_VERSION_KINDS: Record<string, string> = { DeleteOptions: "DeleteOptions" };

export function messageForKind(apiVersion: string, kind: string): string | undefined {
  return KINDS[`${apiVersion}/${kind}`] ?? ANY_VERSION_KINDS[kind];
}

const parsed = new Map<string, Map<number, FieldDef>>();

function parseField(line: string): FieldDef {
  const [noText, rawName, rawType] = line.split(" ");
  if (noText === undefined || rawName === undefined || rawType === undefined) throw new Error(`bad field line: ${line}`);
  const pointer = rawName.endsWith("?");
  const name = pointer ? rawName.slice(0, -1) : rawName;
  const repeated = rawType.endsWith("[]");
  const type = repeated ? rawType.slice(0, -2) : rawType;
  const mapValue = type.startsWith("map:") ? type.slice(4) : undefined;
  return { no: Number(noText), name, type, repeated, mapValue, pointer, inline: name === "*" };
}

/** The fields of one message by number, or undefined when the table lacks it. */
export function fieldsOf(message: string): Map<number, FieldDef> | undefined {
  let fields = parsed.get(message);
  if (fields) return fields;
  const lines = TABLE[message];
  if (!lines) return undefined;
  fields = new Map(lines.map((l) => parseField(l)).map((f) => [f.no, f]));
  parsed.set(message, fields);
  return fields;
}

/** Every message name referenced by the table (for the self-consistency test). */
export function allMessages(): string[] {
  return Object.keys(TABLE);
}

// Component schemas for one kind at one served version, under kube-openapi's names
// (io.k8s.api.apps.v1.Deployment) and tagged with x-kubernetes-group-version-kind, which is
// how kubectl apply (strategic merge patch) and kubectl explain find a kind's schema.
import { jsonSchemaOf } from "../resources/json-schema";
import type { ResourceDef } from "../resources/types";
import { DESCRIPTIONS, INT_OR_STRING, LIST_META, OBJECT_META, sharedSchemas } from "./openapi-meta";
import { convertRoot, refTo, REF_PREFIX } from "./openapi-schema";
import { isRecord, type Json } from "../../shared/json";

/** Groups whose Go types live outside k8s.io/api, named as kube-openapi names them. */
const SPECIAL_PACKAGES: Record<string, string> = {
  "apiextensions.k8s.io": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions",
  "apiregistration.k8s.io": "io.k8s.kube-aggregator.pkg.apis.apiregistration",
};

/** The schema-name prefix of a group: io.k8s.api.<pkg> for Kubernetes groups, reversed domain otherwise (as for CRDs). */
export function schemaPackage(group: string): string {
  if (group === "") return "io.k8s.api.core";
  const special = SPECIAL_PACKAGES[group];
  if (special) return special;
  if (!group.includes(".") || group.endsWith(".k8s.io")) return `io.k8s.api.${group.split(".")[0]}`;
  return group.split(".").reverse().join(".");
}

export function schemaName(group: string, version: string, kind: string): string {
  return `${schemaPackage(group)}.${version}.${kind}`;
}

export function gvk(group: string, version: string, kind: string): { group: string; kind: string; version: string } {
  return { group, kind, version };
}

/**
 * A kind served at a version other than the one its zod schema describes (v1beta1 Ingress):
 * we have no schema for that shape, so the document must not claim one (kubectl then
 * computes its patch from its built-in types instead of failing on unknown fields).
 */
export function hasOwnSchema(def: ResourceDef, version: string): boolean {
  return version === def.version;
}

function describeTopLevel(props: Json): void {
  for (const key of ["apiVersion", "kind"] as const) {
    const p = props[key];
    if (isRecord(p) && p.description === undefined) p.description = DESCRIPTIONS[key];
  }
  const meta = props.metadata;
  if (isRecord(meta) && meta.$ref === REF_PREFIX + OBJECT_META) props.metadata = refTo(OBJECT_META, { description: DESCRIPTIONS.metadata });
  for (const key of ["spec", "status"] as const) {
    const p = props[key];
    if (isRecord(p) && p.description === undefined && p.$ref === undefined) p.description = DESCRIPTIONS[key];
  }
}

/** The kind's schema, its List, and any lifted `$defs`, keyed by component name. */
export function kindComponents(def: ResourceDef, version: string): Record<string, Json> {
  const name = schemaName(def.group, version, def.kind);
  const shared = sharedSchemas();
  let components: Record<string, Json>;
  if (hasOwnSchema(def, version)) {
    components = convertRoot(jsonSchemaOf(def), name, { shared: shared.byShape, intOrString: INT_OR_STRING });
  } else {
    components = {
      [name]: {
        type: "object",
        properties: { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: refTo(OBJECT_META) },
        "x-kubernetes-preserve-unknown-fields": true,
      },
    };
  }
  const root = components[name]!;
  const props = isRecord(root.properties) ? root.properties : {};
  describeTopLevel(props);
  root["x-kubernetes-group-version-kind"] = [gvk(def.group, version, def.kind)];
  components[schemaName(def.group, version, def.listKind)] = {
    description: `${def.listKind} is a list of ${def.kind}.`,
    type: "object",
    required: ["items"],
    properties: {
      apiVersion: { type: "string", description: DESCRIPTIONS.apiVersion },
      items: { type: "array", description: `List of ${def.plural}.`, items: refTo(name) },
      kind: { type: "string", description: DESCRIPTIONS.kind },
      metadata: refTo(LIST_META, { description: DESCRIPTIONS.listMetadata }),
    },
    "x-kubernetes-group-version-kind": [gvk(def.group, version, def.listKind)],
  };
  return components;
}

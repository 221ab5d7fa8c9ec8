// The shared component schemas every group-version document refers to (meta.k8s.io/v1
// types, IntOrString, autoscaling/v1 Scale), under kube-openapi's names. ObjectMeta and
// friends come from the same zod schemas the kinds embed, so a kind's copy is recognised.
import { z } from "zod";
import {
  labelSelectorRequirementSchema,
  labelSelectorSchema,
  managedFieldsEntrySchema,
  objectMetaSchema,
  ownerReferenceSchema,
} from "../resources/meta";
import { convertRoot, refTo, SharedShapes } from "./openapi-schema";
import { type Json } from "../../shared/json";

export const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
export const OBJECT_META = `${META}.ObjectMeta`;
export const LIST_META = `${META}.ListMeta`;
export const STATUS = `${META}.Status`;
export const DELETE_OPTIONS = `${META}.DeleteOptions`;
export const PATCH = `${META}.Patch`;
export const WATCH_EVENT = `${META}.WatchEvent`;
export const API_RESOURCE_LIST = `${META}.APIResourceList`;
export const INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
export const SCALE = "io.k8s.api.autoscaling.v1.Scale";

export const DESCRIPTIONS = {
  apiVersion:
    "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
  kind: "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
  metadata: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  listMetadata: "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
  spec: "Spec defines the desired state of the object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
  status: "Status is the most recently observed status of the object. Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
} as const;

const str = { type: "string" };
const int = { type: "integer", format: "int64" };
const int32 = { type: "integer", format: "int32" };
const bool = { type: "boolean" };

function typeMeta(): Json {
  return { apiVersion: { ...str, description: DESCRIPTIONS.apiVersion }, kind: { ...str, description: DESCRIPTIONS.kind } };
}

/** Hand-written meta types (no zod schema of ours describes them). */
function fixedSchemas(): Record<string, Json> {
  return {
    [INT_OR_STRING]: {
      description: "IntOrString is a type that can hold an int32 or a string.",
      type: "string",
      format: "int-or-string",
    },
    [LIST_META]: {
      description: "ListMeta describes metadata that synthetic resources must have, including lists and various status objects.",
      type: "object",
      properties: { continue: str, remainingItemCount: int, resourceVersion: str, selfLink: str },
    },
    [`${META}.StatusCause`]: {
      type: "object",
      properties: { field: str, message: str, reason: str },
    },
    [`${META}.StatusDetails`]: {
      type: "object",
      properties: {
        causes: { type: "array", items: refTo(`${META}.StatusCause`), "x-kubernetes-list-type": "atomic" },
        group: str,
        kind: str,
        name: str,
        retryAfterSeconds: int32,
        uid: str,
      },
    },
    [STATUS]: {
      description: "Status is a return value for calls that don't return other objects.",
      type: "object",
      properties: {
        ...typeMeta(),
        code: int32,
        details: refTo(`${META}.StatusDetails`),
        message: str,
        metadata: refTo(LIST_META),
        reason: str,
        status: str,
      },
      "x-kubernetes-group-version-kind": [{ group: "", kind: "Status", version: "v1" }],
    },
    [`${META}.Preconditions`]: {
      type: "object",
      properties: { resourceVersion: str, uid: str },
    },
    [DELETE_OPTIONS]: {
      description: "DeleteOptions may be provided when deleting an API object.",
      type: "object",
      properties: {
        ...typeMeta(),
        dryRun: { type: "array", items: str, "x-kubernetes-list-type": "atomic" },
        gracePeriodSeconds: int,
        ignoreStoreReadErrorWithClusterBreakingPotential: bool,
        orphanDependents: bool,
        preconditions: refTo(`${META}.Preconditions`),
        propagationPolicy: str,
      },
      "x-kubernetes-group-version-kind": [{ group: "", kind: "DeleteOptions", version: "v1" }],
    },
    [PATCH]: {
      description: "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
      type: "object",
    },
    [WATCH_EVENT]: {
      description: "Event represents a single event to a watched resource.",
      type: "object",
      required: ["type", "object"],
      properties: { object: { type: "object", "x-kubernetes-preserve-unknown-fields": true }, type: str },
    },
    [`${META}.APIResource`]: {
      type: "object",
      required: ["name", "singularName", "namespaced", "kind", "verbs"],
      properties: {
        categories: { type: "array", items: str },
        group: str,
        kind: str,
        name: str,
        namespaced: bool,
        shortNames: { type: "array", items: str },
        singularName: str,
        storageVersionHash: str,
        verbs: { type: "array", items: str },
        version: str,
      },
    },
    [API_RESOURCE_LIST]: {
      type: "object",
      required: ["groupVersion", "resources"],
      properties: {
        ...typeMeta(),
        groupVersion: str,
        resources: { type: "array", items: refTo(`${META}.APIResource`), "x-kubernetes-list-type": "atomic" },
      },
    },
    [`${SCALE}Spec`]: { type: "object", properties: { replicas: int32 } },
    [`${SCALE}Status`]: { type: "object", required: ["replicas"], properties: { replicas: int32, selector: str } },
    [SCALE]: {
      description: "Scale represents a scaling request for a resource.",
      type: "object",
      properties: {
        ...typeMeta(),
        metadata: refTo(OBJECT_META, { description: DESCRIPTIONS.metadata }),
        spec: refTo(`${SCALE}Spec`, { description: DESCRIPTIONS.spec }),
        status: refTo(`${SCALE}Status`, { description: DESCRIPTIONS.status }),
      },
      "x-kubernetes-group-version-kind": [{ group: "autoscaling", kind: "Scale", version: "v1" }],
    },
  };
}

/** Shared meta types taken from our zod schemas, in dependency order (inner types first). */
const FROM_ZOD: [string, z.ZodType][] = [
  [`${META}.OwnerReference`, ownerReferenceSchema],
  [`${META}.ManagedFieldsEntry`, managedFieldsEntrySchema],
  [`${META}.LabelSelectorRequirement`, labelSelectorRequirementSchema],
  [`${META}.LabelSelector`, labelSelectorSchema],
  [OBJECT_META, objectMetaSchema],
];

export interface SharedSchemas {
  /** Component name → schema. */
  schemas: Record<string, Json>;
  /** Their shapes, for recognising a kind's embedded copy. */
  byShape: SharedShapes;
}

let built: SharedSchemas | undefined;

export function sharedSchemas(): SharedSchemas {
  if (built) return built;
  const schemas = fixedSchemas();
  const byShape = new SharedShapes();
  for (const [name, zodSchema] of FROM_ZOD) {
    const json = z.toJSONSchema(zodSchema, { io: "input", unrepresentable: "any" });
    const components = convertRoot(json, name, { shared: byShape, intOrString: INT_OR_STRING });
    Object.assign(schemas, components);
    byShape.add(components[name]!, name);
  }
  built = { schemas, byShape };
  return built;
}

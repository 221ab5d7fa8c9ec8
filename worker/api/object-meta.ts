// Object metadata as kube-apiserver fills it on create and keeps it on update:
// uid, creationTimestamp, generateName, namespace checks and name validation.
import { timestamp } from "../../shared/time";
import { dns1123LabelErrors, dns1123SubdomainErrors } from "../resources/meta";
import type { KubeObject, ResourceDef } from "../resources/types";
import { generateNameErrors } from "./meta-validation";
import { isPlainObject } from "./negotiate";
import { badRequest, conflict, invalid, type StatusCause } from "../../shared/status-error";

/** Kubernetes' generateName alphabet (no vowels, no look-alikes). */
const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const GENERATED_SUFFIX_LENGTH = 5;
const MAX_GENERATE_NAME_PREFIX = 63 - GENERATED_SUFFIX_LENGTH;

export function randomSuffix(length = GENERATED_SUFFIX_LENGTH): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return [...bytes].map((b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join("");
}

export function nameErrors(def: ResourceDef, name: string): string[] {
  // ValidatePathSegmentName (RBAC's names, such as "system:basic-user").
  if (def.nameFormat === "path-segment") {
    if (name === "." || name === "..") return [`may not be '${name}'`];
    const bad = ["/", "%"].find((c) => name.includes(c));
    return bad ? [`may not contain '${bad}'`] : [];
  }
  if (def.nameFormat === "dns1035-label" && !/^[a-z]/.test(name) && name.length > 0) {
    return [
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ];
  }
  return def.nameFormat === "dns1123-label" || def.nameFormat === "dns1035-label" ? dns1123LabelErrors(name) : dns1123SubdomainErrors(name);
}

/** Go's name for a JSON value's type, as encoding/json prints it in an unmarshal error. */
function goJsonType(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value === "object" ? "object" : typeof value;
}

/**
 * Checks apiVersion/kind against the URL, converting an older served version in.
 * A missing apiVersion/kind is filled in (kube's decoder defaults them from the URL).
 * A patch can turn the object into anything, so the shape is checked here too: what is no
 * object, or has a non-string apiVersion/kind or a non-object metadata, is a 400 as the Go
 * decoder refuses it, never spread into an empty object that would then be stored.
 */
export function checkTypeMeta(def: ResourceDef, version: string, obj: KubeObject): KubeObject {
  const given: unknown = obj;
  if (!isPlainObject(given)) {
    throw badRequest(`couldn't get version/kind; json parse error: json: cannot unmarshal ${goJsonType(given)} into Go value of type struct { APIVersion string; Kind string }`);
  }
  for (const field of ["apiVersion", "kind"] as const) {
    const value: unknown = given[field];
    if (value !== undefined && typeof value !== "string") {
      throw badRequest(`couldn't get version/kind; json parse error: json: cannot unmarshal ${goJsonType(value)} into Go struct field .${field} of type string`);
    }
  }
  if (given.metadata !== undefined && !isPlainObject(given.metadata)) throw badRequest("metadata: must be an object");
  const expectedApiVersion = def.group ? `${def.group}/${version}` : version;
  const apiVersion = obj.apiVersion || expectedApiVersion;
  const kind = obj.kind || def.kind;
  const [g, v] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["", apiVersion];
  if (kind !== def.kind || g !== def.group) {
    throw badRequest(`${kind} in version "${v}" cannot be handled as a ${def.kind}: the object's kind does not match the request`);
  }
  const served = [def.version, ...(def.servedVersions ?? [])];
  if (!served.includes(v!)) {
    throw badRequest(`${kind} in version "${v}" cannot be handled as a ${def.kind}: no kind "${kind}" is registered for version "${apiVersion}"`);
  }
  let out: KubeObject = { ...obj, apiVersion, kind, metadata: { ...(obj.metadata ?? {}) } };
  if (v !== def.version) {
    out = def.convertIn ? def.convertIn(out, v!) : out;
    out.apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
  }
  return out;
}

/** Reconciles the namespace in the body with the one in the URL (400 when they differ). */
export function checkNamespace(def: ResourceDef, obj: KubeObject, urlNamespace: string | undefined): void {
  if (!def.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  const bodyNs = obj.metadata.namespace;
  if (bodyNs && urlNamespace && bodyNs !== urlNamespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  obj.metadata.namespace = urlNamespace ?? bodyNs ?? "default";
}

/** Metadata for a new object: name (or generated name), uid, creationTimestamp, generation. */
export function initCreateMeta(def: ResourceDef, obj: KubeObject, now: Date): void {
  const meta = obj.metadata;
  const causes: StatusCause[] = [];
  if (!meta.name) {
    if (meta.generateName) {
      const prefixCauses = generateNameErrors(meta.generateName, (n) => nameErrors(def, n));
      if (prefixCauses.length > 0) throw invalid({ group: def.group, resource: def.plural, kind: def.kind }, "", prefixCauses);
      meta.name = `${meta.generateName.slice(0, MAX_GENERATE_NAME_PREFIX)}${randomSuffix()}`;
    } else {
      causes.push({ reason: "FieldValueRequired", message: "name or generateName is required", field: "metadata.name" });
    }
  }
  if (meta.name) {
    for (const message of nameErrors(def, meta.name)) {
      causes.push({ reason: "FieldValueInvalid", message: `Invalid value: ${JSON.stringify(meta.name)}: ${message}`, field: "metadata.name" });
    }
  }
  if (causes.length > 0) throw invalid({ group: def.group, resource: def.plural, kind: def.kind }, meta.name ?? "", causes);
  meta.uid = crypto.randomUUID();
  meta.creationTimestamp = timestamp(now);
  meta.generation = 1;
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  if (meta.labels && Object.keys(meta.labels).length === 0) delete meta.labels;
  if (meta.annotations && Object.keys(meta.annotations).length === 0) delete meta.annotations;
}

/** On update the server owns uid, creationTimestamp, deletion fields and generation. */
export function keepSystemMeta(def: ResourceDef, obj: KubeObject, old: KubeObject): void {
  const meta = obj.metadata;
  if (meta.uid && meta.uid !== old.metadata.uid) {
    throw conflict(
      { group: def.group, resource: def.plural },
      old.metadata.name ?? "",
      `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${old.metadata.uid}`,
    );
  }
  // The namespace is part of the object's key, as its name: a patch that drops it (metadata: null)
  // keeps the stored one, and one that names another is a 400, before admission reserves anything.
  checkNamespace(def, obj, old.metadata.namespace);
  meta.uid = old.metadata.uid;
  meta.creationTimestamp = old.metadata.creationTimestamp;
  meta.generation = old.metadata.generation;
  meta.name = old.metadata.name;
  if (old.metadata.generateName !== undefined) meta.generateName = old.metadata.generateName;
  else delete meta.generateName;
  if (old.metadata.deletionTimestamp) {
    meta.deletionTimestamp = old.metadata.deletionTimestamp;
    meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
  } else {
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
  }
  delete meta.selfLink;
}

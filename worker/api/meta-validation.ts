// Object metadata as apimachinery validates it (ValidateObjectMeta): label and annotation keys
// as qualified names, label values, the annotations' total size, finalizer names and owner
// references. Each problem is one 422 cause at the field kube-apiserver names.
import { dns1123SubdomainErrors } from "../resources/meta";
import type { KubeObject } from "../resources/types";
import type { StatusCause } from "../../shared/status-error";

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME_MESSAGE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
/** apimachinery's TotalAnnotationSizeLimitB. */
export const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;
const STANDARD_FINALIZERS = new Set(["kubernetes", "orphan", "foregroundDeletion"]);

const invalid = (field: string, value: unknown, detail: string): StatusCause => ({
  reason: "FieldValueInvalid",
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  field,
});

/** kube's IsQualifiedName: an optional DNS-subdomain prefix and '/', then a name part of ≤ 63. */
export function qualifiedNameErrors(value: string): string[] {
  const parts = value.split("/");
  let name = value;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix, rest] = parts as [string, string];
    name = rest;
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else errs.push(...dns1123SubdomainErrors(prefix).map((e) => `prefix part ${e}`));
  } else if (parts.length > 2) {
    return [`a qualified name ${QUALIFIED_NAME_MESSAGE.replace(/^name part /, "")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > 63) errs.push("name part must be no more than 63 characters");
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name)) errs.push(QUALIFIED_NAME_MESSAGE);
  return errs;
}

export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push("must be no more than 63 characters");
  if (!LABEL_VALUE.test(value)) errs.push(LABEL_VALUE_MESSAGE);
  return errs;
}

function labelErrors(labels: Record<string, string> | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    for (const e of qualifiedNameErrors(key)) causes.push(invalid("metadata.labels", key, e));
    for (const e of labelValueErrors(value)) causes.push(invalid("metadata.labels", value, e));
  }
  return causes;
}

function annotationErrors(annotations: Record<string, string> | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    // Annotation keys are checked lower-cased, as upstream does.
    for (const e of qualifiedNameErrors(key.toLowerCase())) causes.push(invalid("metadata.annotations", key, e));
    size += key.length + value.length;
  }
  if (size > ANNOTATIONS_SIZE_LIMIT) {
    causes.push({ reason: "FieldValueTooLong", message: `Too long: may not be more than ${ANNOTATIONS_SIZE_LIMIT} bytes`, field: "metadata.annotations" });
  }
  return causes;
}

function finalizerErrors(finalizers: string[] | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const finalizer of finalizers ?? []) {
    for (const e of qualifiedNameErrors(finalizer)) causes.push(invalid("metadata.finalizers", finalizer, e));
    if (!finalizer.includes("/") && !STANDARD_FINALIZERS.has(finalizer)) {
      causes.push({ reason: "FieldValueForbidden", message: `Forbidden: name is neither a standard finalizer name nor is it fully qualified`, field: "metadata.finalizers" });
    }
  }
  if (finalizers?.includes("orphan") && finalizers.includes("foregroundDeletion")) {
    causes.push(invalid("metadata.finalizers", "foregroundDeletion", "finalizer foregroundDeletion and orphan cannot be both set"));
  }
  return causes;
}

interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

function ownerReferenceErrors(refs: OwnerReference[] | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  let controllers = 0;
  for (const ref of refs ?? []) {
    if (!ref.apiVersion) causes.push(invalid("metadata.ownerReferences.apiVersion", ref.apiVersion ?? "", "version must not be empty"));
    if (!ref.kind) causes.push(invalid("metadata.ownerReferences.kind", ref.kind ?? "", "kind must not be empty"));
    if (!ref.name) causes.push(invalid("metadata.ownerReferences.name", ref.name ?? "", "name must not be empty"));
    if (!ref.uid) causes.push(invalid("metadata.ownerReferences.uid", ref.uid ?? "", "uid must not be empty"));
    if (ref.controller) controllers++;
  }
  if (controllers > 1) {
    causes.push(invalid("metadata.ownerReferences", refs, "Only one reference can have Controller set to true"));
  }
  return causes;
}

/** generateName is a name prefix: checked as a name with its trailing '-' allowed (apimachinery's maskTrailingDash). */
export function generateNameErrors(prefix: string, nameErrors: (name: string) => string[]): StatusCause[] {
  const masked = prefix.length > 1 && prefix.endsWith("-") ? `${prefix.slice(0, -1)}a` : prefix;
  return nameErrors(masked).map((e) => invalid("metadata.generateName", prefix, e));
}

export function metadataErrors(obj: KubeObject): StatusCause[] {
  const meta = obj.metadata as KubeObject["metadata"] & { finalizers?: string[]; ownerReferences?: OwnerReference[] };
  return [...labelErrors(meta.labels), ...annotationErrors(meta.annotations), ...finalizerErrors(meta.finalizers), ...ownerReferenceErrors(meta.ownerReferences)];
}

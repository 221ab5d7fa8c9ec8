// The one error type of the API: every failure leaves the Worker as a Kubernetes
// `Status` object (kind Status, apiVersion v1) with the code and reason kubectl expects.
import type { StatusReason } from "./status";

export type { StatusReason };

export interface StatusCause {
  /** CauseType, e.g. FieldValueRequired, FieldValueInvalid, FieldValueNotSupported. */
  reason: string;
  message: string;
  /** Field path as Kubernetes prints it: `spec.containers[0].image`. */
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = "StatusError";
  }

  toStatus(): Status {
    const status: Status = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** What a resource is called in messages: `pods`, `deployments.apps`. */
export interface ResourceRef {
  group: string;
  resource: string;
  kind?: string;
}

function qualified(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

export function notFound(ref: ResourceRef, name: string): StatusError {
  return new StatusError(404, "NotFound", `${qualified(ref)} "${name}" not found`, {
    name,
    group: ref.group,
    kind: ref.resource,
  });
}

export function alreadyExists(ref: ResourceRef, name: string): StatusError {
  return new StatusError(409, "AlreadyExists", `${qualified(ref)} "${name}" already exists`, {
    name,
    group: ref.group,
    kind: ref.resource,
  });
}

export function conflict(ref: ResourceRef, name: string, why?: string): StatusError {
  const reason = why ?? "the object has been modified; please apply your changes to the latest version and try again";
  return new StatusError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualified(ref)} "${name}": ${reason}`,
    { name, group: ref.group, kind: ref.resource },
  );
}

/** 422 with one cause per bad field; the message lists them as kube-apiserver does. */
export function invalid(ref: ResourceRef & { kind: string }, name: string, causes: StatusCause[]): StatusError {
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(", ");
  const kindGroup = ref.group ? `${ref.kind}.${ref.group}` : ref.kind;
  const message =
    causes.length === 1 ? `${kindGroup} "${name}" is invalid: ${list}` : `${kindGroup} "${name}" is invalid: [${list}]`;
  return new StatusError(422, "Invalid", message, { name, group: ref.group, kind: ref.kind, causes });
}

export function badRequest(message: string, causes?: StatusCause[]): StatusError {
  return new StatusError(400, "BadRequest", message, causes ? { causes } : undefined);
}

export function gone(message = "too old resource version"): StatusError {
  return new StatusError(410, "Expired", message);
}

export function forbidden(user: string, verb: string, ref: ResourceRef, namespace?: string, name?: string): StatusError {
  const scope = namespace ? ` in the namespace "${namespace}"` : " at the cluster scope";
  const target = name ? ` "${name}"` : "";
  return new StatusError(
    403,
    "Forbidden",
    `${qualified(ref)}${target} is forbidden: User "${user}" cannot ${verb} resource "${ref.resource}" in API group "${ref.group}"${scope}`,
    { ...(name ? { name } : {}), group: ref.group, kind: ref.resource },
  );
}

export function unauthorized(): StatusError {
  return new StatusError(401, "Unauthorized", "Unauthorized");
}

export function methodNotAllowed(message = "the server does not allow this method on the requested resource"): StatusError {
  return new StatusError(405, "MethodNotAllowed", message);
}

export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got "${contentType}")`);
}

export function notAcceptable(accept: string): StatusError {
  return new StatusError(406, "NotAcceptable", `only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io (got "${accept}")`);
}

export function tooLarge(limitBytes: number): StatusError {
  return new StatusError(413, "RequestEntityTooLarge", `Request entity too large: limit is ${limitBytes}`);
}

export function internalError(message: string): StatusError {
  return new StatusError(500, "InternalError", `Internal error occurred: ${message}`);
}

/**
 * What a client sees of an unexpected failure: a plain 500 Status. The detail (a driver's
 * message, a stack) can name tables, keys or other tenants' objects, so it goes to the log only.
 */
export function unexpectedError(error: unknown, where: string): StatusError {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`internal error in ${where}: ${detail}`);
  return internalError("an unexpected error occurred; its detail is in the control plane's log");
}

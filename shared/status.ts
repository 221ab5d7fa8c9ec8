// The Kubernetes Status shape (metav1.Status) as both sides speak it: the reasons the API answers
// with, and the body an agent reports a failed stream in. No imports: the Worker and the agent share it.

export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "Gone"
  | "Expired"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "UnsupportedMediaType"
  | "RequestEntityTooLarge"
  | "TooManyRequests"
  | "InternalError"
  | "Timeout"
  | "ServiceUnavailable";

export interface StatusBody {
  code: number;
  reason: StatusReason;
  message: string;
}

export function isStatusBody(value: unknown): value is StatusBody {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === "number" && typeof v.reason === "string" && typeof v.message === "string";
}

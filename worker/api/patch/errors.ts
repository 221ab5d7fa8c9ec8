// The one error the patch engines throw: a message plus the HTTP code kube-apiserver
// answers for it (400 malformed patch, 409 apply conflict, 422 a patch that cannot apply).
import type { StatusCause } from "../../../shared/status-error";

export type PatchErrorCode = 400 | 409 | 422 | 500;

export class PatchError extends Error {
  constructor(
    message: string,
    readonly code: PatchErrorCode = 422,
    /** Apply conflicts: one cause per contested field (reason FieldManagerConflict). */
    readonly causes?: StatusCause[],
  ) {
    super(message);
    this.name = "PatchError";
  }
}

// Who is asking (the authenticated principal) and what for (the access request): the types that
// authentication, the authorizers and admission share, kept apart so none imports another for them.
import type { TokenRecord } from "../store/types";

export interface Principal {
  user: string;
  /** "user": a user named by impersonation or an access review (no token of its own). */
  kind: TokenRecord["kind"] | "user";
  /** A user's groups (besides system:authenticated, which every principal has). */
  groups?: string[];
  /** Namespace of a service account, node name of a node credential, "" for the admin. */
  scope: string;
  /** When the credential expires (ms since the epoch); absent or null when it does not. */
  expiresAt?: number | null;
}

export interface AccessRequest {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /**
   * The HTTP request, when the caller has it: node rules read its `fieldSelector` (a list of one
   * referenced Secret) and, for a create, the body's metadata.name (NodeRestriction). Read from a clone.
   */
  request?: Request;
}

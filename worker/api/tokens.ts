// GET /edgeplane/v1/tokens and DELETE /edgeplane/v1/tokens/<id>: the stored credentials
// (ServiceAccount tokens, node credentials) listed by an id (the first 12 hex digits of their
// SHA-256; the tokens themselves are never stored), and revoked one by one (`npm run tokens`).
// Only system:masters. The admin token is not among them: it is the Worker's ADMIN_TOKEN_SHA256.
import { StatusError } from "../../shared/status-error";
import type { Store } from "../store/types";
import type { Principal } from "./access";
import { inSystemMasters, noteTokenRevoked } from "./auth";

const ID_DIGITS = 12;
const MIN_ID_DIGITS = 8;

function masters(principal: Principal, verb: string, path: string): void {
  if (!inSystemMasters(principal)) {
    throw new StatusError(403, "Forbidden", `forbidden: User "${principal.user}" cannot ${verb} path "${path}": only system:masters may manage tokens`);
  }
}

export async function listTokensResponse(store: Store, principal: Principal): Promise<Response> {
  masters(principal, "get", "/edgeplane/v1/tokens");
  const items = (await store.listTokens()).map((t) => ({
    id: t.hash.slice(0, ID_DIGITS),
    user: t.user,
    kind: t.kind,
    expires: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(),
    boundUid: t.boundUid ?? null,
  }));
  return Response.json({ kind: "TokenList", apiVersion: "edgeplane.dev/v1", items });
}

export async function revokeTokenResponse(store: Store, principal: Principal, id: string): Promise<Response> {
  masters(principal, "delete", `/edgeplane/v1/tokens/${id}`);
  if (!new RegExp(`^[0-9a-f]{${MIN_ID_DIGITS},64}$`).test(id)) {
    throw new StatusError(400, "BadRequest", `a token id is ${MIN_ID_DIGITS} to 64 hex digits, as npm run tokens -- list shows them`);
  }
  const matches = (await store.listTokens()).filter((t) => t.hash.startsWith(id));
  if (matches.length === 0) throw new StatusError(404, "NotFound", `token "${id}" not found`);
  if (matches.length > 1) throw new StatusError(409, "Conflict", `token id "${id}" names ${matches.length} tokens: give more digits`);
  const [token] = matches as [(typeof matches)[number]];
  await store.deleteToken(token.hash);
  noteTokenRevoked(token.hash);
  return Response.json({ kind: "TokenRevoked", apiVersion: "edgeplane.dev/v1", id: token.hash.slice(0, ID_DIGITS), user: token.user });
}

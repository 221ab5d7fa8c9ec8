// POST /edgeplane/v1/join: a join token (kubeadm bootstrap token) is exchanged for a node
// credential. Only the credential's SHA-256 is stored; it authenticates as system:node:<name>.
import { conflict, invalid, unauthorized } from "../../shared/status-error";
import { StoreError, type ChangeEvent, type Store, type StoredObject } from "../store/types";
import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  bootstrapSecretName,
  dnsSubdomainError,
  parseJoinToken,
  rejectReason,
  USES_REMAINING_KEY,
  usesRemaining,
  type JoinToken,
} from "./join-token";
import { mintNodeCredential, UNBOUND_CREDENTIAL_TTL_MS, type NodeCredential } from "./node-credential";

const CREDENTIAL_REF = { group: "edgeplane.dev", resource: "nodecredentials", kind: "NodeCredential" };

/** nodeName from the body, or a 422 naming the field as kube-apiserver would. */
function nodeNameOf(body: unknown): string {
  const raw = typeof body === "object" && body !== null ? (body as Record<string, unknown>).nodeName : undefined;
  if (raw === undefined || raw === "") {
    throw invalid(CREDENTIAL_REF, "", [{ reason: "FieldValueRequired", message: "Required value", field: "nodeName" }]);
  }
  if (typeof raw !== "string") {
    throw invalid(CREDENTIAL_REF, "", [{ reason: "FieldValueInvalid", message: "Invalid value: must be a string", field: "nodeName" }]);
  }
  const error = dnsSubdomainError(raw);
  if (error) {
    throw invalid(CREDENTIAL_REF, raw, [{ reason: "FieldValueInvalid", message: `Invalid value: "${raw}": ${error}`, field: "nodeName" }]);
  }
  return raw;
}

/** Most tries to count a use against concurrent joins with the same token, a few ms apart. */
const SPEND_TRIES = 10;
const SPEND_BACKOFF_MS = 5;

/**
 * Counts one use of a token that has a limit, compare-and-swap on the Secret, so two machines
 * joining at once never both take its last use; the last use deletes the token.
 */
async function spendUse(store: Store, stored: StoredObject, token: JoinToken, now: Date, publish: (event: ChangeEvent) => Promise<void>): Promise<void> {
  let current: StoredObject | null = stored;
  for (let attempt = 0; attempt < SPEND_TRIES; attempt++) {
    if (!current || rejectReason(current.value, token, now) !== undefined) throw unauthorized();
    const uses = usesRemaining(current.value);
    if (uses === undefined) return;
    try {
      if (uses <= 1) {
        const deleted = await store.delete(current.key, current.revision);
        await publish({ revision: deleted.revision, type: "DELETED", key: deleted.key, value: deleted.value });
      } else {
        const data = { ...(current.value.data as Record<string, string>), [USES_REMAINING_KEY]: btoa(String(uses - 1)) };
        const updated = await store.update(current.key, { ...current.value, data }, current.revision);
        await publish({ revision: updated.revision, type: "MODIFIED", key: updated.key, value: updated.value });
      }
      return;
    } catch (error) {
      if (!(error instanceof StoreError) || (error.code !== "Conflict" && error.code !== "NotFound")) throw error;
      await new Promise((r) => setTimeout(r, SPEND_BACKOFF_MS * (1 + Math.random() * attempt)));
      current = await store.get(current.key);
    }
  }
  // Uses may be left: the token was only contended. The agent retries its join.
  throw conflict({ group: "", resource: "secrets" }, current?.key.name ?? "", "too many machines are joining with this token at once; try again");
}

/**
 * Checks the bearer join token against its bootstrap-token Secret (read through the store, which
 * decrypts Secrets), then mints and records a node credential. Every token failure is a plain 401.
 */
export async function exchangeJoinToken(
  store: Store,
  authorization: string | null,
  body: unknown,
  now: Date,
  /** Tells watchers of Secrets about a use counted or a spent token deleted. */
  publish: (event: ChangeEvent) => Promise<void> = async () => undefined,
  /** A bound credential's life (NODE_CREDENTIAL_TTL_SECONDS): an unbound one never outlives it. */
  credentialTtlMs = Infinity,
): Promise<NodeCredential> {
  const token = parseJoinToken(authorization);
  if (!token) throw unauthorized();
  const key = { group: "", resource: "secrets", namespace: BOOTSTRAP_TOKEN_NAMESPACE, name: bootstrapSecretName(token.id) };
  const stored = await store.get(key);
  if (!stored || rejectReason(stored.value, token, now) !== undefined) throw unauthorized();
  const nodeName = nodeNameOf(body);
  // A name that has a Node is claimable only by that node's own credential: a join token (which
  // may be stolen, or shared by many machines) never mints a second credential for it, Ready or
  // not, since that credential would take over the node's pods and its exec/logs tunnel. kubeadm
  // refuses only a Ready node's name; the wording is its.
  const existing = await store.get({ group: "", resource: "nodes", namespace: "", name: nodeName });
  if (existing) {
    const conditions = (existing.value.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? [];
    const ready = conditions.find((c) => c.type === "Ready")?.status;
    const status = ready === "True" ? "Ready" : ready === "False" ? "NotReady" : "Unknown";
    throw conflict(
      { group: "", resource: "nodes" },
      nodeName,
      `a Node with name "${nodeName}" and status "${status}" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node`,
    );
  }
  await spendUse(store, stored, token, now, publish);
  // Until its Node exists the credential is bound to nothing: it lapses unless used to register
  // within the hour (a stolen join token's pre-minted credentials cannot wait for the machine).
  return mintNodeCredential(store, nodeName, now.getTime() + Math.min(UNBOUND_CREDENTIAL_TTL_MS, credentialTtlMs));
}

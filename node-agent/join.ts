// Joining: a `token` in the config wins; else the saved credential; else the join token is
// exchanged at POST /edgeplane/v1/join for a node credential, saved 0600 for the next start.
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ApiClient, ApiError } from "./api-client";
import type { AgentConfig } from "./config";

export const JOIN_RETRY_MS = 5_000;

export function credentialPath(config: AgentConfig): string {
  return join(config.dataDir, "credential.json");
}

/** What credential.json holds. Times are ms since the epoch; absent for a credential that never lapses. */
export interface SavedCredential {
  token: string;
  /** When it was obtained: its renewal falls at 70–90 % of the time from here to `expiresAt`. */
  issuedAt?: number;
  expiresAt?: number;
}

/** The credential from the server's answer (a join's or a renewal's). */
export function credentialFrom(body: { token?: unknown; expirationTimestamp?: unknown } | undefined, now: number): SavedCredential {
  if (typeof body?.token !== "string" || body.token === "") throw new Error("the answer holds no token");
  const expiresAt = typeof body.expirationTimestamp === "string" ? Date.parse(body.expirationTimestamp) : NaN;
  return { token: body.token, issuedAt: now, ...(Number.isFinite(expiresAt) ? { expiresAt } : {}) };
}

/** Written whole or not at all (a crash mid-write must not lose the only credential), 0600. */
export async function saveCredential(path: string, credential: SavedCredential): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  await writeFile(temporary, JSON.stringify(credential) + "\n", { mode: 0o600 });
  await rename(temporary, path);
}

async function exchange(config: AgentConfig, ca: string | undefined): Promise<SavedCredential> {
  const client = new ApiClient({ server: config.server, token: config.joinToken ?? "", ca });
  let body: { token?: unknown; expirationTimestamp?: unknown } | undefined;
  try {
    body = await client.create<{ token?: unknown; expirationTimestamp?: unknown }>("/edgeplane/v1/join", { nodeName: config.nodeName });
  } catch (error) {
    if (error instanceof ApiError) throw new Error(`join failed: ${error.message.replace(/^POST \S+: /, "")}`);
    throw error;
  } finally {
    client.close();
  }
  try {
    return credentialFrom(body, Date.now());
  } catch (error) {
    throw new Error(`join failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The credential the agent uses for every API request. A `token` from the config (a test's admin
 * token) is used as it is and never renewed.
 */
export async function obtainCredential(config: AgentConfig, ca: string | undefined, log: (m: string) => void): Promise<{ credential: SavedCredential; renewable: boolean }> {
  if (config.token) return { credential: { token: config.token }, renewable: false };
  const path = credentialPath(config);
  if (existsSync(path)) {
    const saved = JSON.parse(await readFile(path, "utf8")) as Partial<SavedCredential>;
    if (typeof saved.token === "string" && saved.token) {
      const credential: SavedCredential = { token: saved.token };
      if (typeof saved.issuedAt === "number") credential.issuedAt = saved.issuedAt;
      if (typeof saved.expiresAt === "number") credential.expiresAt = saved.expiresAt;
      return { credential, renewable: true };
    }
  }
  if (!config.joinToken) throw new Error(`no credential at ${path} and no joinToken in the config`);
  for (;;) {
    try {
      const credential = await exchange(config, ca);
      await saveCredential(path, credential);
      log(`joined the cluster as node ${config.nodeName}`);
      return { credential, renewable: true };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // 401/403 mean a bad or expired token: retrying will not help.
      if (/join failed: 40[13]/.test(message)) throw error;
      log(`${message}; retrying in ${JOIN_RETRY_MS / 1000}s`);
      await new Promise((r) => setTimeout(r, JOIN_RETRY_MS));
    }
  }
}

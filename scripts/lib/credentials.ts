// The local cluster's secrets, made once and kept under the state root: the bootstrap admin
// token (the Worker only ever sees its SHA-256) and the AES-GCM key that encrypts Secrets at rest.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";

const SECRET_BYTES = 32;

export interface Credentials {
  /** The bearer token kubectl sends: 32 random bytes, base64url. */
  adminToken: string;
  /** Hex SHA-256 of adminToken: the Worker's ADMIN_TOKEN_SHA256. */
  adminTokenSha256: string;
  /** Base64 of 32 random bytes: the Worker's SECRETS_ENCRYPTION_KEY. */
  secretsEncryptionKey: string;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Reads a one-line secret file, or writes `make()` to it (mode 0600) when it is missing or empty. */
async function ensureSecretFile(path: string, make: () => string): Promise<string> {
  if (existsSync(path)) {
    const existing = (await readFile(path, "utf8")).trim();
    if (existing) return existing;
  }
  const value = make();
  await writeFile(path, value + "\n", { mode: 0o600 });
  return value;
}

export async function ensureCredentials(paths: { adminToken: string; secretsKey: string }): Promise<Credentials> {
  const adminToken = await ensureSecretFile(paths.adminToken, () => randomBytes(SECRET_BYTES).toString("base64url"));
  const secretsEncryptionKey = await ensureSecretFile(paths.secretsKey, () =>
    randomBytes(SECRET_BYTES).toString("base64"),
  );
  return { adminToken, adminTokenSha256: sha256Hex(adminToken), secretsEncryptionKey };
}

/**
 * The dotenv file whose variables the dev server binds into the Worker. A file (mode 0600)
 * rather than arguments keeps the encryption key out of `ps`; the repository's .dev.vars is not
 * read, and stays the user's own.
 */
export async function writeWorkerEnvFile(path: string, credentials: Credentials, vars: Record<string, string> = {}): Promise<void> {
  const lines = [
    `ADMIN_TOKEN_SHA256=${credentials.adminTokenSha256}`,
    `SECRETS_ENCRYPTION_KEY=${credentials.secretsEncryptionKey}`,
    ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
  ];
  await writeFile(path, lines.join("\n") + "\n", { mode: 0o600 });
  await chmod(path, 0o600);
}

// Joining: a saved credential wins; else a `token` from the config; else the join token is
// exchanged at POST /edgeplane/v1/join for a node credential, saved 0600 for the next start.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ApiClient, ApiError } from "./api-client";
import type { AgentConfig } from "./config";

export const JOIN_RETRY_MS = 5_000;

export function credentialPath(config: AgentConfig): string {
  return join(config.dataDir, "credential.json");
}

async function exchange(config: AgentConfig, ca: string | undefined): Promise<string> {
  const client = new ApiClient({ server: config.server, token: config.joinToken ?? "", ca });
  let body: { token?: unknown; nodeName?: unknown } | undefined;
  try {
    body = await client.create<{ token?: unknown; nodeName?: unknown }>("/edgeplane/v1/join", { nodeName: config.nodeName });
  } catch (error) {
    if (error instanceof ApiError) throw new Error(`join failed: ${error.message.replace(/^POST \S+: /, "")}`);
    throw error;
  } finally {
    client.close();
  }
  if (typeof body?.token !== "string" || body.token === "") throw new Error("join failed: the answer holds no token");
  return body.token;
}

/** The bearer token the agent uses for every API request. */
export async function obtainToken(config: AgentConfig, ca: string | undefined, log: (m: string) => void): Promise<string> {
  if (config.token) return config.token;
  const path = credentialPath(config);
  if (existsSync(path)) {
    const saved = JSON.parse(await readFile(path, "utf8")) as { token?: unknown };
    if (typeof saved.token === "string" && saved.token) return saved.token;
  }
  if (!config.joinToken) throw new Error(`no credential at ${path} and no joinToken in the config`);
  for (;;) {
    try {
      const token = await exchange(config, ca);
      await mkdir(config.dataDir, { recursive: true });
      await writeFile(path, JSON.stringify({ token }) + "\n", { mode: 0o600 });
      log(`joined the cluster as node ${config.nodeName}`);
      return token;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // 401/403 mean a bad or expired token: retrying will not help.
      if (/join failed: 40[13]/.test(message)) throw error;
      log(`${message}; retrying in ${JOIN_RETRY_MS / 1000}s`);
      await new Promise((r) => setTimeout(r, JOIN_RETRY_MS));
    }
  }
}

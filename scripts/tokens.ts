// npm run tokens: the cluster's stored credentials (ServiceAccount tokens, node credentials),
// listed and revoked; and a new admin token for a local cluster.
//   npm run tokens -- list [--kubeconfig K]
//   npm run tokens -- revoke ID [--kubeconfig K]
//   npm run tokens -- rotate-admin [--state .edgeplane]    (then restart npm start)
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { adminCall } from "./lib/admin-api";
import { clusterPaths } from "./lib/local-cluster";
import { REPO_ROOT } from "./lib/wrangler";

export interface TokenItem {
  id: string;
  user: string;
  kind: string;
  expires: string | null;
  boundUid: string | null;
}

export async function listTokens(kubeconfig: string): Promise<TokenItem[]> {
  return (await adminCall<{ items: TokenItem[] }>(kubeconfig, "GET", "/edgeplane/v1/tokens")).items;
}

export function revokeToken(kubeconfig: string, id: string): Promise<{ id: string; user: string }> {
  return adminCall(kubeconfig, "DELETE", `/edgeplane/v1/tokens/${encodeURIComponent(id)}`);
}

/**
 * A new admin token for the local cluster at `root`: the Worker reads its hash at start, so the
 * old token works until the cluster restarts, and the kubeconfig carries the new one from then.
 */
export async function rotateAdminToken(root: string): Promise<void> {
  const paths = clusterPaths(root);
  if (!existsSync(paths.adminToken)) throw new Error(`${paths.adminToken} does not exist: no local cluster there`);
  await writeFile(paths.adminToken, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { kubeconfig: { type: "string" }, state: { type: "string" } } });
  const kubeconfig = resolve(values.kubeconfig ?? join(REPO_ROOT, ".edgeplane", "kubeconfig"));
  const [command, id] = positionals;
  if (command === "list") {
    const items = await listTokens(kubeconfig);
    const rows = [["ID", "KIND", "USER", "EXPIRES"], ...items.map((t) => [t.id, t.kind, t.user, t.expires ?? "never"])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join("   ").trimEnd()}\n`);
  } else if (command === "revoke" && id) {
    const revoked = await revokeToken(kubeconfig, id);
    process.stdout.write(`revoked ${revoked.id} (${revoked.user})\n`);
  } else if (command === "rotate-admin") {
    const root = resolve(values.state ?? join(REPO_ROOT, ".edgeplane"));
    await rotateAdminToken(root);
    process.stdout.write(`a new admin token is in ${clusterPaths(root).adminToken}: restart npm start (-- --state ${root}) to use it; the old one stops working then\n`);
  } else {
    throw new Error("usage: npm run tokens -- list | revoke ID | rotate-admin [--state DIR] [--kubeconfig FILE]");
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`tokens: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

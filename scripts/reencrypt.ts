// npm run reencrypt: the middle step of a Secrets key rotation. Put the new key first in
// SECRETS_ENCRYPTION_KEY (`new,old`), restart (or redeploy), run this, then drop the old key.
//   npm run reencrypt -- [--kubeconfig .edgeplane/kubeconfig]
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { adminCall } from "./lib/admin-api";
import { REPO_ROOT } from "./lib/wrangler";

export function reencrypt(kubeconfig: string): Promise<{ objects: number; changes: number }> {
  return adminCall(kubeconfig, "POST", "/edgeplane/v1/reencrypt");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kubeconfig: { type: "string" } } });
  const result = await reencrypt(resolve(values.kubeconfig ?? join(REPO_ROOT, ".edgeplane", "kubeconfig")));
  process.stdout.write(`sealed again under the newest key: ${result.objects} stored objects and ${result.changes} change-log rows\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`reencrypt failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

// npm run reencrypt: the middle step of a Secrets key rotation. Put the new key first in
// SECRETS_ENCRYPTION_KEY (`new,old`), restart (or redeploy), run this, then drop the old key.
//   npm run reencrypt -- [--kubeconfig .edgeplane/kubeconfig]
import { request } from "node:https";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readKubeconfig } from "./lib/kubeconfig";
import { REPO_ROOT } from "./lib/wrangler";

export async function reencrypt(kubeconfig: string): Promise<{ objects: number; changes: number }> {
  const kc = readKubeconfig(kubeconfig);
  const url = new URL("/edgeplane/v1/reencrypt", kc.server);
  const { status, body } = await new Promise<{ status: number; body: string }>((done, fail) => {
    const req = request(url, { method: "POST", ca: kc.caPem, headers: { authorization: `Bearer ${kc.token}` } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => done({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", fail);
    req.end();
  });
  const parsed = JSON.parse(body || "{}") as { objects?: number; changes?: number; message?: string };
  if (status !== 200) throw new Error(`POST ${url.href}: ${status} ${parsed.message ?? body}`);
  return { objects: parsed.objects ?? 0, changes: parsed.changes ?? 0 };
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

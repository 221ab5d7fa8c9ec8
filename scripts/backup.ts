// npm run backup: the running cluster's whole state in one file, as `etcdctl snapshot save` takes
// etcd's: every object as stored (uids kept, least recently written first, Secrets still
// encrypted) and every credential's hash, read at one revision through the API (system:masters).
//   npm run backup -- [--kubeconfig .edgeplane/kubeconfig] [--out edgeplane-backup-<time>.ndjson]
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { request } from "node:https";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseBackupLine, type BackupHeader } from "../shared/backup-format";
import { readKubeconfig } from "./lib/kubeconfig";
import { REPO_ROOT } from "./lib/wrangler";

export const BACKUP_PATH = "/edgeplane/v1/backup";

/** Downloads a backup to `out` (written aside, then renamed): its header, once the file is whole. */
export async function backup(kubeconfig: string, out: string): Promise<BackupHeader> {
  const kc = readKubeconfig(kubeconfig);
  const url = new URL(BACKUP_PATH, kc.server);
  const partial = `${out}.partial`;
  const response = await new Promise<import("node:http").IncomingMessage>((done, fail) => {
    const req = request(url, { ca: kc.caPem, headers: { authorization: `Bearer ${kc.token}`, accept: "application/x-ndjson" } }, done);
    req.on("error", fail);
    req.end();
  });
  if (response.statusCode !== 200) {
    let body = "";
    for await (const chunk of response) body += String(chunk);
    throw new Error(`GET ${url.href}: ${response.statusCode} ${(JSON.parse(body || "{}") as { message?: string }).message ?? body}`);
  }
  try {
    await pipeline(response, createWriteStream(partial, { mode: 0o600 }));
    const header = await readHeader(partial);
    await rename(partial, out);
    return header;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** The header line, after checking the file holds as many lines as it announces. */
async function readHeader(path: string): Promise<BackupHeader> {
  let header: BackupHeader | undefined;
  let objects = 0;
  let tokens = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (!line) continue;
    const parsed = parseBackupLine(line);
    if ("header" in parsed) header = parsed.header;
    else if ("object" in parsed) objects++;
    else tokens++;
  }
  if (!header) throw new Error("the backup has no header line");
  if (header.objects !== objects || header.tokens !== tokens) throw new Error(`the backup is incomplete: ${objects} of ${header.objects} objects, ${tokens} of ${header.tokens} tokens`);
  return header;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kubeconfig: { type: "string" }, out: { type: "string" } } });
  const kubeconfig = resolve(values.kubeconfig ?? join(REPO_ROOT, ".edgeplane", "kubeconfig"));
  const out = resolve(values.out ?? `edgeplane-backup-${new Date().toISOString().replace(/[:.]/g, "-")}.ndjson`);
  const header = await backup(kubeconfig, out);
  process.stdout.write(`${out}: ${header.objects} objects and ${header.tokens} credentials at revision ${header.revision}, taken ${header.created}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`backup failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

// npm run restore: a backup (npm run backup) becomes the whole state of a local cluster that is
// not running, as `etcdctl snapshot restore` writes a new data directory before etcd starts.
// The database under --state is replaced: every object goes back with its uid and its place in
// resourceVersion order, Secrets as they were encrypted, credentials as they were. `npm start --
// --state DIR` then serves it; the controllers pick up from there, and nodes whose credentials
// were restored reconnect.
//   npm run restore -- BACKUP [--state .edgeplane] [--secrets-key-file OLD/secrets-encryption-key]
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseBackupLine, type BackupHeader, type BackupObject, type BackupToken } from "../shared/backup-format";
import { SecretTransformer } from "../worker/store/secret-transformer";
import { readKubeconfig } from "./lib/kubeconfig";
import { clusterPaths, healthy } from "./lib/local-cluster";
import { applyMigrations, DEFAULT_WRANGLER_CONFIG, executeSqlFile, REPO_ROOT, type LineSink } from "./lib/wrangler";

/** Encrypted values start with this (worker/store/secret-transformer.ts). */
const ENCRYPTED_PREFIX = "enc:";

export interface RestoreOptions {
  /** The backup file. */
  file: string;
  /** The cluster's root directory (npm start's --state). */
  root: string;
  /** The key the backup's Secrets were encrypted with; default the root's own. */
  secretsKeyFile?: string;
  config?: string;
  onLine?: LineSink;
}

export interface Restored {
  header: BackupHeader;
  objects: number;
  tokens: number;
}

/**
 * A string as a hex blob cast to text as a hex blob cast to text: `wrangler d1 execute` edits the file as
 * plain text (it strips "BEGIN TRANSACTION;" and "COMMIT;" wherever they appear), and a value
 * may well hold those words.
 */
const hexText = (value: string) => `CAST(X'${Buffer.from(value, "utf8").toString("hex")}' AS TEXT)`;
const nullable = (value: string | number | null | undefined) => (value === null || value === undefined ? "NULL" : typeof value === "number" ? String(value) : hexText(value));

async function readBackup(file: string): Promise<{ header: BackupHeader; objects: BackupObject[]; tokens: BackupToken[] }> {
  let header: BackupHeader | undefined;
  const objects: BackupObject[] = [];
  const tokens: BackupToken[] = [];
  let number = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    number++;
    if (!line) continue;
    try {
      const parsed = parseBackupLine(line);
      if ("header" in parsed) header = parsed.header;
      else if ("object" in parsed) objects.push(parsed.object);
      else tokens.push(parsed.token);
    } catch (error) {
      throw new Error(`${file}, line ${number}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (!header) throw new Error(`${file} has no backup header: not an edgeplane backup`);
  if (header.objects !== objects.length || header.tokens !== tokens.length) {
    throw new Error(`${file} is incomplete: ${objects.length} of ${header.objects} objects, ${tokens.length} of ${header.tokens} credentials`);
  }
  // Least recently written first: the order the change log replays them in.
  objects.sort((a, b) => a.revision - b.revision);
  return { header, objects, tokens };
}

/** Whether a cluster is serving from this root (its kubeconfig's server answers /healthz). */
function serving(kubeconfig: string): Promise<boolean> {
  if (!existsSync(kubeconfig)) return Promise.resolve(false);
  const kc = readKubeconfig(kubeconfig);
  return healthy(kc.server, kc.caPem);
}

/** The backup's encrypted Secrets must open with the key the cluster will run with. */
async function checkKey(objects: BackupObject[], keyFile: string): Promise<void> {
  const sealed = objects.find((o) => o.value.startsWith(ENCRYPTED_PREFIX));
  if (!sealed) return;
  if (!existsSync(keyFile)) throw new Error(`the backup's Secrets are encrypted and ${keyFile} does not exist: pass --secrets-key-file with the backed-up cluster's key`);
  try {
    await new SecretTransformer(readFileSync(keyFile, "utf8"), () => true).decode(sealed.value, { group: sealed.group, resource: sealed.resource, namespace: sealed.namespace, name: sealed.name });
  } catch {
    throw new Error(`the backup's Secrets do not open with the key in ${keyFile}: pass --secrets-key-file with the backed-up cluster's key`);
  }
}

/** The SQL that replaces the database's state: the change log replays every object as ADDED. */
function restoreSql(objects: BackupObject[], tokens: BackupToken[]): string {
  const lines = ["DELETE FROM objects;", "DELETE FROM changes;", "DELETE FROM tokens;"];
  // The objects table follows the change log (migrations/0002): each ADDED row writes its object.
  for (const o of objects) {
    lines.push(`INSERT INTO changes (type, api_group, resource, namespace, name, value) VALUES ('ADDED', ${hexText(o.group)}, ${hexText(o.resource)}, ${hexText(o.namespace)}, ${hexText(o.name)}, ${hexText(o.value)});`);
  }
  for (const t of tokens) {
    lines.push(`INSERT INTO tokens (hash, user, kind, scope, expires_at, bound_uid) VALUES (${hexText(t.hash)}, ${hexText(t.user)}, ${hexText(t.kind)}, ${hexText(t.scope)}, ${nullable(t.expiresAt)}, ${nullable(t.boundUid)});`);
  }
  return `${lines.join("\n")}\n`;
}

export async function restore(options: RestoreOptions): Promise<Restored> {
  const paths = clusterPaths(options.root);
  const onLine = options.onLine ?? (() => undefined);
  const config = resolve(options.config ?? DEFAULT_WRANGLER_CONFIG);
  const { header, objects, tokens } = await readBackup(options.file);
  if (await serving(paths.kubeconfig)) throw new Error(`a cluster is serving from ${paths.root}: stop it first (a restore replaces its whole state)`);
  await mkdir(paths.state, { recursive: true, mode: 0o700 });
  if (options.secretsKeyFile && resolve(options.secretsKeyFile) !== paths.secretsKey) {
    await checkKey(objects, options.secretsKeyFile);
    await copyFile(options.secretsKeyFile, paths.secretsKey);
    await chmod(paths.secretsKey, 0o600);
  } else {
    await checkKey(objects, paths.secretsKey);
  }
  // The Durable Objects' storage (caches, node leases, alarms, Event expiry checkpoints) belongs to
  // the state being replaced: the restored cluster starts them afresh.
  await rm(join(paths.state, "v3", "do"), { recursive: true, force: true });
  await applyMigrations({ config, persistTo: paths.state, database: "DB", onLine });
  const dir = await mkdtemp(join(tmpdir(), "edgeplane-restore-"));
  try {
    const file = join(dir, "restore.sql");
    await writeFile(file, restoreSql(objects, tokens), { mode: 0o600 });
    await executeSqlFile({ config, persistTo: paths.state, database: "DB", onLine, file });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { header, objects: objects.length, tokens: tokens.length };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { state: { type: "string" }, "secrets-key-file": { type: "string" }, config: { type: "string" } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new Error("usage: npm run restore -- BACKUP [--state DIR] [--secrets-key-file FILE]");
  const root = resolve(values.state ?? join(REPO_ROOT, ".edgeplane"));
  const restored = await restore({ file: resolve(file), root, secretsKeyFile: values["secrets-key-file"], config: values.config });
  process.stdout.write(
    `restored ${restored.objects} objects and ${restored.tokens} credentials (revision ${restored.header.revision}, taken ${restored.header.created}) into ${root}\n` +
      `start it with: npm start -- --state ${root}\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`restore failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

// Runs the repository's pinned wrangler as child processes: the CLI for D1 migrations and the
// Worker's build, then the Worker served over HTTPS from local workerd (dev-server.ts, Miniflare
// without wrangler dev's proxy), with state persisted under the cluster's root.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import type { DevServerOptions } from "./dev-server-options";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const DEFAULT_WRANGLER_CONFIG = join(REPO_ROOT, "wrangler.toml");
const WRANGLER_JS = join(REPO_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const DEV_SERVER_TS = join(import.meta.dirname, "dev-server.ts");
/** Resolved from here, not from the child's working directory (a test fixture's folder). */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** The environment wrangler runs with: nothing leaves loopback and no secret leaks into the Worker. */
function wranglerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    // The banner asks the npm registry whether wrangler is outdated.
    WRANGLER_HIDE_BANNER: "true",
    // Otherwise miniflare fetches a Request.cf sample from workers.cloudflare.com on every start.
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
  };
  // It would copy this process's whole environment into the Worker's env.
  delete env.CLOUDFLARE_INCLUDE_PROCESS_ENV;
  // "false" would make wrangler ignore our --env-file and lose ADMIN_TOKEN_SHA256.
  delete env.CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV;
  return env;
}

export type LineSink = (line: string) => void;

function forwardLines(child: ChildProcess, sink: LineSink): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on("line", sink);
  }
}

/** Resolves with the exit code (null when killed by a signal) once the child has exited. */
export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveExit(child.exitCode);
    else child.once("exit", (code) => resolveExit(code));
  });
}

/**
 * The migrations folder a wrangler config names for its D1 database (default "migrations"), or
 * null when the config binds no D1 database. A regex, not a TOML parser: wrangler validates the
 * file itself a moment later, this only decides whether there is anything to apply.
 */
async function migrationsDirOf(config: string): Promise<string | null> {
  const text = await readFile(config, "utf8");
  if (!/d1_databases/.test(text)) return null;
  const named = /migrations_dir"?\s*[=:]\s*"([^"]+)"/.exec(text);
  return resolve(dirname(config), named?.[1] ?? "migrations");
}

export interface MigrateOptions {
  config: string;
  persistTo: string;
  /** Binding (or name) of the D1 database. */
  database: string;
  onLine: LineSink;
}

/**
 * `wrangler d1 migrations apply --local`. It asks for confirmation only on a TTY; with stdin not a
 * terminal it takes the default ("yes") by itself. Returns false when there was nothing to apply.
 */
export async function applyMigrations(options: MigrateOptions): Promise<boolean> {
  const dir = await migrationsDirOf(options.config);
  if (!dir || !existsSync(dir) || !readdirSync(dir).some((file) => file.endsWith(".sql"))) return false;
  await runWranglerCli(["d1", "migrations", "apply", options.database, "--local", "--persist-to", options.persistTo], options);
  return true;
}

/** One wrangler CLI command, its lines to `onLine`; throws with its last lines unless it exits 0. */
export async function runWranglerCli(args: string[], options: { config: string; onLine: LineSink }): Promise<void> {
  const child = spawn(process.execPath, [WRANGLER_JS, ...args, "--config", options.config], {
    cwd: dirname(options.config),
    env: { ...wranglerEnv(), CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  forwardLines(child, (line) => {
    output.push(line);
    options.onLine(line);
  });
  const code = await exitOf(child);
  if (code !== 0) throw new Error(`wrangler ${args.join(" ")} failed (exit ${code}):\n${output.slice(-30).join("\n")}`);
}

/** `wrangler d1 execute --local --file`: runs a SQL file against the local D1 database. */
export async function executeSqlFile(options: MigrateOptions & { file: string }): Promise<void> {
  await runWranglerCli(["d1", "execute", options.database, "--local", "--persist-to", options.persistTo, "--file", options.file, "--yes"], options);
}

export interface DevOptions extends Omit<DevServerOptions, "requestLog"> {
  /**
   * false: warnings and errors only. The per-request log line costs a loopback HTTP call from
   * workerd to the dev server's Node process, which production does not have. Default true.
   */
  requestLog?: boolean;
  onLine: LineSink;
}

/**
 * Starts the Worker's dev server in its own process group (detached), so that Ctrl-C in a
 * terminal reaches only us and we stop it and its workerd children together with stopProcessGroup().
 */
export function startWranglerDev(options: DevOptions): ChildProcess {
  const { onLine, requestLog, ...rest } = options;
  const server: DevServerOptions = { ...rest, requestLog: requestLog !== false };
  const child = spawn(process.execPath, ["--import", TSX_LOADER, DEV_SERVER_TS, JSON.stringify(server)], {
    cwd: dirname(options.config),
    env: wranglerEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  forwardLines(child, onLine);
  return child;
}
